/**
 * @file bench_memory.c  Benchmark: the relay's memory per call, audio flowing both ways
 *
 * Usage: bench_memory [CALLS [WARM_CALLS]]
 *
 * The relay runs in this process; the load generator (the C tests' client
 * peers, libnice + DTLS-SRTP, and the UDP echo playing the trunk) runs in a
 * child forked before anything else, so none of its memory is counted. The
 * two talk over a socketpair, one tab-separated line per message, the way
 * the signaling would: the relay's credentials, fingerprint and candidates
 * to the peer, the peer's to the relay.
 *
 * Calls arrive one after another, as they do on a gateway: each one is up
 * (ICE, DTLS) and its client's audio reaches the relay before the next
 * starts; all keep passthrough audio flowing both ways (50 packets/s each).
 * WARM_CALLS calls (default 10) come first: what the relay sets up once
 * (libsrtp2, OpenSSL, thread stacks) is paid then. Then CALLS more (default
 * 200); two seconds later the growth of the process's RSS and of malloc's
 * bytes in use, divided by CALLS, is the memory per call. Prints one
 * "name value unit" line per figure.
 */
#include <errno.h>
#include <glib.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "callrelay.h"
#include "media/srtp_ossl.h"
#include "../tests/peer_client.h"
#include "../tests/peer_echo.h"

#define MAX_CALLS 1000

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void send_line(int fd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void send_line(int fd, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	for (size_t off = 0, len = strlen(s); off < len;) {
		ssize_t n = write(fd, s + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	g_free(s);
}

/* ---- the child: peers and the echo ---- */

static int generator(int fd)
{
	FILE *in = fdopen(fd, "r");
	peer_t **peers = g_new0(peer_t *, MAX_CALLS);
	echo_t *echo = NULL;
	char line[1024];

	if (!in || echo_new("127.0.0.1", &echo))
		return 1;
	send_line(fd, "ECHO\t%d\n", echo_rtp_port(echo));
	while (fgets(line, sizeof(line), in)) {
		char **f;

		line[strcspn(line, "\n")] = '\0';
		f = g_strsplit(line, "\t", -1);
		if (!strcmp(f[0], "CALL") && g_strv_length(f) == 5) {
			/* CALL i ufrag pwd fingerprint */
			int i = atoi(f[1]);
			peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
					   .addresses = "127.0.0.1" };
			peer_t *p;

			if (i < 0 || i >= MAX_CALLS || peer_new(&po, &p) || peer_wait_gathered(p, 5000) < 1) {
				send_line(fd, "FAIL\t%d\n", i);
			} else {
				peers[i] = p;
				peer_set_remote(p, f[2], f[3]);
				peer_set_relay_fingerprint(p, f[4]);
				send_line(fd, "PEER\t%d\t%s\t%s\t%s\n", i, peer_ufrag(p), peer_pwd(p),
					  peer_fingerprint(p));
				for (int k = 0; peer_candidate(p, k); k++)
					send_line(fd, "CAND\t%d\t%s\n", i, peer_candidate(p, k));
				send_line(fd, "DONE\t%d\n", i);
			}
		} else if (!strcmp(f[0], "RCAND") && g_strv_length(f) == 3) {
			int i = atoi(f[1]);

			if (i >= 0 && i < MAX_CALLS && peers[i])
				peer_add_remote_candidate(peers[i], f[2]);
		} else if (!strcmp(f[0], "AUDIO") && g_strv_length(f) == 3) {
			/* AUDIO i packets: 20 ms apart, from the peer's thread */
			int i = atoi(f[1]);

			if (i >= 0 && i < MAX_CALLS && peers[i])
				peer_send_audio(peers[i], atoi(f[2]), 20);
		} else if (!strcmp(f[0], "QUIT")) {
			g_strfreev(f);
			break;
		}
		g_strfreev(f);
	}
	for (int i = 0; i < MAX_CALLS; i++)
		if (peers[i])
			peer_free(peers[i]);
	echo_free(echo);
	g_free(peers);
	return 0;
}

/* ---- the parent: the relay ---- */

typedef struct {
	cr_call_t *call;
	uint32_t id;
	bool connected;
} call_t;

typedef struct {
	cr_relay_t *relay;
	call_t calls[MAX_CALLS];
	int n, fd;
	FILE *in;
	int echo_port;
} bench_t;

static int find(bench_t *b, uint32_t id)
{
	for (int i = 0; i < b->n; i++)
		if (b->calls[i].id == id)
			return i;
	return -1;
}

static void pump(bench_t *b, int ms)
{
	struct pollfd pfd = { .fd = cr_relay_event_fd(b->relay), .events = POLLIN };
	cr_event_t batch[64];
	int got;

	poll(&pfd, 1, ms);
	while ((got = cr_relay_poll_events(b->relay, batch, 64)) > 0)
		for (int k = 0; k < got; k++) {
			int i = find(b, batch[k].call_id);

			if (i < 0)
				continue;
			if (batch[k].type == CR_EVENT_LOCAL_CANDIDATE)
				send_line(b->fd, "RCAND\t%d\t%s\n", i, batch[k].text);
			else if (batch[k].type == CR_EVENT_DTLS_CONNECTED)
				b->calls[i].connected = true;
		}
}

/* Brings up calls [from, to) and waits until each is DTLS-connected. */
static int bring_up(bench_t *b, int from, int to)
{
	char msg[CR_MAX_ERROR_LEN], line[1024];

	for (int i = from; i < to; i++) {
		call_t *c = &b->calls[i];
		cr_media_local_t local;
		cr_media_params_t p;
		bool done = false;

		if (cr_call_create(b->relay, &c->call, msg) || cr_call_get_media_local(c->call, &local)) {
			fprintf(stderr, "bench_memory: call %d: %s\n", i, msg);
			return -1;
		}
		c->id = cr_call_id(c->call);
		b->n = i + 1;
		cr_media_params_init(&p);
		p.ice_controlling = 0;
		p.dtls_role = CR_DTLS_PASSIVE;
		g_strlcpy(p.sip_remote_addr, "127.0.0.1", sizeof(p.sip_remote_addr));
		p.sip_remote_port = b->echo_port;
		p.n_codecs = 1;
		p.codecs[0] = (cr_codec_map_t){ 111, { 96, "opus", 48000, 2 } };
		send_line(b->fd, "CALL\t%d\t%s\t%s\t%s\n", i, local.ice_ufrag, local.ice_pwd,
			  local.fingerprint);
		while (!done && fgets(line, sizeof(line), b->in)) {
			char **f;

			line[strcspn(line, "\n")] = '\0';
			f = g_strsplit(line, "\t", -1);
			if (!strcmp(f[0], "PEER") && g_strv_length(f) == 5) {
				g_strlcpy(p.remote_ufrag, f[2], sizeof(p.remote_ufrag));
				g_strlcpy(p.remote_pwd, f[3], sizeof(p.remote_pwd));
				g_strlcpy(p.remote_fingerprint, f[4], sizeof(p.remote_fingerprint));
				if (cr_call_media_start(c->call, &p, msg)) {
					fprintf(stderr, "bench_memory: media start: %s\n", msg);
					g_strfreev(f);
					return -1;
				}
			} else if (!strcmp(f[0], "CAND") && g_strv_length(f) == 3) {
				cr_call_add_remote_candidate(c->call, f[2]);
			} else if (!strcmp(f[0], "DONE")) {
				cr_call_end_of_candidates(c->call);
				done = true;
			} else {
				fprintf(stderr, "bench_memory: the generator said \"%s\"\n", line);
				g_strfreev(f);
				return -1;
			}
			g_strfreev(f);
		}
		if (!done)
			return -1;
		/* Calls arrive one after another: each is up, with audio from its
		 * client, before the next one starts. */
		for (gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC; !c->connected;) {
			if (g_get_monotonic_time() > end) {
				fprintf(stderr, "bench_memory: call %d did not connect\n", i);
				return -1;
			}
			pump(b, 20);
		}
		send_line(b->fd, "AUDIO\t%d\t%d\n", i, 50 * 600);
		for (gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;;) {
			cr_call_stats_t st;

			if (!cr_call_get_stats(c->call, &st) && st.client_rx_packets > 0)
				break;
			if (g_get_monotonic_time() > end) {
				fprintf(stderr, "bench_memory: no audio from client %d\n", i);
				return -1;
			}
			pump(b, 20);
		}
	}
	return 0;
}

static void flow(bench_t *b, int ms)
{
	for (gint64 end = g_get_monotonic_time() + (gint64)ms * 1000; g_get_monotonic_time() < end;)
		pump(b, 50);
}

int main(int argc, char **argv)
{
	int calls = argc > 1 ? atoi(argv[1]) : 200;
	int warm = argc > 2 ? atoi(argv[2]) : 10;
	static bench_t b;
	cr_relay_config_t cfg;
	cr_media_config_t mcfg;
	char msg[CR_MAX_ERROR_LEN], line[256];
	struct rlimit rl;
	int sv[2], err = 1, status = 0;
	long rss0, rss1;
	size_t heap0, heap1;
	pid_t child;

	if (calls < 1 || warm < 1 || calls + warm > MAX_CALLS) {
		fprintf(stderr, "usage: bench_memory [CALLS [WARM_CALLS]] (at most %d in all)\n", MAX_CALLS);
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		close(sv[0]);
		_exit(generator(sv[1]));
	}
	close(sv[1]);
	b.fd = sv[0];
	b.in = fdopen(sv[0], "r");
	if (!b.in || !fgets(line, sizeof(line), b.in) || sscanf(line, "ECHO\t%d", &b.echo_port) != 1)
		goto out;

	cr_relay_config_init(&cfg);
	cr_media_config_init(&mcfg);
	cfg.workers = 1;
	cfg.max_calls = MAX_CALLS;
	mcfg.ice_addresses = "127.0.0.1";
	mcfg.ice_port_min = 35000;
	mcfg.ice_port_max = 36999;
	mcfg.sip_rtp_address = "127.0.0.1";
	mcfg.sip_port_min = 37000;
	mcfg.sip_port_max = 39999;
	cfg.media = &mcfg;
	if (cr_relay_create(&cfg, &b.relay, msg)) {
		fprintf(stderr, "bench_memory: relay: %s\n", msg);
		goto out;
	}
	if (bring_up(&b, 0, warm))
		goto out;
	flow(&b, 2000);
	rss0 = rss_kib();
	heap0 = mallinfo2().uordblks;
	if (bring_up(&b, warm, warm + calls))
		goto out;
	flow(&b, 2000);
	rss1 = rss_kib();
	heap1 = mallinfo2().uordblks;
	{
		cr_call_stats_t st;
		uint64_t to_client = 0, to_trunk = 0;

		for (int i = warm; i < warm + calls; i++)
			if (!cr_call_get_stats(b.calls[i].call, &st)) {
				to_client += st.client_tx_packets;
				to_trunk += st.sip_tx_packets;
			}
		printf("memory_calls %d (after %d warm-up calls, passthrough audio both ways)\n", calls,
		       warm);
		printf("memory_packets %llu to the clients, %llu to the trunk\n",
		       (unsigned long long)to_client, (unsigned long long)to_trunk);
		printf("memory_rss_per_call %.1f KiB\n", (double)(rss1 - rss0) / calls);
		printf("memory_heap_per_call %.1f KiB (malloc bytes in use)\n",
		       ((double)heap1 - (double)heap0) / 1024.0 / calls);
		/* The relay switched libsrtp2 to OpenSSL at its first call (srtp.c):
		 * each call's sessions and key derivation made instances of ours. */
		printf("memory_srtp_openssl_instances %llu (%.1f per call)\n",
		       (unsigned long long)cr_srtp_ossl_allocs(),
		       (double)cr_srtp_ossl_allocs() / (calls + warm));
	}
	err = 0;
out:
	for (int i = 0; i < b.n; i++)
		if (b.calls[i].call)
			cr_call_close(b.calls[i].call, "bench done");
	if (b.relay)
		cr_relay_destroy(b.relay);
	send_line(b.fd, "QUIT\n");
	for (int i = 0; i < 100 && waitpid(child, &status, WNOHANG) == 0; i++)
		g_usleep(100000);
	if (waitpid(child, &status, WNOHANG) == 0) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	return err;
}
