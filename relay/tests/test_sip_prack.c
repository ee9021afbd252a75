/**
 * @file test_sip_prack.c  Reliable provisional responses (RFC 3262) both ways
 */
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_outbound_100rel(void);

/* The trunk sends 183 with Require: 100rel; sipp answers only after our
 * PRACK (a mandatory step of its scenario). */
int test_sip_outbound_100rel(void)
{
	sip_test_t t;
	cr_event_t ev;
	char trace[8192];
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, "uas_prack.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550000100"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_EARLY_MEDIA, t.id, 10000, &ev));
	TEST_EQUALS(183, ev.code);
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	cr_call_get_trace(t.call, trace, sizeof(trace));
	TEST_ASSERT(strstr(trace, "| Require: 100rel") != NULL);
	cr_call_close(t.call, "done");
	t.call = NULL;
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
	TEST_ASSERT(sipp_saw(&t.sipp, "PRACK sip:"));
	TEST_ASSERT(sipp_saw(&t.sipp, "RAck: 1 "));
out:
	sip_test_teardown(&t);
	return err;
}

int test_sip_inbound_100rel(void);

/* The trunk requires 100rel: our 180 goes reliably, sipp PRACKs it. */
int test_sip_inbound_100rel(void)
{
	sip_test_t t;
	cr_event_t ev;
	cr_sip_answer_params_t ans;
	char trace[8192] = "";
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uac(&t, "uac_prack.xml", "15550009000", NULL));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_INCOMING, 0, 10000, &ev));
	t.id = ev.call_id;
	TEST_ERR(cr_call_adopt(t.relay, t.id, &t.call));
	TEST_ERR(cr_sip_ringing(t.call));
	/* The PRACK round trip, before we answer (without it the 200 goes
	 * out first, which sipp accepts too: the case here would be lost). */
	for (int waited = 0; !strstr(trace, "> SIP/2.0 200 OK to PRACK") && waited < 10000;
	     waited += 50) {
		usleep(50 * 1000);
		cr_call_get_trace(t.call, trace, sizeof(trace));
	}
	cr_sip_answer_params_init(&ans);
	ans.codecs = &sip_test_pcmu_pcma[1];
	ans.n_codecs = 1;
	ans.local_rtp_address = "127.0.0.1";
	ans.local_rtp_port = t.rtp_port;
	TEST_ERR(cr_sip_answer(t.call, &ans, NULL));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_EQUALS(8, text_int(ev.text, "pt"));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_HANGUP, t.id, 15000, &ev));
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
	TEST_ASSERT(sipp_saw(&t.sipp, "RSeq: "));
out:
	sip_test_teardown(&t);
	return err;
}
