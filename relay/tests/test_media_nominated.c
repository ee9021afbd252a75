/**
 * @file test_media_nominated.c  Test 2: media goes on the nominated pair, not the best-priority valid one
 *
 * docs/INTEROP.md#1. The client (controlling, regular nomination) has an IPv4 and
 * an IPv6 host candidate and nominates the pair it ranks best (IPv6). The
 * relay was told a lower priority for the IPv6 candidate, so in its own
 * ranking the IPv4 pair, also valid, is the best: it must still send on the
 * pair the client nominated.
 */
#include <glib.h>

#include "helpers.h"
#include "media_fixture.h"
#include "test.h"

int test_media_nominated_pair(void);

/* "candidate:F C T PRIO ADDR PORT typ ..." with PRIO replaced. */
static void set_priority(const char *in, unsigned prio, char *out, size_t len)
{
	gchar **f = g_strsplit(in, " ", -1);
	gchar *p = g_strdup_printf("%u", prio);

	g_free(f[3]);
	f[3] = p;
	gchar *joined = g_strjoinv(" ", f);

	g_strlcpy(out, joined, len);
	g_free(joined);
	g_strfreev(f);
}

int test_media_nominated_pair(void)
{
	peer_opts_t po = { .controlling = true, .regular_nomination = true, .dtls_active = true,
			   .components = 1, .addresses = "127.0.0.1,::1" };
	fixture_t f;
	cr_event_t ev;
	cr_call_stats_t st;
	char pl[64], pr[64], cand[512];
	const char *trace_needle;
	int err = 0, v6 = -1;

	TEST_ERR(fx_setup(&f, &po));
	for (int i = 0; peer_candidate(f.peer, i); i++)
		if (strstr(peer_candidate(f.peer, i), "::1"))
			v6 = i;
	TEST_ASSERT(v6 >= 0);
	/* The client must know both relay candidates before it nominates:
	 * given one by one, the IPv4 pair could succeed and be nominated
	 * before the IPv6 candidate arrived (a flaky test, not the case here). */
	f.hold_relay_cands = true;
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_wait(&f, CR_EVENT_GATHERING_DONE, 5000, NULL));
	f.hold_relay_cands = false;
	fx_give_relay_cands(&f);
	for (int i = 0; peer_candidate(f.peer, i); i++) {
		if (i == v6)
			set_priority(peer_candidate(f.peer, i), 1000, cand, sizeof(cand));
		else
			g_strlcpy(cand, peer_candidate(f.peer, i), sizeof(cand));
		TEST_ERR(cr_call_add_remote_candidate(f.call, cand));
	}
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 15000, &ev));
	TEST_ERR(fx_wait_connected(&f, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 30, 10000));
	TEST_ERR(peer_selected(f.peer, pl, pr, sizeof(pl)));
	TEST_ASSERT(strstr(pl, "::1") != NULL); /* the client nominated IPv6 */
	/* The relay's selected pair is the client's: remote = the client's
	 * local address, local = the client's remote address. */
	TEST_ASSERT(strstr(ev.text, "remote=host [::1]:") != NULL);
	TEST_ASSERT(strstr(ev.text, strrchr(pl, ':')) != NULL);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(strstr(st.selected_pair, "remote=host [::1]") != NULL);
	/* The IPv4 pair was valid too (both checks succeeded) ... */
	trace_needle = "state SUCCEEDED";
	{
		static char buf[65536];
		int n = 0;

		cr_call_get_trace(f.call, buf, sizeof(buf));
		for (char *p = buf; (p = strstr(p, trace_needle)); p++)
			n++;
		if (n < 2)
			TEST_FAIL("only %d pairs succeeded; the test needs two valid pairs", n);
	}
	/* ... and the media went on the nominated one. */
	TEST_ASSERT(st.client_tx_packets >= 27);
	TEST_ASSERT(fx_trace_has(&f, "remote=host [::1]") && fx_trace_has(&f, "(selected) rx"));
out:
	fx_teardown(&f);
	return err;
}
