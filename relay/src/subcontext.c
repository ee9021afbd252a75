/**
 * @file subcontext.c  A GMainContext iterated from inside another, only when it is due
 *
 * See subcontext.h. One GSource on the outer context drives the inner one
 * through GLib's own steps for foreign loops (prepare, query, check,
 * dispatch), split across two dispatches of that source: a dispatch checks
 * and dispatches the inner context with the revents the outer poll saw on
 * the fds of the last query, then prepares and queries it again, and turns
 * the answer into the outer source's fds and ready time. Between two
 * dispatches the inner context is in its "queried" state, which is where
 * GLib's own loop is while it sits in poll().
 */
#include <stdbool.h>
#include <string.h>

#include "subcontext.h"

typedef struct {
	GSource base;
	GMainContext *inner;
	gint max_priority; /* of the last prepare */
	gboolean queried;  /* a query awaits its check */
	GPollFD *fds;      /* the last query's fds, as the outer source watches them */
	gpointer *tags;    /* the outer source's handle of each */
	gint n_fds, cap;
	GPollFD *scratch; /* a query's answer before it is compared */
	gint scratch_cap;
	unsigned long iterations;
} sub_source_t;

struct cr_subcontext {
	GSource *source;
};

/* Turns the last query's fds into the outer source's, touching them only
 * when the set changed (it seldom does: GLib's outer poll list is
 * rebuilt on each change). */
static void watch_fds(sub_source_t *s, gint n)
{
	bool same = n == s->n_fds;

	for (gint i = 0; same && i < n; i++)
		same = s->fds[i].fd == s->scratch[i].fd && s->fds[i].events == s->scratch[i].events;
	if (same)
		return;
	for (gint i = 0; i < s->n_fds; i++)
		g_source_remove_unix_fd(&s->base, s->tags[i]);
	if (n > s->cap) {
		s->cap = n;
		s->fds = g_renew(GPollFD, s->fds, s->cap);
		s->tags = g_renew(gpointer, s->tags, s->cap);
	}
	memcpy(s->fds, s->scratch, sizeof(GPollFD) * (size_t)n);
	s->n_fds = n;
	for (gint i = 0; i < n; i++)
		s->tags[i] = g_source_add_unix_fd(&s->base, s->fds[i].fd, s->fds[i].events);
}

/* Prepares and queries the inner context; sets when the outer source
 * is next due. */
static void prepare_inner(sub_source_t *s)
{
	gint timeout = -1, n;

	g_main_context_prepare(s->inner, &s->max_priority);
	while ((n = g_main_context_query(s->inner, s->max_priority, &timeout, s->scratch,
					 s->scratch_cap)) > s->scratch_cap) {
		s->scratch_cap = n;
		s->scratch = g_renew(GPollFD, s->scratch, s->scratch_cap);
	}
	s->queried = TRUE;
	watch_fds(s, n);
	if (timeout < 0)
		g_source_set_ready_time(&s->base, -1);
	else if (timeout == 0)
		g_source_set_ready_time(&s->base, 0);
	else /* GLib rounded up to whole ms: never due before the inner source */
		g_source_set_ready_time(&s->base, g_get_monotonic_time() + (gint64)timeout * 1000);
}

static gboolean sub_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
	sub_source_t *s = (sub_source_t *)source;

	(void)cb;
	(void)data;
	/* Owned only while it is driven, so GLib never sees two owners. */
	if (!g_main_context_acquire(s->inner))
		return G_SOURCE_CONTINUE;
	if (s->queried) {
		for (gint i = 0; i < s->n_fds; i++)
			s->fds[i].revents = (gushort)g_source_query_unix_fd(source, s->tags[i]);
		s->queried = FALSE;
		if (g_main_context_check(s->inner, s->max_priority, s->fds, s->n_fds))
			g_main_context_dispatch(s->inner);
		s->iterations++;
	}
	prepare_inner(s);
	g_main_context_release(s->inner);
	return G_SOURCE_CONTINUE;
}

static void sub_finalize(GSource *source)
{
	sub_source_t *s = (sub_source_t *)source;

	g_main_context_unref(s->inner);
	g_free(s->fds);
	g_free(s->tags);
	g_free(s->scratch);
}

static GSourceFuncs sub_funcs = { NULL, NULL, sub_dispatch, sub_finalize, NULL, NULL };

cr_subcontext_t *cr_subcontext_new(GMainContext *outer)
{
	cr_subcontext_t *sub = g_new0(cr_subcontext_t, 1);
	sub_source_t *s;

	sub->source = g_source_new(&sub_funcs, sizeof(sub_source_t));
	s = (sub_source_t *)sub->source;
	s->inner = g_main_context_new_with_flags(G_MAIN_CONTEXT_FLAGS_OWNERLESS_POLLING);
	s->scratch_cap = 8;
	s->scratch = g_new(GPollFD, s->scratch_cap);
	g_source_set_name(sub->source, "cr-subcontext");
	g_source_set_priority(sub->source, G_PRIORITY_DEFAULT);
	/* The first dispatch, on the outer thread, makes the first query. */
	g_source_set_ready_time(sub->source, 0);
	g_source_attach(sub->source, outer);
	return sub;
}

GMainContext *cr_subcontext_context(cr_subcontext_t *sub)
{
	return ((sub_source_t *)sub->source)->inner;
}

unsigned long cr_subcontext_iterations(const cr_subcontext_t *sub)
{
	return ((const sub_source_t *)sub->source)->iterations;
}

void cr_subcontext_free(cr_subcontext_t *sub)
{
	if (!sub)
		return;
	g_source_destroy(sub->source);
	g_source_unref(sub->source); /* sub_finalize drops the inner context */
	g_free(sub);
}
