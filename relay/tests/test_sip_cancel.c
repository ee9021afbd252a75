/**
 * @file test_sip_cancel.c  Outbound call hung up while ringing: CANCEL, 487
 */
#include <string.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_outbound_cancel(void);
int test_sip_outbound_cancel_crossing_200(void);

int test_sip_outbound_cancel(void)
{
	sip_test_t t;
	cr_event_t ev;
	char trace[8192];
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, "uas_cancel.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550000180"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_RINGING, t.id, 10000, &ev));
	TEST_EQUALS(180, ev.code);
	TEST_ERR(cr_sip_hangup(t.call));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ENDED, t.id, 10000, &ev));
	TEST_EQUALS(487, ev.code);
	cr_call_get_trace(t.call, trace, sizeof(trace));
	TEST_ASSERT(strstr(trace, "> CANCEL") != NULL);
	TEST_ASSERT(strstr(trace, "< SIP/2.0 487") != NULL);
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}

/* The trunk answers while our CANCEL is on its way: the call must not be
 * left up at the trunk (ACK, then BYE) and the plugin sees it end. */
int test_sip_outbound_cancel_crossing_200(void)
{
	sip_test_t t;
	cr_event_t ev;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, "uas_cancel_200.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550000181"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_RINGING, t.id, 10000, &ev));
	TEST_ERR(cr_sip_hangup(t.call));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ENDED, t.id, 10000, &ev));
	/* sipp's scenario only succeeds after our ACK and BYE. */
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}
