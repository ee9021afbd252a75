/**
 * @file dtmf_send.c  DTMF toward the trunk: RFC 4733 telephone-event packets injected into the forwarded stream
 *
 * Runs on the call's worker. The relay forwards the client's RTP with its
 * own SSRC, sequence numbers and timestamps, so an injected digit joins
 * that stream: same SSRC, a timestamp that goes on from the last audio
 * packet, and the next sequence numbers. Every injected packet (and every
 * client packet held back while a digit plays) moves an offset that the
 * forward path adds to the client's later sequence numbers: the trunk sees
 * one gapless, duplicate-free stream. Per packet this is arithmetic on
 * cr_sip_out_t, no allocation and no lock; only a queued digit allocates.
 *
 * On the wire (RFC 4733 2.5.1): one packet per 50 ms tick, all with the
 * event's timestamp and growing duration, the first with the marker bit;
 * the last (E bit, full duration) three times (2.5.1.4), one tick apart,
 * which also spaces digits. The client's own packets toward the trunk are
 * held back meanwhile, so the trunk never gets audio and an event with the
 * same sequence space mixed (and a tone the client plays is not doubled).
 *
 * Below the packet loop (docs/ARCHITECTURE.md, "Layers of the relay"):
 * forward.c calls in (cr_sip_out_rewrite), the packets leave through the
 * send handler given at cr_dtmf_tx_init(), so this file calls nothing of
 * the loop.
 */
#include "media.h"

#define TICK_MS 50
#define END_PACKETS 3
#define EVENT_PACKET_LEN 16 /* RTP header + RFC 4733 payload */

typedef struct cr_dtmf_req {
	char digit;
	int duration_ms;
	int volume;
} cr_dtmf_req_t;

static const char EVENTS[] = "0123456789*#ABCD";

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

bool cr_sip_out_rewrite(cr_media_call_t *mc, uint8_t *buf, bool audio, int64_t now_us)
{
	cr_sip_out_t *o = &mc->sip_out;
	uint32_t ssrc = rd32(buf + 8);
	uint16_t seq;

	if (!o->known || o->ssrc != ssrc) {
		/* A new stream (or the first): its numbers are its own. */
		o->known = true;
		o->ssrc = ssrc;
		o->seq_offset = 0;
		o->last_us = 0;
	}
	if (mc->dtmf_tx.active) {
		/* Its sequence number will not be on the wire: close the gap. */
		o->seq_offset--;
		mc->dtmf_tx.held++;
		return false;
	}
	seq = (uint16_t)((buf[2] << 8 | buf[3]) + o->seq_offset);
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	o->last_seq = seq;
	if (audio) {
		o->last_ts = rd32(buf + 4);
		o->last_us = now_us;
	}
	return true;
}

static void send_event_packet(cr_media_call_t *mc, bool marker, bool end)
{
	cr_dtmf_tx_t *tx = &mc->dtmf_tx;
	cr_sip_out_t *o = &mc->sip_out;
	uint8_t p[EVENT_PACKET_LEN];
	uint16_t seq = (uint16_t)(o->last_seq + 1);

	p[0] = 0x80;
	p[1] = (uint8_t)((marker ? 0x80 : 0) | tx->pt);
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	wr32(p + 4, tx->ts);
	wr32(p + 8, tx->ssrc);
	p[12] = tx->event;
	p[13] = (uint8_t)((end ? 0x80 : 0) | tx->volume);
	p[14] = (uint8_t)(tx->elapsed >> 8);
	p[15] = (uint8_t)tx->elapsed;
	/* The number is used even if the socket refused the packet: a gap
	 * on the wire, never a duplicate. */
	o->last_seq = seq;
	o->seq_offset++;
	tx->send(mc, false, p, sizeof(p));
}

/* The trunk's telephone-event from the codec map: false when none. */
static bool find_event_pt(cr_media_call_t *mc, uint8_t *pt, int *clock)
{
	for (int i = 0; i < mc->params.n_codecs; i++) {
		const cr_codec_map_t *c = &mc->params.codecs[i];

		if (!g_ascii_strcasecmp(c->name, "telephone-event")) {
			*pt = (uint8_t)c->sip_pt;
			*clock = c->clock_rate > 0 ? c->clock_rate : 8000;
			return true;
		}
	}
	return false;
}

static void digit_done(cr_media_call_t *mc)
{
	atomic_fetch_sub(&mc->dtmf_queued, 1);
}

/* Takes the next queued digit onto the wire: its start packet goes now. */
static void start_next(cr_media_call_t *mc, int64_t now)
{
	cr_dtmf_tx_t *tx = &mc->dtmf_tx;
	cr_sip_out_t *o = &mc->sip_out;
	cr_dtmf_req_t *r;

	while ((r = g_queue_pop_head(&tx->queue))) {
		uint8_t pt;
		int clock;

		if (!find_event_pt(mc, &pt, &clock)) {
			/* The codec map lost telephone-event after the digit was
			 * accepted (a re-INVITE without it). */
			cr_trace_add(mc->trace, "media",
				     "dtmf dropped client->sip digit %c: no telephone-event on the SIP leg now",
				     r->digit);
			g_free(r);
			digit_done(mc);
			continue;
		}
		if (!o->known) {
			/* Nothing forwarded yet: a stream of our own. */
			o->known = true;
			o->ssrc = g_random_int();
			o->last_seq = (uint16_t)g_random_int();
			o->seq_offset = 0;
		}
		tx->active = true;
		tx->digit = r->digit;
		tx->event = (uint8_t)(strchr(EVENTS, r->digit) - EVENTS);
		tx->volume = (uint8_t)r->volume;
		tx->pt = pt;
		tx->clock = clock;
		tx->duration_ms = r->duration_ms;
		tx->ssrc = o->ssrc;
		/* RFC 4733 2.3.1: the event's timestamp is when it began, on the
		 * stream's clock: on from the last audio packet by the time since. */
		tx->ts = o->last_us ? o->last_ts + (uint32_t)((now - o->last_us) * clock / 1000000)
				    : g_random_int();
		tx->total = (uint32_t)r->duration_ms * (uint32_t)clock / 1000u;
		tx->step = (uint32_t)(TICK_MS * clock / 1000);
		tx->elapsed = MIN(tx->step, tx->total);
		tx->ends = 0;
		tx->held = 0;
		g_free(r);
		send_event_packet(mc, true, tx->elapsed == tx->total);
		if (tx->elapsed == tx->total)
			tx->ends = 1;
		return;
	}
}

static void report(cr_media_call_t *mc)
{
	cr_dtmf_tx_t *tx = &mc->dtmf_tx;

	atomic_fetch_add_explicit(&mc->counters.dtmf_events, 1, memory_order_relaxed);
	cr_trace_add(mc->trace, "media", "dtmf sent client->sip digit %c duration %d ms",
		     tx->digit, tx->duration_ms);
	cr_media_emit(mc, CR_EVENT_DTMF, CR_DIR_CLIENT_TO_SIP, tx->duration_ms,
		      "digit=%c event=%d duration_ms=%d sent=1", tx->digit, tx->event,
		      tx->duration_ms);
}

/* One 50 ms tick: the next packet of the digit on the wire, or the next digit. */
static gboolean on_tick(gpointer p)
{
	cr_media_call_t *mc = p;
	cr_dtmf_tx_t *tx = &mc->dtmf_tx;
	int64_t now = g_get_monotonic_time();

	if (mc->closed)
		return G_SOURCE_CONTINUE;
	if (tx->active) {
		if (tx->ends == 0) {
			tx->elapsed = MIN(tx->elapsed + tx->step, tx->total);
			if (tx->elapsed == tx->total)
				tx->ends = 1;
			send_event_packet(mc, false, tx->ends > 0);
			if (tx->ends)
				report(mc);
		} else if (tx->ends < END_PACKETS) {
			tx->ends++;
			send_event_packet(mc, false, true);
		}
		if (tx->ends < END_PACKETS)
			return G_SOURCE_CONTINUE;
		/* Done: the next digit's timestamp goes on from this one's end. */
		tx->active = false;
		mc->sip_out.last_ts = tx->ts + tx->total;
		mc->sip_out.last_us = now;
		if (tx->held)
			cr_trace_add(mc->trace, "media",
				     "dtmf digit %c: %u client packets held back while it played",
				     tx->digit, tx->held);
		digit_done(mc);
		return G_SOURCE_CONTINUE; /* a tick of silence between digits */
	}
	if (!g_queue_is_empty(&tx->queue)) {
		start_next(mc, now);
		if (tx->active && tx->ends)
			report(mc);
		return G_SOURCE_CONTINUE;
	}
	g_source_unref(tx->timer);
	tx->timer = NULL;
	return G_SOURCE_REMOVE;
}

void cr_dtmf_tx_init(cr_media_call_t *mc, cr_dtmf_tx_send_h send)
{
	mc->dtmf_tx.send = send;
}

void cr_dtmf_tx_queue(cr_media_call_t *mc, char digit, int duration_ms, int volume)
{
	cr_dtmf_tx_t *tx = &mc->dtmf_tx;
	cr_dtmf_req_t *r = g_new(cr_dtmf_req_t, 1);

	r->digit = (char)g_ascii_toupper(digit);
	r->duration_ms = duration_ms;
	r->volume = volume < 0 ? CR_DTMF_DEFAULT_VOLUME : volume;
	g_queue_push_tail(&tx->queue, r);
	if (tx->timer)
		return;
	/* Idle: the first packet goes now, the rest on the tick. */
	start_next(mc, g_get_monotonic_time());
	if (tx->active && tx->ends)
		report(mc);
	tx->timer = g_timeout_source_new(TICK_MS);
	g_source_set_callback(tx->timer, on_tick, mc, NULL);
	g_source_attach(tx->timer, mc->context);
}

void cr_dtmf_tx_clear(cr_media_call_t *mc)
{
	cr_dtmf_tx_t *tx = &mc->dtmf_tx;
	cr_dtmf_req_t *r;

	if (tx->timer) {
		g_source_destroy(tx->timer);
		g_source_unref(tx->timer);
		tx->timer = NULL;
	}
	while ((r = g_queue_pop_head(&tx->queue)))
		g_free(r);
	tx->active = false;
}
