/**
 * @file fastpath.c  The client leg's selected pair read and written by the worker itself
 *
 * Until ICE selects a pair, every client-leg packet goes through libnice
 * (its GSource per socket, nice_agent_send). Once component 1 (rtcp-mux)
 * has a plain UDP pair whose local side is our own socket (a host or
 * server-reflexive local candidate, not a TURN relay) and that component
 * has at most CR_FP_MAX_SOCKETS local sockets, the call goes on the "fast path"
 * (issue #18 item 3, docs/ARCHITECTURE.md "The client leg's data path"):
 *
 * - the socket (nice_agent_get_selected_socket) is registered in the
 *   worker's poller (relay/src/poller.c) and drained with recvmmsg
 *   (relay/src/udp_batch.c);
 *   packets go out with sendto to the selected remote on the same fd;
 * - libnice's own GSources for the component are moved to a context that
 *   is never iterated (nice_agent_attach_recv with no callback: libnice
 *   0.1.21 reads nothing without a callback, but its source would still
 *   wake the worker for every datagram); its timers keep running on the
 *   worker's context. With several local sockets (IPv4 and IPv6, several
 *   interfaces) that context is the call's own, whose poll list gives the
 *   other sockets' fds: the poller watches them without reading, and a
 *   datagram there hands every socket back to libnice, which reads it;
 * - the client's consent checks (RFC 7675: Binding requests from the
 *   selected remote, our ufrag and password, the right role, no new
 *   nomination) are answered here with libnice's STUN library
 *   (stun_usage_ice_conncheck_create_reply: XOR-MAPPED-ADDRESS,
 *   MESSAGE-INTEGRITY, FINGERPRINT), as libnice would;
 * - anything else (a packet from another address, a STUN response, a check
 *   with other credentials, a role conflict, a new NOMINATION) hands the
 *   socket back to libnice (counted as a fallback; that packet is dropped,
 *   its sender retransmits), and the fast path is tried again
 *   CR_FP_RETRY_MS later or when a pair is selected;
 * - libnice's own checks expect answers libnice must see: its keepalive
 *   checks (keepalive-conncheck, every 4-6 s; without answers it fails the
 *   pair after 50 s), and the check it sends as a pair is selected. When
 *   its log says one left (nice_log.c), the socket goes back to libnice
 *   until the answer came (or CR_FP_KEEPALIVE_MS passed), a window of
 *   about a round trip, and the fast path is not entered meanwhile;
 * - an ICE restart, a re-check, a new selected pair or a state other than
 *   connected/ready leave the fast path first.
 *
 * Worker only. libnice's log handler runs inside the agent's lock, so from
 * there only the poller registration is dropped at once (nothing is read;
 * packets wait in the socket) and libnice gets the socket back from an
 * idle source.
 */
#include <errno.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>
#include <sys/socket.h>

#include "media.h"
#include "../udp_batch.h"

#define CR_FP_BUF 2048     /* bytes read of a datagram */
#define CR_FP_PER_WAKE 64  /* packets per wake-up, so the worker's other calls run */
#define CR_FP_RETRY_MS 1000
#define CR_FP_KEEPALIVE_MS 1000
#define CR_FP_MAX_SOCKETS CR_FP_OTHERS /* local sockets of component 1 (host candidates) */

#define COUNT(mc, f, n) atomic_fetch_add_explicit(&(mc)->counters.f, (n), memory_order_relaxed)

/* Where libnice's sources of a call on the fast path wait: a context
 * nobody iterates (one for the process). */
static GMainContext *park_context(void)
{
	static gsize once;
	static GMainContext *park;

	if (g_once_init_enter(&once)) {
		park = g_main_context_new();
		g_once_init_leave(&once, 1);
	}
	return park;
}

/* The worker's STUN agent (12 kB, so one per thread, not per call): it
 * only validates requests and builds their answers, which keep no state. */
static StunAgent *stun_agent(void)
{
	/* The attributes of a check we answer: one with another
	 * comprehension-required attribute fails validation (libnice's). */
	static const uint16_t known[] = {
		STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
		STUN_ATTRIBUTE_FINGERPRINT, STUN_ATTRIBUTE_PRIORITY,
		STUN_ATTRIBUTE_USE_CANDIDATE, STUN_ATTRIBUTE_ICE_CONTROLLED,
		STUN_ATTRIBUTE_ICE_CONTROLLING, STUN_ATTRIBUTE_NOMINATION, 0
	};
	static _Thread_local StunAgent agent;
	static _Thread_local bool ready;

	if (!ready) {
		stun_agent_init(&agent, known, STUN_COMPATIBILITY_RFC5389,
				STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
					STUN_AGENT_USAGE_USE_FINGERPRINT);
		ready = true;
	}
	return &agent;
}

static void retry_cancel(cr_media_call_t *mc)
{
	if (!mc->fp_retry)
		return;
	g_source_destroy(mc->fp_retry);
	g_source_unref(mc->fp_retry);
	mc->fp_retry = NULL;
}

static gboolean on_retry(gpointer p)
{
	cr_media_call_t *mc = p;

	g_source_unref(mc->fp_retry);
	mc->fp_retry = NULL;
	cr_fastpath_try_enter(mc);
	return G_SOURCE_REMOVE;
}

static void retry_in(cr_media_call_t *mc, guint ms)
{
	retry_cancel(mc);
	if (mc->closed)
		return;
	mc->fp_retry = g_timeout_source_new(ms);
	/* Ahead of the poller's dispatch in the same wake-up. */
	g_source_set_priority(mc->fp_retry, G_PRIORITY_HIGH);
	g_source_set_callback(mc->fp_retry, on_retry, mc, NULL);
	g_source_attach(mc->fp_retry, mc->context);
}

/* libnice reads the component's sockets again (not from inside libnice). */
static void give_back(cr_media_call_t *mc)
{
	if (!mc->fp_parked)
		return;
	mc->fp_parked = false;
	if (mc->agent)
		nice_agent_attach_recv(mc->agent, mc->stream_id, 1, mc->context, cr_ice_on_recv, mc);
}

/* Stops reading the socket; safe anywhere on the worker, inside libnice too. */
static void stop_reading(cr_media_call_t *mc)
{
	if (!mc->fp_on)
		return;
	mc->fp_on = false;
	cr_poller_remove(mc->fp_poll);
	mc->fp_poll = NULL;
	for (int i = 0; i < mc->fp_n_others; i++)
		cr_poller_remove(mc->fp_others[i]);
	mc->fp_n_others = 0;
	g_clear_object(&mc->fp_socket);
}

void cr_fastpath_leave(cr_media_call_t *mc, const char *why, bool fallback)
{
	bool was_on = mc->fp_on;

	stop_reading(mc);
	give_back(mc);
	if (!was_on)
		return;
	if (fallback)
		COUNT(mc, fast_fallbacks, 1);
	mc->fp_entered = false; /* the next entry is traced again */
	cr_trace_add(mc->trace, "ice", "fast path off: %s", why);
}

void cr_fastpath_stop(cr_media_call_t *mc)
{
	retry_cancel(mc);
	mc->fp_keepalive_wait = false;
	cr_fastpath_leave(mc, "call ends", false);
	if (mc->fp_park) {
		g_main_context_release(mc->fp_park);
		g_main_context_unref(mc->fp_park);
		mc->fp_park = NULL;
	}
}

/* Username and password a consent check from the client must carry. */
static bool check_validater(StunAgent *agent, StunMessage *msg, uint8_t *username,
			    uint16_t username_len, uint8_t **password, size_t *password_len,
			    void *data)
{
	cr_media_call_t *mc = data;
	size_t ours, theirs = strlen(mc->params.remote_ufrag);
	bool ok;

	(void)agent;
	(void)msg;
	/* "our ufrag:the client's ufrag" (RFC 8445 7.2.2) */
	g_mutex_lock(&mc->local_lock);
	ours = strlen(mc->local.ice_ufrag);
	ok = username_len == ours + 1 + theirs && !memcmp(username, mc->local.ice_ufrag, ours) &&
	     username[ours] == ':' && !memcmp(username + ours + 1, mc->params.remote_ufrag, theirs);
	g_mutex_unlock(&mc->local_lock);
	if (!ok)
		return false;
	*password = (uint8_t *)mc->fp_pwd; /* copied at entry (restart leaves first) */
	*password_len = strlen(mc->fp_pwd);
	return true;
}

/* A STUN message from the selected remote: true when answered (or a
 * keepalive indication, ignored as libnice ignores it); false when it is
 * libnice's to handle. */
static bool on_stun(cr_media_call_t *mc, uint8_t *buf, size_t len,
		    const struct sockaddr_storage *from, socklen_t from_len)
{
	StunMessage req, resp;
	uint8_t out[STUN_MAX_MESSAGE_SIZE_IPV6];
	size_t out_len = sizeof(out);
	StunValidationStatus st;
	bool control = mc->params.ice_controlling;
	uint64_t q;
	uint32_t nomination;

	/* A Binding indication (type 0x0011) is a keepalive (RFC 8445 11):
	 * ignored, as libnice ignores it, without credentials to check. */
	if (len >= 20 && buf[0] == 0x00 && buf[1] == 0x11)
		return true;
	st = stun_agent_validate(stun_agent(), &req, buf, len, check_validater, mc);
	if (st != STUN_VALIDATION_SUCCESS)
		return false;
	if (stun_message_get_method(&req) != STUN_BINDING)
		return false;
	if (stun_message_get_class(&req) != STUN_REQUEST)
		return false; /* a response to one of libnice's requests */
	/* A role conflict is libnice's (RFC 8445 7.3.1.1). */
	if (stun_message_find64(&req, control ? STUN_ATTRIBUTE_ICE_CONTROLLING
					      : STUN_ATTRIBUTE_ICE_CONTROLLED, &q) ==
	    STUN_MESSAGE_RETURN_SUCCESS)
		return false;
	/* A nomination higher than any seen names a pair to move to (ice.c). */
	if (stun_message_find32(&req, STUN_ATTRIBUTE_NOMINATION, &nomination) ==
		    STUN_MESSAGE_RETURN_SUCCESS &&
	    nomination > mc->nomination_max)
		return false;
	if (stun_usage_ice_conncheck_create_reply(stun_agent(), &req, &resp, out, &out_len, from,
						  from_len, &control, 0,
						  STUN_USAGE_ICE_COMPATIBILITY_RFC5245) !=
		    STUN_USAGE_ICE_RETURN_SUCCESS ||
	    out_len == 0)
		return false;
	if (sendto(mc->fp_fd, out, out_len, 0, (const struct sockaddr *)&mc->fp_remote,
		   mc->fp_remote_len) == (ssize_t)out_len)
		COUNT(mc, fast_stun_answered, 1);
	return true;
}

static bool same_remote(const cr_media_call_t *mc, const struct sockaddr_storage *a,
			socklen_t len)
{
	const struct sockaddr_storage *r = &mc->fp_remote;

	if (a->ss_family != r->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)r;

		return len >= sizeof(*x) && x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)r;

		return len >= sizeof(*x) && x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}

/* One datagram read on the fast path. */
static void on_packet(cr_media_call_t *mc, uint8_t *buf, size_t len,
		      const struct sockaddr_storage *from, socklen_t from_len)
{
	bool stun = len > 0 && buf[0] < 4; /* RFC 7983: 0-3 is STUN */

	if (!same_remote(mc, from, from_len)) {
		/* Another address: a check on another pair, the TURN server...
		 * libnice's. This datagram is lost; its sender retransmits. */
		cr_fastpath_leave(mc, "a packet from another address", true);
		retry_in(mc, CR_FP_RETRY_MS);
		return;
	}
	if (stun) {
		if (!on_stun(mc, buf, len, from, from_len)) {
			cr_fastpath_leave(mc, "STUN for libnice", true);
			retry_in(mc, CR_FP_RETRY_MS);
		}
		return;
	}
	COUNT(mc, fast_rx_packets, 1);
	cr_forward_from_client(mc, 1, buf, len);
}

/* One datagram of a batch: on the fast path, or read before a fall back
 * in the same batch (udp_batch.c hands on what it read, reads no more). */
static cr_udp_next_t on_datagram(void *p, uint8_t *buf, size_t len,
				 const struct sockaddr_storage *from, socklen_t from_len)
{
	cr_media_call_t *mc = p;

	if (mc->fp_on) {
		on_packet(mc, buf, len, from, from_len);
	} else if (len > 0 && buf[0] >= 4 && same_remote(mc, from, from_len)) {
		/* Read before the fall back in this batch: media from the
		 * selected remote goes on as libnice would pass it. */
		cr_forward_from_client(mc, 1, buf, len);
	}
	if (mc->closed)
		return CR_UDP_STOP;
	return mc->fp_on ? CR_UDP_NEXT : CR_UDP_NO_READ;
}

/* The selected pair's socket is readable: at most CR_FP_PER_WAKE datagrams,
 * so the worker's other calls run; what is left wakes it again. */
static void on_readable(int fd, void *p)
{
	/* No room after a datagram: cr_forward_from_client() unprotects a
	 * copy, and unprotecting only shrinks a packet anyway. Not shared with
	 * rtp_leg.c's (udp_batch.h: a batch in hand is never overwritten by
	 * another file's drain). */
	static _Thread_local uint8_t bufs[CR_UDP_BATCH][CR_FP_BUF];
	cr_media_call_t *mc = p;

	if (!mc->fp_on || mc->closed)
		return;
	cr_udp_batch_drain(fd, bufs[0], sizeof(bufs[0]), CR_FP_BUF, CR_FP_PER_WAKE, on_datagram,
			   mc);
}

/* A datagram on another local socket of the call (a check on another
 * pair): libnice's. Not read here: libnice reads it once it has the
 * sockets back, so nothing is lost. */
static void on_other_readable(int fd, void *p)
{
	cr_media_call_t *mc = p;

	(void)fd;
	cr_fastpath_leave(mc, "a packet on another local socket", true);
	retry_in(mc, CR_FP_RETRY_MS);
}

/* With several local sockets, libnice's sources wait in the call's own
 * context (one eventfd), whose poll list names them: the sockets other
 * than the selected one are watched, not read. False when they cannot be. */
static bool park_and_watch(cr_media_call_t *mc)
{
	GPollFD fds[CR_FP_MAX_SOCKETS + 2];
	gint timeout, n;

	if (mc->fp_sockets == 1) {
		nice_agent_attach_recv(mc->agent, mc->stream_id, 1, park_context(), NULL, NULL);
		return true;
	}
	if (!mc->fp_park) {
		mc->fp_park = g_main_context_new();
		g_main_context_acquire(mc->fp_park); /* the worker's; never iterated */
		n = g_main_context_query(mc->fp_park, G_MAXINT, &timeout, fds, 1);
		mc->fp_wake_fd = n == 1 ? fds[0].fd : -1; /* GLib's own wake-up */
	}
	nice_agent_attach_recv(mc->agent, mc->stream_id, 1, mc->fp_park, NULL, NULL);
	n = g_main_context_query(mc->fp_park, G_MAXINT, &timeout, fds, (gint)G_N_ELEMENTS(fds));
	if (n > (gint)G_N_ELEMENTS(fds))
		return false;
	for (gint i = 0; i < n; i++) {
		if (fds[i].fd == mc->fp_wake_fd || fds[i].fd == mc->fp_fd)
			continue;
		if (mc->fp_n_others == CR_FP_OTHERS)
			return false;
		mc->fp_others[mc->fp_n_others] =
			cr_poller_add(mc->env.poller, fds[i].fd, on_other_readable, mc);
		if (!mc->fp_others[mc->fp_n_others])
			return false;
		mc->fp_n_others++;
	}
	return true;
}

/* Component 1's selected pair, if the fast path can carry it. */
static bool eligible(cr_media_call_t *mc, const char **why)
{
	NiceCandidate *l = NULL, *r = NULL;
	GSList *locals;
	int hosts = 0;
	guint state;

	*why = NULL;
	if (!mc->agent || mc->closed || !mc->env.poller)
		return false;
	if (mc->n_components != 1) {
		*why = "no rtcp-mux";
		return false;
	}
	state = nice_agent_get_component_state(mc->agent, mc->stream_id, 1);
	if (state != NICE_COMPONENT_STATE_CONNECTED && state != NICE_COMPONENT_STATE_READY)
		return false;
	if (!nice_agent_get_selected_pair(mc->agent, mc->stream_id, 1, &l, &r))
		return false;
	if (l->transport != NICE_CANDIDATE_TRANSPORT_UDP ||
	    (l->type != NICE_CANDIDATE_TYPE_HOST &&
	     l->type != NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE)) {
		*why = "the local candidate is not our own UDP socket";
		return false;
	}
	locals = nice_agent_get_local_candidates(mc->agent, mc->stream_id, 1);
	for (GSList *i = locals; i; i = i->next)
		if (((NiceCandidate *)i->data)->type == NICE_CANDIDATE_TYPE_HOST)
			hosts++;
	g_slist_free_full(locals, (GDestroyNotify)nice_candidate_free);
	if (hosts < 1 || hosts > CR_FP_MAX_SOCKETS) {
		*why = "more local sockets than the fast path watches";
		return false;
	}
	mc->fp_sockets = hosts;
	if (!nice_address_is_valid(&r->addr))
		return false;
	mc->fp_remote_len = (socklen_t)sizeof(mc->fp_remote);
	memset(&mc->fp_remote, 0, sizeof(mc->fp_remote));
	nice_address_copy_to_sockaddr(&r->addr, (struct sockaddr *)&mc->fp_remote);
	mc->fp_remote_len = mc->fp_remote.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								 : sizeof(struct sockaddr_in);
	return true;
}

void cr_fastpath_try_enter(cr_media_call_t *mc)
{
	const char *why;
	GSocket *sock;
	char remote[80];

	if (mc->fp_on)
		return;
	if (mc->fp_keepalive_wait) {
		int64_t left = mc->fp_wait_until_us - g_get_monotonic_time();

		if (left > 0) {
			retry_in(mc, (guint)(left / 1000) + 1);
			return;
		}
		mc->fp_keepalive_wait = false;
	}
	if (!eligible(mc, &why)) {
		if (why && !mc->fp_why_traced) {
			mc->fp_why_traced = true;
			cr_trace_add(mc->trace, "ice", "fast path not used: %s", why);
		}
		return;
	}
	sock = nice_agent_get_selected_socket(mc->agent, mc->stream_id, 1);
	if (!sock)
		return;
	g_mutex_lock(&mc->local_lock);
	g_strlcpy(mc->fp_pwd, mc->local.ice_pwd, sizeof(mc->fp_pwd));
	g_mutex_unlock(&mc->local_lock);
	/* Parked but not reading (a check window about to open): parked
	 * afresh below, so the other sockets are watched again; that window
	 * is over. */
	retry_cancel(mc);
	give_back(mc);
	mc->fp_fd = g_socket_get_fd(sock);
	mc->fp_poll = cr_poller_add(mc->env.poller, mc->fp_fd, on_readable, mc);
	if (!mc->fp_poll) {
		cr_trace_add(mc->trace, "ice", "fast path not used: %s", g_strerror(errno));
		g_object_unref(sock);
		return;
	}
	mc->fp_socket = sock;
	mc->fp_on = true;
	mc->fp_parked = true;
	if (!park_and_watch(mc)) {
		cr_fastpath_leave(mc, "cannot watch the other local sockets", false);
		return;
	}
	cr_format_addr((const struct sockaddr *)&mc->fp_remote, remote, sizeof(remote));
	if (!mc->fp_entered) {
		mc->fp_entered = true;
		cr_trace_add(mc->trace, "ice", "fast path on: fd %d to %s", mc->fp_fd, remote);
	}
	/* Anything libnice left in the socket is read now, not at the next packet. */
	on_readable(mc->fp_fd, mc);
}

void cr_fastpath_pair_selected(cr_media_call_t *mc, const NiceCandidate *remote)
{
	struct sockaddr_storage ss;

	if (!mc->fp_on)
		return;
	memset(&ss, 0, sizeof(ss));
	nice_address_copy_to_sockaddr(&remote->addr, (struct sockaddr *)&ss);
	if (same_remote(mc, &ss, sizeof(ss)))
		return; /* the same pair again: nothing moves */
	cr_fastpath_leave(mc, "another pair selected", true);
}

/* libnice's check or keepalive has left while on the fast path: libnice
 * reads the socket until the answer came (or CR_FP_KEEPALIVE_MS passed). */
static gboolean on_check_window(gpointer p)
{
	cr_media_call_t *mc = p;

	g_source_unref(mc->fp_retry);
	mc->fp_retry = NULL;
	if (mc->fp_on)
		return G_SOURCE_REMOVE; /* entered again meanwhile */
	give_back(mc);
	retry_in(mc, CR_FP_KEEPALIVE_MS);
	return G_SOURCE_REMOVE;
}

void cr_fastpath_check_sent(cr_media_call_t *mc)
{
	if (mc->closed)
		return;
	/* Not entered before the answer (or the wait) is over. */
	mc->fp_keepalive_wait = true;
	mc->fp_wait_until_us = g_get_monotonic_time() + CR_FP_KEEPALIVE_MS * 1000;
	if (!mc->fp_on)
		return;
	stop_reading(mc); /* its answer stays in the socket for libnice */
	retry_cancel(mc);
	mc->fp_retry = g_idle_source_new();
	g_source_set_priority(mc->fp_retry, G_PRIORITY_HIGH);
	g_source_set_callback(mc->fp_retry, on_check_window, mc, NULL);
	g_source_attach(mc->fp_retry, mc->context);
}

void cr_fastpath_check_answered(cr_media_call_t *mc)
{
	if (!mc->fp_keepalive_wait)
		return;
	mc->fp_keepalive_wait = false;
	/* Back on the fast path once libnice is done with this datagram, if
	 * an entry waits (libnice reads only while not parked). */
	if (!mc->fp_on && !mc->fp_parked && mc->fp_retry)
		retry_in(mc, 0);
}

int cr_fastpath_send(cr_media_call_t *mc, const uint8_t *buf, size_t len)
{
	ssize_t n = sendto(mc->fp_fd, buf, len, 0, (const struct sockaddr *)&mc->fp_remote,
			   mc->fp_remote_len);

	if (n < 0)
		return -1;
	COUNT(mc, fast_tx_packets, 1);
	return (int)n;
}
