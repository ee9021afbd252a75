/**
 * @file sip_sdp.c  The SIP leg's SDP: our offers and answers, reading theirs
 *
 * Reading uses Sofia's SDP parser, only on what passed cr_sdp_check()
 * (sdp_check.c): Sofia 1.12.11's parser loops allocating on some malformed
 * m= lines. We build SDP ourselves, because NUA's own SDP engine rewrites
 * what it sends (docs/PLATFORM.md#sofia-sdp), and we need the SDP to say
 * exactly which address and port the media plane listens on.
 */
#include <stdio.h>
#include <string.h>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include "sdp_check.h"
#include "sip.h"

/* Codecs we know by name, with the payload type we offer them on. */
static const cr_codec_t known_codecs[] = {
	{ 0, "PCMU", 8000, 1 },
	{ 8, "PCMA", 8000, 1 },
	/* RFC 3551: G722's RTP clock is 8000 although it samples at 16000. */
	{ 9, "G722", 8000, 1 },
	{ 111, "opus", 48000, 2 },
};

int cr_sip_codecs_from_array(const cr_codec_t *list, size_t n, cr_sdp_media_t *out,
			     char *err_buf)
{
	out->n_codecs = 0;
	if (!list || !n) {
		out->codecs[out->n_codecs++] = known_codecs[0];
		out->codecs[out->n_codecs++] = known_codecs[1];
		return CR_OK;
	}
	if (n > CR_MAX_CODECS)
		return cr_set_error(err_buf, CR_ERR_INVALID, "%zu codecs: at most %d", n,
				    CR_MAX_CODECS);
	for (size_t i = 0; i < n; i++) {
		const cr_codec_t *c = &list[i];
		const cr_codec_t *k = NULL;
		cr_codec_t *o;

		if (!memchr(c->name, '\0', sizeof(c->name)))
			return cr_set_error(err_buf, CR_ERR_INVALID, "codec %zu: unterminated name", i);
		for (size_t j = 0; j < G_N_ELEMENTS(known_codecs) && !k; j++)
			if (g_ascii_strcasecmp(c->name, known_codecs[j].name) == 0)
				k = &known_codecs[j];
		if (!k)
			return cr_set_error(err_buf, CR_ERR_INVALID,
					    "unknown codec \"%.31s\" (known: PCMU, PCMA, G722, opus)",
					    c->name);
		if ((c->clock_rate && c->clock_rate != k->clock_rate) ||
		    (c->channels && c->channels != k->channels))
			return cr_set_error(err_buf, CR_ERR_INVALID, "codec %s is %s/%d/%d, not %d/%d",
					    k->name, k->name, k->clock_rate, k->channels,
					    c->clock_rate, c->channels);
		/* Static payload types are fixed (RFC 3551); a dynamic one may be
		 * ours to pick, but not telephone-event's. */
		if (c->pt >= 0 && (k->pt < 96 ? c->pt != k->pt :
				   c->pt < 96 || c->pt > 127 || c->pt == CR_SIP_DTMF_PT))
			return cr_set_error(err_buf, CR_ERR_INVALID,
					    "codec %s: payload type %d (%s; -1: ours, %d)", k->name, c->pt,
					    k->pt < 96 ? "static, RFC 3551" : "need 96..127, not 101",
					    k->pt);
		for (int j = 0; j < out->n_codecs; j++)
			if (!g_ascii_strcasecmp(out->codecs[j].name, k->name))
				return cr_set_error(err_buf, CR_ERR_INVALID, "codec %s listed twice",
						    k->name);
		o = &out->codecs[out->n_codecs++];
		*o = *k;
		if (c->pt >= 0)
			o->pt = c->pt;
	}
	return CR_OK;
}

static const char *mode_name(unsigned mode)
{
	switch (mode) {
	case sdp_sendonly:
		return "sendonly";
	case sdp_recvonly:
		return "recvonly";
	case sdp_inactive:
		return "inactive";
	default:
		return "sendrecv";
	}
}

int cr_sip_sdp_parse(const char *sdp, size_t len, cr_sdp_media_t *out, char *why,
		     size_t why_len)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sdp_parser_t *parser;
	sdp_session_t *session;
	sdp_media_t *m;
	sdp_connection_t *c;
	int err = CR_ERR_INVALID;

	memset(out, 0, sizeof(*out));
	out->dtmf_pt = -1;
	out->ptime = 20;
	if (why && why_len)
		why[0] = '\0';
	if (!sdp || !len)
		return CR_ERR_INVALID;
	if (cr_sdp_check(sdp, len, why, why_len) != CR_SDP_OK)
		return CR_SIP_SDP_REFUSED;
	parser = sdp_parse(home, sdp, (issize_t)len, 0);
	session = sdp_session(parser);
	if (!session)
		goto out;
	for (m = session->sdp_media; m; m = m->m_next)
		if (m->m_type == sdp_media_audio)
			break;
	if (!m)
		goto out;
	c = m->m_connections ? m->m_connections : session->sdp_connection;
	if (!c || !c->c_address)
		goto out;
	g_strlcpy(out->address, c->c_address, sizeof(out->address));
	out->port = m->m_rejected ? 0 : (int)m->m_port;
	/* RFC 3264 8.4: the old way to hold is c=0.0.0.0. */
	g_strlcpy(out->direction,
		  strcmp(out->address, "0.0.0.0") == 0 ? "inactive" : mode_name(m->m_mode),
		  sizeof(out->direction));
	for (sdp_attribute_t *a = m->m_attributes; a; a = a->a_next)
		if (a->a_name && a->a_value && g_ascii_strcasecmp(a->a_name, "ptime") == 0)
			out->ptime = atoi(a->a_value) > 0 ? atoi(a->a_value) : 20;
	for (sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
		cr_codec_t *codec;

		if (!rm->rm_encoding)
			continue;
		if (g_ascii_strcasecmp(rm->rm_encoding, "telephone-event") == 0) {
			if (out->dtmf_pt < 0)
				out->dtmf_pt = rm->rm_pt;
			continue;
		}
		if (out->n_codecs >= CR_MAX_CODECS)
			continue;
		codec = &out->codecs[out->n_codecs++];
		g_strlcpy(codec->name, rm->rm_encoding, sizeof(codec->name));
		codec->clock_rate = (int)rm->rm_rate;
		codec->channels = rm->rm_params ? atoi(rm->rm_params) : 1;
		if (codec->channels <= 0)
			codec->channels = 1;
		codec->pt = rm->rm_pt;
	}
	err = out->n_codecs > 0 || out->port == 0 ? CR_OK : CR_ERR_INVALID;
out:
	sdp_parser_free(parser);
	su_home_deinit(home);
	return err;
}

int cr_sip_sdp_build(const cr_sdp_media_t *local, unsigned version, char *buf, size_t len)
{
	GString *s = g_string_new(NULL);
	const char *ipv = strchr(local->address, ':') ? "IP6" : "IP4";
	int n;

	g_string_append_printf(s, "v=0\r\no=- 1 %u IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n",
			       version, ipv, local->address, ipv, local->address);
	g_string_append_printf(s, "m=audio %d RTP/AVP", local->port);
	for (int i = 0; i < local->n_codecs; i++)
		g_string_append_printf(s, " %d", local->codecs[i].pt);
	if (local->dtmf_pt >= 0)
		g_string_append_printf(s, " %d", local->dtmf_pt);
	g_string_append(s, "\r\n");
	for (int i = 0; i < local->n_codecs; i++) {
		const cr_codec_t *c = &local->codecs[i];

		if (c->channels > 1)
			g_string_append_printf(s, "a=rtpmap:%d %s/%d/%d\r\n", c->pt, c->name,
					       c->clock_rate, c->channels);
		else
			g_string_append_printf(s, "a=rtpmap:%d %s/%d\r\n", c->pt, c->name,
					       c->clock_rate);
		if (g_ascii_strcasecmp(c->name, "opus") == 0)
			g_string_append_printf(s, "a=fmtp:%d useinbandfec=1\r\n", c->pt);
	}
	if (local->dtmf_pt >= 0)
		g_string_append_printf(s, "a=rtpmap:%d telephone-event/8000\r\n"
				       "a=fmtp:%d 0-16\r\n", local->dtmf_pt, local->dtmf_pt);
	g_string_append_printf(s, "a=ptime:%d\r\na=%s\r\n", local->ptime > 0 ? local->ptime : 20,
			       local->direction[0] ? local->direction : "sendrecv");
	n = g_strlcpy(buf, s->str, len);
	g_string_free(s, TRUE);
	return (size_t)n < len ? CR_OK : CR_ERR_LIMIT;
}

int cr_sip_sdp_answer(const cr_sdp_media_t *offer, const cr_sdp_media_t *prefs,
		      bool want_dtmf, cr_sdp_media_t *answer)
{
	*answer = *prefs;
	answer->n_codecs = 0;
	answer->dtmf_pt = want_dtmf ? offer->dtmf_pt : -1;
	g_strlcpy(answer->direction, cr_sip_direction_answer(offer->direction),
		  sizeof(answer->direction));
	/* Match by name, clock and channels, never by number (docs/INTEROP.md#14);
	 * keep the offer's payload type. */
	for (int i = 0; i < prefs->n_codecs && !answer->n_codecs; i++)
		for (int k = 0; k < offer->n_codecs; k++) {
			const cr_codec_t *o = &offer->codecs[k];

			if (g_ascii_strcasecmp(o->name, prefs->codecs[i].name) == 0 &&
			    o->clock_rate == prefs->codecs[i].clock_rate) {
				answer->codecs[0] = *o;
				answer->n_codecs = 1;
				break;
			}
		}
	return answer->n_codecs ? CR_OK : CR_ERR_NOTFOUND;
}

const char *cr_sip_direction_answer(const char *theirs)
{
	if (strcmp(theirs, "sendonly") == 0)
		return "recvonly";
	if (strcmp(theirs, "recvonly") == 0)
		return "sendonly";
	if (strcmp(theirs, "inactive") == 0)
		return "inactive";
	return "sendrecv";
}

void cr_sip_media_text(const cr_sdp_media_t *m, const cr_codec_t *chosen,
		       int symmetric_rtp, bool list_codecs, GString *out)
{
	g_string_append_printf(out, "address=%s\nport=%d\n", m->address, m->port);
	if (chosen)
		g_string_append_printf(out, "codec=%s\nclock=%d\nchannels=%d\npt=%d\n",
				       chosen->name, chosen->clock_rate, chosen->channels,
				       chosen->pt);
	g_string_append_printf(out, "dtmf_pt=%d\nptime=%d\ndirection=%s\nsymmetric_rtp=%d\n",
			       m->dtmf_pt, m->ptime, m->direction, symmetric_rtp ? 1 : 0);
	if (list_codecs) {
		g_string_append(out, "codecs=");
		for (int i = 0; i < m->n_codecs; i++)
			g_string_append_printf(out, "%s%s/%d/%d", i ? "," : "",
					       m->codecs[i].name, m->codecs[i].clock_rate,
					       m->codecs[i].pt);
		g_string_append(out, "\n");
	}
}

void cr_sip_media_facts(const cr_sdp_media_t *m, const cr_codec_t *chosen, int symmetric_rtp,
			cr_sip_media_t *out)
{
	uint32_t seq = out->seq;

	memset(out, 0, sizeof(*out));
	out->seq = seq + 1 ? seq + 1 : 1;
	g_strlcpy(out->address, m->address, sizeof(out->address));
	out->port = m->port;
	out->ptime = m->ptime;
	out->dtmf_pt = m->dtmf_pt;
	g_strlcpy(out->direction, m->direction, sizeof(out->direction));
	out->symmetric_rtp = symmetric_rtp ? 1 : 0;
	if (chosen) {
		out->has_chosen = 1;
		out->chosen = *chosen;
	}
	out->n_codecs = m->n_codecs;
	memcpy(out->codecs, m->codecs, sizeof(m->codecs[0]) * (size_t)m->n_codecs);
}
