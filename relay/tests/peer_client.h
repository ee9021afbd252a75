/**
 * @file peer_client.h  Test peer playing the XMPP client: libnice agent + OpenSSL DTLS + libsrtp2
 *
 * The peer runs its agent on its own thread and GMainContext, like a real
 * client process. The test feeds it the relay's candidates and credentials
 * and reads its own back, the way the signaling would.
 */
#ifndef CR_PEER_CLIENT_H
#define CR_PEER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct peer peer_t;

typedef struct peer_opts {
	bool controlling;
	bool renomination;        /* libnice support-renomination (Chromium/Conversations-like) */
	bool regular_nomination;  /* nominate one pair after checks (default: aggressive) */
	int components;           /* 1 (rtcp-mux) or 2 */
	bool dtls_active;         /* the peer is the DTLS client */
	const char *addresses;    /* comma-separated local IPs, e.g. "127.0.0.1" */
	int audio_pt;             /* payload type the peer sends and expects back */
	bool rtcp_mux;            /* with 2 components: RTCP still goes on component 1 */
	int port;                 /* fixed local port (all components), 0 = any */
	const char *ufrag, *pwd;  /* fixed credentials, NULL = random */
	const char *netns;        /* run the agent in this network namespace (ip netns name) */
	int send_loss_percent;    /* audio packets peer_send_audio() drops (random) */
	int dtmf_pt;              /* telephone-event it takes back (peer_dtmf_digits), 0 = none */
	int audio_on_keys;        /* send this many 20 ms audio packets from the moment SRTP
				   * is keyed, as a browser does (0 = only peer_send_audio) */
	bool start_later;         /* no agent (nothing on its port) before peer_start():
				   * credentials and certificate exist, ICE starts later */
	const char *srtp_profiles; /* the DTLS-SRTP profiles it offers, OpenSSL's
				    * "A:B" order (NULL = the relay's own list) */
	bool consent_freshness;   /* libnice consent-freshness (RFC 7675, as browsers): consent
				   * checks every ~5 s, and no sending 10 s after the last answer */
} peer_opts_t;

int peer_new(const peer_opts_t *opts, peer_t **out);
/* Starts the agent of a peer made with start_later (gathering follows). */
void peer_start(peer_t *peer);
void peer_free(peer_t *peer);
const char *peer_ufrag(peer_t *peer);
const char *peer_pwd(peer_t *peer);
const char *peer_fingerprint(peer_t *peer);
/* The peer's certificate fingerprint with another hash ("sha-512"), the
 * way the signaling spells it; 0 if it fit in buf. */
int peer_fingerprint_with(peer_t *peer, const char *hash, char *buf, size_t len);
/* Waits for the peer's gathering; returns the number of candidates. */
int peer_wait_gathered(peer_t *peer, int timeout_ms);
/* The i-th local candidate as "candidate:..." (no "a="), or NULL. */
const char *peer_candidate(peer_t *peer, int i);
void peer_set_remote(peer_t *peer, const char *ufrag, const char *pwd);
void peer_add_remote_candidate(peer_t *peer, const char *candidate);
/* Gives the relay's fingerprint (the session-accept) without waiting. */
void peer_set_relay_fingerprint(peer_t *peer, const char *fingerprint);
/* Monotonic times in microseconds (g_get_monotonic_time), 0 = not yet: the
 * agent's first state CONNECTING (its checks start), SRTP keyed, the first
 * audio packet received. */
int64_t peer_first_check_at(peer_t *peer);
int64_t peer_keys_at(peer_t *peer);
int64_t peer_first_audio_at(peer_t *peer);
/* Waits until SRTP keys are set up (the relay's fingerprint given first). */
int peer_wait_dtls(peer_t *peer, const char *relay_fingerprint, int timeout_ms);
/* Sends n RTP packets, every interval_ms, from the peer's thread. */
void peer_send_audio(peer_t *peer, int n, int interval_ms);
/* Sends one SRTCP receiver report (component 2 without rtcp-mux). */
void peer_send_rtcp(peer_t *peer);
/* Sends raw bytes as-is on the selected pair of component comp. */
void peer_send_raw(peer_t *peer, int comp, const uint8_t *buf, int len);
/* Sends one SRTP packet, then corrupts its tag before sending. */
void peer_send_bad_srtp(peer_t *peer);
/* Like peer_send_dtmf() but paced as a phone sends it (RFC 4733 2.5): the
 * start, an update every 50 ms, then the end three times; returns at once. */
void peer_send_dtmf_paced(peer_t *peer, int pt, int event, int duration_ms);
/* Sends RFC 4733 telephone-event for digit (event number) on pt. */
void peer_send_dtmf(peer_t *peer, int pt, int event, int duration_ms);
/* Makes each audio packet's payload (peer's thread): writes at most max
 * bytes, returns the length. NULL = the fixed 160-byte filler. */
typedef int (*peer_payload_fn)(void *arg, uint8_t *payload, int max);
/* Gets each audio payload received (peer's thread). */
typedef void (*peer_sink_fn)(void *arg, const uint8_t *payload, int len);
/* Call before peer_send_audio(); fn stays in use until peer_free(). */
void peer_set_audio_source(peer_t *peer, peer_payload_fn fn, void *arg);
void peer_set_audio_sink(peer_t *peer, peer_sink_fn fn, void *arg);
/* RFC 4733 digits received on opts.dtmf_pt, one per event, in order. */
void peer_dtmf_digits(peer_t *peer, char *buf, int len);
/* The RTP it got back (audio and telephone-event), as one stream: packets
 * whose SSRC differs from the one before, sequence numbers that skip. */
int peer_ssrc_changes(peer_t *peer);
int peer_seq_gaps(peer_t *peer);
/* Waits until the peer got at least n audio packets back. */
int peer_wait_audio(peer_t *peer, int n, int timeout_ms);
int peer_wait_rtcp(peer_t *peer, int n, int timeout_ms);
int peer_audio_received(peer_t *peer);
int peer_rtcp_received(peer_t *peer);
int peer_rtcp_comp2(peer_t *peer);
int peer_bad_pt_received(peer_t *peer);
int peer_plain_received(peer_t *peer); /* RTP before keys: must stay 0 */
/* The last RTCP packet received (decrypted); returns its length. */
int peer_last_rtcp(peer_t *peer, uint8_t *buf, int len);
/* The peer's selected pair for component 1: local and remote "IP:PORT". */
int peer_selected(peer_t *peer, char *local, char *remote, int len);
/* Stops answering and sending: a client that went away. */
void peer_go_silent(peer_t *peer);

#endif
