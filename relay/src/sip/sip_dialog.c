/**
 * @file sip_dialog.c  SIP legs: sessions, commands from the layer above, NUA's events
 *
 * A session (a leg) binds one NUA handle to one call, known by its id and
 * an opaque owner, a reference of the layer above's that the leg holds
 * until NUA reports the dialog terminated and gives back through the
 * release handler. Sessions live on the SIP thread only; the cr_sip_leg_*
 * commands check their arguments on the calling thread, copy them and post
 * the work here, where they find the leg by call id. The INVITE each way and
 * the changes inside a dialog are invite_out.c, invite_in.c and modify.c
 * (dialog.h is what they share).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag_io.h>

#include "dialog.h"

/* ---- helpers ---- */

/* An event about the session's call, through the event handler (which
 * drops it once the call was closed: CR_EVENT_CALL_CLOSED is the last
 * event the caller sees about it, while the dialog may still be finishing
 * the BYE or CANCEL the close sent). */
static void emit(cr_sip_session_t *s, int type, int32_t code, int32_t value, const char *text,
		 const cr_sip_media_t *remote)
{
	s->ua->h.event(s->ua->h.arg, s->owner, s->call_id, type, code, value, text, remote);
}

void cr_sip_session_emit(cr_sip_session_t *s, int type, int32_t code, int32_t value,
			 const char *fmt, ...)
{
	char text[CR_MAX_EVENT_TEXT_LEN];
	va_list ap;

	va_start(ap, fmt);
	g_vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	emit(s, type, code, value, text, NULL);
}

/* The trunk's media (s->remote) as an event, the struct with it. */
void cr_sip_emit_media(cr_sip_session_t *s, int type, int code, const char *head)
{
	char text[CR_MAX_EVENT_TEXT_LEN];
	GString *str = g_string_new(head);

	cr_sip_media_text(&s->remote, s->have_chosen ? &s->chosen : NULL,
			  s->ua->symmetric_rtp, type == CR_EVENT_SIP_INCOMING, str);
	g_strlcpy(text, str->str, sizeof(text));
	g_string_free(str, TRUE);
	emit(s, type, code, 0, text, &s->remote);
}


/* Reads the SDP of `sip` into m. Every SDP from the network comes through
 * here (or the trace) and so through cr_sdp_check() before Sofia's parser. */
remote_sdp_t cr_sip_read_remote(cr_sip_ua_t *ua, const sip_t *sip, cr_sip_media_t *m,
				char why[CR_SDP_MAX_WHY])
{
	int err;

	why[0] = '\0';
	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_len)
		return REMOTE_NONE;
	if (sip->sip_content_type &&
	    g_ascii_strcasecmp(sip->sip_content_type->c_type, "application/sdp") != 0)
		return REMOTE_NONE;
	err = cr_sip_sdp_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, m, why,
			       CR_SDP_MAX_WHY);
	if (err == CR_SIP_SDP_REFUSED) {
		atomic_fetch_add(&ua->sdp_rejected, 1);
		return REMOTE_REFUSED;
	}
	return err == CR_OK ? REMOTE_OK : REMOTE_UNUSABLE;
}

/* The Warning of our 488 to a refused offer (RFC 3261 20.43, code 399:
 * miscellaneous); `why` never quotes the input, so it is a safe
 * quoted-string. NUA copies tag values; only the phrase must be static. */
void cr_sip_respond_refused(nua_t *nua, nua_handle_t *nh, const char *why)
{
	char warning[CR_SDP_MAX_WHY + 32];

	g_snprintf(warning, sizeof(warning), "399 jingle-sip \"%s\"", why);
	nua_respond(nh, 488, "Not Acceptable Here", NUTAG_WITH_THIS(nua),
		    SIPTAG_WARNING_STR(warning), TAG_END());
}

/* Outbound: the answer names the codec the trunk will send, first listed. */
void cr_sip_choose_from_answer(cr_sip_session_t *s)
{
	s->have_chosen = s->remote.n_codecs > 0;
	if (s->have_chosen)
		s->chosen = s->remote.codecs[0];
}

bool cr_sip_media_differs(const cr_sip_media_t *a, const cr_sip_media_t *b)
{
	return strcmp(a->address, b->address) != 0 || a->port != b->port ||
		strcmp(a->direction, b->direction) != 0 || a->n_codecs != b->n_codecs ||
		(a->n_codecs && b->n_codecs && a->codecs[0].pt != b->codecs[0].pt) ||
		a->dtmf_pt != b->dtmf_pt;
}

/* Our direction while we hold the trunk: we send (music, silence, whatever
 * the client sends) but ask for nothing back (RFC 3264 8.4). */
const char *cr_sip_held_direction(const char *dir)
{
	if (strcmp(dir, "sendrecv") == 0)
		return "sendonly";
	if (strcmp(dir, "recvonly") == 0)
		return "inactive";
	return dir;
}

/* Our SDP with the chosen codec (or every preference for an offer). */
void cr_sip_build_sdp(cr_sip_session_t *s, const cr_sip_media_t *local, char *buf, size_t len)
{
	cr_sip_sdp_build(local, ++s->sdp_version, buf, len);
}

/* A dialog whose answer (a 2xx to our re-INVITE, an SDP in an ACK) broke
 * our SDP check cannot go on: BYE, and the plugin hears why. */
void cr_sip_end_for_refused_sdp(cr_sip_session_t *s, const char *what, const char *why)
{
	cr_sip_trace_line(s->trace, '!', "%s refused: %s", what, why);
	if (s->state == S_ENDING)
		return;
	s->state = S_ENDING;
	if (!s->local_hangup && !s->remote_hangup) {
		s->remote_hangup = true;
		cr_sip_session_emit(s, CR_EVENT_SIP_HANGUP, 488, 0, "%s refused: %s", what, why);
	}
	cr_sip_trace_line(s->trace, '>', "BYE");
	nua_bye(s->nh, TAG_END());
}

cr_sip_session_t *cr_sip_session_new(cr_sip_ua_t *ua, uint32_t call_id, void *owner,
				     cr_trace_t *trace, bool inbound)
{
	cr_sip_session_t *s = g_new0(cr_sip_session_t, 1);

	s->ua = ua;
	s->call_id = call_id;
	s->owner = owner;
	s->trace = trace;
	s->inbound = inbound;
	s->final_status = 0;
	g_hash_table_insert(ua->legs, GUINT_TO_POINTER(call_id), s);
	ua->sessions = g_list_prepend(ua->sessions, s);
	return s;
}

static void session_free(cr_sip_session_t *s)
{
	cr_sip_ua_t *ua = s->ua;

	ua->sessions = g_list_remove(ua->sessions, s);
	if (g_hash_table_lookup(ua->legs, GUINT_TO_POINTER(s->call_id)) == s)
		g_hash_table_remove(ua->legs, GUINT_TO_POINTER(s->call_id));
	if (s->nh) {
		nua_handle_bind(s->nh, NULL);
		nua_handle_destroy(s->nh);
	}
	/* Last: an inbound call nobody took ends with its dialog. */
	ua->h.release(ua->h.arg, s->owner, s->inbound);
	g_free(s);
}

/* The dialog is over: final events, then free. */
void cr_sip_session_terminated(cr_sip_session_t *s, int status, const char *phrase)
{
	if (s->local_hangup)
		cr_sip_session_emit(s, CR_EVENT_SIP_ENDED, s->final_status ? s->final_status : status, 0,
			     "%s", phrase ? phrase : "");
	else if (!s->remote_hangup && !s->failed) {
		if (s->state == S_UP || s->state == S_ANSWERING || s->inbound)
			/* Session timer expiry, transport failure, dead dialog. */
			cr_sip_session_emit(s, CR_EVENT_SIP_HANGUP, status >= 300 ? status : 408, 0, "%s",
				     phrase && *phrase ? phrase : "dialog ended");
		else
			cr_sip_session_emit(s, CR_EVENT_SIP_FAILED, status, 0,
				     "%s", phrase ? phrase : "");
	}
	session_free(s);
}

void cr_sip_dialog_free_all(cr_sip_ua_t *ua)
{
	while (ua->sessions) {
		cr_sip_session_t *s = ua->sessions->data;

		s->local_hangup = true;
		cr_sip_session_terminated(s, 503, "relay closed");
	}
}

typedef enum { CMD_RINGING, CMD_ANSWER, CMD_REJECT, CMD_HANGUP, CMD_CLOSE, CMD_HOLD } cmd_type_t;

typedef struct cmd_job {
	cr_sip_ua_t *ua;
	uint32_t call_id;
	cmd_type_t type;
	int status;
	cr_sip_media_t prefs;
	bool want_dtmf;
	char reason[CR_MAX_SIP_REASON_LEN + 40]; /* RFC 3326 Reason value for the hang-up, or "" */
} cmd_job_t;

/* reason: an RFC 3326 Reason header value for the BYE/CANCEL/480, or "". */
static void hang_up(cr_sip_session_t *s, const char *reason)
{
	bool r = reason && *reason;

	if (s->state == S_ENDING)
		return;
	s->local_hangup = true;
	switch (s->state) {
	case S_CALLING:
		s->cancelled = true;
		cr_sip_trace_line(s->trace, '>', "CANCEL%s%s", r ? " | Reason: " : "", r ? reason : "");
		nua_cancel(s->nh, TAG_IF(r, SIPTAG_REASON_STR(reason)), TAG_END());
		break;
	case S_INCOMING:
		s->final_status = 480;
		cr_sip_trace_line(s->trace, '>', "SIP/2.0 480 Temporarily Unavailable%s%s",
				  r ? " | Reason: " : "", r ? reason : "");
		nua_respond(s->nh, 480, "Temporarily Unavailable",
			    TAG_IF(r, SIPTAG_REASON_STR(reason)), TAG_END());
		break;
	default:
		cr_sip_trace_line(s->trace, '>', "BYE%s%s", r ? " | Reason: " : "", r ? reason : "");
		nua_bye(s->nh, TAG_IF(r, SIPTAG_REASON_STR(reason)), TAG_END());
		break;
	}
	s->state = S_ENDING;
}

void cr_sip_dialog_hang_up_all(cr_sip_ua_t *ua, const char *reason)
{
	for (GList *l = ua->sessions; l; l = l->next)
		hang_up(l->data, reason);
}

static void answer(cr_sip_session_t *s, const cmd_job_t *job)
{
	cr_sip_media_t ans;
	char sdp[2048];

	s->prefs = job->prefs;
	s->want_dtmf = job->want_dtmf;
	if (cr_sip_sdp_answer(&s->remote, &s->prefs, s->want_dtmf, &ans) != CR_OK) {
		s->local_hangup = true;
		s->failed = true;
		s->final_status = 488;
		s->state = S_ENDING;
		cr_sip_session_emit(s, CR_EVENT_SIP_FAILED, 488, 0,
			     "no offered codec is in our list");
		cr_sip_trace_line(s->trace, '>', "SIP/2.0 488 Not Acceptable Here");
		nua_respond(s->nh, 488, "Not Acceptable Here", TAG_END());
		return;
	}
	s->chosen = ans.codecs[0];
	s->have_chosen = true;
	cr_sip_build_sdp(s, &ans, sdp, sizeof(sdp));
	s->state = S_ANSWERING;
	cr_sip_trace_line(s->trace, '>', "SIP/2.0 200 OK | SDP: %s:%d %s %s", ans.address,
			  ans.port, ans.codecs[0].name, ans.direction);
	nua_respond(s->nh, 200, "OK", SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
}

static void cmd_on_sip_thread(void *p)
{
	cmd_job_t *job = p;
	cr_sip_session_t *s = g_hash_table_lookup(job->ua->legs, GUINT_TO_POINTER(job->call_id));

	if (!s)
		return;
	if (job->type == CMD_HANGUP || job->type == CMD_CLOSE) {
		hang_up(s, job->reason);
		return;
	}
	if (job->type == CMD_HOLD) {
		cr_sip_reinvite_hold(s, job->status != 0);
		return;
	}
	if (!s->inbound || s->state != S_INCOMING) {
		cr_sip_trace_line(s->trace, '!', "command ignored: the call is not ringing inbound");
		return;
	}
	switch (job->type) {
	case CMD_RINGING:
		cr_sip_trace_line(s->trace, '>', "SIP/2.0 180 Ringing%s",
				  s->peer_requires_100rel ? " | Require: 100rel" : "");
		nua_respond(s->nh, 180, "Ringing",
			    TAG_IF(s->peer_requires_100rel, SIPTAG_REQUIRE_STR("100rel")),
			    TAG_END());
		break;
	case CMD_ANSWER:
		answer(s, job);
		break;
	case CMD_REJECT:
		s->local_hangup = true;
		s->final_status = job->status;
		s->state = S_ENDING;
		cr_sip_trace_line(s->trace, '>', "SIP/2.0 %d %s", job->status,
				  sip_status_phrase(job->status));
		/* nua_respond keeps the phrase pointer: sip_status_phrase is static. */
		nua_respond(s->nh, job->status, sip_status_phrase(job->status), TAG_END());
		break;
	default:
		break;
	}
}

static int post_cmd(cr_sip_ua_t *ua, uint32_t call_id, cmd_type_t type, int status,
		    cmd_job_t *job)
{
	if (!ua) {
		g_free(job);
		return CR_ERR_INVALID;
	}
	if (!job)
		job = g_new0(cmd_job_t, 1);
	job->ua = ua;
	job->call_id = call_id;
	job->type = type;
	job->status = status;
	return cr_sip_ua_post(ua, cmd_on_sip_thread, job, g_free) ? CR_OK : CR_ERR_CLOSED;
}

int cr_sip_leg_ringing(cr_sip_ua_t *ua, uint32_t call_id)
{
	return post_cmd(ua, call_id, CMD_RINGING, 180, NULL);
}

int cr_sip_leg_answer(cr_sip_ua_t *ua, uint32_t call_id, const cr_sip_answer_params_t *p,
		      char *err_buf)
{
	cmd_job_t *job;
	int err;

	if (!p)
		return cr_set_error(err_buf, CR_ERR_INVALID, "no answer parameters");
	job = g_new0(cmd_job_t, 1);
	err = cr_sip_media_prefs(ua, p->codecs, p->local_rtp_address, p->local_rtp_port,
				 p->ptime, &job->prefs, err_buf);
	if (err) {
		g_free(job);
		return err;
	}
	job->want_dtmf = p->telephone_event != 0;
	return post_cmd(ua, call_id, CMD_ANSWER, 200, job);
}

int cr_sip_leg_reject(cr_sip_ua_t *ua, uint32_t call_id, int status)
{
	if (status < 300 || status > 699)
		return CR_ERR_INVALID;
	return post_cmd(ua, call_id, CMD_REJECT, status, NULL);
}

int cr_sip_leg_hold(cr_sip_ua_t *ua, uint32_t call_id, bool on)
{
	return post_cmd(ua, call_id, CMD_HOLD, on ? 1 : 0, NULL);
}

int cr_sip_leg_hangup(cr_sip_ua_t *ua, uint32_t call_id, int q850_cause, const char *text)
{
	cmd_job_t *job;
	GString *clean;

	if (!q850_cause)
		return post_cmd(ua, call_id, CMD_HANGUP, 0, NULL);
	if (q850_cause < 1 || q850_cause > 127 || !text || strlen(text) > CR_MAX_SIP_REASON_LEN)
		return CR_ERR_INVALID;
	/* RFC 3326 text is a quoted-string: keep printable ASCII, drop the
	 * quote and backslash, so nothing the text holds escapes the header. */
	clean = g_string_new(NULL);
	for (const char *c = text; *c; c++)
		if (*c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\')
			g_string_append_c(clean, *c);
	job = g_new0(cmd_job_t, 1);
	g_snprintf(job->reason, sizeof(job->reason), "Q.850;cause=%d;text=\"%s\"", q850_cause,
		   clean->str);
	g_string_free(clean, TRUE);
	return post_cmd(ua, call_id, CMD_HANGUP, 0, job);
}

void cr_sip_leg_close(cr_sip_ua_t *ua, uint32_t call_id)
{
	if (ua)
		post_cmd(ua, call_id, CMD_CLOSE, 0, NULL);
}

/* ---- NUA events about calls ---- */

void cr_sip_dialog_event(cr_sip_ua_t *ua, nua_event_t event, int status, const char *phrase,
			 nua_handle_t *nh, cr_sip_session_t *s, const sip_t *sip,
			 tagi_t tags[])
{
	int callstate = -1;

	switch (event) {
	case nua_i_invite:
		if (cr_sip_refuse_untrusted(ua, nh, !s))
			return;
		if (!s) {
			bool stopping;

			g_mutex_lock(&ua->lock);
			stopping = ua->stopping;
			g_mutex_unlock(&ua->lock);
			if (stopping) {
				nua_respond(nh, 503, "Service Unavailable", TAG_END());
				nua_handle_destroy(nh);
			} else if (!cr_sip_refuse_over_rate(ua, nh)) {
				cr_sip_on_new_invite(ua, nh, sip);
			}
		} else {
			cr_sip_on_offer_in_dialog(s, nh, sip, false);
		}
		return;
	case nua_i_update:
		if (cr_sip_refuse_untrusted(ua, nh, false))
			return;
		if (s)
			cr_sip_on_offer_in_dialog(s, nh, sip, true);
		else
			nua_respond(nh, 481, "Call/Transaction Does Not Exist", TAG_END());
		return;
	default:
		break;
	}
	if (!s) {
		/* A handle we never bound (a rejected INVITE): free it when done. */
		if (event == nua_i_state) {
			tl_gets(tags, NUTAG_CALLSTATE_REF(callstate), TAG_END());
			if (callstate == nua_callstate_terminated && nh)
				nua_handle_destroy(nh);
		}
		return;
	}
	switch (event) {
	case nua_r_invite:
		cr_sip_on_invite_response(s, status, phrase, sip);
		break;
	case nua_i_ack: {
		cr_sip_media_t m;
		char why[CR_SDP_MAX_WHY];

		if (sip)
			cr_sip_trace_msg(s->trace, '<', sip);
		if (cr_sip_read_remote(ua, sip, &m, why) == REMOTE_REFUSED) {
			cr_sip_end_for_refused_sdp(s, "SDP in ACK", why);
			break;
		}
		if (s->state == S_ANSWERING) {
			s->state = S_UP;
			cr_sip_emit_media(s, CR_EVENT_SIP_ANSWERED, 200, NULL);
		}
		break;
	}
	case nua_i_cancel:
		if (sip)
			cr_sip_trace_msg(s->trace, '<', sip);
		cr_sip_trace_line(s->trace, '>', "SIP/2.0 200 OK to CANCEL, 487 to INVITE "
				  "(sent by Sofia)");
		if (!s->local_hangup && !s->remote_hangup) {
			s->remote_hangup = true;
			cr_sip_session_emit(s, CR_EVENT_SIP_HANGUP, 487, 0, "CANCEL");
		}
		s->state = S_ENDING;
		break;
	case nua_i_bye:
		if (sip)
			cr_sip_trace_msg(s->trace, '<', sip);
		cr_sip_trace_line(s->trace, '>', "SIP/2.0 200 OK to BYE (sent by Sofia)");
		if (!s->local_hangup && !s->remote_hangup) {
			s->remote_hangup = true;
			cr_sip_session_emit(s, CR_EVENT_SIP_HANGUP, 200, 0, "BYE");
		}
		s->state = S_ENDING;
		break;
	case nua_r_bye:
	case nua_r_cancel:
		if (sip)
			cr_sip_trace_msg(s->trace, '<', sip);
		if (event == nua_r_bye && status >= 200)
			s->final_status = status;
		break;
	case nua_i_prack: {
		cr_sip_media_t m;
		char why[CR_SDP_MAX_WHY];

		if (sip)
			cr_sip_trace_msg(s->trace, '<', sip);
		cr_sip_trace_line(s->trace, '>', "SIP/2.0 200 OK to PRACK (sent by Sofia)");
		/* We offer nothing in 18x, so a PRACK's SDP is never used; a
		 * broken one is still counted. */
		if (cr_sip_read_remote(ua, sip, &m, why) == REMOTE_REFUSED)
			cr_sip_trace_line(s->trace, '!', "SDP in PRACK refused: %s", why);
		break;
	}
	case nua_r_update:
		/* We never send UPDATE ourselves: NUA's session refresh. */
		if (status >= 200)
			cr_sip_trace_line(s->trace, '>', "UPDATE (session refresh, sent by Sofia)");
		if (sip)
			cr_sip_trace_msg(s->trace, '<', sip);
		break;
	case nua_r_prack:
		if (sip)
			cr_sip_trace_msg(s->trace, '<', sip);
		break;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(callstate), TAG_END());
		if (callstate == nua_callstate_terminated)
			cr_sip_session_terminated(s, status, phrase);
		break;
	default:
		break;
	}
}
