/**
 * @file sip_header_text.c  A parsed SIP header as text, in a buffer we own
 *
 * Sofia 1.12.11's sip_header_as_string() trusts its encoders' length, and
 * their MSG_STRING_E skips a string that would end exactly at the buffer's
 * end while still counting it: a header encoding to 128 bytes or more can
 * come back with stray bytes and no NUL. We encode with an explicit size,
 * accept the result only when it left room to spare (so no string was
 * skipped) and write the NUL ourselves.
 */
#include <sofia-sip/msg_header.h>

#include "sip.h"

/* Longer than any header a trunk sends; the message itself is bounded by
 * NTATAG_MAXSIZE (sip_ua.c). */
enum { HEADER_TEXT_MAX = 16 * 1024 };

char *cr_sip_header_text(const sip_header_t *h)
{
	size_t size = 256;

	if (!h)
		return NULL;
	for (int tries = 0; tries < 2; tries++) {
		char *buf = g_malloc(size);
		issize_t n = msg_header_field_e(buf, (isize_t)size, (const msg_header_t *)h, 0);

		if (n < 0 || (size_t)n >= HEADER_TEXT_MAX) {
			g_free(buf);
			return NULL;
		}
		/* Two spare bytes: every string fitted with its NUL. */
		if ((size_t)n + 2 <= size) {
			buf[n] = '\0';
			return buf;
		}
		g_free(buf);
		size = (size_t)n + 2;
	}
	return NULL;
}
