/**
 * @file dialog.h  What the dialog files of the SIP leg share (sip_dialog.c, invite_out.c, invite_in.c, modify.c)
 */
#ifndef CR_SIP_DIALOG_H
#define CR_SIP_DIALOG_H

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
	uint32_t call_id;       /* the call this leg is of (events, commands) */
	void *owner;            /* the layer above's reference, given back at free */
	cr_trace_t *trace;      /* the call's trace, kept alive by the owner */
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

/* What a message's body gave us. */
typedef enum {
	REMOTE_NONE,     /* no SDP body */
	REMOTE_OK,       /* read into m */
	REMOTE_UNUSABLE, /* well-formed, but no audio we can use */
	REMOTE_REFUSED,  /* cr_sdp_check() refused it: counted, why says why */
} remote_sdp_t;

/* sip_dialog.c */
void cr_sip_session_emit(cr_sip_session_t *s, int type, int32_t code, int32_t value,
			 const char *fmt, ...) G_GNUC_PRINTF(5, 6);
void cr_sip_emit_media(cr_sip_session_t *s, int type, int code, const char *head);
remote_sdp_t cr_sip_read_remote(cr_sip_ua_t *ua, const sip_t *sip, cr_sip_media_t *m,
				char why[CR_SDP_MAX_WHY]);
void cr_sip_respond_refused(nua_t *nua, nua_handle_t *nh, const char *why);
void cr_sip_choose_from_answer(cr_sip_session_t *s);
bool cr_sip_media_differs(const cr_sip_media_t *a, const cr_sip_media_t *b);
const char *cr_sip_held_direction(const char *dir);
void cr_sip_build_sdp(cr_sip_session_t *s, const cr_sip_media_t *local, char *buf, size_t len);
void cr_sip_end_for_refused_sdp(cr_sip_session_t *s, const char *what, const char *why);
/* Takes over owner (given back through the release handler at free). */
cr_sip_session_t *cr_sip_session_new(cr_sip_ua_t *ua, uint32_t call_id, void *owner,
				     cr_trace_t *trace, bool inbound);
void cr_sip_session_terminated(cr_sip_session_t *s, int status, const char *phrase);
/* invite_out.c */
int cr_sip_media_prefs(cr_sip_ua_t *ua, const char *codecs, const char *address, int port,
		       int ptime, cr_sip_media_t *prefs, char *err_buf);
void cr_sip_on_invite_response(cr_sip_session_t *s, int status, const char *phrase,
			       const sip_t *sip);
/* invite_in.c */
void cr_sip_on_new_invite(cr_sip_ua_t *ua, nua_handle_t *nh, const sip_t *sip);
/* 403 to a source outside trusted_sources, 503 past its INVITE rate: true
 * when the request was refused. */
bool cr_sip_refuse_untrusted(cr_sip_ua_t *ua, nua_handle_t *nh, bool new_dialog);
bool cr_sip_refuse_over_rate(cr_sip_ua_t *ua, nua_handle_t *nh);
/* modify.c */
void cr_sip_on_offer_in_dialog(cr_sip_session_t *s, nua_handle_t *nh, const sip_t *sip,
			       bool is_update);
void cr_sip_reinvite_hold(cr_sip_session_t *s, bool on);

#endif
