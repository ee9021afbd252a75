/**
 * @file ice.c  Client leg ICE: one libnice agent per call on the call's worker
 *
 * Full ICE (RFC 8445 behaviour of libnice 0.1.21 in RFC 5245 mode), trickle
 * both ways into the same agent, role per call, renomination (0xC001)
 * accepted but never advertised (libnice's support-renomination only changes
 * how it reads incoming checks), rtcp-mux or a second component.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "media.h"

static const char ice_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void cr_ice_random_string(char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = ice_chars[g_random_int_range(0, 64)];
	buf[len] = '\0';
}

static const char *cand_type(NiceCandidateType t)
{
	switch (t) {
	case NICE_CANDIDATE_TYPE_HOST:
		return "host";
	case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
		return "srflx";
	case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
		return "prflx";
	case NICE_CANDIDATE_TYPE_RELAYED:
		return "relay";
	default:
		return "?";
	}
}

static void format_cand(const NiceCandidate *c, char *buf, size_t len)
{
	char ip[NICE_ADDRESS_STRING_LEN];

	nice_address_to_string(&c->addr, ip);
	g_snprintf(buf, len, strchr(ip, ':') ? "%s [%s]:%u" : "%s %s:%u", cand_type(c->type), ip,
		   nice_address_get_port(&c->addr));
}

static void on_new_candidate(NiceAgent *agent, NiceCandidate *c, gpointer p)
{
	cr_media_call_t *mc = p;
	gchar *sdp = nice_agent_generate_local_candidate_sdp(agent, c);
	const char *text = sdp && g_str_has_prefix(sdp, "a=") ? sdp + 2 : sdp;

	if (!text)
		return;
	cr_trace_add(mc->trace, "ice", "local candidate comp %u %s", c->component_id, text);
	cr_media_emit(mc, CR_EVENT_LOCAL_CANDIDATE, 0, (int32_t)c->component_id, "%s", text);
	g_free(sdp);
}

static void on_gathering_done(NiceAgent *agent, guint stream_id, gpointer p)
{
	cr_media_call_t *mc = p;

	(void)agent;
	(void)stream_id;
	cr_trace_add(mc->trace, "ice", "gathering done");
	cr_media_emit(mc, CR_EVENT_GATHERING_DONE, 0, 0, NULL);
}

static void on_state(NiceAgent *agent, guint stream_id, guint comp, guint state, gpointer p)
{
	cr_media_call_t *mc = p;
	const char *name = nice_component_state_to_string(state);

	(void)agent;
	(void)stream_id;
	if (comp == 1 && state != NICE_COMPONENT_STATE_CONNECTED &&
	    state != NICE_COMPONENT_STATE_READY)
		cr_fastpath_leave(mc, "ICE state changed", true);
	if (mc->ice_rechecking)
		return; /* our own re-check resets the state: not news */
	if (comp == 1 && !cr_ice_patience_on_state(mc, state))
		return; /* failed for now; ice_patience.c checks again */
	cr_trace_add(mc->trace, "ice", "comp %u state %s", comp, name);
	cr_media_emit(mc, CR_EVENT_ICE_STATE, (int32_t)state, (int32_t)comp, "%s", name);
	if (comp == 1)
		atomic_store(&mc->counters.ice_state, (int)state);
	if (comp == 1 && (state == NICE_COMPONENT_STATE_CONNECTED ||
			  state == NICE_COMPONENT_STATE_READY) && !mc->ice_connected) {
		mc->ice_connected = true;
		/* Our ClientHello goes out once a pair works (RFC 5763 5); after
		 * an ICE restart the DTLS association simply goes on. */
		if (mc->params.dtls_role == CR_DTLS_ACTIVE && !mc->dtls.started) {
			cr_trace_add(mc->trace, "dtls", "handshake start as client");
			cr_dtls_start(&mc->dtls);
			cr_forward_dtls_rearm(mc);
		}
	}
	if (comp == 1 && (state == NICE_COMPONENT_STATE_CONNECTED ||
			  state == NICE_COMPONENT_STATE_READY))
		cr_fastpath_try_enter(mc);
}

static bool nomination_disagrees(cr_media_call_t *mc, const NiceCandidate *r);
static void schedule_nomination(cr_media_call_t *mc);

static void on_selected_pair(NiceAgent *agent, guint stream_id, guint comp, NiceCandidate *l,
			     NiceCandidate *r, gpointer p)
{
	cr_media_call_t *mc = p;
	char lb[80], rb[80], name[CR_MAX_PAIR_LEN];
	int idx = -1;

	(void)agent;
	(void)stream_id;
	format_cand(l, lb, sizeof(lb));
	format_cand(r, rb, sizeof(rb));
	g_snprintf(name, sizeof(name), "local=%s remote=%s", lb, rb);
	cr_trace_add(mc->trace, "ice", "comp %u selected pair %s (priority %u/%u)", comp, name,
		     l->priority, r->priority);
	if (comp == 1)
		cr_fastpath_pair_selected(mc, r);
	if (nomination_disagrees(mc, r)) {
		/* libnice ranks by priority: a stale (lower) NOMINATION on a
		 * higher-priority pair makes it select that pair again. The
		 * highest value wins (docs/INTEROP.md#5): put it back, and tell the
		 * signaling nothing about the blip. */
		cr_trace_add(mc->trace, "ice", "not the highest nomination (%u): back to [%s]:%u",
			     mc->nomination_max, mc->nomination_addr, mc->nomination_port);
		schedule_nomination(mc);
		mc->nomination_blip = true;
		return;
	}
	if (mc->nomination_blip && comp == 1 && !strcmp(name, mc->selected_pair)) {
		mc->nomination_blip = false;
		cr_fastpath_try_enter(mc);
		return; /* the pair put back after such a blip: not news */
	}
	mc->nomination_blip = false;
	cr_media_emit(mc, CR_EVENT_SELECTED_PAIR, 0, (int32_t)comp, "%s", name);
	if (comp != 1)
		return;
	g_mutex_lock(&mc->pair_lock);
	g_strlcpy(mc->selected_pair, name, sizeof(mc->selected_pair));
	for (int i = 0; i < mc->n_pairs; i++)
		if (!strcmp(mc->pairs[i].name, name))
			idx = i;
	if (idx < 0) {
		/* Keep the most recent pairs; the oldest slot is reused. */
		idx = mc->n_pairs < CR_MAX_PAIRS_KEPT ? mc->n_pairs++ : 0;
		memset(&mc->pairs[idx], 0, sizeof(mc->pairs[idx]));
		g_strlcpy(mc->pairs[idx].name, name, sizeof(mc->pairs[idx].name));
	}
	mc->cur_pair = idx;
	g_mutex_unlock(&mc->pair_lock);
	cr_fastpath_try_enter(mc);
	cr_forward_flush_dtls(mc);
}

void cr_ice_on_recv(NiceAgent *agent, guint stream_id, guint comp, guint len, gchar *buf,
		    gpointer p)
{
	(void)agent;
	(void)stream_id;
	cr_forward_from_client(p, comp, (uint8_t *)buf, len);
}

static void add_local_address(cr_media_call_t *mc, const char *ip)
{
	NiceAddress addr;

	if (!nice_address_set_from_string(&addr, ip) ||
	    !nice_agent_add_local_address(mc->agent, &addr))
		cr_trace_add(mc->trace, "ice", "cannot use local address %s", ip);
}

/* The facts of libnice's log (nice_log.c) for the renomination workaround
 * and ice_patience.c. */
static void on_keepalive_answered(cr_media_call_t *mc)
{
	cr_ice_patience_alive(mc);
	cr_fastpath_check_answered(mc);
}

static void on_check_sent(cr_media_call_t *mc)
{
	cr_ice_patience_check_sent(mc);
	cr_fastpath_check_sent(mc);
}

static void on_check_answered(cr_media_call_t *mc)
{
	cr_ice_patience_check_answered(mc);
	cr_fastpath_check_answered(mc);
}

/* ...and for fastpath.c, whose libnice checks' answers are libnice's. */
static const cr_nice_log_handlers_t log_handlers = {
	.nomination = cr_ice_on_nomination,
	.keepalive_sent = cr_fastpath_check_sent,
	.keepalive_answered = on_keepalive_answered,
	.check_sent = on_check_sent,
	.check_answered = on_check_answered,
};

int cr_ice_start(cr_media_call_t *mc)
{
	cr_media_relay_t *mr = mc->mr;
	cr_media_local_t local;
	NiceAgentOption opts = NICE_AGENT_OPTION_ICE_TRICKLE | NICE_AGENT_OPTION_SUPPORT_RENOMINATION;

	/* Its timers (checks, keepalives, consent) on the worker's timer
	 * context, walked only when one is due; its sockets' sources stay on
	 * the worker's own context (nice_agent_attach_recv below). */
	mc->agent = nice_agent_new_full(mc->env.timer_context ? mc->env.timer_context : mc->context,
					NICE_COMPATIBILITY_RFC5245, opts);
	if (!mc->agent)
		return CR_ERR_INTERNAL;
	cr_nice_log_register(mc, &log_handlers);
	/* keepalive-conncheck: our keepalives on the selected pair are
	 * Binding requests (every 4-6 s) instead of indications (every 25 s),
	 * so a client that gave its pair up during an outage (Firefox revives
	 * a failed pair only when a check arrives) hears from us again, and
	 * their answers tell ice_patience.c the leg is alive. Without
	 * consent-freshness libnice fails the pair only 50 s after the last
	 * answer, after our own failure timeout. */
	g_object_set(mc->agent, "controlling-mode", mc->params.ice_controlling ? TRUE : FALSE,
		     "ice-tcp", FALSE, "ice-udp", TRUE, "upnp", FALSE, "keepalive-conncheck", TRUE,
		     NULL);
	/* libnice waits idle-timeout (5 s) after its last check before it
	 * says FAILED; ice_patience.c checks again after that, so a shorter
	 * wait makes the rounds closer. */
	g_object_set(mc->agent, "idle-timeout", (guint)CR_ICE_IDLE_TIMEOUT_MS, NULL);
	if (mr->stun_server)
		g_object_set(mc->agent, "stun-server", mr->stun_server, "stun-server-port",
			     (guint)mr->stun_port, NULL);
	if (mr->ice_addresses)
		for (char **a = mr->ice_addresses; *a; a++)
			add_local_address(mc, *a);
	mc->n_components = mc->params.rtcp_mux ? 1 : 2;
	mc->stream_id = nice_agent_add_stream(mc->agent, mc->n_components);
	if (!mc->stream_id)
		return CR_ERR_INTERNAL;
	nice_agent_set_stream_name(mc->agent, mc->stream_id, "audio");
	g_mutex_lock(&mc->local_lock);
	local = mc->local;
	g_mutex_unlock(&mc->local_lock);
	nice_agent_set_local_credentials(mc->agent, mc->stream_id, local.ice_ufrag, local.ice_pwd);
	for (guint c = 1; c <= mc->n_components; c++) {
		if (mr->ice_port_min || mr->ice_port_max)
			nice_agent_set_port_range(mc->agent, mc->stream_id, c, (guint)mr->ice_port_min,
						  (guint)mr->ice_port_max);
		if (mr->turn_server)
			nice_agent_set_relay_info(mc->agent, mc->stream_id, c, mr->turn_server,
						  (guint)mr->turn_port, mr->turn_username,
						  mr->turn_password, NICE_RELAY_TYPE_TURN_UDP);
		nice_agent_attach_recv(mc->agent, mc->stream_id, c, mc->context, cr_ice_on_recv, mc);
	}
	g_signal_connect(mc->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), mc);
	g_signal_connect(mc->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), mc);
	g_signal_connect(mc->agent, "component-state-changed", G_CALLBACK(on_state), mc);
	g_signal_connect(mc->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), mc);
	cr_trace_add(mc->trace, "ice", "start role=%s components=%u ufrag=%s",
		     mc->params.ice_controlling ? "controlling" : "controlled", mc->n_components,
		     local.ice_ufrag);
	if (mc->params.remote_ufrag[0] && mc->params.remote_pwd[0])
		cr_ice_set_remote_credentials(mc, mc->params.remote_ufrag, mc->params.remote_pwd);
	if (!nice_agent_gather_candidates(mc->agent, mc->stream_id)) {
		/* libnice says nothing of why: a probe tells descriptor exhaustion apart. */
		int probe = eventfd(0, EFD_CLOEXEC), saved = errno;

		if (probe >= 0)
			close(probe);
		else if (cr_media_fd_exhausted(&mc->env, saved, "gathering ICE candidates")) {
			cr_trace_add(mc->trace, "ice", "gathering failed: out of file descriptors");
			return CR_ERR_INTERNAL;
		}
		cr_trace_add(mc->trace, "ice", "gathering failed (no usable address or port)");
		return CR_ERR_PORTS;
	}
	return CR_OK;
}

/* The remote candidate of component comp at addr:port, a copy, or NULL. */
static NiceCandidate *find_remote(cr_media_call_t *mc, guint comp, const char *addr, guint port)
{
	GSList *list = nice_agent_get_remote_candidates(mc->agent, mc->stream_id, comp);
	NiceCandidate *found = NULL;
	NiceAddress want;

	if (nice_address_set_from_string(&want, addr)) {
		nice_address_set_port(&want, port);
		for (GSList *l = list; l && !found; l = l->next)
			if (nice_address_equal(&((NiceCandidate *)l->data)->addr, &want))
				found = nice_candidate_copy(l->data);
	}
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
	return found;
}

static gboolean apply_nomination(gpointer p)
{
	cr_media_call_t *mc = p;
	NiceCandidate *l = NULL, *r = NULL, *target = NULL;
	char lfound[NICE_CANDIDATE_MAX_FOUNDATION];
	guint comp;

	g_source_unref(mc->nomination_source);
	mc->nomination_source = NULL;
	for (comp = 1; comp <= mc->n_components && !target; comp++)
		target = find_remote(mc, comp, mc->nomination_addr, mc->nomination_port);
	comp--;
	/* Nothing selected yet: libnice's own nomination handling selects. */
	if (!target || !nice_agent_get_selected_pair(mc->agent, mc->stream_id, comp, &l, &r))
		goto out;
	if (nice_address_equal(&r->addr, &target->addr))
		goto out; /* libnice followed it itself */
	g_strlcpy(lfound, l->foundation, sizeof(lfound));
	cr_trace_add(mc->trace, "ice", "renomination %u: comp %u moves to remote [%s]:%u",
		     mc->nomination_max, comp, mc->nomination_addr, mc->nomination_port);
	if (!nice_agent_set_selected_pair(mc->agent, mc->stream_id, comp, lfound,
					  target->foundation))
		cr_trace_add(mc->trace, "ice", "renomination %u: libnice refused the pair",
			     mc->nomination_max);
out:
	if (target)
		nice_candidate_free(target);
	return G_SOURCE_REMOVE;
}

/*
 * COMPAT libnice 0.1.21 (still so upstream): a NOMINATION raises the new
 * pair above the selected one only when BOTH its local and its remote
 * candidate differ from the selected pair's (conn_check_handle_renomination),
 * and it ignores the value. A client that moves to another address of its
 * own (same relay candidate: the usual Wi-Fi -> mobile move) is marked
 * nominated and never selected, so media keeps going to the old address.
 * docs/INTEROP.md#5 says the highest value wins: when a value higher than any
 * before names a remote candidate other than the selected one, select it
 * with the selected pair's local candidate (nice_agent_set_selected_pair,
 * from an idle source: we are inside libnice here). The pair may not have
 * passed our own check yet; the request that named it carried the
 * client's MESSAGE-INTEGRITY, and libwebrtc nominates only pairs its own
 * checks found working (our answers reached it there). That call ends
 * libnice's checks for the stream, so from then on every renomination goes
 * through here; an ICE restart starts libnice afresh.
 */
static void schedule_nomination(cr_media_call_t *mc)
{
	if (mc->nomination_source)
		return;
	mc->nomination_source = g_idle_source_new();
	g_source_set_callback(mc->nomination_source, apply_nomination, mc, NULL);
	g_source_attach(mc->nomination_source, mc->context);
}

/* A selected remote candidate other than the one the highest NOMINATION
 * named, in the same component (without rtcp-mux each has its own). */
static bool nomination_disagrees(cr_media_call_t *mc, const NiceCandidate *r)
{
	NiceCandidate *target;
	bool differs;

	if (!mc->nomination_max)
		return false;
	target = find_remote(mc, r->component_id, mc->nomination_addr, mc->nomination_port);
	differs = target && !nice_address_equal(&r->addr, &target->addr);
	if (target)
		nice_candidate_free(target);
	return differs;
}

void cr_ice_on_nomination(cr_media_call_t *mc, const char *addr, guint port, uint32_t value)
{
	if (value <= mc->nomination_max) {
		/* Once per value: a client repeats its checks every second or so. */
		if (value < mc->nomination_max && value != mc->nomination_stale)
			cr_trace_add(mc->trace, "ice", "stale nomination %u (have %u) ignored", value,
				     mc->nomination_max);
		mc->nomination_stale = value;
		return;
	}
	mc->nomination_max = value;
	g_strlcpy(mc->nomination_addr, addr, sizeof(mc->nomination_addr));
	mc->nomination_port = port;
	schedule_nomination(mc);
}

void cr_ice_stop(cr_media_call_t *mc)
{
	if (mc->nomination_source) {
		g_source_destroy(mc->nomination_source);
		g_source_unref(mc->nomination_source);
		mc->nomination_source = NULL;
	}
	cr_fastpath_stop(mc);
	if (!mc->agent)
		return;
	for (guint c = 1; c <= mc->n_components; c++)
		nice_agent_attach_recv(mc->agent, mc->stream_id, c, mc->context, NULL, NULL);
	g_signal_handlers_disconnect_by_data(mc->agent, mc);
	cr_nice_log_unregister(mc);
	nice_agent_remove_stream(mc->agent, mc->stream_id);
	g_object_unref(mc->agent);
	mc->agent = NULL;
}

/* Addresses no ICE check may go to: checks sent there would reach every
 * host of a network (broadcast, multicast) or none (unspecified). */
static const char *unusable_address(const char *addr)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, addr, a) == 1) {
		if (a[0] == 0)
			return "unspecified address";
		if (a[0] >= 224 && a[0] <= 239)
			return "multicast address";
		if (a[0] >= 240) /* 240/4 is reserved; 255.255.255.255 is broadcast */
			return "broadcast or reserved address";
		return NULL;
	}
	if (inet_pton(AF_INET6, addr, a) == 1) {
		static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
		static const unsigned char zero[16];

		if (memcmp(a, zero, sizeof(zero)) == 0)
			return "unspecified address";
		if (a[0] == 0xff)
			return "multicast address";
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			char v4[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, a + 12, v4, sizeof(v4));
			return unusable_address(v4);
		}
		return NULL;
	}
	return NULL; /* not an IP: libnice's parser refuses it */
}

/* docs/INTEROP.md#8: candidates some agents choke on never reach libnice. */
static const char *reject_reason(char **f, int n)
{
	guint64 port;
	char *end;

	/* foundation comp transport priority addr port typ type ... */
	if (n < 8)
		return "too few fields";
	/* libnice would cut it short silently, pairing it with others. */
	if (strlen(f[0]) >= CR_MAX_FOUNDATION_LEN)
		return "foundation longer than 32 characters";
	if (g_ascii_strtoull(f[3], NULL, 10) == 0)
		return "priority 0";
	if (g_str_has_suffix(f[4], ".local"))
		return "mDNS address";
	if (g_ascii_strcasecmp(f[2], "udp") != 0)
		return "not UDP";
	port = g_ascii_strtoull(f[5], &end, 10);
	if (*end || end == f[5] || port == 0 || port > 65535)
		return "port 0 or out of range";
	return unusable_address(f[4]);
}

void cr_ice_add_candidate(cr_media_call_t *mc, const char *text)
{
	const char *body = strstr(text, "candidate:");
	gchar *sdp, **f;
	const char *why;
	NiceCandidate *cand;
	GSList *list;
	int n, added;
	guint comp;

	body = body + strlen("candidate:");
	f = g_strsplit_set(body, " \t\r\n", -1);
	n = (int)g_strv_length(f);
	why = reject_reason(f, n);
	comp = n > 1 ? (guint)g_ascii_strtoull(f[1], NULL, 10) : 0;
	g_strfreev(f);
	if (!why && mc->remote_candidates >= CR_MAX_REMOTE_CANDIDATES)
		why = "over the limit of remote candidates per ICE session";
	if (why) {
		atomic_fetch_add_explicit(&mc->counters.candidates_dropped, 1,
					  memory_order_relaxed);
		cr_trace_add(mc->trace, "ice", "remote candidate dropped (%s): %s", why, body);
		return;
	}
	if (comp < 1 || comp > 2) {
		cr_trace_add(mc->trace, "ice", "remote candidate dropped (component %u): %s", comp,
			     body);
		return;
	}
	if (comp > mc->n_components) {
		/* docs/INTEROP.md#4: Firefox trickles RTCP candidates though it accepts
		 * rtcp-mux; they must not touch the muxed session. */
		cr_trace_add(mc->trace, "ice", "remote candidate ignored (rtcp-mux, comp 2): %s",
			     body);
		return;
	}
	sdp = g_strdup_printf("a=candidate:%s", body);
	g_strchomp(sdp);
	cand = nice_agent_parse_remote_candidate_sdp(mc->agent, mc->stream_id, sdp);
	g_free(sdp);
	if (!cand) {
		cr_trace_add(mc->trace, "ice", "remote candidate unparsable: %s", body);
		cr_media_emit(mc, CR_EVENT_MEDIA_ERROR, CR_ERR_INVALID, 0,
			      "unparsable remote candidate");
		return;
	}
	list = g_slist_append(NULL, cand);
	added = nice_agent_set_remote_candidates(mc->agent, mc->stream_id, cand->component_id, list);
	mc->remote_candidates++;
	cr_trace_add(mc->trace, "ice", "remote candidate comp %u %s%s", cand->component_id, body,
		     added == 1 ? "" : " (not added)");
	g_slist_free(list);
	nice_candidate_free(cand);
}

void cr_ice_end_of_candidates(cr_media_call_t *mc)
{
	cr_trace_add(mc->trace, "ice", "remote end-of-candidates");
	mc->remote_eoc = true;
	nice_agent_peer_candidate_gathering_done(mc->agent, mc->stream_id);
}

void cr_ice_set_remote_credentials(cr_media_call_t *mc, const char *ufrag, const char *pwd)
{
	cr_trace_add(mc->trace, "ice", "remote credentials ufrag=%s", ufrag);
	/* New credentials are the client's ICE restart: a new candidate budget. */
	if (strcmp(ufrag, mc->params.remote_ufrag) != 0)
		mc->remote_candidates = 0;
	g_strlcpy(mc->params.remote_ufrag, ufrag, sizeof(mc->params.remote_ufrag));
	g_strlcpy(mc->params.remote_pwd, pwd, sizeof(mc->params.remote_pwd));
	nice_agent_set_remote_credentials(mc->agent, mc->stream_id, ufrag, pwd);
}

void cr_ice_restart(cr_media_call_t *mc, const char *ufrag, const char *pwd)
{
	cr_trace_add(mc->trace, "ice", "restart: new local ufrag=%s", ufrag);
	cr_fastpath_leave(mc, "ICE restart", true);
	/* Restarting drops the remote credentials and candidates; the
	 * signaling sends the new ones after. */
	nice_agent_restart_stream(mc->agent, mc->stream_id);
	mc->remote_candidates = 0;
	nice_agent_set_local_credentials(mc->agent, mc->stream_id, ufrag, pwd);
	mc->ice_connected = false;
	mc->remote_eoc = false;
	mc->ice_working = false;
	mc->ice_rechecks = 0;
	mc->ice_recheck_us = 0;
	mc->nomination_max = 0; /* the client's values start over with the restart */
	mc->nomination_stale = 0;
	mc->nomination_blip = false;
	cr_media_emit(mc, CR_EVENT_ICE_RESTARTED, 0, 0, "ufrag=%s pwd=%s", ufrag, pwd);
	/* libnice keeps its local candidates across a restart and never
	 * announces them again, but the peer forgets ours with our old
	 * credentials (StanzaJS empties the list): announce each again, as if
	 * gathered now, so the signaling sends them with the new credentials. */
	for (guint comp = 1; comp <= mc->n_components; comp++) {
		GSList *list = nice_agent_get_local_candidates(mc->agent, mc->stream_id, comp);

		for (GSList *l = list; l; l = l->next)
			on_new_candidate(mc->agent, l->data, mc);
		g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
	}
	on_gathering_done(mc->agent, mc->stream_id, mc);
}

int cr_ice_send(cr_media_call_t *mc, guint comp, const uint8_t *buf, size_t len)
{
	if (!mc->agent)
		return -1;
	if (mc->fp_on)
		return cr_fastpath_send(mc, buf, len);
	return nice_agent_send(mc->agent, mc->stream_id, comp, (guint)len, (const gchar *)buf);
}
