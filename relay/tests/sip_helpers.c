/**
 * @file sip_helpers.c  Test-side SIP peers and helpers: sipp runner, RTP peer
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "sip_helpers.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int bind_port(int type, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, type, 0), one = 1;

	if (fd < 0)
		return -1;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return ntohs(sa.sin_port);
}

/* The test ports' range: JINGLE_SIP_TEST_PORTS="LO-HI" (scripts/run-tests.sh
 * gives each suite it runs side by side a block of its own, so that two never
 * find the same port free at the same moment), else 10000-16299. */
static void test_port_range(int *lo, int *hi)
{
	const char *env = getenv("JINGLE_SIP_TEST_PORTS");
	int a, b;

	*lo = 10000;
	*hi = 16299;
	if (env && sscanf(env, "%d-%d", &a, &b) == 2 && a >= 1024 && b <= 65535 && b - a >= 64) {
		*lo = a;
		*hi = b;
	}
}

int free_port(bool both, bool even)
{
	static unsigned next;
	int lo, hi, blocks;

	test_port_range(&lo, &hi);
	blocks = (hi - lo + 1) / 4;
	if (!next)
		next = (unsigned)getpid() * 7;
	for (int tries = 0; tries < 2000; tries++) {
		/* Blocks of 4 in the test ports' range, as the Lua specs' ports
		 * (spec/helpers/prosody.lua): below the relay's default RTP range
		 * and the kernel's ephemeral range, where any program on the
		 * machine may take a port before sipp or baresip binds it. The
		 * whole block is checked: sipp binds its media port + 2 as well,
		 * baresip TLS on its SIP port + 1. */
		int port = lo + 4 * (int)(++next % (unsigned)blocks);
		bool ok = true;

		if (even)
			port &= ~1;
		for (int i = 0; i < 4 && ok; i++)
			ok = bind_port(SOCK_DGRAM, port + i) == port + i &&
			     (!both || i > 1 || bind_port(SOCK_STREAM, port + i) == port + i);
		if (ok)
			return port;
	}
	return -1;
}

/* True if /proc/net/<file> lists a socket on port (in state st, "0A" for
 * a TCP listener, "07" for UDP). */
static bool proc_net_has(const char *file, int port, const char *st)
{
	char path[64], line[512], want[8];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/%s", file);
	snprintf(want, sizeof(want), ":%04X", port);
	if (!(f = fopen(path, "r")))
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char local[64], state[8];

		if (sscanf(line, "%*s %63s %*s %7s", local, state) == 2)
			found = strlen(local) > strlen(want) &&
				strcmp(local + strlen(local) - strlen(want), want) == 0 &&
				strcmp(state, st) == 0;
	}
	fclose(f);
	return found;
}

int wait_port_bound(int port, bool tcp, int timeout_ms)
{
	for (long long end = now_ms() + timeout_ms;; usleep(20 * 1000)) {
		if (tcp ? proc_net_has("tcp", port, "0A") || proc_net_has("tcp6", port, "0A")
			: proc_net_has("udp", port, "07") || proc_net_has("udp6", port, "07"))
			return 0;
		if (now_ms() >= end)
			return -1;
	}
}

/* ---- sipp ---- */

int sipp_start(sipp_run_t *run, const char *scenario, const char *const args[])
{
	const char *argv[64];
	char stf[192], screen[192], err[192], sf[256], out[192], msgs[192];
	int n = 0, port = 0;
	bool tcp = false;
	static int counter;

	memset(run, 0, sizeof(*run));
	run->pid = -1;
	snprintf(run->dir, sizeof(run->dir), "/tmp/cr-sipp-%d-%d", getpid(), ++counter);
	mkdir(run->dir, 0700);
	snprintf(stf, sizeof(stf), "%s/stats.csv", run->dir);
	snprintf(screen, sizeof(screen), "%s/screen.log", run->dir);
	snprintf(err, sizeof(err), "%s/errors.log", run->dir);
	snprintf(out, sizeof(out), "%s/stdout.log", run->dir);
	argv[n++] = "sipp";
	if (scenario) {
		snprintf(sf, sizeof(sf), "relay/tests/sipp/%s", scenario);
		argv[n++] = "-sf";
		argv[n++] = sf;
	}
	for (int i = 0; args[i] && n < 50; i++)
		argv[n++] = args[i];
	argv[n++] = "-trace_stat";
	argv[n++] = "-stf";
	argv[n++] = stf;
	argv[n++] = "-trace_screen";
	argv[n++] = "-screen_file";
	argv[n++] = screen;
	snprintf(msgs, sizeof(msgs), "%s/messages.log", run->dir);
	argv[n++] = "-trace_msg";
	argv[n++] = "-message_file";
	argv[n++] = msgs;
	argv[n++] = "-trace_err";
	argv[n++] = "-error_file";
	argv[n++] = err;
	argv[n++] = NULL;
	run->pid = spawn_logged(out, argv);
	if (run->pid < 0)
		return -1;
	/* Let sipp bind its ports before the test talks to it: a while, then
	 * (a loaded machine may need longer) until its SIP port is bound, since
	 * over TCP a connection before its listen() is refused, not retried. */
	usleep(300 * 1000);
	for (int i = 0; args[i] && args[i + 1]; i++) {
		if (strcmp(args[i], "-p") == 0)
			port = atoi(args[i + 1]);
		else if (strcmp(args[i], "-t") == 0)
			tcp = args[i + 1][0] == 't';
	}
	if (port > 0 && wait_port_bound(port, tcp, 5000))
		fprintf(stderr, "  sipp: nothing bound to its port %d after 5 s\n", port);
	return 0;
}

static void read_stats(sipp_run_t *run)
{
	char path[192], header[8192], line[8192], *hs, *ls, *hsave, *lsave;
	FILE *f;

	snprintf(path, sizeof(path), "%s/stats.csv", run->dir);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(header, sizeof(header), f)) {
		fclose(f);
		return;
	}
	line[0] = '\0';
	{
		char tmp[8192];

		while (fgets(tmp, sizeof(tmp), f))
			if (tmp[0] && tmp[0] != '\n')
				memcpy(line, tmp, sizeof(tmp));
	}
	fclose(f);
	/* The last row has the cumulative counters. */
	hs = strtok_r(header, ";", &hsave);
	ls = strtok_r(line, ";", &lsave);
	while (hs && ls) {
		if (strcmp(hs, "SuccessfulCall(C)") == 0)
			run->successful_calls = atol(ls);
		else if (strcmp(hs, "FailedCall(C)") == 0)
			run->failed_calls = atol(ls);
		hs = strtok_r(NULL, ";", &hsave);
		ls = strtok_r(NULL, ";", &lsave);
	}
}

int sipp_wait(sipp_run_t *run, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int status = 0;

	if (run->pid <= 0)
		return -1;
	for (;;) {
		pid_t r = waitpid(run->pid, &status, WNOHANG);

		if (r == run->pid)
			break;
		if (now_ms() > deadline) {
			fprintf(stderr, "  sipp did not exit within %d ms: killed\n", timeout_ms);
			sipp_kill(run);
			return -1;
		}
		usleep(50 * 1000);
	}
	run->pid = -1;
	run->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	read_stats(run);
	return 0;
}

void sipp_kill(sipp_run_t *run)
{
	if (run->pid > 0) {
		kill(run->pid, SIGKILL);
		waitpid(run->pid, NULL, 0);
		run->pid = -1;
		run->exit_status = -1;
	}
}

static void dump_file(const char *dir, const char *name)
{
	char path[256], buf[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return;
	fprintf(stderr, "  ---- sipp %s ----\n", name);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(f);
}

void sipp_dump(const sipp_run_t *run)
{
	dump_file(run->dir, "errors.log");
	dump_file(run->dir, "stdout.log");
}

/* ---- RTP peer ---- */

int rtp_peer_open(rtp_peer_t *peer, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	memset(peer, 0, sizeof(*peer));
	peer->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (peer->fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	if (bind(peer->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(peer->fd);
		peer->fd = -1;
		return -1;
	}
	peer->port = port;
	return 0;
}

/* Reads what arrives for wait_ms (0 = what is queued now); bounded even
 * when the peer never stops sending (baresip). */
static void drain(rtp_peer_t *peer, int wait_ms)
{
	struct pollfd pfd = { .fd = peer->fd, .events = POLLIN };
	unsigned char buf[2048];
	long long deadline = now_ms() + wait_ms;

	for (;;) {
		long long left = deadline - now_ms();
		ssize_t n;

		if (poll(&pfd, 1, left > 0 ? (int)left : 0) <= 0)
			return;
		while ((n = recv(peer->fd, buf, sizeof(buf), 0)) >= 12) {
			int same = 0;

			peer->received++;
			for (ssize_t i = 12; i < n; i++)
				same += buf[i] == RTP_PATTERN;
			if (same >= 80)
				peer->matched++;
		}
		if (left <= 0)
			return;
	}
}

int rtp_peer_exchange(rtp_peer_t *peer, const char *address, int port, int pt, int n,
		      int timeout_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned char pkt[12 + 160];

	if (inet_pton(AF_INET, address, &sa.sin_addr) != 1)
		return -1;
	sa.sin_port = htons((unsigned short)port);
	memset(pkt, RTP_PATTERN, sizeof(pkt));
	for (int i = 0; i < n; i++) {
		unsigned int ts = (unsigned int)(peer->seq * 160);

		pkt[0] = 0x80;
		pkt[1] = (unsigned char)(pt & 0x7f);
		pkt[2] = (unsigned char)(peer->seq >> 8);
		pkt[3] = (unsigned char)peer->seq;
		pkt[4] = (unsigned char)(ts >> 24);
		pkt[5] = (unsigned char)(ts >> 16);
		pkt[6] = (unsigned char)(ts >> 8);
		pkt[7] = (unsigned char)ts;
		memcpy(pkt + 8, "\x12\x34\x56\x78", 4);
		peer->seq++;
		if (sendto(peer->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sa, sizeof(sa)) > 0)
			peer->sent++;
		drain(peer, 0);
		usleep(20 * 1000);
	}
	drain(peer, timeout_ms);
	return 0;
}

void rtp_peer_close(rtp_peer_t *peer)
{
	if (peer->fd >= 0)
		close(peer->fd);
	peer->fd = -1;
}

/* ---- relay and events ---- */

int text_value(const char *text, const char *key, char *buf, int len)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			const char *v = p + klen + 1, *end = strchr(v, '\n');
			int n = end ? (int)(end - v) : (int)strlen(v);

			if (n >= len)
				n = len - 1;
			memcpy(buf, v, (size_t)n);
			buf[n] = '\0';
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

int text_int(const char *text, const char *key)
{
	char buf[32];

	return text_value(text, key, buf, sizeof(buf)) == 0 ? atoi(buf) : -1;
}

int sip_relay_create(int sip_port, int trunk_port, const char *transport,
		     void (*tweak)(cr_sip_config_t *, cr_relay_config_t *), cr_relay_t **out)
{
	cr_relay_config_t cfg;
	cr_sip_config_t sip;
	char listen[128], trunk[128], msg[CR_MAX_ERROR_LEN] = "";
	int err;

	/* Sofia's own stderr chatter, unless the developer asks for it. */
	setenv("SU_DEBUG", "0", 0);
	cr_relay_config_init(&cfg);
	cr_sip_config_init(&sip);
	cfg.workers = 1;
	snprintf(listen, sizeof(listen), "sip:127.0.0.1:%d;transport=%s", sip_port, transport);
	snprintf(trunk, sizeof(trunk), "sip:127.0.0.1:%d;transport=%s", trunk_port, transport);
	sip.listen_uri = listen;
	sip.trunk_uri = trunk;
	sip.username = "relay";
	sip.user_agent = "jingle-sip-test";
	if (tweak)
		tweak(&sip, &cfg);
	cfg.sip = &sip;
	err = cr_relay_create(&cfg, out, msg);
	if (err)
		fprintf(stderr, "  cr_relay_create: %d %s\n", err, msg);
	return err;
}

static const char *event_name(int type)
{
	switch (type) {
	case CR_EVENT_CALL_READY: return "CALL_READY";
	case CR_EVENT_CALL_CLOSED: return "CALL_CLOSED";
	case CR_EVENT_SIP_INCOMING: return "SIP_INCOMING";
	case CR_EVENT_SIP_TRYING: return "SIP_TRYING";
	case CR_EVENT_SIP_RINGING: return "SIP_RINGING";
	case CR_EVENT_SIP_EARLY_MEDIA: return "SIP_EARLY_MEDIA";
	case CR_EVENT_SIP_ANSWERED: return "SIP_ANSWERED";
	case CR_EVENT_SIP_FAILED: return "SIP_FAILED";
	case CR_EVENT_SIP_HANGUP: return "SIP_HANGUP";
	case CR_EVENT_SIP_MEDIA_CHANGED: return "SIP_MEDIA_CHANGED";
	case CR_EVENT_SIP_ENDED: return "SIP_ENDED";
	case CR_EVENT_SIP_REGISTERED: return "SIP_REGISTERED";
	case CR_EVENT_SIP_TRUNK_STATE: return "SIP_TRUNK_STATE";
	default: return "?";
	}
}

int wait_sip_event(cr_relay_t *relay, int type, uint32_t call_id, int timeout_ms,
		   cr_event_t *out)
{
	long long deadline = now_ms() + timeout_ms;
	static cr_event_t ev;

	for (;;) {
		struct pollfd pfd = { .fd = cr_relay_event_fd(relay), .events = POLLIN };
		long long left = deadline - now_ms();

		if (left < 0) {
			fprintf(stderr, "  no %s event within %d ms\n", event_name(type), timeout_ms);
			return -1;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		while (cr_relay_poll_events(relay, &ev, 1) == 1) {
			if (call_id && ev.call_id != call_id)
				continue;
			if (ev.type == type) {
				if (out)
					*out = ev;
				return 0;
			}
			if (ev.type == CR_EVENT_SIP_FAILED || ev.type == CR_EVENT_SIP_HANGUP) {
				fprintf(stderr, "  waiting for %s, got %s code %d: %s\n",
					event_name(type), event_name(ev.type), ev.code, ev.text);
				return -1;
			}
		}
	}
}

/* ---- one call against one sipp ---- */

void remove_dir(const char *dir)
{
	char cmd[256];

	/* Only our own /tmp/cr-* run directories. */
	if (!dir || strncmp(dir, "/tmp/cr-", 8) != 0 || strstr(dir, ".."))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", dir);
}

int sip_test_setup(sip_test_t *t, const char *transport,
		   void (*tweak)(cr_sip_config_t *, cr_relay_config_t *))
{
	memset(t, 0, sizeof(*t));
	t->sipp.pid = -1;
	t->rtp.fd = -1;
	t->sip_port = free_port(true, false);
	t->trunk_port = free_port(true, false);
	t->media_port = free_port(false, true);
	t->rtp_port = free_port(false, true);
	if (t->sip_port < 0 || t->trunk_port < 0 || t->media_port < 0 || t->rtp_port < 0)
		return -1;
	snprintf(t->trunk_port_s, sizeof(t->trunk_port_s), "%d", t->trunk_port);
	snprintf(t->media_port_s, sizeof(t->media_port_s), "%d", t->media_port);
	snprintf(t->sip_target, sizeof(t->sip_target), "127.0.0.1:%d", t->sip_port);
	if (sip_relay_create(t->sip_port, t->trunk_port, transport ? transport : "udp", tweak,
			     &t->relay))
		return -1;
	return rtp_peer_open(&t->rtp, t->rtp_port);
}

static const char *sipp_transport(const char *transport)
{
	return transport && strcmp(transport, "tcp") == 0 ? "t1" : "u1";
}

int sip_test_uas(sip_test_t *t, const char *scenario, const char *transport)
{
	const char *args[] = { "-i", "127.0.0.1", "-p", t->trunk_port_s, "-mp", t->media_port_s,
			       "-rtp_echo", "-m", "1", "-timeout",
			       t->sipp_timeout ? t->sipp_timeout : "40s", "-timeout_error",
			       "-t", sipp_transport(transport),
			       scenario ? NULL : "-sn", "uas", NULL };

	return sipp_start(&t->sipp, scenario, args);
}

int sip_test_uac(sip_test_t *t, const char *scenario, const char *number,
		 const char *transport)
{
	const char *args[] = { t->sip_target, "-i", "127.0.0.1", "-p", t->trunk_port_s,
			       "-mp", t->media_port_s, "-rtp_echo", "-m", "1", "-timeout", "40s",
			       "-timeout_error", "-s", number, "-t", sipp_transport(transport),
			       NULL };

	return sipp_start(&t->sipp, scenario, args);
}

const cr_codec_t sip_test_pcmu_pcma[2] = { { .pt = -1, .name = "PCMU" }, { .pt = -1, .name = "PCMA" } };

int sip_test_dial(sip_test_t *t, const char *number)
{
	cr_sip_dial_params_t dial;
	char msg[CR_MAX_ERROR_LEN] = "";
	int err;

	if (cr_call_create(t->relay, &t->call, NULL))
		return -1;
	t->id = cr_call_id(t->call);
	cr_sip_dial_params_init(&dial);
	dial.number = number;
	dial.caller_id = "alice";
	dial.codecs = sip_test_pcmu_pcma;
	dial.n_codecs = 2;
	dial.local_rtp_address = "127.0.0.1";
	dial.local_rtp_port = t->rtp_port;
	err = cr_sip_dial(t->call, &dial, msg);
	if (err)
		fprintf(stderr, "  cr_sip_dial: %s\n", msg);
	return err;
}

int sip_test_rtp_echo_min(sip_test_t *t, const cr_event_t *ev, int min)
{
	char address[64];
	long before = t->rtp.matched;

	if (text_value(ev->text, "address", address, sizeof(address)) ||
	    text_int(ev->text, "port") <= 0) {
		fprintf(stderr, "  no address/port in: %s\n", ev->text);
		return -1;
	}
	rtp_peer_exchange(&t->rtp, address, text_int(ev->text, "port"),
			  text_int(ev->text, "pt"), 50, 1000);
	if (t->rtp.matched - before < min) {
		fprintf(stderr, "  only %ld of 50 RTP packets came back from %s:%d (%ld in all)\n",
			t->rtp.matched - before, address, text_int(ev->text, "port"),
			t->rtp.received);
		return -1;
	}
	return 0;
}

int sip_test_sipp_done(sip_test_t *t, int calls, int timeout_ms)
{
	if (sipp_wait(&t->sipp, timeout_ms))
		return -1;
	if (t->sipp.exit_status != 0 || t->sipp.successful_calls != calls) {
		sipp_dump(&t->sipp);
		fprintf(stderr, "  sipp exit %d, successful calls %ld (wanted %d)\n",
			t->sipp.exit_status, t->sipp.successful_calls, calls);
		return -1;
	}
	return 0;
}

void sip_test_teardown(sip_test_t *t)
{
	char trace[16384];

	if (t->call) {
		cr_call_get_trace(t->call, trace, sizeof(trace));
		if (getenv("CR_TEST_TRACE"))
			fprintf(stderr, "  ---- SIP trace ----\n%s", trace);
		cr_call_close(t->call, NULL);
		t->call = NULL;
	}
	cr_relay_destroy(t->relay);
	t->relay = NULL;
	rtp_peer_close(&t->rtp);
	sipp_kill(&t->sipp);
	remove_dir(t->sipp.dir);
}

/* ---- packet loss on loopback (nftables) ---- */

int nft_drop_first(int sport, const char *prefix)
{
	char cmd[1024], hex[128] = "";
	size_t n = strlen(prefix);

	if (n == 0 || n > 40)
		return -1;
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)prefix[i]);
	/* The first match puts the sender in `seen` and is dropped; later
	 * ones find it there and pass. A table of that name left by a killed
	 * run would already hold the sender: delete it first. */
	nft_remove(sport);
	snprintf(cmd, sizeof(cmd),
		 "nft -f - <<'EOF'\n"
		 "table inet cr_test_%d {\n"
		 "  set seen { type ipv4_addr; flags dynamic; }\n"
		 "  chain in {\n"
		 "    type filter hook input priority 0;\n"
		 "    ip saddr 127.0.0.1 udp sport %d @th,64,%zu 0x%s ip saddr @seen accept\n"
		 "    ip saddr 127.0.0.1 udp sport %d @th,64,%zu 0x%s add @seen { ip saddr } "
		 "counter drop\n"
		 "  }\n"
		 "}\n"
		 "EOF\n", sport, sport, n * 8, hex, sport, n * 8, hex);
	return system(cmd) == 0 ? 0 : -1;
}

long nft_dropped(int sport)
{
	char cmd[256], line[512];
	long packets = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nft list table inet cr_test_%d 2>/dev/null", sport);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		char *c = strstr(line, "counter packets ");

		if (c)
			packets = atol(c + strlen("counter packets "));
	}
	pclose(p);
	return packets;
}

void nft_remove(int sport)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "nft delete table inet cr_test_%d 2>/dev/null", sport);
	if (system(cmd) != 0) {
		/* Not there: nothing to clean. */
	}
}

int sipp_saw(const sipp_run_t *run, const char *text)
{
	char path[256], *data = NULL;
	long size;
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/messages.log", run->dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = calloc(1, (size_t)size + 1);
	if (data && fread(data, 1, (size_t)size, f) == (size_t)size)
		found = strstr(data, text) != NULL;
	free(data);
	fclose(f);
	return found;
}
