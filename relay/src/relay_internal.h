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
	 * it is given (cr_media_env_t.trace, the SIP session's); made at
	 * create, freed with the call. */
	cr_trace_t trace;
	/* SIP leg (relay/src/sip/): the dialog, touched on the SIP thread only. */
	struct cr_sip_session *sip;
	/* The SIP leg's media facts (cr_call_get_sip_media): written on the
	 * SIP thread, read on the controlling thread, under sip_media_lock. */
	GMutex sip_media_lock;
	cr_sip_media_t sip_media;
};

cr_call_t *cr_call_ref(cr_call_t *call);
void cr_call_unref(void *call);
/* Worker-side teardown; idempotent. */
void cr_call_teardown(cr_call_t *call, const char *reason);
/* A worker's stop handler (data: the relay): tears down its live calls. */
void cr_call_teardown_all(cr_worker_t *worker, void *relay);

/* sip/: the SIP leg's hooks into the relay and call lifecycles. */
int cr_sip_ua_start(struct cr_relay *relay, const cr_sip_config_t *config,
		    struct cr_sip_ua **out, char *err_buf);
void cr_sip_ua_stop(struct cr_sip_ua *ua);
/* call.c: the call's trace, for the layer that writes into it. */
cr_trace_t *cr_call_trace(cr_call_t *call);
/* call_sip.c, SIP thread: the facts of the trunk's SDP m (and the chosen
 * codec, or NULL) become the call's cr_sip_media_t. */
struct cr_sdp_media;
void cr_call_set_sip_media(cr_call_t *call, const struct cr_sdp_media *m,
			   const cr_codec_t *chosen, int symmetric_rtp);
/* call_media.c, any thread: the call's own SIP-leg RTP address and port
 * (its media plane's pair); addr "" and port 0 without a media plane. */
void cr_call_own_sip_rtp(cr_call_t *call, char *addr, size_t addr_len, int *port);
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

/* An event onto the relay's queue (event_queue.c):
 * cr_relay_emit(relay, type, call_id, code, value, fmt, ...). */
#define cr_relay_emit(relay, ...) cr_event_queue_emit((relay)->events, __VA_ARGS__)

/* relay.c */
void cr_relay_unref(struct cr_relay *relay);

#endif
