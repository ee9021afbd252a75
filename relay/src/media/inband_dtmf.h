/**
 * @file inband_dtmf.h  In-band DTMF on a transcoded call: RFC 4733 events <-> tones (inband_dtmf.c)
 *
 * Used by transcode.c only, on calls whose client leg has telephone-event
 * and whose SIP leg has none. It knows the call's media (trace, counters,
 * events, the client leg's outgoing stream) and the client->sip pipeline's
 * dtmfsrc; what it sends toward the client goes through the handler given
 * at init, so it calls nothing above it (docs/ARCHITECTURE.md, "Layers of
 * the relay"). Worker only.
 */
#ifndef CR_INBAND_DTMF_H
#define CR_INBAND_DTMF_H

#include <gst/gst.h>

#include "media.h"

/* Sends a packet (plain RTP of the leg dir leads to) toward that leg. */
typedef void (*cr_inband_dtmf_send_h)(cr_media_call_t *mc, int dir, uint8_t *pkt, size_t len);

typedef struct cr_inband_dtmf {
	cr_media_call_t *mc;
	GstElement *const *tone_src; /* the client->sip pipeline's dtmfsrc (NULL: none now) */
	cr_inband_dtmf_send_h send;
	int client_dtmf_pt, client_dtmf_clock;
	bool dtmf_reported; /* client events reported, by their timestamp */
	uint32_t dtmf_ts;
	bool tone_on;       /* dtmfsrc plays the client's event of timestamp tone_ts */
	bool tone_ending;   /* its end came early: tone_timer stops it */
	uint32_t tone_ts;
	int64_t tone_started_us;
	GSource *tone_timer; /* stops a tone whose end packet never came */
	int last_tone;      /* the trunk's last detected digit, and when */
	int64_t last_tone_us;
} cr_inband_dtmf_t;

/* Sets d up for the call mc: the client's telephone-event payload type and
 * clock (<= 0: 8000), where the tone generator will be (*tone_src, read at
 * each tone: pipelines are rebuilt), and how packets toward the client go. */
void cr_inband_dtmf_init(cr_inband_dtmf_t *d, cr_media_call_t *mc, GstElement *const *tone_src,
			 int client_pt, int client_clock, cr_inband_dtmf_send_h send);
/* Stops d's timer (before the pipelines stop); d may be dropped then. */
void cr_inband_dtmf_clear(cr_inband_dtmf_t *d);
/* A client RFC 4733 packet: starts or stops a tone, reports the event once
 * at its end (CR_EVENT_DTMF). */
void cr_inband_dtmf_push(cr_inband_dtmf_t *d, const uint8_t *buf, size_t len);
/* A digit dtmfdetect heard in the trunk's audio (its "dtmf-event"
 * message): a 100 ms RFC 4733 event in the client leg's stream. */
void cr_inband_dtmf_to_client(cr_inband_dtmf_t *d, int event);

#endif
