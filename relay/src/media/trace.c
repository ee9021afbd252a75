/**
 * @file trace.c  Bounded per-call trace of timestamped ICE, DTLS and media facts
 *
 * Written on the call's worker, read from the Lua thread: a small mutex per
 * call guards the ring. Facts are rare (state changes, not packets), so the
 * lock and the allocation of each line at its own length never sit on the
 * per-packet path.
 */
#include <stdarg.h>
#include <string.h>

#include "media.h"

void cr_trace_init(cr_trace_t *t)
{
	g_mutex_init(&t->lock);
	t->t0_us = g_get_monotonic_time();
	t->head = 0;
	t->count = 0;
	t->lost = 0;
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

void cr_trace_add(cr_trace_t *t, const char *area, const char *fmt, ...)
{
	char msg[CR_TRACE_LINE_LEN], line[CR_TRACE_LINE_LEN], *copy, *old;
	int64_t us = g_get_monotonic_time() - t->t0_us;
	va_list ap;

	va_start(ap, fmt);
	g_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Milliseconds with microseconds, so traces merge in true order. */
	g_snprintf(line, sizeof(line), "%" G_GINT64_FORMAT ".%03d %s %s", us / 1000, (int)(us % 1000),
		   area, msg);
	copy = g_strdup(line);
	g_mutex_lock(&t->lock);
	old = t->lines[t->head];
	t->lines[t->head] = copy;
	t->head = (t->head + 1) % CR_TRACE_LINES;
	if (t->count < CR_TRACE_LINES)
		t->count++;
	else
		t->lost++;
	g_mutex_unlock(&t->lock);
	g_free(old);
}

void cr_trace_dump(cr_trace_t *t, GString *str)
{
	g_mutex_lock(&t->lock);
	if (t->lost)
		g_string_append_printf(str, "0 trace %" G_GUINT64_FORMAT " older lines dropped\n",
				       t->lost);
	for (unsigned i = 0; i < t->count; i++) {
		unsigned idx = (t->head + CR_TRACE_LINES - t->count + i) % CR_TRACE_LINES;

		g_string_append(str, t->lines[idx]);
		g_string_append_c(str, '\n');
	}
	g_mutex_unlock(&t->lock);
}
