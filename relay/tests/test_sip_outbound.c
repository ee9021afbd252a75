/**
 * @file test_sip_outbound.c  Outbound call answered by sipp, RTP echoed, BYE
 */
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_outbound_answered(void);

int test_sip_outbound_answered(void)
{
	cr_relay_t *relay = NULL;
	cr_call_t *call = NULL;
	cr_sip_dial_params_t dial;
	cr_event_t ev;
	sipp_run_t sipp = { .pid = -1 };
	rtp_peer_t rtp = { .fd = -1 };
	char port_s[16], mport_s[16], address[64], codec[32], trace[8192];
	int err = 0, sip_port, trunk_port, media_port, rtp_port;
	uint32_t id;

	sip_port = free_port(true, false);
	trunk_port = free_port(true, false);
	media_port = free_port(false, true);
	rtp_port = free_port(false, true);
	TEST_ASSERT(sip_port > 0 && trunk_port > 0 && media_port > 0 && rtp_port > 0);
	snprintf(port_s, sizeof(port_s), "%d", trunk_port);
	snprintf(mport_s, sizeof(mport_s), "%d", media_port);
	{
		const char *args[] = { "-sn", "uas", "-i", "127.0.0.1", "-p", port_s,
				       "-mp", mport_s, "-rtp_echo", "-m", "1",
				       "-timeout", "30s", "-timeout_error", NULL };
		TEST_ERR(sipp_start(&sipp, NULL, args));
	}
	TEST_ERR(sip_relay_create(sip_port, trunk_port, "udp", NULL, &relay));
	TEST_ERR(cr_call_create(relay, &call, NULL));
	id = cr_call_id(call);
	TEST_ERR(rtp_peer_open(&rtp, rtp_port));
	cr_sip_dial_params_init(&dial);
	dial.number = "15551234567";
	dial.caller_id = "alice";
	dial.codecs = "PCMU,PCMA";
	dial.local_rtp_address = "127.0.0.1";
	dial.local_rtp_port = rtp_port;
	TEST_ERR(cr_sip_dial(call, &dial, NULL));
	TEST_ERR(wait_sip_event(relay, CR_EVENT_SIP_RINGING, id, 10000, &ev));
	TEST_EQUALS(180, ev.code);
	TEST_ERR(wait_sip_event(relay, CR_EVENT_SIP_ANSWERED, id, 10000, &ev));
	TEST_EQUALS(200, ev.code);
	TEST_ERR(text_value(ev.text, "address", address, sizeof(address)));
	TEST_STREQ("127.0.0.1", address);
	TEST_EQUALS(media_port, text_int(ev.text, "port"));
	TEST_ERR(text_value(ev.text, "codec", codec, sizeof(codec)));
	TEST_STREQ("PCMU", codec);
	TEST_EQUALS(0, text_int(ev.text, "pt"));
	TEST_ERR(text_value(ev.text, "direction", codec, sizeof(codec)));
	TEST_STREQ("sendrecv", codec);

	/* Audio both ways: sipp echoes what reaches it on the port of its SDP. */
	TEST_ERR(rtp_peer_exchange(&rtp, address, text_int(ev.text, "port"), 0, 50, 1000));
	TEST_EQUALS(50, rtp.sent);
	if (rtp.received < 45)
		TEST_FAIL("only %ld of 50 RTP packets came back", rtp.received);

	cr_call_get_trace(call, trace, sizeof(trace));
	TEST_ASSERT(strstr(trace, "> INVITE sip:15551234567@127.0.0.1:") != NULL);
	TEST_ASSERT(strstr(trace, "< SIP/2.0 180 Ringing") != NULL);
	TEST_ASSERT(strstr(trace, "< SIP/2.0 200 OK") != NULL);

	/* Hang up after the answer: BYE, which sipp's uas scenario expects. */
	cr_call_close(call, "test done");
	call = NULL;
	TEST_ERR(sipp_wait(&sipp, 15000));
	if (sipp.exit_status != 0 || sipp.successful_calls != 1) {
		sipp_dump(&sipp);
		TEST_FAIL("sipp exit %d, successful calls %ld", sipp.exit_status,
			  sipp.successful_calls);
	}
out:
	cr_call_close(call, NULL);
	cr_relay_destroy(relay);
	rtp_peer_close(&rtp);
	sipp_kill(&sipp);
	remove_dir(sipp.dir);
	return err;
}
