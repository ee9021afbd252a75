/**
 * @file test_sip_update.c  UPDATE from the trunk changes the codec mid-call
 */
#include <string.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_update_codec_change(void);

int test_sip_update_codec_change(void)
{
	sip_test_t t;
	cr_event_t ev;
	char codec[32];
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, "uas_update.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550000700"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(text_value(ev.text, "codec", codec, sizeof(codec)));
	TEST_STREQ("PCMU", codec);
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_MEDIA_CHANGED, t.id, 10000, &ev));
	TEST_ERR(text_value(ev.text, "codec", codec, sizeof(codec)));
	TEST_STREQ("PCMA", codec);
	TEST_EQUALS(8, text_int(ev.text, "pt"));
	TEST_ERR(sip_test_rtp_echo(&t, &ev)); /* now with payload type 8 */
	cr_call_close(t.call, "done");
	t.call = NULL;
	/* sipp checked that our answer to its UPDATE chose PCMA. */
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}
