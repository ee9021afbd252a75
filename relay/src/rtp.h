/**
 * @file rtp.h  RTP headers and RFC 4733 events read and rewritten in place (rtp.c)
 *
 * Layer 1 (docs/ARCHITECTURE.md): bytes in, fields out; no call state, no
 * I/O, no GLib. relay/tests/test_rtp.c pins it with RFC 3550 and RFC 4733
 * packets.
 */
#ifndef CR_RTP_H
#define CR_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CR_RTP_FIXED_HEADER_LEN 12

static inline uint16_t cr_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t cr_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void cr_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void cr_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* An RTP header (RFC 3550 5.1) with its CSRC list and its header
 * extension (5.3.1). */
typedef struct cr_rtp_header {
	bool padding, extension, marker;
	uint8_t cc;           /* CSRC count */
	uint8_t pt;
	uint16_t seq;
	uint32_t timestamp;
	uint32_t ssrc;
	uint16_t ext_profile; /* the extension's first 16 bits, when extension */
	size_t ext_len;       /* bytes of extension data after its 4-byte header */
	size_t header_len;    /* 12 + 4 * cc (+ 4 + ext_len with the X bit) */
	size_t payload_len;   /* after the header, padding (P bit) removed */
} cr_rtp_header_t;

/* Reads an RTP header: false when p is not version 2, or too short for its
 * CSRCs, its extension or the padding its last byte claims. */
bool cr_rtp_header_parse(const uint8_t *p, size_t len, cr_rtp_header_t *h);

/* The sequence number, timestamp and SSRC written in place (the caller
 * checked the 12-byte fixed header is there). */
static inline void cr_rtp_set_seq(uint8_t *p, uint16_t seq)
{
	cr_wr16(p + 2, seq);
}

static inline void cr_rtp_set_timestamp(uint8_t *p, uint32_t ts)
{
	cr_wr32(p + 4, ts);
}

static inline void cr_rtp_set_ssrc(uint8_t *p, uint32_t ssrc)
{
	cr_wr32(p + 8, ssrc);
}

/* One RFC 4733 telephone-event payload (2.3). */
typedef struct cr_rtp_event {
	uint32_t timestamp;
	uint8_t event;
	bool end;
	uint8_t volume;
	uint16_t duration; /* in clock units */
} cr_rtp_event_t;

/* Reads the event of an RTP packet, after its CSRCs and header extension;
 * false when the header is bad or the payload too short to hold one. */
bool cr_rtp_event_read(const uint8_t *p, size_t len, cr_rtp_event_t *ev);

#endif
