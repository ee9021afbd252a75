/**
 * @file test_sip_inbound_cancel.c  The trunk cancels an inbound call while it rings
 */
#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_inbound_cancelled(void);
int test_sip_inbound_cancelled_unadopted(void);

int test_sip_inbound_cancelled(void)
{
	sip_test_t t;
	cr_event_t ev;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uac(&t, "uac_cancel.xml", "15550003333", NULL));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_INCOMING, 0, 10000, &ev));
	t.id = ev.call_id;
	TEST_ERR(cr_call_adopt(t.relay, t.id, &t.call));
	TEST_ERR(cr_sip_ringing(t.call));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_HANGUP, t.id, 10000, &ev));
	TEST_EQUALS(487, ev.code);
	TEST_STREQ("CANCEL", ev.text);
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}

/* Nobody adopted the call: the relay closes it itself when the trunk gives up. */
int test_sip_inbound_cancelled_unadopted(void)
{
	sip_test_t t;
	cr_event_t ev;
	cr_call_t *late = NULL;
	cr_relay_stats_t stats;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uac(&t, "uac_cancel_early.xml", "15550003334", NULL));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_INCOMING, 0, 10000, &ev));
	t.id = ev.call_id;
	TEST_ERR(wait_event(t.relay, CR_EVENT_CALL_CLOSED, t.id, 10000, &ev));
	TEST_EQUALS(CR_ERR_NOTFOUND, cr_call_adopt(t.relay, t.id, &late));
	TEST_ASSERT(late == NULL);
	cr_relay_get_stats(t.relay, &stats);
	TEST_EQUALS(0, stats.active_calls);
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}
