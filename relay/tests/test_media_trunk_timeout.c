/**
 * @file test_media_trunk_timeout.c  A trunk that stops sending RTP: CR_EVENT_MEDIA_TIMEOUT for the SIP leg, not while unwatched (held)
 *
 * The echo plays the trunk: it echoes the client's audio (RTP from the
 * trunk), then goes mute, as a frozen trunk would. With the watch on
 * (cr_call_watch_sip_media, the plugin's "answered and nobody holds"), the
 * relay reports the silence after its sip_media_timeout_ms, once, with code
 * CR_DIR_SIP_TO_CLIENT and the reason text; with the watch off (a hold) the
 * same silence is no event, and a watch started again counts from its start.
 */
#include <glib.h>
#include <string.h>

#include "media_fixture.h"
#include "test.h"

int test_media_trunk_silent_times_out(void);
int test_media_trunk_held_no_timeout(void);

#define TRUNK_TIMEOUT_MS 2000

static int connected_call(fixture_t *f)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1" };
	int err = fx_setup_relay_trunk_timeout(f, TRUNK_TIMEOUT_MS);

	if (!err)
		err = fx_setup_peer(f, &po);
	if (!err)
		err = fx_start(f);
	if (!err)
		err = fx_trickle_peer(f, 0, 10);
	if (!err)
		err = fx_wait_connected(f, 10000);
	/* The trunk sends (echoes) at first. */
	if (!err)
		err = fx_audio_roundtrip(f, 25, 10000);
	return err;
}

int test_media_trunk_silent_times_out(void)
{
	fixture_t f;
	cr_event_t ev;
	gint64 watched, elapsed_ms;
	int err = 0;

	memset(&f, 0, sizeof(f));
	TEST_ERR(connected_call(&f));
	TEST_ERR(cr_call_watch_sip_media(f.call, 1));
	/* RTP keeps coming from the trunk for a while: no timeout. */
	for (int i = 0; i < 3; i++)
		TEST_ERR(fx_audio_roundtrip(&f, 40, 10000));
	TEST_EQUALS(0, f.seen[CR_EVENT_MEDIA_TIMEOUT]);
	/* The trunk freezes; the client goes on sending. */
	echo_set_muted(f.echo, true);
	watched = g_get_monotonic_time();
	peer_send_audio(f.peer, 150, 20);
	TEST_ERR(fx_wait(&f, CR_EVENT_MEDIA_TIMEOUT, TRUNK_TIMEOUT_MS + 3000, &ev));
	elapsed_ms = (g_get_monotonic_time() - watched) / 1000;
	TEST_ASSERT(elapsed_ms >= TRUNK_TIMEOUT_MS - 100);
	TEST_EQUALS(CR_DIR_SIP_TO_CLIENT, ev.code);
	TEST_ASSERT(ev.value >= TRUNK_TIMEOUT_MS / 1000);
	TEST_ASSERT(strstr(ev.text, "no media from the phone for") != NULL);
	TEST_ASSERT(fx_trace_has(&f, "timeout: no RTP from the trunk"));
	/* Once, not every tick. */
	fx_wait(&f, 0, 2500, NULL);
	TEST_EQUALS(1, f.seen[CR_EVENT_MEDIA_TIMEOUT]);
	/* The trunk comes back: noted, and a later silence is reported again. */
	echo_set_muted(f.echo, false);
	TEST_ERR(fx_audio_roundtrip(&f, 25, 10000));
	TEST_ASSERT(fx_trace_has(&f, "trunk RTP resumed"));
	echo_set_muted(f.echo, true);
	TEST_ERR(fx_wait(&f, CR_EVENT_MEDIA_TIMEOUT, TRUNK_TIMEOUT_MS + 3000, &ev));
	TEST_EQUALS(CR_DIR_SIP_TO_CLIENT, ev.code);
out:
	fx_teardown(&f);
	return err;
}

int test_media_trunk_held_no_timeout(void)
{
	fixture_t f;
	cr_event_t ev;
	gint64 rewatched, elapsed_ms;
	int err = 0;

	memset(&f, 0, sizeof(f));
	TEST_ERR(connected_call(&f));
	/* Never watched (ringing, or no answer yet): silence is no event. */
	echo_set_muted(f.echo, true);
	fx_wait(&f, 0, TRUNK_TIMEOUT_MS + 1500, NULL);
	TEST_EQUALS(0, f.seen[CR_EVENT_MEDIA_TIMEOUT]);
	/* Answered, then held at once: the watch stops before it expires. */
	TEST_ERR(cr_call_watch_sip_media(f.call, 1));
	fx_wait(&f, 0, TRUNK_TIMEOUT_MS / 2, NULL);
	TEST_ERR(cr_call_watch_sip_media(f.call, 0));
	fx_wait(&f, 0, 2 * TRUNK_TIMEOUT_MS + 1000, NULL);
	TEST_EQUALS(0, f.seen[CR_EVENT_MEDIA_TIMEOUT]);
	TEST_ASSERT(fx_trace_has(&f, "not watching the trunk's RTP"));
	/* Resumed after a hold longer than the timeout: counted from the
	 * resume, not from the last packet before the hold. */
	TEST_ERR(cr_call_watch_sip_media(f.call, 1));
	rewatched = g_get_monotonic_time();
	TEST_ERR(fx_wait(&f, CR_EVENT_MEDIA_TIMEOUT, TRUNK_TIMEOUT_MS + 3000, &ev));
	elapsed_ms = (g_get_monotonic_time() - rewatched) / 1000;
	TEST_ASSERT(elapsed_ms >= TRUNK_TIMEOUT_MS - 100);
	TEST_EQUALS(CR_DIR_SIP_TO_CLIENT, ev.code);
out:
	fx_teardown(&f);
	return err;
}
