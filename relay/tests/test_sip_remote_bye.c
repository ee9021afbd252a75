/**
 * @file test_sip_remote_bye.c  The trunk hangs up an answered call with BYE
 */
#include <string.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_outbound_remote_bye(void);

int test_sip_outbound_remote_bye(void)
{
	sip_test_t t;
	cr_event_t ev;
	char trace[8192];
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, "uas_bye.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550000200"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_HANGUP, t.id, 10000, &ev));
	TEST_EQUALS(200, ev.code);
	TEST_STREQ("BYE", ev.text);
	cr_call_get_trace(t.call, trace, sizeof(trace));
	TEST_ASSERT(strstr(trace, "< BYE sip:") != NULL);
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}
