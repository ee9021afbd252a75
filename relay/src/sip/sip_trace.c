/**
 * @file sip_trace.c  SIP messages, one line each, into the call's trace
 *
 * One line per message, both ways: area "sip<" or "sip>" (relay/src/trace.h
 * puts the time first), first line, then the headers an operator needs to
 * follow a dialog (Call-ID, CSeq, From, To, Reason, identity, SDP summary).
 * Written on the SIP thread into the trace the session was given; knows no
 * call.
 */
#include <stdarg.h>
#include <string.h>

#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include "sdp_check.h"
#include "sip.h"

static void append_line(cr_trace_t *t, char dir, const char *line)
{
	const char *area = dir == '<' ? "sip<" : dir == '>' ? "sip>" : "sip!";

	cr_trace_add(t, area, "%.*s", CR_SIP_MAX_TRACE_LINE - 1, line);
}

void cr_sip_trace_line(cr_trace_t *t, char dir, const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (!t)
		return;
	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	append_line(t, dir, line);
	g_free(line);
}

static void add_header(GString *s, const char *name, const void *h)
{
	char *v = cr_sip_header_text((const sip_header_t *)h);

	if (v)
		g_string_append_printf(s, " | %s: %s", name, v);
	g_free(v);
}

void cr_sip_trace_msg(cr_trace_t *t, char dir, const sip_t *sip)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	GString *s;

	if (!t || !sip)
		return;
	s = g_string_new(NULL);
	if (sip->sip_request) {
		char *uri = url_as_string(home, sip->sip_request->rq_url);

		g_string_append_printf(s, "%s %s SIP/2.0", sip->sip_request->rq_method_name,
				       uri ? uri : "?");
	} else if (sip->sip_status) {
		g_string_append_printf(s, "SIP/2.0 %d %s", sip->sip_status->st_status,
				       sip->sip_status->st_phrase ? sip->sip_status->st_phrase : "");
	}
	add_header(s, "Call-ID", sip->sip_call_id);
	add_header(s, "CSeq", sip->sip_cseq);
	add_header(s, "From", sip->sip_from);
	add_header(s, "To", sip->sip_to);
	add_header(s, "P-Asserted-Identity", sip_p_asserted_identity(sip));
	add_header(s, "Reason", sip->sip_reason);
	add_header(s, "Require", sip->sip_require);
	add_header(s, "Session-Expires", sip->sip_session_expires);
	if (sip->sip_payload && sip->sip_content_type &&
	    g_ascii_strcasecmp(sip->sip_content_type->c_type, "application/sdp") == 0) {
		cr_sip_media_t m;
		char why[CR_SDP_MAX_WHY];
		int err = cr_sip_sdp_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len,
					   &m, why, sizeof(why));

		if (err == CR_OK)
			g_string_append_printf(s, " | SDP: %s:%d %s %s%s", m.address, m.port,
					       m.n_codecs ? m.codecs[0].name : "-",
					       m.direction, m.n_codecs > 1 ? " (+more)" : "");
		else if (err == CR_SIP_SDP_REFUSED)
			g_string_append_printf(s, " | SDP: refused (%s)", why);
		else
			g_string_append(s, " | SDP: unreadable");
	}
	append_line(t, dir, s->str);
	g_string_free(s, TRUE);
	su_home_deinit(home);
}
