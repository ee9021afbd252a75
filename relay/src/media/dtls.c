/**
 * @file dtls.c  DTLS 1.2 handshake with use_srtp (RFC 5764) over the ICE transport
 *
 * OpenSSL reads received datagrams from a memory BIO and writes through a
 * small BIO of our own that hands each datagram to a send callback (ICE), so
 * OpenSSL never touches a socket and each record flight leaves as the
 * datagrams OpenSSL built for the MTU we gave it. The peer's certificate is
 * accepted during the handshake and checked against the fingerprint the
 * signaling gave once both are known (the fingerprint may come later,
 * docs/INTEROP.md#13).
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <strings.h>

#include "media.h"

#define CR_DTLS_MTU 1200
#define CR_SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

static int bio_write(BIO *b, const char *data, int len)
{
	cr_dtls_t *d = BIO_get_data(b);

	if (d && d->send && len > 0)
		d->send(d->send_arg, (const uint8_t *)data, (size_t)len);
	return len;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return CR_DTLS_MTU;
	case BIO_CTRL_WPENDING:
	case BIO_CTRL_PENDING:
		return 0;
	default:
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	BIO_set_data(b, NULL);
	return 1;
}

static int verify_any(int ok, X509_STORE_CTX *store)
{
	/* Self-signed certificates are the norm (RFC 5763): trust comes from
	 * the fingerprint in the signaling, checked after the handshake. */
	(void)ok;
	(void)store;
	return 1;
}

static int make_certificate(X509 **cert_out, EVP_PKEY **key_out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name;
	uint64_t serial;
	int err = CR_ERR_INTERNAL;

	if (!key || !cert)
		goto out;
	if (RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1)
		goto out;
	X509_set_version(cert, 2);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), serial >> 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -86400);
	X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 86400);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"jingle-sip",
				   -1, -1, 0);
	X509_set_issuer_name(cert, name);
	X509_set_pubkey(cert, key);
	if (!X509_sign(cert, key, EVP_sha256()))
		goto out;
	err = CR_OK;
out:
	if (err) {
		X509_free(cert);
		EVP_PKEY_free(key);
		return err;
	}
	*cert_out = cert;
	*key_out = key;
	return CR_OK;
}

static int load_certificate(const char *cert_file, const char *key_file, X509 **cert_out,
			    EVP_PKEY **key_out)
{
	FILE *f;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;

	f = fopen(cert_file, "r");
	if (f) {
		cert = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	f = fopen(key_file ? key_file : cert_file, "r");
	if (f) {
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (!cert || !key || X509_check_private_key(cert, key) != 1) {
		X509_free(cert);
		EVP_PKEY_free(key);
		return CR_ERR_INVALID;
	}
	*cert_out = cert;
	*key_out = key;
	return CR_OK;
}

static void format_fingerprint(const char *hash_name, const unsigned char *md, unsigned n,
			       char *out, size_t len)
{
	size_t pos = (size_t)g_snprintf(out, len, "%s ", hash_name);

	for (unsigned i = 0; i < n && pos + 3 < len; i++)
		pos += (size_t)g_snprintf(out + pos, len - pos, i ? ":%02X" : "%02X", md[i]);
}

int cr_dtls_ctx_create(const char *cert_file, const char *key_file, cr_dtls_ctx_t **out,
		       char *err_buf)
{
	cr_dtls_ctx_t *c = g_new0(cr_dtls_ctx_t, 1);
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	int err;

	if (cert_file && *cert_file) {
		err = load_certificate(cert_file, key_file, &cert, &key);
		if (err) {
			cr_set_error(err_buf, err, "cannot load certificate %s and its key", cert_file);
			goto out;
		}
	} else {
		err = make_certificate(&cert, &key);
		if (err) {
			cr_set_error(err_buf, err, "cannot generate an ECDSA P-256 certificate");
			goto out;
		}
	}
	err = CR_ERR_INTERNAL;
	c->ssl_ctx = SSL_CTX_new(DTLS_method());
	if (!c->ssl_ctx ||
	    !SSL_CTX_set_min_proto_version(c->ssl_ctx, DTLS1_2_VERSION) ||
	    SSL_CTX_use_certificate(c->ssl_ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(c->ssl_ctx, key) != 1 ||
	    SSL_CTX_set_tlsext_use_srtp(c->ssl_ctx, CR_SRTP_PROFILES) != 0) {
		cr_set_error(err_buf, err, "cannot set up the DTLS context");
		goto out;
	}
	SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   verify_any);
	SSL_CTX_set_session_cache_mode(c->ssl_ctx, SSL_SESS_CACHE_OFF);
	X509_digest(cert, EVP_sha256(), md, &n);
	format_fingerprint("sha-256", md, n, c->fingerprint, sizeof(c->fingerprint));
	c->bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "cr-ice");
	if (!c->bio_method) {
		cr_set_error(err_buf, err, "cannot create the DTLS BIO method");
		goto out;
	}
	BIO_meth_set_write(c->bio_method, bio_write);
	BIO_meth_set_ctrl(c->bio_method, bio_ctrl);
	BIO_meth_set_create(c->bio_method, bio_create);
	err = CR_OK;
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	if (err) {
		cr_dtls_ctx_destroy(c);
		return err;
	}
	*out = c;
	return CR_OK;
}

void cr_dtls_ctx_destroy(cr_dtls_ctx_t *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ssl_ctx);
	BIO_meth_free(c->bio_method);
	g_free(c);
}

int cr_dtls_init(cr_dtls_t *d, cr_dtls_ctx_t *ctx, bool active, cr_dtls_send_fn send,
		 void *arg)
{
	BIO *wbio;

	memset(d, 0, sizeof(*d));
	d->active = active;
	d->send = send;
	d->send_arg = arg;
	d->ssl = SSL_new(ctx->ssl_ctx);
	d->rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(ctx->bio_method);
	if (!d->ssl || !d->rbio || !wbio) {
		BIO_free(d->rbio);
		BIO_free(wbio);
		SSL_free(d->ssl);
		d->ssl = NULL;
		d->rbio = NULL;
		return CR_ERR_NOMEM;
	}
	BIO_set_data(wbio, d);
	BIO_set_mem_eof_return(d->rbio, -1);
	SSL_set_bio(d->ssl, d->rbio, wbio); /* the SSL owns both */
	SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(d->ssl, CR_DTLS_MTU);
	DTLS_set_link_mtu(d->ssl, CR_DTLS_MTU);
	if (active)
		SSL_set_connect_state(d->ssl);
	else
		SSL_set_accept_state(d->ssl);
	return CR_OK;
}

void cr_dtls_release(cr_dtls_t *d)
{
	if (!d->ssl || d->state != CR_DTLS_CONNECTED)
		return;
	SSL_free(d->ssl);
	d->ssl = NULL;
	d->rbio = NULL;
}

void cr_dtls_clear(cr_dtls_t *d)
{
	if (d->ssl)
		SSL_free(d->ssl);
	d->ssl = NULL;
	d->rbio = NULL;
	OPENSSL_cleanse(d->keys, sizeof(d->keys));
}

static int handshake_step(cr_dtls_t *d)
{
	int r, e;
	const SRTP_PROTECTION_PROFILE *prof;
	uint8_t km[2 * (16 + 14)];
	size_t total;

	if (d->state == CR_DTLS_FAILED)
		return -2;
	d->state = CR_DTLS_HANDSHAKING;
	r = SSL_do_handshake(d->ssl);
	if (r != 1) {
		e = SSL_get_error(d->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return 0;
		g_snprintf(d->error, sizeof(d->error), "handshake failed: %s",
			   ERR_reason_error_string(ERR_peek_last_error())
				   ? ERR_reason_error_string(ERR_peek_last_error())
				   : "protocol error");
		ERR_clear_error();
		d->state = CR_DTLS_FAILED;
		return -2;
	}
	prof = SSL_get_selected_srtp_profile(d->ssl);
	if (!prof || (prof->id != SRTP_AEAD_AES_128_GCM && prof->id != SRTP_AES128_CM_SHA1_80)) {
		g_snprintf(d->error, sizeof(d->error), "no common SRTP profile");
		d->state = CR_DTLS_FAILED;
		return -3;
	}
	d->srtp_profile = (int)prof->id;
	d->key_len = 16;
	d->salt_len = prof->id == SRTP_AEAD_AES_128_GCM ? 12 : 14;
	total = 2 * (d->key_len + d->salt_len);
	/* RFC 5764 4.2: client key, server key, client salt, server salt. */
	if (SSL_export_keying_material(d->ssl, km, total, "EXTRACTOR-dtls_srtp", 19, NULL, 0,
				       0) != 1) {
		g_snprintf(d->error, sizeof(d->error), "cannot export SRTP keys");
		d->state = CR_DTLS_FAILED;
		return -3;
	}
	memcpy(d->keys, km, total);
	OPENSSL_cleanse(km, sizeof(km));
	d->state = CR_DTLS_CONNECTED;
	return 1;
}

void cr_dtls_start(cr_dtls_t *d)
{
	if (d->started || !d->ssl)
		return;
	d->started = true;
	if (d->active)
		handshake_step(d);
}

static bool looks_like_dtls_record(const uint8_t *p, size_t len)
{
	/* One or more records: type 20-25, version 0xFEFF/0xFEFD, length fits. */
	size_t off = 0;

	if (len < 13)
		return false;
	while (off + 13 <= len) {
		size_t rec_len = ((size_t)p[off + 11] << 8) | p[off + 12];

		if (p[off] < 20 || p[off] > 25 || p[off + 1] != 0xFE ||
		    (p[off + 2] != 0xFF && p[off + 2] != 0xFD))
			return false;
		off += 13 + rec_len;
	}
	return off == len;
}

int cr_dtls_receive(cr_dtls_t *d, const uint8_t *data, size_t len)
{
	uint8_t sink[2048];
	int r;

	if (!d->ssl && d->state == CR_DTLS_CONNECTED)
		/* Released (cr_dtls_release): a late retransmission or an alert
		 * is dropped; what is not even a record is counted as before. */
		return looks_like_dtls_record(data, len) ? 0 : -1;
	if (!d->ssl || d->state == CR_DTLS_FAILED || !looks_like_dtls_record(data, len))
		return -1;
	d->started = true;
	if (BIO_write(d->rbio, data, (int)len) != (int)len)
		return -1;
	if (d->state != CR_DTLS_CONNECTED)
		return handshake_step(d);
	/* After the handshake: alerts, retransmitted Finished; no app data. */
	r = SSL_read(d->ssl, sink, sizeof(sink));
	if (r <= 0) {
		int e = SSL_get_error(d->ssl, r);

		ERR_clear_error();
		if (e == SSL_ERROR_ZERO_RETURN)
			g_snprintf(d->error, sizeof(d->error), "peer closed DTLS");
	}
	(void)BIO_reset(d->rbio);
	return 0;
}

int cr_dtls_next_timeout_ms(cr_dtls_t *d)
{
	struct timeval tv;

	if (!d->ssl || d->state == CR_DTLS_CONNECTED || d->state == CR_DTLS_FAILED)
		return -1;
	if (DTLSv1_get_timeout(d->ssl, &tv) != 1)
		return -1;
	return (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

int cr_dtls_timeout(cr_dtls_t *d)
{
	if (!d->ssl || d->state == CR_DTLS_CONNECTED || d->state == CR_DTLS_FAILED)
		return 0;
	if (DTLSv1_handle_timeout(d->ssl) < 0) {
		g_snprintf(d->error, sizeof(d->error), "handshake timed out");
		d->state = CR_DTLS_FAILED;
		return -2;
	}
	return 0;
}

bool cr_dtls_fingerprint_matches(const cr_dtls_t *d, const char *expected)
{
	X509 *cert;
	const EVP_MD *md_type;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	char have[CR_MAX_FINGERPRINT_LEN], hash[16];
	const char *hex;

	if (!d->ssl || !expected)
		return false;
	cert = SSL_get0_peer_certificate(d->ssl);
	hex = strchr(expected, ' ');
	if (!cert || !hex || (size_t)(hex - expected) >= sizeof(hash))
		return false;
	memcpy(hash, expected, (size_t)(hex - expected));
	hash[hex - expected] = '\0';
	if (!g_ascii_strcasecmp(hash, "sha-1"))
		md_type = EVP_sha1();
	else if (!g_ascii_strcasecmp(hash, "sha-224"))
		md_type = EVP_sha224();
	else if (!g_ascii_strcasecmp(hash, "sha-256"))
		md_type = EVP_sha256();
	else if (!g_ascii_strcasecmp(hash, "sha-384"))
		md_type = EVP_sha384();
	else if (!g_ascii_strcasecmp(hash, "sha-512"))
		md_type = EVP_sha512();
	else
		return false;
	if (X509_digest(cert, md_type, md, &n) != 1)
		return false;
	format_fingerprint(hash, md, n, have, sizeof(have));
	while (*hex == ' ')
		hex++;
	return g_ascii_strcasecmp(have + strlen(hash) + 1, hex) == 0;
}

const char *cr_dtls_profile_name(int profile)
{
	switch (profile) {
	case SRTP_AEAD_AES_128_GCM:
		return "AEAD_AES_128_GCM";
	case SRTP_AES128_CM_SHA1_80:
		return "AES_CM_128_HMAC_SHA1_80";
	default:
		return "none";
	}
}
