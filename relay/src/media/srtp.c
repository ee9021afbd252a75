/**
 * @file srtp.c  SRTP/SRTCP sessions (libsrtp2) keyed from the DTLS handshake
 *
 * One session per direction so each has its own replay window (libsrtp2's
 * default, 128 packets); packets that fail authentication or replay checks
 * are reported to the caller, which drops and counts them.
 */
#include "media.h"
#include "srtp_ossl.h"

static gsize srtp_ready;

static void srtp_once(void)
{
	if (g_once_init_enter(&srtp_ready)) {
		/* Process lifetime: libsrtp2 keeps a global crypto kernel. */
		srtp_init();
		/* Our OpenSSL ciphers and HMAC in place of Debian's NSS ones
		 * (srtp_ossl.c), before the first srtp_create. Should OpenSSL
		 * lack one, the stock implementation stays: slower, same bytes. */
		int err = cr_srtp_ossl_install();
		if (err)
			g_warning("SRTP stays on libsrtp2's own crypto: OpenSSL types refused (%d)", err);
		g_once_init_leave(&srtp_ready, 1);
	}
}

static void set_policy(srtp_policy_t *pol, int profile)
{
	memset(pol, 0, sizeof(*pol));
	if (profile == SRTP_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtcp);
	} else {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
	}
	pol->window_size = 128;
	pol->allow_repeat_tx = 0;
}

int cr_srtp_init(cr_srtp_t *s, const cr_dtls_t *d)
{
	uint8_t local[16 + 14], remote[16 + 14];
	const uint8_t *client_key = d->keys, *server_key = d->keys + d->key_len;
	const uint8_t *client_salt = d->keys + 2 * d->key_len;
	const uint8_t *server_salt = client_salt + d->salt_len;
	srtp_policy_t pol;
	int err = CR_ERR_INTERNAL;

	srtp_once();
	memset(s, 0, sizeof(*s));
	/* libsrtp2 takes key || salt. */
	memcpy(local, d->active ? client_key : server_key, d->key_len);
	memcpy(local + d->key_len, d->active ? client_salt : server_salt, d->salt_len);
	memcpy(remote, d->active ? server_key : client_key, d->key_len);
	memcpy(remote + d->key_len, d->active ? server_salt : client_salt, d->salt_len);

	set_policy(&pol, d->srtp_profile);
	pol.ssrc.type = ssrc_any_outbound;
	pol.key = local;
	if (srtp_create(&s->tx, &pol) != srtp_err_status_ok)
		goto out;
	set_policy(&pol, d->srtp_profile);
	pol.ssrc.type = ssrc_any_inbound;
	pol.key = remote;
	if (srtp_create(&s->rx, &pol) != srtp_err_status_ok)
		goto out;
	err = CR_OK;
out:
	memset(local, 0, sizeof(local));
	memset(remote, 0, sizeof(remote));
	if (err)
		cr_srtp_clear(s);
	return err;
}

void cr_srtp_clear(cr_srtp_t *s)
{
	if (s->tx)
		srtp_dealloc(s->tx);
	if (s->rx)
		srtp_dealloc(s->rx);
	s->tx = NULL;
	s->rx = NULL;
}

int cr_srtp_protect(cr_srtp_t *s, uint8_t *buf, int *len, bool rtcp)
{
	srtp_err_status_t st;

	if (!s->tx)
		return -1;
	st = rtcp ? srtp_protect_rtcp(s->tx, buf, len) : srtp_protect(s->tx, buf, len);
	return st == srtp_err_status_ok ? 0 : -1;
}

int cr_srtp_unprotect(cr_srtp_t *s, uint8_t *buf, int *len, bool rtcp)
{
	srtp_err_status_t st;

	if (!s->rx)
		return -1;
	st = rtcp ? srtp_unprotect_rtcp(s->rx, buf, len) : srtp_unprotect(s->rx, buf, len);
	return st == srtp_err_status_ok ? 0 : -1;
}
