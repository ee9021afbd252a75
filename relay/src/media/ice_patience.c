/**
 * @file ice_patience.c  Client leg ICE that keeps checking, with back-off, and fails once, late and clearly
 *
 * libnice 0.1.21 on its own gives up in seconds: a check is sent three
 * times (RTO 500 ms, doubled), the pair fails 2 s in and the component 5 s
 * later (idle-timeout), and nothing is checked again unless the client
 * checks first. A client that answers late (ringing) or a link that drops
 * checks for a few seconds mid-call must not end like that (issue 16).
 *
 * - While ICE does not work, a component-1 FAILED from libnice is kept from
 *   the signaling (no CR_EVENT_ICE_STATE, the stats keep the last state)
 *   and the client's candidates are checked again (recheck()) after
 *   1, 2, 4, then every 5 s (the tick is 1 s), each round being
 *   libnice's own: three sends over 2 s, then CR_ICE_IDLE_TIMEOUT_MS (2 s,
 *   libnice's default is 5) before it says FAILED again. So the client
 *   gets a check at least every ~10 s, however long it rings.
 * - Once working, keepalives are checks every 4-6 s (keepalive-conncheck,
 *   ice.c); their answers, a connected state and authenticated media from
 *   the client are the signs of life.
 * - The failure clock starts at the answer (the SIP leg answered, either
 *   way: the client has both descriptions) or when ICE first works,
 *   whichever is first. Past the relay's media timeout (media_timeout_ms,
 *   30 s by default, what browsers allow for consent) without a sign of life
 *   after that, ICE has failed: CR_EVENT_ICE_STATE failed and
 *   CR_EVENT_ICE_FAILED (once, with the seconds), and checks stop. Once
 *   SRTP keys exist the media timeout reports the same moment instead (its
 *   text adds how long ICE was silent). Before the answer there is no
 *   limit: ringing is bounded by the signaling.
 *
 * Layering (docs/ARCHITECTURE.md, "Layers of the relay"): below the packet
 * loop. ice.c tells it libnice's states and the facts of libnice's log
 * (through nice_log.c's handlers), session.c the answer, liveness.c the tick; it
 * reports through cr_media_emit() and calls nothing in ice.c.
 */
#include "media.h"

/*
 * COMPAT libnice 0.1.21 has no call to check failed pairs again: a failed
 * pair comes back only with a check from the client (a triggered check),
 * and only while no pair is selected. Restarting the stream and giving it
 * back the same credentials (ours and the client's) and the client's
 * candidates makes fresh pairs; to the client this is just more checks of
 * the same session. Our local candidates survive a restart. It lives here,
 * beside the back-off that is its only user, so this file calls nothing in
 * ice.c (docs/ARCHITECTURE.md, "Layers of the relay").
 */
static void recheck(cr_media_call_t *mc)
{
	GSList *remote[3] = { NULL, NULL, NULL };
	cr_media_local_t local;
	guint comp;
	int added = 0;

	if (!mc->agent || !mc->params.remote_ufrag[0])
		return;
	for (comp = 1; comp <= mc->n_components; comp++)
		remote[comp] = nice_agent_get_remote_candidates(mc->agent, mc->stream_id, comp);
	g_mutex_lock(&mc->local_lock);
	local = mc->local;
	g_mutex_unlock(&mc->local_lock);
	mc->ice_rechecking = true;
	nice_agent_restart_stream(mc->agent, mc->stream_id);
	mc->ice_rechecking = false;
	nice_agent_set_local_credentials(mc->agent, mc->stream_id, local.ice_ufrag, local.ice_pwd);
	nice_agent_set_remote_credentials(mc->agent, mc->stream_id, mc->params.remote_ufrag,
					  mc->params.remote_pwd);
	for (comp = 1; comp <= mc->n_components; comp++) {
		if (remote[comp]) {
			int n = nice_agent_set_remote_candidates(mc->agent, mc->stream_id, comp,
								 remote[comp]);

			added += n > 0 ? n : 0;
		}
		g_slist_free_full(remote[comp], (GDestroyNotify)nice_candidate_free);
	}
	if (mc->remote_eoc)
		nice_agent_peer_candidate_gathering_done(mc->agent, mc->stream_id);
	cr_trace_add(mc->trace, "ice", "checking %d remote candidate(s) again", added);
}

/* Pause before the next round of checks, by rounds already made. */
static int64_t recheck_delay_us(int rounds)
{
	static const int delay_s[] = { 1, 2, 4, 5 };
	int i = rounds < (int)G_N_ELEMENTS(delay_s) ? rounds : (int)G_N_ELEMENTS(delay_s) - 1;

	return (int64_t)delay_s[i] * G_USEC_PER_SEC;
}

bool cr_ice_patience_on_state(cr_media_call_t *mc, guint state)
{
	int64_t now = g_get_monotonic_time();
	int64_t delay;

	if (state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) {
		if (!mc->ice_working && mc->ice_rechecks)
			cr_trace_add(mc->trace, "ice", "working again after %d round(s) of re-checks",
				     mc->ice_rechecks);
		mc->ice_working = true;
		mc->ice_alive_us = now;
		mc->ice_rechecks = 0;
		mc->ice_recheck_us = 0;
		if (!mc->ice_answered_us)
			mc->ice_answered_us = now;
		return true;
	}
	mc->ice_working = false;
	if (state != NICE_COMPONENT_STATE_FAILED || mc->ice_failed_reported)
		return true;
	delay = recheck_delay_us(mc->ice_rechecks);
	mc->ice_recheck_us = now + delay;
	cr_trace_add(mc->trace, "ice", "comp 1 checks failed for now: checking again in %d s",
		     (int)(delay / G_USEC_PER_SEC));
	return false;
}

/* Keepalive checks go every 4-6 s: a longer gap between answers means
 * they were lost for a while, worth a trace line when they come back. */
#define ALIVE_GAP_US (7 * G_USEC_PER_SEC)

void cr_ice_patience_alive(cr_media_call_t *mc)
{
	int64_t now = g_get_monotonic_time();

	if (mc->ice_working && mc->ice_alive_us && now - mc->ice_alive_us > ALIVE_GAP_US)
		cr_trace_add(mc->trace, "ice", "keepalive check answered again after %d s",
			     (int)((now - mc->ice_alive_us) / G_USEC_PER_SEC));
	mc->ice_alive_us = now;
}

/* Checks running this long before the answer, none answered: the client
 * did not listen while it rang (nICEr holds such checks, and a client may
 * start its agent only with the answer). */
#define QUIET_CLIENT_US (100 * 1000)

void cr_ice_patience_answered(cr_media_call_t *mc)
{
	int64_t now = g_get_monotonic_time();

	if (mc->ice_answered_us)
		return;
	mc->ice_answered_us = now;
	cr_trace_add(mc->trace, "ice", "answered: ICE fails after %d s without a sign of life",
		     mc->mr->media_timeout_ms / 1000);
	/* Our check to such a client is still waiting for its next
	 * retransmission (or the next round), and the client's first check
	 * triggers one of ours that libnice sends only on its next tick, up
	 * to Ta (20 ms) later, at a phase set when checks began. Checking
	 * afresh now puts our first check one Ta after the answer, as a
	 * gateway that starts ICE with its answer does: the client, which
	 * got its answer meanwhile, answers it, and its own first check finds
	 * the pair valid (docs/PERFORMANCE.md). */
	if (mc->agent && !mc->ice_working && !mc->ice_pair_answered && !mc->ice_failed_reported &&
	    mc->ice_checking_us && now - mc->ice_checking_us >= QUIET_CLIENT_US) {
		cr_trace_add(mc->trace, "ice", "no check answered while ringing: checking again now");
		mc->ice_recheck_us = 0;
		recheck(mc);
	}
}

void cr_ice_patience_check_sent(cr_media_call_t *mc)
{
	if (!mc->ice_checking_us)
		mc->ice_checking_us = g_get_monotonic_time();
}

void cr_ice_patience_check_answered(cr_media_call_t *mc)
{
	mc->ice_pair_answered = true;
}

static void report_failure(cr_media_call_t *mc, int64_t now, int64_t since)
{
	int secs = (int)((now - since) / G_USEC_PER_SEC);
	const char *name = nice_component_state_to_string(NICE_COMPONENT_STATE_FAILED);

	mc->ice_failed_reported = true;
	mc->ice_recheck_us = 0;
	cr_trace_add(mc->trace, "ice", "failed: no answered check or media from the client for %d s",
		     secs);
	atomic_store(&mc->counters.ice_state, (int)NICE_COMPONENT_STATE_FAILED);
	cr_media_emit(mc, CR_EVENT_ICE_STATE, NICE_COMPONENT_STATE_FAILED, 1, "%s", name);
	cr_media_emit(mc, CR_EVENT_ICE_FAILED, 0, secs,
		      "ICE failed: no answered check or media from the client for %d s", secs);
}

int cr_ice_patience_silent_s(const cr_media_call_t *mc, int64_t now)
{
	if (!mc->ice_answered_us)
		return 0;
	return (int)((now - MAX(mc->ice_answered_us, mc->ice_alive_us)) / G_USEC_PER_SEC);
}

void cr_ice_patience_tick(cr_media_call_t *mc, int64_t now)
{
	int64_t since;

	if (!mc->agent || mc->ice_failed_reported)
		return;
	if (mc->ice_recheck_us && now >= mc->ice_recheck_us) {
		mc->ice_recheck_us = 0;
		mc->ice_rechecks++;
		cr_trace_add(mc->trace, "ice", "re-check round %d", mc->ice_rechecks);
		recheck(mc);
	}
	/* With SRTP keys the media timeout (liveness.c) ends a silent call at
	 * the same moment, saying for how long ICE was silent too: one
	 * report, the one callers have always had. */
	if (!mc->ice_answered_us || mc->keys_ready)
		return;
	since = MAX(mc->ice_answered_us, mc->ice_alive_us);
	if (now - since >= (int64_t)mc->mr->media_timeout_ms * 1000)
		report_failure(mc, now, since);
}
