/**
 * @file trace.c  A call's one bounded trace of timestamped facts (trace.h)
 *
 * Written on the call's worker (media) and the SIP thread, read from the
 * controlling thread: one small mutex. Facts are rare (state changes and SIP
 * messages, not packets), so the lock and the allocation of each line at its
 * own length never sit on the per-packet path.
 */
#include <string.h>

#include "trace.h"

#define RING (CR_TRACE_LINES - CR_TRACE_HEAD)

void cr_trace_init(cr_trace_t *t)
{
	g_mutex_init(&t->lock);
	t->t0_us = g_get_monotonic_time();
	t->n_head = t->start = t->n_ring = 0;
	t->bytes = 0;
	t->lost = 0;
	t->lost_at[0] = '\0';
	memset(t->lines, 0, sizeof(t->lines));
}

void cr_trace_clear(cr_trace_t *t)
{
	for (unsigned i = 0; i < CR_TRACE_LINES; i++) {
		g_free(t->lines[i]);
		t->lines[i] = NULL;
	}
	g_mutex_clear(&t->lock);
}

int64_t cr_trace_now_ms(const cr_trace_t *t)
{
	return (g_get_monotonic_time() - t->t0_us) / 1000;
}

/* Drops the ring's oldest line, noting its time for the marker. Locked. */
static void drop_oldest(cr_trace_t *t)
{
	char **slot = &t->lines[CR_TRACE_HEAD + t->start];
	size_t n = strcspn(*slot, " ");

	if (n >= sizeof(t->lost_at))
		n = sizeof(t->lost_at) - 1;
	memcpy(t->lost_at, *slot, n);
	t->lost_at[n] = '\0';
	t->bytes -= strlen(*slot) + 1;
	g_free(*slot);
	*slot = NULL;
	t->start = (t->start + 1) % RING;
	t->n_ring--;
	t->lost++;
}

void cr_trace_addv(cr_trace_t *t, const char *area, const char *fmt, va_list ap)
{
	char msg[CR_TRACE_MSG_LEN], *line;
	int64_t us;
	size_t size;

	if (!t)
		return;
	us = g_get_monotonic_time() - t->t0_us;
	g_vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Milliseconds with microseconds, so lines of both legs sort in true order. */
	line = g_strdup_printf("%" G_GINT64_FORMAT ".%03d %s %s", us / 1000, (int)(us % 1000), area,
			       msg);
	size = strlen(line) + 1;
	g_mutex_lock(&t->lock);
	if (t->n_head < CR_TRACE_HEAD) {
		t->lines[t->n_head++] = line;
	} else {
		/* The kept head holds at most CR_TRACE_HEAD * (CR_TRACE_MSG_LEN +
		 * the time and area) bytes, well under CR_TRACE_MAX_BYTES: an
		 * empty ring always takes the line. */
		while (t->n_ring > 0 && (t->n_ring == RING || t->bytes + size > CR_TRACE_MAX_BYTES))
			drop_oldest(t);
		t->lines[CR_TRACE_HEAD + (t->start + t->n_ring) % RING] = line;
		t->n_ring++;
	}
	t->bytes += size;
	g_mutex_unlock(&t->lock);
}

void cr_trace_add(cr_trace_t *t, const char *area, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cr_trace_addv(t, area, fmt, ap);
	va_end(ap);
}

void cr_trace_dump(cr_trace_t *t, GString *str)
{
	g_mutex_lock(&t->lock);
	for (unsigned i = 0; i < t->n_head; i++) {
		g_string_append(str, t->lines[i]);
		g_string_append_c(str, '\n');
	}
	if (t->lost)
		g_string_append_printf(str, "%s trace %" G_GUINT64_FORMAT " lines dropped here (a trace "
				       "keeps its first %d lines and the newest)\n", t->lost_at, t->lost,
				       CR_TRACE_HEAD);
	for (unsigned i = 0; i < t->n_ring; i++) {
		g_string_append(str, t->lines[CR_TRACE_HEAD + (t->start + i) % RING]);
		g_string_append_c(str, '\n');
	}
	g_mutex_unlock(&t->lock);
}
