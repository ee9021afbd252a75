/**
 * @file test_media_unit.c  media/ alone: a call's media on a worker of the test's own, no relay
 *
 * Issue 17 (docs/ARCHITECTURE.md, the layers): media/ reports up through the
 * cr_media_env_t it is created with, so it runs without cr_relay_create() or
 * cr_call_create(). The test builds what call.c would give it (a worker and
 * its poller from relay/src/worker.h, an event queue, a trace, an
 * fd_exhausted handler), posts the commands call_media.c would post, and
 * plays a real client (relay/tests/peer_client.c: libnice, DTLS, SRTP) on
 * loopback against a plain UDP socket as the trunk.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event_queue.h"
#include "helpers.h"
#include "media/media.h"
#include "peer_client.h"
#include "test.h"
#include "worker.h"

int test_media_unit(void);

#define UNIT_CALL_ID 7
#define UNIT_MAX_EVENTS 64
#define PAYLOAD_LEN 160
#define FROM_CLIENT 0x5a /* the client's audio payload bytes */
#define FROM_TRUNK 0xa5  /* the trunk's */

typedef struct unit {
	cr_media_call_t *mc;
	cr_event_queue_t *events;
	peer_t *peer;
	int types[UNIT_MAX_EVENTS], codes[UNIT_MAX_EVENTS];
	int n_events;
	int foreign_events; /* with another call id */
	atomic_int fd_exhausted;
	atomic_int trunk_payloads_ok; /* decrypted at the client, bytes intact */
	atomic_bool destroyed;
} unit_t;

static bool on_fd_exhausted(void *arg, int errnum, const char *what)
{
	unit_t *u = arg;

	(void)errnum;
	(void)what;
	atomic_fetch_add(&u->fd_exhausted, 1);
	return true;
}

static int client_payload(void *arg, uint8_t *payload, int max)
{
	(void)arg;
	memset(payload, FROM_CLIENT, (size_t)MIN(max, PAYLOAD_LEN));
	return MIN(max, PAYLOAD_LEN);
}

static void client_sink(void *arg, const uint8_t *payload, int len)
{
	unit_t *u = arg;

	if (len != PAYLOAD_LEN)
		return;
	for (int i = 0; i < len; i++)
		if (payload[i] != FROM_TRUNK)
			return;
	atomic_fetch_add(&u->trunk_payloads_ok, 1);
}

/* A command run on the worker, as relay/src/call_media.c posts them. */
typedef struct job {
	cr_media_call_t *mc;
	cr_media_cmd_t cmd;
} job_t;

static void job_run(void *p)
{
	job_t *job = p;

	cr_media_call_run(job->mc, &job->cmd);
}

static void job_free(void *p)
{
	job_t *job = p;

	cr_media_cmd_clear(&job->cmd);
	g_free(job);
}

static void post(cr_worker_t *w, cr_media_call_t *mc, cr_media_cmd_type_t type, const char *a,
		 const cr_media_params_t *params)
{
	job_t *job = g_new0(job_t, 1);

	job->mc = mc;
	job->cmd.type = type;
	job->cmd.a = g_strdup(a);
	if (params)
		job->cmd.params = g_memdup2(params, sizeof(*params));
	cr_worker_post(w, job_run, job, job_free);
}

static void destroy_on_worker(void *p)
{
	unit_t *u = p;

	cr_media_call_destroy(u->mc, true);
	u->mc = NULL;
	atomic_store(&u->destroyed, true);
}

/* Reads the queue for up to ms: records every event in order, hands the
 * relay's candidates to the client as the signaling would. */
static void pump(unit_t *u, int ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	cr_event_t batch[16];

	for (;;) {
		struct pollfd pfd = { .fd = cr_event_queue_fd(u->events), .events = POLLIN };
		gint64 left = (end - g_get_monotonic_time()) / 1000;
		int n = cr_event_queue_pop(u->events, batch, 16);

		for (int i = 0; i < n; i++) {
			const cr_event_t *e = &batch[i];

			if (e->call_id != UNIT_CALL_ID) {
				u->foreign_events++;
				continue;
			}
			if (u->n_events < UNIT_MAX_EVENTS) {
				u->types[u->n_events] = e->type;
				u->codes[u->n_events] = e->code;
				u->n_events++;
			}
			if (e->type == CR_EVENT_LOCAL_CANDIDATE)
				peer_add_remote_candidate(u->peer, e->text);
		}
		if (n > 0)
			continue;
		if (left <= 0)
			return;
		poll(&pfd, 1, (int)MIN(left, 50));
	}
}

/* Index of the first event of type (and code, unless -1), or -1. */
static int first(const unit_t *u, int type, int code)
{
	for (int i = 0; i < u->n_events; i++)
		if (u->types[i] == type && (code < 0 || u->codes[i] == code))
			return i;
	return -1;
}

static int wait_unit_event(unit_t *u, int type, int code, int ms)
{
	for (gint64 end = g_get_monotonic_time() + (gint64)ms * 1000; first(u, type, code) < 0;) {
		if (g_get_monotonic_time() >= end)
			return -1;
		pump(u, 50);
	}
	return 0;
}

/* RTP packets with payload type pt and the client's payload read on the
 * trunk socket within ms, until n. */
static int trunk_receive(int fd, int pt, int n, int ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	int good = 0;

	while (good < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		gint64 left = (end - g_get_monotonic_time()) / 1000;
		uint8_t buf[1500];
		ssize_t len;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		len = recv(fd, buf, sizeof(buf), 0);
		if (len == 12 + PAYLOAD_LEN && (buf[0] >> 6) == 2 && (buf[1] & 0x7f) == pt &&
		    buf[12] == FROM_CLIENT && buf[12 + PAYLOAD_LEN - 1] == FROM_CLIENT)
			good++;
	}
	return good;
}

static void trunk_send(int fd, int to_port, int pt, int n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)to_port) };
	uint8_t pkt[12 + PAYLOAD_LEN];

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(pkt, 0, 12);
	memset(pkt + 12, FROM_TRUNK, PAYLOAD_LEN);
	pkt[0] = 0x80;
	pkt[1] = (uint8_t)pt;
	pkt[8] = 0x12; /* SSRC 0x12345678 */
	pkt[9] = 0x34;
	pkt[10] = 0x56;
	pkt[11] = 0x78;
	for (int i = 0; i < n; i++) {
		uint16_t seq = (uint16_t)(1000 + i);
		uint32_t ts = 960u * (uint32_t)i;

		pkt[2] = (uint8_t)(seq >> 8);
		pkt[3] = (uint8_t)seq;
		pkt[4] = (uint8_t)(ts >> 24);
		pkt[5] = (uint8_t)(ts >> 16);
		pkt[6] = (uint8_t)(ts >> 8);
		pkt[7] = (uint8_t)ts;
		sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to));
		g_usleep(20000);
	}
}

int test_media_unit(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1" };
	cr_media_config_t mcfg;
	cr_media_relay_t *mr = NULL;
	cr_worker_t worker;
	bool worker_up = false;
	cr_trace_t trace;
	atomic_int transcoded;
	cr_media_local_t local;
	cr_media_params_t params;
	char msg[CR_MAX_ERROR_LEN];
	GString *tbuf = g_string_new(NULL);
	unit_t *u = g_new0(unit_t, 1);
	int trunk_fd = -1, trunk_port = 0, selected, dtls, up, down;
	struct sockaddr_in trunk_addr;
	int err = 0;

	memset(&worker, 0, sizeof(worker));
	cr_trace_init(&trace);
	atomic_init(&transcoded, 0);

	/* What relay.c makes once: the media plane's shared state, the event
	 * queue, a worker (layer 2, knows no calls). */
	cr_media_config_init(&mcfg);
	mcfg.ice_addresses = "127.0.0.1";
	mcfg.sip_rtp_address = "127.0.0.1";
	mcfg.sip_port_min = 30000;
	mcfg.sip_port_max = 30999;
	if (cr_media_relay_create(&mcfg, &mr, msg))
		TEST_FAIL("media relay: %s", msg);
	TEST_ERR(cr_event_queue_create(256, &u->events));
	TEST_ERR(cr_worker_start(&worker, 0, 0, NULL, NULL));
	worker_up = true;

	/* What call.c gives a call's media. */
	cr_media_env_t env = {
		.call_id = UNIT_CALL_ID,
		.context = worker.context,
		.timer_context = cr_subcontext_context(worker.timers),
		.poller = worker.poller,
		.ticker = worker.ticker,
		.events = u->events,
		.transcoded_calls = &transcoded,
		.max_transcoded_calls = 0,
		.fd_exhausted = on_fd_exhausted,
		.arg = u,
		.trace = &trace,
	};
	if (cr_media_call_create(&env, mr, &u->mc, msg))
		TEST_FAIL("media call: %s", msg);
	g_mutex_lock(&u->mc->local_lock);
	local = u->mc->local;
	g_mutex_unlock(&u->mc->local_lock);
	TEST_ASSERT(local.sip_rtp_port >= 30000 && local.sip_rtp_port <= 30998);
	TEST_ASSERT(local.ice_ufrag[0] && local.fingerprint[0]);

	trunk_fd = loopback_udp_socket(&trunk_addr);
	TEST_ASSERT(trunk_fd >= 0);
	trunk_port = ntohs(trunk_addr.sin_port);

	TEST_ERR(peer_new(&po, &u->peer));
	peer_set_audio_source(u->peer, client_payload, NULL);
	peer_set_audio_sink(u->peer, client_sink, u);
	TEST_ASSERT(peer_wait_gathered(u->peer, 5000) >= 1);
	peer_set_remote(u->peer, local.ice_ufrag, local.ice_pwd);

	cr_media_params_init(&params);
	params.ice_controlling = 0;
	params.rtcp_mux = 1;
	params.dtls_role = CR_DTLS_PASSIVE;
	g_strlcpy(params.remote_ufrag, peer_ufrag(u->peer), sizeof(params.remote_ufrag));
	g_strlcpy(params.remote_pwd, peer_pwd(u->peer), sizeof(params.remote_pwd));
	g_strlcpy(params.remote_fingerprint, peer_fingerprint(u->peer),
		  sizeof(params.remote_fingerprint));
	g_strlcpy(params.sip_remote_addr, "127.0.0.1", sizeof(params.sip_remote_addr));
	params.sip_remote_port = trunk_port;
	params.n_codecs = 1;
	params.codecs[0] = (cr_codec_map_t){ 111, { 96, "opus", 48000, 2 } };

	/* A candidate before the start waits in media's own queue. */
	post(&worker, u->mc, CR_MEDIA_CMD_CANDIDATE, peer_candidate(u->peer, 0), NULL);
	post(&worker, u->mc, CR_MEDIA_CMD_START, NULL, &params);
	for (int i = 1; peer_candidate(u->peer, i); i++)
		post(&worker, u->mc, CR_MEDIA_CMD_CANDIDATE, peer_candidate(u->peer, i), NULL);
	post(&worker, u->mc, CR_MEDIA_CMD_END_OF_CANDIDATES, NULL, NULL);

	if (wait_unit_event(u, CR_EVENT_DTLS_CONNECTED, -1, 10000))
		TEST_FAIL("no DTLS_CONNECTED from media/ (%d events)", u->n_events);
	TEST_ERR(peer_wait_dtls(u->peer, local.fingerprint, 5000));

	/* Client -> trunk: SRTP in, plain RTP with the trunk's payload type out. */
	peer_send_audio(u->peer, 25, 20);
	up = trunk_receive(trunk_fd, 96, 25, 5000);
	if (up < 22)
		TEST_FAIL("the trunk got %d of 25 client packets as RTP", up);

	/* Trunk -> client: plain RTP in, SRTP out, decrypted by the client. */
	trunk_send(trunk_fd, local.sip_rtp_port, 96, 25);
	peer_wait_audio(u->peer, 22, 3000);
	down = atomic_load(&u->trunk_payloads_ok);
	if (down < 22)
		TEST_FAIL("the client decrypted %d of 25 trunk packets intact", down);

	TEST_ERR(wait_unit_event(u, CR_EVENT_FIRST_MEDIA, CR_DIR_SIP_TO_CLIENT, 2000));
	/* What media/ reported, in order: candidates while gathering, the
	 * selected pair, DTLS, then the first packet each way. */
	selected = first(u, CR_EVENT_SELECTED_PAIR, -1);
	dtls = first(u, CR_EVENT_DTLS_CONNECTED, -1);
	TEST_ASSERT(first(u, CR_EVENT_LOCAL_CANDIDATE, -1) >= 0);
	TEST_ASSERT(first(u, CR_EVENT_LOCAL_CANDIDATE, -1) < first(u, CR_EVENT_GATHERING_DONE, -1));
	TEST_ASSERT(selected > first(u, CR_EVENT_LOCAL_CANDIDATE, -1));
	TEST_ASSERT(dtls > selected);
	TEST_ASSERT(first(u, CR_EVENT_FIRST_MEDIA, CR_DIR_CLIENT_TO_SIP) > dtls);
	TEST_ASSERT(first(u, CR_EVENT_FIRST_MEDIA, CR_DIR_SIP_TO_CLIENT) >
		    first(u, CR_EVENT_FIRST_MEDIA, CR_DIR_CLIENT_TO_SIP));
	TEST_EQUALS(-1, first(u, CR_EVENT_DTLS_FAILED, -1));
	TEST_EQUALS(-1, first(u, CR_EVENT_MEDIA_ERROR, -1));
	TEST_EQUALS(0, u->foreign_events);
	TEST_EQUALS(0, atomic_load(&u->fd_exhausted));
	TEST_EQUALS(0, peer_plain_received(u->peer));
	/* The trace the env gave is the one media/ wrote. */
	cr_trace_dump(&trace, tbuf);
	TEST_ASSERT(strstr(tbuf->str, "created sip-leg 127.0.0.1:") != NULL);
out:
	if (u->mc && worker_up) {
		/* Media is freed on its worker (media.h); wait for it. */
		cr_worker_post(&worker, destroy_on_worker, u, NULL);
		for (int i = 0; i < 500 && !atomic_load(&u->destroyed); i++)
			g_usleep(10000);
		if (!atomic_load(&u->destroyed)) {
			fprintf(stderr, "  FAIL: the media call was not freed on its worker\n");
			err = -1;
		}
	}
	if (worker_up)
		cr_worker_stop(&worker);
	if (u->mc) /* never started on a worker */
		cr_media_call_destroy(u->mc, true);
	peer_free(u->peer);
	if (trunk_fd >= 0)
		close(trunk_fd);
	cr_event_queue_destroy(u->events);
	cr_media_relay_destroy(mr);
	cr_trace_clear(&trace);
	g_string_free(tbuf, TRUE);
	g_free(u);
	return err;
}
