/**
 * @file out_stream.c  One leg's outgoing stream on a transcoded call: restamping
 *
 * Pure: a cr_out_stream_t and packet bytes in, the packet rewritten in
 * place out; no call, no clock of its own (the caller
 * passes the times), no I/O. transcode.c feeds it what the pipelines and
 * the telephone-event path produce; rtcp_sr.c reports on the stream;
 * relay/tests/test_rtp.c pins it.
 */
#include "media.h"

bool cr_out_stream_audio(cr_out_stream_t *st, int clock, uint8_t *pkt, size_t len, int64_t now_us,
			 const cr_out_stream_seed_t *seed)
{
	uint32_t src_ssrc = cr_rd32(pkt + 8), src_ts = cr_rd32(pkt + 4);
	bool rebuilt = false;

	if (!st->started) {
		st->started = true;
		st->ssrc = seed->ssrc;
		st->seq = seed->seq;
		st->ts_offset = seed->ts - src_ts;
		st->src_ssrc = src_ssrc;
		st->src_known = true;
	} else if (!st->src_known || src_ssrc != st->src_ssrc) {
		uint64_t elapsed = (uint64_t)(now_us - st->sent_us) * (uint64_t)clock / 1000000u;

		st->ts_offset = st->ts + (uint32_t)(elapsed ? elapsed : 1) - src_ts;
		st->src_ssrc = src_ssrc;
		st->src_known = true;
		pkt[1] |= 0x80; /* marker: the codec changed, as after a silence */
		rebuilt = true;
	}
	st->ts = src_ts + st->ts_offset;
	st->sent_us = now_us;
	st->clock = clock;
	cr_rtp_set_seq(pkt, st->seq);
	st->seq++;
	cr_rtp_set_timestamp(pkt, st->ts);
	cr_rtp_set_ssrc(pkt, st->ssrc);
	st->packets++;
	st->octets += (uint32_t)(len - 12);
	return rebuilt;
}

void cr_out_stream_event(cr_out_stream_t *st, uint8_t *pkt, size_t len, int pt)
{
	uint32_t src_ts = cr_rd32(pkt + 4);

	/* RFC 4733 2.5.1.2: every packet of one event carries the event's
	 * first timestamp, ours here: where the stream stood when it began. */
	if (!st->te_known || st->te_src_ts != src_ts) {
		st->te_known = true;
		st->te_reported = false;
		st->te_src_ts = src_ts;
		st->te_ts = st->ts;
	}
	pkt[1] = (uint8_t)((pkt[1] & 0x80) | pt);
	cr_rtp_set_seq(pkt, st->seq);
	st->seq++;
	cr_rtp_set_timestamp(pkt, st->te_ts);
	cr_rtp_set_ssrc(pkt, st->ssrc);
	st->packets++;
	st->octets += (uint32_t)(len - 12);
}
