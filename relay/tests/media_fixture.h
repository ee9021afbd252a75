/**
 * @file media_fixture.h  A relay with a media plane, one call, a client peer and a SIP echo
 *
 * Plays the signaling between them: relay candidates go to the peer as the
 * relay emits them (unless held back), peer candidates go to the relay when
 * the test says so. The fx_speer_* helpers play it for the raw-STUN peer
 * instead (peer_stun.h: renomination, restarts, junk), which the ICE tests
 * drive by hand.
 */
#ifndef CR_MEDIA_FIXTURE_H
#define CR_MEDIA_FIXTURE_H

#include "callrelay.h"
#include "peer_client.h"
#include "peer_echo.h"

#define FX_MAX_CANDS 32
#define FX_TYPES 64

typedef struct fixture {
	cr_relay_t *relay;
	cr_call_t *call;
	uint32_t id;
	echo_t *echo;
	peer_t *peer;
	cr_media_local_t local;
	cr_media_params_t params;
	bool hold_relay_cands;   /* keep relay candidates from the peer (ringing) */
	char relay_cands[FX_MAX_CANDS][512];
	int n_relay_cands, n_given;
	int seen[FX_TYPES], consumed[FX_TYPES];
	cr_event_t last[FX_TYPES];
} fixture_t;

/* Relay (ICE on 127.0.0.1 and ::1), call, echo and peer; params filled with
 * defaults matching the peer (codecs opus 111<->96, telephone-event 126<->101). */
int fx_setup(fixture_t *f, const peer_opts_t *po);
/* The two halves of fx_setup(), for a client that comes later. */
int fx_setup_relay(fixture_t *f);
/* fx_setup_relay() with host candidates on ice_addresses and the given
 * media timeout (0 = the relay's default). */
int fx_setup_relay_at(fixture_t *f, const char *ice_addresses, int media_timeout_ms);
/* fx_setup_relay_at() with a TURN server (peer_turn.h's credentials). */
int fx_setup_relay_turn(fixture_t *f, const char *ice_addresses, const char *server, int port);
/* fx_setup_relay() with the relay's max_transcoded_calls set. */
int fx_setup_relay_transcoding(fixture_t *f, int max_transcoded_calls);
/* fx_setup_relay() with the relay's sip_media_timeout_ms set. */
int fx_setup_relay_trunk_timeout(fixture_t *f, int sip_media_timeout_ms);
int fx_setup_peer(fixture_t *f, const peer_opts_t *po);
/* A transcoding call's first half: fx_setup_relay_transcoding(f, 2) and
 * fx_setup_peer(f, po), with telephone-event the one codec both legs share
 * (f->params.codecs; the audio codecs differ). */
int fx_setup_transcoded(fixture_t *f, const peer_opts_t *po);
/* Its second half: transcodes client <-> sip (each with its telephone-event
 * or NULL), starts media, trickles every
 * peer candidate and the end of them, waits for DTLS on both sides. */
int fx_connect_transcoded(fixture_t *f, const cr_codec_t *client, const cr_codec_t *client_dtmf,
			  const cr_codec_t *sip, const cr_codec_t *sip_dtmf);
void fx_teardown(fixture_t *f);
/* Processes relay events for up to timeout_ms, until one of type arrives
 * (one not returned before). type 0: just pump. Returns 0 if found. */
int fx_wait(fixture_t *f, int type, int timeout_ms, cr_event_t *out);
/* Gives the peer every relay candidate not yet given. */
void fx_give_relay_cands(fixture_t *f);
/* Starts media with f->params (peer credentials and fingerprint included). */
int fx_start(fixture_t *f);
/* Trickles every peer candidate to the relay, pumping events between. */
int fx_trickle_peer(fixture_t *f, int from, int delay_ms);
/* Waits for DTLS on both sides. */
int fx_wait_connected(fixture_t *f, int timeout_ms);
/* Sends audio from the peer and waits for it back through the echo. */
int fx_audio_roundtrip(fixture_t *f, int n, int timeout_ms);
struct speer;
/* A call with the raw-STUN peer (peer_stun.h; controlling, DTLS active,
 * rtcp-mux): params from it, media started, the relay's candidates
 * gathered and given to it (*relay_cand: the relay's IPv4 host candidate,
 * the one it checks). No candidate of its is given to the relay yet. */
int fx_speer_start(fixture_t *f, struct speer *sp, const char **relay_cand);
/* The peer nominates its socket i with value: the relay selects that
 * pair (its port in the event), DTLS finishes both sides and audio comes
 * back on socket i. */
int fx_speer_nominate_up(fixture_t *f, struct speer *sp, int i, uint32_t value);
/* Both: fx_speer_start(), socket 0's candidate given, nominated with 1. */
int fx_speer_call_up(fixture_t *f, struct speer *sp, const char **relay_cand);
/* Sends n audio packets from the peer; waits for most of them back on
 * its socket i. */
int fx_speer_audio_on(fixture_t *f, struct speer *sp, int i, int n, int timeout_ms);
/* Pump the relay until the peer has had an answer to a check it sent from
 * socket i (its own thread reads it, so it may lag an event the relay already
 * sent); 0, or -1 at timeout_ms. */
int fx_speer_wait_answered(fixture_t *f, struct speer *sp, int i, int timeout_ms);
/* Pumps the relay (fx_wait, 20 ms at a time) for up to timeout_ms until
 * cond holds: for what peers count on their own threads, or the worker in
 * its stats, a moment after what the test did. The test then asserts as
 * before; cond only bounds the wait. */
#define FX_PUMP_UNTIL(f, cond, timeout_ms)                                               \
	do {                                                                             \
		gint64 end_ = g_get_monotonic_time() + (gint64)(timeout_ms) * 1000;      \
		while (!(cond) && g_get_monotonic_time() < end_)                         \
			fx_wait((f), 0, 20, NULL);                                       \
	} while (0)
/* The same with st refreshed from the call's stats before each test of
 * cond (an expression over st); st is left as last read. */
#define FX_STATS_UNTIL(f, st, cond, timeout_ms)                                          \
	FX_PUMP_UNTIL((f), cr_call_get_stats((f)->call, &(st)) != CR_OK || (cond), (timeout_ms))
/* The relay's IPv4 host candidate, or NULL. */
const char *fx_relay_v4_cand(fixture_t *f);
struct netns;
/* A call between the relay on the host side of a new namespace pair
 * (netns_up(n, prefix)) and the client peer inside it, connected and
 * carrying audio both ways. media_timeout_ms as fx_setup_relay_at(). */
int fx_call_up_in_netns(fixture_t *f, struct netns *n, const char *prefix, int media_timeout_ms);
bool fx_trace_has(fixture_t *f, const char *needle);

#endif
