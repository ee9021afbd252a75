/**
 * @file test_media_late_sip_remote.c  Client media before the trunk's address: no false first-media event
 *
 * Outbound calls learn the trunk's RTP address from its answer, which can
 * come after the client leg is up (and a plugin may forget to pass it on).
 * Until cr_call_set_sip_remote() nothing reaches the trunk, so the relay
 * must not claim it did: no CR_EVENT_FIRST_MEDIA client->sip, no sip_tx
 * counted, one trace line with the count. Once the address is set, media
 * flows and the event comes.
 */
#include "helpers.h"
#include "media_fixture.h"
#include "test.h"

int test_media_late_sip_remote(void);

int test_media_late_sip_remote(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = false, .components = 1,
			   .addresses = "127.0.0.1" };
	fixture_t f;
	cr_call_stats_t st;
	int err = 0;

	TEST_ERR(fx_setup(&f, &po));
	/* The trunk has not answered yet: no SIP-side address in the params. */
	f.params.sip_remote_addr[0] = '\0';
	f.params.sip_remote_port = 0;
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_trickle_peer(&f, 0, 0));
	TEST_ERR(fx_wait_connected(&f, 10000));

	peer_send_audio(f.peer, 10, 20);
	fx_wait(&f, 0, 600, NULL);
	FX_STATS_UNTIL(&f, st, st.client_rx_packets >= 5, 3000);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	if (st.client_rx_packets < 5)
		TEST_FAIL("only %llu client packets arrived", (unsigned long long)st.client_rx_packets);
	TEST_EQUALS(0, (int)st.sip_tx_packets);
	TEST_EQUALS(0, echo_rtp_received(f.echo));
	if (f.seen[CR_EVENT_FIRST_MEDIA])
		TEST_FAIL("first media reported (code %d) though nothing reached the trunk",
			  f.last[CR_EVENT_FIRST_MEDIA].code);
	TEST_ASSERT(fx_trace_has(&f, "client media dropped: the trunk's RTP address is not known yet"));

	/* The answer arrives: media reaches the trunk and comes back. */
	TEST_ERR(cr_call_set_sip_remote(f.call, "127.0.0.1", echo_rtp_port(f.echo), 0));
	TEST_ERR(fx_audio_roundtrip(&f, 20, 10000));
	/* One first-media event per direction, both now. */
	TEST_ERR(fx_wait(&f, CR_EVENT_FIRST_MEDIA, 5000, NULL));
	if (f.seen[CR_EVENT_FIRST_MEDIA] < 2)
		TEST_ERR(fx_wait(&f, CR_EVENT_FIRST_MEDIA, 5000, NULL));
	TEST_EQUALS(2, f.seen[CR_EVENT_FIRST_MEDIA]);
	TEST_ASSERT(fx_trace_has(&f, "first media client->sip"));
	TEST_ASSERT(fx_trace_has(&f, "first media sip->client"));
	TEST_ASSERT(fx_trace_has(&f, "client packets were dropped before this address"));
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(st.sip_tx_packets >= 18);
out:
	fx_teardown(&f);
	return err;
}
