/**
 * @file event_names.c  The name of each CR_EVENT_* type, the one both Lua backends show
 *
 * Layer 1 (docs/ARCHITECTURE.md): depends on nothing else in the relay.
 */
#include "callrelay.h"

const char *cr_event_type_to_string(int type)
{
	switch (type) {
	case CR_EVENT_NONE: return "none";
	case CR_EVENT_CALL_READY: return "call_ready";
	case CR_EVENT_CALL_CLOSED: return "call_closed";
	case CR_EVENT_ERROR: return "error";
	/* media plane */
	case CR_EVENT_LOCAL_CANDIDATE: return "local_candidate";
	case CR_EVENT_GATHERING_DONE: return "gathering_done";
	case CR_EVENT_ICE_STATE: return "ice_state";
	case CR_EVENT_SELECTED_PAIR: return "selected_pair";
	case CR_EVENT_DTLS_CONNECTED: return "dtls_connected";
	case CR_EVENT_DTLS_FAILED: return "dtls_failed";
	case CR_EVENT_FIRST_MEDIA: return "first_media";
	case CR_EVENT_MEDIA_TIMEOUT: return "media_timeout";
	case CR_EVENT_DTMF: return "dtmf";
	case CR_EVENT_ICE_RESTARTED: return "ice_restarted";
	case CR_EVENT_MEDIA_ERROR: return "media_error";
	case CR_EVENT_ICE_FAILED: return "ice_failed";
	/* SIP user agent */
	case CR_EVENT_SIP_INCOMING: return "sip_incoming";
	case CR_EVENT_SIP_TRYING: return "sip_trying";
	case CR_EVENT_SIP_RINGING: return "sip_ringing";
	case CR_EVENT_SIP_EARLY_MEDIA: return "sip_early_media";
	case CR_EVENT_SIP_ANSWERED: return "sip_answered";
	case CR_EVENT_SIP_FAILED: return "sip_failed";
	case CR_EVENT_SIP_HANGUP: return "sip_hangup";
	case CR_EVENT_SIP_MEDIA_CHANGED: return "sip_media_changed";
	case CR_EVENT_SIP_ENDED: return "sip_ended";
	case CR_EVENT_SIP_REGISTERED: return "sip_registered";
	case CR_EVENT_SIP_TRUNK_STATE: return "sip_trunk_state";
	default: return NULL;
	}
}
