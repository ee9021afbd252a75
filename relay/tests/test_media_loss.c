/**
 * @file test_media_loss.c  Consent and liveness under injected loss: total loss times out, 30 % loss does not (docs/INTEROP.md#7)
 *
 * The client runs in a network namespace the test creates, joined to the
 * host by a veth pair with private addresses; the relay's host candidate is
 * on the host end. nftables inside the namespace drops the client's
 * outgoing UDP: all of it (the client went away: CR_EVENT_MEDIA_TIMEOUT
 * after the configured media timeout), or a random 30 % (a lossy mobile
 * link: no timeout, no ICE failure, audio keeps coming back).
 */
#include <glib.h>

#include "media_fixture.h"
#include "netns.h"
#include "test.h"

int test_media_loss_total_times_out(void);
int test_media_loss_30_percent_survives(void);

#define LOSS_TIMEOUT_MS 3000

/* Drops the client's outgoing UDP in its namespace: every packet, or
 * percent of them at random. */
static int netns_loss(netns_t *n, int percent)
{
	char match[64] = "";

	if (percent < 100)
		g_snprintf(match, sizeof(match), "numgen random mod 100 < %d", percent);
	return netns_drop(n, match, false);
}

/* Relay on the host end, client inside, call up with audio both ways. */
int test_media_loss_total_times_out(void)
{
	fixture_t f;
	netns_t n = { 0 };
	cr_event_t ev;
	gint64 t0;
	int err = 0;

	memset(&f, 0, sizeof(f));
	TEST_ERR(fx_call_up_in_netns(&f, &n, "crloss", LOSS_TIMEOUT_MS));
	TEST_ERR(netns_loss(&n, 100));
	t0 = g_get_monotonic_time();
	peer_send_audio(f.peer, 250, 20); /* the client still talks; nothing arrives */
	TEST_ERR(fx_wait(&f, CR_EVENT_MEDIA_TIMEOUT, LOSS_TIMEOUT_MS + 5000, &ev));
	/* Not before the configured timeout, and reported in seconds. */
	TEST_ASSERT(g_get_monotonic_time() - t0 >= (LOSS_TIMEOUT_MS - 1000) * 1000);
	TEST_ASSERT(ev.value >= LOSS_TIMEOUT_MS / 1000);
	TEST_ASSERT(fx_trace_has(&f, "timeout: nothing from the client"));
out:
	fx_teardown(&f);
	netns_down(&n);
	return err;
}

int test_media_loss_30_percent_survives(void)
{
	fixture_t f;
	netns_t n = { 0 };
	int err = 0, before, back, sent = 250;

	memset(&f, 0, sizeof(f));
	TEST_ERR(fx_call_up_in_netns(&f, &n, "crloss", LOSS_TIMEOUT_MS));
	TEST_ERR(netns_loss(&n, 30));
	before = peer_audio_received(f.peer);
	peer_send_audio(f.peer, sent, 20); /* 5 s, longer than the media timeout */
	fx_wait(&f, 0, sent * 20 + 1500, NULL);
	/* The peer's 20 ms timer runs late on a loaded machine (each tick is
	 * rescheduled from its dispatch): up to 3 s more for the lower bound. */
	FX_PUMP_UNTIL(&f, peer_audio_received(f.peer) - before >= sent / 2, 3000);
	back = peer_audio_received(f.peer) - before;
	/* ~70 % get through (only the client's direction is lossy). */
	if (back < sent / 2 || back > sent * 9 / 10)
		TEST_FAIL("%d of %d audio packets back under 30 %% loss", back, sent);
	TEST_EQUALS(0, f.seen[CR_EVENT_MEDIA_TIMEOUT]);
	TEST_ASSERT(!fx_trace_has(&f, "state failed"));
out:
	fx_teardown(&f);
	netns_down(&n);
	return err;
}
