/**
 * @file rtp.c  RTP header parsing (RFC 3550 5.1, 5.3.1) and RFC 4733 events
 *
 * Pure: no call state, no I/O. Every place that needs the payload of an RTP
 * packet asks cr_rtp_header_parse() where it starts, so CSRCs and header
 * extensions are skipped the same way everywhere.
 */
#include "rtp.h"

bool cr_rtp_header_parse(const uint8_t *p, size_t len, cr_rtp_header_t *h)
{
	size_t hl;

	if (!p || len < CR_RTP_FIXED_HEADER_LEN || (p[0] >> 6) != 2)
		return false;
	h->padding = (p[0] & 0x20) != 0;
	h->extension = (p[0] & 0x10) != 0;
	h->cc = p[0] & 0x0f;
	h->marker = (p[1] & 0x80) != 0;
	h->pt = p[1] & 0x7f;
	h->seq = cr_rd16(p + 2);
	h->timestamp = cr_rd32(p + 4);
	h->ssrc = cr_rd32(p + 8);
	h->ext_profile = 0;
	h->ext_len = 0;
	hl = CR_RTP_FIXED_HEADER_LEN + 4u * h->cc;
	if (len < hl)
		return false;
	if (h->extension) {
		/* 16 bits defined by profile, 16 bits length in 32-bit words. */
		if (len < hl + 4)
			return false;
		h->ext_profile = cr_rd16(p + hl);
		h->ext_len = 4u * cr_rd16(p + hl + 2);
		hl += 4 + h->ext_len;
		if (len < hl)
			return false;
	}
	h->header_len = hl;
	h->payload_len = len - hl;
	if (h->padding) {
		/* RFC 3550 5.1: the last octet counts the padding, itself included. */
		size_t pad = p[len - 1];

		if (pad == 0 || pad > h->payload_len)
			return false;
		h->payload_len -= pad;
	}
	return true;
}

bool cr_rtp_event_read(const uint8_t *p, size_t len, cr_rtp_event_t *ev)
{
	cr_rtp_header_t h;
	const uint8_t *e;

	/* RFC 4733 2.3: event, E|R|volume, duration. */
	if (!cr_rtp_header_parse(p, len, &h) || h.payload_len < 4)
		return false;
	e = p + h.header_len;
	ev->timestamp = h.timestamp;
	ev->event = e[0];
	ev->end = (e[1] & 0x80) != 0;
	ev->volume = e[1] & 0x3f;
	ev->duration = cr_rd16(e + 2);
	return true;
}
