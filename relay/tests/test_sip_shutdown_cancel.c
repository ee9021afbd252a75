/**
 * @file test_sip_shutdown_cancel.c  Closing a relay while a cancelled INVITE
 * is never ended by the trunk (no 487) neither crashes nor hangs
 *
 * NUA's shutdown waits for the INVITE client transaction, which only a 487
 * would end. The relay must still come down in bounded time, leaving no
 * Sofia object alive on a GMainContext it frees (docs/ARCHITECTURE.md).
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_destroy_after_unanswered_cancel(void);

enum { ROUNDS = 3, DESTROY_LIMIT_MS = 8000 };

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int one_round(int round)
{
	sip_test_t t = { .sipp.pid = -1, .rtp.fd = -1 };
	cr_event_t ev;
	long long t0;
	cr_relay_t *again = NULL;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, "uas_cancel_no_487.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550000487"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_RINGING, t.id, 10000, &ev));
	TEST_ERR(cr_sip_hangup(t.call));
	/* sipp's 200 to the CANCEL arrives; the 487 never does. */
	for (int waited = 0; !sipp_saw(&t.sipp, "CANCEL sip:"); waited += 50) {
		if (waited > 5000)
			TEST_FAIL("round %d: sipp never got our CANCEL", round);
		usleep(50 * 1000);
	}
	usleep(200 * 1000);
	t0 = ms_now();
	cr_relay_destroy(t.relay);
	t.relay = NULL;
	if (ms_now() - t0 > DESTROY_LIMIT_MS)
		TEST_FAIL("round %d: cr_relay_destroy took %lld ms", round, ms_now() - t0);
	/* Prosody closes the call after the relay: harmless. */
	cr_call_close(t.call, NULL);
	t.call = NULL;
	/* Nothing of the old SIP stack is left: a reloaded gateway binds the
	 * same port again. */
	TEST_ERR(sip_relay_create(t.sip_port, t.trunk_port, "udp", NULL, &again));
out:
	cr_relay_destroy(again);
	sip_test_teardown(&t);
	return err;
}

int test_sip_destroy_after_unanswered_cancel(void)
{
	cr_relay_t *warm = NULL;
	int err = 0, fds_before;

	/* Sofia and GLib open two descriptors once per process: count from
	 * after the first relay. */
	TEST_ERR(sip_relay_create(free_port(true, false), 5060, "udp", NULL, &warm));
	cr_relay_destroy(warm);
	fds_before = count_open_fds();
	for (int i = 0; i < ROUNDS && !err; i++) {
		err = one_round(i);
		/* An abandoned SIP stack would keep its sockets open. */
		if (!err)
			TEST_EQUALS(fds_before, count_open_fds());
	}
out:
	return err;
}
