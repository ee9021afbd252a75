/**
 * @file test_sip_session_timer.c  RFC 4028 session timer asked by the trunk, refreshed
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_session_timer_refresh(void);
int test_sip_session_timer_we_refresh(void);
int sip_test_take_inbound(sip_test_t *t, cr_event_t *ev);

int test_sip_session_timer_refresh(void)
{
	sip_test_t t;
	cr_event_t ev;
	int err = 0, changes = 0, hangup = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uac(&t, "uac_timer.xml", "15550009100", NULL));
	TEST_ERR(sip_test_take_inbound(&t, &ev));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	/* RTP keeps flowing across the refreshes (UPDATE at 1 s, re-INVITE at 1.5 s). */
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	/* Refreshes with unchanged media are not media changes. */
	for (int waited = 0; !hangup && waited < 15000; waited += 100) {
		struct pollfd pfd = { .fd = cr_relay_event_fd(t.relay), .events = POLLIN };

		poll(&pfd, 1, 100);
		while (cr_relay_poll_events(t.relay, &ev, 1) == 1) {
			if (ev.call_id != t.id)
				continue;
			changes += ev.type == CR_EVENT_SIP_MEDIA_CHANGED;
			hangup |= ev.type == CR_EVENT_SIP_HANGUP;
		}
	}
	TEST_ASSERT(hangup);
	TEST_EQUALS(0, changes);
	/* sipp checked Session-Expires in our 200s and the SDP in the re-INVITE's. */
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}

/* The trunk makes us the refresher (90 s): NUA must refresh (UPDATE) before
 * half the interval has passed; sipp waits up to 60 s for it. The one long
 * test here: RFC 4028's minimum interval is 90 s. */
int test_sip_session_timer_we_refresh(void)
{
	sip_test_t t;
	cr_event_t ev;
	char trace[8192] = "";
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	t.sipp_timeout = "75s";
	TEST_ERR(sip_test_uas(&t, "uas_timer_refresh.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550009200"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	/* Until the refresh has been answered (RFC 4028: before half of 90 s),
	 * with no hang-up or failure meanwhile. */
	for (int waited = 0; !strstr(trace, " UPDATE |") && waited < 55000; waited += 200) {
		struct pollfd pfd = { .fd = cr_relay_event_fd(t.relay), .events = POLLIN };

		poll(&pfd, 1, 200);
		while (cr_relay_poll_events(t.relay, &ev, 1) == 1)
			if (ev.call_id == t.id && (ev.type == CR_EVENT_SIP_HANGUP ||
						   ev.type == CR_EVENT_SIP_FAILED))
				TEST_FAIL("the call ended: event %d code %d %s", ev.type, ev.code,
					  ev.text);
		cr_call_get_trace(t.call, trace, sizeof(trace));
	}
	if (getenv("CR_TEST_TRACE"))
		fprintf(stderr, "%s", trace);
	TEST_ASSERT(strstr(trace, "> UPDATE (session refresh, sent by Sofia)") != NULL);
	TEST_ASSERT(strstr(trace, "< SIP/2.0 200 OK | Call-ID:") != NULL);
	cr_call_close(t.call, "done");
	t.call = NULL;
	/* sipp's scenario got our UPDATE, then our BYE. */
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
	TEST_ASSERT(sipp_saw(&t.sipp, "UPDATE sip:"));
out:
	sip_test_teardown(&t);
	return err;
}
