/**
 * @file test_sip_inbound_reject.c  Inbound call rejected by the plugin with 486
 */
#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_inbound_rejected(void);

int test_sip_inbound_rejected(void)
{
	sip_test_t t;
	cr_event_t ev;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uac(&t, "uac_reject.xml", "15550002222", NULL));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_INCOMING, 0, 10000, &ev));
	t.id = ev.call_id;
	TEST_ERR(cr_call_adopt(t.relay, t.id, &t.call));
	TEST_EQUALS(CR_ERR_INVALID, cr_sip_reject(t.call, 200)); /* not a rejection */
	TEST_ERR(cr_sip_reject(t.call, 486));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ENDED, t.id, 10000, &ev));
	TEST_EQUALS(486, ev.code);
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}
