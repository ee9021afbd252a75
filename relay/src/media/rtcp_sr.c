/**
 * @file rtcp_sr.c  Our RTCP sender reports on a transcoded call's legs (RFC 3550 6.4.1)
 *
 * On a transcoded call RTCP is terminated (forward.c drops the far ends'
 * reports: they describe streams the other leg never sees), so each leg
 * gets reports of ours about the stream the relay sends it, a
 * cr_out_stream_t (out_stream.c, mc->xc_out): every RTCP_SR_MS, for each
 * stream that has started, one sender report without report blocks (no
 * reception reports yet).
 *
 * cr_rtcp_sr_write() is pure (the stream and the times in, 28 bytes out;
 * relay/tests/test_rtp.c pins it). The timer runs on the call's worker
 * and sends through the handler transcode.c gives it, so this file calls
 * nothing of the packet loop (docs/ARCHITECTURE.md, "Layers of the relay").
 */
#include "media.h"

#define RTCP_SR_MS 2500

size_t cr_rtcp_sr_write(const cr_out_stream_t *st, int64_t now_us, int64_t wall_us, uint8_t *pkt)
{
	uint64_t frac = (uint64_t)(wall_us % 1000000) * 4294967296ull / 1000000u;

	/* RFC 3550 6.4.1: V=2, RC=0, PT=200, length 6 (28 bytes). */
	pkt[0] = 0x80;
	pkt[1] = 200;
	pkt[2] = 0;
	pkt[3] = 6;
	cr_wr32(pkt + 4, st->ssrc);
	cr_wr32(pkt + 8, (uint32_t)(wall_us / 1000000 + 2208988800ll)); /* NTP seconds */
	cr_wr32(pkt + 12, (uint32_t)frac);
	cr_wr32(pkt + 16, st->ts + (uint32_t)((uint64_t)(now_us - st->sent_us) * (uint64_t)st->clock /
					      1000000u));
	cr_wr32(pkt + 20, st->packets);
	cr_wr32(pkt + 24, st->octets);
	return 28;
}

typedef struct sr_timer {
	cr_media_call_t *mc;
	cr_rtcp_sr_send_h send;
} sr_timer_t;

static gboolean on_timer(gpointer data)
{
	sr_timer_t *t = data;
	cr_media_call_t *mc = t->mc;
	int64_t now = g_get_monotonic_time(), wall = g_get_real_time();

	for (int dir = CR_DIR_CLIENT_TO_SIP; dir <= CR_DIR_SIP_TO_CLIENT; dir++) {
		const cr_out_stream_t *st = &mc->xc_out[dir];
		uint8_t pkt[128]; /* room for the SRTCP index and tag */

		if (!st->started)
			continue;
		t->send(mc, dir, pkt, cr_rtcp_sr_write(st, now, wall, pkt));
	}
	return G_SOURCE_CONTINUE;
}

GSource *cr_rtcp_sr_start(cr_media_call_t *mc, cr_rtcp_sr_send_h send)
{
	GSource *timer = g_timeout_source_new(RTCP_SR_MS);
	sr_timer_t *t = g_new(sr_timer_t, 1);

	t->mc = mc;
	t->send = send;
	g_source_set_callback(timer, on_timer, t, g_free);
	g_source_attach(timer, mc->context);
	return timer;
}

void cr_rtcp_sr_stop(GSource *timer)
{
	if (!timer)
		return;
	g_source_destroy(timer);
	g_source_unref(timer);
}
