/**
 * @file call_sip.c  The call's side of its SIP leg: its trace, and taking a call the SIP thread made
 *
 * Layer 4 (docs/ARCHITECTURE.md): the call object meets relay/src/sip/ here.
 */
#include <string.h>

#include "sip/sip.h"

void cr_sip_call_init(cr_call_t *call)
{
	call->sip_trace = cr_sip_trace_new();
	g_mutex_init(&call->sip_media_lock);
	memset(&call->sip_media, 0, sizeof(call->sip_media));
	call->sip_media.dtmf_pt = -1;
}

void cr_sip_call_fini(cr_call_t *call)
{
	cr_sip_trace_free(call->sip_trace);
	call->sip_trace = NULL;
	g_mutex_clear(&call->sip_media_lock);
}

void cr_call_set_sip_media(cr_call_t *call, const cr_sdp_media_t *m, const cr_codec_t *chosen,
			   int symmetric_rtp)
{
	g_mutex_lock(&call->sip_media_lock);
	cr_sip_media_facts(m, chosen, symmetric_rtp, &call->sip_media);
	g_mutex_unlock(&call->sip_media_lock);
}

int cr_call_get_sip_media(cr_call_t *call, cr_sip_media_t *out)
{
	if (!call || !out)
		return CR_ERR_INVALID;
	g_mutex_lock(&call->sip_media_lock);
	*out = call->sip_media;
	g_mutex_unlock(&call->sip_media_lock);
	return CR_OK;
}

int cr_call_get_sip_trace(cr_call_t *call, char *buf, size_t len)
{
	if (!call)
		return 0;
	return cr_sip_trace_copy(call->sip_trace, buf, len);
}

/* The call stays the SIP thread's until the plugin takes it here. */
int cr_call_adopt(cr_relay_t *relay, uint32_t call_id, cr_call_t **out)
{
	cr_call_t *call = NULL;

	if (!relay || !out)
		return CR_ERR_INVALID;
	*out = NULL;
	if (!relay->sip)
		return CR_ERR_NOTFOUND;
	g_mutex_lock(&relay->sip->lock);
	if (!g_hash_table_steal_extended(relay->sip->unadopted, GUINT_TO_POINTER(call_id),
					 NULL, (gpointer *)&call))
		call = NULL;
	g_mutex_unlock(&relay->sip->lock);
	if (!call)
		return CR_ERR_NOTFOUND;
	*out = call;
	return CR_OK;
}
