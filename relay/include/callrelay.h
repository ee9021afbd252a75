/**
 * @file callrelay.h  libcallrelay: the media and SIP plane of jingle-sip
 *
 * This header is the whole contract between the relay and its users (the
 * Lua binding, the LuaJIT FFI declarations in ffi/callrelay/cdef.lua, and the
 * C tests). It uses plain C types only: no GLib, libnice, OpenSSL or Sofia
 * types leak through it, so `ffi.cdef` can read the declarations between the
 * CR_CDEF_BEGIN and CR_CDEF_END markers verbatim.
 *
 * Threading: every function is safe to call from one controlling thread (the
 * Lua thread) and never blocks on the network. Work is posted to the relay's
 * worker threads; results come back as events on one queue per relay whose
 * readiness is a pollable file descriptor (cr_relay_event_fd()).
 */
#ifndef CALLRELAY_H
#define CALLRELAY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CR_EXPORT __attribute__((visibility("default")))
#else
#define CR_EXPORT
#endif

#define CR_VERSION_MAJOR 0
#define CR_VERSION_MINOR 1
#define CR_VERSION_PATCH 0

/* CR_CDEF_BEGIN */

/* Error codes: 0 is success, every failure is negative. */
enum {
	CR_OK = 0,
	CR_ERR_INVALID = -1,  /* bad argument or configuration */
	CR_ERR_NOMEM = -2,    /* out of memory */
	CR_ERR_PORTS = -3,    /* no free port in the configured range */
	CR_ERR_CLOSED = -4,   /* the object is closing or closed */
	CR_ERR_LIMIT = -5,    /* a configured maximum was reached */
	CR_ERR_INTERNAL = -6, /* a library or system call failed */
	CR_ERR_NOTFOUND = -7, /* no such call */
	CR_ERR_UNSUPPORTED = -8 /* the call did not negotiate what this needs */
};

/* Sizes of caller-visible text buffers, terminating NUL included. */
enum {
	CR_MAX_ERROR_LEN = 256,
	CR_MAX_EVENT_TEXT_LEN = 2048
};

/* Event types delivered by cr_relay_poll_events(). */
enum {
	CR_EVENT_NONE = 0,
	CR_EVENT_CALL_READY = 1,  /* the call exists on its worker; value = worker index */
	CR_EVENT_CALL_CLOSED = 2, /* the call's media is freed and its SIP leg hung up (a BYE or
				   * CANCEL may still finish, unreported): the last event
				   * about the call; text = reason */
	CR_EVENT_ERROR = 3        /* a failure not tied to a call; text = message */
};

typedef struct cr_relay cr_relay_t;
typedef struct cr_call cr_call_t;

/* Relay configuration. Initialise with cr_relay_config_init(), then set. */
typedef struct cr_relay_config {
	int workers;     /* worker threads; 0 = one per online core */
	int max_calls;   /* concurrent calls; 0 = unlimited; -1 = auto: the soft
			  * RLIMIT_NOFILE is raised to the hard limit and half the
			  * descriptors left, divided by those a call holds
			  * (fds_per_call), and at most one per SIP-leg port pair */
	int event_queue; /* events kept before new ones are dropped (counted); 0 = 65536 */
	const struct cr_media_config *media; /* media plane; NULL = calls without media */
	const struct cr_sip_config *sip; /* SIP user agent toward the trunk; NULL = none */
	int max_transcoded_calls; /* calls transcoded at once (cr_call_set_transcode()):
				   * 0 = transcoding off (GStreamer never loaded),
				   * -1 = no limit, N > 0 = at most N */
	int media_tick_us; /* 0 = off; 1-1000: a worker whose wake-up found several media
			    * sockets ready looks again this long after that wake-up
			    * began, so one wake-up serves many calls (a packet waits up
			    * to about this much longer) */
} cr_relay_config_t;

/* One event. Plain data: copy what you need before the next poll. */
typedef struct cr_event {
	int type;        /* CR_EVENT_* */
	uint32_t call_id;/* 0 when not about a call */
	int64_t time_us; /* monotonic time the event was raised, microseconds */
	int32_t code;    /* meaning depends on type */
	int32_t value;   /* meaning depends on type */
	char text[CR_MAX_EVENT_TEXT_LEN];
} cr_event_t;

/* Relay-wide counters, copied out by cr_relay_get_stats(). */
typedef struct cr_relay_stats {
	uint32_t workers;
	uint32_t active_calls;
	uint64_t calls_created;
	uint64_t calls_closed;
	uint64_t events_dropped; /* queue full: the consumer is not draining */
	uint32_t transcoded_calls; /* calls holding a transcoding slot */
	uint32_t max_calls;      /* the limit in force (derived when configured -1) */
	uint32_t fds_per_call;   /* descriptors one call holds at most */
	uint64_t fd_limit_was;   /* soft RLIMIT_NOFILE found at create */
	uint64_t fd_limit;       /* soft RLIMIT_NOFILE after (raised with max_calls -1) */
	uint32_t fds_at_start;   /* descriptors open when the limit was derived (0: not) */
	uint64_t fd_exhausted;   /* EMFILE/ENFILE met (each also a CR_EVENT_ERROR) */
} cr_relay_stats_t;

/**
 * The library version as "MAJOR.MINOR.PATCH".
 * @return a static string
 */
CR_EXPORT const char *cr_version(void);

/**
 * A fixed English description of an error code.
 * @param err a CR_ERR_* value
 * @return a static string
 */
CR_EXPORT const char *cr_error_to_string(int err);

/**
 * The short name of an error code, the one Lua callers see as the third
 * value of a failure: "invalid", "nomem", "ports", "closed", "limit",
 * "internal", "notfound", "unsupported" ("ok" for CR_OK).
 * @param err a CR_ERR_* value
 * @return a static string; "unknown" for any other value
 */
CR_EXPORT const char *cr_error_name(int err);

/**
 * The name of an event type, as the Lua API shows it: the CR_EVENT_*
 * constant's name without the prefix, in lower case ("call_ready",
 * "local_candidate", "sip_incoming", ...).
 * @param type a CR_EVENT_* value
 * @return a static string, or NULL for a value that is no event type
 */
CR_EXPORT const char *cr_event_type_to_string(int type);

/**
 * Fill a configuration with defaults.
 * @param config the configuration to initialise
 */
CR_EXPORT void cr_relay_config_init(cr_relay_config_t *config);

/**
 * Create a relay and start its worker threads.
 * @param config configuration, or NULL for defaults
 * @param out receives the relay
 * @param err_buf optional buffer of CR_MAX_ERROR_LEN for a readable message
 * @return 0 if success, otherwise a CR_ERR_* code
 */
CR_EXPORT int cr_relay_create(const cr_relay_config_t *config, cr_relay_t **out,
			      char *err_buf);

/**
 * Stop every call, join the worker threads and free the relay. Calls that
 * were not closed are closed here; their handles must not be used after.
 * @param relay the relay, or NULL
 */
CR_EXPORT void cr_relay_destroy(cr_relay_t *relay);

/**
 * The descriptor that becomes readable while events are queued. Poll it,
 * then drain with cr_relay_poll_events() until it returns 0.
 * @param relay the relay
 * @return a file descriptor owned by the relay
 */
CR_EXPORT int cr_relay_event_fd(const cr_relay_t *relay);

/**
 * Take up to max queued events, oldest first. Never blocks.
 * @param relay the relay
 * @param events caller-owned array of max events
 * @param max size of the array
 * @return the number of events written (0 when the queue is empty)
 */
CR_EXPORT int cr_relay_poll_events(cr_relay_t *relay, cr_event_t *events, int max);

/**
 * Copy the relay-wide counters.
 * @param relay the relay
 * @param stats receives the counters
 */
CR_EXPORT void cr_relay_get_stats(cr_relay_t *relay, cr_relay_stats_t *stats);

/* Sizes shared by both legs' media descriptions. */
enum {
	CR_MAX_ADDR_LEN = 64,
	CR_MAX_CODECS = 16,
	CR_MAX_CODEC_NAME_LEN = 32,
	CR_MAX_DIRECTION_LEN = 12  /* "sendrecv", "sendonly", "recvonly", "inactive" */
};

/* One codec of one leg: an RTP payload type and what it carries. The one
 * codec type of the API: SIP codec lists (cr_sip_dial_params_t,
 * cr_sip_answer_params_t, cr_sip_media_t) and transcoding
 * (cr_call_set_transcode()). */
typedef struct cr_codec {
	int pt;         /* payload type on that leg, 0..127 */
	char name[CR_MAX_CODEC_NAME_LEN]; /* "opus", "PCMU", "PCMA", "G722", "telephone-event", ... */
	int clock_rate; /* RTP clock rate: 48000 for opus, 8000 for the others (G722 too) */
	int channels;   /* 0 is taken as 1 */
} cr_codec_t;

/* ---- SIP leg: a SIP user agent toward the trunk (Sofia-SIP NUA) ----------
 *
 * The relay runs one SIP user agent per relay on its own thread when
 * cr_relay_config_t.sip is set. Calls toward the trunk are dialled on a call
 * made with cr_call_create(); calls from the trunk arrive as
 * CR_EVENT_SIP_INCOMING about a call the relay made, which the plugin takes
 * with cr_call_adopt(). Closing a call hangs its SIP leg up (CANCEL before
 * the answer, BYE after, or a 480 to an unanswered inbound INVITE).
 *
 * The media facts of the SIP leg (the trunk's address, port, codecs, the
 * chosen codec, telephone-event, ptime, direction) are read with
 * cr_call_get_sip_media() as a cr_sip_media_t. Events that change them
 * (SIP_INCOMING, SIP_EARLY_MEDIA, SIP_ANSWERED, SIP_MEDIA_CHANGED) also carry
 * them as `key=value` text, for logs and traces only:
 *   address=IP        the trunk's RTP address (from its SDP c= line)
 *   port=N            the trunk's RTP port (0 = stream refused)
 *   codec=NAME        chosen codec (PCMU, PCMA, G722, opus, ...)
 *   clock=N           its RTP clock rate
 *   channels=N        its channels
 *   pt=N              its payload type on the SIP leg
 *   dtmf_pt=N         telephone-event payload type, or -1 when not offered
 *   ptime=N           packet time in ms (20 when the SDP has none)
 *   direction=D       the trunk's direction attribute: sendrecv, sendonly,
 *                     recvonly or inactive (sendonly/inactive = hold)
 *   symmetric_rtp=0|1 the configured latching policy for this call
 *   codecs=LIST       (offers only) every offered codec as NAME/clock/pt,...
 */

/* The SIP leg's media facts as the trunk's last SDP gave them, copied out
 * by cr_call_get_sip_media(). */
typedef struct cr_sip_media {
	uint32_t seq;        /* 0: no SDP from the trunk yet; counts the updates */
	char address[CR_MAX_ADDR_LEN]; /* the trunk's RTP address (its c= line) */
	int port;            /* the trunk's RTP port; 0 = stream refused */
	int ptime;           /* ms (20 when the SDP has none) */
	int dtmf_pt;         /* the trunk's telephone-event payload type, -1 = none */
	char direction[CR_MAX_DIRECTION_LEN]; /* the trunk's: sendrecv, sendonly,
				* recvonly or inactive (sendonly/inactive = hold) */
	int symmetric_rtp;   /* the configured latching policy (cr_sip_config_t) */
	int has_chosen;      /* 1 when `chosen` is set: the codec of an answer
			      * (ours inbound, the trunk's outbound) */
	cr_codec_t chosen;   /* the codec in use, in the trunk's payload type */
	int n_codecs;
	cr_codec_t codecs[CR_MAX_CODECS]; /* every codec of the trunk's SDP, its order
					   * (telephone-event not included) */
} cr_sip_media_t;

/* SIP event types, values 50..99. */
enum {
	CR_EVENT_SIP_INCOMING = 50,      /* INVITE from the trunk made call call_id (take it with
					  * cr_call_adopt()); text = caller=, called=, from=, to=,
					  * then the offer's media lines; the offer itself:
					  * cr_call_get_sip_media() */
	CR_EVENT_SIP_TRYING = 51,        /* outbound: 100 Trying; code = 100 */
	CR_EVENT_SIP_RINGING = 52,       /* outbound: 180/181/182 without SDP; code = status,
					  * text = reason phrase */
	CR_EVENT_SIP_EARLY_MEDIA = 53,   /* outbound: 18x with SDP; code = status, text = media */
	CR_EVENT_SIP_ANSWERED = 54,      /* the call is up: outbound 200 received, or inbound ACK
					  * received after cr_sip_answer(); code = 200,
					  * text = media (the trunk's address, the chosen codec) */
	CR_EVENT_SIP_FAILED = 55,        /* outbound call failed; code = final status (or 0 when
					  * no response came), text = reason phrase; 488 when the
					  * trunk's 18x/200 SDP failed our check (we sent CANCEL
					  * or BYE), text = "SDP ... refused: <why>" */
	CR_EVENT_SIP_HANGUP = 56,        /* the trunk ended the call: code = 200 for BYE, 487 for
					  * CANCEL, 408 for a session timer expiry or dead
					  * dialog; text = BYE, CANCEL or the reason. 488: an
					  * answer in the dialog (2xx to our re-INVITE, ACK)
					  * failed our SDP check and we sent BYE */
	CR_EVENT_SIP_MEDIA_CHANGED = 57, /* re-INVITE or UPDATE from the trunk changed the media
					  * (hold, resume, codec, address); text = media */
	CR_EVENT_SIP_ENDED = 58,         /* a hang-up of ours finished (cr_sip_hangup,
					  * cr_sip_reject, cr_call_close, relay destroy); code =
					  * the BYE's final status, 487 for a CANCELled INVITE,
					  * or the status we rejected with */
	CR_EVENT_SIP_REGISTERED = 59,    /* REGISTER result; code = status (200 = registered),
					  * value = granted expiry in seconds, text = reason */
	CR_EVENT_SIP_TRUNK_STATE = 60    /* OPTIONS health check result changed; code = status
					  * (0 = no answer), value = 1 up / 0 down */
};

/* Limits of SIP text fields, terminating NUL included. */
enum {
	CR_SIP_MAX_URI_LEN = 512,
	CR_SIP_MAX_TRACE_LINE = 512,
	CR_SIP_MAX_SOURCES = 64,       /* entries of trusted_sources */
	CR_SIP_MAX_SOURCES_LEN = 1024, /* cr_sip_stats_t.trusted_sources */
	CR_SIP_DEFAULT_INVITE_RATE = 10
};

/* SIP user agent configuration. Initialise with cr_sip_config_init(). Every
 * string is copied at cr_relay_create(), which checks them all. */
typedef struct cr_sip_config {
	const char *listen_uri;   /* UDP+TCP listen address, e.g. "sip:127.0.0.1:5060";
				   * ";transport=udp" or ";transport=tcp" for one only */
	const char *tls_listen_uri; /* TLS listen address "sips:IP:PORT", or NULL */
	const char *tls_cert_dir; /* directory holding agent.pem (cert + key) and
				   * cafile.pem; required with tls_listen_uri */
	const char *trunk_uri;    /* the trunk, e.g. "sip:trunk.example.net" or
				   * "sip:10.0.0.1:5060;transport=tcp"; dialled numbers
				   * become sip:NUMBER@ its host part */
	const char *outbound_proxy; /* next hop for every request, or NULL for the trunk
				     * itself (names resolved per RFC 3263) */
	const char *username;     /* digest user name and From user, or NULL */
	const char *password;     /* digest password, or NULL */
	const char *from_domain;  /* host of our From URI; NULL = the trunk's host */
	int register_expires;     /* > 0: REGISTER to the trunk with this expiry and
				   * keep refreshing it; 0 = no REGISTER */
	const char *user_agent;   /* User-Agent header; NULL = "jingle-sip" */
	int options_interval;     /* seconds between OPTIONS health checks to the
				   * trunk; 0 = none */
	int session_expires;      /* RFC 4028 session interval we ask for; 0 = 1800,
				   * -1 = no session timer */
	int symmetric_rtp;        /* 1 = latch onto the address the trunk sends RTP
				   * from (reported in media text); 0 = SDP only */
	const char *trusted_sources; /* who may send SIP: comma-separated IPs or CIDRs,
				   * IPv4 and IPv6 (at most CR_SIP_MAX_SOURCES); NULL =
				   * every address the hosts of trunk_uri and
				   * outbound_proxy resolve to at cr_relay_create().
				   * INVITEs and UPDATEs from elsewhere get 403 */
	int source_filter;        /* 0 = a kernel socket filter (BPF) on Sofia's UDP and
				   * TCP listen sockets drops packets from outside
				   * trusted_sources before Sofia reads them; -1 = no
				   * filter (firewall instead; strangers then get 403) */
	int invite_rate;          /* new INVITEs a second from one source address, in
				   * bursts of twice that; more get 503 before a call
				   * exists. 0 = CR_SIP_DEFAULT_INVITE_RATE, -1 = no limit */
} cr_sip_config_t;

/* Parameters of an outbound call. */
typedef struct cr_sip_dial_params {
	const char *number;       /* user part dialled at the trunk (required) */
	const char *caller_id;    /* From user part; NULL = the configured username */
	const char *display_name; /* From display name, or NULL */
	const cr_codec_t *codecs; /* what we offer, first preferred; NULL (n_codecs 0) =
				   * PCMU, PCMA. pt < 0: our usual number for that
				   * name (PCMU 0, PCMA 8, G722 9, opus 111) */
	size_t n_codecs;          /* 0..CR_MAX_CODECS */
	const char *local_rtp_address; /* our SIP-leg RTP address; NULL = the call's own
					* (cr_media_local_t.sip_rtp_addr; required
					* without a media plane) */
	int local_rtp_port;       /* our SIP-leg RTP port (even); 0 = the call's own */
	int ptime;                /* ms; 0 = 20 */
	int telephone_event;      /* 1 = offer telephone-event (RFC 4733) */
} cr_sip_dial_params_t;

/* Parameters of an answer to an inbound call. */
typedef struct cr_sip_answer_params {
	const cr_codec_t *codecs; /* our preferences, first preferred: the first one the
				   * trunk offered wins (matched by name and clock
				   * rate; the offer's payload type is kept). NULL (n_codecs
				   * 0) = PCMU, PCMA */
	size_t n_codecs;          /* 0..CR_MAX_CODECS */
	const char *local_rtp_address; /* NULL = the call's own (as for dialling) */
	int local_rtp_port;       /* even; 0 = the call's own */
	int ptime;                /* 0 = 20 */
	int telephone_event;      /* 1 = accept telephone-event if offered */
} cr_sip_answer_params_t;

/* SIP counters, copied out by cr_relay_get_sip_stats(). */
typedef struct cr_sip_stats {
	uint64_t invites_sent;
	uint64_t invites_received;
	uint64_t invites_rejected_limit; /* answered 503: max_calls reached */
	uint64_t options_sent;
	uint64_t options_ok;             /* answered 2xx */
	int32_t trunk_up;                /* 1 = last OPTIONS answered, 0 = not, -1 = unknown */
	int32_t last_options_status;     /* 0 = timeout / not sent */
	int32_t last_options_rtt_ms;
	int32_t registered;              /* 1 = REGISTER succeeded and is refreshed */
	uint64_t sdp_rejected;           /* SDP bodies refused by our check before parsing:
					    488 to an offer, the call ended for an answer */
	uint64_t requests_untrusted;     /* answered 403: from outside trusted_sources */
	uint64_t invites_rejected_rate;  /* answered 503: the source passed invite_rate (in invites_received too) */
	uint64_t filter_drops;           /* packets the kernel dropped on the filtered SIP
					  * sockets: the source filter (or a full buffer) */
	int32_t filtered_sockets;        /* SIP sockets carrying the source filter; 0 = none */
	char trusted_sources[CR_SIP_MAX_SOURCES_LEN]; /* in force: "IP/PREFIX,..." */
} cr_sip_stats_t;

/**
 * Fill a SIP configuration with defaults (every string NULL).
 * @param config the configuration to initialise
 */
CR_EXPORT void cr_sip_config_init(cr_sip_config_t *config);

/** Zero a dial parameter block (telephone_event defaults to 1). */
CR_EXPORT void cr_sip_dial_params_init(cr_sip_dial_params_t *params);

/** Zero an answer parameter block (telephone_event defaults to 1). */
CR_EXPORT void cr_sip_answer_params_init(cr_sip_answer_params_t *params);

/**
 * Copy the SIP counters of a relay (all zero without SIP).
 * @param relay the relay
 * @param stats receives the counters
 */
CR_EXPORT void cr_relay_get_sip_stats(cr_relay_t *relay, cr_sip_stats_t *stats);

/**
 * Take the handle of a call the relay made for an inbound INVITE
 * (CR_EVENT_SIP_INCOMING). The handle is then the caller's, as if made by
 * cr_call_create(); an inbound call not adopted is closed by the relay when
 * the trunk gives up.
 * @param relay the relay
 * @param call_id the event's call_id
 * @param out receives the call handle
 * @return 0 if success, CR_ERR_NOTFOUND when no such call waits
 */
CR_EXPORT int cr_call_adopt(cr_relay_t *relay, uint32_t call_id, cr_call_t **out);

/**
 * Send an INVITE with an SDP offer toward the trunk. Progress comes back as
 * CR_EVENT_SIP_* events about the call.
 * @param call a call made by cr_call_create(), not yet dialled
 * @param params the number, caller ID, codecs and our SIP-leg RTP address
 * @param err_buf optional buffer of CR_MAX_ERROR_LEN for a readable message
 * @return 0 if success, CR_ERR_INVALID for bad parameters or no SIP configured
 */
CR_EXPORT int cr_sip_dial(cr_call_t *call, const cr_sip_dial_params_t *params,
			  char *err_buf);

/**
 * Answer an inbound call with 180 Ringing.
 * @param call an adopted inbound call
 * @return 0 if success (posted), otherwise a CR_ERR_* code
 */
CR_EXPORT int cr_sip_ringing(cr_call_t *call);

/**
 * Accept an inbound call: 200 OK with our SDP answer. CR_EVENT_SIP_ANSWERED
 * follows when the trunk's ACK arrives; CR_EVENT_SIP_FAILED (code 488) when
 * no offered codec is in params->codecs.
 * @param call an adopted inbound call
 * @param params our codecs and SIP-leg RTP address
 * @param err_buf optional buffer of CR_MAX_ERROR_LEN for a readable message
 * @return 0 if success (posted), otherwise a CR_ERR_* code
 */
CR_EXPORT int cr_sip_answer(cr_call_t *call, const cr_sip_answer_params_t *params,
			    char *err_buf);

/**
 * Reject an inbound call with a final status (e.g. 404, 486, 480, 403, 603).
 * CR_EVENT_SIP_ENDED follows.
 * @param call an adopted inbound call
 * @param status a final SIP status code, 300..699
 * @return 0 if success (posted), otherwise a CR_ERR_* code
 */
CR_EXPORT int cr_sip_reject(cr_call_t *call, int status);

/**
 * Hang the SIP leg up and keep the call: CANCEL before an outbound answer,
 * BYE after, 480 to an unanswered inbound call. CR_EVENT_SIP_ENDED follows.
 * @param call the call
 * @return 0 if success (posted), otherwise a CR_ERR_* code
 */
CR_EXPORT int cr_sip_hangup(cr_call_t *call);

enum { CR_MAX_SIP_REASON_LEN = 160 };

/**
 * cr_sip_hangup() that says why: the BYE (or CANCEL, or 480) carries an
 * RFC 3326 header `Reason: Q.850;cause=CAUSE;text="TEXT"` (quotes,
 * backslashes and non-printable bytes of text are left out).
 * @param call the call
 * @param q850_cause ITU-T Q.850 cause, 1..127 (16: normal clearing)
 * @param text why, at most CR_MAX_SIP_REASON_LEN bytes
 * @return 0 if success (posted), otherwise a CR_ERR_* code (CR_ERR_INVALID for a bad cause or text)
 */
CR_EXPORT int cr_sip_hangup_reason(cr_call_t *call, int q850_cause, const char *text);

/**
 * Put the trunk on hold or take it off: a re-INVITE offering the codec in use
 * with a=sendonly (hold) or a=sendrecv (resume). Only on an established
 * dialog; the trunk's answer arrives as CR_EVENT_SIP_MEDIA_CHANGED when it
 * changes anything, and while held, offers from the trunk are answered
 * sendonly/inactive.
 * @param call an answered call
 * @param hold 1 = hold, 0 = resume
 * @return 0 if success (posted), otherwise a CR_ERR_* code. A dialog not yet
 *         (or no longer) established is known on the SIP thread only: the
 *         request is then ignored with a line in the call's trace.
 */
CR_EXPORT int cr_sip_hold(cr_call_t *call, int hold);


/**
 * Copy the SIP leg's media facts: the trunk's address and port, the codecs
 * its last SDP listed (an inbound call's offer: readable at once after
 * CR_EVENT_SIP_INCOMING), the chosen codec, its telephone-event, ptime and
 * direction. They are stored before the event that reports them is queued,
 * and are the latest the SIP leg knows: read after an older event, they may
 * already be a later SDP's (seq counts the SDPs).
 * @param call the call
 * @param out receives the facts (out->seq 0: no SDP from the trunk yet)
 * @return 0 if success, CR_ERR_INVALID for a NULL argument
 */
CR_EXPORT int cr_call_get_sip_media(cr_call_t *call, cr_sip_media_t *out);

/**
 * Create a call on the least loaded worker. CR_EVENT_CALL_READY follows.
 * @param relay the relay
 * @param out receives the call handle, owned by the caller until cr_call_close()
 * @param err_buf optional buffer of CR_MAX_ERROR_LEN for a readable message
 * @return 0 if success, otherwise a CR_ERR_* code (CR_ERR_LIMIT past max_calls)
 */
CR_EXPORT int cr_call_create(cr_relay_t *relay, cr_call_t **out, char *err_buf);

/**
 * The call's identifier, unique within its relay, as used in events.
 * @param call the call
 * @return a non-zero identifier
 */
CR_EXPORT uint32_t cr_call_id(const cr_call_t *call);

/**
 * Close a call: its resources are freed on its worker and
 * CR_EVENT_CALL_CLOSED follows with the reason. The handle is invalid after.
 * @param call the call, or NULL
 * @param reason a short reason kept in the trace and the event, or NULL
 */
CR_EXPORT void cr_call_close(cr_call_t *call, const char *reason);

/* ---- Media plane: client leg (ICE, DTLS-SRTP), SIP leg (RTP), forwarding ----
 *
 * A relay created with a media configuration gives every call, at
 * cr_call_create(), a SIP-leg RTP/RTCP port pair and local ICE credentials;
 * cr_call_get_media_local() returns them (and the relay's DTLS fingerprint)
 * at once. cr_call_media_start() then starts the client leg on the call's
 * worker. Remote candidates, credentials and the fingerprint may come before
 * or after it; they are applied in the order given.
 */

enum {
	/* RFC 8839 §5.4: ice-ufrag 4..256 and ice-pwd 22..256 ice-chars; the
	 * buffers hold 256 and the NUL (libnice's own limit is the same). */
	CR_MAX_UFRAG_LEN = 257,
	CR_MAX_PWD_LEN = 257,
	/* "sha-512 " + 64 colon-separated hex pairs (RFC 8122 §5) + NUL = 200 */
	CR_MAX_FINGERPRINT_LEN = 208,
	/* RFC 8839 §5.1: a candidate foundation is 1..32 ice-chars (+ NUL). */
	CR_MAX_FOUNDATION_LEN = 33,
	CR_MAX_PAIR_LEN = 160,
	CR_MAX_REMOTE_CANDIDATES = 64 /* per call and ICE restart; more are dropped (counted) */
};

/* Media event types (cr_event_t.type). */
enum {
	CR_EVENT_LOCAL_CANDIDATE = 10, /* value = component; text = "candidate:..." (SDP a= value, with rel-addr/rel-port on srflx/relay) */
	CR_EVENT_GATHERING_DONE = 11,  /* our candidates are all out (send end-of-candidates) */
	CR_EVENT_ICE_STATE = 12,       /* code = CR_ICE_*; value = component; text = state name */
	CR_EVENT_SELECTED_PAIR = 13,   /* value = component; text = "local=TYPE ADDR:PORT remote=TYPE ADDR:PORT" */
	CR_EVENT_DTLS_CONNECTED = 14,  /* text = "role=client|server profile=NAME" (SRTP keys installed) */
	CR_EVENT_DTLS_FAILED = 15,     /* code = CR_DTLS_FAIL_*; text = reason; the call carries no media */
	CR_EVENT_FIRST_MEDIA = 16,     /* code = CR_DIR_*: the first packet forwarded that way */
	CR_EVENT_MEDIA_TIMEOUT = 17,   /* value = seconds without media; code 0: no authenticated media from the
					* client; code CR_DIR_SIP_TO_CLIENT: no RTP from the trunk while watched
					* (cr_call_watch_sip_media) */
	CR_EVENT_DTMF = 18,            /* code = CR_DIR_*; value = duration in ms; text = "digit=D event=N duration_ms=MS"
					* (+ " sent=1" for a digit of cr_call_send_dtmf(), reported when its end went out;
					* sip->client digits are reported as they come from the trunk) */
	CR_EVENT_ICE_RESTARTED = 19,   /* text = "ufrag=U pwd=P" (new local credentials, also returned by cr_call_ice_restart) */
	CR_EVENT_MEDIA_ERROR = 20,     /* code = CR_ERR_*; text = what failed (gathering, bad candidate, ...) */
	CR_EVENT_ICE_FAILED = 21       /* once: the client leg's ICE gave no sign of life (no answered
					* check, no media) for media_timeout_ms after the answer;
					* value = seconds; text says how long. The call carries no
					* media; the relay does not close it itself */
};

/* ICE component states (CR_EVENT_ICE_STATE code), libnice's order. */
enum {
	CR_ICE_DISCONNECTED = 0,
	CR_ICE_GATHERING = 1,
	CR_ICE_CONNECTING = 2,
	CR_ICE_CONNECTED = 3,
	CR_ICE_READY = 4,
	CR_ICE_FAILED = 5
};

/* Our DTLS role as negotiated (setup=active: we are the DTLS client). */
enum {
	CR_DTLS_ACTIVE = 1,
	CR_DTLS_PASSIVE = 2
};

/* Why DTLS failed (CR_EVENT_DTLS_FAILED code). */
enum {
	CR_DTLS_FAIL_HANDSHAKE = 1,   /* alert, bad record or timeout in the handshake */
	CR_DTLS_FAIL_FINGERPRINT = 2, /* the peer's certificate does not match the signaled fingerprint */
	CR_DTLS_FAIL_SRTP = 3         /* no common SRTP profile or key setup failed */
};

/* Media directions (CR_EVENT_FIRST_MEDIA and CR_EVENT_DTMF code). */
enum {
	CR_DIR_CLIENT_TO_SIP = 1,
	CR_DIR_SIP_TO_CLIENT = 2
};

/* Relay-wide media configuration. Initialise with cr_media_config_init().
 * Strings are copied at cr_relay_create(). */
typedef struct cr_media_config {
	const char *ice_addresses;   /* comma-separated local IPs for host candidates (IPv4/IPv6); NULL = every interface */
	int ice_port_min;            /* host candidate port range; 0/0 = any */
	int ice_port_max;
	const char *stun_server;     /* IP of a STUN server for srflx candidates, or NULL */
	int stun_port;               /* 0 = 3478 */
	const char *turn_server;     /* IP of a TURN server (UDP) for relay candidates, or NULL */
	int turn_port;               /* 0 = 3478 */
	const char *turn_username;
	const char *turn_password;
	const char *sip_rtp_address; /* local IP of the SIP leg's RTP sockets; required */
	int sip_port_min;            /* SIP-leg RTP range (even RTP port, RTCP = RTP + 1) */
	int sip_port_max;
	const char *certificate_file;/* PEM certificate, or NULL to generate ECDSA P-256 */
	const char *private_key_file;/* PEM key of certificate_file */
	int media_timeout_ms;        /* no media from the client this long -> CR_EVENT_MEDIA_TIMEOUT, no sign
				      * of ICE life this long after the answer -> CR_EVENT_ICE_FAILED; 0 = 30000 */
	int sip_media_timeout_ms;    /* no RTP from the trunk this long while watched -> CR_EVENT_MEDIA_TIMEOUT
				      * code CR_DIR_SIP_TO_CLIENT; 0 = 60000 */
} cr_media_config_t;

/* One codec both legs carry (matched by name/clock rate/channels): the SIP
 * leg's codec, and the client leg's number for the same. */
typedef struct cr_codec_map {
	int client_pt;  /* payload type on the client leg; -1: the SIP leg only (a
			 * telephone-event the client lacks: cr_call_send_dtmf()
			 * uses it, the trunk's digits are reported, not forwarded) */
	cr_codec_t sip; /* the codec ("opus", "PCMU", "telephone-event", ...) with
			 * its payload type on the SIP leg (sip.pt) */
} cr_codec_map_t;

/* What the signaling negotiated for a call. Initialise with
 * cr_media_params_init(). Empty strings mean "comes later". */
typedef struct cr_media_params {
	int ice_controlling;    /* 1 when we initiated (inbound calls), 0 when the client did */
	int rtcp_mux;           /* 1 when rtcp-mux was negotiated: one component */
	int dtls_role;          /* CR_DTLS_ACTIVE or CR_DTLS_PASSIVE */
	char remote_ufrag[CR_MAX_UFRAG_LEN];
	char remote_pwd[CR_MAX_PWD_LEN];
	char remote_fingerprint[CR_MAX_FINGERPRINT_LEN]; /* "sha-256 AB:CD:..." */
	char sip_remote_addr[CR_MAX_ADDR_LEN]; /* trunk RTP address from its SDP */
	int sip_remote_port;
	int sip_remote_rtcp_port; /* 0 = sip_remote_port + 1 */
	int sip_latch;          /* 1: follow the trunk's real RTP source (same IP as the SDP or sip_latch_addr) */
	char sip_latch_addr[CR_MAX_ADDR_LEN]; /* another IP the trunk may send from (its signaling address) */
	int n_codecs;
	cr_codec_map_t codecs[CR_MAX_CODECS];
} cr_media_params_t;

/* A call's local media parameters for the signaling. */
typedef struct cr_media_local {
	char ice_ufrag[CR_MAX_UFRAG_LEN];
	char ice_pwd[CR_MAX_PWD_LEN];
	char fingerprint[CR_MAX_FINGERPRINT_LEN]; /* "sha-256 AB:CD:..." */
	char sip_rtp_addr[CR_MAX_ADDR_LEN];
	int sip_rtp_port;
	int sip_rtcp_port;
} cr_media_local_t;

/* Per-call counters, copied out by cr_call_get_stats(). */
typedef struct cr_call_stats {
	int ice_state;              /* CR_ICE_* of component 1 */
	int dtls_state;             /* 0 new, 1 handshaking, 2 connected, 3 failed */
	char selected_pair[CR_MAX_PAIR_LEN];
	uint64_t client_rx_packets; /* authenticated SRTP/SRTCP from the client */
	uint64_t client_rx_bytes;
	uint64_t client_tx_packets; /* SRTP/SRTCP sent to the client */
	uint64_t client_tx_bytes;
	uint64_t sip_rx_packets;    /* RTP/RTCP accepted from the trunk */
	uint64_t sip_rx_bytes;
	uint64_t sip_tx_packets;    /* RTP/RTCP sent to the trunk */
	uint64_t sip_tx_bytes;
	uint64_t srtp_auth_failed;  /* dropped: authentication or replay check failed */
	uint64_t dtls_bad;          /* dropped: DTLS records the handshake rejected */
	uint64_t ice_bad;           /* dropped: non-STUN, non-DTLS, non-RTP data on the ICE transport */
	uint64_t early_dropped;     /* dropped: media before SRTP keys existed */
	uint64_t sip_foreign;       /* dropped: SIP-leg packets from an address not negotiated */
	uint64_t unmapped_pt;       /* dropped: payload type not in the codec map */
	uint64_t candidates_dropped; /* remote candidates refused (cr_call_add_remote_candidate) */
	uint64_t dtmf_events;
	char media_path[CR_MAX_PAIR_LEN]; /* "passthrough" or "transcoded opus/48000 <-> PCMU/8000" */
	uint64_t transcoded_packets; /* RTP packets the transcoder produced, both ways */
	uint64_t transcode_dropped;  /* dropped: a transcoder queue was full */
	uint64_t sip_ssrc_dropped;   /* dropped: trunk RTP whose SSRC is not the stream followed
				      * (junk spoofing the trunk's address; see docs/ARCHITECTURE.md) */
	/* The client leg's fast path (docs/ARCHITECTURE.md, "The client leg's data path"): */
	uint64_t fast_rx_packets;    /* datagrams from the client read by the worker itself */
	uint64_t fast_tx_packets;    /* datagrams to the client sent by the worker itself */
	uint64_t fast_stun_answered; /* the client's consent checks answered on the fast path */
	uint64_t fast_fallbacks;     /* times the fast path gave the socket back to libnice for
				      * a packet it does not handle, a pair change or a restart */
} cr_call_stats_t;

/**
 * Fill a media configuration with defaults (no addresses set).
 * @param config the configuration to initialise
 */
CR_EXPORT void cr_media_config_init(cr_media_config_t *config);

/**
 * Fill call media parameters with defaults (controlled, rtcp-mux, passive).
 * @param params the parameters to initialise
 */
CR_EXPORT void cr_media_params_init(cr_media_params_t *params);

/**
 * Copy the call's local ICE credentials, DTLS fingerprint and SIP-leg
 * ports, fixed at cr_call_create() (and at each cr_call_ice_restart()).
 * @param call the call
 * @param local receives the values
 * @return 0 if success, CR_ERR_INVALID when the relay has no media plane
 */
CR_EXPORT int cr_call_get_media_local(cr_call_t *call, cr_media_local_t *local);

/**
 * Start the call's media: ICE agent (gathering starts; candidates come as
 * CR_EVENT_LOCAL_CANDIDATE), DTLS in the given role, the SIP leg, forwarding.
 * @param call the call
 * @param params what the signaling negotiated (copied)
 * @param err_buf optional buffer of CR_MAX_ERROR_LEN for a readable message
 * @return 0 if success, otherwise a CR_ERR_* code
 */
CR_EXPORT int cr_call_media_start(cr_call_t *call, const cr_media_params_t *params,
				  char *err_buf);

/**
 * Add one remote candidate, at any time (before cr_call_media_start() too).
 * Dropped with a trace line and counted (candidates_dropped): mDNS
 * ".local", priority-0, non-UDP, port-0, unspecified (0.0.0.0/8, ::),
 * multicast, broadcast and reserved (240/4) addresses, and every candidate
 * past CR_MAX_REMOTE_CANDIDATES since the call's last ICE restart; foundations
 * longer than CR_MAX_FOUNDATION_LEN - 1 are dropped with a trace line too.
 * @param call the call
 * @param candidate SDP candidate attribute, with or without "a=" ("candidate:1 1 udp ...")
 * @return 0 if queued, CR_ERR_INVALID when unparsable
 */
CR_EXPORT int cr_call_add_remote_candidate(cr_call_t *call, const char *candidate);

/**
 * The client signaled end-of-candidates.
 * @param call the call
 * @return 0 if queued
 */
CR_EXPORT int cr_call_end_of_candidates(cr_call_t *call);

/**
 * Set the client's ICE credentials; new ones mean an ICE restart by the client.
 * @param call the call
 * @param ufrag the client's ice-ufrag, 1..CR_MAX_UFRAG_LEN-1 bytes
 * @param pwd the client's ice-pwd, 1..CR_MAX_PWD_LEN-1 bytes
 * @return 0 if queued, CR_ERR_INVALID when empty or too long
 */
CR_EXPORT int cr_call_set_remote_credentials(cr_call_t *call, const char *ufrag,
					     const char *pwd);

/**
 * Set (or correct) the client's DTLS fingerprint, "sha-256 AB:CD:...". A
 * handshake that finished before is checked against it now.
 * @param call the call
 * @param fingerprint hash name (sha-1, sha-224, sha-256, sha-384 or
 *        sha-512), space, colon-separated hex; < CR_MAX_FINGERPRINT_LEN bytes
 * @return 0 if queued, CR_ERR_INVALID when malformed or too long
 */
CR_EXPORT int cr_call_set_remote_fingerprint(cr_call_t *call, const char *fingerprint);

/**
 * Set the trunk's RTP address (from its SDP, which may come after the
 * client's).
 * @param call the call
 * @param addr IPv4 or IPv6 address
 * @param rtp_port RTP port
 * @param rtcp_port RTCP port, 0 = rtp_port + 1
 * @return 0 if queued
 */
CR_EXPORT int cr_call_set_sip_remote(cr_call_t *call, const char *addr, int rtp_port,
				     int rtcp_port);

/**
 * Watch (on) or stop watching the trunk's RTP: while watched, no RTP from
 * the trunk for the relay's sip_media_timeout_ms raises
 * CR_EVENT_MEDIA_TIMEOUT with code CR_DIR_SIP_TO_CLIENT, once, until RTP
 * comes again. The count starts when the watch starts. The signaling
 * watches an answered call that neither side holds (a held trunk may
 * rightly send nothing); the relay never ends the call itself.
 * @param call the call
 * @param on 1 to watch, 0 to stop
 * @return 0 if queued
 */
CR_EXPORT int cr_call_watch_sip_media(cr_call_t *call, int on);

/**
 * Replace the codec map (payload types of both legs). The SIP leg's
 * numbers are known only once the trunk answers, after the client leg had
 * to start; packets with a payload type not in the map are dropped and
 * counted (unmapped_pt).
 * @param call the call
 * @param codecs the new map
 * @param n_codecs its length, 0..CR_MAX_CODECS
 * @return 0 if queued, CR_ERR_INVALID for a bad map
 */
CR_EXPORT int cr_call_set_codecs(cr_call_t *call, const cr_codec_map_t *codecs, int n_codecs);

/**
 * Transcode the call's audio between a codec of the client leg and another
 * of the SIP leg (when the legs share no codec). Each direction gets a
 * GStreamer pipeline (jitter buffer, depayloader, decoder, resampler,
 * encoder, payloader) fed and drained by the call's worker without
 * blocking it; each leg then carries its own SSRC, sequence numbers and
 * timestamps (continuous across a codec change, which rebuilds the
 * pipelines), so RTCP is terminated (not forwarded) on transcoded calls.
 * DTMF: when the client leg has telephone-event (client_dtmf) and the
 * SIP leg has none (sip_dtmf NULL), the client's RFC 4733 events become
 * in-band tones toward the trunk and tones detected in the trunk's audio
 * become RFC 4733 events toward the client, both reported as
 * CR_EVENT_DTMF; otherwise telephone-event in the codec map passes
 * through as before. Takes one of the relay's max_transcoded_calls slots, held until
 * the call closes or transcoding is turned off.
 * @param call the call
 * @param client the client leg's codec ("opus", "PCMU", "PCMA" or "G722"),
 *        or NULL (with sip NULL) for passthrough again
 * @param client_dtmf the client leg's telephone-event (pt 96..127, clock
 *        rate 0 = 8000), or NULL for none
 * @param sip the SIP leg's codec, or NULL
 * @param sip_dtmf the SIP leg's telephone-event, or NULL for none (DTMF then
 *        crosses in-band)
 * @param err_buf optional buffer of CR_MAX_ERROR_LEN for a readable message
 * @return 0 if queued, CR_ERR_LIMIT past max_transcoded_calls (or
 *         transcoding off), CR_ERR_INVALID for a codec the relay cannot
 *         transcode or the same codec on both legs
 */
CR_EXPORT int cr_call_set_transcode(cr_call_t *call, const cr_codec_t *client,
				    const cr_codec_t *client_dtmf, const cr_codec_t *sip,
				    const cr_codec_t *sip_dtmf, char *err_buf);

/**
 * Restart ICE from our side: new local credentials, returned here at once
 * and in CR_EVENT_ICE_RESTARTED; gathering and checks start again.
 * @param call the call
 * @param local receives the new local parameters (may be NULL)
 * @return 0 if queued
 */
CR_EXPORT int cr_call_ice_restart(cr_call_t *call, cr_media_local_t *local);

/**
 * Copy the call's counters (updated by its worker as packets pass).
 * @param call the call
 * @param stats receives the counters
 * @return 0 if success
 */
CR_EXPORT int cr_call_get_stats(cr_call_t *call, cr_call_stats_t *stats);

/**
 * Copy the call's trace, its one account of what happened to it: lines
 * "T_MS AREA MESSAGE\n" (T_MS in milliseconds with three decimals, since
 * cr_call_create()), oldest first, then per-pair counters. The media's areas
 * ("call", "ice", "dtls", "media", "nice", ...) and the SIP leg's: "sip<"
 * for a message received, "sip>" for one sent (FIRST-LINE | Key: value |
 * ...; "(sent by Sofia)" for what Sofia sends by itself), "sip!" for an
 * offer we refused or a command the dialog ignored. Bounded: the first
 * lines are kept, then the newest (a "trace N lines dropped here" line
 * where some went); a SIP line's text is at most CR_SIP_MAX_TRACE_LINE - 1
 * bytes. A relay without media traces SIP only.
 * @param call the call
 * @param buf caller-owned buffer
 * @param len its size; the text is always NUL-terminated
 * @return the length the full text needs (without NUL), or a CR_ERR_* code
 */
CR_EXPORT int cr_call_get_trace(cr_call_t *call, char *buf, size_t len);

/* Limits of cr_call_send_dtmf(). */
enum {
	CR_DTMF_MIN_MS = 40,   /* ITU-T Q.24: shorter digits are not recognised */
	CR_DTMF_MAX_MS = 1000, /* fits RFC 4733's 16-bit duration at 48 kHz */
	CR_DTMF_DEFAULT_VOLUME = 10, /* -10 dBm0 */
	CR_DTMF_MAX_QUEUED = 16 /* digits waiting on a call */
};

/**
 * Send one DTMF digit to the trunk as RFC 4733 telephone-event packets on
 * the SIP leg, inside the stream forwarded from the client (same SSRC, the
 * timestamp going on from its last packet, sequence numbers kept
 * continuous): a start packet with the marker bit, an update every 50 ms,
 * then the end packet three times. The client's own packets toward the
 * trunk are held back while the digit plays. Digits queue and go one after
 * the other, 50 ms apart; each is reported when its end went out, in the
 * trace ("dtmf sent client->sip digit D duration MS ms") and as a
 * CR_EVENT_DTMF (code CR_DIR_CLIENT_TO_SIP), like a digit the client sent.
 * @param call the call
 * @param digit one of 0-9 * # A-D (a-d too)
 * @param duration_ms CR_DTMF_MIN_MS..CR_DTMF_MAX_MS
 * @param volume power level 0..63 (-dBm0); -1 = CR_DTMF_DEFAULT_VOLUME
 * @param err_buf optional buffer of CR_MAX_ERROR_LEN for a readable message
 * @return 0 if queued; CR_ERR_INVALID for a bad digit, duration or volume,
 *         CR_ERR_UNSUPPORTED when the call's codec map has no telephone-event
 *         (the trunk did not negotiate RFC 4733) or the call is transcoded
 *         (cr_call_set_transcode(); not supported yet), CR_ERR_LIMIT when
 *         CR_DTMF_MAX_QUEUED digits wait, CR_ERR_CLOSED after close
 */
CR_EXPORT int cr_call_send_dtmf(cr_call_t *call, char digit, int duration_ms, int volume,
				char *err_buf);

/* CR_CDEF_END */

#ifdef __cplusplus
}
#endif

#endif /* CALLRELAY_H */
