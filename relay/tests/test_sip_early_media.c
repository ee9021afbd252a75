/**
 * @file test_sip_early_media.c  183 with SDP opens the media path before 200
 */
#include <string.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_outbound_early_media(void);

int test_sip_outbound_early_media(void)
{
	sip_test_t t;
	cr_event_t ev;
	char codec[32];
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, "uas_early.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550000183"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_EARLY_MEDIA, t.id, 10000, &ev));
	TEST_EQUALS(183, ev.code);
	TEST_EQUALS(t.media_port, text_int(ev.text, "port"));
	TEST_ERR(text_value(ev.text, "codec", codec, sizeof(codec)));
	TEST_STREQ("PCMU", codec);
	TEST_EQUALS(101, text_int(ev.text, "dtmf_pt"));
	/* Early media flows both ways before the answer (sipp waits 3 s). */
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	cr_call_close(t.call, "done");
	t.call = NULL;
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}
