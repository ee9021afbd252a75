/**
 * @file worker.h  Threads that each run one GMainContext (worker.c)
 *
 * Layer 2 (docs/ARCHITECTURE.md): knows GLib only, not calls or the relay;
 * whoever starts a worker says what runs on it before it stops.
 */
#ifndef CR_WORKER_H
#define CR_WORKER_H

#include <glib.h>
#include <stdatomic.h>

#include "poller.h"
#include "subcontext.h"
#include "ticker.h"

typedef void (*cr_worker_fn)(void *data);

typedef struct cr_worker cr_worker_t;
/* Runs on the worker's thread once it is asked to stop, before its loop
 * ends: the owner's last chance to release what lives there. */
typedef void (*cr_worker_stop_fn)(cr_worker_t *worker, void *data);

struct cr_worker {
	int index;
	GMainContext *context;
	GMainLoop *loop;
	GThread *thread;
	cr_poller_t *poller; /* its media sockets, one fd for GLib (poller.h) */
	cr_ticker_t *ticker; /* its calls' 1 s timer, one GSource (ticker.h) */
	/* Where its calls' seldom-firing library timers go (libnice's), one
	 * GSource in `context` iterated only when due (subcontext.h). */
	cr_subcontext_t *timers;
	atomic_int load; /* what the owner placed here (live calls), read by the placing thread */
	cr_worker_stop_fn on_stop;
	void *on_stop_data;
};

/* Starts the thread; on_stop (may be NULL) runs on it at cr_worker_stop().
 * tick_us: its poller's batching tick (cr_poller_new()). */
int cr_worker_start(cr_worker_t *worker, int index, int tick_us, cr_worker_stop_fn on_stop,
		    void *on_stop_data);
/* Runs fn(data) once on the thread that iterates `context` (a worker's or
 * the SIP thread's); destroy(data) after, or when the context goes away
 * with the job still queued. */
void cr_context_post(GMainContext *context, cr_worker_fn fn, void *data, GDestroyNotify destroy);
/* Runs fn(data) on the worker's thread; destroy(data) runs afterwards, or
 * when the worker stops before fn ran. */
void cr_worker_post(cr_worker_t *worker, cr_worker_fn fn, void *data,
		    GDestroyNotify destroy);
/* Runs on_stop on the worker, joins its thread, drops the jobs left. */
void cr_worker_stop(cr_worker_t *worker);

#endif
