/**
 * @file liveness.c  A call's media liveness: the 1 s tick and the media timeouts both ways
 *
 * Worker only. Every second (the worker's ticker, relay/src/ticker.h,
 * one timer for all its calls): the trunk's side (while the signaling
 * watches it, cr_call_watch_sip_media(): no accepted RTP from the trunk
 * for sip_media_timeout_ms), ICE patience's own clock
 * (cr_ice_patience_tick) and, once SRTP keys exist, the client's side (no
 * authenticated media for media_timeout_ms). Each timeout is one
 * CR_EVENT_MEDIA_TIMEOUT until media comes back (forward.c and rtp_leg.c
 * note the packets and clear the flags); the relay does not end the call
 * itself.
 *
 * Layer 3, below the packet loop (docs/ARCHITECTURE.md, "Layers of the
 * relay"): session.c starts and stops it; it reports through
 * cr_media_emit().
 */
#include "media.h"

/* The trunk's half of the liveness check: it has nothing to do with the
 * client's keys, a trunk that froze after answering is silent either way. */
static void check_sip_media(cr_media_call_t *mc, int64_t now)
{
	int secs;

	if (!mc->sip_watch || mc->sip_timeout_reported ||
	    now - mc->last_sip_media_us <= (int64_t)mc->mr->sip_media_timeout_ms * 1000)
		return;
	secs = (int)((now - mc->last_sip_media_us) / 1000000);
	mc->sip_timeout_reported = true;
	cr_trace_add(mc->trace, "media", "timeout: no RTP from the trunk for %d s", secs);
	cr_media_emit(mc, CR_EVENT_MEDIA_TIMEOUT, CR_DIR_SIP_TO_CLIENT, secs,
		      "no media from the phone for %d s", secs);
}

void cr_liveness_sip_watch(cr_media_call_t *mc, bool on)
{
	if (on == mc->sip_watch)
		return;
	mc->sip_watch = on;
	/* A watch counts from its start: a hold may have lasted longer than
	 * the timeout, and that silence was expected. */
	mc->last_sip_media_us = g_get_monotonic_time();
	mc->sip_timeout_reported = false;
	if (on)
		cr_trace_add(mc->trace, "media", "watching the trunk's RTP (timeout %d s)",
			     mc->mr->sip_media_timeout_ms / 1000);
	else
		cr_trace_add(mc->trace, "media", "not watching the trunk's RTP (held or not answered)");
}

static void on_tick(void *p, int64_t now)
{
	cr_media_call_t *mc = p;

	check_sip_media(mc, now);
	cr_ice_patience_tick(mc, now);
	if (!mc->keys_ready)
		return;
	if (!mc->timeout_reported &&
	    now - mc->last_client_media_us > (int64_t)mc->mr->media_timeout_ms * 1000) {
		int secs = (int)((now - mc->last_client_media_us) / 1000000);
		int ice_secs = cr_ice_patience_silent_s(mc, now);
		char ice[64] = "";

		/* ICE silent as long: say so, it tells a vanished client from
		 * one that only stopped sending (ice_patience.c). */
		if (ice_secs >= mc->mr->media_timeout_ms / 1000)
			g_snprintf(ice, sizeof(ice), ", and no answered ICE check for %d s", ice_secs);
		mc->timeout_reported = true;
		cr_trace_add(mc->trace, "media", "timeout: nothing from the client for %d s%s", secs,
			     ice);
		cr_media_emit(mc, CR_EVENT_MEDIA_TIMEOUT, 0, secs, "no media from the client for %d s%s",
			      secs, ice);
	}
}

/* One timer for the worker's calls, not one each (relay/src/ticker.h).
 * The call's first tick comes within a second of its start, not exactly
 * a second after; every timeout counts from its own timestamp, so each
 * still fires between its length and one second later, as before. */
void cr_liveness_start(cr_media_call_t *mc)
{
	cr_ticker_join(mc->env.ticker, &mc->tick, on_tick, mc);
}

void cr_liveness_stop(cr_media_call_t *mc)
{
	cr_ticker_leave(&mc->tick);
}
