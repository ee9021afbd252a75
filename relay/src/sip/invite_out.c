/**
 * @file invite_out.c  Outbound legs: cr_sip_leg_dial() and the responses to our INVITE
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

typedef struct dial_job {
	cr_sip_ua_t *ua;
	uint32_t call_id;
	void *owner;           /* the leg's once it exists; else given back at free */
	cr_trace_t *trace;
	char *number, *caller_id, *display_name;
	cr_sip_media_t prefs;
	bool want_dtmf;
} dial_job_t;

static void dial_job_free(void *p)
{
	dial_job_t *job = p;

	if (job->owner)
		job->ua->h.release(job->ua->h.arg, job->owner, false);
	g_free(job->number);
	g_free(job->caller_id);
	g_free(job->display_name);
	g_free(job);
}

static void dial_on_sip_thread(void *p)
{
	dial_job_t *job = p;
	cr_sip_ua_t *ua = job->ua;
	cr_sip_session_t *s;
	char *from, *to, sdp[2048];
	cr_sip_media_t offer;

	if (ua->h.closed(ua->h.arg, job->owner))
		return;
	if (g_hash_table_contains(ua->legs, GUINT_TO_POINTER(job->call_id))) {
		ua->h.event(ua->h.arg, job->owner, job->call_id, CR_EVENT_SIP_FAILED, 0, 0,
			    "the call already has a SIP dialog", NULL);
		return;
	}
	s = cr_sip_session_new(ua, job->call_id, job->owner, job->trace, false);
	job->owner = NULL; /* the leg's now */
	s->prefs = job->prefs;
	s->want_dtmf = job->want_dtmf;
	s->state = S_CALLING;
	offer = s->prefs;
	offer.dtmf_pt = s->want_dtmf ? CR_SIP_DTMF_PT : -1;
	g_strlcpy(offer.direction, "sendrecv", sizeof(offer.direction));
	cr_sip_build_sdp(s, &offer, sdp, sizeof(sdp));
	from = g_strdup_printf("%s%s%s<sip:%s@%s>",
			       job->display_name ? "\"" : "",
			       job->display_name ? job->display_name : "",
			       job->display_name ? "\" " : "",
			       job->caller_id ? job->caller_id
			       : ua->username ? ua->username : "anonymous",
			       ua->from_domain ? ua->from_domain : ua->trunk_hostport);
	to = g_strdup_printf("<sip:%s@%s>", job->number, ua->trunk_hostport);
	s->nh = nua_handle(ua->nua, s, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from), TAG_END());
	atomic_fetch_add(&ua->invites_sent, 1);
	cr_sip_trace_line(s->trace, '>', "INVITE sip:%s@%s SIP/2.0 | From: %s | To: %s | "
			  "SDP: %s:%d %s sendrecv", job->number, ua->trunk_hostport, from, to,
			  offer.address, offer.port, offer.codecs[0].name);
	nua_invite(s->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		   SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	g_free(from);
	g_free(to);
}

static bool valid_user(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && !strchr("+-_.!~*'()&=$,;?/#%", *s))
			return false;
	return true;
}

static bool valid_ip(const char *s)
{
	unsigned char buf[16];

	return s && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

/* Checks the parts common to dial and answer and fills prefs. */
int cr_sip_media_prefs(cr_sip_ua_t *ua, const char *codecs, const char *address, int port,
		       int ptime, cr_sip_media_t *prefs, char *err_buf)
{
	int err;

	memset(prefs, 0, sizeof(*prefs));
	err = cr_sip_codecs_from_list(codecs, prefs, err_buf);
	if (err)
		return err;
	if (!address)
		address = ua->rtp_address;
	if (!valid_ip(address))
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "local_rtp_address \"%s\" is not an IP address",
				    address ? address : "(none configured)");
	if (port <= 0 || port > 65535)
		return cr_set_error(err_buf, CR_ERR_INVALID, "local_rtp_port %d is out of range",
				    port);
	if (ptime < 0 || ptime > 200)
		return cr_set_error(err_buf, CR_ERR_INVALID, "ptime %d is out of range", ptime);
	g_strlcpy(prefs->address, address, sizeof(prefs->address));
	prefs->port = port;
	prefs->ptime = ptime ? ptime : 20;
	prefs->dtmf_pt = -1;
	return CR_OK;
}

int cr_sip_leg_dial(cr_sip_ua_t *ua, uint32_t call_id, void *owner, cr_trace_t *trace,
		    const cr_sip_dial_params_t *p, char *err_buf)
{
	dial_job_t *job = g_new0(dial_job_t, 1);
	int err = CR_OK;

	job->ua = ua;
	job->owner = owner; /* given back by dial_job_free unless a leg takes it */
	if (!p || !valid_user(p->number))
		err = cr_set_error(err_buf, CR_ERR_INVALID, "bad or missing number");
	else if (p->caller_id && !valid_user(p->caller_id))
		err = cr_set_error(err_buf, CR_ERR_INVALID, "bad caller_id \"%s\"", p->caller_id);
	else if (p->display_name && (strpbrk(p->display_name, "\"\\\r\n") ||
				     strlen(p->display_name) > 64))
		err = cr_set_error(err_buf, CR_ERR_INVALID, "bad display_name");
	else
		err = cr_sip_media_prefs(ua, p->codecs, p->local_rtp_address, p->local_rtp_port,
					 p->ptime, &job->prefs, err_buf);
	if (err) {
		dial_job_free(job);
		return err;
	}
	job->call_id = call_id;
	job->trace = trace;
	job->number = g_strdup(p->number);
	job->caller_id = g_strdup(p->caller_id);
	job->display_name = g_strdup(p->display_name);
	job->want_dtmf = p->telephone_event != 0;
	if (!cr_sip_ua_post(ua, dial_on_sip_thread, job, dial_job_free))
		return cr_set_error(err_buf, CR_ERR_CLOSED, "the SIP user agent is stopping");
	return CR_OK;
}

void cr_sip_on_invite_response(cr_sip_session_t *s, int status, const char *phrase,
			       const sip_t *sip)
{
	cr_sip_media_t m;
	char why[CR_SDP_MAX_WHY];
	remote_sdp_t got;

	if (sip)
		cr_sip_trace_msg(s->trace, '<', sip);
	if (s->cancelled && status >= 200 && status < 300) {
		/* The 200 crossed our CANCEL (RFC 3261 9.1): NUA ACKs it, the
		 * call is up at the trunk, and only a BYE ends it. */
		s->cancelled = false;
		s->final_status = 487;
		cr_sip_trace_line(s->trace, '>', "ACK (sent by Sofia)");
		cr_sip_trace_line(s->trace, '>', "BYE (the 200 crossed our CANCEL)");
		nua_bye(s->nh, TAG_END());
		return;
	}
	if (s->state != S_CALLING) {
		if (s->hold_pending && status >= 200) {
			/* Refused (491 glare, 488...): the trunk's view did not change. */
			s->hold_pending = false;
			if (status >= 300)
				s->local_hold = !s->local_hold;
		}
		if (status < 200 || status >= 300)
			return;
		/* A refresh or our own re-INVITE: only a changed SDP matters. */
		got = cr_sip_read_remote(s->ua, sip, &m, why);
		if (got == REMOTE_REFUSED)
			cr_sip_end_for_refused_sdp(s, "SDP answer", why);
		else if (got == REMOTE_OK && cr_sip_media_differs(&m, &s->remote)) {
			s->remote = m;
			cr_sip_choose_from_answer(s);
			cr_sip_emit_media(s, CR_EVENT_SIP_MEDIA_CHANGED, status, NULL);
		}
		return;
	}
	if (status == 100) {
		cr_sip_session_emit(s, CR_EVENT_SIP_TRYING, status, 0, "%s",
			     phrase ? phrase : "");
		return;
	}
	if (status > 100 && status < 200) {
		if (sip && sip_has_feature(sip->sip_require, "100rel"))
			cr_sip_trace_line(s->trace, '>', "PRACK (sent by Sofia)");
		got = cr_sip_read_remote(s->ua, sip, &m, why);
		if (got == REMOTE_REFUSED) {
			/* The INVITE is still pending: CANCEL it. */
			cr_sip_trace_line(s->trace, '!', "SDP in %d refused: %s", status, why);
			s->state = S_ENDING;
			s->failed = true;
			s->cancelled = true;
			cr_sip_session_emit(s, CR_EVENT_SIP_FAILED, 488, 0, "SDP in %d refused: %s",
				     status, why);
			cr_sip_trace_line(s->trace, '>', "CANCEL");
			nua_cancel(s->nh, TAG_END());
		} else if (got == REMOTE_OK) {
			s->remote = m;
			s->have_remote = true;
			cr_sip_choose_from_answer(s);
			cr_sip_emit_media(s, CR_EVENT_SIP_EARLY_MEDIA, status, NULL);
		} else {
			cr_sip_session_emit(s, CR_EVENT_SIP_RINGING, status, 0,
				     "%s", phrase ? phrase : "");
		}
		return;
	}
	if (status < 300) {
		got = cr_sip_read_remote(s->ua, sip, &m, why);
		if (got == REMOTE_OK) {
			s->remote = m;
			s->have_remote = true;
		}
		s->state = S_UP;
		cr_sip_trace_line(s->trace, '>', "ACK (sent by Sofia)");
		if (got == REMOTE_REFUSED || !s->have_remote) {
			/* 200 without a usable answer to our offer (an earlier
			 * 18x's SDP would do): the call cannot go on. */
			s->state = S_ENDING;
			s->failed = true;
			s->local_hangup = false;
			if (got == REMOTE_REFUSED) {
				cr_sip_trace_line(s->trace, '!', "SDP answer refused: %s", why);
				cr_sip_session_emit(s, CR_EVENT_SIP_FAILED, 488, 0,
					     "SDP answer refused: %s", why);
			} else {
				cr_sip_session_emit(s, CR_EVENT_SIP_FAILED, 488, 0, "answer without SDP");
			}
			cr_sip_trace_line(s->trace, '>', "BYE");
			nua_bye(s->nh, TAG_END());
			return;
		}
		cr_sip_choose_from_answer(s);
		cr_sip_emit_media(s, CR_EVENT_SIP_ANSWERED, status, NULL);
		return;
	}
	if ((status == 401 || status == 407) && !s->auth_tried && !s->local_hangup) {
		s->auth_tried = true;
		if (cr_sip_ua_authenticate(s->ua, s->nh, sip)) {
			cr_sip_trace_line(s->trace, '>', "INVITE (with digest credentials)");
			return;
		}
	}
	s->state = S_ENDING;
	s->final_status = status;
	if (!s->local_hangup && !s->failed) {
		s->failed = true;
		cr_sip_session_emit(s, CR_EVENT_SIP_FAILED, status, 0, "%s",
			     phrase ? phrase : "");
	}
	/* A challenge we do not answer leaves NUA waiting for credentials. */
	if (status == 401 || status == 407)
		cr_sip_session_terminated(s, status, phrase);
}
