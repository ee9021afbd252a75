/**
 * @file call_sip.c  The call's side of its SIP leg: the public cr_sip_* API, the UA's handlers, adoption
 *
 * Layer 4 (docs/ARCHITECTURE.md): the call object meets relay/src/sip/ here.
 * sip/ knows no call and no relay: it reports up through the handlers this
 * file gives the user agent at start (handler + arg, as libre), with the
 * leg's call id and its owner, a reference on the cr_call_t the leg holds
 * until it gives it back (`release`). The public cr_sip_* commands check
 * the call here and hand the leg's work to sip/ by call id.
 *
 * The relay keeps the SIP leg's RTP facts itself: when the leg learns where
 * the trunk takes RTP (its offer, early media, answer, a re-INVITE) the
 * event handler points the call's RTP leg there (cr_call_set_sip_remote,
 * latching as the media was started with) before the event goes out, so
 * the plugin only logs it and decides policy.
 */
#include <string.h>

#include "relay_internal.h"
#include "sip/sip.h"

/* ---- the handlers sip/ reports through (arg: the relay) ---- */

static void on_event(void *arg, void *owner, uint32_t call_id, int type, int32_t code,
		     int32_t value, const char *text, const cr_sip_media_t *facts)
{
	cr_relay_t *r = arg;
	cr_call_t *call = owner;

	if (call && facts) {
		/* The facts first: the event's reader finds them
		 * (cr_call_get_sip_media), even on a call being closed. */
		g_mutex_lock(&call->sip_media_lock);
		call->sip_media = *facts;
		g_mutex_unlock(&call->sip_media_lock);
	}
	if (call) {
		/* None once the caller closed the call: CR_EVENT_CALL_CLOSED is
		 * the last event it sees about it. */
		if (atomic_load(&call->closing))
			return;
		if (type == CR_EVENT_SIP_ANSWERED)
			cr_media_call_answered(call);
		if (facts && facts->port > 0 && call->media &&
		    cr_call_set_sip_remote(call, facts->address, facts->port, 0) != CR_OK)
			cr_sip_trace_line(&call->trace, '!',
					  "the trunk's RTP address %s:%d is not usable", facts->address,
					  facts->port);
	}
	cr_relay_emit(r, type, call_id, code, value, "%s", text ? text : "");
}

/* A new inbound INVITE: a call the plugin adopts later (cr_call_adopt). */
static void *on_incoming(void *arg, uint32_t *call_id, cr_trace_t **trace)
{
	cr_relay_t *r = arg;
	cr_call_t *call = NULL;

	if (cr_call_create(r, &call, NULL) != CR_OK)
		return NULL;
	g_mutex_lock(&r->unadopted_lock);
	g_hash_table_insert(r->unadopted, GUINT_TO_POINTER(call->id), call);
	g_mutex_unlock(&r->unadopted_lock);
	*call_id = call->id;
	*trace = &call->trace;
	return cr_call_ref(call); /* the leg's */
}

static bool on_closed(void *arg, void *owner)
{
	cr_call_t *call = owner;

	(void)arg;
	return atomic_load(&call->closing);
}

/* Steals call_id's handle from the unadopted table: NULL when taken. */
static cr_call_t *steal_unadopted(cr_relay_t *r, uint32_t call_id)
{
	cr_call_t *call = NULL;

	g_mutex_lock(&r->unadopted_lock);
	if (!g_hash_table_steal_extended(r->unadopted, GUINT_TO_POINTER(call_id), NULL,
					 (gpointer *)&call))
		call = NULL;
	g_mutex_unlock(&r->unadopted_lock);
	return call;
}

static void on_release(void *arg, void *owner, bool inbound)
{
	cr_call_t *call = owner, *orphan;

	if (inbound) {
		/* Nobody adopted this inbound call: it ends with its dialog. */
		orphan = steal_unadopted(arg, call->id);
		if (orphan)
			cr_call_close(orphan, "sip: ended before adoption");
	}
	cr_call_unref(call);
}

static bool on_fd_exhausted(void *arg, int errnum, const char *what)
{
	return cr_fd_exhausted_limited(arg, errnum, what);
}

int cr_call_sip_start(cr_relay_t *r, const cr_sip_config_t *config, char *err_buf)
{
	cr_sip_handlers_t h = {
		.arg = r,
		.event = on_event,
		.incoming = on_incoming,
		.closed = on_closed,
		.release = on_release,
		.fd_exhausted = on_fd_exhausted,
	};
	int err;

	g_mutex_init(&r->unadopted_lock);
	r->unadopted = g_hash_table_new(g_direct_hash, g_direct_equal);
	err = cr_sip_ua_start(&h, config, &r->sip, err_buf);
	if (err) {
		g_hash_table_destroy(r->unadopted);
		r->unadopted = NULL;
		g_mutex_clear(&r->unadopted_lock);
	}
	return err;
}

static void close_unadopted(gpointer key, gpointer value, gpointer data)
{
	(void)key;
	(void)data;
	cr_call_close(value, "sip: relay closed");
}

void cr_call_sip_stop(cr_relay_t *r)
{
	if (!r->unadopted)
		return;
	/* Every leg ends (and gives its call back) before this returns. */
	cr_sip_ua_stop(r->sip);
	r->sip = NULL;
	g_mutex_lock(&r->unadopted_lock);
	g_hash_table_foreach(r->unadopted, close_unadopted, NULL);
	g_hash_table_destroy(r->unadopted);
	r->unadopted = NULL;
	g_mutex_unlock(&r->unadopted_lock);
	g_mutex_clear(&r->unadopted_lock);
}

/* ---- the public API ---- */

int cr_call_get_sip_media(cr_call_t *call, cr_sip_media_t *out)
{
	if (!call || !out)
		return CR_ERR_INVALID;
	g_mutex_lock(&call->sip_media_lock);
	*out = call->sip_media;
	g_mutex_unlock(&call->sip_media_lock);
	return CR_OK;
}

void cr_relay_get_sip_stats(cr_relay_t *relay, cr_sip_stats_t *s)
{
	if (!s)
		return;
	memset(s, 0, sizeof(*s));
	s->trunk_up = -1;
	if (relay && relay->sip)
		cr_sip_ua_get_stats(relay->sip, s);
}

/* The call stays the SIP thread's until the plugin takes it here. */
int cr_call_adopt(cr_relay_t *relay, uint32_t call_id, cr_call_t **out)
{
	cr_call_t *call;

	if (!relay || !out)
		return CR_ERR_INVALID;
	*out = NULL;
	if (!relay->sip || !relay->unadopted)
		return CR_ERR_NOTFOUND;
	call = steal_unadopted(relay, call_id);
	if (!call)
		return CR_ERR_NOTFOUND;
	*out = call;
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

/* The SIP leg's RTP address and port default to the call's own: fills
 * whichever of *address and *port is unset (addr_buf holds the address). */
static void own_rtp_defaults(cr_call_t *call, const char **address, int *port,
			     char addr_buf[CR_MAX_ADDR_LEN])
{
	int own_port;

	if (*address && *port)
		return;
	cr_call_own_sip_rtp(call, addr_buf, CR_MAX_ADDR_LEN, &own_port);
	if (!*address && addr_buf[0])
		*address = addr_buf;
	if (!*port)
		*port = own_port;
}

int cr_sip_dial(cr_call_t *call, const cr_sip_dial_params_t *p, char *err_buf)
{
	int err = check_call(call, err_buf);
	cr_sip_dial_params_t q;
	char addr[CR_MAX_ADDR_LEN];

	if (err)
		return err;
	if (p) {
		q = *p;
		own_rtp_defaults(call, &q.local_rtp_address, &q.local_rtp_port, addr);
		p = &q;
	}
	/* The leg takes this reference over, whatever it returns. */
	return cr_sip_leg_dial(call->relay->sip, call->id, cr_call_ref(call), &call->trace, p,
			       err_buf);
}

int cr_sip_ringing(cr_call_t *call)
{
	int err = check_call(call, NULL);

	return err ? err : cr_sip_leg_ringing(call->relay->sip, call->id);
}

int cr_sip_answer(cr_call_t *call, const cr_sip_answer_params_t *p, char *err_buf)
{
	int err = check_call(call, err_buf);
	cr_sip_answer_params_t q;
	char addr[CR_MAX_ADDR_LEN];

	if (err)
		return err;
	if (p) {
		q = *p;
		own_rtp_defaults(call, &q.local_rtp_address, &q.local_rtp_port, addr);
		p = &q;
	}
	return cr_sip_leg_answer(call->relay->sip, call->id, p, err_buf);
}

int cr_sip_reject(cr_call_t *call, int status)
{
	int err = check_call(call, NULL);

	return err ? err : cr_sip_leg_reject(call->relay->sip, call->id, status);
}

int cr_sip_hold(cr_call_t *call, int on)
{
	int err = check_call(call, NULL);

	return err ? err : cr_sip_leg_hold(call->relay->sip, call->id, on != 0);
}

int cr_sip_hangup(cr_call_t *call)
{
	int err = check_call(call, NULL);

	return err ? err : cr_sip_leg_hangup(call->relay->sip, call->id, 0, NULL);
}

int cr_sip_hangup_reason(cr_call_t *call, int q850_cause, const char *text)
{
	int err = check_call(call, NULL);

	if (err)
		return err;
	if (q850_cause < 1)
		return CR_ERR_INVALID;
	return cr_sip_leg_hangup(call->relay->sip, call->id, q850_cause, text);
}
