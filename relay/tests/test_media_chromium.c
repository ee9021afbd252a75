/**
 * @file test_media_chromium.c  Test 1: a Chromium-like client, trickled candidates, audio both ways
 *
 * The client is controlling and the DTLS client (it offered actpass, we
 * answered passive), its candidates come one transport-info at a time, the
 * first before the relay's session exists (docs/INTEROP.md#3 and #8), the rest after the
 * answer; candidates on IPv4 and IPv6. Audio sent by the client must come
 * back to it through the relay and the SIP echo, counted both ways, with
 * the payload types mapped per leg (docs/INTEROP.md#14).
 */
#include "helpers.h"
#include "media_fixture.h"
#include "test.h"

int test_media_chromium_trickle(void);

int test_media_chromium_trickle(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1,::1" };
	fixture_t f;
	cr_call_stats_t st;
	cr_event_t ev;
	int err = 0;

	TEST_ERR(fx_setup(&f, &po));
	/* One candidate before the session exists. */
	TEST_ERR(cr_call_add_remote_candidate(f.call, peer_candidate(f.peer, 0)));
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_wait(&f, CR_EVENT_GATHERING_DONE, 5000, NULL));
	TEST_ASSERT(f.n_relay_cands >= 2); /* IPv4 and IPv6 host candidates */
	/* The rest after the answer, one by one. */
	TEST_ERR(fx_trickle_peer(&f, 1, 100));
	TEST_ERR(cr_call_end_of_candidates(f.call));
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 10000, &ev));
	TEST_ERR(fx_wait_connected(&f, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 50, 10000));
	TEST_EQUALS(96, echo_last_pt(f.echo)); /* the SIP leg saw its own number */
	TEST_EQUALS(0, peer_bad_pt_received(f.peer)); /* the client saw its own number */
	TEST_ERR(fx_wait(&f, CR_EVENT_FIRST_MEDIA, 1000, &ev));
	TEST_ERR(fx_wait(&f, CR_EVENT_FIRST_MEDIA, 1000, &ev));
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(st.client_rx_packets >= 45);
	TEST_ASSERT(st.sip_tx_packets >= 45);
	TEST_ASSERT(st.sip_rx_packets >= 45);
	TEST_ASSERT(st.client_tx_packets >= 45);
	TEST_EQUALS(0, st.srtp_auth_failed);
	TEST_EQUALS(CR_ICE_READY, st.ice_state);
	TEST_ASSERT(fx_trace_has(&f, "selected pair"));
	TEST_ASSERT(fx_trace_has(&f, "remote candidate comp 1"));
	TEST_ASSERT(fx_trace_has(&f, "dtls connected role=server"));
	TEST_ASSERT(fx_trace_has(&f, "(selected) rx"));
out:
	fx_teardown(&f);
	return err;
}
