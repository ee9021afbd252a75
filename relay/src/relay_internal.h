/**
 * @file relay_internal.h  Private declarations shared by the relay's files
 */
#ifndef CR_RELAY_INTERNAL_H
#define CR_RELAY_INTERNAL_H

#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "callrelay.h"
#include "error.h"
#include "event_queue.h"
#include "trace.h"
#include "worker.h"

struct cr_relay {
	atomic_int refs;         /* the owner + one per call handle */
	atomic_bool destroyed;   /* cr_relay_destroy() ran: workers are gone */
	cr_relay_config_t config;
	cr_event_queue_t *events;
	cr_worker_t *workers;
	GHashTable **worker_calls; /* per worker: call id -> cr_call_t*, touched on that worker only */
	int n_workers;
	atomic_uint next_call_id;
	atomic_int active_calls;
	atomic_uint_least64_t calls_created;
	atomic_uint_least64_t calls_closed;
	atomic_int transcoded_calls; /* slots taken of config.max_transcoded_calls */
	struct cr_media_relay *media; /* media plane, NULL without config->media */
	struct cr_sip_ua *sip;   /* the SIP user agent, or NULL (relay/src/sip/) */
	/* call_sip.c: inbound calls the SIP thread made that the plugin has not
	 * taken yet (cr_call_adopt), call id -> cr_call_t* (the handle's
	 * reference); NULL without SIP. */
	GMutex unadopted_lock;
	GHashTable *unadopted;
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
	/* The call's one trace (trace.h, its own lock): its media writes on
	 * the worker, its SIP leg on the SIP thread, each through the pointer
	 * it is given (cr_media_env_t.trace, the SIP leg's); made at create,
	 * freed with the call. The SIP leg itself is sip/'s, found there by
	 * the call's id; it holds a reference on the call as its owner
	 * (call_sip.c's handlers). */
	cr_trace_t trace;
};

cr_call_t *cr_call_ref(cr_call_t *call);
void cr_call_unref(void *call);
/* Worker-side teardown; idempotent. */
void cr_call_teardown(cr_call_t *call, const char *reason);
/* A worker's stop handler (data: the relay): tears down its live calls. */
void cr_call_teardown_all(cr_worker_t *worker, void *relay);

/* call_sip.c: the relay's SIP user agent (relay/src/sip/), started with
 * the handlers through which it reports up; stop hangs up, stops it and
 * closes the inbound calls nobody adopted. */
int cr_call_sip_start(struct cr_relay *relay, const cr_sip_config_t *config, char *err_buf);
void cr_call_sip_stop(struct cr_relay *relay);

/* call.c: the call's trace, for the layer that writes into it. */
cr_trace_t *cr_call_trace(cr_call_t *call);

/* call_media.c */
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

/* An event onto the relay's queue (event_queue.c):
 * cr_relay_emit(relay, type, call_id, code, value, fmt, ...). */
#define cr_relay_emit(relay, ...) cr_event_queue_emit((relay)->events, __VA_ARGS__)

/* The owner's and the call handles' references on the relay struct
 * (inline: call.c drops them, relay.c makes the relay, neither calls the
 * other's file for it). */
static inline void cr_relay_unref(struct cr_relay *relay)
{
	if (relay && atomic_fetch_sub(&relay->refs, 1) == 1)
		g_free(relay);
}

#endif
