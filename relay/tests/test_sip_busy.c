/**
 * @file test_sip_busy.c  Outbound call refused with 486: the failure reaches the plugin
 */
#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_outbound_busy(void);

int test_sip_outbound_busy(void)
{
	sip_test_t t;
	cr_event_t ev;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, "uas_busy.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550000486"));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_FAILED, t.id, 10000, &ev));
	TEST_EQUALS(486, ev.code);
	TEST_STREQ("Busy Here", ev.text);
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}
