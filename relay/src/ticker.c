/**
 * @file ticker.c  One 1 s timer per worker for every call on it
 *
 * See ticker.h. The joined handlers are an intrusive doubly linked list;
 * a walk keeps the next one in `cursor`, which cr_ticker_leave() moves on
 * when it unlinks that one, so a handler may end its own call or another.
 * The timeout source exists only while the list is not empty: the first
 * join attaches it, the first wake-up that finds the list empty removes it.
 */
#include "ticker.h"

struct cr_ticker {
	gatomicrefcount refs;
	GMainContext *context; /* NULL once freed: no source any more */
	unsigned period_ms;
	GSource *source;
	cr_tick_t *head, *tail;
	cr_tick_t *cursor; /* the next handler of the walk under way */
	unsigned count;
};

static void ticker_unref(cr_ticker_t *t)
{
	if (g_atomic_ref_count_dec(&t->refs))
		g_free(t);
}

static void drop_source(cr_ticker_t *t)
{
	if (!t->source)
		return;
	g_source_destroy(t->source);
	g_source_unref(t->source);
	t->source = NULL;
}

static gboolean on_period(gpointer p)
{
	cr_ticker_t *t = p;
	int64_t now = g_get_monotonic_time();

	for (cr_tick_t *k = t->head; k; k = t->cursor) {
		t->cursor = k->next;
		k->fn(k->data, now);
	}
	t->cursor = NULL;
	if (t->head)
		return G_SOURCE_CONTINUE;
	/* GLib destroys it on G_SOURCE_REMOVE; our reference goes. */
	g_source_unref(t->source);
	t->source = NULL;
	return G_SOURCE_REMOVE;
}

cr_ticker_t *cr_ticker_new(GMainContext *context, unsigned period_ms)
{
	cr_ticker_t *t = g_new0(cr_ticker_t, 1);

	g_atomic_ref_count_init(&t->refs);
	t->context = g_main_context_ref(context);
	t->period_ms = period_ms;
	return t;
}

void cr_ticker_free(cr_ticker_t *t)
{
	if (!t)
		return;
	drop_source(t);
	g_main_context_unref(t->context);
	t->context = NULL;
	ticker_unref(t);
}

void cr_ticker_join(cr_ticker_t *t, cr_tick_t *tick, cr_tick_fn fn, void *data)
{
	g_return_if_fail(tick->ticker == NULL);
	tick->ticker = t;
	tick->fn = fn;
	tick->data = data;
	tick->next = NULL;
	tick->prev = t->tail;
	if (t->tail)
		t->tail->next = tick;
	else
		t->head = tick;
	t->tail = tick;
	t->count++;
	g_atomic_ref_count_inc(&t->refs);
	if (!t->source && t->context) {
		t->source = g_timeout_source_new(t->period_ms);
		g_source_set_name(t->source, "cr-ticker");
		g_source_set_callback(t->source, on_period, t, NULL);
		g_source_attach(t->source, t->context);
	}
}

void cr_ticker_leave(cr_tick_t *tick)
{
	cr_ticker_t *t = tick->ticker;

	if (!t)
		return;
	if (t->cursor == tick)
		t->cursor = tick->next;
	if (tick->prev)
		tick->prev->next = tick->next;
	else
		t->head = tick->next;
	if (tick->next)
		tick->next->prev = tick->prev;
	else
		t->tail = tick->prev;
	t->count--;
	tick->ticker = NULL;
	tick->prev = tick->next = NULL;
	ticker_unref(t);
}

unsigned cr_ticker_count(const cr_ticker_t *t)
{
	return t->count;
}
