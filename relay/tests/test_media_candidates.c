/**
 * @file test_media_candidates.c  Remote candidates that break agents are dropped before libnice (docs/INTEROP.md#8)
 *
 * Among the client's real candidates come an mDNS one (a browser hiding its
 * host address as UUID.local) and a priority-0 one. Both are dropped with a
 * trace line (the assertions that fail without the filter) and never used:
 * the priority-0 candidate names a UDP socket of the test, which must
 * receive nothing. (libnice 0.1.21 turned out not to check a priority-0
 * candidate here either; the filter is for agents that choke on them.)
 * The call completes on the real candidates.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media_fixture.h"
#include "test.h"

int test_media_candidate_filter(void);

int test_media_candidate_filter(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1" };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	fixture_t f;
	char cand[256], buf[1500];
	int err = 0, trap = -1, trapped = 0;

	memset(&f, 0, sizeof(f));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	trap = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	TEST_ASSERT(trap >= 0);
	TEST_ERR(bind(trap, (struct sockaddr *)&sa, sizeof(sa)));
	TEST_ERR(getsockname(trap, (struct sockaddr *)&sa, &sl));
	TEST_ERR(fx_setup(&f, &po));
	/* Before the session exists (queued) and after: both paths filter. */
	TEST_ERR(cr_call_add_remote_candidate(
		f.call, "candidate:9 1 udp 2122260223 4f3b1c7e-2a6d-4c1e-9b0a-6d5e3f2a1b0c.local 54321 typ host"));
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_wait(&f, CR_EVENT_GATHERING_DONE, 5000, NULL));
	g_snprintf(cand, sizeof(cand), "candidate:8 1 udp 0 127.0.0.1 %d typ host", ntohs(sa.sin_port));
	TEST_ERR(cr_call_add_remote_candidate(f.call, cand));
	TEST_ERR(cr_call_add_remote_candidate(
		f.call, "a=candidate:7 1 UDP 1686052607 a1b2c3d4.local 60000 typ srflx raddr 0.0.0.0 rport 0"));
	/* Alone for a while: had it reached libnice, its checks would go there. */
	fx_wait(&f, 0, 500, NULL);
	TEST_ERR(fx_trickle_peer(&f, 0, 50));
	TEST_ERR(cr_call_end_of_candidates(f.call));
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 10000, NULL));
	TEST_ERR(fx_wait_connected(&f, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 25, 10000));
	while (recv(trap, buf, sizeof(buf), 0) > 0)
		trapped++;
	TEST_EQUALS(0, trapped);
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (priority 0)"));
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (mDNS address): 9 1 udp"));
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (mDNS address): 7 1 UDP"));
	TEST_EQUALS(0, f.seen[CR_EVENT_MEDIA_ERROR]); /* dropped, not an error */
out:
	fx_teardown(&f);
	if (trap >= 0)
		close(trap);
	return err;
}
