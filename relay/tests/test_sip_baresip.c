/**
 * @file test_sip_baresip.c  Outbound call answered by baresip, audio looped back
 */
#include <string.h>

#include "helpers.h"
#include "peer_baresip.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_baresip_answers(void);

int test_sip_baresip_answers(void)
{
	sip_test_t t;
	baresip_peer_t bs = { .pid = -1 };
	cr_event_t ev;
	char codec[32], address[64];
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(baresip_start(&bs, t.trunk_port, free_port(false, true), 40));
	TEST_ERR(sip_test_dial(&t, "echo"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(text_value(ev.text, "codec", codec, sizeof(codec)));
	TEST_STREQ("PCMU", codec);
	TEST_ERR(text_value(ev.text, "address", address, sizeof(address)));
	TEST_STREQ("127.0.0.1", address);
	/* baresip decodes what we send and plays it into the source it
	 * encodes from: our payload coming back proves both directions. Its
	 * jitter buffer swallows the first packets. */
	TEST_ERR(sip_test_rtp_echo_min(&t, &ev, 30));
	TEST_ERR(cr_sip_hangup(t.call));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ENDED, t.id, 10000, &ev));
	TEST_EQUALS(200, ev.code); /* baresip's answer to our BYE */
out:
	baresip_stop(&bs, err != 0);
	sip_test_teardown(&t);
	return err;
}
