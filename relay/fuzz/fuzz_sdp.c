/**
 * @file fuzz_sdp.c  libFuzzer target: our SDP check, then Sofia's parser behind it
 *
 * Bytes go to cr_sdp_check(); only what it accepts goes on to Sofia-SIP's
 * sdp_parse(), as in the relay (relay/src/sip/sip_sdp.c). A crash, a leak or
 * a runaway allocation (-rss_limit_mb, -malloc_limit_mb) in either is a
 * finding: the check must keep every input Sofia mishandles away from it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include "sip/sdp_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[CR_SDP_MAX_WHY];
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sdp_parser_t *parser;
	sdp_session_t *session;

	if (cr_sdp_check((const char *)data, size, why, sizeof(why)) != CR_SDP_OK) {
		/* A refusal always explains itself. */
		if (!why[0])
			__builtin_trap();
		return 0;
	}
	parser = sdp_parse(home, (const char *)data, (issize_t)size, 0);
	session = sdp_session(parser);
	/* Walk what the relay reads, so a bad pointer shows up here. */
	for (sdp_media_t *m = session ? session->sdp_media : NULL; m; m = m->m_next)
		for (sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next)
			if (rm->rm_encoding)
				(void)strlen(rm->rm_encoding);
	sdp_parser_free(parser);
	su_home_deinit(home);
	return 0;
}
