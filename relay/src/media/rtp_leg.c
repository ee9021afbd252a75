/**
 * @file rtp_leg.c  SIP leg: plain RTP/RTCP over UDP toward the trunk, with guarded latching
 *
 * Packets are accepted only from the address the trunk's SDP gave. With
 * latching on, and only as long as nothing came from that address, the
 * first RTP packet from the same IP (or the configured signaling IP of the
 * trunk) on another port moves the remote there, once: symmetric RTP for
 * trunks behind NAT or sending from another port. An arbitrary third party
 * (another IP) never takes the stream, and nobody does once the trunk's
 * own source is known.
 *
 * Within the accepted source, RTP is followed by SSRC (accept_ssrc): the
 * first stream's SSRC is latched; packets of any other SSRC are dropped and
 * counted, so junk sent from (or spoofing) the trunk's address never
 * reaches the client or a transcoder's jitter buffer. A real new stream
 * (the trunk restarted its media, a re-INVITE moved it) takes over once it
 * persists: CR_SSRC_SWITCH_PACKETS packets of that one SSRC while the
 * followed one sent nothing for CR_SSRC_SWITCH_QUIET_MS. A new remote
 * address (cr_rtp_leg_set_remote) forgets the SSRC.
 */
#include <errno.h>
#include <netinet/in.h>

#include "media.h"
#include "../udp_batch.h"

#define CR_RTP_BUF 2048
/* A new SSRC is followed after this many of its packets... */
#define CR_SSRC_SWITCH_PACKETS 5
/* ...while the followed stream was silent this long (2.5 ptimes of 20 ms:
 * a live stream interleaved with spoofed packets never yields)... */
#define CR_SSRC_SWITCH_QUIET_MS 50
/* ...and a candidate not seen for this long gives its place to the next. */
#define CR_SSRC_CANDIDATE_MS 60
/* Room after a datagram: cr_forward_from_sip() protects in place, and
 * libsrtp2 appends the tag (16 bytes at most, GCM) and for SRTCP a 4-byte
 * index (DTLS-SRTP has no MKI). */
#define CR_SRTP_ROOM 64
#define CR_RTP_PER_WAKE 64  /* packets per socket per wake-up */

static bool same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (!same_ip(a, b))
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_port ==
		       ((const struct sockaddr_in *)b)->sin_port;
	return ((const struct sockaddr_in6 *)a)->sin6_port ==
	       ((const struct sockaddr_in6 *)b)->sin6_port;
}

static bool accept_source(cr_media_call_t *mc, bool rtcp, const struct sockaddr_storage *from)
{
	struct sockaddr_storage *remote = rtcp ? &mc->sip_rtcp_remote : &mc->sip_rtp_remote;
	char buf[80];

	if (!mc->sip_remote_set)
		return false;
	if (same_addr(from, remote)) {
		/* The trunk sends from where its SDP said: nothing to latch. */
		mc->sip_latched = true;
		return true;
	}
	if (!mc->params.sip_latch || mc->sip_latched)
		return false;
	if (!same_ip(from, remote) && !(mc->latch_ip_set && same_ip(from, &mc->latch_ip)))
		return false;
	cr_format_addr((const struct sockaddr *)from, buf, sizeof(buf));
	cr_trace_add(mc->trace, "sip", "latched %s to %s", rtcp ? "rtcp" : "rtp", buf);
	if (!rtcp) {
		/* RTCP follows RTP's IP at RTP port + 1 unless it latches itself. */
		mc->sip_latched = true;
		*remote = *from;
		mc->sip_rtcp_remote = *from;
		if (from->ss_family == AF_INET)
			((struct sockaddr_in *)&mc->sip_rtcp_remote)->sin_port =
				htons(ntohs(((const struct sockaddr_in *)from)->sin_port) + 1);
		else
			((struct sockaddr_in6 *)&mc->sip_rtcp_remote)->sin6_port =
				htons(ntohs(((const struct sockaddr_in6 *)from)->sin6_port) + 1);
	} else {
		*remote = *from;
	}
	return true;
}

static uint32_t rtp_ssrc(const uint8_t *p)
{
	return (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
}

/* Whether an RTP packet from the trunk belongs to the stream followed (see
 * the top of the file); false = drop it. */
static bool accept_ssrc(cr_media_call_t *mc, const uint8_t *p, int64_t now)
{
	uint32_t ssrc = rtp_ssrc(p);

	if (!mc->ssrc_latched || ssrc == mc->ssrc) {
		if (!mc->ssrc_latched)
			cr_trace_add(mc->trace, "sip", "trunk rtp ssrc %08x", ssrc);
		mc->ssrc_latched = true;
		mc->ssrc = ssrc;
		mc->ssrc_last_us = now;
		mc->ssrc_candidate_set = false; /* the followed stream lives */
		return true;
	}
	if (!mc->ssrc_candidate_set || ssrc != mc->ssrc_candidate) {
		if (mc->ssrc_candidate_set &&
		    now - mc->ssrc_candidate_last_us < CR_SSRC_CANDIDATE_MS * 1000)
			return false; /* another one is on trial */
		mc->ssrc_candidate_set = true;
		mc->ssrc_candidate = ssrc;
		mc->ssrc_candidate_count = 0;
	}
	mc->ssrc_candidate_last_us = now;
	if (++mc->ssrc_candidate_count < CR_SSRC_SWITCH_PACKETS ||
	    now - mc->ssrc_last_us < CR_SSRC_SWITCH_QUIET_MS * 1000)
		return false;
	cr_trace_add(mc->trace, "sip", "trunk rtp ssrc %08x -> %08x (new stream persisted)",
		     mc->ssrc, ssrc);
	mc->ssrc = ssrc;
	mc->ssrc_last_us = now;
	mc->ssrc_candidate_set = false;
	return true;
}

/* RTP from the trunk: the call is alive on that side (liveness.c's tick). */
static void sip_media_seen(cr_media_call_t *mc)
{
	mc->last_sip_media_us = g_get_monotonic_time();
	if (mc->sip_timeout_reported) {
		mc->sip_timeout_reported = false;
		cr_trace_add(mc->trace, "media", "trunk RTP resumed");
	}
}

/* One packet from the trunk's socket (rtcp_socket: the RTCP one). */
static void on_packet(cr_media_call_t *mc, bool rtcp_socket, uint8_t *buf, size_t n,
		      const struct sockaddr_storage *from)
{
	cr_pkt_kind_t kind;
	bool rtcp;

	if (!accept_source(mc, rtcp_socket, from)) {
		atomic_fetch_add_explicit(&mc->counters.sip_foreign, 1, memory_order_relaxed);
		return;
	}
	kind = cr_demux_sip(buf, n, rtcp_socket);
	if (kind == CR_PKT_BAD) {
		atomic_fetch_add_explicit(&mc->counters.unmapped_pt, 1, memory_order_relaxed);
		return;
	}
	rtcp = kind == CR_PKT_RTCP;
	if (!rtcp && !accept_ssrc(mc, buf, g_get_monotonic_time())) {
		atomic_fetch_add_explicit(&mc->counters.sip_ssrc_dropped, 1, memory_order_relaxed);
		return;
	}
	if (!rtcp)
		sip_media_seen(mc);
	atomic_fetch_add_explicit(&mc->counters.sip_rx_packets, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&mc->counters.sip_rx_bytes, (uint64_t)n, memory_order_relaxed);
	cr_forward_from_sip(mc, rtcp, buf, n);
}

/* Which socket a batch comes from. */
typedef struct {
	cr_media_call_t *mc;
	bool rtcp_socket;
} rtp_batch_t;

static cr_udp_next_t on_datagram(void *p, uint8_t *buf, size_t len,
				 const struct sockaddr_storage *from, socklen_t from_len)
{
	const rtp_batch_t *b = p;

	(void)from_len;
	on_packet(b->mc, b->rtcp_socket, buf, len, from);
	return b->mc->closed ? CR_UDP_STOP : CR_UDP_NEXT;
}

/* The socket is readable (the worker's poller, relay/src/poller.c): takes
 * what waits (relay/src/udp_batch.c), at most CR_RTP_PER_WAKE packets so
 * the worker's other calls run; what is left wakes it again. */
static void on_readable(int fd, cr_media_call_t *mc, bool rtcp_socket)
{
	static _Thread_local uint8_t bufs[CR_UDP_BATCH][CR_RTP_BUF + CR_SRTP_ROOM];
	rtp_batch_t b = { mc, rtcp_socket };

	if (mc->closed)
		return;
	cr_udp_batch_drain(fd, bufs[0], sizeof(bufs[0]), CR_RTP_BUF, CR_RTP_PER_WAKE, on_datagram,
			   &b);
}

static void on_rtp(int fd, void *p)
{
	on_readable(fd, p, false);
}

static void on_rtcp(int fd, void *p)
{
	on_readable(fd, p, true);
}

int cr_rtp_leg_start(cr_media_call_t *mc)
{
	mc->rtp_poll = cr_poller_add(mc->env.poller, mc->rtp_fd, on_rtp, mc);
	mc->rtcp_poll = mc->rtp_poll ? cr_poller_add(mc->env.poller, mc->rtcp_fd, on_rtcp, mc) : NULL;
	if (!mc->rtcp_poll) {
		cr_trace_add(mc->trace, "sip", "cannot poll the RTP sockets: %s", g_strerror(errno));
		cr_rtp_leg_stop(mc);
		return CR_ERR_INTERNAL;
	}
	if (mc->params.sip_latch_addr[0] &&
	    cr_parse_addr(mc->params.sip_latch_addr, 0, &mc->latch_ip, NULL) == CR_OK)
		mc->latch_ip_set = true;
	if (mc->params.sip_remote_addr[0])
		cr_rtp_leg_set_remote(mc, mc->params.sip_remote_addr, mc->params.sip_remote_port,
				      mc->params.sip_remote_rtcp_port);
	return CR_OK;
}

void cr_rtp_leg_stop(cr_media_call_t *mc)
{
	cr_poller_remove(mc->rtp_poll);
	cr_poller_remove(mc->rtcp_poll);
	mc->rtp_poll = NULL;
	mc->rtcp_poll = NULL;
}

void cr_rtp_leg_set_remote(cr_media_call_t *mc, const char *addr, int rtp_port, int rtcp_port)
{
	socklen_t len;

	if (cr_parse_addr(addr, rtp_port, &mc->sip_rtp_remote, &len) ||
	    cr_parse_addr(addr, rtcp_port ? rtcp_port : rtp_port + 1, &mc->sip_rtcp_remote, NULL)) {
		cr_trace_add(mc->trace, "sip", "bad remote address %s", addr);
		return;
	}
	mc->sip_remote_len = len;
	mc->sip_remote_set = true;
	mc->sip_latched = false;
	mc->ssrc_latched = false; /* a new remote, a new stream: taken at once */
	mc->ssrc_candidate_set = false;
	cr_trace_add(mc->trace, "sip", "remote rtp %s:%d rtcp %d", addr, rtp_port,
		     rtcp_port ? rtcp_port : rtp_port + 1);
	if (mc->sip_no_remote) {
		cr_trace_add(mc->trace, "sip",
			     "%" G_GUINT64_FORMAT " client packets were dropped before this address",
			     (guint64)mc->sip_no_remote);
		mc->sip_no_remote = 0;
	}
}

bool cr_rtp_leg_send(cr_media_call_t *mc, bool rtcp, const uint8_t *buf, size_t len)
{
	const struct sockaddr_storage *to = rtcp ? &mc->sip_rtcp_remote : &mc->sip_rtp_remote;
	ssize_t n;

	if (!mc->sip_remote_set) {
		/* The client's media can come before the trunk's SDP is known
		 * (or the signaling forgot cr_call_set_sip_remote): say so once,
		 * with the count when the address comes. */
		if (!mc->sip_no_remote++)
			cr_trace_add(mc->trace, "sip",
				     "client media dropped: the trunk's RTP address is not known yet");
		return false;
	}
	n = sendto(rtcp ? mc->rtcp_fd : mc->rtp_fd, buf, len, 0, (const struct sockaddr *)to,
		   to->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					     : sizeof(struct sockaddr_in));
	if (n != (ssize_t)len)
		return false;
	atomic_fetch_add_explicit(&mc->counters.sip_tx_packets, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&mc->counters.sip_tx_bytes, len, memory_order_relaxed);
	return true;
}
