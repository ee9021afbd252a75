/**
 * @file forward.c  Forwarding between the legs: demux, SRTP, payload-type mapping, DTMF, RTCP
 *
 * Runs on the call's worker for every packet: stack buffers only, counters
 * are relaxed atomics, no lock. RTP passes with its SSRC, sequence numbers
 * and timestamps unchanged (only the payload type is mapped; toward the
 * trunk, sequence numbers shift past digits injected by dtmf_send.c, and
 * report blocks from the trunk are shifted back), so RTCP is
 * translated, not terminated: SR/RR from one side describe exactly the
 * stream the other side receives, and are forwarded after SRTCP
 * (un)protection. Nothing is ever sent toward the client before SRTP keys
 * exist (docs/INTEROP.md#13).
 */
#include "media.h"

#define CR_PKT_BUF 2048
#define CR_SRTP_ROOM 64

#define COUNT(mc, f, n) atomic_fetch_add_explicit(&(mc)->counters.f, (n), memory_order_relaxed)

void cr_forward_setup(cr_media_call_t *mc)
{
	for (int i = 0; i < 128; i++) {
		mc->pt_to_sip[i] = -1;
		mc->pt_to_client[i] = -1;
		mc->dtmf_pt_client[i] = false;
		mc->dtmf_pt_sip[i] = false;
	}
	for (int i = 0; i < mc->params.n_codecs; i++) {
		const cr_codec_map_t *c = &mc->params.codecs[i];
		bool dtmf = !g_ascii_strcasecmp(c->name, "telephone-event");

		mc->dtmf_pt_sip[c->sip_pt] = dtmf;
		mc->dtmf_clock_sip[c->sip_pt] = c->clock_rate > 0 ? c->clock_rate : 8000;
		if (c->client_pt < 0)
			continue; /* the SIP leg only: nothing forwarded either way */
		mc->pt_to_sip[c->client_pt] = (int16_t)c->sip_pt;
		mc->pt_to_client[c->sip_pt] = (int16_t)c->client_pt;
		mc->dtmf_pt_client[c->client_pt] = dtmf;
		mc->dtmf_clock_client[c->client_pt] = c->clock_rate > 0 ? c->clock_rate : 8000;
	}
}

static void dtmf_seen(cr_media_call_t *mc, int dir, const uint8_t *p, size_t len, int clock)
{
	/* Report once per event at its end (RFC 4733 2.5.1.4: the end packet
	 * is sent three times). */
	static const char digits[] = "0123456789*#ABCD";
	cr_rtp_event_t ev;
	int ms;
	char digit;

	if (!cr_rtp_event_read(p, len, &ev) || !ev.end)
		return;
	if (mc->dtmf_state[dir].reported && mc->dtmf_state[dir].last_ts == ev.timestamp)
		return;
	mc->dtmf_state[dir].reported = true;
	mc->dtmf_state[dir].last_ts = ev.timestamp;
	ms = (int)((uint32_t)ev.duration * 1000u / (uint32_t)clock);
	digit = ev.event < 16 ? digits[ev.event] : '?';
	COUNT(mc, dtmf_events, 1);
	cr_trace_add(mc->trace, "media", "dtmf %s digit %c duration %d ms",
		     dir == CR_DIR_CLIENT_TO_SIP ? "client->sip" : "sip->client", digit, ms);
	cr_media_emit(mc, CR_EVENT_DTMF, dir, ms, "digit=%c event=%d duration_ms=%d", digit,
		      ev.event, ms);
}

static void first_media(cr_media_call_t *mc, int dir)
{
	if (mc->first_media[dir])
		return;
	mc->first_media[dir] = true;
	cr_trace_add(mc->trace, "media", "first media %s",
		     dir == CR_DIR_CLIENT_TO_SIP ? "client->sip" : "sip->client");
	cr_media_emit(mc, CR_EVENT_FIRST_MEDIA, dir, 0,
		      dir == CR_DIR_CLIENT_TO_SIP ? "client->sip" : "sip->client");
}

/* A packet of n bytes went to the client on the selected pair. */
static void count_client_tx(cr_media_call_t *mc, int n)
{
	COUNT(mc, client_tx_packets, 1);
	COUNT(mc, client_tx_bytes, (uint64_t)n);
	if (mc->cur_pair >= 0) {
		atomic_fetch_add_explicit(&mc->pairs[mc->cur_pair].tx_packets, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&mc->pairs[mc->cur_pair].tx_bytes, (uint64_t)n,
					  memory_order_relaxed);
	}
}

static gboolean on_dtls_timer(gpointer p)
{
	cr_media_call_t *mc = p;

	g_source_unref(mc->dtls_timer);
	mc->dtls_timer = NULL;
	if (cr_dtls_timeout(&mc->dtls) == -2)
		cr_forward_dtls_failed(mc, CR_DTLS_FAIL_HANDSHAKE, mc->dtls.error);
	else
		cr_forward_dtls_rearm(mc);
	return G_SOURCE_REMOVE;
}

void cr_forward_dtls_rearm(cr_media_call_t *mc)
{
	int ms = cr_dtls_next_timeout_ms(&mc->dtls);

	atomic_store(&mc->counters.dtls_state, (int)mc->dtls.state);
	if (mc->dtls_timer) {
		g_source_destroy(mc->dtls_timer);
		g_source_unref(mc->dtls_timer);
		mc->dtls_timer = NULL;
	}
	if (ms < 0 || mc->closed)
		return;
	mc->dtls_timer = g_timeout_source_new((guint)ms);
	g_source_set_callback(mc->dtls_timer, on_dtls_timer, mc, NULL);
	g_source_attach(mc->dtls_timer, mc->context);
}

void cr_forward_flush_dtls(cr_media_call_t *mc)
{
	guint n = mc->dtls_out->len;

	for (guint i = 0; i < n; i++) {
		gsize len;
		const uint8_t *d = g_bytes_get_data(g_ptr_array_index(mc->dtls_out, i), &len);

		cr_ice_send(mc, 1, d, len);
	}
	g_ptr_array_set_size(mc->dtls_out, 0);
	if (n)
		cr_trace_add(mc->trace, "dtls", "sent %u held datagrams", n);
}

void cr_forward_dtls_failed(cr_media_call_t *mc, int code, const char *why)
{
	mc->dtls.state = CR_DTLS_FAILED;
	atomic_store(&mc->counters.dtls_state, CR_DTLS_FAILED);
	mc->keys_ready = false;
	cr_srtp_clear(&mc->srtp);
	cr_trace_add(mc->trace, "dtls", "failed: %s", why);
	cr_media_emit(mc, CR_EVENT_DTLS_FAILED, code, 0, "%s", why);
}

void cr_forward_dtls_done(cr_media_call_t *mc)
{
	const char *fp = mc->params.remote_fingerprint;

	if (!fp[0]) {
		/* Dino may send the fingerprint in a later transport-info. */
		mc->dtls_waiting_fingerprint = true;
		cr_trace_add(mc->trace, "dtls", "handshake done, waiting for the remote fingerprint");
		return;
	}
	mc->dtls_waiting_fingerprint = false;
	if (!cr_dtls_fingerprint_matches(&mc->dtls, fp)) {
		cr_forward_dtls_failed(mc, CR_DTLS_FAIL_FINGERPRINT,
				       "the peer's certificate does not match the signaled fingerprint");
		return;
	}
	if (cr_srtp_init(&mc->srtp, &mc->dtls)) {
		cr_forward_dtls_failed(mc, CR_DTLS_FAIL_SRTP, "cannot set up SRTP sessions");
		return;
	}
	mc->keys_ready = true;
	mc->last_client_media_us = g_get_monotonic_time();
	atomic_store(&mc->counters.dtls_state, CR_DTLS_CONNECTED);
	cr_trace_add(mc->trace, "dtls", "connected role=%s profile=%s fingerprint ok",
		     mc->dtls.active ? "client" : "server", cr_dtls_profile_name(mc->dtls.srtp_profile));
	cr_media_emit(mc, CR_EVENT_DTLS_CONNECTED, 0, 0, "role=%s profile=%s",
		      mc->dtls.active ? "client" : "server",
		      cr_dtls_profile_name(mc->dtls.srtp_profile));
}

static void from_client_dtls(cr_media_call_t *mc, const uint8_t *buf, size_t len)
{
	int r;

	if (!mc->dtls.ssl && mc->dtls.state != CR_DTLS_CONNECTED) {
		COUNT(mc, dtls_bad, 1);
		return;
	}
	if (!mc->dtls.started)
		cr_trace_add(mc->trace, "dtls", "first record from the client (we are %s)",
			     mc->dtls.active ? "client" : "server");
	r = cr_dtls_receive(&mc->dtls, buf, len);
	if (r == -1)
		COUNT(mc, dtls_bad, 1);
	else if (r == 1)
		cr_forward_dtls_done(mc);
	else if (r == -2)
		cr_forward_dtls_failed(mc, CR_DTLS_FAIL_HANDSHAKE, mc->dtls.error);
	else if (r == -3)
		cr_forward_dtls_failed(mc, CR_DTLS_FAIL_SRTP, mc->dtls.error);
	cr_forward_dtls_rearm(mc);
}

void cr_forward_from_client(cr_media_call_t *mc, guint comp, uint8_t *in, size_t len)
{
	uint8_t buf[CR_PKT_BUF];
	int n = (int)len;
	cr_pkt_kind_t kind;
	bool rtcp;
	int pt, to;

	if (mc->closed || len == 0)
		return;
	kind = cr_demux_client(in, len);
	if (kind == CR_PKT_DTLS) {
		from_client_dtls(mc, in, len);
		return;
	}
	if (kind == CR_PKT_BAD || len > sizeof(buf)) {
		COUNT(mc, ice_bad, 1);
		return;
	}
	if (!mc->keys_ready) {
		COUNT(mc, early_dropped, 1);
		return;
	}
	memcpy(buf, in, len);
	rtcp = comp == 2 || kind == CR_PKT_RTCP;
	if (cr_srtp_unprotect(&mc->srtp, buf, &n, rtcp)) {
		COUNT(mc, srtp_auth_failed, 1);
		return;
	}
	COUNT(mc, client_rx_packets, 1);
	COUNT(mc, client_rx_bytes, len);
	if (mc->dtls.ssl) {
		/* The client's SRTP proves it finished the handshake: no flight of
		 * ours will be asked for again, the keys are exported, and the
		 * SSL's ~80 kB (record buffers, the last flight, the session) go
		 * (issue #18). Later records are only checked for shape. */
		cr_dtls_release(&mc->dtls);
		cr_trace_add(mc->trace, "dtls", "handshake state freed: the client's SRTP authenticates");
	}
	if (mc->cur_pair >= 0) {
		atomic_fetch_add_explicit(&mc->pairs[mc->cur_pair].rx_packets, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&mc->pairs[mc->cur_pair].rx_bytes, len, memory_order_relaxed);
	}
	mc->last_client_media_us = g_get_monotonic_time();
	if (mc->timeout_reported) {
		mc->timeout_reported = false;
		cr_trace_add(mc->trace, "media", "client media resumed");
	}
	if (rtcp) {
		if (!mc->xc) /* transcoded: terminated, the legs' streams differ */
			cr_rtp_leg_send(mc, true, buf, (size_t)n);
		return;
	}
	pt = buf[1] & 0x7f;
	if (mc->xc && cr_transcode_push(mc->xc, CR_DIR_CLIENT_TO_SIP, pt, buf, (size_t)n))
		return;
	to = mc->pt_to_sip[pt];
	if (to < 0) {
		COUNT(mc, unmapped_pt, 1);
		return;
	}
	buf[1] = (uint8_t)((buf[1] & 0x80) | to);
	/* Sequence numbers shifted past injected digits (dtmf_send.c). */
	if (!cr_sip_out_rewrite(mc, buf, !mc->dtmf_pt_client[pt], mc->last_client_media_us))
		return;
	/* Events say what reached the trunk: nothing goes there before its
	 * address is known, so neither first media nor a digit is reported. */
	if (!cr_rtp_leg_send(mc, false, buf, (size_t)n))
		return;
	if (mc->dtmf_pt_client[pt])
		dtmf_seen(mc, CR_DIR_CLIENT_TO_SIP, buf, (size_t)n, mc->dtmf_clock_client[pt]);
	first_media(mc, CR_DIR_CLIENT_TO_SIP);
}

/* The trunk's receiver reports about the client's stream count sequence
 * numbers as sent to the trunk, shifted past injected digits: shift them
 * back (packet.c), so the client reads its own numbers. */
static void rtcp_unshift_reports(cr_media_call_t *mc, uint8_t *buf, size_t len)
{
	const cr_sip_out_t *o = &mc->sip_out;

	if (o->known)
		cr_rtcp_unshift_reports(buf, len, o->ssrc, o->seq_offset);
}

void cr_forward_from_sip(cr_media_call_t *mc, bool rtcp, uint8_t *buf, size_t len)
{
	int n = (int)len, pt, to, sent;
	guint comp = rtcp && mc->n_components == 2 ? 2 : 1;

	if (mc->closed)
		return;
	if (!mc->keys_ready) {
		/* Never plain RTP toward the client (docs/INTEROP.md#13). */
		COUNT(mc, early_dropped, 1);
		return;
	}
	if (rtcp && mc->xc) /* transcoded: terminated, the legs' streams differ */
		return;
	if (!rtcp) {
		pt = buf[1] & 0x7f;
		if (mc->xc && cr_transcode_push(mc->xc, CR_DIR_SIP_TO_CLIENT, pt, buf, len))
			return;
		to = mc->pt_to_client[pt];
		/* A digit from the trunk is reported even when the client has no
		 * telephone-event to take it (client_pt -1). */
		if (mc->dtmf_pt_sip[pt])
			dtmf_seen(mc, CR_DIR_SIP_TO_CLIENT, buf, len, mc->dtmf_clock_sip[pt]);
		if (to < 0) {
			COUNT(mc, unmapped_pt, 1);
			return;
		}
		buf[1] = (uint8_t)((buf[1] & 0x80) | to);
	} else {
		rtcp_unshift_reports(mc, buf, len);
	}
	if (cr_srtp_protect(&mc->srtp, buf, &n, rtcp))
		return;
	sent = cr_ice_send(mc, comp, buf, (size_t)n);
	if (sent != n)
		return;
	count_client_tx(mc, n);
	if (!rtcp)
		first_media(mc, CR_DIR_SIP_TO_CLIENT);
}

void cr_forward_transcoded(cr_media_call_t *mc, int dir, uint8_t *buf, size_t len)
{
	int n = (int)len;

	if (mc->closed)
		return;
	if (dir == CR_DIR_CLIENT_TO_SIP) {
		if (cr_rtp_leg_send(mc, false, buf, len))
			first_media(mc, CR_DIR_CLIENT_TO_SIP);
		return;
	}
	/* The payloader's packet, with room for the SRTP tag (transcode.c). */
	if (!mc->keys_ready || cr_srtp_protect(&mc->srtp, buf, &n, false))
		return;
	if (cr_ice_send(mc, 1, buf, (size_t)n) != n)
		return;
	count_client_tx(mc, n);
	first_media(mc, CR_DIR_SIP_TO_CLIENT);
}
