/**
 * @file test_media_candidate_bounds.c  Remote candidates no ICE check may go to, and too many of them
 *
 * Before the client's real candidates come broadcast, multicast,
 * unspecified, reserved and port-0 ones (IPv4, IPv6 and v4-mapped); after
 * them, more candidates than CR_MAX_REMOTE_CANDIDATES allows. Each refused
 * one leaves a trace line and counts in candidates_dropped; the call then
 * completes with audio both ways on the real candidates.
 */
#include <glib.h>

#include "media_fixture.h"
#include "test.h"

int test_media_candidate_bounds(void);

static const char *const unusable[] = {
	"candidate:1 1 udp 2122260223 255.255.255.255 40000 typ host",
	"candidate:2 1 udp 2122260223 224.0.0.1 40000 typ host",
	"candidate:3 1 udp 2122260223 0.0.0.0 40000 typ host",
	"candidate:4 1 udp 2122260223 :: 40000 typ host",
	"candidate:5 1 udp 2122260223 ff02::1 40000 typ host",
	"candidate:6 1 udp 2122260223 ::ffff:255.255.255.255 40000 typ host",
	"candidate:7 1 udp 2122260223 240.0.0.9 40000 typ host",
	"candidate:8 1 udp 2122260223 127.0.0.1 0 typ host",
	"candidate:9 1 udp 2122260223 127.0.0.1 70000 typ host",
};

int test_media_candidate_bounds(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1" };
	cr_call_stats_t st;
	fixture_t f;
	char cand[256];
	int err = 0, n_peer = 0, n_unusable = (int)G_N_ELEMENTS(unusable), extra;

	memset(&f, 0, sizeof(f));
	TEST_ERR(fx_setup(&f, &po));
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_wait(&f, CR_EVENT_GATHERING_DONE, 5000, NULL));
	for (int i = 0; i < n_unusable; i++)
		TEST_ERR(cr_call_add_remote_candidate(f.call, unusable[i]));
	TEST_ERR(fx_trickle_peer(&f, 0, 20));
	while (peer_candidate(f.peer, n_peer))
		n_peer++;
	TEST_ASSERT(n_peer > 0 && n_peer < CR_MAX_REMOTE_CANDIDATES);
	/* Fill the budget, then go 5 past it: closed loopback ports. */
	extra = CR_MAX_REMOTE_CANDIDATES - n_peer + 5;
	for (int i = 0; i < extra; i++) {
		g_snprintf(cand, sizeof(cand), "candidate:%d 1 udp 1000 127.0.0.3 %d typ host",
			   100 + i, 1000 + i);
		TEST_ERR(cr_call_add_remote_candidate(f.call, cand));
	}
	TEST_ERR(cr_call_end_of_candidates(f.call));
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 10000, NULL));
	TEST_ERR(fx_wait_connected(&f, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 25, 10000));
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_EQUALS((uint64_t)(n_unusable + 5), st.candidates_dropped);
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (broadcast or reserved address): 1 1"));
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (multicast address): 2 1"));
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (unspecified address): 3 1"));
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (unspecified address): 4 1"));
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (multicast address): 5 1"));
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (broadcast or reserved address): 6 1"));
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (broadcast or reserved address): 7 1"));
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (port 0 or out of range): 8 1"));
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (port 0 or out of range): 9 1"));
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (over the limit of remote "
				 "candidates per ICE session)"));
	TEST_EQUALS(0, f.seen[CR_EVENT_MEDIA_ERROR]); /* dropped, not an error */
out:
	fx_teardown(&f);
	return err;
}
