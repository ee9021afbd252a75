/**
 * @file test_sip_options.c  OPTIONS answered, and sent to the trunk as a health check
 */
#include <stdio.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_options_answered(void);
int test_sip_options_health_up(void);
int test_sip_options_health_down(void);

int test_sip_options_answered(void)
{
	sip_test_t t;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uac(&t, "uac_options.xml", "ping", NULL));
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}

static void health_every_second(cr_sip_config_t *sip, cr_relay_config_t *cfg)
{
	(void)cfg;
	sip->options_interval = 1;
}

int test_sip_options_health_up(void)
{
	sip_test_t t = { .sipp.pid = -1, .rtp.fd = -1 };
	cr_sip_stats_t stats;
	cr_event_t ev;
	int err = 0;

	t.sip_port = free_port(true, false);
	t.trunk_port = free_port(true, false);
	t.media_port = free_port(false, true);
	TEST_ASSERT(t.sip_port > 0 && t.trunk_port > 0 && t.media_port > 0);
	snprintf(t.trunk_port_s, sizeof(t.trunk_port_s), "%d", t.trunk_port);
	snprintf(t.media_port_s, sizeof(t.media_port_s), "%d", t.media_port);
	/* The trunk first: the relay checks it as soon as it starts. */
	TEST_ERR(sip_test_uas(&t, "uas_options.xml", NULL));
	TEST_ERR(sip_relay_create(t.sip_port, t.trunk_port, "udp", health_every_second,
				  &t.relay));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_TRUNK_STATE, 0, 10000, &ev));
	TEST_EQUALS(200, ev.code);
	TEST_EQUALS(1, ev.value);
	cr_relay_get_sip_stats(t.relay, &stats);
	TEST_EQUALS(1, stats.trunk_up);
	TEST_EQUALS(200, stats.last_options_status);
	TEST_ASSERT(stats.options_ok >= 1 && stats.options_sent >= stats.options_ok);
	TEST_ASSERT(stats.last_options_rtt_ms >= 0 && stats.last_options_rtt_ms < 5000);
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sip_test_teardown(&t);
	return err;
}

int test_sip_options_health_down(void)
{
	sip_test_t t = { .sipp.pid = -1, .rtp.fd = -1 };
	cr_sip_stats_t stats;
	cr_event_t ev;
	int err = 0;

	/* Nobody listens on the trunk port: ICMP refusal, NTA reports 503. */
	t.sip_port = free_port(true, false);
	t.trunk_port = free_port(true, false);
	TEST_ERR(sip_relay_create(t.sip_port, t.trunk_port, "udp", health_every_second,
				  &t.relay));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_TRUNK_STATE, 0, 10000, &ev));
	TEST_EQUALS(0, ev.value);
	cr_relay_get_sip_stats(t.relay, &stats);
	TEST_EQUALS(0, stats.trunk_up);
	TEST_EQUALS(0, stats.options_ok);
out:
	sip_test_teardown(&t);
	return err;
}
