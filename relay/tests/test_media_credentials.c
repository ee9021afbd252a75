/**
 * @file test_media_credentials.c  The longest ICE credentials and fingerprints the RFCs allow carry a call
 */
#include <glib.h>
#include <string.h>

#include "helpers.h"
#include "media_fixture.h"
#include "test.h"

int test_media_long_credentials(void);
int test_media_credentials_too_long(void);

/* n ice-chars (RFC 8839 §5.4: ALPHA / DIGIT / "+" / "/"), all of them used. */
static void ice_chars(char *buf, size_t n, int seed)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i++)
		buf[i] = set[(i + (size_t)seed) % (sizeof(set) - 1)];
	buf[n] = '\0';
}

int test_media_long_credentials(void)
{
	/* A 256-char ufrag and pwd (RFC 8839's maximum) and a SHA-512
	 * fingerprint (RFC 8122): libnice's STUN checks carry them and DTLS
	 * verifies the longest hash. */
	static char ufrag[CR_MAX_UFRAG_LEN], pwd[CR_MAX_PWD_LEN];
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .ufrag = ufrag, .pwd = pwd };
	fixture_t f;
	int err = 0;

	ice_chars(ufrag, 256, 0);
	ice_chars(pwd, 256, 7);
	TEST_ERR(fx_setup(&f, &po));
	TEST_EQUALS(256, (int)strlen(f.params.remote_ufrag));
	TEST_EQUALS(256, (int)strlen(f.params.remote_pwd));
	TEST_ERR(peer_fingerprint_with(f.peer, "sha-512", f.params.remote_fingerprint,
				       sizeof(f.params.remote_fingerprint)));
	TEST_EQUALS((int)strlen("sha-512 ") + 64 * 3 - 1, (int)strlen(f.params.remote_fingerprint));
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_trickle_peer(&f, 0, 10));
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 10000, NULL));
	TEST_ERR(fx_wait_connected(&f, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 10, 10000));
	/* A foundation past RFC 8839's 32 ice-chars never reaches libnice. */
	TEST_ERR(cr_call_add_remote_candidate(
		f.call, "candidate:123456789012345678901234567890123 1 udp 2130706431 127.0.0.1 9 typ host"));
	fx_wait(&f, 0, 200, NULL);
	TEST_ASSERT(fx_trace_has(&f, "remote candidate dropped (foundation longer than 32 characters)"));
	/* The same credentials set again later (a transport-info) are taken too. */
	TEST_ERR(cr_call_set_remote_credentials(f.call, ufrag, pwd));
	TEST_ERR(cr_call_set_remote_fingerprint(f.call, f.params.remote_fingerprint));
out:
	fx_teardown(&f);
	return err;
}

int test_media_credentials_too_long(void)
{
	static char ufrag[CR_MAX_UFRAG_LEN + 1], pwd[CR_MAX_PWD_LEN + 1];
	static char fp[CR_MAX_FINGERPRINT_LEN + 1];
	fixture_t f;
	int err = 0;

	memset(&f, 0, sizeof(f));
	TEST_ERR(fx_setup_relay(&f));
	ice_chars(ufrag, 257, 0);
	ice_chars(pwd, 22, 0);
	TEST_EQUALS(CR_ERR_INVALID, cr_call_set_remote_credentials(f.call, ufrag, pwd));
	ice_chars(ufrag, 4, 0);
	ice_chars(pwd, 257, 0);
	TEST_EQUALS(CR_ERR_INVALID, cr_call_set_remote_credentials(f.call, ufrag, pwd));
	TEST_EQUALS(CR_ERR_INVALID, cr_call_set_remote_credentials(f.call, "", "x"));
	memcpy(fp, "sha-512 ", 8);
	memset(fp + 8, 'A', CR_MAX_FINGERPRINT_LEN - 8);
	fp[CR_MAX_FINGERPRINT_LEN] = '\0';
	TEST_EQUALS(CR_ERR_INVALID, cr_call_set_remote_fingerprint(f.call, fp));
	/* The call is untouched by what it refused. */
	ice_chars(ufrag, 256, 1);
	ice_chars(pwd, 256, 2);
	TEST_ERR(cr_call_set_remote_credentials(f.call, ufrag, pwd));
out:
	fx_teardown(&f);
	return err;
}
