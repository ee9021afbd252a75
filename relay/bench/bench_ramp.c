/**
 * @file bench_ramp.c  Benchmark: a ramp of calls through the relay, a bare
 * recv->libsrtp2->send loop and rtpengine, from a load generator in its own
 * process
 *
 * The generator (this process, the parent) plays both sides of every call:
 * the WebRTC client (ICE as the controlling agent with a minimal STUN
 * initiator/responder, DTLS client with OpenSSL, then SRTP AEAD_AES_128_GCM
 * done here with OpenSSL EVP, RFC 7714) and the trunk (plain RTP). It never
 * shares a process, a crypto library state or a lock with the system under
 * test (SUT):
 *
 * - relay: a child process (fork) that links the relay and creates the calls
 *   the generator asks for over a socketpair, as the plugin would;
 * - bare: a child process running recv -> libsrtp2 -> send, one socket per leg
 *   as the relay has, epoll, recvmmsg/sendmmsg x 32, keys given by the
 *   generator (no ICE, no DTLS);
 * - rtpengine: Debian's rtpengine-daemon, userspace only (--table=-1), one
 *   worker thread, SDES AEAD_AES_128_GCM <-> RTP, driven over its ng control
 *   protocol (bencode over UDP).
 *
 * Each call sends 50 packets/s each way (172-byte RTP, 20 ms), paced by a
 * 1 ms timer with the calls' phases spread over the 20 ms. Every payload
 * carries the generator's send time (CLOCK_REALTIME); the receive time is the
 * kernel's (SO_TIMESTAMPNS), so the one-way figure is the SUT's time plus
 * loopback, not the generator's scheduling. The SUT's CPU is read from its
 * own threads (/proc/PID/task/ * /stat; the relay host's control thread is
 * left out), RSS from /proc/PID/status. The generator and the SUT are pinned
 * to different cores when there are two or more.
 *
 * usage: bench_ramp NS SECONDS SYSTEMS   e.g. bench_ramp 100,500,1000,2000 5 relay,bare,rtpengine
 * Prints a table per system and, last, one "summary:" line (see
 * docs/PERFORMANCE.md).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <srtp2/srtp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <math.h>
#include <opus/opus.h>

#include "callrelay.h"
#include "media/srtp_ossl.h"

#define RTP_LEN 172     /* 12-byte header + 160 bytes payload */
#define TAG_LEN 16      /* GCM tag */
#define PT_CLIENT 111
#define PT_TRUNK 96
#define PERIOD_NS 20000000LL
#define MAX_CALLS 4000
#define HIST_US 1000000 /* latency histogram: 1 us buckets up to 1 s */
#define BATCH 64
#define SETUP_INFLIGHT 40
#define SAT_ROUNDS 20   /* packets queued per call and way for the saturated bare loop */

enum { SYS_RELAY, SYS_BARE, SYS_RTPENGINE, SYS_TRANSCODED, N_SYS };
static const char *sys_name[] = { "relay", "bare", "rtpengine", "transcoded" };
#define IS_RELAY(s) ((s) == SYS_RELAY || (s) == SYS_TRANSCODED)

/* Transcoded calls: the client sends real Opus (a 1 kHz tone, 50 frames
 * encoded once and cycled), the trunk PCMU (the same tone). */
#define OPUS_FRAMES 50
static uint8_t opus_frame[OPUS_FRAMES][400];
static int opus_len[OPUS_FRAMES];
static uint8_t pcmu_frame[OPUS_FRAMES][160];

/* ---- small helpers ---------------------------------------------------- */

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_ramp: %s\n", what);
	exit(1);
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int udp_socket(uint16_t port, int bufsize)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	if (fd < 0)
		return -1;
	if (bufsize > 0) {
		/* root may go beyond rmem_max (FORCE); otherwise the capped size */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof(bufsize)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsize, sizeof(bufsize)))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t sock_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &l))
		return 0;
	return ntohs(a.sin_port);
}

/* CPU seconds of a process's threads, leaving out the thread `skip_tid`:
 * the time on CPU from /proc/PID/task/TID/schedstat (nanoseconds), or
 * utime + stime from .../stat (clock ticks, 10 ms) where schedstat is
 * missing. */
static double proc_cpu(pid_t pid, pid_t skip_tid)
{
	char dir[64];
	DIR *d;
	struct dirent *e;
	long hz = sysconf(_SC_CLK_TCK);
	double total = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[400], buf[1024], *p;
		unsigned long long ns;
		unsigned long ut = 0, st = 0;
		FILE *f;

		if (e->d_name[0] == '.' || atoi(e->d_name) == skip_tid)
			continue;
		snprintf(path, sizeof(path), "%s/%s/schedstat", dir, e->d_name);
		f = fopen(path, "r");
		if (f) {
			int ok = fscanf(f, "%llu", &ns) == 1;

			fclose(f);
			if (ok) {
				total += (double)ns / 1e9;
				continue;
			}
		}
		snprintf(path, sizeof(path), "%s/%s/stat", dir, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
				 &st) != 2)
			continue;
		total += (double)(ut + st) / (double)hz;
	}
	closedir(d);
	return total;
}

static long proc_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kib = atol(line + 6);
	fclose(f);
	return kib;
}

/* ---- SRTP AEAD_AES_128_GCM (RFC 7714) over OpenSSL EVP ------------------ */

typedef struct gcm {
	EVP_CIPHER_CTX *ctx;
	uint8_t salt[12];
} gcm_t;

/* RFC 3711 4.3.3 AES-CM PRF with key_derivation_rate 0; the 96-bit master
 * salt of RFC 7714 is placed in the leftmost bits of the 112-bit x. */
static void srtp_kdf(const uint8_t mk[16], const uint8_t ms[12], uint8_t label, uint8_t *out,
		     int len)
{
	uint8_t iv[16] = { 0 }, block[16];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ol;

	memcpy(iv, ms, 12);
	iv[7] ^= label;
	EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, mk, NULL);
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_EncryptUpdate(c, block, &ol, iv, 16);
	memcpy(out, block, (size_t)len);
	EVP_CIPHER_CTX_free(c);
}

static void gcm_init(gcm_t *g, const uint8_t key[16], const uint8_t salt[12], bool enc)
{
	uint8_t sk[16];

	srtp_kdf(key, salt, 0x00, sk, 16);
	srtp_kdf(key, salt, 0x02, g->salt, 12);
	g->ctx = EVP_CIPHER_CTX_new();
	if (enc)
		EVP_EncryptInit_ex(g->ctx, EVP_aes_128_gcm(), NULL, sk, NULL);
	else
		EVP_DecryptInit_ex(g->ctx, EVP_aes_128_gcm(), NULL, sk, NULL);
}

static void gcm_iv(const gcm_t *g, const uint8_t *rtp, uint8_t iv[12])
{
	memset(iv, 0, 12);
	memcpy(iv + 2, rtp + 8, 4);  /* SSRC; ROC (iv[6..9]) stays 0: seqs never wrap here */
	memcpy(iv + 10, rtp + 2, 2); /* SEQ */
	for (int i = 0; i < 12; i++)
		iv[i] ^= g->salt[i];
}

/* Encrypts an RTP packet of len bytes in place; returns the SRTP length. */
static int gcm_protect(gcm_t *g, uint8_t *p, int len)
{
	uint8_t iv[12];
	int ol;

	gcm_iv(g, p, iv);
	EVP_EncryptInit_ex(g->ctx, NULL, NULL, NULL, iv);
	EVP_EncryptUpdate(g->ctx, NULL, &ol, p, 12);
	EVP_EncryptUpdate(g->ctx, p + 12, &ol, p + 12, len - 12);
	EVP_EncryptFinal_ex(g->ctx, p + len, &ol);
	EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, p + len);
	return len + TAG_LEN;
}

/* Decrypts in place; returns the RTP length, or -1 when authentication fails. */
static int gcm_unprotect(gcm_t *g, uint8_t *p, int len)
{
	uint8_t iv[12];
	int ol;

	if (len < 12 + TAG_LEN)
		return -1;
	gcm_iv(g, p, iv);
	EVP_DecryptInit_ex(g->ctx, NULL, NULL, NULL, iv);
	EVP_DecryptUpdate(g->ctx, NULL, &ol, p, 12);
	EVP_DecryptUpdate(g->ctx, p + 12, &ol, p + 12, len - 12 - TAG_LEN);
	EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, p + len - TAG_LEN);
	if (EVP_DecryptFinal_ex(g->ctx, p + len - TAG_LEN, &ol) <= 0)
		return -1;
	return len - TAG_LEN;
}

static srtp_t libsrtp_session(const uint8_t key28[28], bool inbound)
{
	srtp_policy_t pol;
	srtp_t s = NULL;

	memset(&pol, 0, sizeof(pol));
	srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
	srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = (unsigned char *)key28;
	pol.window_size = 1024;
	if (srtp_create(&s, &pol) != srtp_err_status_ok)
		return NULL;
	return s;
}

/* The generator's GCM against Debian's libsrtp2, both ways: a bench that
 * measures with a wrong SRTP would count every packet as lost. */
static void srtp_self_test(void)
{
	uint8_t key[28], a[RTP_LEN + 64], b[RTP_LEN + 64];
	gcm_t g;
	srtp_t s;
	int len = RTP_LEN;

	RAND_bytes(key, sizeof(key));
	memset(a, 0x5a, sizeof(a));
	a[0] = 0x80, a[1] = PT_CLIENT, a[2] = 0, a[3] = 7;
	memcpy(b, a, sizeof(a));
	gcm_init(&g, key, key + 16, true);
	s = libsrtp_session(key, false);
	if (!s || srtp_protect(s, b, &len) || gcm_protect(&g, a, RTP_LEN) != len ||
	    memcmp(a, b, (size_t)len))
		die("self test: the generator's SRTP GCM differs from libsrtp2's");
	srtp_dealloc(s);
	EVP_CIPHER_CTX_free(g.ctx);
	gcm_init(&g, key, key + 16, false);
	if (gcm_unprotect(&g, b, len) != RTP_LEN || b[20] != 0x5a)
		die("self test: the generator cannot unprotect libsrtp2's SRTP");
	EVP_CIPHER_CTX_free(g.ctx);
}

/* libsrtp2's cost per protect and unprotect (AEAD_AES_128_GCM, 172-byte RTP)
 * with `n` session pairs alive in the process, round-robin over them: issue
 * 18 wants it flat from 1 to 2,000 sessions. Debian's libsrtp2 as linked
 * here (the bare loop's); CPU time of this thread. */
static void srtp_cost(int n)
{
	srtp_t *out = g_new0(srtp_t, n), *in = g_new0(srtp_t, n);
	uint16_t *seq = g_new0(uint16_t, n);
	uint8_t pkt[RTP_LEN + 64];
	int ops = 20000, ok = 1;
	double prot = 0, unprot = 0;

	for (int i = 0; i < n && ok; i++) {
		uint8_t key[28];

		RAND_bytes(key, sizeof(key));
		out[i] = libsrtp_session(key, false);
		in[i] = libsrtp_session(key, true);
		ok = out[i] && in[i];
	}
	for (int k = 0; k < ops && ok; k++) {
		int i = k % n, len = RTP_LEN;
		struct timespec a, b, c;

		memset(pkt, 0x5a, RTP_LEN);
		pkt[0] = 0x80, pkt[1] = PT_CLIENT;
		seq[i]++;
		pkt[2] = (uint8_t)(seq[i] >> 8), pkt[3] = (uint8_t)seq[i];
		*(uint32_t *)(pkt + 8) = htonl((uint32_t)i + 1);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
		ok = srtp_protect(out[i], pkt, &len) == srtp_err_status_ok;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		ok = ok && srtp_unprotect(in[i], pkt, &len) == srtp_err_status_ok;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c);
		prot += (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
		unprot += (double)(c.tv_sec - b.tv_sec) * 1e9 + (double)(c.tv_nsec - b.tv_nsec);
	}
	if (ok)
		printf("srtp_cost session_pairs=%d protect_ns=%.0f unprotect_ns=%.0f (libsrtp2 as linked, "
		       "AEAD_AES_128_GCM, 172-byte RTP, round-robin)\n", n, prot / ops, unprot / ops);
	else
		printf("srtp_cost session_pairs=%d failed\n", n);
	for (int i = 0; i < n; i++) {
		if (out[i])
			srtp_dealloc(out[i]);
		if (in[i])
			srtp_dealloc(in[i]);
	}
	g_free(out);
	g_free(in);
	g_free(seq);
}

/* ---- STUN (RFC 5389, 8445): just what a controlling client needs -------- */

#define STUN_MAGIC 0x2112A442u

static uint32_t crc_table[256];

static uint32_t crc32_buf(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	if (!crc_table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;

			for (int k = 0; k < 8; k++)
				v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
			crc_table[i] = v;
		}
	while (n--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static size_t stun_attr(uint8_t *m, size_t off, uint16_t type, const void *v, uint16_t len)
{
	m[off] = (uint8_t)(type >> 8), m[off + 1] = (uint8_t)type;
	m[off + 2] = (uint8_t)(len >> 8), m[off + 3] = (uint8_t)len;
	memcpy(m + off + 4, v, len);
	off += 4 + len;
	while (off & 3)
		m[off++] = 0;
	return off;
}

static void stun_set_len(uint8_t *m, size_t total)
{
	m[2] = (uint8_t)((total - 20) >> 8), m[3] = (uint8_t)(total - 20);
}

/* Appends MESSAGE-INTEGRITY (key = pwd) and FINGERPRINT. */
static size_t stun_finish(uint8_t *m, size_t off, const char *pwd)
{
	uint8_t mac[20];
	unsigned int ml = 20;
	uint32_t fp;

	stun_set_len(m, off + 24);
	HMAC(EVP_sha1(), pwd, (int)strlen(pwd), m, off, mac, &ml);
	off = stun_attr(m, off, 0x0008, mac, 20);
	stun_set_len(m, off + 8);
	fp = htonl(crc32_buf(m, off) ^ 0x5354554eu);
	off = stun_attr(m, off, 0x8028, &fp, 4);
	return off;
}

static size_t stun_request(uint8_t *m, const char *username, const char *pwd, uint64_t tiebreak)
{
	uint32_t prio = htonl(0x6e7fffff);
	uint64_t tb = htobe64(tiebreak);
	size_t off = 20;

	m[0] = 0x00, m[1] = 0x01;
	*(uint32_t *)(m + 4) = htonl(STUN_MAGIC);
	RAND_bytes(m + 8, 12);
	off = stun_attr(m, off, 0x0006, username, (uint16_t)strlen(username));
	off = stun_attr(m, off, 0x0024, &prio, 4);
	off = stun_attr(m, off, 0x802A, &tb, 8);
	off = stun_attr(m, off, 0x0025, "", 0);
	return stun_finish(m, off, pwd);
}

static size_t stun_response(uint8_t *m, const uint8_t *req, const struct sockaddr_in *from,
			    const char *pwd)
{
	uint8_t xa[8];
	uint16_t xport = ntohs(from->sin_port) ^ (STUN_MAGIC >> 16);
	uint32_t xaddr = ntohl(from->sin_addr.s_addr) ^ STUN_MAGIC;

	m[0] = 0x01, m[1] = 0x01;
	memcpy(m + 4, req + 4, 16);
	xa[0] = 0, xa[1] = 1;
	xa[2] = (uint8_t)(xport >> 8), xa[3] = (uint8_t)xport;
	xaddr = htonl(xaddr);
	memcpy(xa + 4, &xaddr, 4);
	return stun_finish(m, stun_attr(m, 20, 0x0020, xa, 8), pwd);
}

/* ---- the generator's calls -------------------------------------------- */

typedef struct gcall {
	int state;               /* 0 new, 1 checking, 2 dtls, 3 keyed, -1 failed */
	struct sockaddr_in cli;  /* where the client leg sends (relay ICE / bare / rtpengine port) */
	struct sockaddr_in trk;  /* where the trunk leg sends */
	char ufrag[16], pwd[32]; /* ours */
	char r_ufrag[260], r_pwd[260];
	bool got_resp, answered;
	int64_t next_check;
	SSL *ssl;
	BIO *rbio, *wbio;
	gcm_t tx, rx;            /* client leg: what we send, what we receive */
	uint32_t ssrc_c, ssrc_t;
	uint16_t seq_c, seq_t;
	int64_t phase;           /* offset in the 20 ms period */
	int64_t next_due;
} gcall_t;

typedef struct window {
	int tag;
	uint64_t sent[2], recv[2], bad[2]; /* [0] client->trunk, [1] trunk->client */
	uint32_t *hist;          /* one-way latency, 1 us buckets, both directions */
	uint64_t late;           /* beyond the histogram */
	uint64_t sent_late;      /* the generator sent more than 5 ms after the due time */
} window_t;

typedef struct gen {
	int sys;
	int cli_fd, trk_fd, tfd, ep;
	int ep_tick;             /* the timer alone: waited on while media flows */
	bool wake_on_packets;    /* BENCH_RAMP_GEN_WAKE=1: sleep on the sockets too */
	int ctl;                 /* relay / bare child's control socket, or -1 */
	pid_t pid;               /* the SUT's process */
	pid_t skip_tid;          /* its thread left out of the CPU figure */
	int ng_fd;               /* rtpengine's ng socket */
	struct sockaddr_in ng_addr;
	gcall_t *calls;
	int n;                   /* calls set up so far */
	int keyed;
	int failed;
	uint16_t cli_port_to_call[65536]; /* SUT port -> call index + 1 */
	uint16_t trk_port_to_call[65536];
	SSL_CTX *ssl_ctx;
	char fingerprint[200];
	bool sending;
	bool saturate;
	int tag;                 /* stamped in every packet */
	window_t win;
	uint64_t stun_in, dtls_in;
} gen_t;

static gen_t G;

static int ctl_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int ctl_send(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return send(G.ctl, buf, (size_t)n, 0) == n ? 0 : -1;
}

static void make_cert(SSL_CTX *ctx, char *fp, size_t fplen)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	unsigned char md[32];
	unsigned int mdl = 32;
	size_t o;

	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"bench", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, key, EVP_sha256());
	SSL_CTX_use_certificate(ctx, x);
	SSL_CTX_use_PrivateKey(ctx, key);
	X509_digest(x, EVP_sha256(), md, &mdl);
	o = (size_t)snprintf(fp, fplen, "sha-256 ");
	for (unsigned int i = 0; i < mdl && o + 4 < fplen; i++)
		o += (size_t)snprintf(fp + o, fplen - o, "%s%02X", i ? ":" : "", md[i]);
	X509_free(x);
	EVP_PKEY_free(key);
}

static int accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok, (void)x;
	return 1;
}

static void send_to(int fd, const void *p, size_t len, const struct sockaddr_in *to)
{
	(void)sendto(fd, p, len, 0, (const struct sockaddr *)to, sizeof(*to));
}

static void dtls_flush(gcall_t *c)
{
	char buf[8192];
	int n;

	while ((n = BIO_read(c->wbio, buf, sizeof(buf))) > 0)
		send_to(G.cli_fd, buf, (size_t)n, &c->cli);
}

static void call_keyed(gcall_t *c, const uint8_t txk[16], const uint8_t txs[12],
		       const uint8_t rxk[16], const uint8_t rxs[12])
{
	gcm_init(&c->tx, txk, txs, true);
	gcm_init(&c->rx, rxk, rxs, false);
	c->state = 3;
	G.keyed++;
}

static void dtls_step(gcall_t *c)
{
	int r = SSL_do_handshake(c->ssl);

	dtls_flush(c);
	if (r == 1 && c->state == 2) {
		uint8_t km[56];
		const SRTP_PROTECTION_PROFILE *prof = SSL_get_selected_srtp_profile(c->ssl);

		if (!prof || prof->id != SRTP_AEAD_AES_128_GCM ||
		    SSL_export_keying_material(c->ssl, km, sizeof(km), "EXTRACTOR-dtls_srtp", 19,
					       NULL, 0, 0) != 1) {
			c->state = -1;
			G.failed++;
			return;
		}
		/* client key, server key, client salt, server salt */
		call_keyed(c, km, km + 32, km + 16, km + 44);
	} else if (r <= 0) {
		int e = SSL_get_error(c->ssl, r);

		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			c->state = -1;
			G.failed++;
		}
	}
}

static void start_dtls(gcall_t *c)
{
	c->ssl = SSL_new(G.ssl_ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(c->rbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_options(c->ssl, SSL_OP_NO_QUERY_MTU);
	DTLS_set_link_mtu(c->ssl, 1400);
	SSL_set_connect_state(c->ssl);
	c->state = 2;
	dtls_step(c);
}

static void check_call(gcall_t *c, int64_t now)
{
	uint8_t m[512];
	char user[600];
	size_t len;

	if (c->state == 1 && now >= c->next_check) {
		snprintf(user, sizeof(user), "%s:%s", c->r_ufrag, c->ufrag);
		len = stun_request(m, user, c->r_pwd, 0xffffffffffffULL);
		send_to(G.cli_fd, m, len, &c->cli);
		c->next_check = now + 20000000;
	}
	if (c->state == 1 && c->got_resp && c->answered)
		start_dtls(c);
	if (c->state == 2) {
		struct timeval tv;

		if (DTLSv1_get_timeout(c->ssl, &tv) && tv.tv_sec == 0 && tv.tv_usec == 0) {
			DTLSv1_handle_timeout(c->ssl);
			dtls_flush(c);
		}
	}
}

/* ---- packets ---------------------------------------------------------- */

static void fill_rtp(uint8_t *p, int pt, uint16_t seq, uint32_t ssrc, int call, int dir)
{
	int64_t t = real_ns();

	memset(p, 0, RTP_LEN);
	p[0] = 0x80, p[1] = (uint8_t)pt;
	p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
	*(uint32_t *)(p + 4) = htonl((uint32_t)seq * 960u);
	*(uint32_t *)(p + 8) = htonl(ssrc);
	memcpy(p + 12, &t, 8);
	*(int32_t *)(p + 20) = G.tag;
	*(int32_t *)(p + 24) = call;
	p[28] = (uint8_t)dir;
}

static void on_media(int dir, const uint8_t *p, int len, int64_t rx_ns)
{
	int64_t t;
	int32_t tag;

	if (G.sys == SYS_TRANSCODED) {
		if (G.win.hist && G.tag == G.win.tag)
			G.win.recv[dir]++;
		return;
	}
	if (len != RTP_LEN)
		return;
	memcpy(&t, p + 12, 8);
	memcpy(&tag, p + 20, 4);
	if (tag != G.win.tag || !G.win.hist)
		return;
	G.win.recv[dir]++;
	int64_t us = (rx_ns - t) / 1000;

	if (us < 0)
		us = 0;
	if (us < HIST_US)
		G.win.hist[us]++;
	else
		G.win.late++;
}

/* Sends everything due: one sendmmsg per BATCH packets per socket. */
static struct {
	uint8_t buf[BATCH][RTP_LEN + TAG_LEN];
	struct mmsghdr mh[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to[BATCH];
	int n;
} out_c, out_t;

static void flush_out(int fd, typeof(out_c) *o)
{
	int done = 0;

	while (done < o->n) {
		int r = sendmmsg(fd, o->mh + done, (unsigned)(o->n - done), 0);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break; /* counted as sent: the loss figure then includes it */
		}
		done += r;
	}
	o->n = 0;
}

static void queue_pkt(typeof(out_c) *o, int fd, const struct sockaddr_in *to, int len)
{
	int i = o->n++;

	o->to[i] = *to;
	o->iov[i].iov_base = o->buf[i];
	o->iov[i].iov_len = (size_t)len;
	memset(&o->mh[i], 0, sizeof(o->mh[i]));
	o->mh[i].msg_hdr.msg_name = &o->to[i];
	o->mh[i].msg_hdr.msg_namelen = sizeof(o->to[i]);
	o->mh[i].msg_hdr.msg_iov = &o->iov[i];
	o->mh[i].msg_hdr.msg_iovlen = 1;
	if (o->n == BATCH)
		flush_out(fd, o);
}

/* G.711 mu-law of a 16-bit sample. */
static uint8_t mulaw(int16_t pcm)
{
	int v = pcm, sign = v < 0 ? 0x80 : 0, exp = 7;

	if (v < 0)
		v = -v;
	v += 0x84;
	if (v > 0x7fff)
		v = 0x7fff;
	while (exp > 0 && !(v & (0x4000 >> (7 - exp))))
		exp--;
	return (uint8_t)~(sign | (exp << 4) | ((v >> (exp + 3)) & 0x0f));
}

static void make_tone_frames(void)
{
	int err;
	OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
	int16_t pcm[960];

	if (!enc)
		die("opus encoder");
	for (int f = 0; f < OPUS_FRAMES; f++) {
		for (int i = 0; i < 960; i++)
			pcm[i] = (int16_t)(8000 * sin(2 * M_PI * 1000 * (f * 960 + i) / 48000.0));
		opus_len[f] = opus_encode(enc, pcm, 960, opus_frame[f], sizeof(opus_frame[f]));
		if (opus_len[f] <= 0)
			die("opus encode");
		for (int i = 0; i < 160; i++)
			pcmu_frame[f][i] = mulaw(pcm[i * 6]);
	}
	opus_encoder_destroy(enc);
}

/* A transcoded call's packet: codec payload, no stamp (the transcoder
 * makes new payloads, so only counts and CPU are measured). */
static int fill_tc(uint8_t *p, bool opus, uint16_t seq, uint32_t ssrc)
{
	int f = seq % OPUS_FRAMES, len = opus ? opus_len[f] : 160;

	p[0] = 0x80, p[1] = opus ? PT_CLIENT : 0;
	p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
	*(uint32_t *)(p + 4) = htonl((uint32_t)seq * (opus ? 960u : 160u));
	*(uint32_t *)(p + 8) = htonl(ssrc);
	memcpy(p + 12, opus ? opus_frame[f] : pcmu_frame[f], (size_t)len);
	return 12 + len;
}

static void send_due(int64_t now)
{
	for (int i = 0; i < G.n; i++) {
		gcall_t *c = &G.calls[i];

		if (c->state != 3 || (!G.saturate && now < c->next_due))
			continue;
		if (!G.saturate && now - c->next_due > 5000000 && G.win.hist && G.tag == G.win.tag)
			G.win.sent_late++;
		c->next_due += PERIOD_NS;
		if (c->next_due < now)
			c->next_due = now + PERIOD_NS - (now - c->phase) % PERIOD_NS;
		if (G.sys == SYS_TRANSCODED) {
			int l = fill_tc(out_c.buf[out_c.n], true, ++c->seq_c, c->ssrc_c);

			queue_pkt(&out_c, G.cli_fd, &c->cli, gcm_protect(&c->tx, out_c.buf[out_c.n], l));
			queue_pkt(&out_t, G.trk_fd, &c->trk,
				  fill_tc(out_t.buf[out_t.n], false, ++c->seq_t, c->ssrc_t));
		} else {
			fill_rtp(out_c.buf[out_c.n], PT_CLIENT, ++c->seq_c, c->ssrc_c, i, 0);
			queue_pkt(&out_c, G.cli_fd, &c->cli,
				  gcm_protect(&c->tx, out_c.buf[out_c.n], RTP_LEN));
			fill_rtp(out_t.buf[out_t.n], G.sys == SYS_RELAY ? PT_TRUNK : PT_CLIENT,
				 ++c->seq_t, c->ssrc_t, i, 1);
			queue_pkt(&out_t, G.trk_fd, &c->trk, RTP_LEN);
		}
		if (G.win.hist && G.tag == G.win.tag)
			G.win.sent[0]++, G.win.sent[1]++;
	}
	flush_out(G.cli_fd, &out_c);
	flush_out(G.trk_fd, &out_t);
}

static void on_client_packet(uint8_t *p, int len, const struct sockaddr_in *from, int64_t rx_ns)
{
	int idx = G.cli_port_to_call[ntohs(from->sin_port)] - 1;
	gcall_t *c;

	if (idx < 0 || len < 1)
		return;
	c = &G.calls[idx];
	if (p[0] < 2) { /* STUN */
		G.stun_in++;
		if (len >= 20 && p[0] == 0x00 && p[1] == 0x01) {
			uint8_t m[512];

			send_to(G.cli_fd, m, stun_response(m, p, from, c->pwd), from);
			c->answered = true;
		} else if (len >= 20 && p[0] == 0x01 && p[1] == 0x01) {
			c->got_resp = true;
		}
		if (c->state == 1 && c->got_resp && c->answered)
			start_dtls(c);
	} else if (p[0] >= 20 && p[0] < 64) {
		G.dtls_in++;
		if (c->ssl) {
			BIO_write(c->rbio, p, len);
			dtls_step(c);
		}
	} else if (p[0] >= 128 && p[0] < 192 && c->state == 3) {
		int l = gcm_unprotect(&c->rx, p, len);

		if (l < 0) {
			if (G.win.hist)
				G.win.bad[1]++;
			return;
		}
		on_media(1, p, l, rx_ns);
	}
}

static void on_trunk_packet(uint8_t *p, int len, const struct sockaddr_in *from, int64_t rx_ns)
{
	int idx = G.trk_port_to_call[ntohs(from->sin_port)] - 1;

	if (idx < 0 || len < 12 || p[0] < 128 || p[0] >= 192 || (p[1] >= 192 && p[1] <= 223))
		return; /* RTCP (RFC 5761 4) or strangers */
	on_media(0, p, len, rx_ns);
}

static void drain(int fd, bool client)
{
	static uint8_t buf[BATCH][2048];
	static struct sockaddr_in from[BATCH];
	static struct iovec iov[BATCH];
	static struct mmsghdr mh[BATCH];
	static char cbuf[BATCH][64];

	for (;;) {
		int got;

		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			memset(&mh[i], 0, sizeof(mh[i]));
			mh[i].msg_hdr.msg_name = &from[i];
			mh[i].msg_hdr.msg_namelen = sizeof(from[i]);
			mh[i].msg_hdr.msg_iov = &iov[i];
			mh[i].msg_hdr.msg_iovlen = 1;
			mh[i].msg_hdr.msg_control = cbuf[i];
			mh[i].msg_hdr.msg_controllen = sizeof(cbuf[i]);
		}
		got = recvmmsg(fd, mh, BATCH, MSG_DONTWAIT, NULL);
		if (got <= 0)
			return;
		for (int i = 0; i < got; i++) {
			int64_t rx = 0;
			struct cmsghdr *cm;

			for (cm = CMSG_FIRSTHDR(&mh[i].msg_hdr); cm; cm = CMSG_NXTHDR(&mh[i].msg_hdr, cm))
				if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
					struct timespec ts;

					memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
					rx = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
				}
			if (!rx)
				rx = real_ns();
			if (client)
				on_client_packet(buf[i], (int)mh[i].msg_len, &from[i], rx);
			else
				on_trunk_packet(buf[i], (int)mh[i].msg_len, &from[i], rx);
		}
		if (got < BATCH)
			return;
	}
}

/* ---- the relay host (child) ---------------------------------------------- */

static int relay_host(int ctl, int cpu, bool transcode)
{
	cr_relay_config_t cfg;
	cr_media_config_t mcfg;
	cr_relay_t *relay;
	char msg[CR_MAX_ERROR_LEN];
	GHashTable *by_id = g_hash_table_new(NULL, NULL);
	cr_call_t **calls = g_new0(cr_call_t *, MAX_CALLS);
	int ncalls = 0;
	static cr_event_t ev[64];

	pin(cpu);
	cr_relay_config_init(&cfg);
	cr_media_config_init(&mcfg);
	cfg.workers = 1;
	if (getenv("BENCH_RAMP_TICK_US"))
		cfg.media_tick_us = atoi(getenv("BENCH_RAMP_TICK_US"));
	cfg.max_transcoded_calls = transcode ? -1 : 0;
	mcfg.ice_addresses = "127.0.0.1";
	/* clear of the C tests' ranges (30000-33999), which may run beside */
	mcfg.ice_port_min = 40000;
	mcfg.ice_port_max = 44999;
	mcfg.sip_rtp_address = "127.0.0.1";
	mcfg.sip_port_min = 45000;
	mcfg.sip_port_max = 49999;
	cfg.media = &mcfg;
	if (cr_relay_create(&cfg, &relay, msg)) {
		fprintf(stderr, "bench_ramp: relay: %s\n", msg);
		return 1;
	}
	send(ctl, "ready", 5, 0);
	for (;;) {
		struct pollfd pfd[2] = { { .fd = ctl, .events = POLLIN },
					 { .fd = cr_relay_event_fd(relay), .events = POLLIN } };
		char line[4096], reply[4200];
		int got;

		poll(pfd, 2, 200);
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			ssize_t n = recv(ctl, line, sizeof(line) - 1, MSG_DONTWAIT);

			if (n == 0 || (n > 0 && !strncmp(line, "quit", 4)))
				break;
			if (n > 0) {
				int idx, cport, tport, off = 0;
				char uf[64], pw[64];
				cr_media_params_t p;
				cr_media_local_t local;
				cr_call_t *call;

				line[n] = 0;
				if (!strncmp(line, "stats", 5)) {
					cr_call_stats_t st;
					uint64_t s[6] = { 0 };

					for (int i = 0; i < ncalls; i++)
						if (!cr_call_get_stats(calls[i], &st)) {
							s[0] += st.client_rx_packets, s[1] += st.client_tx_packets;
							s[2] += st.sip_rx_packets, s[3] += st.sip_tx_packets;
							s[4] += st.srtp_auth_failed, s[5] += st.early_dropped;
						}
					n = snprintf(reply, sizeof(reply),
						     "stats %llu %llu %llu %llu %llu %llu",
						     (unsigned long long)s[0], (unsigned long long)s[1],
						     (unsigned long long)s[2], (unsigned long long)s[3],
						     (unsigned long long)s[4], (unsigned long long)s[5]);
					send(ctl, reply, (size_t)n, 0);
					continue;
				}
				if (sscanf(line, "call %d %63s %63s %d %d %n", &idx, uf, pw, &cport, &tport,
					   &off) != 5 || !off || ncalls >= MAX_CALLS) {
					fprintf(stderr, "bench_ramp: relay host: bad command %s\n", line);
					return 1;
				}
				if (cr_call_create(relay, &call, msg) ||
				    cr_call_get_media_local(call, &local)) {
					n = snprintf(reply, sizeof(reply), "fail %d %s", idx, msg);
					send(ctl, reply, (size_t)n, 0);
					continue;
				}
				calls[ncalls++] = call;
				g_hash_table_insert(by_id, GUINT_TO_POINTER(cr_call_id(call)),
						    GINT_TO_POINTER(idx + 1));
				cr_media_params_init(&p);
				p.ice_controlling = 0;
				p.rtcp_mux = 1;
				p.dtls_role = CR_DTLS_PASSIVE;
				g_strlcpy(p.remote_ufrag, uf, sizeof(p.remote_ufrag));
				g_strlcpy(p.remote_pwd, pw, sizeof(p.remote_pwd));
				g_strlcpy(p.remote_fingerprint, line + off, sizeof(p.remote_fingerprint));
				g_strlcpy(p.sip_remote_addr, "127.0.0.1", sizeof(p.sip_remote_addr));
				p.sip_remote_port = tport;
				if (transcode) {
					cr_codec_t cl = { PT_CLIENT, "opus", 48000, 2 },
						   sp = { 0, "PCMU", 8000, 1 };

					if (cr_call_set_transcode(call, &cl, NULL, &sp, NULL, msg)) {
						n = snprintf(reply, sizeof(reply), "fail %d %s", idx, msg);
						send(ctl, reply, (size_t)n, 0);
						continue;
					}
				} else {
					p.n_codecs = 1;
					p.codecs[0] = (cr_codec_map_t){ PT_CLIENT, { PT_TRUNK, "opus", 48000, 2 } };
				}
				if (cr_call_media_start(call, &p, msg)) {
					n = snprintf(reply, sizeof(reply), "fail %d %s", idx, msg);
					send(ctl, reply, (size_t)n, 0);
					continue;
				}
				snprintf(reply, sizeof(reply),
					 "candidate:1 1 udp 2130706431 127.0.0.1 %d typ host", cport);
				cr_call_add_remote_candidate(call, reply);
				cr_call_end_of_candidates(call);
				n = snprintf(reply, sizeof(reply), "local %d %s %s %d", idx, local.ice_ufrag,
					     local.ice_pwd, local.sip_rtp_port);
				send(ctl, reply, (size_t)n, 0);
			}
		}
		while ((got = cr_relay_poll_events(relay, ev, 64)) > 0)
			for (int i = 0; i < got; i++) {
				int idx = GPOINTER_TO_INT(
					g_hash_table_lookup(by_id, GUINT_TO_POINTER(ev[i].call_id))) - 1;
				int n = 0;

				if (idx < 0)
					continue;
				if (ev[i].type == CR_EVENT_LOCAL_CANDIDATE) {
					char addr[64];
					int port;

					if (sscanf(ev[i].text, "candidate:%*s %*d %*s %*u %63s %d", addr,
						   &port) == 2 && !strcmp(addr, "127.0.0.1"))
						n = snprintf(reply, sizeof(reply), "cand %d %d", idx, port);
				} else if (ev[i].type == CR_EVENT_DTLS_FAILED ||
					   ev[i].type == CR_EVENT_ICE_FAILED ||
					   ev[i].type == CR_EVENT_CALL_CLOSED) {
					n = snprintf(reply, sizeof(reply), "fail %d %s", idx, ev[i].text);
				}
				if (n > 0)
					send(ctl, reply, (size_t)n, 0);
			}
	}
	cr_relay_destroy(relay);
	return 0;
}

/* ---- the bare loop (child): recv -> libsrtp2 -> send ---------------------- */

typedef struct bleg {
	int fd;
	int peer;           /* index of the other leg */
	srtp_t srtp;        /* unprotect (client leg) or protect (trunk leg) */
	struct sockaddr_in to; /* where what this leg receives is sent (from the other leg's socket) */
} bleg_t;

static int bare_loop(int ctl, int cpu)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	bleg_t *legs = g_new0(bleg_t, 2 * MAX_CALLS);
	int nlegs = 0;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 0xffffffffu };
	static struct epoll_event evs[256];
	static uint8_t buf[32][2048];
	static struct iovec iov[32];
	static struct mmsghdr mh[32], omh[32];
	static struct iovec oiov[32];

	pin(cpu);
	srtp_init();
	/* The same crypto as the relay's (relay/src/media/srtp.c), so the ratio
	 * compares the loops, not NSS against OpenSSL. */
	if (cr_srtp_ossl_install())
		fprintf(stderr, "bench_ramp: bare loop keeps libsrtp2's stock crypto\n");
	epoll_ctl(ep, EPOLL_CTL_ADD, ctl, &ev);
	send(ctl, "ready", 5, 0);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, 200);

		for (int e = 0; e < n; e++) {
			uint32_t li = evs[e].data.u32;

			if (li == 0xffffffffu) {
				char line[512], reply[128];
				ssize_t l = recv(ctl, line, sizeof(line) - 1, MSG_DONTWAIT);
				int idx, cport, tport;
				char hex[2][57];
				uint8_t key[2][28];

				if (l == 0 || (l > 0 && !strncmp(line, "quit", 4)))
					return 0;
				if (l < 0)
					continue;
				line[l] = 0;
				if (sscanf(line, "call %d %56s %56s %d %d", &idx, hex[0], hex[1], &cport,
					   &tport) != 5 || nlegs + 2 > 2 * MAX_CALLS)
					return 1;
				for (int j = 0; j < 2; j++)
					for (int b = 0; b < 28; b++) {
						unsigned v;

						sscanf(hex[j] + 2 * b, "%2x", &v);
						key[j][b] = (uint8_t)v;
					}
				/* leg 0 faces the client: unprotects with the client's key;
				 * leg 1 faces the trunk: protects toward the client. */
				for (int j = 0; j < 2; j++) {
					bleg_t *g = &legs[nlegs + j];

					g->fd = udp_socket(0, 0);
					g->peer = nlegs + (1 - j);
					g->srtp = libsrtp_session(key[j], j == 0);
					g->to = (struct sockaddr_in){ .sin_family = AF_INET,
								      .sin_port = htons((uint16_t)(j ? cport : tport)),
								      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
					if (g->fd < 0 || !g->srtp)
						return 1;
					ev.data.u32 = (uint32_t)(nlegs + j);
					epoll_ctl(ep, EPOLL_CTL_ADD, g->fd, &ev);
				}
				l = snprintf(reply, sizeof(reply), "local %d %d %d", idx,
					     sock_port(legs[nlegs].fd), sock_port(legs[nlegs + 1].fd));
				nlegs += 2;
				send(ctl, reply, (size_t)l, 0);
				continue;
			}
			bleg_t *g = &legs[li];
			int got;

			for (int i = 0; i < 32; i++) {
				iov[i].iov_base = buf[i];
				iov[i].iov_len = sizeof(buf[i]) - 64;
				memset(&mh[i], 0, sizeof(mh[i]));
				mh[i].msg_hdr.msg_iov = &iov[i];
				mh[i].msg_hdr.msg_iovlen = 1;
			}
			got = recvmmsg(g->fd, mh, 32, MSG_DONTWAIT, NULL);
			int nout = 0;

			for (int i = 0; i < got; i++) {
				int len = (int)mh[i].msg_len;
				srtp_err_status_t s = (li & 1) ? srtp_protect(g->srtp, buf[i], &len)
							       : srtp_unprotect(g->srtp, buf[i], &len);

				if (s != srtp_err_status_ok)
					continue;
				/* everything read here goes to one address: one sendmmsg */
				oiov[nout].iov_base = buf[i];
				oiov[nout].iov_len = (size_t)len;
				memset(&omh[nout], 0, sizeof(omh[nout]));
				omh[nout].msg_hdr.msg_name = &g->to;
				omh[nout].msg_hdr.msg_namelen = sizeof(g->to);
				omh[nout].msg_hdr.msg_iov = &oiov[nout];
				omh[nout].msg_hdr.msg_iovlen = 1;
				nout++;
			}
			if (nout)
				(void)sendmmsg(legs[g->peer].fd, omh, (unsigned)nout, 0);
		}
	}
}

/* ---- rtpengine over ng (bencode over UDP) -------------------------------- */

static pid_t start_rtpengine(const char *dir, int cpu, int ng_port)
{
	char a[8][128];
	pid_t pid = fork();

	if (pid)
		return pid;
	pin(cpu);
	snprintf(a[0], 128, "--listen-ng=127.0.0.1:%d", ng_port);
	snprintf(a[1], 128, "--pidfile=%s/rtpengine.pid", dir);
	snprintf(a[2], 128, "--config-file=none");
	{
		char log[300];
		int fd;

		snprintf(log, sizeof(log), "%s/rtpengine.log", dir);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
	}
	execlp("rtpengine", "rtpengine", "--foreground", "--log-stderr", "--log-level=4",
	       "--table=-1", "--interface=127.0.0.1", a[0], a[1], a[2], "--port-min=50000",
	       "--port-max=59999", "--num-threads=1", "--media-num-threads=1", "--timeout=600",
	       "--delete-delay=0", (char *)NULL);
	_exit(127);
}

static size_t benc_str(char *o, const char *s)
{
	return (size_t)sprintf(o, "%zu:%s", strlen(s), s);
}

/* One ng request; returns the reply's sdp (malloc'd) or NULL. */
static char *ng_call(const char *cmd, const char *callid, const char *totag, const char *sdp)
{
	static char req[8192], rep[16384];
	static unsigned cookie;
	size_t o;
	ssize_t n;
	char *p, *end;
	long l;

	o = (size_t)sprintf(req, "%u_%u d", (unsigned)getpid(), ++cookie);
	o += benc_str(req + o, "command"), o += benc_str(req + o, cmd);
	o += benc_str(req + o, "call-id"), o += benc_str(req + o, callid);
	o += benc_str(req + o, "from-tag"), o += benc_str(req + o, "client");
	if (totag)
		o += benc_str(req + o, "to-tag"), o += benc_str(req + o, totag);
	o += benc_str(req + o, "sdp"), o += benc_str(req + o, sdp);
	o += benc_str(req + o, "ICE"), o += benc_str(req + o, "remove");
	if (!totag) {
		o += benc_str(req + o, "transport-protocol"), o += benc_str(req + o, "RTP/AVP");
		o += benc_str(req + o, "rtcp-mux"), o += (size_t)sprintf(req + o, "l");
		o += benc_str(req + o, "demux"), o += (size_t)sprintf(req + o, "e");
	}
	o += (size_t)sprintf(req + o, "e");
	sendto(G.ng_fd, req, o, 0, (struct sockaddr *)&G.ng_addr, sizeof(G.ng_addr));
	for (int64_t end_t = mono_ns() + 3000000000LL; mono_ns() < end_t;) {
		struct pollfd pfd = { .fd = G.ng_fd, .events = POLLIN };

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(G.ng_fd, rep, sizeof(rep) - 1, 0);
		if (n <= 0)
			continue;
		rep[n] = 0;
		p = strstr(rep, "3:sdp");
		if (!p) {
			fprintf(stderr, "bench_ramp: rtpengine %s: %s\n", cmd, rep);
			return NULL;
		}
		l = strtol(p + 5, &end, 10);
		if (*end != ':' || l <= 0 || end + 1 + l > rep + n)
			return NULL;
		return g_strndup(end + 1, (gsize)l);
	}
	fprintf(stderr, "bench_ramp: rtpengine %s: no answer\n", cmd);
	return NULL;
}

static int sdp_port(const char *sdp)
{
	const char *m = strstr(sdp, "m=audio ");

	return m ? atoi(m + 8) : 0;
}

/* ---- setting calls up ------------------------------------------------- */

static void rand_alnum(char *s, int n)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	uint8_t r[64];

	RAND_bytes(r, n);
	for (int i = 0; i < n; i++)
		s[i] = al[r[i] % 62];
	s[n] = 0;
}

static void hexstr(char *o, const uint8_t *p, int n)
{
	for (int i = 0; i < n; i++)
		sprintf(o + 2 * i, "%02x", p[i]);
}

static void init_call(int i)
{
	gcall_t *c = &G.calls[i];
	uint32_t r[2];

	memset(c, 0, sizeof(*c));
	rand_alnum(c->ufrag, 8);
	rand_alnum(c->pwd, 24);
	RAND_bytes((uint8_t *)r, sizeof(r));
	c->ssrc_c = r[0] | 1, c->ssrc_t = r[1] | 2;
	/* phases spread over the period by the golden ratio */
	c->phase = (int64_t)((double)i * 0.6180339887 * (double)PERIOD_NS) % PERIOD_NS;
	c->cli.sin_family = c->trk.sin_family = AF_INET;
	c->cli.sin_addr.s_addr = c->trk.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static void ctl_message(char *line)
{
	int idx, a, b;
	char s1[260], s2[260];

	if (sscanf(line, "local %d %259s %259s %d", &idx, s1, s2, &a) == 4 && IS_RELAY(G.sys)) {
		gcall_t *c = &G.calls[idx];

		g_strlcpy(c->r_ufrag, s1, sizeof(c->r_ufrag));
		g_strlcpy(c->r_pwd, s2, sizeof(c->r_pwd));
		c->trk.sin_port = htons((uint16_t)a);
		G.trk_port_to_call[a] = (uint16_t)(idx + 1);
	} else if (sscanf(line, "local %d %d %d", &idx, &a, &b) == 3 && G.sys == SYS_BARE) {
		gcall_t *c = &G.calls[idx];

		c->cli.sin_port = htons((uint16_t)a);
		c->trk.sin_port = htons((uint16_t)b);
		G.cli_port_to_call[a] = (uint16_t)(idx + 1);
		G.trk_port_to_call[b] = (uint16_t)(idx + 1);
		c->state = 3;
		G.keyed++;
	} else if (sscanf(line, "cand %d %d", &idx, &a) == 2) {
		gcall_t *c = &G.calls[idx];

		c->cli.sin_port = htons((uint16_t)a);
		G.cli_port_to_call[a] = (uint16_t)(idx + 1);
		if (c->state == 0)
			c->state = 1, c->next_check = 0;
	} else if (sscanf(line, "fail %d", &idx) == 1) {
		if (G.calls[idx].state != -1) {
			if (G.calls[idx].state == 3)
				G.keyed--;
			G.calls[idx].state = -1;
			G.failed++;
			fprintf(stderr, "bench_ramp: %s\n", line);
		}
	} else if (!strncmp(line, "stats", 5)) {
		fprintf(stderr, "bench_ramp: relay %s\n", line);
	}
}

static void start_call(int i)
{
	gcall_t *c = &G.calls[i];

	init_call(i);
	if (IS_RELAY(G.sys)) {
		ctl_send("call %d %s %s %d %d %s", i, c->ufrag, c->pwd, sock_port(G.cli_fd),
			 sock_port(G.trk_fd), G.fingerprint);
	} else if (G.sys == SYS_BARE) {
		uint8_t k[2][28];
		char h[2][57];

		RAND_bytes(&k[0][0], sizeof(k));
		hexstr(h[0], k[0], 28);
		hexstr(h[1], k[1], 28);
		/* client->bare with k0, bare->client with k1 */
		gcm_init(&c->tx, k[0], k[0] + 16, true);
		gcm_init(&c->rx, k[1], k[1] + 16, false);
		ctl_send("call %d %s %s %d %d", i, h[0], h[1], sock_port(G.cli_fd), sock_port(G.trk_fd));
	} else {
		uint8_t k[28], rk[32];
		char b64[64], sdp[1024], callid[32], *o, *a, *p;
		int n;

		RAND_bytes(k, sizeof(k));
		EVP_EncodeBlock((unsigned char *)b64, k, 28);
		snprintf(callid, sizeof(callid), "bench-%d-%d", (int)getpid(), i);
		snprintf(sdp, sizeof(sdp),
			 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
			 "m=audio %d RTP/SAVP %d\r\na=rtpmap:%d opus/48000/2\r\n"
			 "a=crypto:1 AEAD_AES_128_GCM inline:%s\r\na=sendrecv\r\n",
			 sock_port(G.cli_fd), PT_CLIENT, PT_CLIENT, b64);
		o = ng_call("offer", callid, NULL, sdp);
		if (!o) {
			c->state = -1, G.failed++;
			return;
		}
		c->trk.sin_port = htons((uint16_t)sdp_port(o));
		G.trk_port_to_call[sdp_port(o)] = (uint16_t)(i + 1);
		g_free(o);
		snprintf(sdp, sizeof(sdp),
			 "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
			 "m=audio %d RTP/AVP %d\r\na=rtpmap:%d opus/48000/2\r\na=sendrecv\r\n",
			 sock_port(G.trk_fd), PT_CLIENT, PT_CLIENT);
		a = ng_call("answer", callid, "trunk", sdp);
		p = a ? strstr(a, "AEAD_AES_128_GCM inline:") : NULL;
		n = 0;
		if (p) {
			/* rtpengine leaves the base64 padding out; EVP wants it */
			char b[64] = { 0 };
			size_t l = strcspn(p + 24, "|\r\n");

			if (l < 40) {
				memcpy(b, p + 24, l);
				while (l % 4)
					b[l++] = '=';
				n = EVP_DecodeBlock(rk, (const unsigned char *)b, (int)l);
			}
		}
		if (n < 28) {
			fprintf(stderr, "bench_ramp: rtpengine answer without a GCM key: %s\n",
				a ? a : "(none)");
			g_free(a);
			c->state = -1, G.failed++;
			return;
		}
		c->cli.sin_port = htons((uint16_t)sdp_port(a));
		G.cli_port_to_call[sdp_port(a)] = (uint16_t)(i + 1);
		g_free(a);
		call_keyed(c, k, k + 16, rk, rk + 16);
	}
}

static void serve_ctl(void)
{
	char line[4200];
	ssize_t l;

	while (G.ctl >= 0 && (l = recv(G.ctl, line, sizeof(line) - 1, MSG_DONTWAIT)) > 0) {
		line[l] = 0;
		ctl_message(line);
	}
}

/* One turn of the event loop: wait up to the next tick, then serve.
 * While media flows the generator sleeps on its 1 ms timer alone and
 * drains its sockets at each tick: on a network the far end is another
 * machine, while a sleeper on a loopback socket makes every packet the
 * system under test sends also pay for waking the generator (a wake-up of
 * another core, inside the sender's system call, counted as the system's
 * CPU). Receive times are the kernel's (SO_TIMESTAMPNS): reading at the
 * tick does not change the latency figures. */
static void turn(void)
{
	struct epoll_event evs[8];
	bool tick_only = G.sending && !G.saturate && !G.wake_on_packets;
	int n = epoll_wait(tick_only ? G.ep_tick : G.ep, evs, 8, G.saturate ? 0 : 5);
	int64_t now = mono_ns();

	for (int e = 0; e < n; e++) {
		int fd = evs[e].data.fd;

		if (fd == G.tfd) {
			uint64_t x;

			(void)!read(G.tfd, &x, sizeof(x));
		} else if (fd == G.cli_fd) {
			drain(G.cli_fd, true);
		} else if (fd == G.trk_fd) {
			drain(G.trk_fd, false);
		} else if (fd == G.ctl) {
			serve_ctl();
		}
	}
	if (IS_RELAY(G.sys))
		for (int i = 0; i < G.n; i++)
			if (G.calls[i].state == 1 || G.calls[i].state == 2)
				check_call(&G.calls[i], now);
	if (G.sending)
		send_due(now);
	if (tick_only) { /* after sending: the due packets leave on time */
		drain(G.cli_fd, true);
		drain(G.trk_fd, false);
		serve_ctl();
	}
}

/* Grows to n calls, a bounded number of set-ups in flight. */
static int ramp_to(int n)
{
	int64_t deadline = mono_ns() + (int64_t)(30 + n / 20) * 1000000000LL;

	while (mono_ns() < deadline) {
		int pending = G.n - G.keyed - G.failed;

		while (G.n < n && pending < SETUP_INFLIGHT) {
			start_call(G.n++);
			pending++;
		}
		if (G.keyed + G.failed >= n)
			break;
		turn();
	}
	for (int i = 0; i < G.n; i++)
		if (G.calls[i].state == 3 && G.calls[i].next_due == 0)
			G.calls[i].next_due = mono_ns() + G.calls[i].phase;
	return G.keyed;
}

typedef struct result {
	int n, up;
	double cpu, calls_per_core, loss_pct, p50, p99, rss_kib;
	uint64_t sent, recv, bad;
	double sat_calls_per_core, sat_cpu, sat_forwarded_pct;
	double gen_cpu;          /* the generator's own cores, for the record */
	double gen_late_pct;     /* packets the generator sent > 5 ms late: it, not the SUT, fell behind */
	double load1;            /* the machine's 1-minute load average after the window */
	bool skipped;            /* not run: the N before lost too much */
} result_t;

/* A row measures the system when every call was up, the generator kept
 * its pace (< 1 % of packets sent > 5 ms late) and, for "held", less than
 * 0.1 % was lost. */
static const char *verdict(const result_t *r)
{
	if (r->skipped || r->up <= 0)
		return "not_run";
	if (r->up < r->n)
		return "not_all_up";
	if (r->gen_late_pct >= 1.0)
		return "generator_behind";
	if (r->loss_pct >= 0.1)
		return "lost";
	return "held";
}

static bool valid(const result_t *r)
{
	const char *v = verdict(r);

	return !strcmp(v, "held") || !strcmp(v, "lost");
}

/* The saturated figure counts when (nearly) every queued packet came back:
 * none was dropped from a full socket buffer. */
static bool sat_valid(const result_t *r)
{
	return r->sat_forwarded_pct >= 99.0 && r->sat_calls_per_core > 0;
}

static void ratio_str(char *b, double num, double den, bool ok)
{
	if (ok && num > 0 && den > 0)
		snprintf(b, 24, "%.2f", num / den);
	else
		snprintf(b, 24, "n/a");
}

static double loadavg1(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static double pct(const uint32_t *h, uint64_t total, double q)
{
	uint64_t want = (uint64_t)((double)total * q), acc = 0;

	for (int i = 0; i < HIST_US; i++) {
		acc += h[i];
		if (acc > want)
			return (double)i / 1000.0;
	}
	return (double)HIST_US / 1000.0;
}

/* Runs the loop for `ns` nanoseconds. */
static void run_for(int64_t ns)
{
	for (int64_t end = mono_ns() + ns; mono_ns() < end;)
		turn();
}

static void measure(result_t *r, int seconds, long rss0)
{
	double c0, c1, t0, t1, g0, g1;

	G.sending = true;
	run_for(1000000000LL); /* settle */
	memset(&G.win, 0, sizeof(G.win));
	G.win.hist = g_new0(uint32_t, HIST_US);
	G.win.tag = ++G.tag;
	c0 = proc_cpu(G.pid, G.skip_tid);
	g0 = proc_cpu(getpid(), 0);
	t0 = (double)mono_ns() / 1e9;
	run_for((int64_t)seconds * 1000000000LL);
	c1 = proc_cpu(G.pid, G.skip_tid);
	g1 = proc_cpu(getpid(), 0);
	t1 = (double)mono_ns() / 1e9;
	r->gen_cpu = (g1 - g0) / (t1 - t0);
	r->gen_late_pct = G.win.sent[0] ? 100.0 * (double)G.win.sent_late / (double)G.win.sent[0] : 0;
	G.tag++;                 /* what follows is not counted */
	run_for(300000000LL);    /* stragglers of the window */
	r->cpu = (c1 - c0) / (t1 - t0);
	r->up = G.keyed;
	r->calls_per_core = r->cpu > 0 ? r->up / r->cpu : 0;
	r->sent = G.win.sent[0] + G.win.sent[1];
	r->recv = G.win.recv[0] + G.win.recv[1];
	r->bad = G.win.bad[0] + G.win.bad[1];
	r->loss_pct = r->sent ? 100.0 * (double)(r->sent - (r->recv < r->sent ? r->recv : r->sent)) /
				  (double)r->sent : 100;
	r->p50 = pct(G.win.hist, r->recv, 0.50);
	r->p99 = pct(G.win.hist, r->recv, 0.99);
	r->rss_kib = r->up ? (double)(proc_rss_kib(G.pid) - rss0) / r->up : 0;
	r->load1 = loadavg1();
	g_free(G.win.hist);
	G.win.hist = NULL;
	/* Saturated: the loop is stopped (SIGSTOP) while every call queues
	 * SAT_ROUNDS packets each way in its sockets, then let go: forwarded
	 * packets per CPU second of the loop while it always finds packets
	 * waiting, as calls of 100 packets/s. The generator, no faster than
	 * the loop per packet, could not saturate it by sending live. */
	if (G.sys == SYS_BARE) {
		uint64_t got = 0, sent;
		int64_t quiet_since;

		memset(&G.win, 0, sizeof(G.win));
		G.win.hist = g_new0(uint32_t, HIST_US);
		G.win.tag = ++G.tag;
		G.sending = false;
		kill(G.pid, SIGSTOP);
		run_for(100000000LL); /* what was in flight comes back */
		G.saturate = true;
		for (int k = 0; k < SAT_ROUNDS; k++)
			send_due(mono_ns());
		G.saturate = false;
		sent = G.win.sent[0] + G.win.sent[1];
		c0 = proc_cpu(G.pid, G.skip_tid);
		t0 = (double)mono_ns() / 1e9;
		kill(G.pid, SIGCONT);
		quiet_since = mono_ns();
		for (int64_t end = mono_ns() + 5000000000LL; mono_ns() < end;) {
			turn();
			if (G.win.recv[0] + G.win.recv[1] != got) {
				got = G.win.recv[0] + G.win.recv[1];
				quiet_since = mono_ns();
			} else if (mono_ns() - quiet_since > 200000000LL || got >= sent) {
				break;
			}
		}
		c1 = proc_cpu(G.pid, G.skip_tid);
		t1 = (double)mono_ns() / 1e9;
		G.tag++;
		r->sat_cpu = (c1 - c0) / (t1 - t0);
		r->sat_calls_per_core = c1 > c0 ? (double)got / (c1 - c0) / 100.0 : 0;
		r->sat_forwarded_pct = sent ? 100.0 * (double)got / (double)sent : 0;
		g_free(G.win.hist);
		G.win.hist = NULL;
		G.sending = true;
		for (int i = 0; i < G.n; i++)
			G.calls[i].next_due = mono_ns() + G.calls[i].phase;
	}
}

static void gen_reset(void)
{
	for (int i = 0; i < G.n; i++) {
		gcall_t *c = &G.calls[i];

		if (c->ssl)
			SSL_free(c->ssl);
		if (c->tx.ctx)
			EVP_CIPHER_CTX_free(c->tx.ctx);
		if (c->rx.ctx)
			EVP_CIPHER_CTX_free(c->rx.ctx);
	}
	memset(G.calls, 0, sizeof(gcall_t) * MAX_CALLS);
	memset(G.cli_port_to_call, 0, sizeof(G.cli_port_to_call));
	memset(G.trk_port_to_call, 0, sizeof(G.trk_port_to_call));
	G.n = G.keyed = G.failed = 0;
	G.sending = false;
}

static int wait_ready(int fd)
{
	char b[16];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, 20000) <= 0 || recv(fd, b, sizeof(b), 0) <= 0)
		return -1;
	return 0;
}

static void stop_child(pid_t pid, int ctl)
{
	int st;

	if (ctl >= 0) {
		send(ctl, "quit", 4, 0);
		for (int i = 0; i < 100 && waitpid(pid, &st, WNOHANG) == 0; i++)
			usleep(100000);
	} else {
		kill(pid, SIGTERM);
		for (int i = 0; i < 50 && waitpid(pid, &st, WNOHANG) == 0; i++)
			usleep(100000);
	}
	if (waitpid(pid, &st, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
}

static int run_system(int sys, const int *ns, int nn, int seconds, int cpu_gen, int cpu_sut,
		      result_t *res)
{
	int sv[2] = { -1, -1 };
	char tmpdir[] = "/tmp/bench_ramp.XXXXXX";
	long rss0;
	struct epoll_event ev = { .events = EPOLLIN };
	double stop_loss = getenv("BENCH_RAMP_STOP_LOSS") ? atof(getenv("BENCH_RAMP_STOP_LOSS")) : 1;

	(void)cpu_gen;
	gen_reset();
	G.sys = sys;
	G.ctl = -1;
	if (sys == SYS_RTPENGINE) {
		int port;

		if (!mkdtemp(tmpdir))
			return -1;
		/* a port free now for rtpengine's ng socket */
		G.ng_fd = udp_socket(0, 0);
		port = sock_port(G.ng_fd);
		close(G.ng_fd);
		G.ng_fd = udp_socket(0, 0);
		G.ng_addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
						  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		G.pid = start_rtpengine(tmpdir, cpu_sut, port);
		G.skip_tid = 0;
		/* ready when it answers a ping */
		for (int i = 0; i < 50; i++) {
			char rep[256];
			const char *ping = "1 d7:command4:pinge";
			struct pollfd pfd = { .fd = G.ng_fd, .events = POLLIN };

			sendto(G.ng_fd, ping, strlen(ping), 0, (struct sockaddr *)&G.ng_addr,
			       sizeof(G.ng_addr));
			if (poll(&pfd, 1, 200) > 0 && recv(G.ng_fd, rep, sizeof(rep), 0) > 0)
				goto up;
		}
		fprintf(stderr, "bench_ramp: rtpengine did not start (log in %s)\n", tmpdir);
		stop_child(G.pid, -1);
		return -1;
up:;
	} else {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
			return -1;
		G.pid = fork();
		if (G.pid == 0) {
			close(sv[0]);
			close(G.cli_fd);
			close(G.trk_fd);
			close(G.ep);
			close(G.tfd);
			_exit(IS_RELAY(sys) ? relay_host(sv[1], cpu_sut, sys == SYS_TRANSCODED)
					   : bare_loop(sv[1], cpu_sut));
		}
		close(sv[1]);
		G.ctl = sv[0];
		G.skip_tid = IS_RELAY(sys) ? G.pid : 0;
		if (wait_ready(G.ctl)) {
			fprintf(stderr, "bench_ramp: %s did not start\n", sys_name[sys]);
			stop_child(G.pid, G.ctl);
			return -1;
		}
		ev.data.fd = G.ctl;
		epoll_ctl(G.ep, EPOLL_CTL_ADD, G.ctl, &ev);
	}
	usleep(200000);
	rss0 = proc_rss_kib(G.pid);
	for (int k = 0; k < nn; k++) {
		result_t *r = &res[k];

		memset(r, 0, sizeof(*r));
		r->n = ns[k];
		if (ramp_to(ns[k]) < ns[k]) {
			/* Measured all the same (the table shows up < N, the
			 * summary never takes it); no larger N after it. */
			fprintf(stderr, "bench_ramp: %s: %d of %d calls up (%d failed)\n", sys_name[sys],
				G.keyed, ns[k], G.failed);
			r->up = G.keyed;
			for (int j = k + 1; j < nn; j++)
				res[j].n = ns[j], res[j].skipped = true;
			if (G.keyed > 0)
				measure(r, seconds, rss0);
			break;
		}
		measure(r, seconds, rss0);
		if (r->loss_pct >= stop_loss && k + 1 < nn) {
			/* More calls on a system that already drops this much
			 * measure nothing but its overload. */
			fprintf(stderr, "bench_ramp: %s lost %.1f %% at N=%d: larger N skipped\n",
				sys_name[sys], r->loss_pct, r->n);
			for (int j = k + 1; j < nn; j++)
				res[j].n = ns[j], res[j].skipped = true;
			break;
		}
		fprintf(stderr, "bench_ramp: %s N=%d cpu=%.3f loss=%.3f%% p50=%.2fms p99=%.2fms\n",
			sys_name[sys], r->n, r->cpu, r->loss_pct, r->p50, r->p99);
	}
	G.sending = false;
	if (G.ctl >= 0 && sys == SYS_RELAY && getenv("BENCH_RAMP_DEBUG")) {
		ctl_send("stats");
		run_for(200000000LL);
	}
	if (G.ctl >= 0) {
		epoll_ctl(G.ep, EPOLL_CTL_DEL, G.ctl, NULL);
		stop_child(G.pid, G.ctl);
		close(G.ctl);
		G.ctl = -1;
	} else {
		stop_child(G.pid, -1);
		close(G.ng_fd);
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "%s/rtpengine.pid", tmpdir);
		unlink(cmd);
		snprintf(cmd, sizeof(cmd), "%s/rtpengine.log", tmpdir);
		unlink(cmd);
		rmdir(tmpdir);
	}
	return 0;
}

static const char *ms(char *b, double v)
{
	if (v >= HIST_US / 1000.0)
		snprintf(b, 16, ">%d", HIST_US / 1000);
	else
		snprintf(b, 16, "%.3f", v);
	return b;
}

/* RSS per call counts what the process set up once (threads, OpenSSL,
 * libnice's first agent) against the calls of that row, which weighs most at
 * small N. The growth from the row before over the calls added since is
 * what one more call costs ("n/a" for the first row). */
static const char *rss_added(char b[16], const result_t *r, int k)
{
	const result_t *p = k > 0 ? &r[k - 1] : NULL;

	if (!p || p->skipped || p->up <= 0 || r[k].up <= p->up)
		return "n/a";
	snprintf(b, 16, "%.1f", (r[k].rss_kib * r[k].up - p->rss_kib * p->up) / (r[k].up - p->up));
	return b;
}

static void print_table(int sys, const result_t *r, int nn)
{
	char b1[16], b2[16], b3[16];

	if (sys == SYS_TRANSCODED)
		printf("\n# transcoded (relay, Opus <-> PCMU on one worker): N calls, 50 packets/s each "
		       "way each; latency not measured (the transcoder makes new payloads)\n");
	else
		printf("\n# %s: N calls, 50 packets/s each way each (172-byte RTP); cpu in cores of the "
		       "system's own threads; p50/p99 one-way ms; rss per call KiB%s\n", sys_name[sys],
		       sys == SYS_BARE ? "; saturated: packets queued while the loop was stopped, "
					 "forwarded per CPU second" : "");
	for (int k = 0; k < nn; k++) {
		if (r[k].skipped) {
			printf("%s_ramp N=%d skipped (a smaller N lost >= BENCH_RAMP_STOP_LOSS, default 1 %%, "
			       "or did not set every call up)\n", sys_name[sys], r[k].n);
			continue;
		}
		if (r[k].up < 0 || (r[k].up < r[k].n && r[k].cpu == 0)) {
			printf("%s_ramp N=%d not_set_up (%d calls up)\n", sys_name[sys], r[k].n,
			       r[k].up < 0 ? 0 : r[k].up);
			continue;
		}
		printf("%s_ramp N=%-5d up=%-5d cpu=%.3f cpu_per_call_ms=%.4f calls_per_core=%.0f "
		       "loss_pct=%.3f p50_ms=%s p99_ms=%s rss_per_call_kib=%.1f rss_added_per_call_kib=%s "
		       "generator_cpu=%.2f generator_late_pct=%.2f load=%.2f verdict=%s",
		       sys_name[sys], r[k].n, r[k].up, r[k].cpu, 1000.0 * r[k].cpu / r[k].up,
		       r[k].calls_per_core, r[k].loss_pct,
		       sys == SYS_TRANSCODED ? "n/a" : ms(b1, r[k].p50),
		       sys == SYS_TRANSCODED ? "n/a" : ms(b2, r[k].p99), r[k].rss_kib,
		       rss_added(b3, r, k), r[k].gen_cpu, r[k].gen_late_pct, r[k].load1, verdict(&r[k]));
		if (sys == SYS_BARE)
			printf(" saturated_calls_per_core=%.0f saturated_forwarded_pct=%.1f%s",
			       r[k].sat_calls_per_core, r[k].sat_forwarded_pct,
			       sat_valid(&r[k]) ? "" : " (not valid: queued packets were lost)");
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	int ns[16], nn = 0, seconds, ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	int cpu_gen = ncpu >= 2 ? 0 : -1, cpu_sut = ncpu >= 2 ? 1 : -1;
	static result_t res[N_SYS][16];
	bool want[N_SYS] = { false, false, false, false };
	int tns[16], tnn = 0;
	char *list;
	struct itimerspec its = { .it_interval = { 0, 1000000 }, .it_value = { 0, 1000000 } };
	struct epoll_event ev = { .events = EPOLLIN };
	int on = 1;
	bool gen_fifo = false;

	if (argc < 4) {
		fprintf(stderr, "usage: bench_ramp N1,N2,... SECONDS relay,bare,rtpengine,transcoded\n");
		fprintf(stderr, "  env: BENCH_RAMP_TRANSCODED (20,50), BENCH_RAMP_STOP_LOSS (1), BENCH_RAMP_NICE,\n");
		fprintf(stderr, "  BENCH_RAMP_GEN_FIFO (1), BENCH_SRTP_SESSIONS (1,100,400,1000,2000),\n");
		fprintf(stderr, "  BENCH_CPU_GEN, BENCH_CPU_SUT (0 and 1 with two cores or more)\n");
		return 2;
	}
	for (char *t = strtok(argv[1], ","); t && nn < 16; t = strtok(NULL, ","))
		if ((ns[nn] = atoi(t)) > 0 && ns[nn] <= MAX_CALLS && (!nn || ns[nn] > ns[nn - 1]))
			nn++;
	seconds = atoi(argv[2]);
	list = argv[3];
	want[SYS_RELAY] = strstr(list, "relay") != NULL;
	want[SYS_BARE] = strstr(list, "bare") != NULL;
	want[SYS_RTPENGINE] = strstr(list, "rtpengine") != NULL;
	want[SYS_TRANSCODED] = strstr(list, "transcoded") != NULL;
	{
		/* transcoded calls cost far more: their own, smaller ramp */
		char *tl = g_strdup(getenv("BENCH_RAMP_TRANSCODED") ? getenv("BENCH_RAMP_TRANSCODED")
								     : "20,50");

		for (char *t = strtok(tl, ","); t && tnn < 16; t = strtok(NULL, ","))
			if ((tns[tnn] = atoi(t)) > 0 && tns[tnn] <= MAX_CALLS &&
			    (!tnn || tns[tnn] > tns[tnn - 1]))
				tnn++;
		g_free(tl);
		if (!tnn)
			want[SYS_TRANSCODED] = false;
	}
	if (!nn || seconds < 1)
		return 2;
	if (getenv("BENCH_CPU_GEN"))
		cpu_gen = atoi(getenv("BENCH_CPU_GEN"));
	if (getenv("BENCH_CPU_SUT"))
		cpu_sut = atoi(getenv("BENCH_CPU_SUT"));
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	/* BENCH_RAMP_NICE=-10: the generator and every system under test
	 * (children inherit it) ahead of the machine's other work. Off by
	 * default: on a shared machine that work is someone else's. */
	if (getenv("BENCH_RAMP_NICE") && setpriority(PRIO_PROCESS, 0, atoi(getenv("BENCH_RAMP_NICE"))))
		perror("bench_ramp: setpriority");
	/* The generator keeps its pace as a real-time thread (it sleeps on a
	 * 1 ms timer and uses a fraction of its core), so the machine's other
	 * work delays the systems under test, which is measured, and not the
	 * packets they are offered. SCHED_RESET_ON_FORK: the relay, the bare
	 * loop and rtpengine run as ordinary processes. BENCH_RAMP_GEN_FIFO=0
	 * turns it off; without the privilege it is skipped (and said). */
	if (!getenv("BENCH_RAMP_GEN_FIFO") || atoi(getenv("BENCH_RAMP_GEN_FIFO"))) {
		struct sched_param sp = { .sched_priority = 1 };

		gen_fifo = !sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp);
	}
	srtp_init();
	srtp_self_test();
	pin(cpu_gen);

	G.calls = g_new0(gcall_t, MAX_CALLS);
	G.ssl_ctx = SSL_CTX_new(DTLS_client_method());
	make_cert(G.ssl_ctx, G.fingerprint, sizeof(G.fingerprint));
	SSL_CTX_set_tlsext_use_srtp(G.ssl_ctx, "SRTP_AEAD_AES_128_GCM");
	SSL_CTX_set_verify(G.ssl_ctx, SSL_VERIFY_PEER, accept_any);
	G.cli_fd = udp_socket(0, 64 << 20);
	G.trk_fd = udp_socket(0, 64 << 20);
	if (G.cli_fd < 0 || G.trk_fd < 0)
		die("sockets");
	setsockopt(G.cli_fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	setsockopt(G.trk_fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	G.ep = epoll_create1(EPOLL_CLOEXEC);
	G.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	timerfd_settime(G.tfd, 0, &its, NULL);
	ev.data.fd = G.tfd;
	epoll_ctl(G.ep, EPOLL_CTL_ADD, G.tfd, &ev);
	G.ep_tick = epoll_create1(EPOLL_CLOEXEC);
	epoll_ctl(G.ep_tick, EPOLL_CTL_ADD, G.tfd, &ev);
	G.wake_on_packets = getenv("BENCH_RAMP_GEN_WAKE") && atoi(getenv("BENCH_RAMP_GEN_WAKE"));
	ev.data.fd = G.cli_fd;
	epoll_ctl(G.ep, EPOLL_CTL_ADD, G.cli_fd, &ev);
	ev.data.fd = G.trk_fd;
	epoll_ctl(G.ep, EPOLL_CTL_ADD, G.trk_fd, &ev);

	printf("ramp_generator separate process, cpu %d; system under test cpu %d (-1: not pinned)\n",
	       cpu_gen, cpu_sut);
	printf("ramp_generator_wait %s\n",
	       G.wake_on_packets ? "on its sockets and its 1 ms timer (BENCH_RAMP_GEN_WAKE=1)"
				 : "on its 1 ms timer alone while media flows, its sockets drained at "
				   "each tick (BENCH_RAMP_GEN_WAKE=1: on its sockets too)");
	printf("ramp_priority nice %d (BENCH_RAMP_NICE); generator %s\n", getpriority(PRIO_PROCESS, 0),
	       gen_fifo ? "SCHED_FIFO 1, the systems under test SCHED_OTHER"
			: "SCHED_OTHER (BENCH_RAMP_GEN_FIFO=0 or not permitted)");
	printf("ramp_window %d s per N, 50 packets/s each way per call, 172-byte RTP, "
	       "SRTP AEAD_AES_128_GCM on the client leg\n", seconds);
	fflush(stdout);
	make_tone_frames();
	{
		/* BENCH_SRTP_SESSIONS: the session counts of the srtp_cost lines; "" = none */
		char *sl = g_strdup(getenv("BENCH_SRTP_SESSIONS") ? getenv("BENCH_SRTP_SESSIONS")
								  : "1,100,400,1000,2000");

		for (char *t = strtok(sl, ","); t; t = strtok(NULL, ","))
			if (atoi(t) > 0 && atoi(t) <= 2 * MAX_CALLS)
				srtp_cost(atoi(t));
		g_free(sl);
		fflush(stdout);
	}
	for (int s = 0; s < N_SYS; s++)
		if (want[s] && s == SYS_TRANSCODED) {
			if (run_system(s, tns, tnn, seconds, cpu_gen, cpu_sut, res[s]))
				for (int k = 0; k < tnn; k++)
					res[s][k].n = tns[k], res[s][k].up = -1;
			print_table(s, res[s], tnn);
			fflush(stdout);
		} else if (want[s]) {
			if (run_system(s, ns, nn, seconds, cpu_gen, cpu_sut, res[s])) {
				for (int k = 0; k < nn; k++)
					res[s][k].n = ns[k], res[s][k].up = -1;
			}
			print_table(s, res[s], nn);
			fflush(stdout);
		}

	/* The summary: the largest N the relay held (every call up, < 0.1 % loss). */
	{
		int best = -1;

		for (int k = 0; k < nn; k++)
			if (!strcmp(verdict(&res[SYS_RELAY][k]), "held"))
				best = k;
		printf("\n# ratios: relay calls per core / the other's at the same N (> 1: the relay "
		       "carries more); n/a where a row is not valid (verdict not held or lost)\n");
		for (int k = 0; k < nn; k++) {
			const result_t *r = &res[SYS_RELAY][k], *b = &res[SYS_BARE][k],
				       *e = &res[SYS_RTPENGINE][k];
			char r1[24], r2[24], r3[24];

			ratio_str(r1, r->calls_per_core, e->calls_per_core, valid(r) && valid(e));
			ratio_str(r2, r->calls_per_core, b->calls_per_core, valid(r) && valid(b));
			ratio_str(r3, r->calls_per_core, b->sat_calls_per_core, valid(r) && sat_valid(b));
			printf("ratio N=%d rtpengine_ratio=%s bare_loop_ratio=%s bare_loop_saturated_ratio=%s\n",
			       ns[k], r1, r2, r3);
		}
		if (want[SYS_TRANSCODED]) {
			/* beside the passthrough figure: the largest transcoded N held */
			int tb = -1;

			for (int k = 0; k < tnn; k++)
				if (!strcmp(verdict(&res[SYS_TRANSCODED][k]), "held"))
					tb = k;
			if (tb >= 0)
				printf("transcoded_calls_per_core %.0f (N=%d, loss %.3f %%)\n",
				       res[SYS_TRANSCODED][tb].calls_per_core, tns[tb],
				       res[SYS_TRANSCODED][tb].loss_pct);
			else
				printf("transcoded_calls_per_core n/a (no transcoded N held)\n");
		}
		if (best < 0) {
			printf("summary: calls=0 passthrough_calls_per_core=0 rtpengine_ratio=n/a "
			       "bare_loop_ratio=n/a p99_added_latency_ms=n/a rss_per_call_kib=n/a "
			       "loss_pct=n/a (no N held: every call up, the generator on pace, < 0.1 %% lost)\n");
		} else {
			const result_t *r = &res[SYS_RELAY][best], *b = &res[SYS_BARE][best],
				       *e = &res[SYS_RTPENGINE][best];

			char r1[24], r2[24];

			ratio_str(r1, r->calls_per_core, e->calls_per_core, valid(e));
			ratio_str(r2, r->calls_per_core, b->calls_per_core, valid(b));
			printf("summary: calls=%d passthrough_calls_per_core=%.0f rtpengine_ratio=%s "
			       "bare_loop_ratio=%s p99_added_latency_ms=%.2f rss_per_call_kib=%.0f "
			       "loss_pct=%.3f\n", r->n, r->calls_per_core, r1, r2, r->p99, r->rss_kib,
			       r->loss_pct);
		}
	}
	return 0;
}
