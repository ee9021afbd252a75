/**
 * @file test_media_trunk_ssrc.c  The trunk's RTP is followed by SSRC: junk from its address is dropped, a real new stream is followed
 *
 * Junk: a transcoded call (the client's Opus tone through a PCMU echo and
 * back) while a second sender puts junk on the trunk's exact address (the
 * echo's own socket, as a spoofer would): 100 packets a second of PCMU's
 * payload type with a random SSRC, sequence number and timestamp and a
 * garbage payload, for the whole 10 s. The client must still hear its
 * tone for nearly all of it; the junk is counted (sip_ssrc_dropped) and
 * never reaches the transcoder.
 *
 * A pipeline that breaks (its decoder stops, as a failing element would)
 * takes packets and gives nothing: the transcoder rebuilds it and the tone
 * comes back within about a second, for the rest of the call.
 *
 * A new stream: on a passthrough call the echoed stream stops and another
 * SSRC starts from the trunk's address (a trunk restarting its media): it
 * reaches the client after a few packets; while the first stream is alive,
 * a burst of another SSRC does not take over.
 */
#include <glib.h>
#include <math.h>

#include "media/media.h"
#include "media_fixture.h"
#include "relay_internal.h"
#include "test.h"
#include "tone.h"

int test_media_trunk_ssrc_junk_transcoded(void);
int test_media_trunk_ssrc_change_followed(void);
int test_media_transcode_decoder_stalls(void);

#define TONE_HZ 1000.0
#define TONE_AMP 0.3
#define SECONDS 10
#define JUNK_PER_SECOND 100

static void junk_packet(uint8_t *p, int len, int pt)
{
	for (int i = 0; i < len; i++)
		p[i] = (uint8_t)g_random_int();
	p[0] = 0x80;
	p[1] = (uint8_t)pt;
}

/* The client's Opus tone through a transcoded call to the PCMU echo:
 * connected, the client sending tx's tone and decoding what comes back into
 * rx (room for rx_seconds) as soon as it sends. */
static int tone_call_up(fixture_t *f, tone_tx_t *tx, tone_rx_t *rx, double rx_seconds)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1" };
	cr_codec_t client = { 111, "opus", 48000, 2 }, sip = { 0, "PCMU", 8000, 1 };
	int err;

	memset(f, 0, sizeof(*f));
	if ((err = tone_tx_init(tx, TONE_HZ, TONE_AMP)) || (err = tone_rx_init(rx, rx_seconds)) ||
	    (err = fx_setup_transcoded(f, &po)) || (err = fx_connect_transcoded(f, &client, NULL, &sip, NULL)))
		return err;
	peer_set_audio_source(f->peer, tone_tx_payload, tx);
	peer_set_audio_sink(f->peer, tone_rx_sink, rx);
	return 0;
}

int test_media_trunk_ssrc_junk_transcoded(void)
{
	tone_tx_t tx = { 0 };
	tone_rx_t rx = { 0 };
	fixture_t f;
	cr_call_stats_t st;
	double freq = 0, level = 0, heard_s;
	int err = 0, junk = 0;
	gint64 start;

	TEST_ERR(tone_call_up(&f, &tx, &rx, SECONDS + 2));
	peer_send_audio(f.peer, SECONDS * 50, 20);
	start = g_get_monotonic_time();
	/* Junk from the first packet to the last, paced 10 ms apart. */
	while (junk < SECONDS * JUNK_PER_SECOND) {
		uint8_t pkt[172];

		junk_packet(pkt, sizeof(pkt), 0);
		if (echo_send_to(f.echo, false, "127.0.0.1", f.local.sip_rtp_port, pkt,
				 (int)sizeof(pkt)) == (int)sizeof(pkt))
			junk++;
		fx_wait(&f, 0, 1000 / JUNK_PER_SECOND, NULL);
	}
	while (g_get_monotonic_time() - start < (SECONDS + 1) * G_USEC_PER_SEC)
		fx_wait(&f, 0, 50, NULL);
	heard_s = (double)tone_rx_count(&rx) / TONE_RATE;
	TEST_ERR(cr_call_get_stats(f.call, &st));
	fprintf(stderr,
		"  %d junk packets: the client heard %.2f s of %d s; sip_ssrc_dropped %" G_GUINT64_FORMAT
		", transcoded %" G_GUINT64_FORMAT "\n",
		junk, heard_s, SECONDS, (guint64)st.sip_ssrc_dropped, (guint64)st.transcoded_packets);
	TEST_ASSERT(heard_s >= 0.9 * SECONDS);
	/* Every junk packet counted (the echo's own stream kept its SSRC). */
	TEST_ASSERT(st.sip_ssrc_dropped >= (uint64_t)junk - 5);
	TEST_EQUALS(0, peer_bad_pt_received(f.peer));
	/* And it is still the tone at the end, not noise. */
	TEST_ERR(tone_rx_measure_second(&rx, -2 * TONE_RATE, &freq, &level));
	fprintf(stderr, "  tone at the end: %.1f Hz at %.1f dBFS\n", freq, level);
	TEST_ASSERT(fabs(freq - TONE_HZ) <= TONE_HZ * 0.02);
	TEST_ASSERT(fabs(level - tone_sine_level_db(TONE_AMP)) <= 6.0);
out:
	fx_teardown(&f);
	tone_tx_clear(&tx);
	tone_rx_clear(&rx);
	return err;
}

/* n RTP packets of the SIP leg's opus (PT 96) with ssrc from the echo's
 * socket, interval_ms apart. */
static void stream_from_trunk(fixture_t *f, uint32_t ssrc, int n, int interval_ms)
{
	for (int i = 0; i < n; i++) {
		uint8_t pkt[72] = { 0x80, 96, 0, (uint8_t)i, 0, 0, 3, (uint8_t)(i * 8),
				    (uint8_t)(ssrc >> 24), (uint8_t)(ssrc >> 16), (uint8_t)(ssrc >> 8),
				    (uint8_t)ssrc };

		echo_send_to(f->echo, false, "127.0.0.1", f->local.sip_rtp_port, pkt, (int)sizeof(pkt));
		if (interval_ms)
			fx_wait(f, 0, interval_ms, NULL);
	}
}

int test_media_trunk_ssrc_change_followed(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1" };
	fixture_t f;
	cr_call_stats_t st;
	uint64_t dropped;
	int err = 0, before;

	memset(&f, 0, sizeof(f));
	TEST_ERR(fx_setup(&f, &po));
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_trickle_peer(&f, 0, 10));
	TEST_ERR(fx_wait_connected(&f, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 25, 10000)); /* the echoed stream is followed */
	fx_wait(&f, 0, 300, NULL); /* its last packets in */
	/* While it lives, a burst of another SSRC is junk, however long. */
	TEST_ERR(cr_call_get_stats(f.call, &st));
	dropped = st.sip_ssrc_dropped;
	before = peer_audio_received(f.peer);
	peer_send_audio(f.peer, 50, 20);
	for (int i = 0; i < 10; i++)
		stream_from_trunk(&f, 0x0BADC0DE, 3, 0), fx_wait(&f, 0, 100, NULL);
	fx_wait(&f, 0, 300, NULL);
	FX_STATS_UNTIL(&f, st, st.sip_ssrc_dropped - dropped >= 30, 3000);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_EQUALS(30, (int)(st.sip_ssrc_dropped - dropped));
	TEST_ASSERT(peer_audio_received(f.peer) - before <= 50);
	/* The echoed stream stops; a new one starts and goes on: followed
	 * after its first few packets. */
	echo_set_muted(f.echo, true);
	fx_wait(&f, 0, 200, NULL);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	dropped = st.sip_ssrc_dropped;
	before = peer_audio_received(f.peer);
	stream_from_trunk(&f, 0x5EC0DD, 40, 20);
	fx_wait(&f, 0, 300, NULL);
	FX_STATS_UNTIL(&f, st, peer_audio_received(f.peer) - before >= 35, 3000);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	fprintf(stderr, "  new stream: %d of 40 reached the client, %d dropped before\n",
		peer_audio_received(f.peer) - before, (int)(st.sip_ssrc_dropped - dropped));
	TEST_ASSERT(st.sip_ssrc_dropped - dropped <= 5);
	TEST_ASSERT(peer_audio_received(f.peer) - before >= 35);
	TEST_ASSERT(fx_trace_has(&f, "-> 005ec0dd (new stream persisted)"));
out:
	fx_teardown(&f);
	return err;
}

/* Worker: breaks the call's trunk->client decoder. */
static void break_decoder(void *data)
{
	cr_call_t *call = data;

	cr_transcode_test_break(call->media->xc, CR_DIR_SIP_TO_CLIENT);
}

int test_media_transcode_decoder_stalls(void)
{
	tone_tx_t tx = { 0 };
	tone_rx_t rx = { 0 };
	fixture_t f;
	double freq = 0, level = 0;
	int err = 0, at_break;
	gint64 start;

	TEST_ERR(tone_call_up(&f, &tx, &rx, 10));
	peer_send_audio(f.peer, 7 * 50, 20); /* 7 s */
	start = g_get_monotonic_time();
	fx_wait(&f, 0, 1500, NULL);
	TEST_ASSERT(tone_rx_count(&rx) > 0);
	cr_worker_post(f.call->worker, break_decoder, cr_call_ref(f.call), cr_call_unref);
	fx_wait(&f, 0, 200, NULL);
	at_break = tone_rx_count(&rx);
	while (g_get_monotonic_time() - start < 8 * G_USEC_PER_SEC)
		fx_wait(&f, 0, 50, NULL);
	fprintf(stderr, "  after the decoder broke: the client heard %.2f s more of ~5.3 s sent\n",
		(double)(tone_rx_count(&rx) - at_break) / TONE_RATE);
	TEST_ASSERT(fx_trace_has(&f, "sip->client pipeline rebuilt"));
	/* Silent for about a second, then its tone again. */
	TEST_ASSERT(tone_rx_count(&rx) - at_break >= 3 * TONE_RATE);
	TEST_ERR(tone_rx_measure_second(&rx, -2 * TONE_RATE, &freq, &level));
	TEST_ASSERT(fabs(freq - TONE_HZ) <= TONE_HZ * 0.02);
out:
	fx_teardown(&f);
	tone_tx_clear(&tx);
	tone_rx_clear(&rx);
	return err;
}
