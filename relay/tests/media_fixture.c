/**
 * @file media_fixture.c  A relay with a media plane, one call, a client peer and a SIP echo
 */
#include <glib.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media_fixture.h"
#include "netns.h"
#include "peer_stun.h"
#include "peer_turn.h"

int fx_setup(fixture_t *f, const peer_opts_t *po)
{
	int err = fx_setup_relay(f);

	return err ? err : fx_setup_peer(f, po);
}

static int setup_relay(fixture_t *f, const char *ice_addresses, int media_timeout_ms,
		       int max_transcoded_calls, int sip_media_timeout_ms);

int fx_setup_relay(fixture_t *f)
{
	return setup_relay(f, "127.0.0.1,::1", 0, 0, 0);
}

static const char *turn_server; /* fx_setup_relay_turn() */
static int turn_port;

int fx_setup_relay_turn(fixture_t *f, const char *ice_addresses, const char *server, int port)
{
	int err;

	turn_server = server;
	turn_port = port;
	err = setup_relay(f, ice_addresses, 0, 0, 0);
	turn_server = NULL;
	turn_port = 0;
	return err;
}

int fx_setup_relay_at(fixture_t *f, const char *ice_addresses, int media_timeout_ms)
{
	return setup_relay(f, ice_addresses, media_timeout_ms, 0, 0);
}

int fx_setup_relay_transcoding(fixture_t *f, int max_transcoded_calls)
{
	return setup_relay(f, "127.0.0.1,::1", 0, max_transcoded_calls, 0);
}

int fx_setup_relay_trunk_timeout(fixture_t *f, int sip_media_timeout_ms)
{
	return setup_relay(f, "127.0.0.1,::1", 0, 0, sip_media_timeout_ms);
}

static int setup_relay(fixture_t *f, const char *ice_addresses, int media_timeout_ms,
		       int max_transcoded_calls, int sip_media_timeout_ms)
{
	cr_relay_config_t cfg;
	cr_media_config_t mcfg;
	char msg[CR_MAX_ERROR_LEN];
	int err;

	memset(f, 0, sizeof(*f));
	cr_relay_config_init(&cfg);
	cr_media_config_init(&mcfg);
	cfg.workers = 2;
	mcfg.ice_addresses = ice_addresses;
	mcfg.media_timeout_ms = media_timeout_ms;
	mcfg.sip_media_timeout_ms = sip_media_timeout_ms;
	mcfg.ice_port_min = 31000;
	mcfg.ice_port_max = 31999;
	mcfg.sip_rtp_address = "127.0.0.1";
	mcfg.sip_port_min = 30000;
	mcfg.sip_port_max = 30999;
	if (turn_server) {
		mcfg.turn_server = turn_server;
		mcfg.turn_port = turn_port;
		mcfg.turn_username = TURN_USER;
		mcfg.turn_password = TURN_PASS;
	}
	cfg.media = &mcfg;
	cfg.max_transcoded_calls = max_transcoded_calls;
	err = cr_relay_create(&cfg, &f->relay, msg);
	if (err) {
		fprintf(stderr, "  relay: %s\n", msg);
		return err;
	}
	if (echo_new("127.0.0.1", &f->echo))
		return -1;
	err = cr_call_create(f->relay, &f->call, msg);
	if (err) {
		fprintf(stderr, "  call: %s\n", msg);
		return err;
	}
	f->id = cr_call_id(f->call);
	err = cr_call_get_media_local(f->call, &f->local);
	if (err)
		return err;
	cr_media_params_init(&f->params);
	g_strlcpy(f->params.sip_remote_addr, "127.0.0.1", sizeof(f->params.sip_remote_addr));
	f->params.sip_remote_port = echo_rtp_port(f->echo);
	f->params.n_codecs = 2;
	f->params.codecs[0] = (cr_codec_map_t){ 111, { 96, "opus", 48000, 2 } };
	f->params.codecs[1] = (cr_codec_map_t){ 126, { 101, "telephone-event", 8000, 1 } };
	return 0;
}

int fx_setup_peer(fixture_t *f, const peer_opts_t *po)
{
	if (peer_new(po, &f->peer))
		return -1;
	if (peer_wait_gathered(f->peer, 5000) < 1)
		return -1;
	f->params.ice_controlling = po->controlling ? 0 : 1;
	f->params.rtcp_mux = po->components == 2 ? 0 : 1;
	f->params.dtls_role = po->dtls_active ? CR_DTLS_PASSIVE : CR_DTLS_ACTIVE;
	g_strlcpy(f->params.remote_ufrag, peer_ufrag(f->peer), sizeof(f->params.remote_ufrag));
	g_strlcpy(f->params.remote_pwd, peer_pwd(f->peer), sizeof(f->params.remote_pwd));
	g_strlcpy(f->params.remote_fingerprint, peer_fingerprint(f->peer),
		  sizeof(f->params.remote_fingerprint));
	peer_set_remote(f->peer, f->local.ice_ufrag, f->local.ice_pwd);
	return 0;
}

int fx_setup_transcoded(fixture_t *f, const peer_opts_t *po)
{
	int err = fx_setup_relay_transcoding(f, 2);

	if (err || (err = fx_setup_peer(f, po)))
		return err;
	f->params.n_codecs = 1;
	f->params.codecs[0] = (cr_codec_map_t){ 126, { 101, "telephone-event", 8000, 1 } };
	return 0;
}

int fx_connect_transcoded(fixture_t *f, const cr_codec_t *client, const cr_codec_t *client_dtmf,
			  const cr_codec_t *sip, const cr_codec_t *sip_dtmf)
{
	char msg[CR_MAX_ERROR_LEN];
	int err = cr_call_set_transcode(f->call, client, client_dtmf, sip, sip_dtmf, msg);

	if (err) {
		fprintf(stderr, "  set_transcode: %s\n", msg);
		return err;
	}
	if ((err = fx_start(f)) || (err = fx_trickle_peer(f, 0, 0)))
		return err;
	if ((err = cr_call_end_of_candidates(f->call))) {
		fprintf(stderr, "  end_of_candidates: %d\n", err);
		return err;
	}
	return fx_wait_connected(f, 10000);
}

void fx_teardown(fixture_t *f)
{
	if (f->call && getenv("CR_TEST_TRACE")) {
		static char buf[65536];

		cr_call_get_trace(f->call, buf, sizeof(buf));
		fprintf(stderr, "---- trace of call %u\n%s----\n", f->id, buf);
	}
	if (f->call) {
		cr_call_close(f->call, "test done");
		fx_wait(f, CR_EVENT_CALL_CLOSED, 5000, NULL);
		f->call = NULL;
	}
	peer_free(f->peer);
	f->peer = NULL;
	cr_relay_destroy(f->relay);
	f->relay = NULL;
	echo_free(f->echo);
	f->echo = NULL;
}

void fx_give_relay_cands(fixture_t *f)
{
	while (f->n_given < f->n_relay_cands)
		peer_add_remote_candidate(f->peer, f->relay_cands[f->n_given++]);
}

static void handle(fixture_t *f, const cr_event_t *e)
{
	if (e->call_id != f->id || e->type < 0 || e->type >= FX_TYPES)
		return;
	f->seen[e->type]++;
	f->last[e->type] = *e;
	if (e->type == CR_EVENT_LOCAL_CANDIDATE && f->n_relay_cands < FX_MAX_CANDS)
		g_strlcpy(f->relay_cands[f->n_relay_cands++], e->text, 512);
	if (!f->hold_relay_cands && f->peer)
		fx_give_relay_cands(f);
}

int fx_wait(fixture_t *f, int type, int timeout_ms, cr_event_t *out)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	cr_event_t batch[16];

	for (;;) {
		struct pollfd pfd = { .fd = cr_relay_event_fd(f->relay), .events = POLLIN };
		gint64 left;
		int n;

		if (type > 0 && f->seen[type] > f->consumed[type]) {
			f->consumed[type]++;
			if (out)
				*out = f->last[type];
			return 0;
		}
		left = (end - g_get_monotonic_time()) / 1000;
		if (left < 0)
			return -1;
		poll(&pfd, 1, (int)(left > 50 ? 50 : left));
		n = cr_relay_poll_events(f->relay, batch, 16);
		for (int i = 0; i < n; i++)
			handle(f, &batch[i]);
	}
}

int fx_start(fixture_t *f)
{
	char msg[CR_MAX_ERROR_LEN];
	int err = cr_call_media_start(f->call, &f->params, msg);

	if (err)
		fprintf(stderr, "  media start: %s\n", msg);
	return err;
}

int fx_trickle_peer(fixture_t *f, int from, int delay_ms)
{
	for (int i = from; peer_candidate(f->peer, i); i++) {
		int err = cr_call_add_remote_candidate(f->call, peer_candidate(f->peer, i));

		if (err)
			return err;
		fx_wait(f, 0, delay_ms, NULL);
	}
	return 0;
}

int fx_wait_connected(fixture_t *f, int timeout_ms)
{
	cr_event_t ev;

	if (fx_wait(f, CR_EVENT_DTLS_CONNECTED, timeout_ms, &ev)) {
		fprintf(stderr, "  no DTLS_CONNECTED from the relay\n");
		return -1;
	}
	if (peer_wait_dtls(f->peer, f->local.fingerprint, timeout_ms)) {
		fprintf(stderr, "  the peer's DTLS did not finish\n");
		return -1;
	}
	return 0;
}

int fx_audio_roundtrip(fixture_t *f, int n, int timeout_ms)
{
	int before = peer_audio_received(f->peer);

	peer_send_audio(f->peer, n, 20);
	/* Loopback loses nothing, but allow a few for load. */
	FX_PUMP_UNTIL(f, peer_audio_received(f->peer) - before >= n - n / 10, timeout_ms);
	if (peer_audio_received(f->peer) - before >= n - n / 10)
		return 0;
	fprintf(stderr, "  audio back: %d of %d\n", peer_audio_received(f->peer) - before, n);
	return -1;
}

bool fx_trace_has(fixture_t *f, const char *needle)
{
	static char buf[65536];

	cr_call_get_trace(f->call, buf, sizeof(buf));
	return strstr(buf, needle) != NULL;
}

const char *fx_relay_v4_cand(fixture_t *f)
{
	for (int i = 0; i < f->n_relay_cands; i++)
		if (strstr(f->relay_cands[i], " 127.0.0.1 ") && strstr(f->relay_cands[i], "typ host"))
			return f->relay_cands[i];
	return NULL;
}

int fx_speer_audio_on(fixture_t *f, speer_t *sp, int i, int n, int timeout_ms)
{
	int before = speer_audio_received(sp, i);

	speer_send_audio(sp, n);
	FX_PUMP_UNTIL(f, speer_audio_received(sp, i) - before >= n - n / 10, timeout_ms);
	if (speer_audio_received(sp, i) - before >= n - n / 10)
		return 0;
	fprintf(stderr, "  audio back on socket %d: %d of %d\n", i,
		speer_audio_received(sp, i) - before, n);
	return -1;
}

int fx_speer_wait_answered(fixture_t *f, speer_t *sp, int i, int timeout_ms)
{
	FX_PUMP_UNTIL(f, speer_checks_answered(sp, i) > 0, timeout_ms);
	if (speer_checks_answered(sp, i) > 0)
		return 0;
	fprintf(stderr, "  no answer to the peer's checks from socket %d\n", i);
	return -1;
}

int fx_speer_start(fixture_t *f, speer_t *sp, const char **relay_cand)
{
	const char *rc;
	int err;

	f->params.ice_controlling = 0;
	f->params.rtcp_mux = 1;
	f->params.dtls_role = CR_DTLS_PASSIVE;
	g_strlcpy(f->params.remote_ufrag, speer_ufrag(sp), sizeof(f->params.remote_ufrag));
	g_strlcpy(f->params.remote_pwd, speer_pwd(sp), sizeof(f->params.remote_pwd));
	g_strlcpy(f->params.remote_fingerprint, speer_fingerprint(sp),
		  sizeof(f->params.remote_fingerprint));
	if ((err = fx_start(f)))
		return err;
	if (fx_wait(f, CR_EVENT_GATHERING_DONE, 5000, NULL)) {
		fprintf(stderr, "  no GATHERING_DONE from the relay\n");
		return -1;
	}
	rc = fx_relay_v4_cand(f);
	if (!rc) {
		fprintf(stderr, "  no IPv4 host candidate from the relay\n");
		return -1;
	}
	if (speer_set_remote(sp, f->local.ice_ufrag, f->local.ice_pwd, f->local.fingerprint, rc)) {
		fprintf(stderr, "  the STUN peer refused the relay's candidate %s\n", rc);
		return -1;
	}
	*relay_cand = rc;
	return 0;
}

int fx_speer_nominate_up(fixture_t *f, speer_t *sp, int i, uint32_t value)
{
	cr_event_t ev;
	char port[16];

	g_snprintf(port, sizeof(port), ":%d", speer_port(sp, i));
	speer_nominate(sp, i, value);
	if (fx_wait(f, CR_EVENT_SELECTED_PAIR, 10000, &ev)) {
		fprintf(stderr, "  no SELECTED_PAIR after nominating socket %d\n", i);
		return -1;
	}
	if (!strstr(ev.text, port)) {
		fprintf(stderr, "  selected %s, not socket %d (%s)\n", ev.text, i, port);
		return -1;
	}
	if (speer_wait_dtls(sp, 10000)) {
		fprintf(stderr, "  the STUN peer's DTLS did not finish\n");
		return -1;
	}
	if (fx_wait(f, CR_EVENT_DTLS_CONNECTED, 10000, NULL)) {
		fprintf(stderr, "  no DTLS_CONNECTED from the relay\n");
		return -1;
	}
	return fx_speer_audio_on(f, sp, i, 25, 10000);
}

int fx_speer_call_up(fixture_t *f, speer_t *sp, const char **relay_cand)
{
	char cand[256];
	int err;

	if ((err = fx_speer_start(f, sp, relay_cand)))
		return err;
	speer_candidate(sp, 0, 2130706431u, cand, sizeof(cand));
	if ((err = cr_call_add_remote_candidate(f->call, cand))) {
		fprintf(stderr, "  add_remote_candidate: %d\n", err);
		return err;
	}
	return fx_speer_nominate_up(f, sp, 0, 1);
}

int fx_call_up_in_netns(fixture_t *f, netns_t *n, const char *prefix, int media_timeout_ms)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = n->peer_ip, .netns = n->name };

	if (netns_up(n, prefix))
		return -1;
	if (fx_setup_relay_at(f, n->host_ip, media_timeout_ms) || fx_setup_peer(f, &po) ||
	    fx_start(f) || fx_trickle_peer(f, 0, 10) ||
	    fx_wait(f, CR_EVENT_SELECTED_PAIR, 10000, NULL) || fx_wait_connected(f, 10000) ||
	    fx_audio_roundtrip(f, 25, 10000))
		return -1;
	return 0;
}
