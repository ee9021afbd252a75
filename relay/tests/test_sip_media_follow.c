/**
 * @file test_sip_media_follow.c  The relay points its RTP leg at the trunk itself: the answer, then a re-INVITE that moves it
 *
 * A relay with a media plane dials sipp (relay/tests/sipp/uas_move.xml),
 * which answers with its media on one port and two seconds later moves it by
 * re-INVITE to the port of the test's own RTP peer. Nobody calls
 * cr_call_set_sip_remote(): the trunk's RTP from the moved port is taken
 * (sip_rx_packets) only once the relay followed the re-INVITE by itself;
 * before it, the same packets are somebody else's (sip_foreign).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_media_follows_reinvite(void);

static cr_media_config_t media_config;

static void with_media(cr_sip_config_t *sip, cr_relay_config_t *cfg)
{
	(void)sip;
	cr_media_config_init(&media_config);
	media_config.ice_addresses = "127.0.0.1";
	media_config.sip_rtp_address = "127.0.0.1";
	media_config.sip_port_min = 30000;
	media_config.sip_port_max = 30999;
	cfg->media = &media_config;
}

static int stats_of(cr_call_t *call, cr_call_stats_t *s)
{
	memset(s, 0, sizeof(*s));
	return cr_call_get_stats(call, s);
}

/* The worker counts the last packets a moment after they were sent: up to
 * 1.5 s for cond (over s) to hold, well before sipp moves the media. */
#define STATS_UNTIL(call, s, cond)                                                  \
	for (int waited_ = 0; stats_of((call), &(s)) == 0 && !(cond) && waited_ < 1500; \
	     waited_ += 20)                                                         \
		usleep(20 * 1000)

int test_sip_media_follows_reinvite(void)
{
	sip_test_t t;
	cr_event_t ev;
	cr_media_local_t local;
	cr_media_params_t p;
	cr_sip_dial_params_t dial;
	cr_sip_media_t facts;
	cr_call_stats_t s;
	char msg[CR_MAX_ERROR_LEN] = "", move_port[16];
	long foreign_before;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, with_media));
	snprintf(move_port, sizeof(move_port), "%d", t.rtp_port);
	{
		const char *args[] = { "-i", "127.0.0.1", "-p", t.trunk_port_s, "-mp", t.media_port_s,
				       "-rtp_echo", "-m", "1", "-timeout", "30s", "-timeout_error",
				       "-t", "u1", "-set", "move_port", move_port, NULL };

		TEST_ERR(sipp_start(&t.sipp, "uas_move.xml", args));
	}
	TEST_ERR(cr_call_create(t.relay, &t.call, NULL));
	t.id = cr_call_id(t.call);
	TEST_ERR(cr_call_get_media_local(t.call, &local));
	/* Media without the trunk's address: the relay must learn it. */
	cr_media_params_init(&p);
	p.dtls_role = CR_DTLS_ACTIVE;
	p.n_codecs = 1;
	p.codecs[0] = (cr_codec_map_t){ .client_pt = 0, .sip = { .pt = 0, .name = "PCMU",
					.clock_rate = 8000, .channels = 1 } };
	TEST_ERR(cr_call_media_start(t.call, &p, msg));
	cr_sip_dial_params_init(&dial);
	dial.number = "15550000700";
	dial.codecs = sip_test_pcmu_pcma;
	dial.n_codecs = 1;
	/* The SIP leg's RTP address and port: the call's own (local). */
	TEST_ERR(cr_sip_dial(t.call, &dial, msg));

	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_EQUALS(t.media_port, text_int(ev.text, "port"));
	/* RTP from the port the trunk will move to: not the answer's, dropped. */
	rtp_peer_exchange(&t.rtp, "127.0.0.1", local.sip_rtp_port, 0, 10, 100);
	STATS_UNTIL(t.call, s, s.sip_foreign >= 10);
	TEST_ERR(stats_of(t.call, &s));
	TEST_EQUALS(0, (long)s.sip_rx_packets);
	TEST_ASSERT(s.sip_foreign >= 10);
	foreign_before = (long)s.sip_foreign;

	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_MEDIA_CHANGED, t.id, 10000, &ev));
	TEST_EQUALS(t.rtp_port, text_int(ev.text, "port"));
	/* The relay's typed facts moved with it. */
	TEST_ERR(cr_call_get_sip_media(t.call, &facts));
	TEST_EQUALS(t.rtp_port, facts.port);
	TEST_ASSERT(facts.seq >= 2);
	TEST_STREQ("PCMU", facts.chosen.name);
	/* The same packets now come from where the trunk's SDP says. */
	rtp_peer_exchange(&t.rtp, "127.0.0.1", local.sip_rtp_port, 0, 50, 100);
	STATS_UNTIL(t.call, s, s.sip_rx_packets >= 45);
	TEST_ERR(stats_of(t.call, &s));
	TEST_ASSERT(s.sip_rx_packets >= 45);
	TEST_ASSERT((long)s.sip_foreign - foreign_before <= 5);

	cr_call_close(t.call, "done");
	t.call = NULL;
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	if (err)
		fprintf(stderr, "  %s\n", msg);
	sip_test_teardown(&t);
	return err;
}
