/**
 * @file inband_dtmf.c  DTMF across a transcoded call's boundary: RFC 4733 events <-> tones
 *
 * The client has telephone-event, the trunk has none (transcode.c builds
 * the pipelines for it): toward the trunk each RFC 4733 event of the
 * client starts a dtmfsrc tone at its first packet and stops it at its end
 * packet (one unbroken tone however the packets are paced), audiomixer
 * adds it to the decoded audio before it is encoded; from the trunk a tee
 * feeds an 8 kHz copy of the decoded audio to dtmfdetect, whose
 * "dtmf-event" bus messages become RFC 4733 packets in the client leg's
 * stream (its SSRC and timestamps; sequence numbers toward the client are
 * renumbered by transcode.c so the inserted packets fit in).
 */
#include "inband_dtmf.h"

/* The same digit again within this (since its last report): the same tone.
 * Loaded machines showed dropouts inside one 200 ms tone of more than
 * 150 ms; a keypad repeating a digit pauses between the two (the test
 * client: 200 ms on, 100 ms off, so 300 ms apart). */
#define XC_TONE_REPEAT_US 250000
#define XC_TONE_MAX_MS 5000 /* a client tone without its end packet stops after this */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static const char DIGITS[] = "0123456789*#ABCD";

/* Worker: a tone detected in the trunk's audio, as an RFC 4733 event of
 * 100 ms toward the client (RFC 4733 2.5: start with the marker bit, then
 * updates, the end packet three times). */
void cr_inband_dtmf_to_client(cr_inband_dtmf_t *d, int event)
{
	cr_media_call_t *mc = d->mc;
	cr_out_stream_t *st = &mc->xc_out[CR_DIR_SIP_TO_CLIENT];
	uint32_t total = (uint32_t)d->client_dtmf_clock / 10;
	char digit = event >= 0 && event < 16 ? DIGITS[event] : '?';

	/* spandsp reports a tone again after any dropout inside it (a jitter
	 * buffer gap, mixing); a real repeat needs a pause of its own. */
	int64_t now = g_get_monotonic_time();
	bool again = event == d->last_tone && now - d->last_tone_us < XC_TONE_REPEAT_US;

	d->last_tone = event;
	d->last_tone_us = now;
	if (again)
		return;
	if (!st->started || event < 0 || event > 255) {
		cr_trace_add(mc->trace, "transcode", "tone %c from the trunk not sent: no stream to the client yet",
			     digit);
		return;
	}
	for (int i = 0; i < 5; i++) {
		uint8_t pkt[64] = { 0x80, (uint8_t)((i == 0 ? 0x80 : 0) | d->client_dtmf_pt) };
		bool end = i >= 2;
		uint32_t dur = end ? total : total * (uint32_t)(i + 1) / 3;

		pkt[2] = (uint8_t)(st->seq >> 8);
		pkt[3] = (uint8_t)st->seq;
		st->seq++;
		put32(pkt + 4, st->ts);
		put32(pkt + 8, st->ssrc);
		pkt[12] = (uint8_t)event;
		pkt[13] = (uint8_t)((end ? 0x80 : 0) | 10); /* volume -10 dBm0 */
		pkt[14] = (uint8_t)(dur >> 8);
		pkt[15] = (uint8_t)dur;
		st->packets++;
		st->octets += 4;
		d->send(mc, CR_DIR_SIP_TO_CLIENT, pkt, 16);
	}
	atomic_fetch_add_explicit(&mc->counters.dtmf_events, 1, memory_order_relaxed);
	cr_trace_add(mc->trace, "media", "dtmf sip->client digit %c in-band, sent as RFC 4733", digit);
	cr_media_emit(mc, CR_EVENT_DTMF, CR_DIR_SIP_TO_CLIENT, 100,
		      "digit=%c event=%d duration_ms=100", digit, event);
}

/* Worker: a client RFC 4733 packet on its way to become a tone; reported
 * once per event, at its end. */
static void dtmf_from_client(cr_inband_dtmf_t *d, const uint8_t *buf, size_t len)
{
	cr_media_call_t *mc = d->mc;
	cr_rtp_event_t ev;
	int event, ms;
	char digit;

	if (!cr_rtp_event_read(buf, len, &ev) || !ev.end)
		return;
	if (d->dtmf_reported && d->dtmf_ts == ev.timestamp)
		return;
	d->dtmf_reported = true;
	d->dtmf_ts = ev.timestamp;
	event = ev.event;
	ms = (int)((uint32_t)ev.duration * 1000u / (uint32_t)d->client_dtmf_clock);
	digit = event < 16 ? DIGITS[event] : '?';
	atomic_fetch_add_explicit(&mc->counters.dtmf_events, 1, memory_order_relaxed);
	cr_trace_add(mc->trace, "media", "dtmf client->sip digit %c duration %d ms, sent in-band",
		     digit, ms);
	cr_media_emit(mc, CR_EVENT_DTMF, CR_DIR_CLIENT_TO_SIP, ms, "digit=%c event=%d duration_ms=%d",
		      digit, event, ms);
}

static void tone_switch(cr_inband_dtmf_t *d, bool on, int event)
{
	GstElement *src = *d->tone_src;
	GstStructure *st;

	if (!src)
		return;
	st = on ? gst_structure_new("dtmf-event", "type", G_TYPE_INT, 1, "number", G_TYPE_INT, event,
				    "volume", G_TYPE_INT, 10, "start", G_TYPE_BOOLEAN, TRUE, NULL)
		: gst_structure_new("dtmf-event", "type", G_TYPE_INT, 1, "start", G_TYPE_BOOLEAN, FALSE,
				    NULL);
	gst_element_send_event(src, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, st));
	d->tone_on = on;
	d->tone_ending = false;
	if (d->tone_timer) {
		g_source_destroy(d->tone_timer);
		g_source_unref(d->tone_timer);
		d->tone_timer = NULL;
	}
}

static gboolean on_tone_timeout(gpointer data)
{
	cr_inband_dtmf_t *d = data;

	cr_trace_add(d->mc->trace, "transcode", "dtmf tone stopped: no end packet from the client");
	tone_switch(d, false, 0); /* destroys this source: return value unused */
	return G_SOURCE_REMOVE;
}

static gboolean on_tone_end(gpointer data)
{
	tone_switch(data, false, 0);
	return G_SOURCE_REMOVE;
}

/* Worker: an RFC 4733 packet of the client while the trunk has no
 * telephone-event: its event's first packet starts the tone, its end
 * packet stops it (RFC 4733 2.5: packets of one event share a timestamp). */
void cr_inband_dtmf_push(cr_inband_dtmf_t *d, const uint8_t *buf, size_t len)
{
	cr_rtp_event_t ev;
	uint32_t ts;
	bool end;

	if (!cr_rtp_event_read(buf, len, &ev) || ev.event > 15)
		return;
	ts = ev.timestamp;
	end = ev.end;
	if (!end && !(d->tone_on && d->tone_ts == ts) && !(d->dtmf_reported && d->dtmf_ts == ts)) {
		if (d->tone_on)
			tone_switch(d, false, 0);
		tone_switch(d, true, ev.event);
		d->tone_ts = ts;
		d->tone_timer = g_timeout_source_new(XC_TONE_MAX_MS);
		g_source_set_callback(d->tone_timer, on_tone_timeout, d, NULL);
		g_source_attach(d->tone_timer, d->mc->context);
		d->tone_started_us = g_get_monotonic_time();
	} else if (end && d->tone_on && d->tone_ts == ts && !d->tone_ending) {
		/* The tone lasts what the event says, even when its packets came
		 * in a burst (jitter): stop it then, not now. */
		int64_t dur_us = (int64_t)ev.duration * 1000000 / d->client_dtmf_clock;
		int64_t left_ms = (d->tone_started_us + dur_us - g_get_monotonic_time()) / 1000;

		if (left_ms < 10) {
			tone_switch(d, false, 0);
		} else {
			g_source_destroy(d->tone_timer);
			g_source_unref(d->tone_timer);
			d->tone_timer = g_timeout_source_new((guint)left_ms);
			g_source_set_callback(d->tone_timer, on_tone_end, d, NULL);
			g_source_attach(d->tone_timer, d->mc->context);
			d->tone_ending = true;
		}
	}
	dtmf_from_client(d, buf, len);
}

void cr_inband_dtmf_init(cr_inband_dtmf_t *d, cr_media_call_t *mc, GstElement *const *tone_src,
			 int client_pt, int client_clock, cr_inband_dtmf_send_h send)
{
	memset(d, 0, sizeof(*d));
	d->mc = mc;
	d->tone_src = tone_src;
	d->send = send;
	d->client_dtmf_pt = client_pt;
	d->client_dtmf_clock = client_clock > 0 ? client_clock : 8000;
	d->last_tone = -1;
}

void cr_inband_dtmf_clear(cr_inband_dtmf_t *d)
{
	if (d->tone_timer) {
		g_source_destroy(d->tone_timer);
		g_source_unref(d->tone_timer);
		d->tone_timer = NULL;
	}
}
