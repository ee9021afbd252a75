/**
 * @file bench_answer.c  Benchmark: from the trunk's 200 OK to the first audio, outbound calls
 *
 * Plays an outbound call the way the plugin does (docs/ARCHITECTURE.md, "A
 * call, outbound"), N times in a row on one relay: the client's offer
 * (credentials, fingerprint, candidates; it offered DTLS actpass, so the
 * relay is ICE-controlled and the DTLS client) starts the client leg, then
 * the relay dials sipp, which rings for a while and answers with PCMU and
 * echoes RTP. On CR_EVENT_SIP_ANSWERED the bench does what the plugin does
 * with it: the trunk's RTP address to the relay, then the session-accept to
 * the client (our credentials, candidates, fingerprint). The client is the C
 * tests' libnice + DTLS-SRTP peer; it sends 20 ms audio from the moment
 * SRTP is keyed, as a browser does.
 *
 * Each stage is timed from the 200 OK as it left sipp (sip_tap.c, a UDP
 * forwarder in front of sipp, notes it on the clock the client uses):
 * session-accept given to the client, the client's checks start, the
 * relay's ICE connected, its DTLS done, the client's DTLS done, the first
 * packet client -> trunk and trunk -> client through the relay, and that
 * packet at the client. The XMPP hop (Prosody, the client's signaling) is
 * not in these figures.
 *
 * Side by side, in the same run and alternated with them, the same calls
 * through Janus 1.1.2's SIP plugin (janus_client.c: Debian's janus, driven
 * over its HTTP API as janus.js does) to the same sipp, with the same
 * client: only what the client sees is timed there (answer received,
 * checks, keys, first audio), Janus's HTTP long poll included in place of
 * our XMPP hop. Janus gathers no loopback candidate, so its ICE (and its
 * clients') is on the host end of a veth pair into a namespace the bench
 * makes (relay/tests/netns.c); SIP and RTP stay on 127.0.0.1.
 *
 * Prints one "name median p95" line per stage and kind of client, and the
 * relay/Janus ratio of the median first audio.
 */
#include <glib.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callrelay.h"
#include "../tests/peer_client.h"
#include "../tests/netns.h"
#include "../tests/sip_helpers.h"
#include "janus_client.h"
#include "sip_tap.h"

#define MAX_CALLS 200
#define MAX_CANDS 16

enum stage {
	ST_ACCEPT,       /* session-accept handed to the client */
	ST_CHECKS,       /* the client's agent starts checking */
	ST_ICE,          /* the relay's component 1 connected */
	ST_DTLS,         /* the relay's DTLS done, SRTP keyed */
	ST_KEYS,         /* the client's DTLS done, SRTP keyed */
	ST_UP,           /* first packet client -> trunk forwarded */
	ST_DOWN,         /* first packet trunk -> client forwarded */
	ST_AUDIO,        /* that packet at the client */
	ST_COUNT
};

static const char *const stage_names[ST_COUNT] = {
	"session_accept", "client_checks", "relay_ice_connected", "relay_dtls_done",
	"client_keys",
	"first_rtp_client_to_trunk", "first_rtp_trunk_to_client", "first_audio_at_client",
};

static cr_media_config_t media_cfg;

static void add_media(cr_sip_config_t *sip, cr_relay_config_t *cfg)
{
	(void)sip;
	cr_media_config_init(&media_cfg);
	media_cfg.ice_addresses = "127.0.0.1";
	media_cfg.ice_port_min = 35000;
	media_cfg.ice_port_max = 35999;
	media_cfg.sip_rtp_address = "127.0.0.1";
	media_cfg.sip_port_min = 36000;
	media_cfg.sip_port_max = 36999;
	cfg->media = &media_cfg;
	cfg->max_transcoded_calls = 1;
}

static double ms(int64_t us)
{
	return (double)us / 1000.0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values. */
static double percentile(const double *sorted, int n, int pct)
{
	int rank = (pct * n + 99) / 100;

	return sorted[rank < 1 ? 0 : rank - 1];
}

/* How the client's ICE behaves. */
enum client_kind {
	/* answers our checks before it has our credentials (its own password
	 * signs the reply) and nominates on its first check (aggressive) */
	CLIENT_EARLY,
	/* the same, but nominates only after its checks found a pair working
	 * (regular nomination, libwebrtc's default without renomination) */
	CLIENT_REGULAR,
	/* answers no check before it has our credentials (as nICEr holds such
	 * "pre-answer" requests): its agent starts only at the session-accept,
	 * on the port and credentials its offer announced */
	CLIENT_QUIET,
	/* an early client whose call the relay transcodes, as the plugin does
	 * when the trunk has no telephone-event and the client has: PCMU both
	 * ways, the client's RFC 4733 digits become tones (the DTMF bridge) */
	CLIENT_TRANSCODED,
	/* the first three again, calling through Janus's SIP plugin instead
	 * of the relay (janus_client.c) */
	JANUS_EARLY,
	JANUS_REGULAR,
	JANUS_QUIET,
	CLIENT_KINDS
};

static const char *const client_names[CLIENT_KINDS] = {
	"early", "regular", "quiet", "transcoded", "janus_early", "janus_regular", "janus_quiet",
};

/* The relay's kind of client that a Janus call plays. */
static enum client_kind janus_as(enum client_kind kind)
{
	return kind == JANUS_EARLY ? CLIENT_EARLY : kind == JANUS_REGULAR ? CLIENT_REGULAR
		: kind == JANUS_QUIET ? CLIENT_QUIET : kind;
}

static bool is_janus(enum client_kind kind)
{
	return kind >= JANUS_EARLY;
}

/* A pause of 0-20 ms (libnice's Ta) before each call is dialled: the
 * phase between the relay's check timer, which starts with the client's
 * offer, and the 200 OK is then as random as in real calls instead of
 * fixed by the harness's timing. Seeded, so runs compare. */
static GRand *phase;

static void random_phase(void)
{
	g_usleep((gulong)g_rand_int_range(phase, 0, 20000));
}

/* Every call's 200 OK passes the tap on its way from sipp. */
static sip_tap_t *tap;
static janus_t *janus;
static int trunk_port;
/* Janus gathers on no loopback interface: its ICE (and its clients') is on
 * the host end of a veth pair into a namespace of the bench's own. */
static netns_t janus_ns;

#define QUIET_UFRAG "QuietUfr"
#define QUIET_PWD "QuietClientPasswordOf24c"

/* A quiet client's agent starts only with the answer (peer_start), on the
 * port and credentials its offer announced; its certificate (the offer's
 * fingerprint) exists from the start. */
static int client_new(enum client_kind kind, int port, peer_t **peer)
{
	peer_opts_t po = { .controlling = true, .dtls_active = false, .components = 1,
			   .addresses = is_janus(kind) ? janus_ns.host_ip : "127.0.0.1",
			   .audio_on_keys = 500,
			   .regular_nomination = janus_as(kind) == CLIENT_REGULAR };
	bool quiet = janus_as(kind) == CLIENT_QUIET;

	if (quiet) {
		po.port = port;
		po.ufrag = QUIET_UFRAG;
		po.pwd = QUIET_PWD;
		po.start_later = true;
	}
	if (peer_new(&po, peer) || (!quiet && peer_wait_gathered(*peer, 5000) < 1))
		return -1;
	return 0;
}

/* The quiet client gets the answer: its agent starts. */
static int client_go(peer_t *peer)
{
	peer_start(peer);
	return peer_wait_gathered(peer, 5000) < 1 ? -1 : 0;
}

/* One call: fills t[] with microseconds after the 200 OK. Returns 0. */
static int one_call(sip_test_t *st, enum client_kind kind, int64_t t[ST_COUNT])
{
	bool quiet = kind == CLIENT_QUIET;
	char cands[MAX_CANDS][512], msg[CR_MAX_ERROR_LEN] = "", addr[64];
	int port = quiet ? free_port(false, false) : 0;
	char offer_cand[128];
	cr_media_params_t p;
	cr_media_local_t local;
	cr_sip_dial_params_t dial;
	peer_t *peer = NULL;
	cr_call_t *call = NULL;
	int n_cands = 0, err = -1;
	int64_t answered = 0;
	uint32_t id;

	for (int i = 0; i < ST_COUNT; i++)
		t[i] = 0;
	if (port < 0 || client_new(kind, port, &peer) ||
	    cr_call_create(st->relay, &call, msg) || cr_call_get_media_local(call, &local)) {
		fprintf(stderr, "bench_answer: call setup: %s\n", msg);
		goto out;
	}
	id = cr_call_id(call);
	/* session-initiate: the client leg starts with the client's offer. */
	cr_media_params_init(&p);
	p.ice_controlling = 0;
	p.rtcp_mux = 1;
	p.dtls_role = CR_DTLS_ACTIVE;
	g_strlcpy(p.remote_ufrag, peer_ufrag(peer), sizeof(p.remote_ufrag));
	g_strlcpy(p.remote_pwd, peer_pwd(peer), sizeof(p.remote_pwd));
	g_strlcpy(p.remote_fingerprint, peer_fingerprint(peer), sizeof(p.remote_fingerprint));
	if (kind == CLIENT_TRANSCODED) {
		/* The peer's filler bytes are valid PCMU samples. */
		cr_codec_t cl = { 111, "PCMU", 8000, 1, 126, 8000 }, sp = { 0, "PCMU", 8000, 1, 0, 0 };

		if (cr_call_set_transcode(call, &cl, &sp, msg)) {
			fprintf(stderr, "bench_answer: transcode: %s\n", msg);
			goto out;
		}
	} else {
		/* The peer sends a filler on its payload type 111; passthrough
		 * only renumbers, so the trunk's PCMU 0 stands opposite it. */
		p.n_codecs = 1;
		p.codecs[0] = (cr_codec_map_t){ 111, 0, "PCMU", 8000, 1 };
	}
	if (cr_call_media_start(call, &p, msg)) {
		fprintf(stderr, "bench_answer: media start: %s\n", msg);
		goto out;
	}
	g_snprintf(offer_cand, sizeof(offer_cand),
		   "candidate:1 1 UDP 2015363327 127.0.0.1 %d typ host", port);
	for (int k = 0; quiet ? k < 1 : peer_candidate(peer, k) != NULL; k++)
		cr_call_add_remote_candidate(call, quiet ? offer_cand : peer_candidate(peer, k));
	cr_call_end_of_candidates(call);
	cr_sip_dial_params_init(&dial);
	dial.number = "+15550100";
	dial.caller_id = "alice";
	dial.codecs = "PCMU";
	dial.local_rtp_address = local.sip_rtp_addr;
	dial.local_rtp_port = local.sip_rtp_port;
	random_phase();
	sip_tap_arm(tap);
	if (cr_sip_dial(call, &dial, msg)) {
		fprintf(stderr, "bench_answer: dial: %s\n", msg);
		goto out;
	}
	for (gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	     g_get_monotonic_time() < end && !(t[ST_AUDIO] && t[ST_UP] && t[ST_DOWN]);) {
		struct pollfd pfd = { .fd = cr_relay_event_fd(st->relay), .events = POLLIN };
		cr_event_t ev;

		poll(&pfd, 1, 2);
		if (answered && peer && !t[ST_AUDIO] && peer_first_audio_at(peer))
			t[ST_AUDIO] = peer_first_audio_at(peer) - answered;
		while (cr_relay_poll_events(st->relay, &ev, 1) == 1) {
			if (ev.call_id != id)
				continue;
			switch (ev.type) {
			case CR_EVENT_LOCAL_CANDIDATE:
				/* Outbound: candidates wait for the session-accept. */
				if (answered)
					peer_add_remote_candidate(peer, ev.text);
				else if (n_cands < MAX_CANDS)
					g_strlcpy(cands[n_cands++], ev.text, sizeof(cands[0]));
				break;
			case CR_EVENT_SIP_ANSWERED:
				/* From the 200 as it left sipp, as for Janus. */
				answered = sip_tap_first_200(tap);
				if (!answered) {
					fprintf(stderr, "bench_answer: the 200 did not pass the tap\n");
					goto out;
				}
				/* The relay points its RTP leg at the answer's
				 * address itself (relay/src/call_sip.c). */
				if (text_value(ev.text, "address", addr, sizeof(addr)) ||
				    text_int(ev.text, "port") <= 0) {
					fprintf(stderr, "bench_answer: no trunk media in: %s\n", ev.text);
					goto out;
				}
				if (quiet && client_go(peer))
					goto out;
				peer_set_remote(peer, local.ice_ufrag, local.ice_pwd);
				for (int k = 0; k < n_cands; k++)
					peer_add_remote_candidate(peer, cands[k]);
				peer_set_relay_fingerprint(peer, local.fingerprint);
				t[ST_ACCEPT] = g_get_monotonic_time() - answered;
				break;
			case CR_EVENT_ICE_STATE:
				if (answered && !t[ST_ICE] && ev.value == 1 &&
				    (ev.code == CR_ICE_CONNECTED || ev.code == CR_ICE_READY))
					t[ST_ICE] = ev.time_us - answered;
				break;
			case CR_EVENT_DTLS_CONNECTED:
				t[ST_DTLS] = ev.time_us - answered;
				break;
			case CR_EVENT_FIRST_MEDIA:
				t[ev.code == CR_DIR_CLIENT_TO_SIP ? ST_UP : ST_DOWN] = ev.time_us - answered;
				break;
			case CR_EVENT_SIP_FAILED:
			case CR_EVENT_SIP_HANGUP:
			case CR_EVENT_DTLS_FAILED:
				fprintf(stderr, "bench_answer: event %d: %s\n", ev.type, ev.text);
				goto out;
			default:
				break;
			}
		}
	}
	if (answered && peer && peer_first_check_at(peer))
		t[ST_CHECKS] = peer_first_check_at(peer) - answered;
	if (answered && peer && peer_keys_at(peer))
		t[ST_KEYS] = peer_keys_at(peer) - answered;
	if (!t[ST_AUDIO] || !t[ST_UP] || !t[ST_DOWN]) {
		char trace[16384];
		cr_call_stats_t cs;

		cr_call_get_trace(call, trace, sizeof(trace));
		fprintf(stderr, "bench_answer: no audio both ways; relay trace (media and SIP):\n%s",
			trace);
		if (!cr_call_get_stats(call, &cs))
			fprintf(stderr, "sip rx %llu tx %llu foreign %llu unmapped %llu early %llu\n",
				(unsigned long long)cs.sip_rx_packets,
				(unsigned long long)cs.sip_tx_packets,
				(unsigned long long)cs.sip_foreign, (unsigned long long)cs.unmapped_pt,
				(unsigned long long)cs.early_dropped);
		goto out;
	}
	err = 0;
	if (getenv("BENCH_ANSWER_TRACE")) {
		char trace[16384];

		cr_call_get_trace(call, trace, sizeof(trace));
		fprintf(stderr, "--- %s client, relay trace (ms since the call's creation):\n%s",
			client_names[kind], trace);
	}
out:
	if (call)
		cr_call_close(call, "bench done");
	if (peer)
		peer_free(peer);
	return err;
}

/* The client's SDP offer to Janus: what a browser offers for audio only,
 * with the peer's credentials, fingerprint and candidates (the quiet
 * client's one, on a port where nothing listens yet). The peer sends
 * its audio on payload type 111: offered as PCMU, which the SIP plugin
 * passes on to the trunk unchanged; its SSRC is the peer's fixed
 * 0x11223344 (Janus drops a stream of an SSRC not announced). */
static char *janus_offer(peer_t *peer, int quiet_port)
{
	GString *sdp = g_string_new(NULL);

	g_string_append_printf(sdp,
			       "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
			       "a=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n"
			       "m=audio 9 UDP/TLS/RTP/SAVPF 111 101\r\nc=IN IP4 0.0.0.0\r\n"
			       "a=rtcp:9 IN IP4 0.0.0.0\r\n"
			       "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n"
			       "a=fingerprint:%s\r\na=setup:actpass\r\na=mid:0\r\na=sendrecv\r\n"
			       "a=rtcp-mux\r\na=rtpmap:111 PCMU/8000\r\n"
			       "a=rtpmap:101 telephone-event/8000\r\na=ssrc:287454020 cname:bench\r\n",
			       peer_ufrag(peer), peer_pwd(peer), peer_fingerprint(peer));
	if (quiet_port)
		g_string_append_printf(sdp, "a=candidate:1 1 udp 2015363327 %s %d typ host\r\n",
				       janus_ns.host_ip, quiet_port);
	for (int k = 0; !quiet_port && peer_candidate(peer, k); k++)
		g_string_append_printf(sdp, "a=%s\r\n", peer_candidate(peer, k));
	g_string_append(sdp, "a=end-of-candidates\r\n");
	return g_string_free(sdp, FALSE);
}

/* Gives Janus's SDP answer to the client, as janus.js would to the browser. */
static int janus_answer_to_peer(peer_t *peer, const char *sdp)
{
	char **lines = g_strsplit(sdp, "\n", -1), ufrag[64] = "", pwd[128] = "", fp[160] = "";
	int cands = 0;

	for (int i = 0; lines[i]; i++) {
		g_strchomp(lines[i]);
		if (g_str_has_prefix(lines[i], "a=ice-ufrag:"))
			g_strlcpy(ufrag, lines[i] + 12, sizeof(ufrag));
		else if (g_str_has_prefix(lines[i], "a=ice-pwd:"))
			g_strlcpy(pwd, lines[i] + 10, sizeof(pwd));
		else if (g_str_has_prefix(lines[i], "a=fingerprint:"))
			g_strlcpy(fp, lines[i] + 14, sizeof(fp));
	}
	if (!ufrag[0] || !pwd[0] || !fp[0]) {
		fprintf(stderr, "bench_answer: Janus's answer lacks ICE or DTLS:\n%s\n", sdp);
		g_strfreev(lines);
		return -1;
	}
	peer_set_remote(peer, ufrag, pwd);
	for (int i = 0; lines[i]; i++)
		if (g_str_has_prefix(lines[i], "a=candidate:")) {
			peer_add_remote_candidate(peer, lines[i] + 2);
			cands++;
		}
	peer_set_relay_fingerprint(peer, fp);
	g_strfreev(lines);
	if (!cands)
		fprintf(stderr, "bench_answer: Janus's answer has no candidate:\n%s\n", sdp);
	return cands ? 0 : -1;
}

/* One call through Janus's SIP plugin to the same sipp; the stages seen
 * from the client (Janus's own are not visible). Returns 0. */
static int janus_one_call(enum client_kind kind, int64_t t[ST_COUNT])
{
	bool quiet = janus_as(kind) == CLIENT_QUIET;
	int port = quiet ? free_port(false, false) : 0;
	char uri[96], *offer = NULL, *answer = g_malloc(65536);
	peer_t *peer = NULL;
	int64_t answered;
	int err = -1;

	for (int i = 0; i < ST_COUNT; i++)
		t[i] = 0;
	if (port < 0 || janus_attach(janus) || client_new(kind, port, &peer)) {
		fprintf(stderr, "bench_answer: Janus call setup failed\n");
		goto out;
	}
	offer = janus_offer(peer, port);
	g_snprintf(uri, sizeof(uri), "sip:+15550100@127.0.0.1:%d", trunk_port);
	random_phase();
	sip_tap_arm(tap);
	if (janus_call(janus, uri, offer) || janus_wait_accepted(janus, answer, 65536, 20000)) {
		fprintf(stderr, "bench_answer: Janus call failed\n");
		goto out;
	}
	answered = sip_tap_first_200(tap);
	if (!answered) {
		fprintf(stderr, "bench_answer: the 200 did not pass the tap\n");
		goto out;
	}
	if (quiet && client_go(peer))
		goto out;
	if (getenv("BENCH_ANSWER_TRACE"))
		fprintf(stderr, "--- %s client, Janus's answer:\n%s", client_names[kind], answer);
	if (janus_answer_to_peer(peer, answer))
		goto out;
	t[ST_ACCEPT] = g_get_monotonic_time() - answered;
	for (gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	     g_get_monotonic_time() < end && !peer_first_audio_at(peer);)
		g_usleep(1000);
	if (!peer_first_audio_at(peer)) {
		fprintf(stderr, "bench_answer: no audio back through Janus (%s client); keys %s\n",
			client_names[kind], peer_keys_at(peer) ? "set" : "not set");
		goto out;
	}
	t[ST_AUDIO] = peer_first_audio_at(peer) - answered;
	if (peer_first_check_at(peer))
		t[ST_CHECKS] = peer_first_check_at(peer) - answered;
	t[ST_KEYS] = peer_keys_at(peer) - answered;
	err = 0;
out:
	if (err)
		janus_dump_log(janus);
	janus_hangup(janus);
	if (peer)
		peer_free(peer);
	g_free(offer);
	g_free(answer);
	return err;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20;
	const char *ring_ms = argc > 2 ? argv[2] : "500";
	static double v[CLIENT_KINDS][ST_COUNT][MAX_CALLS];
	char calls_s[16], sipp_port_s[16];
	int sipp_port;
	sip_test_t st;
	int err = 1, done = 0;

	if (n < 1 || n > MAX_CALLS || atoi(ring_ms) < 0) {
		fprintf(stderr, "usage: bench_answer [CALLS [RING_MS]]\n");
		return 2;
	}
	snprintf(calls_s, sizeof(calls_s), "%d", CLIENT_KINDS * n);
	if (sip_test_setup(&st, "udp", add_media)) {
		fprintf(stderr, "bench_answer: relay setup failed\n");
		return 1;
	}
	/* sipp listens on a port of its own; the relay's trunk port (and
	 * Janus's call URI) is the tap's, which forwards to sipp. */
	trunk_port = st.trunk_port;
	phase = g_rand_new_with_seed(16);
	sipp_port = free_port(false, false);
	snprintf(sipp_port_s, sizeof(sipp_port_s), "%d", sipp_port);
	if (sipp_port < 0 || sip_tap_start(trunk_port, sipp_port, &tap)) {
		fprintf(stderr, "bench_answer: SIP tap setup failed\n");
		goto out;
	}
	if (netns_up(&janus_ns, "crbj") ||
	    janus_start(janus_ns.host_ip, 37000, 37999, 38000, 38999, &janus))
		goto out;
	{
		const char *args[] = { "-i", "127.0.0.1", "-p", sipp_port_s, "-mp", st.media_port_s,
				       "-rtp_echo", "-m", calls_s, "-d", ring_ms, "-timeout", "600s",
				       "-timeout_error", "-t", "u1", NULL };

		if (sipp_start(&st.sipp, "uas_ring_answer.xml", args))
			goto out;
	}
	g_usleep(300000); /* sipp binds its port */
	/* Alternate the clients so each sees the same machine load. */
	for (; done < CLIENT_KINDS * n; done++) {
		int64_t t[ST_COUNT];
		int q = done % CLIENT_KINDS;

		if (is_janus(q) ? janus_one_call(q, t) : one_call(&st, q, t))
			goto out;
		for (int s = 0; s < ST_COUNT; s++)
			v[q][s][done / CLIENT_KINDS] = ms(t[s]);
		g_usleep(100000); /* the BYE and sipp's next call */
	}
	printf("answer_calls %d per client (outbound, sipp rings %s ms, libnice+DTLS client, "
	       "loopback; from the 200 as sipp sent it; the XMPP hop, or Janus's HTTP API, "
	       "not included)\n", n, ring_ms);
	for (int q = 0; q < CLIENT_KINDS; q++)
		for (int s = 0; s < ST_COUNT; s++) {
			qsort(v[q][s], (size_t)n, sizeof(double), cmp_double);
			if (v[q][s][n - 1] == 0) /* not seen for this client (Janus's insides) */
				continue;
			printf("answer_%s_%s_ms median %.1f p95 %.1f\n",
			       client_names[q], stage_names[s], percentile(v[q][s], n, 50),
			       percentile(v[q][s], n, 95));
		}
	for (int q = 0; q < CLIENT_KINDS; q++) {
		int r = janus_as(q);

		if (!is_janus(q))
			continue;
		printf("answer_ratio_%s_first_audio relay/janus median %.2f\n", client_names[r],
		       percentile(v[r][ST_AUDIO], n, 50) / percentile(v[q][ST_AUDIO], n, 50));
	}
	err = 0;
out:
	if (err)
		fprintf(stderr, "bench_answer: stopped after %d calls\n", done);
	sip_test_teardown(&st);
	janus_stop(janus);
	netns_down(&janus_ns);
	if (phase)
		g_rand_free(phase);
	sip_tap_stop(tap);
	return err;
}
