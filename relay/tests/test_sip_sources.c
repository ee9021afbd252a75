/**
 * @file test_sip_sources.c  Who may send SIP: the kernel filter, 403 to strangers, INVITEs per second
 *
 * The trunk (sipp on 127.0.0.1) is the only trusted source by default; a
 * stranger is sipp bound to 127.0.0.2 (all of 127.0.0.0/8 is loopback).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "helpers.h"
#include "relay_internal.h"
#include "sip/sip.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_stranger_filtered(void);
int test_sip_stranger_forbidden(void);
int test_sip_invite_rate(void);
int test_sip_sources_config(void);
int test_sip_ipv6_sources(void);

int sip_test_take_inbound(sip_test_t *t, cr_event_t *ev);

/* sipp as a stranger on 127.0.0.2 running uac_403.xml (expects a 403). */
static int stranger_invite(sipp_run_t *run, const char *target, const char *timeout)
{
	char port[16];
	const char *args[] = { target, "-i", "127.0.0.2", "-p", port, "-m", "1",
			       "-timeout", timeout, "-timeout_error", "-s", "15550001111",
			       "-t", "u1", NULL };

	snprintf(port, sizeof(port), "%d", free_port(false, false));
	return sipp_start(run, "uac_403.xml", args);
}

/* A TCP connection from 127.0.0.2 to the SIP port: 1 when it was accepted
 * within timeout_ms, 0 when not. */
static int stranger_tcp_connects(int sip_port, int timeout_ms)
{
	struct sockaddr_in from = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
	struct pollfd pfd;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), so_err = 0, ok = 0;
	socklen_t len = sizeof(so_err);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, "127.0.0.2", &from.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	to.sin_port = htons((uint16_t)sip_port);
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) == 0 &&
	    (connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0 || errno == EINPROGRESS)) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len) == 0 && so_err == 0)
			ok = 1;
	}
	close(fd);
	return ok;
}

/* Listens on UDP and TCP (no transport parameter). */
static void both_transports(cr_sip_config_t *sip, cr_relay_config_t *cfg)
{
	static char listen[128];
	char *param;

	(void)cfg;
	g_strlcpy(listen, sip->listen_uri, sizeof(listen));
	param = strchr(listen, ';');
	if (param)
		*param = '\0';
	sip->listen_uri = listen;
}

/* Default: the trunk's address only, kernel filter on. The stranger's
 * INVITE (UDP) and TCP connection never reach Sofia; the trunk's call
 * still works with audio both ways. */
int test_sip_stranger_filtered(void)
{
	sip_test_t t;
	sipp_run_t stranger = { .pid = -1 };
	cr_sip_stats_t st;
	cr_event_t ev;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, both_transports));
	cr_relay_get_sip_stats(t.relay, &st);
	TEST_STREQ("127.0.0.1/32", st.trusted_sources);
	TEST_ASSERT(st.filtered_sockets >= 2); /* UDP and the TCP listener */
	TEST_ERR(stranger_invite(&stranger, t.sip_target, "3s"));
	TEST_ASSERT(sipp_wait(&stranger, 10000) == 0);
	TEST_ASSERT(stranger.exit_status != 0); /* no answer at all */
	TEST_ASSERT(!sipp_saw(&stranger, "SIP/2.0 403"));
	TEST_ASSERT(!sipp_saw(&stranger, "SIP/2.0 100"));
	TEST_EQUALS(0, stranger_tcp_connects(t.sip_port, 1000));
	cr_relay_get_sip_stats(t.relay, &st);
	TEST_EQUALS(0, st.invites_received);
	TEST_EQUALS(0, st.requests_untrusted);
	TEST_ASSERT(st.filter_drops >= 2); /* the INVITE and its retransmissions, the SYN */
	TEST_ASSERT(wait_event(t.relay, CR_EVENT_SIP_INCOMING, 0, 200, &ev) != 0);
	/* The trunk itself, over UDP (its TCP is the same filter). */
	TEST_ERR(sip_test_uac(&t, "uac_call.xml", "15550001111", NULL));
	TEST_ERR(sip_test_take_inbound(&t, &ev));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(sip_test_rtp_echo(&t, &ev));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_HANGUP, t.id, 15000, &ev));
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	sipp_kill(&stranger);
	if (stranger.dir[0])
		remove_dir(stranger.dir);
	sip_test_teardown(&t);
	return err;
}

static void no_filter(cr_sip_config_t *sip, cr_relay_config_t *cfg)
{
	(void)cfg;
	sip->source_filter = -1;
	sip->trusted_sources = "127.0.0.1, ::1/128";
}

/* Without the kernel filter (a firewall's job then), a stranger's INVITE
 * gets 403, is counted and rings nobody. */
int test_sip_stranger_forbidden(void)
{
	sip_test_t t;
	sipp_run_t stranger = { .pid = -1 };
	cr_sip_stats_t st;
	cr_event_t ev;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, no_filter));
	cr_relay_get_sip_stats(t.relay, &st);
	TEST_EQUALS(0, st.filtered_sockets);
	TEST_STREQ("127.0.0.1/32,::1/128", st.trusted_sources);
	TEST_ERR(stranger_invite(&stranger, t.sip_target, "10s"));
	TEST_ASSERT(sipp_wait(&stranger, 15000) == 0);
	if (stranger.exit_status != 0)
		sipp_dump(&stranger);
	TEST_EQUALS(0, stranger.exit_status);
	TEST_EQUALS(1, stranger.successful_calls);
	cr_relay_get_sip_stats(t.relay, &st);
	TEST_EQUALS(1, st.requests_untrusted);
	TEST_EQUALS(0, st.invites_received);
	TEST_ASSERT(wait_event(t.relay, CR_EVENT_SIP_INCOMING, 0, 300, &ev) != 0);
out:
	sipp_kill(&stranger);
	if (stranger.dir[0])
		remove_dir(stranger.dir);
	sip_test_teardown(&t);
	return err;
}

static void one_a_second(cr_sip_config_t *sip, cr_relay_config_t *cfg)
{
	(void)cfg;
	sip->invite_rate = 1; /* bursts of 2 */
}

/* sipp sends n INVITEs from the trunk (uac_503.xml: each must get 503);
 * those that become calls are rejected here by the "plugin" with 503.
 * Returns how many became calls, or -1. */
static int invites_from_trunk(sip_test_t *t, int n)
{
	char m[16];
	const char *args[] = { t->sip_target, "-i", "127.0.0.1", "-p", t->trunk_port_s,
			       "-m", m, "-r", "100", "-timeout", "20s", "-timeout_error",
			       "-s", "15550001111", "-t", "u1", NULL };
	cr_sip_stats_t st;
	cr_event_t ev;
	cr_call_t *call;
	uint64_t refused;
	int incoming = 0;

	snprintf(m, sizeof(m), "%d", n);
	remove_dir(t->sipp.dir); /* an earlier run's, if any */
	cr_relay_get_sip_stats(t->relay, &st);
	refused = st.invites_rejected_rate;
	if (sipp_start(&t->sipp, "uac_503.xml", args))
		return -1;
	/* Until each of the n became a call or was refused (counted as its
	 * 503 goes out). */
	for (gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	     g_get_monotonic_time() < end;) {
		cr_relay_get_sip_stats(t->relay, &st);
		if (incoming + (int)(st.invites_rejected_rate - refused) >= n)
			break;
		if (wait_event(t->relay, CR_EVENT_SIP_INCOMING, 0, 50, &ev) != 0)
			continue;
		incoming++;
		if (cr_call_adopt(t->relay, ev.call_id, &call) || cr_sip_reject(call, 503))
			return -1;
		cr_call_close(call, "test");
	}
	if (sip_test_sipp_done(t, n, 15000))
		return -1;
	/* No call after (sipp is done: all it sent was answered). */
	while (wait_event(t->relay, CR_EVENT_SIP_INCOMING, 0, 100, &ev) == 0)
		incoming++;
	return incoming;
}

/* Six INVITEs at once from the trunk: two become calls, four get 503 from
 * the rate limit before any call exists. A second later, two more: one
 * call, one 503. "At once" and "a second later" on the limiter's clock,
 * which the test holds: on the monotonic clock, a loaded machine that
 * stalls sipp or the SIP thread for a second amid the six would earn the
 * source a third call without any bug. */
int test_sip_invite_rate(void)
{
	sip_test_t t;
	cr_sip_stats_t st;
	cr_relay_stats_t rs;
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, one_a_second));
	atomic_store(&t.relay->sip->rate_clock_us, g_get_monotonic_time());
	TEST_EQUALS(2, invites_from_trunk(&t, 6));
	cr_relay_get_sip_stats(t.relay, &st);
	TEST_EQUALS(4, st.invites_rejected_rate);
	TEST_EQUALS(6, st.invites_received);
	cr_relay_get_stats(t.relay, &rs);
	TEST_EQUALS(2, rs.calls_created); /* the refused ones cost no call */
	atomic_fetch_add(&t.relay->sip->rate_clock_us, G_USEC_PER_SEC);
	TEST_EQUALS(1, invites_from_trunk(&t, 2));
	cr_relay_get_sip_stats(t.relay, &st);
	TEST_EQUALS(5, st.invites_rejected_rate);
	TEST_EQUALS(8, st.invites_received);
	cr_relay_get_stats(t.relay, &rs);
	TEST_EQUALS(3, rs.calls_created);
out:
	sip_test_teardown(&t);
	return err;
}

static const char *bad_sources;

static void bad(cr_sip_config_t *sip, cr_relay_config_t *cfg)
{
	(void)cfg;
	sip->trusted_sources = bad_sources;
}

/* A bad list fails relay creation with a message naming the entry. */
int test_sip_sources_config(void)
{
	static const char *const cases[] = { "10.0.0.0/33", "example.net", "", "::1/129",
					     "1.2.3.4/x" };
	cr_relay_t *relay = NULL;
	int err = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bad_sources = cases[i];
		TEST_ASSERT(sip_relay_create(free_port(true, false), free_port(true, false), "udp",
					     bad, &relay) != 0);
		TEST_ASSERT(relay == NULL);
	}
out:
	cr_relay_destroy(relay);
	return err;
}

static char v6_listen[64], v6_trunk[64];
static const char *v6_sources;

static void ipv6(cr_sip_config_t *sip, cr_relay_config_t *cfg)
{
	(void)cfg;
	sip->listen_uri = v6_listen;
	sip->trunk_uri = v6_trunk;
	sip->trusted_sources = v6_sources;
}

/* The filter's IPv6 half: sipp on ::1 is a stranger to a list of other
 * networks (dropped unread) and trusted by one naming ::1 (its INVITE
 * arrives and is answered 403 by the "plugin"). */
int test_sip_ipv6_sources(void)
{
	cr_relay_t *relay = NULL;
	sipp_run_t run = { .pid = -1 };
	cr_sip_stats_t st;
	cr_event_t ev;
	cr_call_t *call = NULL;
	char target[64], port[16];
	const char *args[] = { target, "-i", "::1", "-p", port, "-m", "1", "-timeout", "4s",
			       "-timeout_error", "-s", "15550001111", "-t", "u1", NULL };
	int sip_port, err = 0;

	for (int trusted = 0; trusted < 2; trusted++) {
		sip_port = free_port(true, false);
		snprintf(v6_listen, sizeof(v6_listen), "sip:[::1]:%d;transport=udp", sip_port);
		snprintf(v6_trunk, sizeof(v6_trunk), "sip:[::1]:%d;transport=udp",
			 free_port(true, false));
		snprintf(target, sizeof(target), "[::1]:%d", sip_port);
		snprintf(port, sizeof(port), "%d", free_port(false, false));
		v6_sources = trusted ? "2001:db8::/32, ::1" : "2001:db8::/32, ::2/127, 127.0.0.1";
		TEST_ERR(sip_relay_create(sip_port, 0, "udp", ipv6, &relay));
		cr_relay_get_sip_stats(relay, &st);
		TEST_EQUALS(1, st.filtered_sockets);
		TEST_ERR(sipp_start(&run, "uac_403.xml", args));
		if (trusted) {
			TEST_ERR(wait_event(relay, CR_EVENT_SIP_INCOMING, 0, 5000, &ev));
			TEST_ERR(cr_call_adopt(relay, ev.call_id, &call));
			TEST_ERR(cr_sip_reject(call, 403));
		}
		TEST_ASSERT(sipp_wait(&run, 15000) == 0);
		cr_relay_get_sip_stats(relay, &st);
		if (trusted) {
			TEST_EQUALS(0, run.exit_status); /* its 403 came from the plugin's reject */
			TEST_EQUALS(1, st.invites_received);
		} else {
			TEST_ASSERT(run.exit_status != 0);
			TEST_EQUALS(0, st.invites_received);
			TEST_ASSERT(st.filter_drops >= 1);
		}
		cr_call_close(call, NULL);
		call = NULL;
		cr_relay_destroy(relay);
		relay = NULL;
		remove_dir(run.dir);
		run.dir[0] = '\0';
	}
out:
	sipp_kill(&run);
	if (run.dir[0])
		remove_dir(run.dir);
	cr_call_close(call, NULL);
	cr_relay_destroy(relay);
	return err;
}
