/**
 * @file test_sip_kamailio.c  Calls through kamailio as a record-routing proxy
 */
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "peer_kamailio.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_kamailio_outbound(void);
int test_sip_kamailio_inbound(void);
int sip_test_take_inbound(sip_test_t *t, cr_event_t *ev);

static int proxy_port;

static void via_proxy(cr_sip_config_t *sip, cr_relay_config_t *cfg)
{
	static char proxy[64];

	(void)cfg;
	snprintf(proxy, sizeof(proxy), "sip:127.0.0.1:%d;lr", proxy_port);
	sip->outbound_proxy = proxy;
}

int test_sip_kamailio_outbound(void)
{
	kamailio_peer_t kam = { .pid = -1 };
	sip_test_t t;
	cr_event_t ev;
	char via[64];
	int err = 0;

	proxy_port = free_port(true, false);
	TEST_ERR(kamailio_start(&kam, proxy_port));
	TEST_ERR(sip_test_setup(&t, NULL, via_proxy));
	/* sipp's built-in uas drops Record-Route from its 200: use ours. */
	TEST_ERR(sip_test_uas(&t, "uas_answer.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550007000"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	cr_call_close(t.call, "done"); /* the BYE follows the Record-Route */
	t.call = NULL;
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
	/* The INVITE reached sipp through kamailio, and so did our BYE. */
	snprintf(via, sizeof(via), "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=", proxy_port);
	TEST_ASSERT(sipp_saw(&t.sipp, via));
	TEST_ASSERT(sipp_saw(&t.sipp, "Record-Route: <sip:127.0.0.1"));
out:
	kamailio_stop(&kam, err != 0);
	sip_test_teardown(&t);
	return err;
}

int test_sip_kamailio_inbound(void)
{
	kamailio_peer_t kam = { .pid = -1 };
	sip_test_t t;
	cr_event_t ev;
	char rsa[64], rr[64];
	int err = 0;

	proxy_port = free_port(true, false);
	TEST_ERR(kamailio_start(&kam, proxy_port));
	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	/* sipp addresses the relay but sends to kamailio (-rsa). */
	snprintf(rsa, sizeof(rsa), "127.0.0.1:%d", proxy_port);
	{
		const char *args[] = { t.sip_target, "-rsa", rsa, "-i", "127.0.0.1",
				       "-p", t.trunk_port_s, "-mp", t.media_port_s, "-rtp_echo",
				       "-m", "1", "-timeout", "40s", "-timeout_error",
				       "-s", "15550008000", NULL };
		TEST_ERR(sipp_start(&t.sipp, "uac_call.xml", args));
	}
	TEST_ERR(sip_test_take_inbound(&t, &ev));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_HANGUP, t.id, 15000, &ev));
	TEST_STREQ("BYE", ev.text);
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
	/* Our 200 OK came back through kamailio, record-routed. */
	snprintf(rr, sizeof(rr), "Record-Route: <sip:127.0.0.1:%d;lr;", proxy_port);
	TEST_ASSERT(sipp_saw(&t.sipp, rr));
out:
	kamailio_stop(&kam, err != 0);
	sip_test_teardown(&t);
	return err;
}
