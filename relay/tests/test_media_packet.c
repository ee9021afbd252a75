/**
 * @file test_media_packet.c  The pure per-packet functions: RFC 7983 demux, RTCP report shift, RFC 4733 events
 */
#include <string.h>

#include "media/media.h"
#include "test.h"

int test_media_packet_demux(void);
int test_media_packet_rtcp_unshift(void);
int test_media_packet_rtp_event(void);

int test_media_packet_demux(void)
{
	/* RTP, version 2, PT 0 (RFC 3550 5.1): 12-byte fixed header. */
	static const uint8_t rtp[12] = { 0x80, 0x00, 0x12, 0x34, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef };
	/* RTCP RR (PT 201), no report blocks: 8 bytes, too short for RTP's
	 * header on the client side, RTCP on the SIP leg's RTCP socket only
	 * when long enough for the fixed header. */
	static const uint8_t rtcp_sr[28] = { 0x80, 200, 0, 6, 0xde, 0xad, 0xbe, 0xef };
	/* DTLS 1.2 handshake record header (RFC 6347 4.1): content type 22. */
	static const uint8_t dtls[13] = { 22, 0xfe, 0xfd };
	/* STUN binding request (RFC 5389 6): first byte 0. */
	static const uint8_t stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
	uint8_t v1[12];
	int err = 0;

	TEST_EQUALS(CR_PKT_RTP, cr_demux_client(rtp, sizeof(rtp)));
	TEST_EQUALS(CR_PKT_RTCP, cr_demux_client(rtcp_sr, sizeof(rtcp_sr)));
	TEST_EQUALS(CR_PKT_DTLS, cr_demux_client(dtls, sizeof(dtls)));
	TEST_EQUALS(CR_PKT_BAD, cr_demux_client(stun, sizeof(stun)));
	TEST_EQUALS(CR_PKT_BAD, cr_demux_client(rtp, 11));
	TEST_EQUALS(CR_PKT_BAD, cr_demux_client(rtp, 0));
	/* First byte 64-127 (RFC 7983: TURN channels, ZRTP): not ours. */
	memcpy(v1, rtp, sizeof(v1));
	v1[0] = 0x40;
	TEST_EQUALS(CR_PKT_BAD, cr_demux_client(v1, sizeof(v1)));
	/* 192-255 is outside RTP's range too. */
	v1[0] = 0xc0;
	TEST_EQUALS(CR_PKT_BAD, cr_demux_client(v1, sizeof(v1)));

	TEST_EQUALS(CR_PKT_RTP, cr_demux_sip(rtp, sizeof(rtp), false));
	TEST_EQUALS(CR_PKT_RTCP, cr_demux_sip(rtp, sizeof(rtp), true));
	TEST_EQUALS(CR_PKT_RTCP, cr_demux_sip(rtcp_sr, sizeof(rtcp_sr), false));
	TEST_EQUALS(CR_PKT_BAD, cr_demux_sip(rtp, 11, false));
	/* Version 1 is not RTP. */
	v1[0] = 0x40;
	TEST_EQUALS(CR_PKT_BAD, cr_demux_sip(v1, sizeof(v1), false));
out:
	return err;
}

int test_media_packet_rtcp_unshift(void)
{
	/* Compound RR + SR (RFC 3550 6.4), each with one report block; the
	 * RR's block is about SSRC 0x11223344 (ours), the SR's about another
	 * source. Extended highest sequence numbers 0x00010005 and 7. */
	uint8_t pkt[32 + 52] = {
		/* RR: V=2 RC=1, PT 201, length 7 (32 bytes), sender SSRC */
		0x81, 201, 0, 7, 0xaa, 0xaa, 0xaa, 0xaa,
		/* block: SSRC, lost, ext. highest seq, jitter, LSR, DLSR */
		0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0x05,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		/* SR: V=2 RC=1, PT 200, length 12 (52 bytes), sender info (20) */
		0x81, 200, 0, 12, 0xbb, 0xbb, 0xbb, 0xbb,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x55, 0x66, 0x77, 0x88, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x07,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	uint8_t copy[sizeof(pkt)];
	int err = 0;

	/* Two digits were injected (offset 2): 0x00010005 - 2. */
	cr_rtcp_unshift_reports(pkt, sizeof(pkt), 0x11223344, 2);
	TEST_EQUALS(0x00010003, (uint32_t)pkt[16] << 24 | pkt[17] << 16 | pkt[18] << 8 | pkt[19]);
	TEST_EQUALS(7, pkt[32 + 28 + 11]);
	/* A negative offset (held-back packets) across a wrap of the low 16 bits. */
	cr_rtcp_unshift_reports(pkt, sizeof(pkt), 0x11223344, (uint16_t)-5);
	TEST_EQUALS(0x00010008, (uint32_t)pkt[16] << 24 | pkt[17] << 16 | pkt[18] << 8 | pkt[19]);
	/* A length past the datagram stops the walk: nothing changes. */
	memcpy(copy, pkt, sizeof(pkt));
	pkt[3] = 200;
	cr_rtcp_unshift_reports(pkt, sizeof(pkt), 0x11223344, 2);
	pkt[3] = 7;
	TEST_ASSERT(memcmp(copy, pkt, sizeof(pkt)) == 0);
	/* A report count larger than the packet holds stops at its end. */
	pkt[0] = 0x9f; /* RC 31 */
	cr_rtcp_unshift_reports(pkt, 32, 0x11223344, 2);
	TEST_EQUALS(0x00010006, (uint32_t)pkt[16] << 24 | pkt[17] << 16 | pkt[18] << 8 | pkt[19]);
out:
	return err;
}

int test_media_packet_rtp_event(void)
{
	/* RFC 4733 2.3: digit 5, end bit, volume 10, duration 1600 (200 ms
	 * at 8 kHz), after a header with one CSRC. */
	static const uint8_t ev_pkt[20] = {
		0x81, 101, 0, 1, 0, 0, 0x1f, 0x40, 1, 2, 3, 4, /* ts 8000 */
		9, 9, 9, 9,                                    /* CSRC */
		5, 0x80 | 10, 0x06, 0x40,
	};
	cr_rtp_event_t ev;
	int err = 0;

	TEST_ASSERT(cr_rtp_event_read(ev_pkt, sizeof(ev_pkt), &ev));
	TEST_EQUALS(8000, ev.timestamp);
	TEST_EQUALS(5, ev.event);
	TEST_ASSERT(ev.end);
	TEST_EQUALS(10, ev.volume);
	TEST_EQUALS(1600, ev.duration);
	/* One byte short of the event: not read. */
	TEST_ASSERT(!cr_rtp_event_read(ev_pkt, sizeof(ev_pkt) - 1, &ev));
	/* Fewer bytes than the CSRC count says: not read. */
	TEST_ASSERT(!cr_rtp_event_read(ev_pkt, 14, &ev));
out:
	return err;
}
