/**
 * @file test_sip_session_timer.c  RFC 4028 session timer asked by the trunk, refreshed
 */
#include <poll.h>
#include <string.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_session_timer_refresh(void);
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
