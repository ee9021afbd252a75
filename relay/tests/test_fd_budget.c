/**
 * @file test_fd_budget.c  Descriptors: the derived call limit, and running out of them
 *
 * max_calls -1 raises the soft RLIMIT_NOFILE to the hard limit and derives
 * the limit from fds_per_call, which must cover what a real call holds
 * (measured here with two ICE components, the most a call uses). Running
 * out anyway is an error with a clear message, counted and reported as an
 * event; the relay works again once descriptors are back. The same holds
 * inside Sofia-SIP's transports: a SIP TCP connection Sofia cannot accept()
 * is counted and reported (rate-limited), and served once descriptors are
 * back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_fd_budget_per_call(void);
int test_fd_exhaustion_reported(void);
int test_fd_exhaustion_sip_tcp(void);

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

static int tcp_connect(int fd, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa));
}

static int send_options(int fd, int port, const char *tag)
{
	char msg[512];
	int len = snprintf(msg, sizeof(msg),
			   "OPTIONS sip:ping@127.0.0.1:%d;transport=tcp SIP/2.0\r\n"
			   "Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-fd-%s\r\n"
			   "From: <sip:probe@127.0.0.1>;tag=%s\r\nTo: <sip:ping@127.0.0.1>\r\n"
			   "Call-ID: fd-%s@127.0.0.1\r\nCSeq: 1 OPTIONS\r\n"
			   "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
			   port, tag, tag, tag);

	return send(fd, msg, (size_t)len, MSG_NOSIGNAL) == len ? 0 : -1;
}

/* The first response line on fd within timeout_ms into line ("" if none). */
static void read_status(int fd, int timeout_ms, char *line, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[2048];
	ssize_t n;

	line[0] = '\0';
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	snprintf(line, len, "%.*s", (int)strcspn(buf, "\r\n"), buf);
}

/* A SIP TCP connection arrives while the process has no descriptor left:
 * Sofia's accept() fails (and, the listening socket staying readable,
 * keeps failing). Each failure is counted, an error event reports it at
 * most once a second, and once descriptors are back the waiting connection
 * and new ones are served. */
int test_fd_exhaustion_sip_tcp(void)
{
	enum { MAX_FILL = 256, HOLD_MS = 1300 };
	sip_test_t t;
	cr_relay_stats_t st;
	struct rlimit saved, low;
	int fill[MAX_FILL], n_fill = 0, client = -1, before = -1, fresh = -1, reports = 0, fd;
	int err = 0;
	char line[256], report[CR_MAX_ERROR_LEN] = "";
	bool lowered = false;
	gint64 until;

	TEST_ERR(sip_test_setup(&t, "tcp", NULL));
	/* Served before. The connection stays open: Sofia closing its end
	 * would free a descriptor while we hold none. */
	before = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	TEST_ERR(tcp_connect(before, t.sip_port));
	TEST_ERR(send_options(before, t.sip_port, "before"));
	read_status(before, 3000, line, sizeof(line));
	TEST_STREQ("SIP/2.0 200 OK", line);

	/* No descriptor left: the client's socket exists already, the
	 * connection itself needs none until the relay accepts it. */
	client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	TEST_ASSERT(client >= 0);
	TEST_ERR(getrlimit(RLIMIT_NOFILE, &saved));
	low = saved;
	low.rlim_cur = (rlim_t)count_open_fds() + 8;
	TEST_ERR(setrlimit(RLIMIT_NOFILE, &low));
	lowered = true;
	while (n_fill < MAX_FILL && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		fill[n_fill++] = fd;
	TEST_EQUALS(EMFILE, errno);
	TEST_ERR(tcp_connect(client, t.sip_port));
	TEST_ERR(send_options(client, t.sip_port, "during"));

	until = g_get_monotonic_time() + 3000 * 1000;
	do {
		cr_relay_get_stats(t.relay, &st);
		if (!st.fd_exhausted)
			g_usleep(10000);
	} while (!st.fd_exhausted && g_get_monotonic_time() < until);
	TEST_ASSERT(st.fd_exhausted >= 1);
	/* Stay out of descriptors a while: reports come at most once a second. */
	until = g_get_monotonic_time() + HOLD_MS * 1000;
	while (g_get_monotonic_time() < until) {
		cr_event_t ev[16];
		int got = cr_relay_poll_events(t.relay, ev, 16);

		for (int i = 0; i < got; i++)
			if (ev[i].type == CR_EVENT_ERROR && strstr(ev[i].text, "SIP transport")) {
				reports++;
				g_strlcpy(report, ev[i].text, sizeof(report));
			}
		if (!got)
			g_usleep(10000);
	}
	cr_relay_get_stats(t.relay, &st);
	read_status(client, 0, line, sizeof(line));
	TEST_STREQ("", line); /* not accepted: no answer yet */

	for (int i = 0; i < n_fill; i++)
		close(fill[i]);
	n_fill = 0;
	TEST_ERR(setrlimit(RLIMIT_NOFILE, &saved));
	lowered = false;
	fprintf(stderr, "  %llu failed accepts in %d ms, %d report%s: %s\n",
		(unsigned long long)st.fd_exhausted, HOLD_MS, reports, reports == 1 ? "" : "s",
		report);
	TEST_ASSERT(reports >= 1 && reports <= 2);
	/* Sofia's retries are paced (10 ms), not a spinning core (~65,000/s). */
	TEST_ASSERT(st.fd_exhausted < 1000);
	TEST_ASSERT(strstr(report, "out of file descriptors (EMFILE") != NULL);
	TEST_ASSERT(strstr(report, "Too many open files") != NULL);

	/* Descriptors back: the waiting connection is served, and new ones. */
	read_status(client, 3000, line, sizeof(line));
	TEST_STREQ("SIP/2.0 200 OK", line);
	fresh = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	TEST_ERR(tcp_connect(fresh, t.sip_port));
	TEST_ERR(send_options(fresh, t.sip_port, "after"));
	read_status(fresh, 3000, line, sizeof(line));
	TEST_STREQ("SIP/2.0 200 OK", line);
out:
	for (int i = 0; i < n_fill; i++)
		close(fill[i]);
	if (lowered)
		setrlimit(RLIMIT_NOFILE, &saved);
	if (client >= 0)
		close(client);
	if (before >= 0)
		close(before);
	if (fresh >= 0)
		close(fresh);
	sip_test_teardown(&t);
	return err;
}
