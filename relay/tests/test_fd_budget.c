/**
 * @file test_fd_budget.c  Descriptors: the derived call limit, and running out of them
 *
 * max_calls -1 raises the soft RLIMIT_NOFILE to the hard limit and derives
 * the limit from fds_per_call, which must cover what a real call holds
 * (measured here with two ICE components, the most a call uses). Running
 * out anyway is an error with a clear message, counted and reported as an
 * event; the relay works again once descriptors are back.
 */
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "helpers.h"
#include "test.h"

int test_fd_budget_per_call(void);
int test_fd_exhaustion_reported(void);

static void media_config(cr_relay_config_t *cfg, cr_media_config_t *m)
{
	cr_relay_config_init(cfg);
	cr_media_config_init(m);
	cfg->workers = 2;
	cfg->max_calls = -1;
	m->ice_addresses = "127.0.0.1";
	m->sip_rtp_address = "127.0.0.1";
	m->sip_port_min = 33000;
	m->sip_port_max = 33999;
	cfg->media = m;
}

/* Starts n calls without rtcp-mux and waits for both components of each
 * to gather (their sockets open). */
static int start_calls(cr_relay_t *relay, cr_call_t **calls, int n)
{
	cr_media_params_t p;
	int err = 0, cands = 0;

	cr_media_params_init(&p);
	p.rtcp_mux = 0;
	strcpy(p.remote_ufrag, "abcd");
	strcpy(p.remote_pwd, "abcdefghijklmnopqrstuv");
	strcpy(p.sip_remote_addr, "127.0.0.1");
	p.sip_remote_port = 9;
	for (int i = 0; i < n; i++) {
		TEST_ERR(cr_call_create(relay, &calls[i], NULL));
		TEST_ERR(cr_call_media_start(calls[i], &p, NULL));
	}
	for (int left = 10000; cands < 2 * n && left > 0; left -= 10) {
		cr_event_t ev[64];
		int got = cr_relay_poll_events(relay, ev, 64);

		for (int i = 0; i < got; i++)
			cands += ev[i].type == CR_EVENT_LOCAL_CANDIDATE;
		if (!got)
			g_usleep(10000);
	}
	TEST_EQUALS(2 * n, cands);
out:
	return err;
}

int test_fd_budget_per_call(void)
{
	enum { N = 10 };
	cr_relay_config_t cfg;
	cr_media_config_t m;
	cr_relay_t *relay = NULL;
	cr_relay_stats_t st;
	cr_call_t *warm = NULL, *calls[N] = { 0 };
	struct rlimit rl;
	int before, used, err = 0;

	media_config(&cfg, &m);
	TEST_ERR(cr_relay_create(&cfg, &relay, NULL));
	cr_relay_get_stats(relay, &st);
	TEST_ERR(getrlimit(RLIMIT_NOFILE, &rl));
	TEST_EQUALS((uint64_t)rl.rlim_max, st.fd_limit); /* raised to the hard limit */
	TEST_EQUALS((uint64_t)rl.rlim_cur, st.fd_limit);
	TEST_ASSERT(st.fd_limit_was <= st.fd_limit);
	TEST_ASSERT(st.fds_at_start > 0);
	TEST_EQUALS(2u + 2u * 1u + 2u + 2u, st.fds_per_call); /* one ICE address */
	{
		uint64_t expect = (st.fd_limit - st.fds_at_start) / 2 / st.fds_per_call;

		if (expect > 500) /* the port range 33000..33999: 500 pairs */
			expect = 500;
		TEST_EQUALS(expect ? expect : 1, (uint64_t)st.max_calls);
	}
	/* One call first: libraries open what they keep for the process. */
	TEST_ERR(start_calls(relay, &warm, 1));
	before = count_open_fds();
	TEST_ERR(start_calls(relay, calls, N));
	used = count_open_fds() - before;
	fprintf(stderr, "  %d calls hold %d descriptors (fds_per_call %u)\n", N, used,
		st.fds_per_call);
	TEST_ASSERT(used > 0);
	TEST_ASSERT(used <= N * (int)st.fds_per_call);
out:
	for (int i = 0; i < N; i++)
		cr_call_close(calls[i], NULL);
	cr_call_close(warm, NULL);
	cr_relay_destroy(relay);
	return err;
}

int test_fd_exhaustion_reported(void)
{
	enum { MAX_TRIES = 64 };
	cr_relay_config_t cfg;
	cr_media_config_t m;
	cr_relay_t *relay = NULL;
	cr_relay_stats_t st;
	cr_call_t *calls[MAX_TRIES] = { 0 }, *after = NULL;
	cr_event_t ev;
	struct rlimit saved, low;
	char msg[CR_MAX_ERROR_LEN] = "";
	int n = 0, rc = 0, err = 0;
	bool lowered = false;

	media_config(&cfg, &m);
	cfg.max_calls = 0;
	TEST_ERR(cr_relay_create(&cfg, &relay, NULL));
	TEST_ERR(getrlimit(RLIMIT_NOFILE, &saved));
	low = saved;
	low.rlim_cur = (rlim_t)count_open_fds() + 16; /* a few calls' worth */
	TEST_ERR(setrlimit(RLIMIT_NOFILE, &low));
	lowered = true;
	while (n < MAX_TRIES && (rc = cr_call_create(relay, &calls[n], msg)) == CR_OK)
		n++;
	TEST_ERR(setrlimit(RLIMIT_NOFILE, &saved));
	lowered = false;
	TEST_ASSERT(n > 0 && n < MAX_TRIES);
	TEST_EQUALS(CR_ERR_INTERNAL, rc);
	TEST_ASSERT(strstr(msg, "no descriptor left") != NULL);
	TEST_ASSERT(strstr(msg, "Too many open files") != NULL);
	cr_relay_get_stats(relay, &st);
	TEST_EQUALS(1, st.fd_exhausted);
	TEST_ERR(wait_event(relay, CR_EVENT_ERROR, 0, 2000, &ev));
	TEST_ASSERT(strstr(ev.text, "out of file descriptors (EMFILE") != NULL);
	/* Descriptors back: calls work again. */
	TEST_ERR(cr_call_create(relay, &after, NULL));
out:
	if (lowered)
		setrlimit(RLIMIT_NOFILE, &saved);
	for (int i = 0; i < n; i++)
		cr_call_close(calls[i], NULL);
	cr_call_close(after, NULL);
	cr_relay_destroy(relay);
	return err;
}
