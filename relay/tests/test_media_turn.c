/**
 * @file test_media_turn.c  Our relay (TURN) candidates carry rel-addr/rel-port (docs/INTEROP.md#8)
 *
 * With a TURN server configured (coturn on 127.0.0.1, started here) the
 * relay gathers a relay candidate besides its host one, and emits it with
 * raddr/rport (the SDP form of rel-addr/rel-port): Firefox rejects relay and
 * srflx candidates without them. (A srflx candidate cannot be had on
 * loopback: the mapped address equals the host one and libnice drops it.)
 */
#include <glib.h>
#include <poll.h>
#include <stdbool.h>
#include <unistd.h>

#include "helpers.h"
#include "peer_turn.h"
#include "sip_helpers.h"
#include "test.h"

int test_media_turn_candidates(void);

int test_media_turn_candidates(void)
{
	cr_relay_config_t cfg;
	cr_media_config_t mcfg;
	cr_media_params_t mp;
	cr_relay_t *relay = NULL;
	cr_call_t *call = NULL;
	static cr_event_t batch[16];
	bool done = false;
	char relay_prefix[32];
	int relay_min;
	turn_peer_t turn = { .pid = -1 };
	char msg[CR_MAX_ERROR_LEN];
	int err = 0, port = free_port(false, false), relay_cands = 0, host_cands = 0;
	gint64 end;

	relay_min = 44000 + (getpid() % 400) * 10;
	/* "ADDR PORT typ relay": the port is relay_min..relay_min+9 */
	g_snprintf(relay_prefix, sizeof(relay_prefix), " 127.0.0.1 %d", relay_min / 10);
	TEST_ERR(turn_start(&turn, port, relay_min, relay_min + 9));
	cr_relay_config_init(&cfg);
	cr_media_config_init(&mcfg);
	cfg.workers = 1;
	mcfg.ice_addresses = "127.0.0.1";
	mcfg.sip_rtp_address = "127.0.0.1";
	mcfg.sip_port_min = 30000;
	mcfg.sip_port_max = 30999;
	mcfg.turn_server = "127.0.0.1";
	mcfg.turn_port = turn.port;
	mcfg.turn_username = TURN_USER;
	mcfg.turn_password = TURN_PASS;
	cfg.media = &mcfg;
	TEST_ERR(cr_relay_create(&cfg, &relay, msg));
	TEST_ERR(cr_call_create(relay, &call, msg));
	cr_media_params_init(&mp);
	TEST_ERR(cr_call_media_start(call, &mp, msg));
	for (end = g_get_monotonic_time() + 10000000; !done && g_get_monotonic_time() < end;) {
		struct pollfd pfd = { .fd = cr_relay_event_fd(relay), .events = POLLIN };
		int n;

		poll(&pfd, 1, 50);
		n = cr_relay_poll_events(relay, batch, 16);
		for (int i = 0; i < n; i++) {
			const cr_event_t *ev = &batch[i];

			if (ev->call_id != cr_call_id(call))
				continue;
			if (ev->type == CR_EVENT_GATHERING_DONE)
				done = true;
			if (ev->type != CR_EVENT_LOCAL_CANDIDATE)
				continue;
			if (strstr(ev->text, " typ host"))
				host_cands++;
			if (!strstr(ev->text, " typ relay"))
				continue;
			relay_cands++;
			/* raddr/rport: the address the allocation was made from */
			if (!strstr(ev->text, " raddr 127.0.0.1 rport "))
				TEST_FAIL("relay candidate without rel-addr/rel-port: %s", ev->text);
			if (!strstr(ev->text, relay_prefix))
				TEST_FAIL("relay candidate not from the TURN server's range: %s",
					  ev->text);
		}
	}
	TEST_ASSERT(done);
	TEST_EQUALS(1, host_cands);
	TEST_EQUALS(1, relay_cands);
out:
	if (call)
		cr_call_close(call, "test done");
	cr_relay_destroy(relay);
	turn_stop(&turn, err);
	return err;
}
