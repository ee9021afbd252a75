/**
 * @file test_media_dtls.c  Test 8: fingerprint mismatch fails the call; a late fingerprint (Dino) still works
 *
 * And the DTLS-SRTP profile: AEAD_AES_128_GCM first in the relay's offer and
 * chosen by the relay when a client offers both, in either order; a client
 * with only AES_CM_128_HMAC_SHA1_80 still gets audio.
 */
#include <glib.h>
#include <openssl/ssl.h>

#include "helpers.h"
#include "media/media.h"
#include "media_fixture.h"
#include "test.h"

int test_media_fingerprint_mismatch(void);
int test_media_fingerprint_late(void);
int test_media_dtls_gcm_first(void);
int test_media_dtls_gcm_chosen(void);

int test_media_fingerprint_mismatch(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1 };
	fixture_t f;
	cr_call_stats_t st;
	cr_event_t ev;
	char *colon;
	int err = 0;

	TEST_ERR(fx_setup(&f, &po));
	/* Someone else's certificate: flip one hex digit of the real one. */
	colon = strchr(f.params.remote_fingerprint, ':');
	colon[-1] = colon[-1] == 'A' ? 'B' : 'A';
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_trickle_peer(&f, 0, 10));
	TEST_ERR(fx_wait(&f, CR_EVENT_DTLS_FAILED, 10000, &ev));
	TEST_EQUALS(CR_DTLS_FAIL_FINGERPRINT, ev.code);
	TEST_STREQ("the peer's certificate does not match the signaled fingerprint", ev.text);
	/* The peer finished its side (our fingerprint is right) and sends:
	 * nothing may reach the trunk. */
	peer_wait_dtls(f.peer, f.local.fingerprint, 5000);
	peer_send_audio(f.peer, 10, 10);
	fx_wait(&f, 0, 500, NULL);
	TEST_EQUALS(0, echo_rtp_received(f.echo));
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_EQUALS(3, st.dtls_state);
	TEST_EQUALS(0, st.sip_tx_packets);
	TEST_ASSERT(fx_trace_has(&f, "dtls failed: the peer's certificate does not match"));
	TEST_ASSERT(fx_wait(&f, CR_EVENT_DTLS_CONNECTED, 0, NULL) != 0);
out:
	fx_teardown(&f);
	return err;
}

int test_media_fingerprint_late(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1 };
	fixture_t f;
	char fp[CR_MAX_FINGERPRINT_LEN];
	int err = 0;

	TEST_ERR(fx_setup(&f, &po));
	/* docs/INTEROP.md#13: Dino sends its fingerprint in a later transport-info. */
	g_strlcpy(fp, f.params.remote_fingerprint, sizeof(fp));
	f.params.remote_fingerprint[0] = '\0';
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_trickle_peer(&f, 0, 10));
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 10000, NULL));
	fx_wait(&f, 0, 300, NULL);
	TEST_ASSERT(fx_wait(&f, CR_EVENT_DTLS_CONNECTED, 0, NULL) != 0);
	TEST_ERR(cr_call_set_remote_fingerprint(f.call, fp));
	TEST_ERR(fx_wait_connected(&f, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 20, 10000));
out:
	fx_teardown(&f);
	return err;
}

int test_media_dtls_gcm_first(void)
{
	cr_dtls_ctx_t *ctx = NULL;
	SSL *ssl = NULL;
	STACK_OF(SRTP_PROTECTION_PROFILE) *profiles;
	int err = 0;

	/* What the relay offers as DTLS client and prefers as server. */
	TEST_ERR(cr_dtls_ctx_create(NULL, NULL, &ctx, NULL));
	ssl = SSL_new(ctx->ssl_ctx);
	TEST_ASSERT(ssl != NULL);
	profiles = SSL_get_srtp_profiles(ssl);
	TEST_ASSERT(profiles != NULL);
	TEST_EQUALS(2, sk_SRTP_PROTECTION_PROFILE_num(profiles));
	TEST_EQUALS(SRTP_AEAD_AES_128_GCM, sk_SRTP_PROTECTION_PROFILE_value(profiles, 0)->id);
	TEST_EQUALS(SRTP_AES128_CM_SHA1_80, sk_SRTP_PROTECTION_PROFILE_value(profiles, 1)->id);
out:
	SSL_free(ssl);
	if (ctx)
		cr_dtls_ctx_destroy(ctx);
	return err;
}

/* A call whose client (the DTLS client) offers `offer`; the relay's
 * DTLS_CONNECTED names the profile it picked, and audio goes both ways. */
static int call_with_offer(const char *offer, const char *expect)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .srtp_profiles = offer };
	fixture_t f;
	cr_event_t ev;
	char want[64];
	int err = 0;

	TEST_ERR(fx_setup(&f, &po));
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_trickle_peer(&f, 0, 10));
	TEST_ERR(fx_wait(&f, CR_EVENT_DTLS_CONNECTED, 10000, &ev));
	g_snprintf(want, sizeof(want), "role=server profile=%s", expect);
	TEST_STREQ(want, ev.text);
	TEST_ERR(peer_wait_dtls(f.peer, f.local.fingerprint, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 20, 10000));
	/* The client's SRTP let the relay free its SSL; the call goes on. */
	TEST_ASSERT(fx_trace_has(&f, "dtls handshake state freed"));
	TEST_ERR(fx_audio_roundtrip(&f, 10, 10000));
out:
	fx_teardown(&f);
	return err;
}

int test_media_dtls_gcm_chosen(void)
{
	int err = 0;

	/* The client lists the HMAC profile first: the server's order wins. */
	TEST_ERR(call_with_offer("SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", "AEAD_AES_128_GCM"));
	TEST_ERR(call_with_offer("SRTP_AES128_CM_SHA1_80", "AES_CM_128_HMAC_SHA1_80"));
out:
	return err;
}
