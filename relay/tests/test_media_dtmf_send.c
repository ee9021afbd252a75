/**
 * @file test_media_dtmf_send.c  DTMF sent toward the trunk: RFC 4733 packets inside the forwarded stream
 *
 * The client sends audio; digits are injected mid-stream with
 * cr_call_send_dtmf(). The SIP-side peer (the UDP echo, which logs every
 * RTP packet it gets) must see RFC 4733 events on the trunk's
 * telephone-event payload type (start with marker, updates, the end three
 * times with the full duration), one SSRC, sequence numbers strictly
 * continuous across audio and events, and audio again after the digits.
 * The echo sends the digits back, so the relay reports them sip->client too,
 * and a receiver report from it reaches the client in the client's numbers.
 */
#include <glib.h>

#include "helpers.h"
#include "media_fixture.h"
#include "test.h"

int test_media_dtmf_send(void);
int test_media_dtmf_send_errors(void);
int test_media_dtmf_send_sip_only(void);

#define AUDIO_PT 96 /* the SIP leg's numbers in the fixture's codec map */
#define EVENT_PT 101
#define CLOCK 48000

typedef struct digit_seen {
	int packets, ends, markers;
	int first, last;      /* indexes in the log */
	uint32_t ts;
	int max_duration;     /* of the packets without the E bit */
	int end_duration;     /* of the E packets (all equal) */
	bool ts_same, durations_grow, volume_ok, end_same;
} digit_seen_t;

/* The packets of one event in the log. */
static void find_digit(const echo_rtp_rec_t *log, int n, int event, digit_seen_t *d)
{
	int prev = -1;

	memset(d, 0, sizeof(*d));
	d->first = d->last = -1;
	d->ts_same = d->durations_grow = d->volume_ok = d->end_same = true;
	d->end_duration = -1;
	for (int i = 0; i < n; i++) {
		const echo_rtp_rec_t *r = &log[i];
		int dur;

		if (r->pt != EVENT_PT || r->len != 4 || r->payload[0] != event)
			continue;
		dur = r->payload[2] << 8 | r->payload[3];
		if (d->first < 0) {
			d->first = i;
			d->ts = r->ts;
		}
		d->last = i;
		d->packets++;
		d->markers += r->marker;
		d->ts_same &= r->ts == d->ts;
		d->durations_grow &= dur >= prev;
		d->volume_ok &= (r->payload[1] & 0x3f) == CR_DTMF_DEFAULT_VOLUME;
		prev = dur;
		if (r->payload[1] & 0x80) {
			d->ends++;
			if (d->end_duration >= 0 && d->end_duration != dur)
				d->end_same = false;
			d->end_duration = dur;
		} else if (dur > d->max_duration) {
			d->max_duration = dur;
		}
	}
}

int test_media_dtmf_send(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1" };
	static echo_rtp_rec_t log[ECHO_LOG_MAX];
	char msg[CR_MAX_ERROR_LEN];
	digit_seen_t five, hash;
	cr_call_stats_t st;
	fixture_t f;
	int err = 0, n, audio_after = 0, audio_before_ts = -1;

	TEST_ERR(fx_setup(&f, &po));
	/* One SSRC carries audio and events: RFC 4733 wants one clock. */
	f.params.codecs[1].sip.clock_rate = CLOCK;
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_wait(&f, CR_EVENT_GATHERING_DONE, 5000, NULL));
	TEST_ERR(fx_trickle_peer(&f, 0, 0));
	TEST_ERR(cr_call_end_of_candidates(f.call));
	TEST_ERR(fx_wait_connected(&f, 10000));

	/* 1.6 s of audio; the digits go in after about 0.4 s. */
	peer_send_audio(f.peer, 80, 20);
	fx_wait(&f, 0, 400, NULL);
	TEST_ERR(cr_call_send_dtmf(f.call, '5', 200, -1, msg));
	TEST_ERR(cr_call_send_dtmf(f.call, '#', 100, -1, msg));
	/* Misuse while digits play changes nothing on the wire. */
	TEST_EQUALS(CR_ERR_INVALID, cr_call_send_dtmf(f.call, 'x', 100, -1, msg));
	TEST_ASSERT(strstr(msg, "not a DTMF digit") != NULL);
	/* Until the audio is over: nothing new at the echo for 500 ms. */
	for (gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	     g_get_monotonic_time() < end;) {
		int before = echo_rtp_received(f.echo);

		fx_wait(&f, 0, 500, NULL);
		if (echo_rtp_received(f.echo) == before)
			break;
	}

	n = echo_rtp_log(f.echo, log, ECHO_LOG_MAX);
	TEST_ASSERT(n >= 40);
	for (int i = 0; i < n; i++) {
		if (log[i].ssrc != 0x11223344)
			TEST_FAIL("packet %d: SSRC %08x, not the client's", i, log[i].ssrc);
		if (i > 0 && log[i].seq != (uint16_t)(log[i - 1].seq + 1))
			TEST_FAIL("packet %d (pt %d): seq %u after %u", i, log[i].pt, log[i].seq,
				  log[i - 1].seq);
	}
	find_digit(log, n, 5, &five);
	find_digit(log, n, 11, &hash);
	/* '5', 200 ms = 9600 at 48 kHz: start (marker) 2400, updates 4800 and
	 * 7200, the end (E, 9600) three times; one timestamp. */
	TEST_EQUALS(6, five.packets);
	TEST_EQUALS(1, five.markers);
	TEST_ASSERT(log[five.first].marker);
	TEST_EQUALS(3, five.ends);
	TEST_EQUALS(9600, five.end_duration);
	TEST_EQUALS(7200, five.max_duration);
	TEST_ASSERT(five.ts_same && five.durations_grow && five.volume_ok && five.end_same);
	/* '#', 100 ms: start 2400, end 4800 three times. */
	TEST_EQUALS(4, hash.packets);
	TEST_EQUALS(1, hash.markers);
	TEST_EQUALS(3, hash.ends);
	TEST_EQUALS(4800, hash.end_duration);
	TEST_ASSERT(hash.ts_same && hash.durations_grow && hash.volume_ok && hash.end_same);
	/* Each digit is one run on the wire: no client packet inside it. */
	TEST_EQUALS(five.packets, five.last - five.first + 1);
	TEST_EQUALS(hash.packets, hash.last - hash.first + 1);
	TEST_ASSERT(hash.first > five.last);
	/* The event's timestamp goes on from the audio before it (20 ms =
	 * 960 per packet): after it, by the time since (bounded loosely: a
	 * loaded machine may delay the worker). */
	for (int i = five.first - 1; i >= 0 && audio_before_ts < 0; i--)
		if (log[i].pt == AUDIO_PT)
			audio_before_ts = (int)log[i].ts;
	TEST_ASSERT(audio_before_ts >= 0);
	TEST_ASSERT(five.ts > (uint32_t)audio_before_ts);
	TEST_ASSERT(five.ts - (uint32_t)audio_before_ts <= CLOCK / 2);
	TEST_ASSERT(hash.ts >= five.ts + 9600);
	/* Audio again after the digits. */
	for (int i = hash.last + 1; i < n; i++)
		audio_after += log[i].pt == AUDIO_PT;
	TEST_ASSERT(audio_after >= 10);

	/* The trunk's receiver report about the stream counts the numbers it
	 * got; the client must read its own: its last audio packet was 1079. */
	{
		uint8_t rr[32] = { 0x81, 201, 0, 7, 0xaa, 0xbb, 0xcc, 0xdd, 0x11, 0x22, 0x33, 0x44 };
		uint8_t got[1500];
		int rtcp_before = peer_rtcp_received(f.peer), len;
		uint16_t last_out = 0;

		for (int i = n - 1; i >= 0; i--)
			if (log[i].pt == AUDIO_PT) {
				last_out = log[i].seq;
				break;
			}
		TEST_ASSERT(last_out != 1079); /* the digits did shift the numbers */
		rr[18] = (uint8_t)(last_out >> 8);
		rr[19] = (uint8_t)last_out;
		TEST_EQUALS(32, echo_send_to(f.echo, false, "127.0.0.1", f.local.sip_rtp_port, rr, 32));
		TEST_ERR(peer_wait_rtcp(f.peer, rtcp_before + 1, 5000));
		len = peer_last_rtcp(f.peer, got, sizeof(got));
		TEST_ASSERT(len >= 32);
		TEST_EQUALS(201, got[1]);
		TEST_EQUALS(0x11223344, (uint32_t)got[8] << 24 | (uint32_t)got[9] << 16 |
					    (uint32_t)got[10] << 8 | got[11]);
		TEST_EQUALS(1079, (uint32_t)got[16] << 24 | (uint32_t)got[17] << 16 |
				      (uint32_t)got[18] << 8 | got[19]);
	}

	/* Reported like digits the client sends, and each seen back from the echo. */
	TEST_ASSERT(fx_trace_has(&f, "dtmf sent client->sip digit 5 duration 200 ms"));
	TEST_ASSERT(fx_trace_has(&f, "dtmf sent client->sip digit # duration 100 ms"));
	TEST_ASSERT(fx_trace_has(&f, "dtmf sip->client digit 5 duration 200 ms"));
	TEST_ASSERT(fx_trace_has(&f, "dtmf sip->client digit # duration 100 ms"));
	TEST_ASSERT(fx_trace_has(&f, "client packets held back while it played"));
	TEST_ASSERT(f.seen[CR_EVENT_DTMF] >= 4);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(st.dtmf_events >= 4);
out:
	fx_teardown(&f);
	return err;
}

int test_media_dtmf_send_errors(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1" };
	static echo_rtp_rec_t log[ECHO_LOG_MAX];
	char msg[CR_MAX_ERROR_LEN];
	digit_seen_t one;
	fixture_t f;
	int err = 0, n, r = 0;

	TEST_ERR(fx_setup(&f, &po));
	/* No codec map yet, then one without telephone-event: nothing to send with. */
	TEST_EQUALS(CR_ERR_UNSUPPORTED, cr_call_send_dtmf(f.call, '1', 100, -1, msg));
	f.params.n_codecs = 1;
	TEST_ERR(fx_start(&f));
	msg[0] = '\0';
	TEST_EQUALS(CR_ERR_UNSUPPORTED, cr_call_send_dtmf(f.call, '1', 100, -1, msg));
	TEST_ASSERT(strstr(msg, "no telephone-event") != NULL);
	TEST_STREQ("not negotiated on this call", cr_error_to_string(CR_ERR_UNSUPPORTED));

	/* The trunk's answer brings telephone-event: digits go, before any audio
	 * on a stream of their own. */
	f.params.n_codecs = 2;
	TEST_ERR(cr_call_set_codecs(f.call, f.params.codecs, 2));
	TEST_EQUALS(CR_ERR_INVALID, cr_call_send_dtmf(f.call, 'x', 100, -1, msg));
	TEST_EQUALS(CR_ERR_INVALID, cr_call_send_dtmf(f.call, 'E', 100, -1, msg));
	TEST_EQUALS(CR_ERR_INVALID, cr_call_send_dtmf(f.call, '\0', 100, -1, msg));
	TEST_EQUALS(CR_ERR_INVALID, cr_call_send_dtmf(f.call, '1', CR_DTMF_MIN_MS - 1, -1, msg));
	TEST_ASSERT(strstr(msg, "duration") != NULL);
	TEST_EQUALS(CR_ERR_INVALID, cr_call_send_dtmf(f.call, '1', CR_DTMF_MAX_MS + 1, -1, msg));
	TEST_EQUALS(CR_ERR_INVALID, cr_call_send_dtmf(f.call, '1', 100, 64, msg));
	TEST_EQUALS(CR_ERR_INVALID, cr_call_send_dtmf(f.call, '1', 100, -2, msg));
	TEST_EQUALS(CR_ERR_INVALID, cr_call_send_dtmf(NULL, '1', 100, -1, msg));
	TEST_ERR(cr_call_send_dtmf(f.call, 'a', 40, 20, msg)); /* lower case is A */
	/* A bounded queue. */
	for (int i = 0; i < CR_DTMF_MAX_QUEUED + 1 && r == 0; i++)
		r = cr_call_send_dtmf(f.call, '1', 40, -1, msg);
	TEST_EQUALS(CR_ERR_LIMIT, r);
	FX_PUMP_UNTIL(&f, fx_trace_has(&f, "dtmf sent client->sip digit A"), 10000);
	fx_wait(&f, 0, 300, NULL);
	/* Reported at its first end packet; the other two follow a tick
	 * apart, on the worker's timer, read by the echo's thread: up to
	 * 3 s more for them on a loaded machine (n and one as last read). */
	FX_PUMP_UNTIL(&f,
		      (n = echo_rtp_log(f.echo, log, ECHO_LOG_MAX), find_digit(log, n, 12, &one),
		       one.ends >= 3),
		      3000);
	/* 40 ms: the start packet is already the end (marker and E), sent 3 times. */
	TEST_EQUALS(3, one.packets);
	TEST_EQUALS(3, one.ends);
	TEST_EQUALS(1, one.markers);
	TEST_EQUALS(40 * 8, one.end_duration);
	TEST_EQUALS(20, log[one.first].payload[1] & 0x3f);
	for (int i = 1; i < n; i++)
		if (log[i].seq != (uint16_t)(log[i - 1].seq + 1))
			TEST_FAIL("packet %d: seq %u after %u", i, log[i].seq, log[i - 1].seq);
	TEST_ASSERT(fx_trace_has(&f, "dtmf sent client->sip digit A duration 40 ms"));
out:
	fx_teardown(&f);
	return err;
}

/* A client without telephone-event (Dino): the map names the trunk's with
 * client_pt -1. Digits still go to the trunk; the trunk's (the echo's) are
 * reported but never reach the client, which did not negotiate them. */
int test_media_dtmf_send_sip_only(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1" };
	static echo_rtp_rec_t log[ECHO_LOG_MAX];
	char msg[CR_MAX_ERROR_LEN];
	digit_seen_t nine;
	cr_call_stats_t st;
	fixture_t f;
	int err = 0, n;

	TEST_ERR(fx_setup(&f, &po));
	f.params.codecs[1].client_pt = -1;
	f.params.codecs[1].sip.clock_rate = CLOCK;
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_wait(&f, CR_EVENT_GATHERING_DONE, 5000, NULL));
	TEST_ERR(fx_trickle_peer(&f, 0, 0));
	TEST_ERR(cr_call_end_of_candidates(f.call));
	TEST_ERR(fx_wait_connected(&f, 10000));
	peer_send_audio(f.peer, 40, 20);
	fx_wait(&f, 0, 200, NULL);
	TEST_ERR(cr_call_send_dtmf(f.call, '9', 100, -1, msg));
	FX_PUMP_UNTIL(&f, fx_trace_has(&f, "dtmf sip->client digit 9"), 10000);
	fx_wait(&f, 0, 800, NULL);
	n = echo_rtp_log(f.echo, log, ECHO_LOG_MAX);
	find_digit(log, n, 9, &nine);
	TEST_EQUALS(3, nine.ends);
	TEST_EQUALS(100 * CLOCK / 1000, nine.end_duration);
	TEST_ASSERT(fx_trace_has(&f, "dtmf sent client->sip digit 9 duration 100 ms"));
	TEST_ASSERT(fx_trace_has(&f, "dtmf sip->client digit 9 duration 100 ms"));
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(st.unmapped_pt >= 3); /* the echoed events, dropped */
	TEST_EQUALS(0, peer_bad_pt_received(f.peer));
	TEST_ASSERT(peer_audio_received(f.peer) >= 10); /* audio still forwarded */
out:
	fx_teardown(&f);
	return err;
}
