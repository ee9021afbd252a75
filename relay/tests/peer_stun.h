/**
 * @file peer_stun.h  Test peer with raw STUN ICE: a controlling client that nominates with NOMINATION (0xC001)
 *
 * libnice never sends the NOMINATION attribute itself, so a client that
 * renominates the way Conversations' libwebrtc does is played here with
 * libnice's STUN message API over plain UDP sockets, one socket per local
 * candidate. DTLS (client role) and SRTP on top reuse the relay's own
 * wrappers. The peer runs on its own thread; the test steers it.
 */
#ifndef CR_PEER_STUN_H
#define CR_PEER_STUN_H

#include <stdbool.h>
#include <stdint.h>

#define SPEER_SOCKS 2

typedef struct speer speer_t;

/* Binds SPEER_SOCKS UDP sockets on ip (one host candidate each). */
int speer_new(const char *ip, speer_t **out);
void speer_free(speer_t *peer);
const char *speer_ufrag(speer_t *peer);
const char *speer_pwd(speer_t *peer);
const char *speer_fingerprint(speer_t *peer);
/* Host candidate of socket i, "candidate:..." with the given priority. */
void speer_candidate(speer_t *peer, int i, uint32_t priority, char *buf, int len);
int speer_port(speer_t *peer, int i);
/* The relay's credentials, fingerprint and the candidate to check against
 * ("candidate:..." line; its address and port are used). */
int speer_set_remote(speer_t *peer, const char *ufrag, const char *pwd, const char *fingerprint,
		     const char *candidate);
/* ICE restart on our side: new ufrag/pwd, no nomination, answered-check
 * counters back to 0; give it the relay's (new) ones with speer_set_remote(). */
void speer_restart(speer_t *peer);
/* Plain checks (no nomination) from every socket until each is answered,
 * as libwebrtc checks its pairs before it nominates one. */
void speer_probe(speer_t *peer);
/* From now on, checks go from socket i with NOMINATION = value (100 ms
 * apart until one is answered, then every second, as libwebrtc keeps
 * checking its selected pair); DTLS and audio leave from socket i too. */
void speer_nominate(speer_t *peer, int i, uint32_t value);
/* Successful responses to our checks from socket i. */
int speer_checks_answered(speer_t *peer, int i);
/* Requests from the relay answered on socket i. */
int speer_requests_answered(speer_t *peer, int i);
/* Starts the DTLS handshake (client); waits for SRTP keys. 0 when ready. */
int speer_wait_dtls(speer_t *peer, int timeout_ms);
/* Sends n SRTP audio packets (PT 111), 20 ms apart, from the peer's thread. */
void speer_send_audio(speer_t *peer, int n);
/* Sends raw bytes to the relay from socket i. */
void speer_send_raw(speer_t *peer, int i, const uint8_t *buf, size_t len);
/* A check from socket i signed with a wrong password. */
void speer_send_bad_check(speer_t *peer, int i);
/* Authenticated audio packets received on socket i. */
int speer_audio_received(speer_t *peer, int i);

#endif
