/**
 * @file srtp_ossl.c  libsrtp2's AES-ICM, AES-GCM and HMAC-SHA1 over OpenSSL EVP
 *
 * The contract is libsrtp2's public srtp2/cipher.h and srtp2/auth.h (the
 * struct layouts are public in Debian's libsrtp2-dev 2.5): alloc() gets the
 * key length with the salt (ICM 30/46, GCM 28/44) and must fill
 * srtp_cipher_t.type, .algorithm (srtp.c picks its AEAD path from it) and
 * .key_len; init() gets key || salt; set_iv() gets the 16-octet ICM block
 * (XORed here with the salt, RFC 3711 4.1.1) or the 12-octet GCM nonce
 * libsrtp2 already computed (RFC 7714 8.1); set_aad() may be called more
 * than once (SRTCP: header, then trailer); encrypt() on GCM is complete, the
 * tag is kept for get_tag(); decrypt() on GCM gets ciphertext || tag and
 * says srtp_err_status_auth_fail when the tag does not match.
 *
 * One EVP_CIPHER / EVP_MAC per algorithm, fetched once; one EVP context per
 * session: no per-packet fetch, lock or allocation that depends on how many
 * sessions live in the process.
 */
#include <glib.h>
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <string.h>

#include "srtp_ossl.h"

#define ICM_SALT_LEN 14
#define GCM_IV_LEN 12
#define GCM_TAG_MAX 16
#define SHA1_LEN 20
/* AES-CTR in OpenSSL carries into all 128 bits; RFC 3711's counter is 16
 * bits wide. Both agree below 2^16 blocks, far above any packet. */
#define ICM_MAX_OCTETS (65536 * 16)

static atomic_uint_least64_t allocs;

static EVP_CIPHER *evp_ctr128, *evp_ctr256, *evp_gcm128, *evp_gcm256;
static EVP_MAC *evp_hmac;

static int fetch_once(void);

/* One state for both AES modes: ICM uses offset, GCM tag_len, enc and tag. */
typedef struct {
	EVP_CIPHER_CTX *ctx;
	const EVP_CIPHER *evp;
	int key_size;
	uint8_t offset[16]; /* ICM: salt || 00 00 */
	int tag_len;
	int enc; /* GCM: 1 encrypt, 0 decrypt, -1 no nonce set */
	uint8_t tag[GCM_TAG_MAX];
} aes_state_t;

typedef struct {
	EVP_MAC_CTX *ctx;
} hmac_state_t;

/* ---- AES allocation, both modes ---- */

/* What tells the four AES types apart at allocation. libsrtp2's key
 * derivation allocates the type by id with the master key's length, so each
 * type takes only its own length (key || salt). */
typedef struct {
	const srtp_cipher_type_t *type;
	EVP_CIPHER **evp; /* filled by fetch_once() */
	int key_size, key_len_wsalt;
	int aead; /* GCM: tag_len must be 8 or 16 */
} aes_kind_t;

static const aes_kind_t aes_icm_128 = { &cr_ossl_aes_icm_128, &evp_ctr128, 16,
					SRTP_AES_ICM_128_KEY_LEN_WSALT, 0 };
static const aes_kind_t aes_icm_256 = { &cr_ossl_aes_icm_256, &evp_ctr256, 32,
					SRTP_AES_ICM_256_KEY_LEN_WSALT, 0 };
static const aes_kind_t aes_gcm_128 = { &cr_ossl_aes_gcm_128, &evp_gcm128, 16,
					SRTP_AES_GCM_128_KEY_LEN_WSALT, 1 };
static const aes_kind_t aes_gcm_256 = { &cr_ossl_aes_gcm_256, &evp_gcm256, 32,
					SRTP_AES_GCM_256_KEY_LEN_WSALT, 1 };

static srtp_err_status_t aes_alloc(srtp_cipher_t **c, int key_len, int tag_len, const aes_kind_t *k)
{
	srtp_cipher_t *ci;
	aes_state_t *st;

	if (key_len != k->key_len_wsalt)
		return srtp_err_status_bad_param;
	if (fetch_once())
		return srtp_err_status_cipher_fail;
	if (k->aead && tag_len != 8 && tag_len != 16)
		return srtp_err_status_bad_param;
	ci = g_new0(srtp_cipher_t, 1);
	st = g_new0(aes_state_t, 1);
	st->ctx = EVP_CIPHER_CTX_new();
	if (!st->ctx) {
		g_free(st);
		g_free(ci);
		return srtp_err_status_alloc_fail;
	}
	st->evp = *k->evp;
	st->key_size = k->key_size;
	st->tag_len = k->aead ? tag_len : 0;
	st->enc = -1;
	ci->type = k->type;
	ci->algorithm = k->type->id;
	ci->state = st;
	ci->key_len = key_len;
	*c = ci;
	atomic_fetch_add(&allocs, 1);
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_alloc_128(srtp_cipher_t **c, int key_len, int tag_len)
{
	return aes_alloc(c, key_len, tag_len, &aes_icm_128);
}

static srtp_err_status_t icm_alloc_256(srtp_cipher_t **c, int key_len, int tag_len)
{
	return aes_alloc(c, key_len, tag_len, &aes_icm_256);
}

static srtp_err_status_t gcm_alloc_128(srtp_cipher_t **c, int key_len, int tag_len)
{
	return aes_alloc(c, key_len, tag_len, &aes_gcm_128);
}

static srtp_err_status_t gcm_alloc_256(srtp_cipher_t **c, int key_len, int tag_len)
{
	return aes_alloc(c, key_len, tag_len, &aes_gcm_256);
}

static srtp_err_status_t aes_dealloc(srtp_cipher_t *c)
{
	aes_state_t *st = c->state;

	if (st) {
		EVP_CIPHER_CTX_free(st->ctx);
		OPENSSL_cleanse(st, sizeof(*st));
		g_free(st);
	}
	g_free(c);
	return srtp_err_status_ok;
}

/* ---- AES-ICM ---- */

static srtp_err_status_t icm_init(void *sv, const uint8_t *key)
{
	aes_state_t *st = sv;

	memset(st->offset, 0, sizeof(st->offset));
	memcpy(st->offset, key + st->key_size, ICM_SALT_LEN);
	if (!EVP_EncryptInit_ex2(st->ctx, st->evp, key, NULL, NULL))
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_set_iv(void *sv, uint8_t *iv, srtp_cipher_direction_t dir)
{
	aes_state_t *st = sv;
	uint8_t ctr[16];

	(void)dir; /* counter mode: the same both ways */
	for (int i = 0; i < 16; i++)
		ctr[i] = st->offset[i] ^ iv[i];
	if (!EVP_EncryptInit_ex2(st->ctx, NULL, NULL, ctr, NULL))
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* XORs the keystream in place; consecutive calls continue the keystream. */
static srtp_err_status_t icm_encrypt(void *sv, uint8_t *buf, unsigned int *len)
{
	aes_state_t *st = sv;
	int out = 0;

	if (*len == 0)
		return srtp_err_status_ok;
	if (!buf || *len > ICM_MAX_OCTETS)
		return srtp_err_status_bad_param;
	if (!EVP_EncryptUpdate(st->ctx, buf, &out, buf, (int)*len) || out != (int)*len)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* ---- AES-GCM ---- */

static srtp_err_status_t gcm_init(void *sv, const uint8_t *key)
{
	aes_state_t *st = sv;

	st->enc = -1;
	/* The salt after the key is libsrtp2's business (it builds the nonce). */
	if (!EVP_CipherInit_ex2(st->ctx, st->evp, key, NULL, 1, NULL))
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_iv(void *sv, uint8_t *iv, srtp_cipher_direction_t dir)
{
	aes_state_t *st = sv;
	int enc;

	if (dir == srtp_direction_encrypt)
		enc = 1;
	else if (dir == srtp_direction_decrypt)
		enc = 0;
	else
		return srtp_err_status_bad_param;
	/* Same key schedule, new nonce: no re-expansion of the key. */
	if (!EVP_CipherInit_ex2(st->ctx, NULL, NULL, iv, enc, NULL)) {
		st->enc = -1;
		return srtp_err_status_cipher_fail;
	}
	st->enc = enc;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_aad(void *sv, const uint8_t *aad, uint32_t len)
{
	aes_state_t *st = sv;
	int out = 0;

	if (st->enc < 0)
		return srtp_err_status_bad_param;
	if (len == 0)
		return srtp_err_status_ok;
	if (len > INT_MAX || !EVP_CipherUpdate(st->ctx, NULL, &out, aad, (int)len))
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_encrypt(void *sv, uint8_t *buf, unsigned int *len)
{
	aes_state_t *st = sv;
	uint8_t fin[16];
	int out = 0;

	if (st->enc != 1)
		return srtp_err_status_bad_param;
	st->enc = -1; /* one message per nonce */
	if (*len && (!buf || *len > INT_MAX))
		return srtp_err_status_bad_param;
	if (*len && (!EVP_EncryptUpdate(st->ctx, buf, &out, buf, (int)*len) || out != (int)*len))
		return srtp_err_status_cipher_fail;
	if (!EVP_EncryptFinal_ex(st->ctx, fin, &out) ||
	    !EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_GET_TAG, st->tag_len, st->tag))
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_get_tag(void *sv, uint8_t *buf, uint32_t *len)
{
	aes_state_t *st = sv;

	memcpy(buf, st->tag, (size_t)st->tag_len);
	*len = (uint32_t)st->tag_len;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_decrypt(void *sv, uint8_t *buf, unsigned int *len)
{
	aes_state_t *st = sv;
	unsigned int n;
	uint8_t fin[16];
	int out = 0;

	if (st->enc != 0)
		return srtp_err_status_bad_param;
	st->enc = -1;
	if (!buf || *len < (unsigned)st->tag_len || *len > INT_MAX)
		return srtp_err_status_bad_param;
	n = *len - (unsigned)st->tag_len;
	if (!EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_SET_TAG, st->tag_len, buf + n))
		return srtp_err_status_cipher_fail;
	if (n && (!EVP_DecryptUpdate(st->ctx, buf, &out, buf, (int)n) || out != (int)n))
		return srtp_err_status_cipher_fail;
	if (EVP_DecryptFinal_ex(st->ctx, fin, &out) <= 0)
		return srtp_err_status_auth_fail;
	*len = n;
	return srtp_err_status_ok;
}

/* ---- HMAC-SHA1 ---- */

static srtp_err_status_t hmac_alloc(srtp_auth_t **a, int key_len, int out_len)
{
	srtp_auth_t *au;
	hmac_state_t *st;

	if (fetch_once())
		return srtp_err_status_auth_fail;
	if (out_len < 0 || out_len > SHA1_LEN || key_len < 0 || key_len > 64)
		return srtp_err_status_bad_param;
	au = g_new0(srtp_auth_t, 1);
	st = g_new0(hmac_state_t, 1);
	st->ctx = EVP_MAC_CTX_new(evp_hmac);
	if (!st->ctx) {
		g_free(st);
		g_free(au);
		return srtp_err_status_alloc_fail;
	}
	au->type = &cr_ossl_hmac_sha1;
	au->state = st;
	au->out_len = out_len;
	au->key_len = key_len;
	au->prefix_len = 0;
	*a = au;
	atomic_fetch_add(&allocs, 1);
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_t *a)
{
	hmac_state_t *st = a->state;

	if (st) {
		EVP_MAC_CTX_free(st->ctx);
		g_free(st);
	}
	g_free(a);
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_init(void *sv, const uint8_t *key, int key_len)
{
	hmac_state_t *st = sv;
	char digest[] = "SHA1";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};

	if (!EVP_MAC_init(st->ctx, key, (size_t)key_len, params))
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

/* Starts a new message with the key init() set. */
static srtp_err_status_t hmac_start(void *sv)
{
	hmac_state_t *st = sv;

	if (!EVP_MAC_init(st->ctx, NULL, 0, NULL))
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *sv, const uint8_t *buf, int len)
{
	hmac_state_t *st = sv;

	if (len < 0)
		return srtp_err_status_bad_param;
	if (len && !EVP_MAC_update(st->ctx, buf, (size_t)len))
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_compute(void *sv, const uint8_t *buf, int len, int tag_len,
				      uint8_t *tag)
{
	hmac_state_t *st = sv;
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t n = 0;
	srtp_err_status_t s;

	if (tag_len < 0 || tag_len > SHA1_LEN)
		return srtp_err_status_bad_param;
	s = hmac_update(sv, buf, len);
	if (s)
		return s;
	if (!EVP_MAC_final(st->ctx, md, &n, sizeof(md)) || n < (size_t)tag_len)
		return srtp_err_status_auth_fail;
	memcpy(tag, md, (size_t)tag_len);
	return srtp_err_status_ok;
}

/* ---- self-test vectors (libsrtp2 runs them before accepting a type) ---- */

/* RFC 3711 B.2: AES-CM keystream, session key and salt, index 0. */
static const uint8_t icm128_key[30] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static uint8_t icm128_idx[16];
static const uint8_t icm128_zeros[32];
static const uint8_t icm128_keystream[32] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
	0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
};
static const srtp_cipher_test_case_t icm128_test = {
	30, icm128_key, icm128_idx, 32, icm128_zeros, 32, icm128_keystream, 0, NULL, 0, NULL,
};

/* NIST SP 800-38A F.5.5 (CTR-AES256.Encrypt): counter f0..fdfeff, i.e. the
 * salt f0..fd with the low 16 bits of the index set to feff. */
static const uint8_t icm256_key[46] = {
	0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x81,
	0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61, 0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static uint8_t icm256_idx[16] = { [14] = 0xfe, [15] = 0xff };
static const uint8_t icm256_plain[32] = {
	0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
	0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51,
};
static const uint8_t icm256_cipher[32] = {
	0x60, 0x1e, 0xc3, 0x13, 0x77, 0x57, 0x89, 0xa5, 0xb7, 0xa7, 0xf5, 0x04, 0xbb, 0xf3, 0xd2, 0x28,
	0xf4, 0x43, 0xe3, 0xca, 0x4d, 0x62, 0xb5, 0x9a, 0xca, 0x84, 0xe9, 0x90, 0xca, 0xca, 0xf5, 0xc5,
};
static const srtp_cipher_test_case_t icm256_test = {
	46, icm256_key, icm256_idx, 32, icm256_plain, 32, icm256_cipher, 0, NULL, 0, NULL,
};

/* RFC 7714 16.1.1 / 16.2.1: the RTP packet 8040f17b 8041f8d3 5501a0b2
 * with "Gallia est omnis divisa in partes tres"; the nonce is the salt
 * 517569642070726f2071756f XOR 0000 || SSRC || ROC 0 || SEQ. */
static const uint8_t gcm128_key[28] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x0e, 0x0f, 0x51, 0x75, 0x69, 0x64, 0x20, 0x70, 0x72, 0x6f, 0x20, 0x71, 0x75, 0x6f,
};
static const uint8_t gcm256_key[44] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
	0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
	0x1e, 0x1f, 0x51, 0x75, 0x69, 0x64, 0x20, 0x70, 0x72, 0x6f, 0x20, 0x71, 0x75, 0x6f,
};
static uint8_t gcm_nonce[12] = {
	0x51, 0x75, 0x3c, 0x65, 0x80, 0xc2, 0x72, 0x6f, 0x20, 0x71, 0x84, 0x14,
};
static const uint8_t gcm_aad[12] = {
	0x80, 0x40, 0xf1, 0x7b, 0x80, 0x41, 0xf8, 0xd3, 0x55, 0x01, 0xa0, 0xb2,
};
/* 38 octets, no terminating NUL. */
static const uint8_t gcm_plain[38] = "Gallia est omnis divisa in partes tres";
static const uint8_t gcm128_cipher[54] = {
	0xf2, 0x4d, 0xe3, 0xa3, 0xfb, 0x34, 0xde, 0x6c, 0xac, 0xba, 0x86, 0x1c, 0x9d, 0x7e,
	0x4b, 0xca, 0xbe, 0x63, 0x3b, 0xd5, 0x0d, 0x29, 0x4e, 0x6f, 0x42, 0xa5, 0xf4, 0x7a,
	0x51, 0xc7, 0xd1, 0x9b, 0x36, 0xde, 0x3a, 0xdf, 0x88, 0x33, 0x89, 0x9d, 0x7f, 0x27,
	0xbe, 0xb1, 0x6a, 0x91, 0x52, 0xcf, 0x76, 0x5e, 0xe4, 0x39, 0x0c, 0xce,
};
static const uint8_t gcm256_cipher[54] = {
	0x32, 0xb1, 0xde, 0x78, 0xa8, 0x22, 0xfe, 0x12, 0xef, 0x9f, 0x78, 0xfa, 0x33, 0x2e,
	0x33, 0xaa, 0xb1, 0x80, 0x12, 0x38, 0x9a, 0x58, 0xe2, 0xf3, 0xb5, 0x0b, 0x2a, 0x02,
	0x76, 0xff, 0xae, 0x0f, 0x1b, 0xa6, 0x37, 0x99, 0xb8, 0x7b, 0x7a, 0xa3, 0xdb, 0x36,
	0xdf, 0xff, 0xd6, 0xb0, 0xf9, 0xbb, 0x78, 0x78, 0xd7, 0xa7, 0x6c, 0x13,
};
static const srtp_cipher_test_case_t gcm128_test = {
	28, gcm128_key, gcm_nonce, 38, gcm_plain, 54, gcm128_cipher, 12, gcm_aad, 16, NULL,
};
static const srtp_cipher_test_case_t gcm256_test = {
	44, gcm256_key, gcm_nonce, 38, gcm_plain, 54, gcm256_cipher, 12, gcm_aad, 16, NULL,
};

/* RFC 2202 test case 1. */
static const uint8_t hmac_key[20] = {
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const uint8_t hmac_data[8] = "Hi There";
static const uint8_t hmac_tag[20] = {
	0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
	0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const srtp_auth_test_case_t hmac_test = { 20, hmac_key, 8, hmac_data, 20, hmac_tag, NULL };

/* ---- the types ---- */

const srtp_cipher_type_t cr_ossl_aes_icm_128 = {
	icm_alloc_128, aes_dealloc, icm_init, NULL, icm_encrypt, icm_encrypt, icm_set_iv, NULL,
	"AES-128 ICM using OpenSSL EVP (jingle-sip)", &icm128_test, SRTP_AES_ICM_128,
};
const srtp_cipher_type_t cr_ossl_aes_icm_256 = {
	icm_alloc_256, aes_dealloc, icm_init, NULL, icm_encrypt, icm_encrypt, icm_set_iv, NULL,
	"AES-256 ICM using OpenSSL EVP (jingle-sip)", &icm256_test, SRTP_AES_ICM_256,
};
const srtp_cipher_type_t cr_ossl_aes_gcm_128 = {
	gcm_alloc_128, aes_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt, gcm_set_iv,
	gcm_get_tag, "AES-128 GCM using OpenSSL EVP (jingle-sip)", &gcm128_test, SRTP_AES_GCM_128,
};
const srtp_cipher_type_t cr_ossl_aes_gcm_256 = {
	gcm_alloc_256, aes_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt, gcm_set_iv,
	gcm_get_tag, "AES-256 GCM using OpenSSL EVP (jingle-sip)", &gcm256_test, SRTP_AES_GCM_256,
};
const srtp_auth_type_t cr_ossl_hmac_sha1 = {
	hmac_alloc, hmac_dealloc, hmac_init, hmac_compute, hmac_update, hmac_start,
	"HMAC-SHA1 using OpenSSL EVP (jingle-sip)", &hmac_test, SRTP_HMAC_SHA1,
};

static int fetch_once(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		/* Process lifetime, like libsrtp2's crypto kernel. */
		evp_ctr128 = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
		evp_ctr256 = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL);
		evp_gcm128 = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
		evp_gcm256 = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
		evp_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		g_once_init_leave(&done, 1);
	}
	return evp_ctr128 && evp_ctr256 && evp_gcm128 && evp_gcm256 && evp_hmac ? 0 : -1;
}

int cr_srtp_ossl_install(void)
{
	srtp_err_status_t s;

	if (fetch_once())
		return srtp_err_status_cipher_fail;
	/* Each call self-tests the type (ours and the stock type's vectors). */
	if ((s = srtp_replace_cipher_type(&cr_ossl_aes_icm_128, SRTP_AES_ICM_128)) ||
	    (s = srtp_replace_cipher_type(&cr_ossl_aes_icm_256, SRTP_AES_ICM_256)) ||
	    (s = srtp_replace_cipher_type(&cr_ossl_aes_gcm_128, SRTP_AES_GCM_128)) ||
	    (s = srtp_replace_cipher_type(&cr_ossl_aes_gcm_256, SRTP_AES_GCM_256)) ||
	    (s = srtp_replace_auth_type(&cr_ossl_hmac_sha1, SRTP_HMAC_SHA1)))
		return (int)s;
	return 0;
}

uint64_t cr_srtp_ossl_allocs(void)
{
	return atomic_load(&allocs);
}
