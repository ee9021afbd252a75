/**
 * @file fuzz_api_strings.c  libFuzzer target: the strings the Lua side hands the relay about the client
 *
 * A real relay (one worker, media on 127.0.0.1) and, per input, a real
 * call: the input's lines go to the public entry points the Jingle side
 * feeds from a client's stanzas (remote candidates, ICE credentials, DTLS
 * fingerprint, the trunk's address, the media parameters themselves), then
 * the call is closed and the input only ends once the worker tore it down,
 * so a crash on the worker belongs to the input that caused it. After each
 * input the process's sockets, eventfds and pipes must be back to their
 * baseline: a leak is reported as a crash.
 *
 * Input: lines; the first byte of a line picks the entry point, the rest
 * is its argument (fuzz-max-len: 4096):
 *   c candidate     u "ufrag pwd"      f fingerprint     e end-of-candidates
 *   s "addr rtp rtcp"  r ICE restart   m "ufrag pwd fingerprint addr port latch"
 *     (media start with those parameters; a line without m starts media
 *      with defaults first, so the worker sees every command live)
 */
#include <dirent.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callrelay.h"
#include "harness.h"

#define MAX_LINE 1024

static cr_relay_t *relay;
static int fd_baseline;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Descriptors that are not files: sockets, eventfds, pipes. libFuzzer
 * opens and closes files of its own between inputs (corpus, merge
 * control), which must not count. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d))) {
		char path[64], target[256];
		ssize_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len > 0 && target[0] != '/')
			n++;
	}
	closedir(d);
	return n;
}

static void drain_events(void)
{
	cr_event_t events[64];

	while (cr_relay_poll_events(relay, events, 64) > 0)
		;
}

/* Waits until the worker has torn every call down (bounded: a stuck
 * teardown is a hang finding). */
static void wait_idle(void)
{
	cr_relay_stats_t s;

	for (int i = 0; i < 20000; i++) {
		cr_relay_get_stats(relay, &s);
		if (s.active_calls == 0)
			return;
		g_usleep(100);
	}
	fprintf(stderr, "fuzz_api_strings: a call was not torn down within 2 s\n");
	abort();
}

/* Splits "a b c" into at most n words (in place); returns how many. */
static int words(char *s, char **w, int n)
{
	int k = 0;
	char *save = NULL;

	for (char *t = strtok_r(s, " ", &save); t && k < n; t = strtok_r(NULL, " ", &save))
		w[k++] = t;
	return k;
}

static void media_params(cr_media_params_t *p, char *arg)
{
	char *w[6] = { 0 };
	int n = words(arg, w, 6);

	cr_media_params_init(p);
	/* The binding copies Lua strings into these fields, cut to size. */
	if (n > 0)
		g_strlcpy(p->remote_ufrag, w[0], sizeof(p->remote_ufrag));
	if (n > 1)
		g_strlcpy(p->remote_pwd, w[1], sizeof(p->remote_pwd));
	if (n > 2)
		g_strlcpy(p->remote_fingerprint, w[2], sizeof(p->remote_fingerprint));
	if (n > 3)
		g_strlcpy(p->sip_remote_addr, w[3], sizeof(p->sip_remote_addr));
	if (n > 4)
		p->sip_remote_port = atoi(w[4]);
	if (n > 5) {
		p->sip_latch = 1;
		g_strlcpy(p->sip_latch_addr, w[5], sizeof(p->sip_latch_addr));
	}
	p->n_codecs = 1;
	p->codecs[0] = (cr_codec_map_t){ .client_pt = 0, .sip = { .pt = 0, .name = "PCMU",
					 .clock_rate = 8000, .channels = 1 } };
}

static void one_line(cr_call_t *call, char *line, bool *started)
{
	char op = line[0], *arg = line[0] ? line + 1 : line;
	char *w[3] = { 0 };
	cr_media_params_t p;
	cr_media_local_t local;

	switch (op) {
	case 'c':
		cr_call_add_remote_candidate(call, arg);
		break;
	case 'u':
		words(arg, w, 2);
		cr_call_set_remote_credentials(call, w[0] ? w[0] : "", w[1] ? w[1] : "");
		break;
	case 'f':
		cr_call_set_remote_fingerprint(call, arg);
		break;
	case 'e':
		cr_call_end_of_candidates(call);
		break;
	case 's':
		words(arg, w, 3);
		cr_call_set_sip_remote(call, w[0] ? w[0] : "", w[1] ? atoi(w[1]) : 0,
				       w[2] ? atoi(w[2]) : 0);
		break;
	case 'r':
		cr_call_ice_restart(call, &local);
		break;
	case 'm':
		if (*started)
			break;
		media_params(&p, arg);
		*started = cr_call_media_start(call, &p, NULL) == CR_OK;
		break;
	default:
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cr_relay_config_t config;
	cr_media_config_t media;
	cr_call_t *call;

	(void)argc;
	(void)argv;
	cr_fuzz_quiet();
	cr_media_config_init(&media);
	media.ice_addresses = "127.0.0.1";
	media.sip_rtp_address = "127.0.0.1";
	media.sip_port_min = 20000;
	media.sip_port_max = 59998;
	cr_relay_config_init(&config);
	config.workers = 1;
	config.media = &media;
	if (cr_relay_create(&config, &relay, NULL))
		abort();
	/* One call first: whatever GLib and libnice open once per process is
	 * part of the baseline, not of an input. */
	if (cr_call_create(relay, &call, NULL))
		abort();
	cr_call_close(call, "warm-up");
	wait_idle();
	drain_events();
	fd_baseline = count_fds();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[MAX_LINE];
	cr_call_t *call;
	bool started = false, has_start = false;
	size_t off = 0;
	int fds;

	for (size_t i = 0; i < size; i++)
		if (data[i] == 'm' && (i == 0 || data[i - 1] == '\n'))
			has_start = true;
	if (cr_call_create(relay, &call, NULL))
		abort();
	if (!has_start) {
		cr_media_params_t p;

		cr_media_params_init(&p);
		started = cr_call_media_start(call, &p, NULL) == CR_OK;
	}
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - (data + off)) : size - off;

		cr_fuzz_string(line, sizeof(line), data + off, len);
		one_line(call, line, &started);
		off += len + 1;
	}
	cr_call_close(call, "fuzz input done");
	wait_idle();
	drain_events();
	fds = count_fds();
	if (fds != fd_baseline) {
		fprintf(stderr, "fuzz_api_strings: %d descriptors open after the call, %d before\n",
			fds, fd_baseline);
		abort();
	}
	return 0;
}
