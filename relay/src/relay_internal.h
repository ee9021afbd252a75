/**
 * @file relay_internal.h  Private declarations shared by the relay's files
 */
#ifndef CR_RELAY_INTERNAL_H
#define CR_RELAY_INTERNAL_H

#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "callrelay.h"

/* event_queue.c: a bounded multi-producer queue whose eventfd is readable
 * exactly while the queue holds events. */
typedef struct cr_event_queue cr_event_queue_t;

int cr_event_queue_create(size_t capacity, cr_event_queue_t **out);
void cr_event_queue_destroy(cr_event_queue_t *queue);
int cr_event_queue_fd(const cr_event_queue_t *queue);
/* Copies the event; returns CR_ERR_LIMIT (and counts a drop) when full. */
int cr_event_queue_push(cr_event_queue_t *queue, const cr_event_t *event);
int cr_event_queue_pop(cr_event_queue_t *queue, cr_event_t *events, int max);
uint64_t cr_event_queue_dropped(const cr_event_queue_t *queue);

/* worker.c: one thread running one GMainContext. */
typedef struct cr_worker {
	int index;
	GMainContext *context;
	GMainLoop *loop;
	GThread *thread;
	GHashTable *calls; /* call id -> cr_call_t*, touched on the worker only */
	atomic_int load;   /* live calls, read by the placing thread */
	struct cr_relay *relay;
} cr_worker_t;

typedef void (*cr_worker_fn)(void *data);

int cr_worker_start(cr_worker_t *worker, struct cr_relay *relay, int index);
/* Runs fn(data) on the worker's thread; destroy(data) runs afterwards, or
 * when the worker stops before fn ran. */
/* Runs fn(data) once on the thread that iterates `context` (a worker's or
 * the SIP thread's); destroy(data) after, or when the context goes away
 * with the job still queued. */
void cr_context_post(GMainContext *context, cr_worker_fn fn, void *data, GDestroyNotify destroy);
void cr_worker_post(cr_worker_t *worker, cr_worker_fn fn, void *data,
		    GDestroyNotify destroy);
void cr_worker_stop(cr_worker_t *worker);

struct cr_relay {
	atomic_int refs;         /* the owner + one per call handle */
	atomic_bool destroyed;   /* cr_relay_destroy() ran: workers are gone */
	cr_relay_config_t config;
	cr_event_queue_t *events;
	cr_worker_t *workers;
	int n_workers;
	atomic_uint next_call_id;
	atomic_int active_calls;
	atomic_uint_least64_t calls_created;
	atomic_uint_least64_t calls_closed;
	atomic_int transcoded_calls; /* slots taken of config.max_transcoded_calls */
	struct cr_media_relay *media; /* media plane, NULL without config->media */
	struct cr_sip_ua *sip;   /* the SIP user agent, or NULL (relay/src/sip/) */
	/* Descriptors (fd_budget.c): set at create when max_calls is auto. */
	uint64_t fd_limit_was, fd_limit;
	int fds_at_start, fds_per_call;
	atomic_uint_least64_t fd_exhausted;
	atomic_int_least64_t fd_reported_at; /* cr_fd_exhausted_limited's last report */
	atomic_uint_least64_t fd_unreported;
};

/* call.c */
struct cr_call {
	atomic_int refs;     /* the caller's handle + work posted to the worker */
	atomic_bool closing; /* cr_call_close() was called */
	uint32_t id;
	struct cr_relay *relay;
	cr_worker_t *worker;
	gboolean live;       /* worker-side: set up and not yet torn down */
	struct cr_media_call *media; /* media/cr_media_call_t, freed at teardown */
	/* SIP leg (relay/src/sip/): the trace is written on the SIP thread and
	 * read on the controlling thread under sip_lock; `sip` is the dialog,
	 * touched on the SIP thread only. */
	GMutex sip_lock;
	GString *sip_trace;
	gint64 sip_t0;
	struct cr_sip_session *sip;
};

cr_call_t *cr_call_ref(cr_call_t *call);
void cr_call_unref(void *call);
/* Worker-side teardown; idempotent. */
void cr_call_teardown(cr_call_t *call, const char *reason);

/* sip/: the SIP leg's hooks into the relay and call lifecycles. */
int cr_sip_ua_start(struct cr_relay *relay, const cr_sip_config_t *config,
		    struct cr_sip_ua **out, char *err_buf);
void cr_sip_ua_stop(struct cr_sip_ua *ua);
void cr_sip_call_init(cr_call_t *call);
void cr_sip_call_fini(cr_call_t *call);
/* From cr_call_close(): hangs the call's SIP leg up, if any. */
void cr_sip_call_closing(cr_call_t *call);
/* The SIP leg is answered (either way): the client leg's ICE failure
 * clock starts (media/ice_patience.c). No-op without media. */
void cr_media_call_answered(cr_call_t *call);

/* fd_budget.c */
struct cr_media_relay;
/* Descriptors one call of this media plane holds at most. */
int cr_fd_budget_per_call(const struct cr_media_relay *media);
/* Raises the soft RLIMIT_NOFILE to the hard one and sets config.max_calls
 * from the descriptors left. */
void cr_fd_budget_apply(struct cr_relay *relay);
/* Counts and reports errnum when it is EMFILE or ENFILE (true then). */
bool cr_fd_exhausted(struct cr_relay *relay, int errnum, const char *what);
/* The same for what may repeat in a loop (Sofia retrying an accept()):
 * every time counted, reported at most once a second with how many times
 * it happened since the last report. */
bool cr_fd_exhausted_limited(struct cr_relay *relay, int errnum, const char *what);
uint64_t cr_fd_limit_now(void);

/* relay.c */
void cr_relay_emit(struct cr_relay *relay, int type, uint32_t call_id,
		   int32_t code, int32_t value, const char *fmt, ...)
	G_GNUC_PRINTF(6, 7);

void cr_relay_unref(struct cr_relay *relay);

/* Copies a message into an optional CR_MAX_ERROR_LEN buffer; returns err. */
int cr_set_error(char *err_buf, int err, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

#endif
