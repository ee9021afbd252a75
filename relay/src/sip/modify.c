/**
 * @file modify.c  Changes inside a dialog: the peer's re-INVITE/UPDATE answered, our hold/resume offered
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

/* re-INVITE or UPDATE from the peer: answer with our side of the same call. */
void cr_sip_on_offer_in_dialog(cr_sip_session_t *s, nua_handle_t *nh, const sip_t *sip,
			       bool is_update)
{
	cr_sip_media_t m, answer, prefs;
	char sdp[2048], why[CR_SDP_MAX_WHY];
	remote_sdp_t got;

	cr_sip_trace_msg(s->trace, '<', sip);
	got = cr_sip_read_remote(s->ua, sip, &m, why);
	if (got == REMOTE_REFUSED) {
		/* RFC 3261 14.2: a refused re-INVITE leaves the session as it was. */
		cr_sip_trace_line(s->trace, '>', "SIP/2.0 488 Not Acceptable Here | Warning: %s", why);
		cr_sip_respond_refused(s->ua->nua, nh, why);
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
		cr_sip_build_sdp(s, &answer, sdp, sizeof(sdp));
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
		cr_sip_trace_line(s->trace, '>', "SIP/2.0 488 Not Acceptable Here");
		nua_respond(nh, 488, "Not Acceptable Here", NUTAG_WITH_THIS(s->ua->nua),
			    TAG_END());
		return;
	}
	if (s->local_hold)
		g_strlcpy(answer.direction, cr_sip_held_direction(answer.direction),
			  sizeof(answer.direction));
	cr_sip_build_sdp(s, &answer, sdp, sizeof(sdp));
	cr_sip_trace_line(s->trace, '>', "SIP/2.0 200 OK | SDP: %s:%d %s %s", answer.address,
			  answer.port, answer.codecs[0].name, answer.direction);
	nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(s->ua->nua),
			    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	if (!s->have_chosen || cr_sip_media_differs(&m, &s->remote) ||
	    answer.codecs[0].pt != s->chosen.pt) {
		s->remote = m;
		s->chosen = answer.codecs[0];
		s->have_chosen = true;
		if (s->state == S_UP)
			cr_sip_emit_media(s, CR_EVENT_SIP_MEDIA_CHANGED, 0, NULL);
	}
}

void cr_sip_reinvite_hold(cr_sip_session_t *s, bool on)
{
	cr_sip_media_t offer;
	char sdp[2048];

	if (s->state != S_UP || !s->have_chosen) {
		cr_sip_trace_line(s->trace, '!', "%s ignored: the dialog is not established",
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
	cr_sip_build_sdp(s, &offer, sdp, sizeof(sdp));
	cr_sip_trace_line(s->trace, '>', "INVITE (%s) | SDP: %s:%d %s %s", on ? "hold" : "resume",
			  offer.address, offer.port, offer.codecs[0].name, offer.direction);
	nua_invite(s->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
		   TAG_END());
}
