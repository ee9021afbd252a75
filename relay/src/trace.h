/**
 * @file trace.h  A call's one trace: timestamped lines from its media and its SIP leg
 *
 * Layer 1 (docs/ARCHITECTURE.md): knows no call, no media and no SIP. The
 * call owns one (relay/src/call.c); the media (media/, on the call's worker)
 * and the SIP leg (sip/, on the SIP thread) write into it through the
 * pointer each is given; the controlling thread reads it. One mutex.
 */
#ifndef CR_TRACE_H
#define CR_TRACE_H

#include <glib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds of one call's trace: at most CR_TRACE_LINES lines holding at most
 * CR_TRACE_MAX_BYTES bytes, each line at most CR_TRACE_MSG_LEN - 1 bytes of
 * message after its time and area. The first CR_TRACE_HEAD lines (how the
 * call began: the INVITE, the first ICE facts) are kept for the call's
 * life; past the bounds the oldest of the others go first. */
#define CR_TRACE_LINES 256
#define CR_TRACE_HEAD 32
#define CR_TRACE_MSG_LEN 512
#define CR_TRACE_MAX_BYTES (64 * 1024)

typedef struct cr_trace {
	GMutex lock;
	int64_t t0_us;    /* g_get_monotonic_time() at init: the lines' origin */
	unsigned n_head;  /* lines[0..n_head): kept */
	unsigned start;   /* the ring: lines[CR_TRACE_HEAD..), oldest at start */
	unsigned n_ring;
	size_t bytes;     /* held by the lines, NULs included */
	uint64_t lost;    /* lines dropped */
	char lost_at[24]; /* the time field of the last line dropped */
	/* Each line allocated at its length when written (a call writes a few
	 * dozen): no ring zeroed up front per call (issue #18). */
	char *lines[CR_TRACE_LINES];
} cr_trace_t;

void cr_trace_init(cr_trace_t *trace);
void cr_trace_clear(cr_trace_t *trace);
/* "T_MS AREA MESSAGE": T_MS the milliseconds (three decimals) since init,
 * AREA one word. A NULL trace takes nothing. */
void cr_trace_add(cr_trace_t *trace, const char *area, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void cr_trace_addv(cr_trace_t *trace, const char *area, const char *fmt, va_list ap)
	G_GNUC_PRINTF(3, 0);
/* Appends the lines to str, oldest first, one "T_MS trace N lines dropped"
 * line where lines were dropped. */
void cr_trace_dump(cr_trace_t *trace, GString *str);
/* Milliseconds since init, the lines' clock. */
int64_t cr_trace_now_ms(const cr_trace_t *trace);

#endif
