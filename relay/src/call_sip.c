/**
 * @file call_sip.c  The call's side of its SIP leg: taking a call the SIP thread made
 *
 * Layer 4 (docs/ARCHITECTURE.md): the call object meets relay/src/sip/ here.
 */
#include "sip/sip.h"

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
