/**
 * @file test_sip_retransmit.c  UDP: a lost 200 OK is retransmitted, both ways
 *
 * nftables drops the first datagram starting "SIP/2.0 200" from the sender,
 * so the call only comes up if the sender's retransmission (RFC 3261 13.3.1.4)
 * is received and handled: sipp's toward us, NUA's toward sipp.
 */
#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_outbound_200_lost(void);
int test_sip_inbound_200_lost(void);
int sip_test_take_inbound(sip_test_t *t, cr_event_t *ev);

int test_sip_outbound_200_lost(void)
{
	sip_test_t t;
	cr_event_t ev;
	int err = 0, nft = -1;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(nft = nft_drop_first(t.trunk_port, "SIP/2.0 200"));
	TEST_ERR(sip_test_uas(&t, NULL, NULL));
	TEST_ERR(sip_test_dial(&t, "15550000500"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 15000, &ev));
	TEST_EQUALS(1, nft_dropped(t.trunk_port));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	cr_call_close(t.call, "done");
	t.call = NULL;
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	if (nft == 0)
		nft_remove(t.trunk_port);
	sip_test_teardown(&t);
	return err;
}

int test_sip_inbound_200_lost(void)
{
	sip_test_t t;
	cr_event_t ev;
	int err = 0, nft = -1;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(nft = nft_drop_first(t.sip_port, "SIP/2.0 200"));
	TEST_ERR(sip_test_uac(&t, "uac_call.xml", "15550004444", NULL));
	TEST_ERR(sip_test_take_inbound(&t, &ev));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 15000, &ev));
	TEST_EQUALS(1, nft_dropped(t.sip_port));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_HANGUP, t.id, 15000, &ev));
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	if (nft == 0)
		nft_remove(t.sip_port);
	sip_test_teardown(&t);
	return err;
}
