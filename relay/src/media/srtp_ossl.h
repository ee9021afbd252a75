/**
 * @file srtp_ossl.h  libsrtp2's ciphers and HMAC over OpenSSL EVP (srtp_ossl.c)
 *
 * Debian's libsrtp2 does its crypto with NSS, whose cost per operation grows
 * with the number of live SRTP sessions in the process and takes NSS locks
 * (docs/PERFORMANCE.md). libsrtp2's public srtp_replace_cipher_type() and
 * srtp_replace_auth_type() swap in these implementations; libsrtp2 keeps the
 * packet format, key derivation and replay protection.
 */
#ifndef CR_SRTP_OSSL_H
#define CR_SRTP_OSSL_H

#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <stdint.h>

/* AES-ICM 128/256 (also libsrtp2's key derivation), AES-GCM 128/256. */
extern const srtp_cipher_type_t cr_ossl_aes_icm_128, cr_ossl_aes_icm_256;
extern const srtp_cipher_type_t cr_ossl_aes_gcm_128, cr_ossl_aes_gcm_256;
extern const srtp_auth_type_t cr_ossl_hmac_sha1;

/* Registers the types above with libsrtp2's crypto kernel (srtp_init() must
 * have run). libsrtp2 self-tests each one against our vectors and against
 * the stock type's vectors first. Process-global, not thread-safe: call it
 * once (srtp.c does, before any srtp_create) or, in tests, with no other
 * thread in libsrtp2. 0 on success, else the srtp_err_status_t. */
int cr_srtp_ossl_install(void);
/* How many cipher and auth instances these types allocated so far
 * (the tests tell which implementation a session uses). */
uint64_t cr_srtp_ossl_allocs(void);

#endif
