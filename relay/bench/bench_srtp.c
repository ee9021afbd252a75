/**
 * @file bench_srtp.c  SRTP protect/unprotect cost against the number of live sessions
 *
 * Usage: bench_srtp [PACKETS] [N,N,...]
 *
 * For each profile the relay negotiates and each N (default 1, 10, 100, 500,
 * 1000, 2000), N sending and N receiving libsrtp2 sessions live in the
 * process; PACKETS 172-octet RTP packets (default 40000, a 160-octet payload
 * as in the media bench) are protected by a session and unprotected by its
 * peer, after one untimed packet per session (its stream is made then).
 * Once with Debian's stock libsrtp2 crypto (NSS) and once with ours over
 * OpenSSL (relay/src/media/srtp_ossl.c), in one process. Two orders:
 * round-robin (burst=1: each packet finds its session's state cold in the
 * caches, as in a relay serving one packet per call per wake-up) and bursts
 * of 40 packets per session (warm caches: what remains is the algorithm).
 * Prints the CPU time per operation and, per profile and order, the cost at
 * the largest N over the cost at the smallest.
 */
#include <glib.h>
#include <srtp2/srtp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/srtp_ossl.h"

#define PKT_LEN 172
#define MAX_N 64

typedef struct {
	const char *name;
	void (*set)(srtp_crypto_policy_t *p);
} profile_t;

static void set_gcm(srtp_crypto_policy_t *p)
{
	srtp_crypto_policy_set_aes_gcm_128_16_auth(p);
}

static void set_cm(srtp_crypto_policy_t *p)
{
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p);
}

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int session(srtp_t *s, const profile_t *p, int i, bool outbound)
{
	srtp_policy_t pol;
	uint8_t key[46];

	for (size_t k = 0; k < sizeof(key); k++)
		key[k] = (uint8_t)(i * 131 + k * 7 + 1);
	memset(&pol, 0, sizeof(pol));
	p->set(&pol.rtp);
	p->set(&pol.rtcp);
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.key = key;
	pol.window_size = 128;
	return srtp_create(s, &pol) == srtp_err_status_ok ? 0 : -1;
}

/* ns per protect and per unprotect with n session pairs. */
static int run(const profile_t *p, int n, int burst, int packets, double *prot_ns, double *unprot_ns)
{
	srtp_t *tx = g_new0(srtp_t, n), *rx = g_new0(srtp_t, n);
	uint16_t *seq = g_new0(uint16_t, n);
	enum { BATCH = 1000 };
	static uint8_t buf[BATCH][PKT_LEN + 32];
	int lens[BATCH];
	double tp = 0, tu = 0;
	int done = 0, rc = -1;

	for (int i = 0; i < n; i++)
		if (session(&tx[i], p, i, true) || session(&rx[i], p, i, false))
			goto out;
	/* Untimed: each session's first packet makes its stream (libsrtp2
	 * clones the ssrc_any template), a per-call cost, not per packet. */
	for (int i = 0; i < n; i++) {
		uint8_t *h = buf[0];

		memset(h, 0, PKT_LEN);
		h[0] = 0x80;
		h[1] = 111;
		h[3] = (uint8_t)seq[i]++;
		h[8] = (uint8_t)(i >> 8);
		h[9] = (uint8_t)i;
		lens[0] = PKT_LEN;
		if (srtp_protect(tx[i], h, &lens[0]) != srtp_err_status_ok ||
		    srtp_unprotect(rx[i], h, &lens[0]) != srtp_err_status_ok)
			goto out;
	}
	while (done < packets) {
		int b = packets - done < BATCH ? packets - done : BATCH;
		double t0;

		for (int k = 0; k < b; k++) {
			int s = (done + k) / burst % n;
			uint8_t *h = buf[k];

			memset(h, 0, PKT_LEN);
			h[0] = 0x80;
			h[1] = 111;
			h[2] = (uint8_t)(seq[s] >> 8);
			h[3] = (uint8_t)seq[s];
			h[8] = (uint8_t)(s >> 8);
			h[9] = (uint8_t)s;
			seq[s]++;
			lens[k] = PKT_LEN;
		}
		t0 = cpu_ns();
		for (int k = 0; k < b; k++)
			if (srtp_protect(tx[(done + k) / burst % n], buf[k], &lens[k]) != srtp_err_status_ok)
				goto out;
		tp += cpu_ns() - t0;
		t0 = cpu_ns();
		for (int k = 0; k < b; k++)
			if (srtp_unprotect(rx[(done + k) / burst % n], buf[k], &lens[k]) != srtp_err_status_ok ||
			    lens[k] != PKT_LEN)
				goto out;
		tu += cpu_ns() - t0;
		done += b;
	}
	*prot_ns = tp / packets;
	*unprot_ns = tu / packets;
	rc = 0;
out:
	for (int i = 0; i < n; i++) {
		if (tx[i])
			srtp_dealloc(tx[i]);
		if (rx[i])
			srtp_dealloc(rx[i]);
	}
	g_free(tx);
	g_free(rx);
	g_free(seq);
	return rc;
}

int main(int argc, char **argv)
{
	static const profile_t profiles[] = {
		{ "AEAD_AES_128_GCM", set_gcm },
		{ "AES_CM_128_HMAC_SHA1_80", set_cm },
	};
	/* 1: every packet on the next session (each one touches cold state, as
	 * a relay does with one packet per call per wake-up); 40: bursts of 40
	 * packets per session (warm caches: what is left is the algorithm). */
	static const int bursts[] = { 1, 40 };
	int packets = argc > 1 ? atoi(argv[1]) : 40000;
	int ns[MAX_N], count = 0;
	/* [impl][burst][profile][n][protect/unprotect] */
	static double res[2][2][2][MAX_N][2];
	char **parts = g_strsplit(argc > 2 ? argv[2] : "1,10,100,500,1000,2000", ",", -1);

	for (int i = 0; parts[i] && count < MAX_N; i++)
		if (atoi(parts[i]) > 0)
			ns[count++] = atoi(parts[i]);
	g_strfreev(parts);
	if (packets <= 0 || count == 0) {
		fprintf(stderr, "usage: bench_srtp [PACKETS] [N,N,...]\n");
		return 2;
	}
	if (srtp_init() != srtp_err_status_ok)
		return 1;
	for (int impl = 0; impl < 2; impl++) {
		if (impl == 1 && cr_srtp_ossl_install() != 0) {
			fprintf(stderr, "bench_srtp: the OpenSSL types were refused\n");
			return 1;
		}
		for (int b = 0; b < 2; b++)
			for (int p = 0; p < 2; p++)
				for (int i = 0; i < count; i++)
					if (run(&profiles[p], ns[i], bursts[b], packets, &res[impl][b][p][i][0],
						&res[impl][b][p][i][1])) {
						fprintf(stderr, "bench_srtp: %s with %d sessions failed\n",
							profiles[p].name, ns[i]);
						return 1;
					}
	}
	printf("srtp: CPU ns per operation, %d packets of %d octets over N session pairs "
	       "(%s; nss = Debian's stock crypto, openssl = relay/src/media/srtp_ossl.c)\n",
	       packets, PKT_LEN, srtp_get_version_string());
	for (int b = 0; b < 2; b++)
		for (int p = 0; p < 2; p++) {
			double *first, *last;

			for (int i = 0; i < count; i++)
				printf("srtp %s burst=%d sessions=%d nss_protect_ns=%.0f nss_unprotect_ns=%.0f "
				       "openssl_protect_ns=%.0f openssl_unprotect_ns=%.0f\n",
				       profiles[p].name, bursts[b], ns[i], res[0][b][p][i][0], res[0][b][p][i][1],
				       res[1][b][p][i][0], res[1][b][p][i][1]);
			first = res[0][b][p][0];
			last = res[0][b][p][count - 1];
			printf("srtp %s burst=%d growth N=%d/N=%d: nss=%.2f", profiles[p].name, bursts[b],
			       ns[count - 1], ns[0], (last[0] + last[1]) / (first[0] + first[1]));
			first = res[1][b][p][0];
			last = res[1][b][p][count - 1];
			printf(" openssl=%.2f\n", (last[0] + last[1]) / (first[0] + first[1]));
		}
	srtp_shutdown();
	return 0;
}
