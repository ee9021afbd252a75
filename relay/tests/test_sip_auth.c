/**
 * @file test_sip_auth.c  Digest challenges: answered once, a second one fails
 */
#include <string.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_outbound_auth(void);
int test_sip_outbound_auth_twice(void);

static void with_password(cr_sip_config_t *sip, cr_relay_config_t *cfg)
{
	(void)cfg;
	sip->password = "secret";
}

int test_sip_outbound_auth(void)
{
	sip_test_t t;
	cr_event_t ev;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, with_password));
	TEST_ERR(sip_test_uas(&t, "uas_auth.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550000401"));
	/* sipp answers 403 unless the credentials verify: 200 proves them. */
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_EQUALS(200, ev.code);
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	cr_call_close(t.call, "done");
	t.call = NULL;
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}

int test_sip_outbound_auth_twice(void)
{
	sip_test_t t;
	cr_event_t ev;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, with_password));
	TEST_ERR(sip_test_uas(&t, "uas_auth_twice.xml", NULL));
	TEST_ERR(sip_test_dial(&t, "15550000407"));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_FAILED, t.id, 10000, &ev));
	TEST_EQUALS(407, ev.code);
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}
