/**
 * @file ticker.h  One 1 s timer per worker for every call on it (ticker.c)
 *
 * Layer 2 (docs/ARCHITECTURE.md): knows GLib only, not calls. A call's
 * once-a-second work (media/liveness.c) joins its worker's ticker instead
 * of attaching a timer of its own: every GSource of a GMainContext is
 * walked at every wake-up of its thread, so a source per call made each
 * wake-up cost grow with the number of calls (docs/PERFORMANCE.md). The
 * ticker is one source while any call is joined, none otherwise; a wake-up
 * calls each joined handler once, in the order they joined.
 *
 * Threading: cr_ticker_join() and cr_ticker_leave() on the thread that
 * iterates the ticker's context (or after that thread ended); the ticker is
 * reference counted, so a tick left after its worker stopped is still safe.
 */
#ifndef CR_TICKER_H
#define CR_TICKER_H

#include <glib.h>
#include <stdint.h>

typedef struct cr_ticker cr_ticker_t;

/* Called once per period with the monotonic time of that wake-up. */
typedef void (*cr_tick_fn)(void *data, int64_t now_us);

/* One joined handler, embedded in its owner (zeroed: not joined). */
typedef struct cr_tick {
	cr_ticker_t *ticker; /* NULL: not joined */
	struct cr_tick *prev, *next;
	cr_tick_fn fn;
	void *data;
} cr_tick_t;

/* A ticker dispatched on context every period_ms while a handler is joined. */
cr_ticker_t *cr_ticker_new(GMainContext *context, unsigned period_ms);
/* Detaches it from its context and drops the creator's reference. NULL-safe. */
void cr_ticker_free(cr_ticker_t *ticker);
/* Joins tick (not joined yet): fn(data, now) once per period from now on. */
void cr_ticker_join(cr_ticker_t *ticker, cr_tick_t *tick, cr_tick_fn fn, void *data);
/* Leaves (a handler may leave during a tick, its own or another's); fn is
 * never called again. No-op when not joined. */
void cr_ticker_leave(cr_tick_t *tick);
/* Handlers joined (a check for tests). */
unsigned cr_ticker_count(const cr_ticker_t *ticker);

#endif
