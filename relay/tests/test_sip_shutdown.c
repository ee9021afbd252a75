/**
 * @file test_sip_shutdown.c  Destroying a relay with a live SIP call hangs it up
 */
#include <time.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_destroy_with_live_call(void);

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int test_sip_destroy_with_live_call(void)
{
	sip_test_t t = { .sipp.pid = -1, .rtp.fd = -1 };
	cr_event_t ev;
	long long t0;
	cr_relay_t *warm = NULL;
	int err = 0, fds_before;

	/* Sofia and GLib open two descriptors once per process (GLib's default
	 * context eventfd, Sofia's /dev/urandom): count from after the first. */
	TEST_ERR(sip_relay_create(free_port(true, false), 5060, "udp", NULL, &warm));
	cr_relay_destroy(warm);
	fds_before = count_open_fds();
	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, "uas_answer.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550000900"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	/* The owner goes away without closing the call first. */
	t0 = ms_now();
	cr_relay_destroy(t.relay);
	t.relay = NULL;
	if (ms_now() - t0 > 6000)
		TEST_FAIL("cr_relay_destroy took %lld ms", ms_now() - t0);
	cr_call_close(t.call, NULL); /* harmless after the relay is gone */
	t.call = NULL;
	/* NUA's shutdown sent the BYE that sipp's scenario waits for. */
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
	rtp_peer_close(&t.rtp);
	TEST_EQUALS(fds_before, count_open_fds());
out:
	sip_test_teardown(&t);
	return err;
}
