/**
 * @file media.h  Private declarations of the media plane (client leg, SIP leg, forwarding)
 *
 * Threading: a cr_media_relay_t is shared by every worker (immutable after
 * creation, except the port allocator, which has its own mutex and is only
 * used at call creation and teardown). A cr_media_call_t belongs to its
 * call's worker; the Lua thread reads only its atomics (stats), its trace
 * (under the trace's own mutex) and the local parameters written at
 * creation/restart by the Lua thread itself.
 */
#ifndef CR_MEDIA_H
#define CR_MEDIA_H

#include <glib.h>
#include <nice/agent.h>
#include <openssl/ssl.h>
#include <srtp2/srtp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "callrelay.h"
#include "../error.h"
#include "../event_queue.h"
#include "../poller.h"
#include "../rtp.h"
#include "../ticker.h"
#include "../trace.h"

/* ---- ports.c: SIP-leg RTP/RTCP port pairs ---- */
typedef struct cr_ports {
	GMutex lock;
	int min, max;      /* even min, pairs (p, p+1) */
	int next;          /* round-robin start, so a freed pair rests a while */
	guint8 *used;      /* one byte per pair */
	int n_pairs;
} cr_ports_t;

int cr_ports_init(cr_ports_t *ports, int min, int max);
void cr_ports_clear(cr_ports_t *ports);
/* Binds an RTP/RTCP socket pair on addr from the range. CR_ERR_PORTS when
 * every pair is taken or unbindable. */
int cr_ports_open(cr_ports_t *ports, const struct sockaddr_storage *addr,
		  int *rtp_fd, int *rtcp_fd, int *rtp_port);
void cr_ports_release(cr_ports_t *ports, int rtp_port);

/* ---- dtls.c: DTLS 1.2 with use_srtp over a datagram callback ---- */
typedef struct cr_dtls_ctx {
	SSL_CTX *ssl_ctx;
	BIO_METHOD *bio_method; /* writes each DTLS datagram through cr_dtls_t.send */
	char fingerprint[CR_MAX_FINGERPRINT_LEN]; /* "sha-256 AB:..." */
} cr_dtls_ctx_t;

int cr_dtls_ctx_create(const char *cert_file, const char *key_file, cr_dtls_ctx_t **out,
		       char *err_buf);
void cr_dtls_ctx_destroy(cr_dtls_ctx_t *ctx);

typedef enum {
	CR_DTLS_NEW = 0,
	CR_DTLS_HANDSHAKING = 1,
	CR_DTLS_CONNECTED = 2,
	CR_DTLS_FAILED = 3
} cr_dtls_state_t;

typedef void (*cr_dtls_send_fn)(void *arg, const uint8_t *data, size_t len);

typedef struct cr_dtls {
	SSL *ssl;
	BIO *rbio; /* memory BIO fed with received datagrams */
	cr_dtls_state_t state;
	bool active;   /* we are the DTLS client */
	bool started;
	cr_dtls_send_fn send;
	void *send_arg;
	/* Set once the handshake finished: */
	int srtp_profile;       /* SRTP_AEAD_AES_128_GCM or SRTP_AES128_CM_SHA1_80 */
	uint8_t keys[2 * (16 + 14)]; /* client key, server key, client salt, server salt */
	size_t key_len, salt_len;
	char peer_fingerprint[CR_MAX_FINGERPRINT_LEN];
	char error[160];
} cr_dtls_t;

int cr_dtls_init(cr_dtls_t *dtls, cr_dtls_ctx_t *ctx, bool active, cr_dtls_send_fn send,
		 void *arg);
void cr_dtls_clear(cr_dtls_t *dtls);
/* Once connected and the peer proved it is too (its SRTP): frees the SSL;
 * the keys, profile and fingerprint stay; later records are dropped. */
void cr_dtls_release(cr_dtls_t *dtls);
/* Starts the handshake (the client sends its ClientHello). */
void cr_dtls_start(cr_dtls_t *dtls);
/* Feeds one received datagram. Returns 1 when the handshake just finished,
 * 0 when nothing changed, -1 when the record was rejected (counted by the
 * caller), -2 when the handshake failed (dtls->error says why). */
int cr_dtls_receive(cr_dtls_t *dtls, const uint8_t *data, size_t len);
/* Retransmission timer: ms until cr_dtls_timeout() is due, or -1. */
int cr_dtls_next_timeout_ms(cr_dtls_t *dtls);
/* Returns -2 when the handshake gave up. */
int cr_dtls_timeout(cr_dtls_t *dtls);
/* Compares the peer's certificate with "sha-256 AB:..." (case-insensitive). */
bool cr_dtls_fingerprint_matches(const cr_dtls_t *dtls, const char *expected);
const char *cr_dtls_profile_name(int profile);

/* ---- srtp.c: libsrtp2 sessions keyed from DTLS ---- */
typedef struct cr_srtp {
	srtp_t tx, rx;
} cr_srtp_t;

/* Creates both directions from a finished handshake; we_are_client picks
 * which half of the keying material is ours. */
int cr_srtp_init(cr_srtp_t *srtp, const cr_dtls_t *dtls);
void cr_srtp_clear(cr_srtp_t *srtp);
/* In place; *len grows by the tag (buffer must have room). 0 = ok. */
int cr_srtp_protect(cr_srtp_t *srtp, uint8_t *buf, int *len, bool rtcp);
int cr_srtp_unprotect(cr_srtp_t *srtp, uint8_t *buf, int *len, bool rtcp);

/* ---- rtp helpers (forward.c) ---- */
static inline bool cr_is_rtcp(const uint8_t *p, size_t len)
{
	/* RFC 5761 4: PT 192-223 (marker bit included) is RTCP. */
	return len >= 8 && p[1] >= 192 && p[1] <= 223;
}

/* ---- packet.c: pure per-packet functions (no call state, no I/O) ---- */
typedef enum {
	CR_PKT_BAD = 0, /* neither: dropped and counted by the caller */
	CR_PKT_DTLS,
	CR_PKT_RTP,
	CR_PKT_RTCP
} cr_pkt_kind_t;

/* A datagram from the client after ICE, by its first byte (RFC 7983);
 * RTP/RTCP needs the 12-byte fixed header. */
cr_pkt_kind_t cr_demux_client(const uint8_t *p, size_t len);
/* A datagram from the trunk: RTP version 2 with a full fixed header;
 * everything on the RTCP socket is RTCP. */
cr_pkt_kind_t cr_demux_sip(const uint8_t *p, size_t len, bool rtcp_socket);
/* Shifts the extended highest sequence number of the report blocks about
 * ssrc back by seq_offset, in place, over a compound RTCP packet. */
void cr_rtcp_unshift_reports(uint8_t *buf, size_t len, uint32_t ssrc, uint16_t seq_offset);


/* ---- relay-wide media state (media_relay.c) ---- */
typedef struct cr_media_relay {
	char **ice_addresses; /* NULL-terminated */
	int ice_port_min, ice_port_max;
	char *stun_server;
	int stun_port;
	char *turn_server;
	int turn_port;
	char *turn_username, *turn_password;
	char *sip_rtp_address;
	struct sockaddr_storage sip_addr;
	int media_timeout_ms;
	int sip_media_timeout_ms;
	cr_ports_t ports;
	cr_dtls_ctx_t *dtls;
} cr_media_relay_t;

int cr_media_relay_create(const cr_media_config_t *config, cr_media_relay_t **out,
			  char *err_buf);
void cr_media_relay_destroy(cr_media_relay_t *m);

/* ---- per-call media (session.c, ice.c, rtp_leg.c, forward.c) ---- */
typedef struct cr_counters {
	atomic_uint_least64_t client_rx_packets, client_rx_bytes;
	atomic_uint_least64_t client_tx_packets, client_tx_bytes;
	atomic_uint_least64_t sip_rx_packets, sip_rx_bytes;
	atomic_uint_least64_t sip_tx_packets, sip_tx_bytes;
	atomic_uint_least64_t srtp_auth_failed, dtls_bad, ice_bad, early_dropped;
	atomic_uint_least64_t sip_foreign, unmapped_pt, dtmf_events;
	atomic_uint_least64_t transcoded_packets, transcode_dropped;
	atomic_uint_least64_t candidates_dropped;
	atomic_uint_least64_t sip_ssrc_dropped;
	atomic_uint_least64_t fast_rx_packets, fast_tx_packets, fast_stun_answered, fast_fallbacks;
	atomic_int ice_state, dtls_state;
} cr_counters_t;

/* Packets and bytes on one selected pair, per direction. */
typedef struct cr_pair_stats {
	char name[CR_MAX_PAIR_LEN];
	atomic_uint_least64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
} cr_pair_stats_t;

#define CR_MAX_PAIRS_KEPT 8
#define CR_MAX_PENDING 64

typedef struct cr_dtmf_state {
	uint32_t last_ts; /* RTP timestamp of the last event reported */
	bool reported;
} cr_dtmf_state_t;

/* What the trunk last got from us on the SIP leg's RTP (forward.c writes
 * it per packet, dtmf_send.c continues the stream). */
typedef struct cr_sip_out {
	bool known;
	uint32_t ssrc;
	uint16_t seq_offset; /* added to every forwarded sequence number: packets
			      * injected minus client packets held back (mod 2^16) */
	uint16_t last_seq;   /* as sent */
	uint32_t last_ts;    /* of the last audio packet (or injected event end) */
	int64_t last_us;     /* monotonic time of last_ts; 0 = none yet */
} cr_sip_out_t;

struct cr_media_call;

/* Sends one packet toward the trunk (cr_rtp_leg_send's shape): false when
 * nothing went out. */
typedef bool (*cr_dtmf_tx_send_h)(struct cr_media_call *mc, bool rtcp, const uint8_t *buf,
				  size_t len);

/* RFC 4733 digits being sent toward the trunk (dtmf_send.c). */
typedef struct cr_dtmf_tx {
	cr_dtmf_tx_send_h send; /* given at cr_dtmf_tx_init() */
	GQueue queue;        /* cr_dtmf_req_t waiting */
	GSource *timer;      /* 50 ms packet clock while digits are queued */
	bool active;         /* a digit is on the wire: client packets held back */
	char digit;
	uint8_t event, volume;
	uint8_t pt;
	int clock;
	int duration_ms;
	uint32_t ssrc, ts;
	uint32_t total, elapsed, step; /* in clock units */
	int ends;            /* end packets sent (3 in all) */
	unsigned held;       /* client packets held back during this digit */
} cr_dtmf_tx_t;
/* One leg's outgoing stream on a transcoded call (transcode.c), kept across
 * pipeline rebuilds (codec changes) so its SSRC, sequence numbers and
 * timestamps stay continuous; telephone-event packets join it too. */
typedef struct cr_out_stream {
	bool started;
	uint32_t ssrc, ts;      /* ts: the last timestamp sent */
	uint16_t seq;           /* the next sequence number */
	int64_t sent_us;        /* when the last packet went */
	uint32_t packets, octets; /* sent, for our RTCP sender reports */
	int clock;              /* RTP clock of what it carries now */
	bool src_known;
	uint32_t src_ssrc;      /* the current payloader's: another one = rebuilt */
	uint32_t ts_offset;     /* payloader timestamp + offset = ours */
	bool te_known, te_reported;
	uint32_t te_src_ts, te_ts; /* the current telephone-event: its and our timestamp */
} cr_out_stream_t;

/* out_stream.c: where a stream starts (random values in the relay). */
typedef struct cr_out_stream_seed {
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
} cr_out_stream_seed_t;

/* A payloader packet (12-byte header, no CSRCs: ours) joins the stream:
 * our SSRC and sequence numbers, its timestamps moved by an offset fixed
 * when a payloader first appears (seed on the stream's first packet), so
 * that after a rebuild (codec change, another payloader SSRC) the stream
 * goes on from where it stood plus the time elapsed at clock, with the
 * marker bit set; true then. */
bool cr_out_stream_audio(cr_out_stream_t *st, int clock, uint8_t *pkt, size_t len, int64_t now_us,
			 const cr_out_stream_seed_t *seed);
/* A telephone-event packet (a copy the caller may rewrite) joins a started
 * stream with payload type pt: our SSRC and next sequence number, and for
 * every packet of one event the stream's timestamp when it began. */
void cr_out_stream_event(cr_out_stream_t *st, uint8_t *pkt, size_t len, int pt);

/* rtcp_sr.c: our RTCP sender reports about the cr_out_stream_t streams of
 * a transcoded call (mc->xc_out), the far ends' RTCP being terminated. */
/* Writes the stream's sender report (RFC 3550 6.4.1, no report blocks) at
 * monotonic now_us and wall-clock wall_us; returns its 28 bytes. */
size_t cr_rtcp_sr_write(const cr_out_stream_t *st, int64_t now_us, int64_t wall_us, uint8_t *pkt);
/* Sends one report (plain RTCP; pkt has room for an SRTCP index and tag)
 * toward the far end of direction dir. Worker. */
typedef void (*cr_rtcp_sr_send_h)(struct cr_media_call *mc, int dir, uint8_t *pkt, size_t len);
/* Worker: a timer on mc's context that sends every 2.5 s a report about
 * each started stream of mc->xc_out through send. */
GSource *cr_rtcp_sr_start(struct cr_media_call *mc, cr_rtcp_sr_send_h send);
/* Worker: stops and frees that timer (NULL: nothing). */
void cr_rtcp_sr_stop(GSource *timer);

/* What a call's media gets from whoever creates it (relay/src/call.c):
 * where its events go, where it runs, and the handlers it reports up
 * through. Everything pointed at outlives the call's media. */
typedef struct cr_media_env {
	uint32_t call_id;
	GMainContext *context;       /* the worker's, where every worker-side step runs */
	/* Where libnice's agent puts its timers: iterated on the same thread as
	 * `context` but only when one is due (relay/src/subcontext.h); NULL:
	 * `context` itself. */
	GMainContext *timer_context;
	cr_poller_t *poller;         /* the worker's socket set (relay/src/poller.h) */
	cr_ticker_t *ticker;         /* the worker's 1 s timer (relay/src/ticker.h) */
	cr_event_queue_t *events;
	/* Transcoding slots shared with the relay's other calls (max: -1 no
	 * limit, 0 off). */
	atomic_int *transcoded_calls;
	int max_transcoded_calls;
	/* Counts and reports errnum when it is EMFILE or ENFILE (true then). */
	bool (*fd_exhausted)(void *arg, int errnum, const char *what);
	void *arg;
	/* The call's trace (relay/src/trace.h), written on the worker; it
	 * outlives the media. NULL: no trace. */
	cr_trace_t *trace;
} cr_media_env_t;

typedef struct cr_media_call {
	cr_media_env_t env;
	cr_media_relay_t *mr;
	uint32_t call_id;

	/* Lua thread: local parameters (written at create / restart). */
	GMutex local_lock;
	cr_media_local_t local;

	/* Read by the Lua thread. */
	cr_counters_t counters;
	cr_trace_t *trace; /* env.trace */
	GMutex pair_lock; /* guards selected_pair + pairs for the Lua thread */
	char selected_pair[CR_MAX_PAIR_LEN];
	cr_pair_stats_t pairs[CR_MAX_PAIRS_KEPT];
	int n_pairs;
	int cur_pair; /* index in pairs of the selected pair of component 1, -1 */

	/* Controlling thread only: the last codec map given has telephone-event
	 * (checked by cr_call_send_dtmf() without asking the worker). */
	bool ctl_has_dtmf;
	atomic_int dtmf_queued; /* digits accepted and not yet finished */

	/* Worker only from here on. */
	bool started;
	bool closed;
	GMainContext *context;
	GPtrArray *pending; /* commands that came before media start */
	cr_media_params_t params;
	NiceAgent *agent;
	guint stream_id;
	guint n_components;
	bool gathering_done_sent;
	bool ice_connected;
	unsigned remote_candidates; /* given to libnice since the last ICE restart */
	/* renomination workaround (ice.c, cr_ice_on_nomination) */
	uint32_t nomination_max;   /* highest NOMINATION value the client sent */
	uint32_t nomination_stale; /* last lower value seen (traced once) */
	bool nomination_blip;      /* libnice left the nominated pair; we put it back */
	char nomination_addr[CR_MAX_ADDR_LEN]; /* its remote candidate, "IP" */
	guint nomination_port;
	GSource *nomination_source; /* pending switch to that candidate */

	cr_dtls_t dtls;
	GSource *dtls_timer;
	bool keys_ready;
	bool dtls_waiting_fingerprint; /* handshake done, fingerprint unknown */
	cr_srtp_t srtp;
	GPtrArray *dtls_out; /* GBytes our DTLS sent before ICE had a pair (docs/INTEROP.md#9) */

	/* SIP leg */
	int rtp_fd, rtcp_fd;
	int rtp_port;
	cr_poll_fd_t *rtp_poll, *rtcp_poll; /* the SIP leg's sockets in env.poller */
	struct sockaddr_storage sip_rtp_remote, sip_rtcp_remote;
	socklen_t sip_remote_len;
	bool sip_remote_set;
	bool sip_latched;
	uint64_t sip_no_remote; /* client packets dropped before the trunk's address was set */
	struct sockaddr_storage latch_ip; /* other allowed IP (port ignored) */
	bool latch_ip_set;
	/* the trunk's RTP stream (rtp_leg.c, accept_ssrc): the SSRC followed,
	 * and another one that may be replacing it */
	bool ssrc_latched;
	uint32_t ssrc;
	int64_t ssrc_last_us;        /* last packet of the followed SSRC */
	bool ssrc_candidate_set;
	uint32_t ssrc_candidate;
	int ssrc_candidate_count;    /* its packets since the followed SSRC's last */
	int64_t ssrc_candidate_last_us;

	/* forwarding */
	int16_t pt_to_sip[128];
	int16_t pt_to_client[128];
	bool dtmf_pt_client[128];
	bool dtmf_pt_sip[128];
	int dtmf_clock_client[128];
	int dtmf_clock_sip[128];
	cr_dtmf_state_t dtmf_state[3]; /* by CR_DIR_* */
	cr_sip_out_t sip_out;
	cr_dtmf_tx_t dtmf_tx;
	bool first_media[3];

	/* transcoding (transcode.c): the pipelines, worker only; the slot
	 * flag and path text are read by the Lua thread (path under pair_lock) */
	struct cr_transcode *xc;
	cr_out_stream_t xc_out[3]; /* by CR_DIR_*: the stream toward that direction's far end */
	atomic_bool transcode_slot;
	char media_path[CR_MAX_PAIR_LEN];

	/* liveness */
	cr_tick_t tick;              /* joined to env.ticker while media runs */
	int64_t last_client_media_us;
	bool timeout_reported;
	bool sip_watch;              /* cr_call_watch_sip_media(): the trunk must send */
	int64_t last_sip_media_us;   /* last RTP from the trunk, or the watch's start */
	bool sip_timeout_reported;

	/* ICE patience (ice_patience.c) */
	bool remote_eoc;          /* the client said end-of-candidates */
	bool ice_working;         /* component 1 connected or ready */
	int64_t ice_answered_us;  /* the call was answered (or ICE first worked); 0 = ringing */
	int64_t ice_alive_us;     /* last sign of life: connected, answered keepalive, client media */
	int64_t ice_recheck_us;   /* when to check the client's candidates again; 0 = not due */
	int ice_rechecks;         /* rounds since ICE last worked (the back-off step) */
	bool ice_rechecking;      /* inside ice_patience.c's recheck(): its GATHERING is not news */
	bool ice_failed_reported;
	int64_t ice_checking_us;  /* our first check left (libnice's log); 0 = none yet */
	bool ice_pair_answered;   /* a check of ours was answered (libnice's log) */

	/* client-leg fast path (fastpath.c) */
	bool fp_on;               /* the poller reads the selected pair's socket */
	bool fp_parked;           /* libnice's sources of component 1 are parked */
	bool fp_keepalive_wait;   /* libnice awaits the answer to a check of its own */
	bool fp_entered;          /* "fast path on" traced since the last "off" */
	bool fp_why_traced;       /* "fast path not used" traced */
	int fp_fd;
	GSocket *fp_socket;       /* libnice's, a reference while fp_on */
	cr_poll_fd_t *fp_poll;
	struct sockaddr_storage fp_remote; /* the selected remote candidate */
	socklen_t fp_remote_len;
	GSource *fp_retry;        /* the next try to enter, or the keepalive window */
	int64_t fp_wait_until_us; /* fp_keepalive_wait: no entry before, unless answered */
	char fp_pwd[CR_MAX_PWD_LEN]; /* ours, what the client's checks are signed with */
	int fp_sockets;           /* local sockets of component 1 (host candidates) */
	GMainContext *fp_park;    /* with several: where libnice's sources wait */
	int fp_wake_fd;           /* fp_park's own wake-up fd, not a socket */
#define CR_FP_OTHERS 4
	cr_poll_fd_t *fp_others[CR_FP_OTHERS]; /* the other sockets, watched */
	int fp_n_others;
} cr_media_call_t;

/* session.c */
int cr_media_call_create(const cr_media_env_t *env, cr_media_relay_t *mr, cr_media_call_t **out,
			 char *err_buf);
/* Worker-side. Frees everything; release_ports is false when the relay's
 * media state is already gone. */
void cr_media_call_destroy(cr_media_call_t *mc, bool release_ports);

/* liveness.c: the 1 s tick (media timeouts both ways, ICE patience's clock), on
 * the worker's ticker with its other calls. Worker. */
void cr_liveness_start(cr_media_call_t *mc);
void cr_liveness_stop(cr_media_call_t *mc);
/* cr_call_watch_sip_media(): the trunk must send (on) or may be silent. */
void cr_liveness_sip_watch(cr_media_call_t *mc, bool on);

/* report.c: an event about the call onto env.events. */
void cr_media_emit(cr_media_call_t *mc, int type, int32_t code, int32_t value,
		   const char *fmt, ...) G_GNUC_PRINTF(5, 6);
/* report.c: the env's fd_exhausted handler, false without one. */
bool cr_media_fd_exhausted(const cr_media_env_t *env, int errnum, const char *what);

/* A command for a call's media, run on its worker in the order given
 * (relay/src/call_media.c builds and posts them). */
typedef enum {
	CR_MEDIA_CMD_START,
	CR_MEDIA_CMD_CANDIDATE,
	CR_MEDIA_CMD_END_OF_CANDIDATES,
	CR_MEDIA_CMD_REMOTE_CREDENTIALS,
	CR_MEDIA_CMD_FINGERPRINT,
	CR_MEDIA_CMD_SIP_REMOTE,
	CR_MEDIA_CMD_ICE_RESTART,
	CR_MEDIA_CMD_CODECS,
	CR_MEDIA_CMD_DTMF,
	CR_MEDIA_CMD_TRANSCODE,
	CR_MEDIA_CMD_SIP_WATCH,
	CR_MEDIA_CMD_ANSWERED
} cr_media_cmd_type_t;

typedef struct cr_media_cmd {
	cr_media_cmd_type_t type;
	char *a, *b;
	int x, y;
	cr_media_params_t *params;
} cr_media_cmd_t;

/* Worker: runs cmd, or keeps it (taking its strings and params) until
 * CR_MEDIA_CMD_START when media has not started yet. */
void cr_media_call_run(cr_media_call_t *mc, cr_media_cmd_t *cmd);
/* Frees what a command holds (not the command itself). */
void cr_media_cmd_clear(cr_media_cmd_t *cmd);

/* ice.c */
int cr_ice_start(cr_media_call_t *mc);
void cr_ice_stop(cr_media_call_t *mc);
void cr_ice_add_candidate(cr_media_call_t *mc, const char *sdp);
void cr_ice_end_of_candidates(cr_media_call_t *mc);
void cr_ice_set_remote_credentials(cr_media_call_t *mc, const char *ufrag, const char *pwd);
void cr_ice_restart(cr_media_call_t *mc, const char *ufrag, const char *pwd);
/* libnice logged a NOMINATION value from the client for the remote candidate
 * addr:port (nice_log.c's handler, inside libnice, on the worker). */
void cr_ice_on_nomination(cr_media_call_t *mc, const char *addr, guint port, uint32_t value);
/* Sends one datagram to the client on the selected pair of component. */
int cr_ice_send(cr_media_call_t *mc, guint component, const uint8_t *buf, size_t len);
/* Random ICE credential text of len characters from the ice-char set. */
void cr_ice_random_string(char *buf, size_t len);
/* libnice's wait after its last check before it says FAILED (ice.c). */
#define CR_ICE_IDLE_TIMEOUT_MS 2000

/* ice.c: libnice's receive callback (fastpath.c gives it back). */
void cr_ice_on_recv(NiceAgent *agent, guint stream_id, guint comp, guint len, gchar *buf,
		    gpointer p);

/* fastpath.c: the selected pair's socket on the worker's poller */
/* Worker: goes on the fast path when the selected pair allows it. */
void cr_fastpath_try_enter(cr_media_call_t *mc);
/* Worker, outside libnice: hands the socket back to libnice (why: traced;
 * fallback: counted as one). */
void cr_fastpath_leave(cr_media_call_t *mc, const char *why, bool fallback);
/* Worker: libnice selected a pair with this remote candidate (comp 1):
 * leaves the fast path unless it is the pair already used. */
void cr_fastpath_pair_selected(cr_media_call_t *mc, const NiceCandidate *remote);
/* Worker: leaves for good and stops its timers (call teardown). */
void cr_fastpath_stop(cr_media_call_t *mc);
/* libnice's log (nice_log.c, inside libnice): one of its checks or
 * keepalive checks left / was answered. */
void cr_fastpath_check_sent(cr_media_call_t *mc);
void cr_fastpath_check_answered(cr_media_call_t *mc);
/* Sends to the selected remote on the fast path (fp_on). */
int cr_fastpath_send(cr_media_call_t *mc, const uint8_t *buf, size_t len);

/* ice_patience.c: below ice.c (which tells it libnice's states) and
 * session.c (the answer) and liveness.c (the tick); checks the client's candidates again
 * itself, on the call's libnice agent, calling nothing in ice.c. */
/* libnice's component-1 state changed; false = keep FAILED from the signaling. */
bool cr_ice_patience_on_state(cr_media_call_t *mc, guint state);
void cr_ice_patience_alive(cr_media_call_t *mc);
void cr_ice_patience_answered(cr_media_call_t *mc);
/* libnice's log said: one of our checks left / was answered (nice_log.c). */
void cr_ice_patience_check_sent(cr_media_call_t *mc);
void cr_ice_patience_check_answered(cr_media_call_t *mc);
void cr_ice_patience_tick(cr_media_call_t *mc, int64_t now);
/* Seconds since the answer or the last sign of ICE life (0 before the answer). */
int cr_ice_patience_silent_s(const cr_media_call_t *mc, int64_t now);

/* nice_log.c: libnice's debug facts about this call's agent into its
 * trace; the facts others act on go to handlers (worker, inside libnice). */
typedef struct cr_nice_log_handlers {
	/* The client sent NOMINATION value for the remote candidate addr:port. */
	void (*nomination)(cr_media_call_t *mc, const char *addr, guint port, uint32_t value);
	/* One of our keepalive checks on the selected pair left / was answered. */
	void (*keepalive_sent)(cr_media_call_t *mc);
	void (*keepalive_answered)(cr_media_call_t *mc);
	/* A check of ours left / was answered. */
	void (*check_sent)(cr_media_call_t *mc);
	void (*check_answered)(cr_media_call_t *mc);
} cr_nice_log_handlers_t;

/* Files libnice's lines about mc->agent in mc's trace, the facts in h
 * (every handler set; h outlives the registration). Worker only. */
void cr_nice_log_register(cr_media_call_t *mc, const cr_nice_log_handlers_t *h);
void cr_nice_log_unregister(cr_media_call_t *mc);

/* rtp_leg.c */
int cr_rtp_leg_start(cr_media_call_t *mc);
void cr_rtp_leg_stop(cr_media_call_t *mc);
void cr_rtp_leg_set_remote(cr_media_call_t *mc, const char *addr, int rtp_port, int rtcp_port);
/* Sends toward the trunk; false when nothing went out (no trunk address yet,
 * or the socket refused it). */
bool cr_rtp_leg_send(cr_media_call_t *mc, bool rtcp, const uint8_t *buf, size_t len);

/* forward.c */
void cr_forward_setup(cr_media_call_t *mc);
/* A datagram from the client (after ICE), any component. */
void cr_forward_from_client(cr_media_call_t *mc, guint component, uint8_t *buf, size_t len);
/* An RTP/RTCP datagram accepted on the SIP leg; buf has room for the SRTP tag. */
void cr_forward_from_sip(cr_media_call_t *mc, bool rtcp, uint8_t *buf, size_t len);
/* DTLS finished on the client leg: check fingerprint, install keys. */
void cr_forward_dtls_done(cr_media_call_t *mc);
void cr_forward_dtls_failed(cr_media_call_t *mc, int code, const char *why);
/* Sends DTLS datagrams held while ICE had no pair. */
void cr_forward_flush_dtls(cr_media_call_t *mc);
/* Re-arms the DTLS retransmission timer after the handshake moved. */
void cr_forward_dtls_rearm(cr_media_call_t *mc);

/* dtmf_send.c: RFC 4733 digits injected toward the trunk. Below the
 * packet loop: forward.c calls cr_sip_out_rewrite(), and what it sends goes
 * through the handler given at init (session.c gives cr_rtp_leg_send). */
/* At the call's creation, before any other cr_dtmf_tx_* or the rewrite. */
void cr_dtmf_tx_init(cr_media_call_t *mc, cr_dtmf_tx_send_h send);
/* Worker: queue one digit (checked by cr_call_send_dtmf()). */
void cr_dtmf_tx_queue(cr_media_call_t *mc, char digit, int duration_ms, int volume);
/* Worker: stop sending, drop queued digits (call teardown). */
void cr_dtmf_tx_clear(cr_media_call_t *mc);
/* Per forwarded client RTP packet toward the trunk (buf's payload type
 * already mapped): applies the sequence-number offset, remembers the
 * stream's position; false when the packet is held back because a digit
 * is being sent. audio: not a telephone-event packet. */
bool cr_sip_out_rewrite(cr_media_call_t *mc, uint8_t *buf, bool audio, int64_t now_us);
/* forward.c: sends a packet the transcoder produced (plain RTP of the
 * destination leg) toward that leg; worker only. */
void cr_forward_transcoded(cr_media_call_t *mc, int dir, uint8_t *buf, size_t len);

/* transcode.c */
typedef struct cr_transcode cr_transcode_t;
/* One leg of a transcoded call: its codec and its telephone-event. */
typedef struct cr_xc_codec {
	int pt;
	char name[CR_MAX_CODEC_NAME_LEN];
	int clock_rate;
	int channels;
	int dtmf_pt;         /* 0 = none */
	int dtmf_clock_rate; /* 0 = 8000 */
} cr_xc_codec_t;
/* Loads GStreamer once per process and checks every element transcoding
 * needs exists. */
int cr_transcode_global_init(char *err_buf);
/* Lua thread: checks a codec pair and takes a slot of the relay's maximum. */
int cr_transcode_reserve(cr_media_call_t *mc, const cr_xc_codec_t *client, const cr_xc_codec_t *sip,
			 char *err_buf);
/* Gives the call's slot back, if it holds one; any thread. */
void cr_transcode_release(cr_media_call_t *mc);
/* Worker: replaces the call's pipelines (client/sip NULL = passthrough). */
void cr_transcode_apply(cr_media_call_t *mc, const cr_xc_codec_t *client, const cr_xc_codec_t *sip);
/* Worker: stops and frees the pipelines (joins their streaming threads). */
void cr_transcode_destroy(cr_transcode_t *xc);
/* Worker: takes a plain RTP packet of direction dir when pt is the codec
 * transcoded on its source leg; false when it is not (pass it through). */
bool cr_transcode_push(cr_transcode_t *xc, int dir, int pt, const uint8_t *buf, size_t len);
/* Tests only (relay/tests/test_media_trunk_ssrc.c): stops dir's decoder as a
 * broken element would, so its pipeline goes silent without an error. Worker. */
void cr_transcode_test_break(cr_transcode_t *xc, int dir);

/* helpers */
int cr_parse_addr(const char *ip, int port, struct sockaddr_storage *ss, socklen_t *len);
void cr_format_addr(const struct sockaddr *sa, char *buf, size_t len);

#endif
