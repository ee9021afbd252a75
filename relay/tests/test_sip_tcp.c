/**
 * @file test_sip_tcp.c  Outbound and inbound calls over SIP/TCP
 */
#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_tcp_outbound(void);
int test_sip_tcp_inbound(void);
int sip_test_take_inbound(sip_test_t *t, cr_event_t *ev);

int test_sip_tcp_outbound(void)
{
	sip_test_t t;
	cr_event_t ev;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, "tcp", NULL));
	TEST_ERR(sip_test_uas(&t, "uas_answer.xml", "tcp"));
	TEST_ERR(sip_test_dial(&t, "15550001000"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	cr_call_close(t.call, "done");
	t.call = NULL;
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
	TEST_ASSERT(sipp_saw(&t.sipp, "Via: SIP/2.0/TCP 127.0.0.1:"));
out:
	sip_test_teardown(&t);
	return err;
}

int test_sip_tcp_inbound(void)
{
	sip_test_t t;
	cr_event_t ev;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, "tcp", NULL));
	TEST_ERR(sip_test_uac(&t, "uac_call.xml", "15550001001", "tcp"));
	TEST_ERR(sip_test_take_inbound(&t, &ev));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_HANGUP, t.id, 15000, &ev));
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}
