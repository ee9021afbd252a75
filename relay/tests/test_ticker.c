/**
 * @file test_ticker.c  The worker's one timer for all its calls (relay/src/ticker.c)
 *
 * Every call's liveness tick runs on it (the media timeout tests cover that
 * end to end); these check what a call's teardown relies on: each joined
 * handler runs once per period in join order, a handler may end its own
 * call or another during a tick, the timer goes away with the last call,
 * and a tick left after its worker stopped is safe (ASan would report a use
 * after free).
 */
#include <glib.h>
#include <stdint.h>

#include "helpers.h"
#include "test.h"
#include "ticker.h"

int test_ticker_each_call_once_per_period(void);
int test_ticker_leave_inside_a_tick(void);

#define PERIOD_MS 20

typedef struct {
	int calls;
	int order;        /* the walk position of its last call */
	int64_t now;
	cr_tick_t tick;
	cr_tick_t *leave[2]; /* left by this handler on its first call */
} seen_t;

static int walk_pos;

static void on_tick(void *data, int64_t now)
{
	seen_t *s = data;

	s->calls++;
	s->order = walk_pos++;
	s->now = now;
	for (int i = 0; i < 2; i++)
		if (s->leave[i]) {
			cr_ticker_leave(s->leave[i]);
			s->leave[i] = NULL;
		}
}

/* Iterates ctx for ms. */
static void pump_for(GMainContext *ctx, int ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	while (g_get_monotonic_time() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
}

int test_ticker_each_call_once_per_period(void)
{
	int err = 0;
	GMainContext *ctx = g_main_context_new();
	cr_ticker_t *t = cr_ticker_new(ctx, PERIOD_MS);
	seen_t s[3] = { 0 };

	walk_pos = 0;
	/* Nobody joined: no timer on the context. */
	pump_for(ctx, 3 * PERIOD_MS);
	TEST_ASSERT(!g_main_context_pending(ctx));
	for (int i = 0; i < 3; i++)
		cr_ticker_join(t, &s[i].tick, on_tick, &s[i]);
	TEST_EQUALS(3, cr_ticker_count(t));
	PUMP_UNTIL(ctx, s[2].calls >= 1);
	TEST_EQUALS(1, s[0].calls);
	TEST_EQUALS(1, s[1].calls);
	TEST_EQUALS(1, s[2].calls);
	/* One walk, in join order, one clock. */
	TEST_EQUALS(0, s[0].order);
	TEST_EQUALS(1, s[1].order);
	TEST_EQUALS(2, s[2].order);
	TEST_ASSERT(s[0].now == s[2].now);
	PUMP_UNTIL(ctx, s[2].calls >= 3);
	TEST_EQUALS(3, s[0].calls);
	TEST_ASSERT(s[2].now - s[0].now < 1000000); /* same walk as s[0]'s last */
	/* The middle one leaves; the others go on. */
	cr_ticker_leave(&s[1].tick);
	cr_ticker_leave(&s[1].tick); /* twice: no-op */
	TEST_EQUALS(2, cr_ticker_count(t));
	PUMP_UNTIL(ctx, s[2].calls >= 5);
	TEST_EQUALS(3, s[1].calls);
	TEST_EQUALS(5, s[0].calls);
	/* The last ones leave: the timer goes at its next wake-up, and no
	 * handler runs again. */
	cr_ticker_leave(&s[0].tick);
	cr_ticker_leave(&s[2].tick);
	TEST_EQUALS(0, cr_ticker_count(t));
	pump_for(ctx, 3 * PERIOD_MS);
	TEST_ASSERT(!g_main_context_pending(ctx));
	TEST_EQUALS(5, s[0].calls);
	TEST_EQUALS(5, s[2].calls);
	/* A new join brings it back. */
	cr_ticker_join(t, &s[1].tick, on_tick, &s[1]);
	PUMP_UNTIL(ctx, s[1].calls >= 4);
	TEST_EQUALS(4, s[1].calls);
	/* Left after the ticker's worker is gone: still safe. */
	cr_ticker_free(t);
	t = NULL;
	cr_ticker_leave(&s[1].tick);
out:
	for (int i = 0; i < 3; i++)
		cr_ticker_leave(&s[i].tick);
	cr_ticker_free(t);
	g_main_context_unref(ctx);
	return err;
}

int test_ticker_leave_inside_a_tick(void)
{
	int err = 0;
	GMainContext *ctx = g_main_context_new();
	cr_ticker_t *t = cr_ticker_new(ctx, PERIOD_MS);
	seen_t s[4] = { 0 };

	walk_pos = 0;
	for (int i = 0; i < 4; i++)
		cr_ticker_join(t, &s[i].tick, on_tick, &s[i]);
	/* s[1] ends itself and the next one, as a call ending inside its
	 * tick would; s[3] still runs in the same walk. */
	s[1].leave[0] = &s[1].tick;
	s[1].leave[1] = &s[2].tick;
	PUMP_UNTIL(ctx, s[3].calls >= 1);
	TEST_EQUALS(1, s[0].calls);
	TEST_EQUALS(1, s[1].calls);
	TEST_EQUALS(0, s[2].calls);
	TEST_EQUALS(1, s[3].calls);
	TEST_EQUALS(2, cr_ticker_count(t));
	/* The last one of a walk ends everyone left: the timer goes. */
	s[3].leave[0] = &s[0].tick;
	s[3].leave[1] = &s[3].tick;
	PUMP_UNTIL(ctx, s[3].calls >= 2);
	TEST_EQUALS(2, s[3].calls);
	TEST_EQUALS(0, cr_ticker_count(t));
	pump_for(ctx, 3 * PERIOD_MS);
	TEST_ASSERT(!g_main_context_pending(ctx));
	TEST_EQUALS(2, s[0].calls);
	TEST_EQUALS(1, s[1].calls);
out:
	for (int i = 0; i < 4; i++)
		cr_ticker_leave(&s[i].tick);
	cr_ticker_free(t);
	g_main_context_unref(ctx);
	return err;
}
