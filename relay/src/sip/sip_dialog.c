/**
 * @file sip_dialog.c  SIP dialogs mapped to calls: dial, answer, hang up, events
 *
 * A session binds one NUA handle to one cr_call_t and holds a reference on
 * the call until NUA reports the dialog terminated. Sessions live on the SIP
 * thread only; the public cr_sip_* commands check their arguments on the
 * calling thread, copy them and post the work here.
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

#include "sdp_check.h"
#include "sip.h"

typedef enum {
	S_CALLING,   /* outbound INVITE sent, no answer yet */
	S_INCOMING,  /* inbound INVITE waiting for the plugin */
	S_ANSWERING, /* inbound: 200 sent, waiting for ACK */
	S_UP,        /* confirmed dialog */
	S_ENDING,    /* BYE/CANCEL/reject sent or received */
} session_state_t;

struct cr_sip_session {
	cr_sip_ua_t *ua;
	cr_call_t *call;        /* our reference */
	nua_handle_t *nh;
	bool inbound;
	session_state_t state;
	bool auth_tried;
	bool local_hangup;      /* the end is ours: CR_EVENT_SIP_ENDED at the end */
	bool remote_hangup;     /* CR_EVENT_SIP_HANGUP already sent */
	bool failed;            /* CR_EVENT_SIP_FAILED already sent */
	bool peer_requires_100rel;
	bool cancelled;         /* we sent CANCEL; a crossing 200 needs our BYE */
	int final_status;
	cr_sip_media_t prefs;   /* our address, port, ptime and codec preferences */
	bool want_dtmf;
	cr_sip_media_t remote;  /* the peer's last SDP */
	bool have_remote;
	cr_sip_codec_t chosen;
	bool have_chosen;
	bool local_hold;        /* we put the trunk on hold (cr_sip_hold) */
	bool hold_pending;      /* our hold/resume re-INVITE awaits its answer */
	unsigned sdp_version;
};

/* ---- helpers ---- */

/* An event about the session's call. None once the caller closed the call:
 * CR_EVENT_CALL_CLOSED is the last event it sees about it, while the dialog
 * may still be finishing the BYE or CANCEL the close sent. */
static void session_emit(cr_sip_session_t *s, int type, int32_t code, int32_t value,
			 const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static void session_emit(cr_sip_session_t *s, int type, int32_t code, int32_t value,
			 const char *fmt, ...)
{
	char text[CR_MAX_EVENT_TEXT_LEN];
	va_list ap;

	if (atomic_load(&s->call->closing))
		return;
	va_start(ap, fmt);
	g_vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cr_relay_emit(s->ua->relay, type, s->call->id, code, value, "%s", text);
}

static void emit_media(cr_sip_session_t *s, int type, int code, const char *head)
{
	GString *text = g_string_new(head);

	cr_sip_media_text(&s->remote, s->have_chosen ? &s->chosen : NULL,
			  s->ua->symmetric_rtp, type == CR_EVENT_SIP_INCOMING, text);
	session_emit(s, type, code, 0, "%s", text->str);
	g_string_free(text, TRUE);
}

/* What a message's body gave us. */
typedef enum {
	REMOTE_NONE,     /* no SDP body */
	REMOTE_OK,       /* read into m */
	REMOTE_UNUSABLE, /* well-formed, but no audio we can use */
	REMOTE_REFUSED,  /* cr_sdp_check() refused it: counted, why says why */
} remote_sdp_t;

/* Reads the SDP of `sip` into m. Every SDP from the network comes through
 * here (or the trace) and so through cr_sdp_check() before Sofia's parser. */
static remote_sdp_t read_remote(cr_sip_ua_t *ua, const sip_t *sip, cr_sip_media_t *m,
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
static void respond_refused(nua_t *nua, nua_handle_t *nh, const char *why)
{
	char warning[CR_SDP_MAX_WHY + 32];

	g_snprintf(warning, sizeof(warning), "399 jingle-sip \"%s\"", why);
	nua_respond(nh, 488, "Not Acceptable Here", NUTAG_WITH_THIS(nua),
		    SIPTAG_WARNING_STR(warning), TAG_END());
}

/* Outbound: the answer names the codec the trunk will send, first listed. */
static void choose_from_answer(cr_sip_session_t *s)
{
	s->have_chosen = s->remote.n_codecs > 0;
	if (s->have_chosen)
		s->chosen = s->remote.codecs[0];
}

static bool media_differs(const cr_sip_media_t *a, const cr_sip_media_t *b)
{
	return strcmp(a->address, b->address) != 0 || a->port != b->port ||
		strcmp(a->direction, b->direction) != 0 || a->n_codecs != b->n_codecs ||
		(a->n_codecs && b->n_codecs && a->codecs[0].pt != b->codecs[0].pt) ||
		a->dtmf_pt != b->dtmf_pt;
}

/* Our direction while we hold the trunk: we send (music, silence, whatever
 * the client sends) but ask for nothing back (RFC 3264 8.4). */
static const char *held_direction(const char *dir)
{
	if (strcmp(dir, "sendrecv") == 0)
		return "sendonly";
	if (strcmp(dir, "recvonly") == 0)
		return "inactive";
	return dir;
}

/* Our SDP with the chosen codec (or every preference for an offer). */
static void build_sdp(cr_sip_session_t *s, const cr_sip_media_t *local, char *buf, size_t len)
{
	cr_sip_sdp_build(local, ++s->sdp_version, buf, len);
}

/* A dialog whose answer (a 2xx to our re-INVITE, an SDP in an ACK) broke
 * our SDP check cannot go on: BYE, and the plugin hears why. */
static void end_for_refused_sdp(cr_sip_session_t *s, const char *what, const char *why)
{
	cr_sip_trace_line(s->call->sip_trace, '!', "%s refused: %s", what, why);
	if (s->state == S_ENDING)
		return;
	s->state = S_ENDING;
	if (!s->local_hangup && !s->remote_hangup) {
		s->remote_hangup = true;
		session_emit(s, CR_EVENT_SIP_HANGUP, 488, 0, "%s refused: %s", what, why);
	}
	cr_sip_trace_line(s->call->sip_trace, '>', "BYE");
	nua_bye(s->nh, TAG_END());
}

static cr_sip_session_t *session_new(cr_sip_ua_t *ua, cr_call_t *call, bool inbound)
{
	cr_sip_session_t *s = g_new0(cr_sip_session_t, 1);

	s->ua = ua;
	s->call = cr_call_ref(call);
	s->inbound = inbound;
	s->final_status = 0;
	call->sip = s;
	ua->sessions = g_list_prepend(ua->sessions, s);
	return s;
}

static void session_free(cr_sip_session_t *s)
{
	cr_sip_ua_t *ua = s->ua;
	cr_call_t *orphan = NULL;

	ua->sessions = g_list_remove(ua->sessions, s);
	if (s->nh) {
		nua_handle_bind(s->nh, NULL);
		nua_handle_destroy(s->nh);
	}
	s->call->sip = NULL;
	if (s->inbound) {
		/* Nobody adopted this inbound call: it ends with its dialog. */
		g_mutex_lock(&ua->lock);
		if (g_hash_table_steal_extended(ua->unadopted, GUINT_TO_POINTER(s->call->id),
						NULL, (gpointer *)&orphan) == FALSE)
			orphan = NULL;
		g_mutex_unlock(&ua->lock);
		if (orphan)
			cr_call_close(orphan, "sip: ended before adoption");
	}
	cr_call_unref(s->call);
	g_free(s);
}

/* The dialog is over: final events, then free. */
static void session_terminated(cr_sip_session_t *s, int status, const char *phrase)
{
	if (s->local_hangup)
		session_emit(s, CR_EVENT_SIP_ENDED, s->final_status ? s->final_status : status, 0,
			     "%s", phrase ? phrase : "");
	else if (!s->remote_hangup && !s->failed) {
		if (s->state == S_UP || s->state == S_ANSWERING || s->inbound)
			/* Session timer expiry, transport failure, dead dialog. */
			session_emit(s, CR_EVENT_SIP_HANGUP, status >= 300 ? status : 408, 0, "%s",
				     phrase && *phrase ? phrase : "dialog ended");
		else
			session_emit(s, CR_EVENT_SIP_FAILED, status, 0,
				     "%s", phrase ? phrase : "");
	}
	session_free(s);
}

void cr_sip_dialog_free_all(cr_sip_ua_t *ua)
{
	while (ua->sessions) {
		cr_sip_session_t *s = ua->sessions->data;

		s->local_hangup = true;
		session_terminated(s, 503, "relay closed");
	}
}

/* ---- outbound ---- */

typedef struct dial_job {
	cr_call_t *call;
	char *number, *caller_id, *display_name;
	cr_sip_media_t prefs;
	bool want_dtmf;
} dial_job_t;

static void dial_job_free(void *p)
{
	dial_job_t *job = p;

	cr_call_unref(job->call);
	g_free(job->number);
	g_free(job->caller_id);
	g_free(job->display_name);
	g_free(job);
}

static void dial_on_sip_thread(void *p)
{
	dial_job_t *job = p;
	cr_call_t *call = job->call;
	cr_sip_ua_t *ua = call->relay->sip;
	cr_sip_session_t *s;
	char *from, *to, sdp[2048];
	cr_sip_media_t offer;

	if (atomic_load(&call->closing))
		return;
	if (call->sip) {
		cr_relay_emit(call->relay, CR_EVENT_SIP_FAILED, call->id, 0, 0,
			      "the call already has a SIP dialog");
		return;
	}
	s = session_new(ua, call, false);
	s->prefs = job->prefs;
	s->want_dtmf = job->want_dtmf;
	s->state = S_CALLING;
	offer = s->prefs;
	offer.dtmf_pt = s->want_dtmf ? CR_SIP_DTMF_PT : -1;
	g_strlcpy(offer.direction, "sendrecv", sizeof(offer.direction));
	build_sdp(s, &offer, sdp, sizeof(sdp));
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
	cr_sip_trace_line(call->sip_trace, '>', "INVITE sip:%s@%s SIP/2.0 | From: %s | To: %s | "
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
static int media_prefs(cr_sip_ua_t *ua, const char *codecs, const char *address, int port,
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

static int check_call(cr_call_t *call, char *err_buf)
{
	if (!call)
		return cr_set_error(err_buf, CR_ERR_INVALID, "no call");
	if (atomic_load(&call->closing) || atomic_load(&call->relay->destroyed))
		return cr_set_error(err_buf, CR_ERR_CLOSED, "the call is closed");
	if (!call->relay->sip)
		return cr_set_error(err_buf, CR_ERR_INVALID, "the relay has no SIP configured");
	return CR_OK;
}

int cr_sip_dial(cr_call_t *call, const cr_sip_dial_params_t *p, char *err_buf)
{
	dial_job_t *job;
	int err;

	err = check_call(call, err_buf);
	if (err)
		return err;
	if (!p || !valid_user(p->number))
		return cr_set_error(err_buf, CR_ERR_INVALID, "bad or missing number");
	if (p->caller_id && !valid_user(p->caller_id))
		return cr_set_error(err_buf, CR_ERR_INVALID, "bad caller_id \"%s\"", p->caller_id);
	if (p->display_name && (strpbrk(p->display_name, "\"\\\r\n") ||
				strlen(p->display_name) > 64))
		return cr_set_error(err_buf, CR_ERR_INVALID, "bad display_name");
	job = g_new0(dial_job_t, 1);
	err = media_prefs(call->relay->sip, p->codecs, p->local_rtp_address, p->local_rtp_port,
			  p->ptime, &job->prefs, err_buf);
	if (err) {
		g_free(job);
		return err;
	}
	job->call = cr_call_ref(call);
	job->number = g_strdup(p->number);
	job->caller_id = g_strdup(p->caller_id);
	job->display_name = g_strdup(p->display_name);
	job->want_dtmf = p->telephone_event != 0;
	if (!cr_sip_ua_post(call->relay->sip, dial_on_sip_thread, job, dial_job_free))
		return cr_set_error(err_buf, CR_ERR_CLOSED, "the SIP user agent is stopping");
	return CR_OK;
}

static void on_invite_response(cr_sip_session_t *s, int status, const char *phrase,
			       const sip_t *sip)
{
	cr_sip_media_t m;
	char why[CR_SDP_MAX_WHY];
	remote_sdp_t got;

	if (sip)
		cr_sip_trace_msg(s->call->sip_trace, '<', sip);
	if (s->cancelled && status >= 200 && status < 300) {
		/* The 200 crossed our CANCEL (RFC 3261 9.1): NUA ACKs it, the
		 * call is up at the trunk, and only a BYE ends it. */
		s->cancelled = false;
		s->final_status = 487;
		cr_sip_trace_line(s->call->sip_trace, '>', "ACK (sent by Sofia)");
		cr_sip_trace_line(s->call->sip_trace, '>', "BYE (the 200 crossed our CANCEL)");
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
		got = read_remote(s->ua, sip, &m, why);
		if (got == REMOTE_REFUSED)
			end_for_refused_sdp(s, "SDP answer", why);
		else if (got == REMOTE_OK && media_differs(&m, &s->remote)) {
			s->remote = m;
			choose_from_answer(s);
			emit_media(s, CR_EVENT_SIP_MEDIA_CHANGED, status, NULL);
		}
		return;
	}
	if (status == 100) {
		session_emit(s, CR_EVENT_SIP_TRYING, status, 0, "%s",
			     phrase ? phrase : "");
		return;
	}
	if (status > 100 && status < 200) {
		if (sip && sip_has_feature(sip->sip_require, "100rel"))
			cr_sip_trace_line(s->call->sip_trace, '>', "PRACK (sent by Sofia)");
		got = read_remote(s->ua, sip, &m, why);
		if (got == REMOTE_REFUSED) {
			/* The INVITE is still pending: CANCEL it. */
			cr_sip_trace_line(s->call->sip_trace, '!', "SDP in %d refused: %s", status, why);
			s->state = S_ENDING;
			s->failed = true;
			s->cancelled = true;
			session_emit(s, CR_EVENT_SIP_FAILED, 488, 0, "SDP in %d refused: %s",
				     status, why);
			cr_sip_trace_line(s->call->sip_trace, '>', "CANCEL");
			nua_cancel(s->nh, TAG_END());
		} else if (got == REMOTE_OK) {
			s->remote = m;
			s->have_remote = true;
			choose_from_answer(s);
			emit_media(s, CR_EVENT_SIP_EARLY_MEDIA, status, NULL);
		} else {
			session_emit(s, CR_EVENT_SIP_RINGING, status, 0,
				     "%s", phrase ? phrase : "");
		}
		return;
	}
	if (status < 300) {
		got = read_remote(s->ua, sip, &m, why);
		if (got == REMOTE_OK) {
			s->remote = m;
			s->have_remote = true;
		}
		s->state = S_UP;
		cr_sip_trace_line(s->call->sip_trace, '>', "ACK (sent by Sofia)");
		if (got == REMOTE_REFUSED || !s->have_remote) {
			/* 200 without a usable answer to our offer (an earlier
			 * 18x's SDP would do): the call cannot go on. */
			s->state = S_ENDING;
			s->failed = true;
			s->local_hangup = false;
			if (got == REMOTE_REFUSED) {
				cr_sip_trace_line(s->call->sip_trace, '!', "SDP answer refused: %s", why);
				session_emit(s, CR_EVENT_SIP_FAILED, 488, 0,
					     "SDP answer refused: %s", why);
			} else {
				session_emit(s, CR_EVENT_SIP_FAILED, 488, 0, "answer without SDP");
			}
			cr_sip_trace_line(s->call->sip_trace, '>', "BYE");
			nua_bye(s->nh, TAG_END());
			return;
		}
		choose_from_answer(s);
		cr_media_call_answered(s->call);
		emit_media(s, CR_EVENT_SIP_ANSWERED, status, NULL);
		return;
	}
	if ((status == 401 || status == 407) && !s->auth_tried && !s->local_hangup) {
		s->auth_tried = true;
		if (cr_sip_ua_authenticate(s->ua, s->nh, sip)) {
			cr_sip_trace_line(s->call->sip_trace, '>', "INVITE (with digest credentials)");
			return;
		}
	}
	s->state = S_ENDING;
	s->final_status = status;
	if (!s->local_hangup && !s->failed) {
		s->failed = true;
		session_emit(s, CR_EVENT_SIP_FAILED, status, 0, "%s",
			     phrase ? phrase : "");
	}
	/* A challenge we do not answer leaves NUA waiting for credentials. */
	if (status == 401 || status == 407)
		session_terminated(s, status, phrase);
}

/* ---- inbound ---- */

static const char *user_of(const url_t *url)
{
	return url && url->url_user ? url->url_user : "";
}

static void on_new_invite(cr_sip_ua_t *ua, nua_handle_t *nh, const sip_t *sip)
{
	cr_sip_media_t offer;
	cr_call_t *call = NULL;
	cr_sip_session_t *s;
	const char *caller, *called;
	GString *head;
	char *from_s, *to_s, why[CR_SDP_MAX_WHY];
	remote_sdp_t got;

	atomic_fetch_add(&ua->invites_received, 1);
	got = read_remote(ua, sip, &offer, why);
	if (got == REMOTE_REFUSED) {
		respond_refused(ua->nua, nh, why);
		nua_handle_destroy(nh);
		return;
	}
	if (got != REMOTE_OK) {
		/* Offerless INVITEs (RFC 3261 13.2.1) are not supported: we need
		 * the trunk's codecs before the plugin can ring anyone. */
		nua_respond(nh, 488, "Not Acceptable Here", TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	if (cr_call_create(ua->relay, &call, NULL) != CR_OK) {
		atomic_fetch_add(&ua->invites_rejected_limit, 1);
		nua_respond(nh, 503, "Service Unavailable", SIPTAG_RETRY_AFTER_STR("30"),
			    TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	s = session_new(ua, call, true);
	s->nh = nh;
	s->state = S_INCOMING;
	s->remote = offer;
	s->have_remote = true;
	s->peer_requires_100rel = sip_has_feature(sip->sip_require, "100rel");
	nua_handle_bind(nh, s);
	g_mutex_lock(&ua->lock);
	g_hash_table_insert(ua->unadopted, GUINT_TO_POINTER(call->id), call);
	g_mutex_unlock(&ua->lock);
	cr_sip_trace_msg(call->sip_trace, '<', sip);
	cr_sip_trace_line(call->sip_trace, '>', "SIP/2.0 100 Trying (sent by Sofia)");
	caller = sip_p_asserted_identity(sip)
		? user_of(sip_p_asserted_identity(sip)->paid_url)
		: sip->sip_from ? user_of(sip->sip_from->a_url) : "";
	called = sip->sip_request && sip->sip_request->rq_url->url_user
		? user_of(sip->sip_request->rq_url)
		: sip->sip_to ? user_of(sip->sip_to->a_url) : "";
	from_s = cr_sip_header_text((const sip_header_t *)sip->sip_from);
	to_s = cr_sip_header_text((const sip_header_t *)sip->sip_to);
	head = g_string_new(NULL);
	g_string_append_printf(head, "caller=%s\ncalled=%s\nfrom=%s\nto=%s\n", caller, called,
			       from_s ? from_s : "", to_s ? to_s : "");
	emit_media(s, CR_EVENT_SIP_INCOMING, 0, head->str);
	g_string_free(head, TRUE);
	g_free(from_s);
	g_free(to_s);
}

/* re-INVITE or UPDATE from the peer: answer with our side of the same call. */
static void on_offer_in_dialog(cr_sip_session_t *s, nua_handle_t *nh, const sip_t *sip,
			       bool is_update)
{
	cr_sip_media_t m, answer, prefs;
	char sdp[2048], why[CR_SDP_MAX_WHY];
	remote_sdp_t got;

	cr_sip_trace_msg(s->call->sip_trace, '<', sip);
	got = read_remote(s->ua, sip, &m, why);
	if (got == REMOTE_REFUSED) {
		/* RFC 3261 14.2: a refused re-INVITE leaves the session as it was. */
		cr_sip_trace_line(s->call->sip_trace, '>', "SIP/2.0 488 Not Acceptable Here | Warning: %s", why);
		respond_refused(s->ua->nua, nh, why);
		return;
	}
	if (got != REMOTE_OK) {
		/* Offerless re-INVITE (or a bare session refresh): we offer our
		 * current media; the ACK brings the answer. */
		if (is_update || !s->have_chosen) {
			nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(s->ua->nua), TAG_END());
			return;
		}
		answer = s->prefs;
		answer.codecs[0] = s->chosen;
		answer.n_codecs = 1;
		answer.dtmf_pt = s->want_dtmf ? s->remote.dtmf_pt : -1;
		g_strlcpy(answer.direction, s->local_hold ? "sendonly" : "sendrecv",
			  sizeof(answer.direction));
		build_sdp(s, &answer, sdp, sizeof(sdp));
		nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(s->ua->nua),
			    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
		return;
	}
	/* Keep the codec in use when still offered: no needless switch. */
	prefs = s->prefs;
	if (s->have_chosen) {
		prefs.codecs[0] = s->chosen;
		prefs.n_codecs = 1;
		if (cr_sip_sdp_answer(&m, &prefs, s->want_dtmf, &answer) != CR_OK)
			prefs = s->prefs;
	}
	if (cr_sip_sdp_answer(&m, &prefs, s->want_dtmf, &answer) != CR_OK) {
		cr_sip_trace_line(s->call->sip_trace, '>', "SIP/2.0 488 Not Acceptable Here");
		nua_respond(nh, 488, "Not Acceptable Here", NUTAG_WITH_THIS(s->ua->nua),
			    TAG_END());
		return;
	}
	if (s->local_hold)
		g_strlcpy(answer.direction, held_direction(answer.direction),
			  sizeof(answer.direction));
	build_sdp(s, &answer, sdp, sizeof(sdp));
	cr_sip_trace_line(s->call->sip_trace, '>', "SIP/2.0 200 OK | SDP: %s:%d %s %s", answer.address,
			  answer.port, answer.codecs[0].name, answer.direction);
	nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(s->ua->nua),
			    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	if (!s->have_chosen || media_differs(&m, &s->remote) ||
	    answer.codecs[0].pt != s->chosen.pt) {
		s->remote = m;
		s->chosen = answer.codecs[0];
		s->have_chosen = true;
		if (s->state == S_UP)
			emit_media(s, CR_EVENT_SIP_MEDIA_CHANGED, 0, NULL);
	}
}

typedef enum { CMD_RINGING, CMD_ANSWER, CMD_REJECT, CMD_HANGUP, CMD_CLOSE, CMD_HOLD } cmd_type_t;

typedef struct cmd_job {
	cr_call_t *call;
	cmd_type_t type;
	int status;
	cr_sip_media_t prefs;
	bool want_dtmf;
	char reason[CR_MAX_SIP_REASON_LEN + 40]; /* RFC 3326 Reason value for the hang-up, or "" */
} cmd_job_t;

static void cmd_job_free(void *p)
{
	cmd_job_t *job = p;

	cr_call_unref(job->call);
	g_free(job);
}

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
		cr_sip_trace_line(s->call->sip_trace, '>', "CANCEL%s%s", r ? " | Reason: " : "", r ? reason : "");
		nua_cancel(s->nh, TAG_IF(r, SIPTAG_REASON_STR(reason)), TAG_END());
		break;
	case S_INCOMING:
		s->final_status = 480;
		cr_sip_trace_line(s->call->sip_trace, '>', "SIP/2.0 480 Temporarily Unavailable%s%s",
				  r ? " | Reason: " : "", r ? reason : "");
		nua_respond(s->nh, 480, "Temporarily Unavailable",
			    TAG_IF(r, SIPTAG_REASON_STR(reason)), TAG_END());
		break;
	default:
		cr_sip_trace_line(s->call->sip_trace, '>', "BYE%s%s", r ? " | Reason: " : "", r ? reason : "");
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
		session_emit(s, CR_EVENT_SIP_FAILED, 488, 0,
			     "no offered codec is in our list");
		cr_sip_trace_line(s->call->sip_trace, '>', "SIP/2.0 488 Not Acceptable Here");
		nua_respond(s->nh, 488, "Not Acceptable Here", TAG_END());
		return;
	}
	s->chosen = ans.codecs[0];
	s->have_chosen = true;
	build_sdp(s, &ans, sdp, sizeof(sdp));
	s->state = S_ANSWERING;
	cr_sip_trace_line(s->call->sip_trace, '>', "SIP/2.0 200 OK | SDP: %s:%d %s %s", ans.address,
			  ans.port, ans.codecs[0].name, ans.direction);
	nua_respond(s->nh, 200, "OK", SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
}

static void hold(cr_sip_session_t *s, bool on)
{
	cr_sip_media_t offer;
	char sdp[2048];

	if (s->state != S_UP || !s->have_chosen) {
		cr_sip_trace_line(s->call->sip_trace, '!', "%s ignored: the dialog is not established",
				  on ? "hold" : "resume");
		return;
	}
	if (s->local_hold == on)
		return;
	s->local_hold = on;
	s->hold_pending = true;
	offer = s->prefs;
	offer.codecs[0] = s->chosen;
	offer.n_codecs = 1;
	offer.dtmf_pt = s->want_dtmf ? s->remote.dtmf_pt : -1;
	g_strlcpy(offer.direction, on ? "sendonly" : "sendrecv", sizeof(offer.direction));
	build_sdp(s, &offer, sdp, sizeof(sdp));
	cr_sip_trace_line(s->call->sip_trace, '>', "INVITE (%s) | SDP: %s:%d %s %s", on ? "hold" : "resume",
			  offer.address, offer.port, offer.codecs[0].name, offer.direction);
	nua_invite(s->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
		   TAG_END());
}

static void cmd_on_sip_thread(void *p)
{
	cmd_job_t *job = p;
	cr_sip_session_t *s = job->call->sip;

	if (!s)
		return;
	if (job->type == CMD_HANGUP || job->type == CMD_CLOSE) {
		hang_up(s, job->reason);
		return;
	}
	if (job->type == CMD_HOLD) {
		hold(s, job->status != 0);
		return;
	}
	if (!s->inbound || s->state != S_INCOMING) {
		cr_sip_trace_line(s->call->sip_trace, '!', "command ignored: the call is not ringing inbound");
		return;
	}
	switch (job->type) {
	case CMD_RINGING:
		cr_sip_trace_line(s->call->sip_trace, '>', "SIP/2.0 180 Ringing%s",
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
		cr_sip_trace_line(s->call->sip_trace, '>', "SIP/2.0 %d %s", job->status,
				  sip_status_phrase(job->status));
		/* nua_respond keeps the phrase pointer: sip_status_phrase is static. */
		nua_respond(s->nh, job->status, sip_status_phrase(job->status), TAG_END());
		break;
	default:
		break;
	}
}

static int post_cmd(cr_call_t *call, cmd_type_t type, int status, cmd_job_t *job)
{
	if (!job)
		job = g_new0(cmd_job_t, 1);
	job->call = cr_call_ref(call);
	job->type = type;
	job->status = status;
	return cr_sip_ua_post(call->relay->sip, cmd_on_sip_thread, job, cmd_job_free)
		? CR_OK : CR_ERR_CLOSED;
}

int cr_sip_ringing(cr_call_t *call)
{
	int err = check_call(call, NULL);

	return err ? err : post_cmd(call, CMD_RINGING, 180, NULL);
}

int cr_sip_answer(cr_call_t *call, const cr_sip_answer_params_t *p, char *err_buf)
{
	cmd_job_t *job;
	int err = check_call(call, err_buf);

	if (err)
		return err;
	if (!p)
		return cr_set_error(err_buf, CR_ERR_INVALID, "no answer parameters");
	job = g_new0(cmd_job_t, 1);
	err = media_prefs(call->relay->sip, p->codecs, p->local_rtp_address, p->local_rtp_port,
			  p->ptime, &job->prefs, err_buf);
	if (err) {
		g_free(job);
		return err;
	}
	job->want_dtmf = p->telephone_event != 0;
	return post_cmd(call, CMD_ANSWER, 200, job);
}

int cr_sip_reject(cr_call_t *call, int status)
{
	int err = check_call(call, NULL);

	if (err)
		return err;
	if (status < 300 || status > 699)
		return CR_ERR_INVALID;
	return post_cmd(call, CMD_REJECT, status, NULL);
}

int cr_sip_hold(cr_call_t *call, int on)
{
	int err = check_call(call, NULL);

	return err ? err : post_cmd(call, CMD_HOLD, on ? 1 : 0, NULL);
}

int cr_sip_hangup(cr_call_t *call)
{
	int err = check_call(call, NULL);

	return err ? err : post_cmd(call, CMD_HANGUP, 0, NULL);
}

int cr_sip_hangup_reason(cr_call_t *call, int q850_cause, const char *text)
{
	cmd_job_t *job;
	GString *clean;
	int err = check_call(call, NULL);

	if (err)
		return err;
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
	return post_cmd(call, CMD_HANGUP, 0, job);
}

void cr_sip_call_closing(cr_call_t *call)
{
	if (call->relay->sip)
		post_cmd(call, CMD_CLOSE, 0, NULL);
}

/* ---- who sent it ---- */

/* The source address of the request NUA reports now (valid in the callback). */
static const struct sockaddr *request_source(cr_sip_ua_t *ua)
{
	msg_t *msg = nua_current_request(ua->nua);
	su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;

	return ai ? ai->ai_addr : NULL;
}

/* Requests from outside the trusted sources get 403 and are counted: they
 * never ring anybody, and no caller ID of theirs is ever read. The kernel
 * filter keeps them from getting this far unless it is off. */
static bool refuse_untrusted(cr_sip_ua_t *ua, nua_handle_t *nh, bool new_dialog)
{
	if (cr_sip_sources_match(ua->sources, request_source(ua)))
		return false;
	atomic_fetch_add(&ua->requests_untrusted, 1);
	nua_respond(nh, 403, "Forbidden", NUTAG_WITH_CURRENT(ua->nua), TAG_END());
	if (new_dialog)
		nua_handle_destroy(nh);
	return true;
}

/* A flood of new INVITEs from one source gets 503 before any call exists. */
static bool refuse_over_rate(cr_sip_ua_t *ua, nua_handle_t *nh)
{
	if (cr_sip_rate_admit(ua, request_source(ua)))
		return false;
	atomic_fetch_add(&ua->invites_received, 1); /* as those refused past max_calls */
	atomic_fetch_add(&ua->invites_rejected_rate, 1);
	nua_respond(nh, 503, "Service Unavailable", SIPTAG_RETRY_AFTER_STR("1"), TAG_END());
	nua_handle_destroy(nh);
	return true;
}

/* ---- NUA events about calls ---- */

void cr_sip_dialog_event(cr_sip_ua_t *ua, nua_event_t event, int status, const char *phrase,
			 nua_handle_t *nh, cr_sip_session_t *s, const sip_t *sip,
			 tagi_t tags[])
{
	int callstate = -1;

	switch (event) {
	case nua_i_invite:
		if (refuse_untrusted(ua, nh, !s))
			return;
		if (!s) {
			bool stopping;

			g_mutex_lock(&ua->lock);
			stopping = ua->stopping;
			g_mutex_unlock(&ua->lock);
			if (stopping) {
				nua_respond(nh, 503, "Service Unavailable", TAG_END());
				nua_handle_destroy(nh);
			} else if (!refuse_over_rate(ua, nh)) {
				on_new_invite(ua, nh, sip);
			}
		} else {
			on_offer_in_dialog(s, nh, sip, false);
		}
		return;
	case nua_i_update:
		if (refuse_untrusted(ua, nh, false))
			return;
		if (s)
			on_offer_in_dialog(s, nh, sip, true);
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
		on_invite_response(s, status, phrase, sip);
		break;
	case nua_i_ack: {
		cr_sip_media_t m;
		char why[CR_SDP_MAX_WHY];

		if (sip)
			cr_sip_trace_msg(s->call->sip_trace, '<', sip);
		if (read_remote(ua, sip, &m, why) == REMOTE_REFUSED) {
			end_for_refused_sdp(s, "SDP in ACK", why);
			break;
		}
		if (s->state == S_ANSWERING) {
			s->state = S_UP;
			cr_media_call_answered(s->call);
			emit_media(s, CR_EVENT_SIP_ANSWERED, 200, NULL);
		}
		break;
	}
	case nua_i_cancel:
		if (sip)
			cr_sip_trace_msg(s->call->sip_trace, '<', sip);
		cr_sip_trace_line(s->call->sip_trace, '>', "SIP/2.0 200 OK to CANCEL, 487 to INVITE "
				  "(sent by Sofia)");
		if (!s->local_hangup && !s->remote_hangup) {
			s->remote_hangup = true;
			session_emit(s, CR_EVENT_SIP_HANGUP, 487, 0, "CANCEL");
		}
		s->state = S_ENDING;
		break;
	case nua_i_bye:
		if (sip)
			cr_sip_trace_msg(s->call->sip_trace, '<', sip);
		cr_sip_trace_line(s->call->sip_trace, '>', "SIP/2.0 200 OK to BYE (sent by Sofia)");
		if (!s->local_hangup && !s->remote_hangup) {
			s->remote_hangup = true;
			session_emit(s, CR_EVENT_SIP_HANGUP, 200, 0, "BYE");
		}
		s->state = S_ENDING;
		break;
	case nua_r_bye:
	case nua_r_cancel:
		if (sip)
			cr_sip_trace_msg(s->call->sip_trace, '<', sip);
		if (event == nua_r_bye && status >= 200)
			s->final_status = status;
		break;
	case nua_i_prack: {
		cr_sip_media_t m;
		char why[CR_SDP_MAX_WHY];

		if (sip)
			cr_sip_trace_msg(s->call->sip_trace, '<', sip);
		cr_sip_trace_line(s->call->sip_trace, '>', "SIP/2.0 200 OK to PRACK (sent by Sofia)");
		/* We offer nothing in 18x, so a PRACK's SDP is never used; a
		 * broken one is still counted. */
		if (read_remote(ua, sip, &m, why) == REMOTE_REFUSED)
			cr_sip_trace_line(s->call->sip_trace, '!', "SDP in PRACK refused: %s", why);
		break;
	}
	case nua_r_update:
		/* We never send UPDATE ourselves: NUA's session refresh. */
		if (status >= 200)
			cr_sip_trace_line(s->call->sip_trace, '>', "UPDATE (session refresh, sent by Sofia)");
		if (sip)
			cr_sip_trace_msg(s->call->sip_trace, '<', sip);
		break;
	case nua_r_prack:
		if (sip)
			cr_sip_trace_msg(s->call->sip_trace, '<', sip);
		break;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(callstate), TAG_END());
		if (callstate == nua_callstate_terminated)
			session_terminated(s, status, phrase);
		break;
	default:
		break;
	}
}
