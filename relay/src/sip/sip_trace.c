/**
 * @file sip_trace.c  Per-call SIP message trace, read by the admin shell
 *
 * One line per message, both ways: milliseconds since the call's first SIP
 * message, direction, first line, then the headers an operator needs to
 * follow a dialog (Call-ID, CSeq, From, To, Reason, identity, SDP summary).
 * Written on the SIP thread, read from the controlling thread: one mutex.
 * Knows no call: the call owns its trace (relay/src/call_sip.c).
 */
#include <stdarg.h>
#include <string.h>

#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include "sdp_check.h"
#include "sip.h"

/* A call's trace stays bounded whatever the trunk does. */
enum { TRACE_MAX_BYTES = 64 * 1024 };

struct cr_sip_trace {
	GMutex lock;
	GString *text;
	gint64 t0;
};

cr_sip_trace_t *cr_sip_trace_new(void)
{
	cr_sip_trace_t *t = g_new0(cr_sip_trace_t, 1);

	g_mutex_init(&t->lock);
	t->text = g_string_new(NULL);
	/* Made at cr_call_create, like the media trace: the same origin, so a
	 * reader can merge the two in time order. */
	t->t0 = g_get_monotonic_time();
	return t;
}

void cr_sip_trace_free(cr_sip_trace_t *t)
{
	if (!t)
		return;
	g_string_free(t->text, TRUE);
	g_mutex_clear(&t->lock);
	g_free(t);
}

static void append_line(cr_sip_trace_t *t, char dir, const char *line)
{
	gint64 now = g_get_monotonic_time();

	g_mutex_lock(&t->lock);
	if (t->text->len < TRACE_MAX_BYTES)
		g_string_append_printf(t->text, "%" G_GINT64_FORMAT ".%03d %c %.*s\n",
				       (now - t->t0) / 1000, (int)((now - t->t0) % 1000), dir,
				       CR_SIP_MAX_TRACE_LINE, line);
	g_mutex_unlock(&t->lock);
}

void cr_sip_trace_line(cr_sip_trace_t *t, char dir, const char *fmt, ...)
{
	va_list ap;
	char *line;

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

void cr_sip_trace_msg(cr_sip_trace_t *t, char dir, const sip_t *sip)
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
		cr_sdp_media_t m;
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

int cr_sip_trace_copy(cr_sip_trace_t *t, char *buf, size_t len)
{
	int n;

	g_mutex_lock(&t->lock);
	n = (int)t->text->len;
	if (buf && len > 0)
		g_strlcpy(buf, t->text->str, len);
	g_mutex_unlock(&t->lock);
	return n;
}
