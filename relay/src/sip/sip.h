/**
 * @file sip.h  Private declarations of the SIP leg (Sofia-SIP NUA glue)
 *
 * One user agent (cr_sip_ua_t) per relay runs Sofia's NUA on its own thread
 * with its own GMainContext. Each SIP dialog is a leg (cr_sip_leg_t, the
 * struct cr_sip_session of dialog.h) of one call, known here only by its
 * call id and an opaque owner; legs and every nua_* call live on the SIP
 * thread only. The layer above (relay/src/call_sip.c) hears from the UA
 * through the handlers it gives at start (cr_sip_handlers_t) and commands
 * legs by call id (cr_sip_leg_*): sip/ knows no call and no relay.
 */
#ifndef CR_SIP_H
#define CR_SIP_H

#include <glib.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/su_glib.h>

#include "callrelay.h"
#include "../error.h"
#include "../trace.h"
#include "../worker.h"

/* ---- sdp: building ours, reading theirs (sip_sdp.c) ---- */

enum { CR_SIP_DTMF_PT = 101 };

/* One audio stream as an SDP describes it (codecs: cr_codec_t of
 * callrelay.h). */
typedef struct cr_sdp_media {
	char address[CR_MAX_ADDR_LEN];
	int port;
	int ptime;
	int dtmf_pt;         /* -1 = none */
	char direction[CR_MAX_DIRECTION_LEN]; /* sendrecv, sendonly, recvonly, inactive */
	cr_codec_t codecs[CR_MAX_CODECS];
	int n_codecs;        /* telephone-event not included */
} cr_sdp_media_t;

/* Fills out->codecs from the caller's codec array (NULL/0: PCMU, PCMA):
 * names we know (PCMU, PCMA, G722, opus), our usual payload type where pt
 * is negative; CR_ERR_INVALID names a bad entry in err_buf. */
int cr_sip_codecs_from_array(const cr_codec_t *list, size_t n, cr_sdp_media_t *out,
			     char *err_buf);
/* Copies the facts of remote SDP m (and the chosen codec) into out. */
void cr_sip_media_facts(const cr_sdp_media_t *m, const cr_codec_t *chosen, int symmetric_rtp,
			cr_sip_media_t *out);
/* What cr_sip_sdp_parse returns for an SDP cr_sdp_check() refused. */
enum { CR_SIP_SDP_REFUSED = 1 };
/* Checks an SDP with cr_sdp_check() (CR_SIP_SDP_REFUSED, the reason in why,
 * Sofia never sees it), then parses it with Sofia's parser; CR_ERR_INVALID
 * when it has no usable audio. why may be NULL. */
int cr_sip_sdp_parse(const char *sdp, size_t len, cr_sdp_media_t *out, char *why,
		     size_t why_len);
/* Writes our SDP for `local` (first codec first) into buf. */
int cr_sip_sdp_build(const cr_sdp_media_t *local, unsigned version, char *buf, size_t len);
/* Our answer to `offer` from our preference list `prefs`: the first
 * preferred codec offered, with the offer's payload type; telephone-event
 * only when offered and wanted. CR_ERR_NOTFOUND when nothing matches. */
int cr_sip_sdp_answer(const cr_sdp_media_t *offer, const cr_sdp_media_t *prefs,
		      bool want_dtmf, cr_sdp_media_t *answer);
/* The direction we answer with when the peer says `theirs`. */
const char *cr_sip_direction_answer(const char *theirs);
/* Event text for remote media `m` whose codec is `chosen`. */
void cr_sip_media_text(const cr_sdp_media_t *m, const cr_codec_t *chosen,
		       int symmetric_rtp, bool list_codecs, GString *out);

/* ---- trace: SIP messages into the call's trace (sip_trace.c) ---- */

/* Lines of area "sip<" (received), "sip>" (sent) or "sip!" (dir '!': our
 * own refusal or a command ignored) in the trace given (relay/src/trace.h;
 * NULL: none), the text at most CR_SIP_MAX_TRACE_LINE - 1 bytes. */
struct sip_s;
void cr_sip_trace_msg(cr_trace_t *trace, char dir, const struct sip_s *sip);
void cr_sip_trace_line(cr_trace_t *trace, char dir, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* ---- header text (sip_header_text.c) ---- */

/* The header's value (without its name) encoded into a new g_malloc'd
 * NUL-terminated string; NULL when h is NULL or does not encode. */
char *cr_sip_header_text(const sip_header_t *h);
/* ---- sources: who may send SIP (sip_sources.c) ---- */

/* One trusted network; IPv4-mapped IPv6 is stored as IPv4. */
typedef struct cr_sip_cidr {
	int family;       /* AF_INET or AF_INET6 */
	int prefix;
	uint8_t addr[16]; /* network byte order, host bits zero */
} cr_sip_cidr_t;

struct sockaddr;
/* Appends the comma-separated IPs/CIDRs of text to list (cr_sip_cidr_t). */
int cr_sip_sources_parse(const char *text, GArray *list, char *err_buf);
/* Appends what the hosts of trunk_uri and outbound_proxy (may be NULL)
 * resolve to, each as a /32 or /128. */
int cr_sip_sources_default(const char *trunk_uri, const char *outbound_proxy, GArray *list,
			   char *err_buf);
/* The host address of sa as a /32 or /128; -1 when not IP. */
int cr_sip_sources_from_sockaddr(const struct sockaddr *sa, cr_sip_cidr_t *c);
bool cr_sip_sources_match(const GArray *list, const struct sockaddr *sa);
/* "IP/PREFIX,IP/PREFIX" */
void cr_sip_sources_text(const GArray *list, char *buf, size_t len);

/* ---- handlers: how the UA reports up (given at start, libre-style) ---- */

/* A leg's owner is the object of the layer above for its call, opaque here:
 * a reference the leg holds from its creation until it gives it back
 * through `release`. Every handler runs on the SIP thread, except
 * fd_exhausted (a Sofia stack thread) and the `release` of a dial that made
 * no leg (the thread of cr_sip_leg_dial() when it fails, or the one that
 * stops the UA for a dial still queued). */
typedef struct cr_sip_handlers {
	void *arg;
	/* An event (CR_EVENT_*): about a leg (its owner and call id), or about
	 * the UA (owner NULL, call id 0). `facts` are the trunk's media facts
	 * (callrelay.h's cr_sip_media_t: its SDP and the chosen codec) for the
	 * events that carry them (CR_EVENT_SIP_INCOMING, _EARLY_MEDIA,
	 * _ANSWERED, _MEDIA_CHANGED), else NULL. */
	void (*event)(void *arg, void *owner, uint32_t call_id, int type, int32_t code,
		      int32_t value, const char *text, const cr_sip_media_t *facts);
	/* A new inbound INVITE asks for a call: its owner (a reference for the
	 * leg), call id and the trace the leg writes (kept alive by the owner),
	 * or NULL when no call can be made now (the INVITE gets 503). */
	void *(*incoming)(void *arg, uint32_t *call_id, cr_trace_t **trace);
	/* Whether the owner's call was closed (a dial posted before it is dropped). */
	bool (*closed)(void *arg, void *owner);
	/* The leg ended (or a dial never made one) and gives its owner back;
	 * `inbound`: a leg of an inbound INVITE, whose call ends with it when
	 * the layer above never took it. */
	void (*release)(void *arg, void *owner, bool inbound);
	/* Descriptors ran out in Sofia's transport: counted, reported (limited). */
	bool (*fd_exhausted)(void *arg, int errnum, const char *what);
} cr_sip_handlers_t;

/* ---- ua: thread and NUA lifecycle (sip_ua.c) ---- */

/* The largest SIP message we take (NTATAG_MAXSIZE): bigger ones are refused
 * (513 Message Too Large where an answer can be sent) before parsing. */
enum { CR_SIP_MAX_MESSAGE = 16 * 1024 };

typedef struct cr_sip_ua cr_sip_ua_t;
typedef struct cr_sip_session cr_sip_session_t;
typedef struct cr_sip_session cr_sip_leg_t;

struct cr_sip_ua {
	cr_sip_handlers_t h;  /* the layer above (relay/src/call_sip.c) */
	/* Configuration, copied and checked at start. */
	char *listen_uri, *tls_listen_uri, *tls_cert_dir, *trunk_uri;
	char *outbound_proxy, *username, *password, *from_domain;
	char *user_agent;
	char *trunk_hostport; /* host[:port][;params] of trunk_uri */
	int register_expires, options_interval, session_expires, symmetric_rtp;
	GArray *sources;      /* cr_sip_cidr_t: who may send SIP */
	char sources_text[CR_SIP_MAX_SOURCES_LEN];
	bool source_filter;   /* attach the kernel filter (sip_filter.c) */
	int invite_rate;      /* new INVITEs a second per source; 0 = no limit */
	/* The thread. */
	GThread *thread;
	GMainContext *context;
	GMainLoop *loop;
	GMutex lock;          /* guards what follows up to the SIP-thread part */
	GCond cond;
	int start_state;      /* 0 starting, 1 running, -1 failed */
	char start_err[CR_MAX_ERROR_LEN];
	bool stopping;
	/* SIP thread only. */
	su_root_t *root;
	nua_t *nua;
	GSource *su_source;
	bool shutdown_done;
	bool shutdown_abandoned; /* NUA never finished: this UA is left allocated */
	bool unregistering;      /* our un-REGISTER at shutdown awaits its answer */
	gint64 stop_started;
	GList *sessions;       /* cr_sip_session_t* */
	GHashTable *legs;      /* call id -> cr_sip_session_t* (the commands' lookup) */
	nua_handle_t *reg_nh;
	bool reg_auth_tried;
	nua_handle_t *opt_nh;
	gint64 opt_sent_at;
	bool opt_auth_tried;
	GSource *opt_timer;
	GHashTable *rate_buckets; /* sip_rate.c */
	/* Tests: the rate limiter's clock held at this (monotonic, in us), so
	 * that "at once" and "a second later" do not depend on how fast a
	 * loaded machine runs; 0 = the monotonic clock. Any thread. */
	atomic_int_least64_t rate_clock_us;
	/* Written on the SIP thread before start finishes, read after. */
	GArray *filtered_fds;  /* int: Sofia's sockets carrying the source filter */
	/* Counters, any thread. */
	atomic_uint_least64_t invites_sent, invites_received, invites_rejected_limit;
	atomic_uint_least64_t requests_untrusted, invites_rejected_rate;
	atomic_uint_least64_t options_sent, options_ok;
	atomic_uint_least64_t sdp_rejected;
	atomic_int trunk_up, last_options_status, last_options_rtt_ms, registered;
};

/* Checks c and starts the UA's thread and NUA; h: how it reports up. */
int cr_sip_ua_start(const cr_sip_handlers_t *h, const cr_sip_config_t *c, cr_sip_ua_t **out,
		    char *err_buf);
/* Hangs every leg up, un-REGISTERs, stops NUA and the thread, frees the UA
 * (every owner given back through `release` first). NULL: nothing. */
void cr_sip_ua_stop(cr_sip_ua_t *ua);
/* The UA's counters (any thread). */
void cr_sip_ua_get_stats(cr_sip_ua_t *ua, cr_sip_stats_t *s);
/* Runs fn(data) on the SIP thread; destroy(data) afterwards or when the UA
 * is stopping. Returns false (after destroy) when the UA is gone. */
bool cr_sip_ua_post(cr_sip_ua_t *ua, void (*fn)(void *data), void *data,
		    void (*destroy)(void *data));

/* An event about the UA itself (call id 0) through its event handler. */
static inline G_GNUC_PRINTF(5, 6) void cr_sip_ua_emit(cr_sip_ua_t *ua, int type, int32_t code,
						       int32_t value, const char *fmt, ...)
{
	char text[CR_MAX_EVENT_TEXT_LEN];
	va_list ap;

	va_start(ap, fmt);
	g_vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ua->h.event(ua->h.arg, NULL, 0, type, code, value, text, NULL);
}

/* ---- config: the configuration checked before start (config.c) ---- */

/* The smallest Session-Expires/Min-SE RFC 4028 allows. */
enum { CR_SIP_MIN_SE = 90 };

/* Checks every field of c (binding the listen addresses once); on success
 * *trunk_hostport is the trunk URI's host[:port][;params] (g_free it). */
int cr_sip_config_check(const cr_sip_config_t *c, char **trunk_hostport, char *err_buf);

/* ---- reg: REGISTER and OPTIONS toward the trunk (reg.c), SIP thread ---- */

/* Answers a digest challenge in `sip` on `nh` with the configured
 * credentials; false when there are none or no challenge. */
bool cr_sip_ua_authenticate(cr_sip_ua_t *ua, nua_handle_t *nh, const sip_t *sip);
/* Sends the REGISTER (ua->reg_nh) and handles its answers. */
void cr_sip_reg_start(cr_sip_ua_t *ua);
void cr_sip_reg_response(cr_sip_ua_t *ua, int status, const char *phrase, const sip_t *sip);
/* Sends one OPTIONS (ua->opt_nh) unless one is pending; a GSourceFunc on ua. */
gboolean cr_sip_options_send(gpointer ua);
void cr_sip_options_response(cr_sip_ua_t *ua, int status, const sip_t *sip);

/* ---- filter: the kernel drops strangers' packets (sip_filter.c) ---- */

/* The process's descriptors now (a set of fds), before nua_create(). */
GHashTable *cr_sip_filter_snapshot(void);
/* Attaches a BPF filter accepting only ua->sources to every UDP and
 * listening TCP socket on one of ports (0 = any) opened since `before`. */
int cr_sip_filter_attach(cr_sip_ua_t *ua, GHashTable *before, const int *ports, int n_ports,
			 char *err_buf);
/* Packets the kernel dropped on the filtered sockets (filter or full buffer). */
uint64_t cr_sip_filter_drops(const cr_sip_ua_t *ua);

/* ---- log: Sofia's logs, descriptor exhaustion in its transports (sip_log.c) ---- */

/* Quiets Sofia's logs (unless its environment variables ask) and routes the
 * lines reporting EMFILE/ENFILE to the relay; once per process. */
void cr_sip_log_init(void);
/* Around nua_create(): the threads that appear in between are ua's NUA
 * stack (ua NULL when the create failed). begin holds a lock until end. */
GHashTable *cr_sip_log_stack_begin(void);
void cr_sip_log_stack_end(cr_sip_ua_t *ua, GHashTable *before);
/* Once ua's NUA stack is gone. */
void cr_sip_log_forget(cr_sip_ua_t *ua);

/* ---- rate: new INVITEs per source (sip_rate.c), SIP thread ---- */

void cr_sip_rate_init(cr_sip_ua_t *ua);
void cr_sip_rate_free(cr_sip_ua_t *ua);
/* Takes a token for a new INVITE from `from`; false past the rate. */
bool cr_sip_rate_admit(cr_sip_ua_t *ua, const struct sockaddr *from);

/* ---- legs: the commands of the layer above (sip_dialog.c, invite_out.c) ---- */

/* Any thread: each checks its arguments here (CR_ERR_INVALID, the reason
 * in err_buf where there is one) and posts the work to the SIP thread
 * (CR_ERR_CLOSED when the UA is stopping), where it finds the leg by call
 * id; a leg that ended meanwhile is no error. */
/* A new outbound leg for call_id: takes over the owner reference whatever
 * it returns (given back through `release`); trace: where the leg writes,
 * kept alive by the owner. */
int cr_sip_leg_dial(cr_sip_ua_t *ua, uint32_t call_id, void *owner, cr_trace_t *trace,
		    const cr_sip_dial_params_t *p, char *err_buf);
int cr_sip_leg_ringing(cr_sip_ua_t *ua, uint32_t call_id);
int cr_sip_leg_answer(cr_sip_ua_t *ua, uint32_t call_id, const cr_sip_answer_params_t *p,
		      char *err_buf);
/* status 300..699 */
int cr_sip_leg_reject(cr_sip_ua_t *ua, uint32_t call_id, int status);
int cr_sip_leg_hold(cr_sip_ua_t *ua, uint32_t call_id, bool on);
/* BYE, CANCEL or 480 as the leg's state asks; q850_cause 1..127 with text
 * (at most CR_MAX_SIP_REASON_LEN) adds an RFC 3326 Reason, 0 none. */
int cr_sip_leg_hangup(cr_sip_ua_t *ua, uint32_t call_id, int q850_cause, const char *text);
/* The call is closing: hangs its leg up, if any. */
void cr_sip_leg_close(cr_sip_ua_t *ua, uint32_t call_id);

/* ---- dialog: legs and NUA's events (sip_dialog.c) ---- */

/* Handles a NUA event about a call (hmagic = its session, or NULL for a new
 * inbound INVITE). Runs on the SIP thread. */
void cr_sip_dialog_event(cr_sip_ua_t *ua, nua_event_t event, int status,
			 const char *phrase, nua_handle_t *nh,
			 cr_sip_session_t *session, const sip_t *sip, tagi_t tags[]);
/* After nua_r_shutdown: frees every session left. */
void cr_sip_dialog_free_all(cr_sip_ua_t *ua);
/* Hangs up every session not already ending (BYE, CANCEL or 480). */
void cr_sip_dialog_hang_up_all(cr_sip_ua_t *ua, const char *reason);

#endif
