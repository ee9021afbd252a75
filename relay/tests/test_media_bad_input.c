/**
 * @file test_media_bad_input.c  Test 7: garbage on every input is dropped and counted, never forwarded
 */
#include <glib.h>

#include "helpers.h"
#include "media_fixture.h"
#include "test.h"

int test_media_bad_input(void);

int test_media_bad_input(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1 };
	fixture_t f;
	cr_call_stats_t before, after;
	uint8_t buf[300];
	int audio_before, err = 0;

	TEST_ERR(fx_setup(&f, &po));
	/* SIP-leg packets before the call is connected: no plain RTP may
	 * ever reach the client (docs/INTEROP.md#13). */
	f.params.sip_latch = 1;
	TEST_ERR(fx_start(&f));
	/* Sent before the client's candidates exist, so no DTLS handshake can
	 * have finished when they arrive, however loaded the machine is. */
	/* (The SSRC of the stream the echo sends later, the peer's: one trunk,
	 * one stream, which rtp_leg.c follows by SSRC.) */
	for (int i = 0; i < 5; i++) {
		uint8_t rtp[172] = { 0x80, 96, 0, (uint8_t)i, 0, 0, 0, 1, 0x11, 0x22, 0x33, 0x44 };

		echo_send_to(f.echo, false, "127.0.0.1", f.local.sip_rtp_port, rtp, sizeof(rtp));
	}
	fx_wait(&f, 0, 200, NULL); /* let the worker read them */
	TEST_ERR(fx_trickle_peer(&f, 0, 10));
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 10000, NULL));
	TEST_ERR(fx_wait_connected(&f, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 10, 10000));
	TEST_EQUALS(0, peer_plain_received(f.peer));
	fx_wait(&f, 0, 300, NULL); /* let the last echoes land */
	TEST_ERR(cr_call_get_stats(f.call, &before));
	TEST_ASSERT(before.early_dropped >= 5);
	audio_before = peer_audio_received(f.peer);

	/* Random and truncated STUN-looking data on the ICE transport. */
	for (int i = 0; i < 20; i++) {
		int len = 1 + g_random_int_range(0, 200);

		for (int j = 0; j < len; j++)
			buf[j] = (uint8_t)g_random_int();
		buf[0] = (uint8_t)g_random_int_range(0, 4);
		if (i % 2 && len >= 20) { /* a valid-looking header claiming more */
			buf[0] = 0x00;
			buf[1] = 0x01;
			buf[2] = 0x01;
			buf[3] = 0x00;
			buf[4] = 0x21;
			buf[5] = 0x12;
			buf[6] = 0xA4;
			buf[7] = 0x42;
		}
		peer_send_raw(f.peer, 1, buf, len);
	}
	/* DTLS garbage. */
	for (int i = 0; i < 10; i++) {
		int len = 1 + g_random_int_range(0, 200);

		for (int j = 0; j < len; j++)
			buf[j] = (uint8_t)g_random_int();
		buf[0] = (uint8_t)g_random_int_range(20, 64);
		peer_send_raw(f.peer, 1, buf, len);
	}
	/* SRTP with bad authentication tags, and unknown first bytes. */
	for (int i = 0; i < 10; i++)
		peer_send_bad_srtp(f.peer);
	for (int i = 0; i < 5; i++) {
		memset(buf, 0x70, 50);
		peer_send_raw(f.peer, 1, buf, 50);
	}
	/* RTP to the SIP leg from an address the trunk never gave. */
	for (int i = 0; i < 10; i++) {
		uint8_t rtp[172] = { 0x80, 96, 1, (uint8_t)i, 0, 0, 1, 1, 7, 7, 7, 7 };

		echo_send_to(f.echo, true, "127.0.0.1", f.local.sip_rtp_port, rtp, sizeof(rtp));
	}
	fx_wait(&f, 0, 500, NULL);
	FX_STATS_UNTIL(&f, after,
		       after.dtls_bad >= before.dtls_bad + 10 &&
			       after.srtp_auth_failed >= before.srtp_auth_failed + 10 &&
			       after.ice_bad >= before.ice_bad + 5 &&
			       after.sip_foreign >= before.sip_foreign + 10,
		       3000);
	TEST_ERR(cr_call_get_stats(f.call, &after));
	TEST_ASSERT(after.dtls_bad >= before.dtls_bad + 10);
	TEST_ASSERT(after.srtp_auth_failed >= before.srtp_auth_failed + 10);
	TEST_ASSERT(after.ice_bad >= before.ice_bad + 5);
	TEST_ASSERT(after.sip_foreign >= before.sip_foreign + 10);
	TEST_EQUALS(before.sip_tx_packets, after.sip_tx_packets); /* nothing forwarded */
	TEST_EQUALS(audio_before, peer_audio_received(f.peer));
	TEST_EQUALS(0, echo_foreign_received(f.echo));            /* no media to the foreigner */
	/* The call still works. */
	TEST_ERR(fx_audio_roundtrip(&f, 10, 10000));
	TEST_EQUALS(0, echo_foreign_received(f.echo));
out:
	fx_teardown(&f);
	return err;
}
