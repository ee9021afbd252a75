/**
 * @file test_sip_bad_sdp.c  SDP that would blow up Sofia's parser, sent by sipp
 *
 * Sofia 1.12.11's sdp_parse() takes over a gigabyte on "m=audio 6000 x ;".
 * Our check stands in front of it: an INVITE with such an offer gets 488
 * with a Warning and the relay's memory stays flat; a trunk answering with
 * broken SDP (200 or 183) has its call ended with BYE or CANCEL and the
 * reason reaches the plugin. Every refusal is counted, and a normal call
 * right after works with audio both ways.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_bad_sdp_offer_488(void);
int test_sip_bad_sdp_answer_bye(void);
int test_sip_bad_sdp_early_cancel(void);
int test_sip_bad_sdp_reinvite_488(void);
int sip_test_take_inbound(sip_test_t *t, cr_event_t *ev);

/* Resident memory of this process (the relay runs in it), in kB. */
static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static uint64_t sdp_rejected(cr_relay_t *relay)
{
	cr_sip_stats_t stats;

	cr_relay_get_sip_stats(relay, &stats);
	return stats.sdp_rejected;
}

/* A call from sipp's uac_call.xml, answered, audio echoed both ways. */
static int inbound_call_works(sip_test_t *t)
{
	cr_event_t ev;

	remove_dir(t->sipp.dir);
	if (sip_test_uac(t, "uac_call.xml", "15550009900", NULL) ||
	    sip_test_take_inbound(t, &ev) ||
	    wait_sip_event(t->relay, CR_EVENT_SIP_ANSWERED, t->id, 10000, &ev) ||
	    sip_test_rtp_echo(t, &ev) ||
	    wait_event(t->relay, CR_EVENT_SIP_HANGUP, t->id, 15000, &ev))
		return -1;
	return sip_test_sipp_done(t, 1, 10000);
}

/* A call to sipp's built-in UAS, answered, audio echoed both ways. */
static int outbound_call_works(sip_test_t *t)
{
	cr_event_t ev;

	if (t->call) {
		cr_call_close(t->call, "next call");
		t->call = NULL;
	}
	remove_dir(t->sipp.dir);
	if (sip_test_uas(t, NULL, NULL) || sip_test_dial(t, "15551230000") ||
	    wait_sip_event(t->relay, CR_EVENT_SIP_ANSWERED, t->id, 10000, &ev) ||
	    sip_test_rtp_echo(t, &ev))
		return -1;
	cr_call_close(t->call, "test done");
	t->call = NULL;
	return sip_test_sipp_done(t, 1, 15000);
}

int test_sip_bad_sdp_offer_488(void)
{
	sip_test_t t;
	cr_event_t ev;
	char calls[8];
	long before, after;
	int err = 0, n = 5;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	before = rss_kb();
	TEST_ASSERT(before > 0);
	snprintf(calls, sizeof(calls), "%d", n);
	{
		/* n INVITEs; each must get 488 with our Warning (the scenario checks). */
		const char *args[] = { t.sip_target, "-i", "127.0.0.1", "-p", t.trunk_port_s,
				       "-m", calls, "-r", "10", "-timeout", "30s", "-timeout_error",
				       "-s", "15550001111", "-t", "u1", NULL };

		TEST_ERR(sipp_start(&t.sipp, "uac_bad_sdp.xml", args));
	}
	TEST_ERR(sip_test_sipp_done(&t, n, 30000));
	after = rss_kb();
	if (after - before > 50 * 1024)
		TEST_FAIL("RSS grew by %ld kB on %d bad offers", after - before, n);
	TEST_EQUALS(n, sdp_rejected(t.relay));
	/* Nobody was rung. */
	TEST_ASSERT(wait_event(t.relay, CR_EVENT_SIP_INCOMING, 0, 300, &ev) != 0);

	TEST_ERR(inbound_call_works(&t));
	TEST_EQUALS(n, sdp_rejected(t.relay));
out:
	sip_test_teardown(&t);
	return err;
}

int test_sip_bad_sdp_answer_bye(void)
{
	sip_test_t t;
	cr_event_t ev;
	char trace[8192];
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, "uas_bad_sdp_answer.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15551234567"));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_FAILED, t.id, 10000, &ev));
	TEST_EQUALS(488, ev.code);
	if (!strstr(ev.text, "SDP answer refused: SDP line 6: m= format is not an RTP payload "
		    "type 0-127"))
		TEST_FAIL("reason: %s", ev.text);
	/* The scenario ends only after our BYE. */
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
	cr_call_get_trace(t.call, trace, sizeof(trace));
	TEST_ASSERT(strstr(trace, "SDP: refused (SDP line 6:") != NULL);
	TEST_ASSERT(strstr(trace, "> BYE") != NULL);
	TEST_EQUALS(1, sdp_rejected(t.relay));

	TEST_ERR(outbound_call_works(&t));
	TEST_EQUALS(1, sdp_rejected(t.relay));
out:
	sip_test_teardown(&t);
	return err;
}

int test_sip_bad_sdp_early_cancel(void)
{
	sip_test_t t;
	cr_event_t ev;
	char trace[8192];
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, "uas_bad_sdp_early.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15551234567"));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_FAILED, t.id, 10000, &ev));
	TEST_EQUALS(488, ev.code);
	if (!strstr(ev.text, "SDP in 183 refused: SDP line 6: m= port is not a number 0-65535"))
		TEST_FAIL("reason: %s", ev.text);
	/* The scenario ends only after our CANCEL and the ACK of its 487. */
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
	cr_call_get_trace(t.call, trace, sizeof(trace));
	TEST_ASSERT(strstr(trace, "> CANCEL") != NULL);
	TEST_EQUALS(1, sdp_rejected(t.relay));

	TEST_ERR(outbound_call_works(&t));
out:
	sip_test_teardown(&t);
	return err;
}

int test_sip_bad_sdp_reinvite_488(void)
{
	sip_test_t t;
	cr_event_t ev;
	char trace[8192];
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uac(&t, "uac_bad_reinvite.xml", "15550001111", NULL));
	TEST_ERR(sip_test_take_inbound(&t, &ev));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	/* sipp's re-INVITE comes 1.5 s after its ACK; 488 (the scenario
	 * checks the Warning) leaves the call as it was. */
	for (int i = 0; i < 100 && sdp_rejected(t.relay) == 0; i++)
		usleep(50 * 1000);
	TEST_EQUALS(1, sdp_rejected(t.relay));
	/* No media change was reported for the refused offer, and audio
	 * still flows both ways on what was agreed before. */
	TEST_ASSERT(wait_event(t.relay, CR_EVENT_SIP_MEDIA_CHANGED, t.id, 200, &ev) != 0);
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_HANGUP, t.id, 15000, &ev));
	TEST_STREQ("BYE", ev.text);
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
	cr_call_get_trace(t.call, trace, sizeof(trace));
	TEST_ASSERT(strstr(trace, "SDP: refused (SDP: a byte above 0x7f") != NULL);
	TEST_ASSERT(strstr(trace, "> SIP/2.0 488 Not Acceptable Here | Warning: SDP: a byte") != NULL);
out:
	sip_test_teardown(&t);
	return err;
}
