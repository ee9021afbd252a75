/**
 * @file sdp_check.h  A strict, bounded check of an SDP before any parser sees it
 *
 * Sofia-SIP 1.12.11's sdp_parse() loops allocating on some malformed m=
 * lines (an 81-byte SDP can take over a gigabyte), so every SDP that comes
 * from the network passes cr_sdp_check() first (docs/ARCHITECTURE.md, "The
 * SIP leg"). Sans-IO: no allocation, no state, linear in the input.
 */
#ifndef CR_SDP_CHECK_H
#define CR_SDP_CHECK_H

#include <stddef.h>

/* What an acceptable SDP may hold. A trunk's SDP is a few hundred bytes with
 * one audio stream; a browser's with audio, video and data stays well under. */
enum {
	CR_SDP_MAX_BYTES = 8192,
	CR_SDP_MAX_LINE = 1024,      /* bytes of one line, without its end */
	CR_SDP_MAX_MEDIA = 8,        /* m= lines */
	CR_SDP_MAX_FORMATS = 64,     /* formats on one m= line */
	CR_SDP_MAX_ATTRIBUTES = 128, /* a= lines in all */
	CR_SDP_MAX_RTPMAPS = 64,     /* a=rtpmap lines in all */
	CR_SDP_MAX_WHY = 128         /* a why buffer this long holds any reason */
};

/* Why an SDP was refused (the return value of cr_sdp_check). */
enum {
	CR_SDP_OK = 0,
	CR_SDP_EMPTY = 1,     /* no bytes, or a NULL pointer */
	CR_SDP_TOO_BIG = 2,   /* over CR_SDP_MAX_BYTES */
	CR_SDP_NOT_ASCII = 3, /* a NUL, a byte >= 0x80 or a control character */
	CR_SDP_BAD_LINE = 4,  /* not "<type>=<value>", too long, a lone CR */
	CR_SDP_BAD_ORDER = 5, /* v=, o=, s=, t= missing, repeated or misplaced */
	CR_SDP_BAD_VALUE = 6, /* a line's value breaks its grammar */
	CR_SDP_TOO_MANY = 7   /* over a CR_SDP_MAX_* count */
};

/**
 * Check an SDP against RFC 8866's grammar and our bounds.
 * @param sdp the bytes (need not be NUL-terminated)
 * @param len their number
 * @param why receives one sentence naming the line and the fault (may be NULL);
 *            it never quotes the input, so it is safe in a SIP Warning
 * @param why_len size of why (CR_SDP_MAX_WHY is always enough)
 * @return 0 (CR_SDP_OK) if acceptable, otherwise a CR_SDP_* code
 */
int cr_sdp_check(const char *sdp, size_t len, char *why, size_t why_len);

#endif
