/**
 * @file test_sip_limit.c  An INVITE past the relay's call limit gets 503
 */
#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_inbound_over_limit(void);

static void one_call(cr_sip_config_t *sip, cr_relay_config_t *cfg)
{
	(void)sip;
	cfg->max_calls = 1;
}

int test_sip_inbound_over_limit(void)
{
	sip_test_t t;
	cr_sip_stats_t stats;
	cr_event_t ev;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, one_call));
	TEST_ERR(cr_call_create(t.relay, &t.call, NULL)); /* the one call allowed */
	TEST_ERR(sip_test_uac(&t, "uac_503.xml", "15550005555", NULL));
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
	cr_relay_get_sip_stats(t.relay, &stats);
	TEST_EQUALS(1, stats.invites_received);
	TEST_EQUALS(1, stats.invites_rejected_limit);
	/* The plugin never heard of it. */
	TEST_ASSERT(wait_event(t.relay, CR_EVENT_SIP_INCOMING, 0, 300, &ev) != 0);
out:
	sip_test_teardown(&t);
	return err;
}
