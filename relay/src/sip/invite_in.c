/**
 * @file invite_in.c  Inbound legs: a new INVITE asks the layer above for a call, once we know who sent it
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

static const char *user_of(const url_t *url)
{
	return url && url->url_user ? url->url_user : "";
}

void cr_sip_on_new_invite(cr_sip_ua_t *ua, nua_handle_t *nh, const sip_t *sip)
{
	cr_sip_media_t offer;
	cr_trace_t *trace = NULL;
	uint32_t call_id = 0;
	void *owner;
	cr_sip_session_t *s;
	const char *caller, *called;
	GString *head;
	char *from_s, *to_s, why[CR_SDP_MAX_WHY];
	remote_sdp_t got;

	atomic_fetch_add(&ua->invites_received, 1);
	got = cr_sip_read_remote(ua, sip, &offer, why);
	if (got == REMOTE_REFUSED) {
		cr_sip_respond_refused(ua->nua, nh, why);
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
	owner = ua->h.incoming(ua->h.arg, &call_id, &trace);
	if (!owner) {
		atomic_fetch_add(&ua->invites_rejected_limit, 1);
		nua_respond(nh, 503, "Service Unavailable", SIPTAG_RETRY_AFTER_STR("30"),
			    TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	s = cr_sip_session_new(ua, call_id, owner, trace, true);
	s->nh = nh;
	s->state = S_INCOMING;
	s->remote = offer;
	s->have_remote = true;
	s->peer_requires_100rel = sip_has_feature(sip->sip_require, "100rel");
	nua_handle_bind(nh, s);
	cr_sip_trace_msg(trace, '<', sip);
	cr_sip_trace_line(trace, '>', "SIP/2.0 100 Trying (sent by Sofia)");
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
	cr_sip_emit_media(s, CR_EVENT_SIP_INCOMING, 0, head->str);
	g_string_free(head, TRUE);
	g_free(from_s);
	g_free(to_s);
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
bool cr_sip_refuse_untrusted(cr_sip_ua_t *ua, nua_handle_t *nh, bool new_dialog)
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
bool cr_sip_refuse_over_rate(cr_sip_ua_t *ua, nua_handle_t *nh)
{
	if (cr_sip_rate_admit(ua, request_source(ua)))
		return false;
	atomic_fetch_add(&ua->invites_received, 1); /* as those refused past max_calls */
	atomic_fetch_add(&ua->invites_rejected_rate, 1);
	nua_respond(nh, 503, "Service Unavailable", SIPTAG_RETRY_AFTER_STR("1"), TAG_END());
	nua_handle_destroy(nh);
	return true;
}
