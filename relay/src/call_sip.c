/**
 * @file call_sip.c  The call's side of its SIP leg: taking a call the SIP thread made
 *
 * Layer 4 (docs/ARCHITECTURE.md): the call object meets relay/src/sip/ here.
 */
#include <string.h>

#include "sip/sip.h"

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
