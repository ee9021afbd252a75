/**
 * @file test_sip_register.c  REGISTER to the trunk with digest, then refreshed
 */
#include <stdio.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_register_refresh(void);

static void registering(cr_sip_config_t *sip, cr_relay_config_t *cfg)
{
	(void)cfg;
	sip->password = "secret";
	sip->register_expires = 60;
}

int test_sip_register_refresh(void)
{
	sip_test_t t = { .sipp.pid = -1, .rtp.fd = -1 };
	cr_sip_stats_t stats;
	cr_event_t ev;
	int err = 0;

	t.sip_port = free_port(true, false);
	t.trunk_port = free_port(true, false);
	t.media_port = free_port(false, true);
	snprintf(t.trunk_port_s, sizeof(t.trunk_port_s), "%d", t.trunk_port);
	snprintf(t.media_port_s, sizeof(t.media_port_s), "%d", t.media_port);
	TEST_ERR(sip_test_uas(&t, "uas_register.xml", NULL));
	TEST_ERR(sip_relay_create(t.sip_port, t.trunk_port, "udp", registering, &t.relay));
	/* The registrar only says 200 to valid credentials (else 403). */
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_REGISTERED, 0, 10000, &ev));
	TEST_EQUALS(200, ev.code);
	TEST_EQUALS(10, ev.value); /* the expiry the registrar granted */
	cr_relay_get_sip_stats(t.relay, &stats);
	TEST_EQUALS(1, stats.registered);
	/* NUA refreshes before the 10 s run out. */
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_REGISTERED, 0, 15000, &ev));
	TEST_EQUALS(200, ev.code);
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}
