/**
 * @file packet.c  Pure packet functions of the media path: demultiplexing and RTCP
 *
 * No call state, no I/O: bytes in, a verdict or an in-place rewrite out, so
 * the unit tests (relay/tests/test_media_packet.c) and the fuzz target
 * (relay/fuzz/fuzz_packet.c) drive exactly what forward.c and rtp_leg.c run
 * for every packet. RTP headers and RFC 4733 events: relay/src/rtp.c.
 */
#include "media.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

cr_pkt_kind_t cr_demux_client(const uint8_t *p, size_t len)
{
	if (len == 0)
		return CR_PKT_BAD;
	/* RFC 7983 7: 20-63 DTLS, 128-191 RTP/RTCP (STUN, 0-3, never gets
	 * here: libnice keeps its checks). */
	if (p[0] >= 20 && p[0] <= 63)
		return CR_PKT_DTLS;
	if (p[0] < 128 || p[0] > 191 || len < 12)
		return CR_PKT_BAD;
	return cr_is_rtcp(p, len) ? CR_PKT_RTCP : CR_PKT_RTP;
}

cr_pkt_kind_t cr_demux_sip(const uint8_t *p, size_t len, bool rtcp_socket)
{
	/* RFC 3550 5.1: version 2, at least the fixed header. */
	if (len < 12 || (p[0] >> 6) != 2)
		return CR_PKT_BAD;
	return rtcp_socket || cr_is_rtcp(p, len) ? CR_PKT_RTCP : CR_PKT_RTP;
}

void cr_rtcp_unshift_reports(uint8_t *buf, size_t len, uint32_t ssrc, uint16_t seq_offset)
{
	size_t off = 0;

	if (!seq_offset)
		return;
	/* Bounded walk over the compound packet (RFC 3550 6.1). */
	while (off + 8 <= len) {
		uint8_t *p = buf + off;
		size_t plen = ((size_t)(p[2] << 8 | p[3]) + 1) * 4;
		size_t first = p[1] == 200 ? 28 : p[1] == 201 ? 8 : 0; /* SR : RR */

		if (off + plen > len)
			return;
		for (int i = 0; first && i < (p[0] & 0x1f) && first + 24u * (i + 1u) <= plen; i++) {
			uint8_t *b = p + first + 24u * (unsigned)i;
			uint32_t ext = rd32(b + 8);

			if (rd32(b) != ssrc)
				continue;
			/* RFC 3550 6.4.1: the extended highest sequence number. */
			ext -= (uint32_t)(int32_t)(int16_t)seq_offset;
			b[8] = (uint8_t)(ext >> 24);
			b[9] = (uint8_t)(ext >> 16);
			b[10] = (uint8_t)(ext >> 8);
			b[11] = (uint8_t)ext;
		}
		off += plen;
	}
}
