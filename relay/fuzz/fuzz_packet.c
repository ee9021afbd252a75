/**
 * @file fuzz_packet.c  libFuzzer target: the media packet path (demux, SRTP, rewriting, RTCP, RFC 4733)
 *
 * Drives the worker's per-packet code on one call's media state, as
 * session.c sets it up, minus ICE: each datagram goes to
 * cr_forward_from_client() (after the demux, optionally SRTP-protected
 * first with the client's keys, so the payload reaches the mapping and
 * rewriting instead of failing authentication) or through the SIP leg's
 * demux to cr_forward_from_sip(). DTLS records reach a real DTLS server
 * endpoint. The pure functions of packet.c run on every datagram as well.
 * What goes toward the trunk lands on a loopback socket of this process;
 * toward the client there is no ICE agent, so it stops after SRTP.
 *
 * Input: byte 0 picks the SRTP profile (bit 0) and the call's state
 * (bit 1: keys ready, bit 2: the trunk's address known, bit 3: a digit
 * being sent toward the trunk); bytes 1-2 the sequence-number offset toward
 * the trunk; then datagrams, each as one flag byte (bit 0: from the trunk,
 * bit 1: the RTCP component/socket, bit 2: protect with the client's keys
 * first), a 2-byte length and the bytes (fuzz-max-len: 4096).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "media/media.h"
#include "relay_internal.h"

#define ROOM 64 /* the SRTP tag room the receive paths leave */
/* Past the client path's 2048-byte limit; the SIP leg reads at most 2048. */
#define CR_MAX_PACKET_FUZZ 2100
#define SIP_LEG_READ 2048

static cr_relay_t *relay;
static cr_dtls_ctx_t *dtls_ctx;
static GMainContext *context;
static int sink_fd = -1; /* stands for the trunk */
static uint8_t sink_buf[CR_MAX_PACKET_FUZZ + ROOM];
static bool verbose; /* CR_FUZZ_VERBOSE=1: the call's counters per input */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cr_relay_config_t config;
	struct sockaddr_in a = { .sin_family = AF_INET };

	(void)argc;
	(void)argv;
	cr_fuzz_quiet();
	verbose = getenv("CR_FUZZ_VERBOSE") != NULL;
	cr_relay_config_init(&config);
	config.workers = 1;
	if (cr_relay_create(&config, &relay, NULL) ||
	    cr_dtls_ctx_create(NULL, NULL, &dtls_ctx, NULL))
		abort();
	context = g_main_context_new();
	sink_fd = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sink_fd < 0 || bind(sink_fd, (struct sockaddr *)&a, sizeof(a)))
		abort();
	return 0;
}

static void drop_datagram(void *arg, const uint8_t *d, size_t len)
{
	(void)arg;
	(void)d;
	(void)len;
}

static void add_codec(cr_media_params_t *p, int client_pt, int sip_pt, const char *name, int clock)
{
	cr_codec_map_t *c = &p->codecs[p->n_codecs++];

	c->client_pt = client_pt;
	c->sip_pt = sip_pt;
	g_strlcpy(c->name, name, sizeof(c->name));
	c->clock_rate = clock;
	c->channels = 1;
}

/* Keys both ends derive from one handshake: the relay is the DTLS server,
 * the client protects with the client half. */
static int key_pair(int profile, cr_srtp_t *relay_srtp, cr_srtp_t *client_srtp)
{
	cr_dtls_t d;

	memset(&d, 0, sizeof(d));
	d.srtp_profile = profile;
	d.key_len = 16;
	d.salt_len = profile == SRTP_AEAD_AES_128_GCM ? 12 : 14;
	for (size_t i = 0; i < sizeof(d.keys); i++)
		d.keys[i] = (uint8_t)(i * 7 + 1);
	d.active = false;
	if (cr_srtp_init(relay_srtp, &d))
		return -1;
	d.active = true;
	return cr_srtp_init(client_srtp, &d);
}

/* The trace a call would own (relay/src/trace.h). */
static cr_trace_t trace;

static void setup(cr_media_call_t *mc, uint8_t state, uint16_t seq_offset, int rtp_fd,
		  const struct sockaddr_storage *trunk)
{
	mc->env.call_id = 1;
	mc->env.context = context;
	mc->env.events = relay->events; /* events about this call: the relay's real queue */
	mc->call_id = 1;
	mc->cur_pair = -1;
	mc->context = context;
	mc->rtp_fd = mc->rtcp_fd = rtp_fd;
	cr_trace_init(&trace);
	mc->env.trace = mc->trace = &trace;
	cr_media_params_init(&mc->params);
	add_codec(&mc->params, 111, 96, "opus", 48000);
	add_codec(&mc->params, 0, 0, "PCMU", 8000);
	add_codec(&mc->params, 126, 101, "telephone-event", 8000);
	add_codec(&mc->params, -1, 102, "telephone-event", 48000);
	cr_forward_setup(mc);
	mc->keys_ready = state & 2;
	if (state & 4) {
		mc->sip_rtp_remote = *trunk;
		mc->sip_rtcp_remote = *trunk;
		mc->sip_remote_set = true;
	}
	mc->dtmf_tx.active = state & 8;
	mc->sip_out.known = seq_offset != 0;
	mc->sip_out.seq_offset = seq_offset;
}

static void teardown(cr_media_call_t *mc)
{
	if (mc->dtls_timer) {
		g_source_destroy(mc->dtls_timer);
		g_source_unref(mc->dtls_timer);
	}
	if (mc->dtls.ssl)
		cr_dtls_clear(&mc->dtls);
	cr_srtp_clear(&mc->srtp);
	cr_trace_clear(&trace);
}

/* packet.c's functions on the raw bytes, whatever the path does. */
static void pure_functions(const uint8_t *p, size_t len)
{
	uint8_t copy[CR_MAX_PACKET_FUZZ];
	cr_rtp_event_t ev;

	(void)cr_demux_client(p, len);
	(void)cr_demux_sip(p, len, false);
	if (len >= 1)
		(void)cr_rtp_event_read(p, len, &ev);
	memcpy(copy, p, len);
	cr_rtcp_unshift_reports(copy, len, 0x11223344, (uint16_t)len);
}

static void one_datagram(cr_media_call_t *mc, cr_srtp_t *client, uint8_t flags, const uint8_t *p,
			 size_t len)
{
	uint8_t buf[CR_MAX_PACKET_FUZZ + ROOM];
	bool rtcp = flags & 2;
	int n = (int)len;

	pure_functions(p, len);
	memcpy(buf, p, len);
	if (flags & 1) {
		/* rtp_leg.c's receive path after the source check. */
		cr_pkt_kind_t kind;

		len = len < SIP_LEG_READ ? len : SIP_LEG_READ;
		kind = cr_demux_sip(buf, len, rtcp);

		if (kind != CR_PKT_BAD)
			cr_forward_from_sip(mc, kind == CR_PKT_RTCP, buf, len);
		return;
	}
	/* The DTLS server endpoint exists from the first record on (SSL_new
	 * costs more than the rest of an input). */
	if (cr_demux_client(buf, len) == CR_PKT_DTLS && !mc->dtls.ssl &&
	    cr_dtls_init(&mc->dtls, dtls_ctx, false, drop_datagram, NULL))
		abort();
	if ((flags & 4) && len >= 12 && cr_demux_client(buf, len) != CR_PKT_DTLS)
		(void)cr_srtp_protect(client, buf, &n, rtcp || cr_is_rtcp(buf, len));
	cr_forward_from_client(mc, rtcp ? 2 : 1, buf, (size_t)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_media_call_t *mc;
	cr_srtp_t client;
	struct sockaddr_storage trunk;
	socklen_t tlen = sizeof(trunk);
	cr_event_t events[64];
	size_t off = 3;
	int profile;

	if (size < 3)
		return 0;
	profile = (data[0] & 1) ? SRTP_AEAD_AES_128_GCM : SRTP_AES128_CM_SHA1_80;
	mc = g_new0(cr_media_call_t, 1);
	memset(&client, 0, sizeof(client));
	getsockname(sink_fd, (struct sockaddr *)&trunk, &tlen);
	setup(mc, data[0], (uint16_t)(data[1] << 8 | data[2]), sink_fd, &trunk);
	if (key_pair(profile, &mc->srtp, &client))
		abort();
	while (off + 3 <= size) {
		uint8_t flags = data[off];
		size_t len = (size_t)(data[off + 1] << 8 | data[off + 2]);

		off += 3;
		if (len > size - off)
			len = size - off;
		if (len > CR_MAX_PACKET_FUZZ)
			len = CR_MAX_PACKET_FUZZ;
		one_datagram(mc, &client, flags, data + off, len);
		off += len;
	}
	/* What reached the trunk, and the events raised, are drained so the
	 * next input starts from the same place. */
	while (recv(sink_fd, sink_buf, sizeof(sink_buf), MSG_DONTWAIT) >= 0)
		;
	while (cr_relay_poll_events(relay, events, 64) > 0)
		;
	if (verbose)
		fprintf(stderr,
			"client_rx %" G_GUINT64_FORMAT " sip_rx-path->trunk %" G_GUINT64_FORMAT
			" dtmf %" G_GUINT64_FORMAT " auth_failed %" G_GUINT64_FORMAT
			" ice_bad %" G_GUINT64_FORMAT " dtls_bad %" G_GUINT64_FORMAT
			" unmapped %" G_GUINT64_FORMAT " early %" G_GUINT64_FORMAT "\n",
			(guint64)mc->counters.client_rx_packets, (guint64)mc->counters.sip_tx_packets,
			(guint64)mc->counters.dtmf_events, (guint64)mc->counters.srtp_auth_failed,
			(guint64)mc->counters.ice_bad, (guint64)mc->counters.dtls_bad,
			(guint64)mc->counters.unmapped_pt, (guint64)mc->counters.early_dropped);
	cr_srtp_clear(&client);
	teardown(mc);
	g_free(mc);
	return 0;
}
