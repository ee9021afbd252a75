/**
 * @file test_sip_hold.c  re-INVITE from the trunk: hold (sendonly) and resume
 */
#include <string.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_reinvite_hold_resume(void);

int test_sip_reinvite_hold_resume(void)
{
	sip_test_t t;
	cr_event_t ev;
	char dir[32];
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, "uas_hold.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550000600"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_MEDIA_CHANGED, t.id, 10000, &ev));
	TEST_ERR(text_value(ev.text, "direction", dir, sizeof(dir)));
	TEST_STREQ("sendonly", dir); /* the trunk holds us */
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_MEDIA_CHANGED, t.id, 10000, &ev));
	TEST_ERR(text_value(ev.text, "direction", dir, sizeof(dir)));
	TEST_STREQ("sendrecv", dir);
	TEST_EQUALS(t.media_port, text_int(ev.text, "port"));
	/* Audio again after the resume. */
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	cr_call_close(t.call, "done");
	t.call = NULL;
	/* sipp checked our answers: recvonly to its hold, sendrecv to resume. */
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}
