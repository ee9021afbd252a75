/**
 * @file test_srtp_crypto.c  The OpenSSL ciphers and HMAC inside libsrtp2 (srtp_ossl.c)
 *
 * Known answers from the RFCs (RFC 3711 B.2/B.3 for AES-CM, RFC 7714 16/17
 * for AES-GCM, RFC 2202 for HMAC-SHA1, NIST SP 800-38A F.5.5 for AES-256
 * CTR), then interop with Debian's stock libsrtp2 (NSS) through whole SRTP
 * and SRTCP sessions: the same keys and packets give the same bytes, and
 * each side unprotects what the other protected.
 */
#include <glib.h>
#include <srtp2/srtp.h>
#include <string.h>

#include "media/media.h"
#include "media/srtp_ossl.h"
#include "test.h"

int test_srtp_crypto_vectors(void);
int test_srtp_crypto_interop_nss(void);

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	for (const char *p = hex; *p && n < max;) {
		if (!g_ascii_isxdigit(p[0])) {
			p++;
			continue;
		}
		out[n++] = (uint8_t)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
		p += 2;
	}
	return n;
}

static void srtp_ready(void)
{
	/* What the relay does once per process (srtp.c), here without a call. */
	static gsize once;

	if (g_once_init_enter(&once)) {
		srtp_init();
		g_once_init_leave(&once, 1);
	}
}

/* Encrypts len octets of zeros with our ICM: the keystream. */
static int icm_keystream(const srtp_cipher_type_t *t, int key_len, const char *key_hex,
			 const uint8_t iv[16], uint8_t *out, unsigned len)
{
	srtp_cipher_t *c = NULL;
	uint8_t key[46];
	int rc = -1;

	unhex(key_hex, key, sizeof(key));
	memset(out, 0, len);
	if (srtp_cipher_type_alloc(t, &c, key_len, 0) || srtp_cipher_init(c, key) ||
	    srtp_cipher_set_iv(c, (uint8_t *)iv, srtp_direction_encrypt) ||
	    srtp_cipher_encrypt(c, out, &len))
		goto out;
	rc = 0;
out:
	if (c)
		srtp_cipher_dealloc(c);
	return rc;
}

/* RFC 7714: one AEAD operation with our GCM; aad is one or two pieces. */
static srtp_err_status_t gcm_run(const srtp_cipher_type_t *t, int key_len, const char *key_hex,
				 const uint8_t iv[12], const uint8_t *aad1, uint32_t aad1_len,
				 const uint8_t *aad2, uint32_t aad2_len, bool enc, uint8_t *buf,
				 unsigned *len)
{
	srtp_cipher_t *c = NULL;
	uint8_t key[44];
	uint32_t tag_len = 0;
	srtp_err_status_t s;

	unhex(key_hex, key, sizeof(key));
	if ((s = srtp_cipher_type_alloc(t, &c, key_len, 16)) || (s = srtp_cipher_init(c, key)) ||
	    (s = srtp_cipher_set_iv(c, (uint8_t *)iv,
				    enc ? srtp_direction_encrypt : srtp_direction_decrypt)) ||
	    (s = srtp_cipher_set_aad(c, aad1, aad1_len)) ||
	    (aad2 && (s = srtp_cipher_set_aad(c, aad2, aad2_len))))
		goto out;
	if (enc) {
		if ((s = srtp_cipher_encrypt(c, buf, len)) || (s = srtp_cipher_get_tag(c, buf + *len, &tag_len)))
			goto out;
		*len += tag_len;
	} else {
		s = srtp_cipher_decrypt(c, buf, len);
	}
out:
	if (c)
		srtp_cipher_dealloc(c);
	return s;
}

static int hmac_run(const char *key_hex, const uint8_t *data, int len, int tag_len, uint8_t *tag)
{
	srtp_auth_t *a = NULL;
	uint8_t key[64];
	int key_len = (int)unhex(key_hex, key, sizeof(key));
	int rc = -1;

	/* Split the data, as srtp.c does (packet, then the ROC). */
	if (srtp_auth_type_alloc(&cr_ossl_hmac_sha1, &a, key_len, tag_len))
		return -1;
	if (srtp_auth_init(a, key) || srtp_auth_start(a) || srtp_auth_update(a, data, len / 2) ||
	    srtp_auth_compute(a, data + len / 2, len - len / 2, tag))
		goto out;
	rc = 0;
out:
	srtp_auth_dealloc(a);
	return rc;
}

int test_srtp_crypto_vectors(void)
{
	static uint8_t ks[1044512];
	uint8_t iv[16] = { 0 }, exp[128], buf[256], tag[20];
	uint8_t hdr[12], trailer[4];
	unsigned len;
	size_t n;
	int err = 0;

	srtp_ready();

	/* RFC 3711 B.2: the whole 65282-block keystream segment, checked at
	 * both ends (the tail is NIST's CTR test, blocks feff..ff01). */
	TEST_ERR(icm_keystream(&cr_ossl_aes_icm_128, 30,
			       "2B7E151628AED2A6ABF7158809CF4F3C F0F1F2F3F4F5F6F7F8F9FAFBFCFD", iv, ks,
			       sizeof(ks)));
	n = unhex("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB"
		  "41E95B3BB0A2E8DD477901E4FCA894C0", exp, sizeof(exp));
	TEST_ASSERT(memcmp(ks, exp, n) == 0);
	n = unhex("EC8CDF7398607CB0F2D21675EA9EA1E4 362B7C3C6773516318A077D7FC5073AE"
		  "6A2CC3787889374FBEB4C81B17BA6C44", exp, sizeof(exp));
	TEST_ASSERT(memcmp(ks + sizeof(ks) - n, exp, n) == 0);

	/* RFC 3711 B.3: key derivation is AES-CM under the master key, with the
	 * label in the IV (libsrtp2 derives every session key with this type). */
	memset(iv, 0, sizeof(iv));
	iv[7] = 0x00; /* label 0: cipher key */
	TEST_ERR(icm_keystream(&cr_ossl_aes_icm_128, 30,
			       "E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6", iv, buf, 16));
	n = unhex("C61E7A93744F39EE10734AFE3FF7A087", exp, sizeof(exp));
	TEST_ASSERT(memcmp(buf, exp, n) == 0);
	iv[7] = 0x02; /* cipher salt */
	TEST_ERR(icm_keystream(&cr_ossl_aes_icm_128, 30,
			       "E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6", iv, buf, 14));
	n = unhex("30CBBC08863D8C85D49DB34A9AE1", exp, sizeof(exp));
	TEST_ASSERT(memcmp(buf, exp, n) == 0);
	iv[7] = 0x01; /* auth key, 94 octets over six blocks */
	TEST_ERR(icm_keystream(&cr_ossl_aes_icm_128, 30,
			       "E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6", iv, buf, 94));
	n = unhex("CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE"
		  "E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25"
		  "6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2", exp, sizeof(exp));
	TEST_EQUALS(94, n);
	TEST_ASSERT(memcmp(buf, exp, n) == 0);

	/* NIST SP 800-38A F.5.5, AES-256 CTR, counter f0..fd feff. */
	memset(iv, 0, sizeof(iv));
	iv[14] = 0xfe;
	iv[15] = 0xff;
	TEST_ERR(icm_keystream(&cr_ossl_aes_icm_256, 46,
			       "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
			       "F0F1F2F3F4F5F6F7F8F9FAFBFCFD", iv, buf, 32));
	n = unhex("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51", exp, sizeof(exp));
	for (size_t i = 0; i < n; i++)
		buf[i] ^= exp[i];
	n = unhex("601ec313775789a5b7a7f504bbf3d228 f443e3ca4d62b59aca84e990cacaf5c5", exp, sizeof(exp));
	TEST_ASSERT(memcmp(buf, exp, n) == 0);

	/* RFC 7714 16.1 / 16.2: SRTP, nonce = salt XOR 00 00 || SSRC || ROC || SEQ. */
	unhex("8040f17b 8041f8d3 5501a0b2", hdr, sizeof(hdr));
	{
		uint8_t salt[12], nonce[12] = { 0 };
		static const struct {
			const srtp_cipher_type_t *t;
			int key_len;
			const char *key, *ct;
		} v[] = {
			{ &cr_ossl_aes_gcm_128, 28, "000102030405060708090a0b0c0d0e0f",
			  "f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b"
			  "36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce" },
			{ &cr_ossl_aes_gcm_256, 44,
			  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
			  "32b1de78 a822fe12 ef9f78fa 332e33aa b1801238 9a58e2f3 b50b2a02 76ffae0f"
			  "1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13" },
		};

		unhex("517569642070726f2071756f", salt, sizeof(salt));
		memcpy(nonce + 2, hdr + 8, 4); /* SSRC; ROC 0 */
		memcpy(nonce + 10, hdr + 2, 2); /* SEQ */
		for (int i = 0; i < 12; i++)
			nonce[i] ^= salt[i];
		for (size_t k = 0; k < G_N_ELEMENTS(v); k++) {
			char key[160];

			g_snprintf(key, sizeof(key), "%s517569642070726f2071756f", v[k].key);
			len = 38;
			memcpy(buf, "Gallia est omnis divisa in partes tres", len);
			TEST_ERR(gcm_run(v[k].t, v[k].key_len, key, nonce, hdr, 12, NULL, 0, true, buf, &len));
			n = unhex(v[k].ct, exp, sizeof(exp));
			TEST_EQUALS(54, n);
			TEST_EQUALS(n, len);
			TEST_ASSERT(memcmp(buf, exp, n) == 0);
			TEST_EQUALS(srtp_err_status_ok,
				    gcm_run(v[k].t, v[k].key_len, key, nonce, hdr, 12, NULL, 0, false, buf, &len));
			TEST_EQUALS(38, len);
			TEST_ASSERT(memcmp(buf, "Gallia est omnis divisa in partes tres", 38) == 0);
			/* One flipped bit anywhere: the tag no longer matches. */
			memcpy(buf, exp, n);
			buf[50] ^= 0x01;
			len = (unsigned)n;
			TEST_EQUALS(srtp_err_status_auth_fail,
				    gcm_run(v[k].t, v[k].key_len, key, nonce, hdr, 12, NULL, 0, false, buf, &len));
			memcpy(buf, exp, n);
			buf[3] ^= 0x80;
			len = (unsigned)n;
			TEST_EQUALS(srtp_err_status_auth_fail,
				    gcm_run(v[k].t, v[k].key_len, key, nonce, hdr, 12, NULL, 0, false, buf, &len));
		}
	}

	/* RFC 7714 17.1: SRTCP, the AAD in two pieces (header, then E || index),
	 * nonce = salt XOR 00 00 || SSRC || 00 00 || 0 || index. */
	{
		uint8_t salt[12], nonce[12] = { 0 };
		const char *key = "000102030405060708090a0b0c0d0e0f517569642070726f2071756f";
		uint8_t rtcp[8];

		unhex("81c8000d 4d617273", rtcp, sizeof(rtcp));
		unhex("800005d4", trailer, sizeof(trailer));
		unhex("517569642070726f2071756f", salt, sizeof(salt));
		memcpy(nonce + 2, rtcp + 4, 4);
		nonce[8] = trailer[0] & 0x7f;
		memcpy(nonce + 9, trailer + 1, 3);
		for (int i = 0; i < 12; i++)
			nonce[i] ^= salt[i];
		len = (unsigned)unhex("4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
				      "deadbeef deadbeef deadbeef deadbeef deadbeef", buf, sizeof(buf));
		TEST_EQUALS(44, len);
		TEST_ERR(gcm_run(&cr_ossl_aes_gcm_128, 28, key, nonce, rtcp, 8, trailer, 4, true, buf, &len));
		n = unhex("63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda"
			  "4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade", exp, sizeof(exp));
		TEST_EQUALS(n, len);
		TEST_ASSERT(memcmp(buf, exp, n) == 0);
		TEST_EQUALS(srtp_err_status_ok,
			    gcm_run(&cr_ossl_aes_gcm_128, 28, key, nonce, rtcp, 8, trailer, 4, false, buf, &len));
		TEST_EQUALS(44, len);
		/* The trailer is authenticated: another index fails. */
		memcpy(buf, exp, n);
		len = (unsigned)n;
		trailer[3] ^= 1;
		TEST_EQUALS(srtp_err_status_auth_fail,
			    gcm_run(&cr_ossl_aes_gcm_128, 28, key, nonce, rtcp, 8, trailer, 4, false, buf, &len));
	}

	/* RFC 2202 test cases 1 and 2, full and truncated to SRTP's 80 bits. */
	TEST_ERR(hmac_run("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", (const uint8_t *)"Hi There", 8, 20, tag));
	n = unhex("b617318655057264e28bc0b6fb378c8ef146be00", exp, sizeof(exp));
	TEST_ASSERT(memcmp(tag, exp, n) == 0);
	memset(tag, 0, sizeof(tag));
	TEST_ERR(hmac_run("4a656665", (const uint8_t *)"what do ya want for nothing?", 28, 10, tag));
	n = unhex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", exp, sizeof(exp));
	TEST_ASSERT(memcmp(tag, exp, 10) == 0);
	TEST_ASSERT(tag[10] == 0);

	/* libsrtp2's own acceptance: our self-tests, then the stock types'
	 * vectors against ours (srtp_replace_* runs both). */
	TEST_EQUALS(srtp_err_status_ok, srtp_cipher_type_self_test(&cr_ossl_aes_icm_128));
	TEST_EQUALS(srtp_err_status_ok, srtp_cipher_type_self_test(&cr_ossl_aes_icm_256));
	TEST_EQUALS(srtp_err_status_ok, srtp_cipher_type_self_test(&cr_ossl_aes_gcm_128));
	TEST_EQUALS(srtp_err_status_ok, srtp_cipher_type_self_test(&cr_ossl_aes_gcm_256));
	TEST_EQUALS(srtp_err_status_ok, srtp_auth_type_self_test(&cr_ossl_hmac_sha1));
	TEST_ERR(cr_srtp_ossl_install());
out:
	return err;
}

/* ---- interop with the stock build ---- */

typedef struct {
	const char *name;
	void (*set)(srtp_crypto_policy_t *p);
	srtp_t tx_stock, rx_stock, tx_ours, rx_ours;
} profile_t;

static int session(srtp_t *s, const profile_t *p, const uint8_t *key, bool outbound)
{
	srtp_policy_t pol;

	memset(&pol, 0, sizeof(pol));
	p->set(&pol.rtp);
	p->set(&pol.rtcp);
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.key = (uint8_t *)key;
	pol.window_size = 128;
	return srtp_create(s, &pol) == srtp_err_status_ok ? 0 : -1;
}

/* RTP from seq 65500 across the rollover (the ROC enters the IV), or RTCP;
 * payload lengths vary. */
static int make_packet(uint8_t *buf, int i, bool rtcp)
{
	int plen = 1 + (i * 37) % 200;

	if (rtcp) {
		int words = (8 + plen + 3) / 4;

		memset(buf, 0, (size_t)words * 4);
		buf[0] = 0x80;
		buf[1] = 201; /* RR */
		buf[2] = (uint8_t)((words - 1) >> 8);
		buf[3] = (uint8_t)(words - 1);
		memcpy(buf + 4, "\x11\x22\x33\x44", 4);
		for (int k = 8; k < words * 4; k++)
			buf[k] = (uint8_t)(k * 7 + i);
		return words * 4;
	}
	uint16_t seq = (uint16_t)(65500 + i);
	uint32_t ts = 160u * (uint32_t)i;

	buf[0] = 0x80;
	buf[1] = 111;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
	memcpy(buf + 8, "\x11\x22\x33\x44", 4);
	for (int k = 0; k < plen; k++)
		buf[12 + k] = (uint8_t)(k * 13 + i);
	return 12 + plen;
}

static srtp_err_status_t protect(srtp_t s, uint8_t *buf, int *len, bool rtcp)
{
	return rtcp ? srtp_protect_rtcp(s, buf, len) : srtp_protect(s, buf, len);
}

static srtp_err_status_t unprotect(srtp_t s, uint8_t *buf, int *len, bool rtcp)
{
	return rtcp ? srtp_unprotect_rtcp(s, buf, len) : srtp_unprotect(s, buf, len);
}

/* A macro in srtp2/srtp.h, not a function. */
static void set_cm_128_80(srtp_crypto_policy_t *p)
{
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p);
}

int test_srtp_crypto_interop_nss(void)
{
	profile_t prof[] = {
		{ "AES_CM_128_HMAC_SHA1_80", set_cm_128_80, NULL, NULL, NULL, NULL },
		{ "AES_CM_128_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, NULL, NULL, NULL, NULL },
		{ "AES_256_CM_HMAC_SHA1_80", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, NULL, NULL, NULL, NULL },
		{ "AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth, NULL, NULL, NULL, NULL },
		{ "AEAD_AES_256_GCM", srtp_crypto_policy_set_aes_gcm_256_16_auth, NULL, NULL, NULL, NULL },
		{ "AEAD_AES_128_GCM_8", srtp_crypto_policy_set_aes_gcm_128_8_auth, NULL, NULL, NULL, NULL },
	};
	uint8_t key[46];
	uint64_t before;
	bool stock = false;
	int err = 0;

	srtp_ready();
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa5 ^ (i * 29));

	/* The stock kernel: libsrtp2 initialised afresh loads its NSS types.
	 * A session keeps the types it was created with, so both kinds live
	 * side by side once ours are back. */
	TEST_EQUALS(srtp_err_status_ok, srtp_shutdown());
	TEST_EQUALS(srtp_err_status_ok, srtp_init());
	stock = true;
	before = cr_srtp_ossl_allocs();
	for (size_t p = 0; p < G_N_ELEMENTS(prof); p++) {
		TEST_ERR(session(&prof[p].tx_stock, &prof[p], key, true));
		TEST_ERR(session(&prof[p].rx_stock, &prof[p], key, false));
	}
	TEST_EQUALS(before, cr_srtp_ossl_allocs()); /* none of ours */
	TEST_ERR(cr_srtp_ossl_install());
	stock = false;
	for (size_t p = 0; p < G_N_ELEMENTS(prof); p++) {
		before = cr_srtp_ossl_allocs();
		TEST_ERR(session(&prof[p].tx_ours, &prof[p], key, true));
		TEST_ERR(session(&prof[p].rx_ours, &prof[p], key, false));
		/* Ours for the session ciphers and HMACs and for key derivation. */
		TEST_ASSERT(cr_srtp_ossl_allocs() > before);
	}

	for (size_t p = 0; p < G_N_ELEMENTS(prof); p++) {
		for (int i = 0; i < 120; i++) {
			bool rtcp = i % 4 == 3;
			uint8_t plain[300], a[400], b[400];
			int n = make_packet(plain, i, rtcp), na = n, nb = n;

			memcpy(a, plain, (size_t)n);
			memcpy(b, plain, (size_t)n);
			if (protect(prof[p].tx_stock, a, &na, rtcp) || protect(prof[p].tx_ours, b, &nb, rtcp))
				TEST_FAIL("%s packet %d: protect failed", prof[p].name, i);
			if (na != nb || memcmp(a, b, (size_t)na) != 0)
				TEST_FAIL("%s packet %d: NSS and OpenSSL protect differ", prof[p].name, i);
			if (i % 10 == 5) {
				/* A forged copy first: refused, and it does not burn the index. */
				uint8_t bad[400];
				int nbad = nb;

				memcpy(bad, b, (size_t)nb);
				bad[12] ^= 0x40; /* a payload octet */
				if (unprotect(prof[p].rx_ours, bad, &nbad, rtcp) != srtp_err_status_auth_fail)
					TEST_FAIL("%s packet %d: forged packet not refused", prof[p].name, i);
			}
			/* Stock's bytes through ours, ours through stock. */
			if (unprotect(prof[p].rx_ours, a, &na, rtcp) != srtp_err_status_ok ||
			    na != n || memcmp(a, plain, (size_t)n) != 0)
				TEST_FAIL("%s packet %d: OpenSSL cannot read NSS's", prof[p].name, i);
			if (unprotect(prof[p].rx_stock, b, &nb, rtcp) != srtp_err_status_ok ||
			    nb != n || memcmp(b, plain, (size_t)n) != 0)
				TEST_FAIL("%s packet %d: NSS cannot read OpenSSL's", prof[p].name, i);
		}
	}
out:
	if (stock)
		cr_srtp_ossl_install();
	for (size_t p = 0; p < G_N_ELEMENTS(prof); p++) {
		srtp_t *all[] = { &prof[p].tx_stock, &prof[p].rx_stock, &prof[p].tx_ours, &prof[p].rx_ours };

		for (size_t k = 0; k < G_N_ELEMENTS(all); k++)
			if (*all[k])
				srtp_dealloc(*all[k]);
	}
	return err;
}
