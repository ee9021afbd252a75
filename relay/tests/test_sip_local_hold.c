/**
 * @file test_sip_local_hold.c  cr_sip_hold: we hold the trunk and resume it
 */
#include <string.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_local_hold_resume(void);

int test_sip_local_hold_resume(void)
{
	sip_test_t t;
	cr_event_t ev;
	char dir[32], trace[8192];
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, "uas_held.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550000610"));
	/* Before the answer there is no dialog to re-INVITE in: ignored. */
	TEST_ERR(cr_sip_hold(t.call, 1));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	TEST_ERR(cr_sip_hold(t.call, 1));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_MEDIA_CHANGED, t.id, 10000, &ev));
	TEST_ERR(text_value(ev.text, "direction", dir, sizeof(dir)));
	TEST_STREQ("recvonly", dir); /* the trunk's answer to our sendonly */
	/* Holding twice sends nothing more (sipp would see an extra INVITE). */
	TEST_ERR(cr_sip_hold(t.call, 1));
	TEST_ERR(cr_sip_hold(t.call, 0));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_MEDIA_CHANGED, t.id, 10000, &ev));
	TEST_ERR(text_value(ev.text, "direction", dir, sizeof(dir)));
	TEST_STREQ("sendrecv", dir);
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	TEST_ASSERT(cr_call_get_trace(t.call, trace, sizeof(trace)) >= 0);
	TEST_ASSERT(strstr(trace, "hold ignored: the dialog is not established") != NULL);
	TEST_ASSERT(strstr(trace, "INVITE (hold)") != NULL);
	TEST_ASSERT(strstr(trace, "INVITE (resume)") != NULL);
	TEST_ASSERT(cr_sip_hold(NULL, 1) != 0);
	cr_call_close(t.call, "done");
	t.call = NULL;
	/* sipp checked our offers: a=sendonly, then a=sendrecv, then the BYE. */
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}
