/**
 * @file test_sip_inbound.c  Inbound call from sipp: adopted, ringing, answered, RTP, BYE
 */
#include <string.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_inbound_answered(void);
int test_sip_inbound_local_bye(void);

/* Waits for the incoming call, adopts it, rings and answers with PCMU. */
int sip_test_take_inbound(sip_test_t *t, cr_event_t *ev);

int sip_test_take_inbound(sip_test_t *t, cr_event_t *ev)
{
	cr_sip_answer_params_t ans;
	char msg[CR_MAX_ERROR_LEN] = "";
	cr_call_t *again = NULL;

	if (wait_sip_event(t->relay, CR_EVENT_SIP_INCOMING, 0, 10000, ev))
		return -1;
	t->id = ev->call_id;
	if (cr_call_adopt(t->relay, t->id, &t->call))
		return -1;
	if (cr_call_adopt(t->relay, t->id, &again) != CR_ERR_NOTFOUND || again) /* once */
		return -1;
	if (cr_sip_ringing(t->call))
		return -1;
	cr_sip_answer_params_init(&ans);
	ans.codecs = "PCMU,PCMA";
	ans.local_rtp_address = "127.0.0.1";
	ans.local_rtp_port = t->rtp_port;
	if (cr_sip_answer(t->call, &ans, msg)) {
		fprintf(stderr, "  cr_sip_answer: %s\n", msg);
		return -1;
	}
	return 0;
}

int test_sip_inbound_answered(void)
{
	sip_test_t t;
	cr_event_t ev;
	char buf[256], trace[8192];
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uac(&t, "uac_call.xml", "15550001111", NULL));
	TEST_ERR(sip_test_take_inbound(&t, &ev));
	TEST_ERR(text_value(ev.text, "caller", buf, sizeof(buf)));
	TEST_STREQ("+15557654321", buf); /* P-Asserted-Identity wins over From */
	TEST_ERR(text_value(ev.text, "called", buf, sizeof(buf)));
	TEST_STREQ("15550001111", buf);
	TEST_ERR(text_value(ev.text, "codecs", buf, sizeof(buf)));
	TEST_STREQ("PCMA/8000/8,PCMU/8000/0", buf);
	TEST_EQUALS(101, text_int(ev.text, "dtmf_pt"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(text_value(ev.text, "codec", buf, sizeof(buf)));
	TEST_STREQ("PCMU", buf); /* our preference among those offered */
	TEST_EQUALS(t.media_port, text_int(ev.text, "port"));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_HANGUP, t.id, 15000, &ev));
	TEST_STREQ("BYE", ev.text);
	cr_call_get_trace(t.call, trace, sizeof(trace));
	TEST_ASSERT(strstr(trace, "< INVITE sip:15550001111@") != NULL);
	TEST_ASSERT(strstr(trace, "> SIP/2.0 180 Ringing") != NULL);
	TEST_ASSERT(strstr(trace, "> SIP/2.0 200 OK") != NULL);
	TEST_ASSERT(strstr(trace, "< ACK") != NULL);
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}

/* The plugin hangs up an answered inbound call: BYE toward the trunk. */
int test_sip_inbound_local_bye(void)
{
	sip_test_t t;
	cr_event_t ev;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uac(&t, "uac_call_bye_in.xml", "15550001112", NULL));
	TEST_ERR(sip_test_take_inbound(&t, &ev));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	TEST_ERR(cr_sip_hangup(t.call));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ENDED, t.id, 10000, &ev));
	TEST_EQUALS(200, ev.code);
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}
