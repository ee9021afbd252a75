/**
 * @file test_media_firefox.c  Test 4: Firefox-like, two components trickled after component 1
 *
 * Firefox gathers for RTP and RTCP and trickles component-2 candidates after
 * component 1's. With rtcp-mux negotiated they must not disturb the session
 * (it completes on component 1); without it, RTCP flows on component 2.
 */
#include <glib.h>

#include "helpers.h"
#include "media_fixture.h"
#include "test.h"

int test_media_firefox_rtcp_mux(void);
int test_media_firefox_no_mux(void);

/* Trickles the peer's candidates of component comp only. */
static int trickle_component(fixture_t *f, int comp)
{
	char prefix[32];

	for (int i = 0; peer_candidate(f->peer, i); i++) {
		const char *c = peer_candidate(f->peer, i);
		int err;

		/* "candidate:FOUNDATION COMPONENT ..." */
		g_snprintf(prefix, sizeof(prefix), " %d ", comp);
		if (strncmp(strchr(c, ' '), prefix, strlen(prefix)) != 0)
			continue;
		err = cr_call_add_remote_candidate(f->call, c);
		if (err)
			return err;
		fx_wait(f, 0, 30, NULL);
	}
	return 0;
}

int test_media_firefox_rtcp_mux(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 2,
			   .rtcp_mux = true };
	fixture_t f;
	cr_event_t ev;
	cr_call_stats_t st;
	int err = 0;

	TEST_ERR(fx_setup(&f, &po));
	f.params.rtcp_mux = 1; /* Firefox agrees to rtcp-mux in the answer */
	TEST_ERR(fx_start(&f));
	TEST_ERR(trickle_component(&f, 1));
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 10000, &ev));
	TEST_EQUALS(1, ev.value);
	TEST_ERR(trickle_component(&f, 2)); /* late RTCP candidates */
	TEST_ERR(cr_call_end_of_candidates(f.call));
	TEST_ERR(fx_wait_connected(&f, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 30, 10000));
	peer_send_rtcp(f.peer); /* muxed RTCP comes back on component 1 */
	TEST_ERR(peer_wait_rtcp(f.peer, 1, 5000));
	TEST_EQUALS(0, peer_rtcp_comp2(f.peer));
	TEST_ASSERT(echo_rtcp_received(f.echo) >= 1);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_EQUALS(CR_ICE_READY, st.ice_state);
	TEST_ASSERT(fx_trace_has(&f, "remote candidate ignored (rtcp-mux, comp 2)"));
	TEST_ASSERT(!fx_trace_has(&f, "comp 2 state"));
out:
	fx_teardown(&f);
	return err;
}

int test_media_firefox_no_mux(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 2 };
	fixture_t f;
	int err = 0;

	TEST_ERR(fx_setup(&f, &po));
	TEST_EQUALS(0, f.params.rtcp_mux);
	TEST_ERR(fx_start(&f));
	TEST_ERR(trickle_component(&f, 1));
	TEST_ERR(trickle_component(&f, 2));
	TEST_ERR(cr_call_end_of_candidates(f.call));
	TEST_ERR(fx_wait_connected(&f, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 30, 10000));
	/* Wait for component 2 to be selected too, then RTCP round trip. */
	FX_PUMP_UNTIL(&f, fx_trace_has(&f, "comp 2 selected pair"), 5000);
	TEST_ASSERT(fx_trace_has(&f, "comp 2 selected pair"));
	for (int i = 0; i < 3; i++)
		peer_send_rtcp(f.peer);
	TEST_ERR(peer_wait_rtcp(f.peer, 2, 5000));
	TEST_ASSERT(peer_rtcp_comp2(f.peer) >= 2); /* on component 2 */
	TEST_ASSERT(echo_rtcp_received(f.echo) >= 2); /* through the trunk's RTCP port */
out:
	fx_teardown(&f);
	return err;
}
