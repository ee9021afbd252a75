/**
 * @file test_rtp.c  RTP headers (RFC 3550 5.1, 5.3.1), RFC 4733 events, sequence and timestamp rewriting
 *
 * Pure unit tests: bytes in, fields out (relay/src/rtp.c); the sequence
 * numbering of the SIP leg's stream around injected digits
 * (cr_sip_out_rewrite() in relay/src/media/dtmf_send.c) on a bare call
 * state, no sockets; and a transcoded leg's outgoing stream
 * (relay/src/media/out_stream.c): restamping across a pipeline rebuild
 * (8 kHz and Opus's 48 kHz clock), telephone-event packets joining it, and
 * its sender reports (relay/src/media/rtcp_sr.c).
 */
#include <glib.h>
#include <string.h>

#include "media/media.h"
#include "rtp.h"
#include "test.h"

int test_rtp_header_fixed(void);
int test_rtp_header_csrc_extension(void);
int test_rtp_header_padding_and_bad(void);
int test_rtp_event_rfc4733(void);
int test_rtp_sequence_rewrite(void);
int test_rtp_out_stream_restamp(void);
int test_rtp_out_stream_events_and_sr(void);
int test_rtp_out_stream_opus_rebuilt_at_once(void);

int test_rtp_header_fixed(void)
{
	/* V=2 P=0 X=0 CC=0, M=1 PT=0 (PCMU), seq 0xfffe, ts 160, SSRC
	 * 0xdeadbeef, 4 bytes of payload. */
	static const uint8_t pkt[16] = { 0x80, 0x80, 0xff, 0xfe, 0, 0, 0, 160,
					 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0x7f, 0x7f };
	uint8_t copy[sizeof(pkt)];
	cr_rtp_header_t h;
	int err = 0;

	TEST_ASSERT(cr_rtp_header_parse(pkt, sizeof(pkt), &h));
	TEST_ASSERT(h.marker);
	TEST_ASSERT(!h.padding && !h.extension);
	TEST_EQUALS(0, h.cc);
	TEST_EQUALS(0, h.pt);
	TEST_EQUALS(0xfffe, h.seq);
	TEST_EQUALS(160, h.timestamp);
	TEST_EQUALS(0xdeadbeef, h.ssrc);
	TEST_EQUALS(12, h.header_len);
	TEST_EQUALS(4, h.payload_len);
	/* The header alone is a packet with an empty payload. */
	TEST_ASSERT(cr_rtp_header_parse(pkt, 12, &h));
	TEST_EQUALS(0, h.payload_len);

	/* Rewriting in place touches only its field. */
	memcpy(copy, pkt, sizeof(pkt));
	cr_rtp_set_seq(copy, 0x0102);
	cr_rtp_set_timestamp(copy, 0x03040506);
	cr_rtp_set_ssrc(copy, 0x0708090a);
	TEST_ASSERT(cr_rtp_header_parse(copy, sizeof(copy), &h));
	TEST_EQUALS(0x0102, h.seq);
	TEST_EQUALS(0x03040506, h.timestamp);
	TEST_EQUALS(0x0708090a, h.ssrc);
	TEST_ASSERT(h.marker);
	TEST_EQUALS(0, h.pt);
	TEST_ASSERT(memcmp(copy + 12, pkt + 12, 4) == 0);
out:
	return err;
}

int test_rtp_header_csrc_extension(void)
{
	/* CC=2 and X=1: two CSRCs, then an RFC 8285 one-byte-header
	 * extension (profile 0xBEDE) of 2 words, then 3 bytes of payload.
	 * Header: 12 + 8 + 4 + 8 = 32 bytes. */
	static const uint8_t pkt[35] = {
		0x92, 111, 0x00, 0x07, 0x00, 0x00, 0x03, 0xc0, 0x11, 0x22, 0x33, 0x44,
		0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb, 0xbb,  /* CSRCs */
		0xbe, 0xde, 0x00, 0x02,                          /* extension header */
		0x10, 0x42, 0x21, 0x01, 0x02, 0x00, 0x00, 0x00,  /* its 2 words */
		0x01, 0x02, 0x03,                                /* payload */
	};
	cr_rtp_header_t h;
	int err = 0;

	TEST_ASSERT(cr_rtp_header_parse(pkt, sizeof(pkt), &h));
	TEST_EQUALS(2, h.cc);
	TEST_ASSERT(h.extension);
	TEST_ASSERT(!h.marker);
	TEST_EQUALS(111, h.pt);
	TEST_EQUALS(7, h.seq);
	TEST_EQUALS(960, h.timestamp);
	TEST_EQUALS(0xbede, h.ext_profile);
	TEST_EQUALS(8, h.ext_len);
	TEST_EQUALS(32, h.header_len);
	TEST_EQUALS(3, h.payload_len);
	/* Every cut inside the CSRCs or the extension is refused. */
	for (size_t len = 12; len < 32; len++)
		if (cr_rtp_header_parse(pkt, len, &h))
			TEST_FAIL("a header cut at %zu bytes was read", len);
	TEST_ASSERT(cr_rtp_header_parse(pkt, 32, &h));
	TEST_EQUALS(0, h.payload_len);
out:
	return err;
}

int test_rtp_header_padding_and_bad(void)
{
	/* P=1: 2 bytes of payload, then 2 bytes of padding whose last byte
	 * counts them (RFC 3550 5.1). */
	uint8_t pkt[16] = { 0xa0, 8, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 0xd5, 0xd5, 0x00, 0x02 };
	cr_rtp_header_t h;
	int err = 0;

	TEST_ASSERT(cr_rtp_header_parse(pkt, sizeof(pkt), &h));
	TEST_ASSERT(h.padding);
	TEST_EQUALS(8, h.pt);
	TEST_EQUALS(2, h.payload_len);
	/* Padding longer than the payload, or a count of 0: refused. */
	pkt[15] = 5;
	TEST_ASSERT(!cr_rtp_header_parse(pkt, sizeof(pkt), &h));
	pkt[15] = 0;
	TEST_ASSERT(!cr_rtp_header_parse(pkt, sizeof(pkt), &h));
	/* Not version 2, or shorter than the fixed header: refused. */
	pkt[0] = 0x40;
	pkt[15] = 2;
	TEST_ASSERT(!cr_rtp_header_parse(pkt, sizeof(pkt), &h));
	pkt[0] = 0x80;
	TEST_ASSERT(!cr_rtp_header_parse(pkt, 11, &h));
	TEST_ASSERT(!cr_rtp_header_parse(NULL, 0, &h));
	/* CC=15 claims 60 bytes of CSRCs a 16-byte packet does not hold. */
	pkt[0] = 0x8f;
	TEST_ASSERT(!cr_rtp_header_parse(pkt, sizeof(pkt), &h));
out:
	return err;
}

int test_rtp_event_rfc4733(void)
{
	/* RFC 4733 2.3 payloads (event, E|R|volume, duration) of one digit
	 * "#" (event 11) at 8 kHz, 50 ms a packet (2.5.1.2: one timestamp
	 * for the whole event, growing durations), then the end packet. The
	 * first goes with the marker bit; the last also carries a CSRC and a
	 * header extension, which the event comes after. */
	static const uint8_t start[16] = { 0x80, 0x80 | 101, 0x12, 0x34, 0x00, 0x01, 0x00, 0x00,
					   0xca, 0xfe, 0xba, 0xbe, 11, 10, 0x01, 0x90 };
	static const uint8_t end[28] = {
		0x91, 101, 0x12, 0x37, 0x00, 0x01, 0x00, 0x00, 0xca, 0xfe, 0xba, 0xbe,
		0x01, 0x02, 0x03, 0x04,                         /* CSRC */
		0xbe, 0xde, 0x00, 0x01, 0x10, 0x07, 0x00, 0x00, /* extension, 1 word */
		11, 0x80 | 10, 0x06, 0x40,                      /* E, -10 dBm0, 1600 */
	};
	uint8_t bad[sizeof(end)];
	cr_rtp_event_t ev;
	int err = 0;

	TEST_ASSERT(cr_rtp_event_read(start, sizeof(start), &ev));
	TEST_EQUALS(65536, ev.timestamp);
	TEST_EQUALS(11, ev.event);
	TEST_ASSERT(!ev.end);
	TEST_EQUALS(10, ev.volume);
	TEST_EQUALS(400, ev.duration);

	TEST_ASSERT(cr_rtp_event_read(end, sizeof(end), &ev));
	TEST_EQUALS(65536, ev.timestamp);
	TEST_EQUALS(11, ev.event);
	TEST_ASSERT(ev.end);
	TEST_EQUALS(10, ev.volume);
	TEST_EQUALS(1600, ev.duration);

	/* The R bit is not part of the volume. */
	memcpy(bad, end, sizeof(end));
	bad[25] = 0x80 | 0x40 | 10;
	TEST_ASSERT(cr_rtp_event_read(bad, sizeof(bad), &ev));
	TEST_EQUALS(10, ev.volume);
	/* An extension whose length runs past the packet hides no event. */
	bad[19] = 4;
	TEST_ASSERT(!cr_rtp_event_read(bad, sizeof(bad), &ev));
	/* One byte short of the event: not read. */
	TEST_ASSERT(!cr_rtp_event_read(end, sizeof(end) - 1, &ev));
	TEST_ASSERT(!cr_rtp_event_read(start, 15, &ev));
out:
	return err;
}

static uint16_t seq_of(const uint8_t *p)
{
	return cr_rd16(p + 2);
}

int test_rtp_sequence_rewrite(void)
{
	/* The client's stream toward the trunk: while a digit of ours is on
	 * the wire the client's packets are held back, and afterwards its
	 * sequence numbers go on from the injected ones without a gap or a
	 * duplicate, across the 16-bit wrap. */
	cr_media_call_t *mc = g_new0(cr_media_call_t, 1);
	uint8_t pkt[16] = { 0x80, 0, 0xff, 0xfd, 0, 0, 0x10, 0, 0x11, 0x22, 0x33, 0x44 };
	int err = 0;

	TEST_ASSERT(cr_sip_out_rewrite(mc, pkt, true, 1000));
	TEST_EQUALS(0xfffd, seq_of(pkt));
	TEST_EQUALS(0x1000, mc->sip_out.last_ts);
	/* Two event packets of ours went out (dtmf_send.c numbers them
	 * last_seq + 1 and shifts the client's stream by one each). */
	mc->sip_out.last_seq = (uint16_t)(mc->sip_out.last_seq + 2);
	mc->sip_out.seq_offset = (uint16_t)(mc->sip_out.seq_offset + 2);
	/* Meanwhile one client packet arrives while the digit is active:
	 * held back, its number given back. */
	mc->dtmf_tx.active = true;
	cr_rtp_set_seq(pkt, 0xfffe);
	TEST_ASSERT(!cr_sip_out_rewrite(mc, pkt, true, 2000));
	TEST_EQUALS(1, mc->dtmf_tx.held);
	mc->dtmf_tx.active = false;
	/* The next client packet follows our last event packet: 0xffff + 1. */
	cr_rtp_set_seq(pkt, 0xffff);
	TEST_ASSERT(cr_sip_out_rewrite(mc, pkt, true, 3000));
	TEST_EQUALS(0x0000, seq_of(pkt));
	cr_rtp_set_seq(pkt, 0x0000);
	TEST_ASSERT(cr_sip_out_rewrite(mc, pkt, false, 4000));
	TEST_EQUALS(0x0001, seq_of(pkt));
	/* A telephone-event packet of the client (audio false) leaves the
	 * audio timestamp alone. */
	TEST_EQUALS(0x1000, mc->sip_out.last_ts);
	TEST_EQUALS(3000, mc->sip_out.last_us);
	/* A new SSRC is a new stream: its numbers are its own again. */
	cr_rtp_set_ssrc(pkt, 0x55667788);
	cr_rtp_set_seq(pkt, 0x0500);
	TEST_ASSERT(cr_sip_out_rewrite(mc, pkt, true, 5000));
	TEST_EQUALS(0x0500, seq_of(pkt));
	TEST_EQUALS(0, mc->sip_out.seq_offset);
out:
	g_free(mc);
	return err;
}

/* A payloader packet: PT 0, seq, ts, SSRC, 160 bytes of payload. */
static void payloader_packet(uint8_t *pkt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	memset(pkt, 0xff, 172);
	pkt[0] = 0x80;
	pkt[1] = 0;
	cr_rtp_set_seq(pkt, seq);
	cr_rtp_set_timestamp(pkt, ts);
	cr_rtp_set_ssrc(pkt, ssrc);
}

int test_rtp_out_stream_restamp(void)
{
	cr_out_stream_t st;
	const cr_out_stream_seed_t seed = { 0xabcdef01, 0xfffe, 0xfffffe00 };
	uint8_t pkt[172];
	cr_rtp_header_t h;
	int err = 0;

	memset(&st, 0, sizeof(st));
	/* The first packet starts the stream at the seed, whatever the
	 * payloader's own numbers. */
	payloader_packet(pkt, 500, 1000, 0x1111);
	TEST_ASSERT(!cr_out_stream_audio(&st, 8000, pkt, sizeof(pkt), 1000000, &seed));
	TEST_ASSERT(cr_rtp_header_parse(pkt, sizeof(pkt), &h));
	TEST_EQUALS(0xabcdef01, h.ssrc);
	TEST_EQUALS(0xfffe, h.seq);
	TEST_EQUALS(0xfffffe00, h.timestamp);
	TEST_ASSERT(!h.marker);
	/* 20 ms later: +160 in the payloader's clock is +160 in ours, across
	 * the 32-bit timestamp wrap and the 16-bit sequence wrap. */
	payloader_packet(pkt, 501, 1160, 0x1111);
	TEST_ASSERT(!cr_out_stream_audio(&st, 8000, pkt, sizeof(pkt), 1020000, &seed));
	TEST_ASSERT(cr_rtp_header_parse(pkt, sizeof(pkt), &h));
	TEST_EQUALS(0xffff, h.seq);
	TEST_EQUALS(0xfffffea0, h.timestamp);
	payloader_packet(pkt, 502, 1320, 0x1111);
	TEST_ASSERT(!cr_out_stream_audio(&st, 8000, pkt, sizeof(pkt), 1040000, &seed));
	TEST_ASSERT(cr_rtp_header_parse(pkt, sizeof(pkt), &h));
	TEST_EQUALS(0x0000, h.seq);
	TEST_EQUALS(0xffffff40, h.timestamp);
	/* A rebuilt pipeline (another payloader SSRC, its own timestamps)
	 * 100 ms after the last packet: the stream goes on 800 ticks later,
	 * with the marker bit, the same SSRC and the next number. */
	payloader_packet(pkt, 7, 424242, 0x2222);
	TEST_ASSERT(cr_out_stream_audio(&st, 8000, pkt, sizeof(pkt), 1140000, &seed));
	TEST_ASSERT(cr_rtp_header_parse(pkt, sizeof(pkt), &h));
	TEST_ASSERT(h.marker);
	TEST_EQUALS(0xabcdef01, h.ssrc);
	TEST_EQUALS(0x0001, h.seq);
	TEST_EQUALS((uint32_t)(0xffffff40u + 800u), h.timestamp);
	/* ...and follows the new payloader from there. */
	payloader_packet(pkt, 8, 424242 + 160, 0x2222);
	TEST_ASSERT(!cr_out_stream_audio(&st, 8000, pkt, sizeof(pkt), 1160000, &seed));
	TEST_ASSERT(cr_rtp_header_parse(pkt, sizeof(pkt), &h));
	TEST_ASSERT(!h.marker);
	TEST_EQUALS(0x0002, h.seq);
	TEST_EQUALS((uint32_t)(0xffffff40u + 960u), h.timestamp);
	TEST_EQUALS(5, st.packets);
	TEST_EQUALS(5 * 160, st.octets);
out:
	return err;
}

int test_rtp_out_stream_events_and_sr(void)
{
	cr_out_stream_t st;
	const cr_out_stream_seed_t seed = { 0x01020304, 100, 8000 };
	uint8_t pkt[172], ev[16], sr[28];
	cr_rtp_header_t h;
	int err = 0;

	memset(&st, 0, sizeof(st));
	payloader_packet(pkt, 1, 0, 0x1111);
	cr_out_stream_audio(&st, 8000, pkt, sizeof(pkt), 2000000, &seed);
	/* An RFC 4733 event from the other leg (its PT 101, its SSRC and
	 * timestamp 5000), three packets of one event, then a second event:
	 * PT rewritten to ours (96), our SSRC, our next numbers, and one
	 * timestamp per event: where our stream stood when it began. */
	for (int i = 0; i < 4; i++) {
		static const uint8_t proto[16] = { 0x80, 0x80 | 101, 0, 9, 0, 0, 0x13, 0x88,
						   0x99, 0x99, 0x99, 0x99, 5, 10, 0, 160 };

		memcpy(ev, proto, sizeof(ev));
		if (i == 3) {
			cr_rtp_set_timestamp(ev, 9000); /* the next event */
			st.ts = 8000 + 480;              /* audio went on meanwhile */
		}
		cr_out_stream_event(&st, ev, sizeof(ev), 96);
		TEST_ASSERT(cr_rtp_header_parse(ev, sizeof(ev), &h));
		TEST_EQUALS(96, h.pt);
		TEST_ASSERT(h.marker);
		TEST_EQUALS(0x01020304, h.ssrc);
		TEST_EQUALS(101 + i, h.seq);
		TEST_EQUALS(i < 3 ? 8000 : 8480, h.timestamp);
	}
	TEST_EQUALS(5, st.packets);
	TEST_EQUALS(160 + 4 * 4, st.octets);

	/* The sender report 50 ms after the last audio packet: our SSRC, the
	 * RTP time extrapolated at the stream's clock, the counts (RFC 3550
	 * 6.4.1), NTP seconds from 1900. */
	st.ts = 8000;
	TEST_EQUALS(28, cr_rtcp_sr_write(&st, 2050000, 1700000000500000ll, sr));
	TEST_EQUALS(0x80, sr[0]);
	TEST_EQUALS(200, sr[1]);
	TEST_EQUALS(6, cr_rd16(sr + 2));
	TEST_EQUALS(0x01020304, cr_rd32(sr + 4));
	TEST_EQUALS((uint32_t)(1700000000ll + 2208988800ll), cr_rd32(sr + 8));
	TEST_EQUALS(0x80000000u, cr_rd32(sr + 12)); /* half a second */
	TEST_EQUALS(8000 + 400, cr_rd32(sr + 16));
	TEST_EQUALS(5, cr_rd32(sr + 20));
	TEST_EQUALS(176, cr_rd32(sr + 24));
out:
	return err;
}

/* An Opus leg (48 kHz RTP clock) whose pipeline is rebuilt the instant its
 * last packet left: the stream still moves on, one tick, so that no two
 * packets of it carry one timestamp; the report extrapolates at 48 kHz;
 * a telephone-event packet without the marker (not an event's first) keeps
 * it clear. */
int test_rtp_out_stream_opus_rebuilt_at_once(void)
{
	cr_out_stream_t st;
	const cr_out_stream_seed_t seed = { 0x0badf00d, 0x1234, 1000 };
	uint8_t pkt[172], sr[28]; /* payloader_packet() fills 172; 92 are sent */
	uint8_t ev[16] = { 0x80, 101, 0, 1, 0, 0, 0, 50, 1, 2, 3, 4, 5, 0x80 | 10, 0x03, 0xc0 };
	cr_rtp_header_t h;
	int err = 0;

	memset(&st, 0, sizeof(st));
	payloader_packet(pkt, 9, 0, 0x3333);
	TEST_ASSERT(!cr_out_stream_audio(&st, 48000, pkt, 92, 5000000, &seed));
	TEST_ASSERT(cr_rtp_header_parse(pkt, 92, &h));
	TEST_EQUALS(0x1234, h.seq);
	TEST_EQUALS(1000, h.timestamp);
	/* 20 ms of Opus: +960. */
	payloader_packet(pkt, 10, 960, 0x3333);
	TEST_ASSERT(!cr_out_stream_audio(&st, 48000, pkt, 92, 5020000, &seed));
	TEST_ASSERT(cr_rtp_header_parse(pkt, 92, &h));
	TEST_EQUALS(0x1235, h.seq);
	TEST_EQUALS(1960, h.timestamp);
	/* Rebuilt with no time elapsed: one tick on, the marker, same SSRC. */
	payloader_packet(pkt, 1, 777777, 0x4444);
	TEST_ASSERT(cr_out_stream_audio(&st, 48000, pkt, 92, 5020000, &seed));
	TEST_ASSERT(cr_rtp_header_parse(pkt, 92, &h));
	TEST_ASSERT(h.marker);
	TEST_EQUALS(0x0badf00d, h.ssrc);
	TEST_EQUALS(0x1236, h.seq);
	TEST_EQUALS(1961, h.timestamp);
	/* The end of an event: its marker stays clear, the PT becomes ours. */
	cr_out_stream_event(&st, ev, sizeof(ev), 110);
	TEST_ASSERT(cr_rtp_header_parse(ev, sizeof(ev), &h));
	TEST_ASSERT(!h.marker);
	TEST_EQUALS(110, h.pt);
	TEST_EQUALS(0x1237, h.seq);
	TEST_EQUALS(1961, h.timestamp);
	/* 10 ms after the last audio packet: +480 at 48 kHz. */
	TEST_EQUALS(28, cr_rtcp_sr_write(&st, 5030000, 1700000000000000ll, sr));
	TEST_EQUALS(1961 + 480, cr_rd32(sr + 16));
	TEST_EQUALS(4, cr_rd32(sr + 20));
	TEST_EQUALS(3 * 80 + 4, cr_rd32(sr + 24));
out:
	return err;
}
