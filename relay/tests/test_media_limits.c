/**
 * @file test_media_limits.c  Test 9: 1000 calls return fds and memory to baseline; port exhaustion
 */
#include <stddef.h>
#include <glib.h>
#include <stdio.h>

#include "helpers.h"
#include "test.h"

/* From ASan's allocator (the tests always run under ASan): live heap
 * bytes, not counting the quarantine of freed blocks. */
size_t __sanitizer_get_current_allocated_bytes(void);

int test_media_1000_calls(void);
int test_media_port_exhaustion(void);

static void media_config(cr_relay_config_t *cfg, cr_media_config_t *m, int sip_min, int sip_max)
{
	cr_relay_config_init(cfg);
	cr_media_config_init(m);
	cfg->workers = 2;
	m->ice_addresses = "127.0.0.1";
	m->sip_rtp_address = "127.0.0.1";
	m->sip_port_min = sip_min;
	m->sip_port_max = sip_max;
	cfg->media = m;
}

/* Creates n calls, starts their media (agent, gathering, sockets), closes
 * them all and waits until each is gone. */
static int churn(cr_relay_t *relay, int n, int *candidates)
{
	enum { BATCH = 50 };
	cr_call_t *calls[BATCH];
	cr_media_params_t p;
	int err = 0;

	cr_media_params_init(&p);
	strcpy(p.remote_ufrag, "abcd");
	strcpy(p.remote_pwd, "abcdefghijklmnopqrstuv");
	strcpy(p.sip_remote_addr, "127.0.0.1");
	p.sip_remote_port = 9;
	for (int done = 0; done < n; done += BATCH) {
		for (int i = 0; i < BATCH; i++) {
			TEST_ERR(cr_call_create(relay, &calls[i], NULL));
			TEST_ERR(cr_call_media_start(calls[i], &p, NULL));
			TEST_ERR(cr_call_add_remote_candidate(calls[i],
				"candidate:1 1 UDP 2015363327 127.0.0.1 9 typ host"));
		}
		/* Let every agent gather (its socket open) before closing. */
		for (int want = *candidates + BATCH, left = 20000;
		     *candidates < want && left > 0; left -= 10) {
			cr_event_t ev[64];
			int got = cr_relay_poll_events(relay, ev, 64);

			for (int i = 0; i < got; i++)
				*candidates += ev[i].type == CR_EVENT_LOCAL_CANDIDATE;
			if (!got)
				g_usleep(10000);
		}
		for (int i = 0; i < BATCH; i++)
			cr_call_close(calls[i], NULL);
		/* Every call of the batch, on both workers, is gone. */
		for (int left = 20000; left > 0; left -= 10) {
			cr_relay_stats_t st;
			cr_event_t ev[64];

			int got;

			while ((got = cr_relay_poll_events(relay, ev, 64)) > 0)
				for (int i = 0; i < got; i++)
					*candidates += ev[i].type == CR_EVENT_LOCAL_CANDIDATE;
			cr_relay_get_stats(relay, &st);
			if (st.active_calls == 0)
				break;
			g_usleep(10000);
		}
	}
out:
	return err;
}

int test_media_1000_calls(void)
{
	cr_relay_config_t cfg;
	cr_media_config_t m;
	cr_relay_t *relay = NULL;
	cr_relay_stats_t st;
	int fds_before, fds_after, cands = 0, err = 0;
	size_t mem_before, mem_after;

	media_config(&cfg, &m, 32000, 32999);
	TEST_ERR(cr_relay_create(&cfg, &relay, NULL));
	TEST_ERR(churn(relay, 50, &cands)); /* warm up library caches */
	fds_before = count_open_fds();
	mem_before = __sanitizer_get_current_allocated_bytes();
	cands = 0;
	TEST_ERR(churn(relay, 1000, &cands));
	/* Each call really ran its agent: it gathered its host candidate. */
	TEST_ASSERT(cands >= 1000);
	cr_relay_get_stats(relay, &st);
	TEST_EQUALS(0, st.active_calls);
	TEST_EQUALS(1050, st.calls_closed);
	fds_after = count_open_fds();
	mem_after = __sanitizer_get_current_allocated_bytes();
	TEST_EQUALS(fds_before, fds_after);
	/* Live heap back to baseline, give or take library caches (GLib's
	 * slices, OpenSSL's per-thread state): far below one call per call. */
	if (mem_after > mem_before + 512 * 1024)
		TEST_FAIL("heap grew from %zu to %zu bytes over 1000 calls", mem_before, mem_after);
out:
	cr_relay_destroy(relay);
	return err;
}

int test_media_port_exhaustion(void)
{
	cr_relay_config_t cfg;
	cr_media_config_t m;
	cr_relay_t *relay = NULL;
	cr_call_t *a = NULL, *b = NULL, *c = NULL;
	cr_media_local_t la, lb;
	char msg[CR_MAX_ERROR_LEN];
	uint32_t id;
	int err = 0;

	media_config(&cfg, &m, 32000, 32003); /* two pairs */
	TEST_ERR(cr_relay_create(&cfg, &relay, NULL));
	TEST_ERR(cr_call_create(relay, &a, NULL));
	TEST_ERR(cr_call_create(relay, &b, NULL));
	TEST_EQUALS(CR_ERR_PORTS, cr_call_create(relay, &c, msg));
	TEST_ASSERT(c == NULL);
	TEST_STREQ("no free RTP port pair in 32000..32003", msg);
	TEST_ERR(cr_call_get_media_local(a, &la));
	TEST_ERR(cr_call_get_media_local(b, &lb));
	TEST_ASSERT(la.sip_rtp_port != lb.sip_rtp_port);
	TEST_EQUALS(0, la.sip_rtp_port % 2);
	TEST_EQUALS(la.sip_rtp_port + 1, la.sip_rtcp_port);
	id = cr_call_id(a);
	cr_call_close(a, NULL);
	a = NULL;
	TEST_ERR(wait_event(relay, CR_EVENT_CALL_CLOSED, id, 5000, NULL));
	TEST_ERR(cr_call_create(relay, &c, NULL)); /* the pair is free again */
out:
	cr_call_close(a, NULL);
	cr_call_close(b, NULL);
	cr_call_close(c, NULL);
	cr_relay_destroy(relay);
	return err;
}
