/**
 * @file test_media_transcode.c  Transcoding: an Opus-only client through a PCMU-only SIP echo, and the limit
 *
 * The client sends a 1 kHz sine as Opus; the relay transcodes it to PCMU
 * toward the SIP leg, whose echo sends the PCMU back; the relay transcodes
 * that to Opus toward the client, which decodes it. What the client hears
 * must be the tone it sent: frequency within 2 %, level within 6 dB; and so
 * with 5 % of the packets lost each way (the jitter buffers and Opus's
 * concealment absorb it). DTMF crosses between the client's RFC 4733 events
 * and in-band tones toward a trunk without telephone-event, both ways.
 */
#include <glib.h>
#include <math.h>

#include "helpers.h"
#include "media_fixture.h"
#include "test.h"
#include "tone.h"

int test_media_transcode_opus_pcmu(void);
int test_media_transcode_5pct_loss(void);
int test_media_transcode_limit(void);
int test_media_transcode_dtmf_inband(void);
int test_media_transcode_stream_continuity(void);
int test_media_transcode_dtmf_only(void);

#define TONE_HZ 1000.0
#define TONE_AMP 0.3

/* The client sends 3 s of tone as Opus through a PCMU echo dropping
 * loss_percent of its packets, itself dropping as many on the way in; what
 * it hears back must be its tone. */
static int tone_through_pcmu_echo(int loss_percent)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1", .send_loss_percent = loss_percent };
	cr_codec_t client = { 111, "opus", 48000, 2 }, sip = { 0, "PCMU", 8000, 1 };
	tone_tx_t tx = { 0 };
	tone_rx_t rx = { 0 };
	fixture_t f;
	cr_call_stats_t st;
	cr_relay_stats_t rs;
	double freq = 0, level = 0, sent_level = tone_sine_level_db(TONE_AMP);
	int err = 0, got, want = 150 - 150 * 3 * loss_percent / 100 - 10;

	TEST_ERR(tone_tx_init(&tx, TONE_HZ, TONE_AMP));
	TEST_ERR(tone_rx_init(&rx, 10));
	TEST_ERR(fx_setup_transcoded(&f, &po));
	echo_set_loss(f.echo, loss_percent);
	TEST_ERR(fx_connect_transcoded(&f, &client, NULL, &sip, NULL));
	peer_set_audio_source(f.peer, tone_tx_payload, &tx);
	peer_set_audio_sink(f.peer, tone_rx_sink, &rx);
	peer_send_audio(f.peer, 150, 20); /* 3 s */
	FX_PUMP_UNTIL(&f, peer_audio_received(f.peer) >= want, 15000);
	fx_wait(&f, 0, 300, NULL);
	got = tone_rx_count(&rx);
	fprintf(stderr, "  %d%% loss: client got %d packets, %.2f s of audio back; echo dropped %d\n",
		loss_percent, peer_audio_received(f.peer), (double)got / TONE_RATE,
		echo_dropped(f.echo));
	TEST_ASSERT(got >= 2 * TONE_RATE);
	TEST_EQUALS(0, echo_last_pt(f.echo)); /* the SIP leg carried PCMU */
	TEST_EQUALS(0, peer_bad_pt_received(f.peer)); /* the client got opus on its own number */
	/* The middle second: past the jitter buffers' and codecs' start. */
	TEST_ERR(tone_rx_measure_second(&rx, TONE_RATE / 2, &freq, &level));
	fprintf(stderr, "  tone back: %.1f Hz at %.1f dBFS (sent %.0f Hz at %.1f dBFS)\n", freq, level,
		TONE_HZ, sent_level);
	TEST_ASSERT(fabs(freq - TONE_HZ) <= TONE_HZ * 0.02);
	TEST_ASSERT(fabs(level - sent_level) <= 6.0);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_STREQ("transcoded opus/48000 <-> PCMU/8000", st.media_path);
	TEST_ASSERT(st.transcoded_packets >= (uint64_t)(2 * want));
	TEST_EQUALS(0, st.transcode_dropped);
	cr_relay_get_stats(f.relay, &rs);
	TEST_EQUALS(1, rs.transcoded_calls);
	TEST_ASSERT(fx_trace_has(&f, "path transcoded opus/48000 <-> PCMU/8000"));
	if (loss_percent)
		TEST_ASSERT(echo_dropped(f.echo) > 0);
out:
	fx_teardown(&f);
	tone_tx_clear(&tx);
	tone_rx_clear(&rx);
	return err;
}

int test_media_transcode_opus_pcmu(void)
{
	return tone_through_pcmu_echo(0);
}

int test_media_transcode_5pct_loss(void)
{
	return tone_through_pcmu_echo(5);
}

int test_media_transcode_limit(void)
{
	cr_codec_t client = { 111, "opus", 48000, 2 }, sip = { 8, "PCMA", 8000, 1 };
	cr_codec_t gsm = { 3, "GSM", 8000, 1 };
	char msg[CR_MAX_ERROR_LEN];
	cr_relay_config_t cfg;
	cr_media_config_t mcfg;
	cr_relay_t *off = NULL, *bad = NULL;
	cr_call_t *second = NULL, *third = NULL;
	cr_relay_stats_t rs;
	cr_call_stats_t st;
	fixture_t f;
	int err = 0;

	TEST_ERR(fx_setup_relay_transcoding(&f, 1));
	TEST_ERR(cr_call_create(f.relay, &second, msg));
	TEST_ERR(cr_call_set_transcode(f.call, &client, NULL, &sip, NULL, msg));
	/* The same call again (a codec change) keeps its one slot. */
	TEST_ERR(cr_call_set_transcode(f.call, &client, NULL, &sip, NULL, msg));
	TEST_EQUALS(CR_ERR_LIMIT, cr_call_set_transcode(second, &client, NULL, &sip, NULL, msg));
	TEST_ASSERT(strstr(msg, "maximum of 1 calls") != NULL);
	cr_relay_get_stats(f.relay, &rs);
	TEST_EQUALS(1, rs.transcoded_calls);
	TEST_ERR(cr_call_get_stats(second, &st));
	TEST_STREQ("passthrough", st.media_path);
	TEST_EQUALS(CR_ERR_INVALID, cr_call_set_transcode(second, &gsm, NULL, &sip, NULL, msg));
	TEST_ASSERT(strstr(msg, "GSM") != NULL);
	TEST_EQUALS(CR_ERR_INVALID, cr_call_set_transcode(second, &sip, NULL, &sip, NULL, msg));
	TEST_EQUALS(CR_ERR_INVALID, cr_call_set_transcode(second, &client, NULL, NULL, NULL, msg));
	/* telephone-event is dynamic: a static number is refused. */
	TEST_EQUALS(CR_ERR_INVALID, cr_call_set_transcode(second, &client, &gsm, &sip, NULL, msg));
	TEST_STREQ("telephone-event payload type must be 96..127", msg);
	/* The slot comes back when the call holding it closes. */
	cr_call_close(f.call, "test");
	f.call = NULL;
	TEST_ERR(fx_wait(&f, CR_EVENT_CALL_CLOSED, 5000, NULL));
	cr_relay_get_stats(f.relay, &rs);
	TEST_EQUALS(0, rs.transcoded_calls);
	TEST_ERR(cr_call_set_transcode(second, &client, NULL, &sip, NULL, msg));
	/* ... and when a call goes back to passthrough. */
	TEST_ERR(cr_call_set_transcode(second, NULL, NULL, NULL, NULL, msg));
	TEST_ERR(cr_call_create(f.relay, &third, msg));
	TEST_ERR(cr_call_set_transcode(third, &client, NULL, &sip, NULL, msg));

	/* A relay with transcoding off says so. */
	cr_relay_config_init(&cfg);
	cr_media_config_init(&mcfg);
	cfg.workers = 1;
	mcfg.sip_rtp_address = "127.0.0.1";
	mcfg.sip_port_min = 32000;
	mcfg.sip_port_max = 32099;
	cfg.media = &mcfg;
	TEST_ERR(cr_relay_create(&cfg, &off, msg));
	cr_call_close(second, "test");
	second = NULL;
	TEST_ERR(cr_call_create(off, &second, msg));
	TEST_EQUALS(CR_ERR_LIMIT, cr_call_set_transcode(second, &client, NULL, &sip, NULL, msg));
	TEST_ASSERT(strstr(msg, "transcoding is off") != NULL);
	cfg.max_transcoded_calls = -2;
	TEST_EQUALS(CR_ERR_INVALID, cr_relay_create(&cfg, &bad, msg));
	TEST_ASSERT(bad == NULL);
out:
	cr_call_close(second, "test");
	cr_call_close(third, "test");
	cr_relay_destroy(off);
	fx_teardown(&f);
	return err;
}

/* peer_payload_fn: 20 ms of G.711 mu-law silence. */
static int pcmu_silence(void *arg, uint8_t *payload, int max)
{
	(void)arg;
	if (max < 160)
		return 0;
	memset(payload, 0xff, 160);
	return 160;
}

/* The trunk has no telephone-event: the client's digits must reach it as
 * tones (the echo returns them), and tones from it must reach the client as
 * RFC 4733 events; the relay reports each digit both ways. client is the
 * client leg's codec: opus (a transcoded call) or PCMU like the trunk's (a
 * call transcoded only so that DTMF crosses). */
/* The client leg's telephone-event in these tests. */
static const cr_codec_t client_te = { 126, "telephone-event", 8000, 1 };

static int dtmf_inband_through(const cr_codec_t *client, const cr_codec_t *client_dtmf)
{
	bool opus = !strcmp(client->name, "opus");
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1", .dtmf_pt = 126, .audio_pt = client->pt };
	cr_codec_t sip = { 0, "PCMU", 8000, 1 };
	static const int events[] = { 1, 5, 11 };
	char digits[64] = "";
	tone_tx_t tx = { 0 };
	fixture_t f;
	cr_call_stats_t st;
	int err = 0;

	TEST_ERR(tone_tx_init(&tx, TONE_HZ, 0.0)); /* silence between the digits */
	TEST_ERR(fx_setup_transcoded(&f, &po));
	/* The audio codec passes through when shared; telephone-event is not. */
	f.params.n_codecs = opus ? 0 : 1;
	f.params.codecs[0] = (cr_codec_map_t){ client->pt, { 0, "PCMU", 8000, 1 } };
	TEST_ERR(fx_connect_transcoded(&f, client, client_dtmf, &sip, NULL));
	if (opus)
		peer_set_audio_source(f.peer, tone_tx_payload, &tx);
	else
		peer_set_audio_source(f.peer, pcmu_silence, NULL);
	peer_send_audio(f.peer, 250, 20); /* 5 s */
	fx_wait(&f, 0, 1000, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(events); i++) {
		/* Paced as phones send it; the last one in a burst, as jitter
		 * delivers it: each must still be one tone of its duration. */
		if (i + 1 < G_N_ELEMENTS(events))
			peer_send_dtmf_paced(f.peer, 126, events[i], 200);
		else
			peer_send_dtmf(f.peer, 126, events[i], 200);
		fx_wait(&f, 0, 700, NULL);
	}
	FX_PUMP_UNTIL(&f, (peer_dtmf_digits(f.peer, digits, sizeof(digits)), strlen(digits) >= 3),
		      5000);
	fprintf(stderr, "  %s client got RFC 4733 digits \"%s\" back\n", client->name, digits);
	TEST_STREQ("15#", digits);
	TEST_ASSERT(fx_trace_has(&f, "dtmf client->sip digit 1 duration 200 ms, sent in-band"));
	TEST_ASSERT(fx_trace_has(&f, "dtmf client->sip digit # duration 200 ms, sent in-band"));
	TEST_ASSERT(fx_trace_has(&f, "dtmf sip->client digit 5 in-band, sent as RFC 4733"));
	TEST_ASSERT(fx_trace_has(&f, "dtmf rfc4733 <-> in-band"));
	/* The relay counts and reports the last digit just after sending it to
	 * the client, which may have read it first: pump until it has. */
	FX_STATS_UNTIL(&f, st, f.seen[CR_EVENT_DTMF] >= 6 && st.dtmf_events >= 6, 3000);
	TEST_EQUALS(6, f.seen[CR_EVENT_DTMF]);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_EQUALS(6, st.dtmf_events);
	TEST_EQUALS(0, echo_last_pt(f.echo)); /* only PCMU reached the trunk */
	TEST_EQUALS(0, peer_bad_pt_received(f.peer));
out:
	fx_teardown(&f);
	tone_tx_clear(&tx);
	return err;
}

int test_media_transcode_dtmf_inband(void)
{
	cr_codec_t client = { 111, "opus", 48000, 2 };

	return dtmf_inband_through(&client, &client_te);
}

int test_media_transcode_dtmf_only(void)
{
	/* PCMU on a dynamic number for the client: the test peer cannot take 0. */
	cr_codec_t client = { 96, "PCMU", 8000, 1 };

	return dtmf_inband_through(&client, &client_te);
}

/* Each leg is one stream whatever happens behind it: telephone-event both
 * legs negotiated joins the transcoded audio's stream, and a codec change on
 * the SIP leg (a re-INVITE: new pipelines) keeps SSRC, sequence numbers and
 * timestamps going on both legs, and each leg gets RTCP sender reports. */
int test_media_transcode_stream_continuity(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1", .dtmf_pt = 126 };
	cr_codec_t client = { 111, "opus", 48000, 2 }, pcmu = { 0, "PCMU", 8000, 1 };
	cr_codec_t pcma = { 8, "PCMA", 8000, 1 }, trunk_te = { 101, "telephone-event", 8000, 1 };
	char msg[CR_MAX_ERROR_LEN], digits[64] = "";
	tone_tx_t tx = { 0 };
	fixture_t f;
	int err = 0;

	TEST_ERR(tone_tx_init(&tx, TONE_HZ, TONE_AMP));
	TEST_ERR(fx_setup_transcoded(&f, &po));
	TEST_ERR(fx_connect_transcoded(&f, &client, &client_te, &pcmu, &trunk_te));
	peer_set_audio_source(f.peer, tone_tx_payload, &tx);
	peer_send_audio(f.peer, 225, 20); /* 4.5 s */
	fx_wait(&f, 0, 1500, NULL);
	peer_send_dtmf(f.peer, 126, 5, 200);
	fx_wait(&f, 0, 1000, NULL);
	/* The trunk moves to PCMA (re-INVITE): new pipelines, same streams. */
	if (cr_call_set_transcode(f.call, &client, &client_te, &pcma, &trunk_te, msg))
		TEST_FAIL("codec change: %s", msg);
	fx_wait(&f, 0, 2500, NULL);
	peer_dtmf_digits(f.peer, digits, sizeof(digits));
	fprintf(stderr, "  trunk got PCMU %d, PCMA %d, telephone-event %d packets; client digits \"%s\"\n",
		echo_pt_count(f.echo, 0), echo_pt_count(f.echo, 8), echo_pt_count(f.echo, 101), digits);
	TEST_ASSERT(echo_pt_count(f.echo, 0) >= 50);
	TEST_ASSERT(echo_pt_count(f.echo, 8) >= 50);
	TEST_ASSERT(echo_pt_count(f.echo, 101) >= 6);
	TEST_EQUALS(0, echo_ssrc_changes(f.echo));
	TEST_EQUALS(0, echo_seq_gaps(f.echo));
	TEST_EQUALS(0, echo_ts_back(f.echo));
	TEST_STREQ("5", digits); /* the echoed event came back on the client's number */
	TEST_EQUALS(0, peer_ssrc_changes(f.peer));
	TEST_EQUALS(0, peer_seq_gaps(f.peer));
	TEST_EQUALS(0, peer_bad_pt_received(f.peer));
	/* RTCP is the relay's own on each leg: sender reports about its stream
	 * (the echo's returned reports are terminated, not forwarded). */
	TEST_ASSERT(echo_rtcp_received(f.echo) >= 1);
	TEST_ASSERT(peer_rtcp_received(f.peer) >= 1);
	TEST_ASSERT(fx_trace_has(&f, "stream goes on after a rebuild"));
	TEST_ASSERT(fx_trace_has(&f, "dtmf client->sip digit 5 duration 200 ms"));
	TEST_ASSERT(fx_trace_has(&f, "dtmf sip->client digit 5 duration 200 ms"));
	TEST_ASSERT(fx_trace_has(&f, "path transcoded opus/48000 <-> PCMA/8000"));
out:
	fx_teardown(&f);
	tone_tx_clear(&tx);
	return err;
}
