/**
 * @file nice_log.c  libnice's own account of pair states, nominations and role conflicts, into call traces
 *
 * libnice 0.1.21 has no signal for pair state changes, nominations
 * (USE-CANDIDATE or NOMINATION values) or role conflicts; it only says so in
 * its debug log ("Agent %p : ..."). We enable that log (without the STUN
 * and verbose parts), take it through a GLib log handler, keep the lines
 * about those facts, and file each in the trace of the call whose agent it
 * names. A few lines are also facts others act on (a NOMINATION value, an
 * answered keepalive, a check of ours leaving or answered): those go to
 * the handlers given with the agent (ice.c's, which hand them on to the
 * renomination workaround and ice_patience.c), so this file calls nothing
 * above it (docs/ARCHITECTURE.md, "Layers of the relay"). libnice logs on
 * the thread that runs the agent, i.e. the call's worker, so the agent ->
 * call map is per thread and needs no lock.
 */
#include <stdio.h>

#include "media.h"

typedef struct agent_entry {
	cr_media_call_t *mc;
	const cr_nice_log_handlers_t *h;
} agent_entry_t;

static __thread GHashTable *agents; /* NiceAgent* -> agent_entry_t*, this worker's */
static gsize log_ready;

static const char *const keep[] = {
	"Role conflict",        "nominat",           "NOMINATION",
	"state SUCCEEDED",      "state FAILED",      "state IN_PROGRESS",
	"added a new pair",     "peer-discovered pair", "triggered check",
	"use_candidate",        "restart",
};

static void on_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
	void *agent = NULL;
	agent_entry_t *e;
	cr_media_call_t *mc;
	const char *text;

	(void)domain;
	(void)level;
	(void)data;
	if (!agents || sscanf(msg, "Agent %p", &agent) != 1)
		return;
	e = g_hash_table_lookup(agents, agent);
	if (!e)
		return;
	mc = e->mc;
	/* libnice 0.1.21 (agent/conncheck.c): the answer to one of our
	 * keepalive checks (keepalive-conncheck) on the selected pair. Too
	 * frequent for the trace; it is what tells a live client leg. */
	if (strstr(msg, "Keepalive for selected pair")) {
		e->h->keepalive_answered(mc);
		return;
	}
	/* libnice 0.1.21 (agent/conncheck.c), as its keepalive check leaves:
	 * its answer is libnice's to read (fastpath.c). */
	if (strstr(msg, "Keepalive STUN-CC REQ")) {
		e->h->keepalive_sent(mc);
		return;
	}
	text = strstr(msg, "received NOMINATION attr for remote candidate [");
	if (text) {
		char addr[CR_MAX_ADDR_LEN];
		unsigned port, value;

		/* libnice 0.1.21: "... [%s]:%u, value is %u" (agent/conncheck.c) */
		if (sscanf(text, "received NOMINATION attr for remote candidate [%63[^]]]:%u, value is %u",
			   addr, &port, &value) == 3) {
			cr_trace_add(mc->trace, "nice", "%s", text);
			e->h->nomination(mc, addr, port, value);
			return;
		}
	}
	/* libnice 0.1.21 (agent/conncheck.c): "pair %p state IN_PROGRESS" as a
	 * check of ours leaves, "... state SUCCEEDED" when it was answered. */
	if (strstr(msg, "state IN_PROGRESS"))
		e->h->check_sent(mc);
	else if (strstr(msg, "state SUCCEEDED"))
		e->h->check_answered(mc);
	for (size_t i = 0; i < G_N_ELEMENTS(keep); i++) {
		if (strstr(msg, keep[i])) {
			text = strstr(msg, " : ");
			cr_trace_add(mc->trace, "nice", "%s", text ? text + 3 : msg);
			return;
		}
	}
}

void cr_nice_log_register(cr_media_call_t *mc, const cr_nice_log_handlers_t *h)
{
	agent_entry_t *e = g_new(agent_entry_t, 1);

	if (g_once_init_enter(&log_ready)) {
		g_log_set_handler("libnice", G_LOG_LEVEL_DEBUG, on_log, NULL);
		nice_debug_enable(FALSE);
		g_once_init_leave(&log_ready, 1);
	}
	if (!agents)
		agents = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	e->mc = mc;
	e->h = h;
	g_hash_table_insert(agents, mc->agent, e);
}

void cr_nice_log_unregister(cr_media_call_t *mc)
{
	if (!agents)
		return;
	g_hash_table_remove(agents, mc->agent);
	if (g_hash_table_size(agents) == 0) {
		/* The worker may be about to exit: leave nothing behind. */
		g_hash_table_destroy(agents);
		agents = NULL;
	}
}
