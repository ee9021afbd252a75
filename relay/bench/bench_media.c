/**
 * @file bench_media.c  Benchmark: passthrough and transcoded calls per core
 *
 * Sets up N calls on one relay, each with a client peer (the C tests'
 * libnice + DTLS-SRTP peer) sending 20 ms audio packets and one UDP echo as
 * the SIP side, then measures the CPU the relay's threads use while audio
 * flows both ways: calls per core = N / (relay CPU seconds per second). The
 * peers and the echo run in this process too, on threads named "peer" and
 * "echo"; their CPU (SRTP, Opus encoding) is the load generator's and is
 * left out by reading each thread's time from /proc/self/task.
 *
 * Passthrough calls carry a filler payload (forwarding never looks at it);
 * transcoded calls carry real Opus (a 1 kHz tone) toward a PCMU SIP leg.
 * Prints one "name value unit" line per figure.
 */
#include <dirent.h>
#include <glib.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callrelay.h"
#include "../tests/peer_client.h"
#include "../tests/peer_echo.h"
#include "../tests/tone.h"

#define MAX_CALLS 256

typedef struct bench_call {
	cr_call_t *call;
	uint32_t id;
	peer_t *peer;
	tone_tx_t tx;
	cr_media_local_t local;
	bool connected;
} bench_call_t;

/* CPU seconds of this process's threads, split into the load generator's
 * (threads named peer, echo, and the main thread) and the relay's. */
static void thread_cpu(double *relay, double *generator)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	long hz = sysconf(_SC_CLK_TCK);
	pid_t self = getpid();

	*relay = *generator = 0;
	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300], buf[1024], *p;
		unsigned long ut = 0, st = 0;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f)) {
			fclose(f);
			continue;
		}
		fclose(f);
		/* pid (comm) state ppid ... field 14 utime, 15 stime */
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
				 &st) != 2)
			continue;
		double s = (double)(ut + st) / (double)hz;
		char *comm = strchr(buf, '(') + 1;

		if (!strncmp(comm, "peer)", 5) || !strncmp(comm, "echo)", 5) ||
		    atoi(e->d_name) == self)
			*generator += s;
		else
			*relay += s;
	}
	closedir(d);
}

static bench_call_t *find(bench_call_t *calls, int n, uint32_t id)
{
	for (int i = 0; i < n; i++)
		if (calls[i].id == id)
			return &calls[i];
	return NULL;
}

/* Pumps events: relay candidates go to their call's peer. */
static void pump(cr_relay_t *relay, bench_call_t *calls, int n, int ms)
{
	struct pollfd pfd = { .fd = cr_relay_event_fd(relay), .events = POLLIN };
	cr_event_t batch[64];
	int got;

	poll(&pfd, 1, ms);
	while ((got = cr_relay_poll_events(relay, batch, 64)) > 0)
		for (int i = 0; i < got; i++) {
			bench_call_t *c = find(calls, n, batch[i].call_id);

			if (!c)
				continue;
			if (batch[i].type == CR_EVENT_LOCAL_CANDIDATE)
				peer_add_remote_candidate(c->peer, batch[i].text);
			else if (batch[i].type == CR_EVENT_DTLS_CONNECTED)
				c->connected = true;
		}
}

/* One run: n calls, transcoded or not, audio for seconds. Prints figures. */
static int run(int n, bool transcode, int seconds)
{
	cr_relay_config_t cfg;
	cr_media_config_t mcfg;
	bench_call_t *calls = g_new0(bench_call_t, n);
	cr_relay_t *relay = NULL;
	echo_t *echo = NULL;
	char msg[CR_MAX_ERROR_LEN];
	double r0, g0, r1, g1, t0, t1;
	int err = -1, connected = 0;
	const char *mode = transcode ? "transcoded" : "passthrough";

	cr_relay_config_init(&cfg);
	cr_media_config_init(&mcfg);
	cfg.workers = 1;
	cfg.max_transcoded_calls = -1;
	mcfg.ice_addresses = "127.0.0.1";
	mcfg.ice_port_min = 33000;
	mcfg.ice_port_max = 33999;
	mcfg.sip_rtp_address = "127.0.0.1";
	mcfg.sip_port_min = 34000;
	mcfg.sip_port_max = 34999;
	cfg.media = &mcfg;
	if (cr_relay_create(&cfg, &relay, msg) || echo_new("127.0.0.1", &echo)) {
		fprintf(stderr, "bench: relay or echo: %s\n", msg);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
				   .addresses = "127.0.0.1" };
		cr_media_params_t p;
		bench_call_t *c = &calls[i];

		if (peer_new(&po, &c->peer) || peer_wait_gathered(c->peer, 5000) < 1 ||
		    cr_call_create(relay, &c->call, msg) || cr_call_get_media_local(c->call, &c->local)) {
			fprintf(stderr, "bench: call %d: %s\n", i, msg);
			goto out;
		}
		c->id = cr_call_id(c->call);
		peer_set_remote(c->peer, c->local.ice_ufrag, c->local.ice_pwd);
		cr_media_params_init(&p);
		p.ice_controlling = 0;
		p.dtls_role = CR_DTLS_PASSIVE;
		g_strlcpy(p.remote_ufrag, peer_ufrag(c->peer), sizeof(p.remote_ufrag));
		g_strlcpy(p.remote_pwd, peer_pwd(c->peer), sizeof(p.remote_pwd));
		g_strlcpy(p.remote_fingerprint, peer_fingerprint(c->peer), sizeof(p.remote_fingerprint));
		g_strlcpy(p.sip_remote_addr, "127.0.0.1", sizeof(p.sip_remote_addr));
		p.sip_remote_port = echo_rtp_port(echo);
		if (transcode) {
			cr_codec_t cl = { 111, "opus", 48000, 2, 0, 0 }, sp = { 0, "PCMU", 8000, 1, 0, 0 };

			if (cr_call_set_transcode(c->call, &cl, &sp, msg)) {
				fprintf(stderr, "bench: transcode: %s\n", msg);
				goto out;
			}
			tone_tx_init(&c->tx, 1000, 0.3);
			peer_set_audio_source(c->peer, tone_tx_payload, &c->tx);
		} else {
			p.n_codecs = 1;
			p.codecs[0] = (cr_codec_map_t){ 111, 96, "opus", 48000, 2 };
		}
		if (cr_call_media_start(c->call, &p, msg)) {
			fprintf(stderr, "bench: media start: %s\n", msg);
			goto out;
		}
		for (int k = 0; peer_candidate(c->peer, k); k++)
			cr_call_add_remote_candidate(c->call, peer_candidate(c->peer, k));
		cr_call_end_of_candidates(c->call);
		pump(relay, calls, n, 0);
	}
	for (gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	     connected < n && g_get_monotonic_time() < end;) {
		pump(relay, calls, n, 50);
		connected = 0;
		for (int i = 0; i < n; i++)
			connected += calls[i].connected;
	}
	for (int i = 0; i < n; i++)
		if (!calls[i].connected || peer_wait_dtls(calls[i].peer, calls[i].local.fingerprint, 5000)) {
			fprintf(stderr, "bench: call %d did not connect\n", i);
			goto out;
		}
	for (int i = 0; i < n; i++)
		peer_send_audio(calls[i].peer, 50 * (seconds + 2), 20);
	/* Measure a window once every pipeline and jitter buffer runs. */
	for (gint64 end = g_get_monotonic_time() + G_USEC_PER_SEC; g_get_monotonic_time() < end;)
		pump(relay, calls, n, 50);
	thread_cpu(&r0, &g0);
	t0 = (double)g_get_monotonic_time() / 1e6;
	for (gint64 end = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
	     g_get_monotonic_time() < end;)
		pump(relay, calls, n, 50);
	thread_cpu(&r1, &g1);
	t1 = (double)g_get_monotonic_time() / 1e6;
	{
		double load = (r1 - r0) / (t1 - t0); /* cores the relay used */
		uint64_t rx = 0, tx = 0;
		cr_call_stats_t st;

		for (int i = 0; i < n; i++)
			if (!cr_call_get_stats(calls[i].call, &st)) {
				rx += st.client_rx_packets;
				tx += st.client_tx_packets;
			}
		printf("%s_calls %d (audio both ways, %d s window)\n", mode, n, seconds);
		printf("%s_relay_cpu %.3f cores (load generator %.3f cores)\n", mode, load,
		       (g1 - g0) / (t1 - t0));
		printf("%s_packets_to_client %llu of %llu from the client\n", mode,
		       (unsigned long long)tx, (unsigned long long)rx);
		printf("%s_calls_per_core %.0f\n", mode, load > 0 ? n / load : 0.0);
	}
	err = 0;
out:
	for (int i = 0; i < n; i++) {
		if (calls[i].call)
			cr_call_close(calls[i].call, "bench done");
	}
	cr_relay_destroy(relay);
	for (int i = 0; i < n; i++) {
		peer_free(calls[i].peer);
		tone_tx_clear(&calls[i].tx);
	}
	echo_free(echo);
	g_free(calls);
	return err;
}

int main(int argc, char **argv)
{
	int pass = argc > 1 ? atoi(argv[1]) : 40;
	int trans = argc > 2 ? atoi(argv[2]) : 20;
	int seconds = argc > 3 ? atoi(argv[3]) : 5;

	/* 0 passthrough calls: transcoded only (make bench measures passthrough
	 * with bench_ramp, its load generator in another process). */
	if (pass < 0 || trans < 1 || pass > MAX_CALLS || trans > MAX_CALLS || seconds < 1) {
		fprintf(stderr, "usage: bench_media [PASSTHROUGH_CALLS [TRANSCODED_CALLS [SECONDS]]]\n");
		return 2;
	}
	if ((pass > 0 && run(pass, false, seconds)) || run(trans, true, seconds))
		return 1;
	return 0;
}
