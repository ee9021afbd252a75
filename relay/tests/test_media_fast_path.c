/**
 * @file test_media_fast_path.c  The client leg's selected pair on the worker's poller (issue #18 item 3)
 *
 * A relay with one local address (so component 1 has one socket) puts a
 * call's selected pair on its fast path (relay/src/media/fastpath.c): the
 * worker reads and writes the socket itself, answers the client's consent
 * checks with libnice's STUN library and hands the socket back to libnice
 * for anything else. What a user would notice: audio both ways, a client
 * with RFC 7675 consent (which stops sending 10 s after its last answered
 * check) still sending past that, a renomination and an ICE restart that
 * still move the media, a TURN-relayed call that stays on libnice with
 * audio; the counters prove which path carried it.
 */
#include <glib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media_fixture.h"
#include "netns.h"
#include "peer_stun.h"
#include "peer_turn.h"
#include "sip_helpers.h"
#include "test.h"

int test_media_fast_path_consent(void);
int test_media_fast_path_renomination(void);
int test_media_fast_path_ice_restart(void);
int test_media_fast_path_turn(void);
int test_media_fast_path_bad_input(void);
int test_media_fast_path_two_sockets(void);

/* Nearly every packet each way went over the fast path. */
static int mostly_fast(const cr_call_stats_t *st)
{
	if (st->fast_rx_packets * 10 < st->client_rx_packets * 9 ||
	    st->fast_tx_packets * 10 < st->client_tx_packets * 9) {
		fprintf(stderr, "  fast path rx %llu of %llu, tx %llu of %llu\n",
			(unsigned long long)st->fast_rx_packets,
			(unsigned long long)st->client_rx_packets,
			(unsigned long long)st->fast_tx_packets,
			(unsigned long long)st->client_tx_packets);
		return -1;
	}
	return 0;
}

int test_media_fast_path_consent(void)
{
	/* A libnice client with consent freshness, like a browser: it checks
	 * every ~5 s and stops sending 10 s after its last answered check. */
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1", .consent_freshness = true };
	fixture_t f;
	cr_call_stats_t st;
	int err = 0;

	TEST_ERR(fx_setup_relay_at(&f, "127.0.0.1", 0));
	TEST_ERR(fx_setup_peer(&f, &po));
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_trickle_peer(&f, 0, 10));
	TEST_ERR(fx_wait_connected(&f, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 25, 10000));
	TEST_ASSERT(fx_trace_has(&f, "fast path on"));
	/* 13 s of audio both ways: past the client's 10 s consent timeout, so
	 * only answered consent checks keep it sending; past two or three of
	 * the relay's own keepalive checks too (libnice's, answered to it). */
	TEST_ERR(fx_audio_roundtrip(&f, 650, 20000));
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ERR(mostly_fast(&st));
	TEST_ASSERT(st.fast_stun_answered >= 2);
	TEST_EQUALS(0, (int)st.fast_fallbacks);
	TEST_EQUALS(0, (int)st.srtp_auth_failed);
	/* The relay's keepalives were answered (libnice's log, ice_patience.c). */
	TEST_ASSERT(fx_trace_has(&f, "fast path on"));
out:
	fx_teardown(&f);
	return err;
}

/* The STUN peer's call up on socket 0 (NOMINATION 1), on the fast path. */
static int call_on_a(fixture_t *f, speer_t *sp, const char **rc)
{
	int err = 0;

	TEST_ERR(fx_speer_call_up(f, sp, rc));
	TEST_ASSERT(fx_trace_has(f, "fast path on"));
out:
	return err;
}

int test_media_fast_path_renomination(void)
{
	fixture_t f;
	speer_t *sp = NULL;
	cr_event_t ev;
	cr_call_stats_t st, before;
	char cand[256], port_b[16];
	const char *rc = NULL;
	int err = 0, a_before;

	TEST_ERR(fx_setup_relay_at(&f, "127.0.0.1", 0));
	TEST_ERR(speer_new("127.0.0.1", &sp));
	g_snprintf(port_b, sizeof(port_b), ":%d", speer_port(sp, 1));
	TEST_ERR(call_on_a(&f, sp, &rc));
	/* The peer checks its pair every second: answered on the fast path. */
	fx_wait(&f, 0, 2200, NULL);
	FX_STATS_UNTIL(&f, st, st.fast_stun_answered >= 1, 3000);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ERR(mostly_fast(&st));
	TEST_ASSERT(st.fast_stun_answered >= 1);
	TEST_EQUALS(0, (int)st.fast_fallbacks);

	/* Renomination to B (another address of the client): its check is
	 * not the fast path's; libnice takes the socket back, moves the pair,
	 * and the fast path comes back on B. */
	speer_candidate(sp, 1, 2130706175u, cand, sizeof(cand));
	TEST_ERR(cr_call_add_remote_candidate(f.call, cand));
	speer_nominate(sp, 1, 2);
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 10000, &ev));
	TEST_ASSERT(strstr(ev.text, port_b) != NULL);
	TEST_ERR(cr_call_get_stats(f.call, &before));
	TEST_ASSERT(before.fast_fallbacks >= 1);
	a_before = speer_audio_received(sp, 0);
	TEST_ERR(fx_speer_audio_on(&f, sp, 1, 25, 10000));
	TEST_ASSERT(speer_audio_received(sp, 0) - a_before <= 2);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(strstr(st.selected_pair, port_b) != NULL);
	/* B's audio went over the fast path again, both ways. */
	TEST_ASSERT(st.fast_rx_packets - before.fast_rx_packets >= 22);
	TEST_ASSERT(st.fast_tx_packets - before.fast_tx_packets >= 22);
	TEST_ASSERT(fx_trace_has(&f, "fast path off: a packet from another address"));
out:
	fx_teardown(&f);
	speer_free(sp);
	return err;
}

int test_media_fast_path_ice_restart(void)
{
	fixture_t f;
	speer_t *sp = NULL;
	cr_event_t ev;
	cr_media_local_t nl;
	cr_call_stats_t st, before;
	char cand[256], port_b[16];
	const char *rc = NULL;
	int err = 0;

	TEST_ERR(fx_setup_relay_at(&f, "127.0.0.1", 0));
	TEST_ERR(speer_new("127.0.0.1", &sp));
	g_snprintf(port_b, sizeof(port_b), ":%d", speer_port(sp, 1));
	TEST_ERR(call_on_a(&f, sp, &rc));

	/* Both restart mid-call; the client comes back from B only, checked
	 * with the new credentials: the fast path left first, so libnice saw
	 * those checks, and it comes back on the new pair. */
	TEST_ERR(cr_call_ice_restart(f.call, &nl));
	TEST_ERR(fx_wait(&f, CR_EVENT_ICE_RESTARTED, 5000, &ev));
	TEST_ASSERT(fx_trace_has(&f, "fast path off: ICE restart"));
	speer_restart(sp);
	TEST_ERR(cr_call_set_remote_credentials(f.call, speer_ufrag(sp), speer_pwd(sp)));
	TEST_ERR(speer_set_remote(sp, nl.ice_ufrag, nl.ice_pwd, f.local.fingerprint, rc));
	speer_candidate(sp, 1, 2130706175u, cand, sizeof(cand));
	TEST_ERR(cr_call_add_remote_candidate(f.call, cand));
	speer_nominate(sp, 1, 1);
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 10000, &ev));
	TEST_ASSERT(strstr(ev.text, port_b) != NULL);
	TEST_ERR(cr_call_get_stats(f.call, &before));
	TEST_ERR(fx_speer_audio_on(&f, sp, 1, 25, 10000));
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(st.fast_rx_packets - before.fast_rx_packets >= 22);
	TEST_ASSERT(st.fast_tx_packets - before.fast_tx_packets >= 22);
	/* The peer's checks with the new credentials, answered on the fast path. */
	fx_wait(&f, 0, 2200, NULL);
	FX_STATS_UNTIL(&f, st, st.fast_stun_answered > before.fast_stun_answered, 3000);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(st.fast_stun_answered > before.fast_stun_answered);
out:
	fx_teardown(&f);
	speer_free(sp);
	return err;
}

int test_media_fast_path_turn(void)
{
	netns_t n = { 0 };
	turn_peer_t turn = { .pid = -1 };
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1 };
	fixture_t f = { 0 };
	cr_call_stats_t st;
	int err = 0, port = free_port(false, false), relay_min = 44000 + (getpid() % 400) * 10;

	/* The client in its own namespace can reach coturn on the host end
	 * of the veth pair, but nothing it sends to the relay's host
	 * candidates (the ICE port range) leaves: only the relay candidate,
	 * through coturn, works. */
	TEST_ERR(netns_up(&n, "crfpt"));
	TEST_ERR(turn_start_at(&turn, n.host_ip, port, relay_min, relay_min + 9));
	TEST_ERR(fx_setup_relay_turn(&f, n.host_ip, n.host_ip, turn.port));
	po.addresses = n.peer_ip;
	po.netns = n.name;
	TEST_ERR(fx_setup_peer(&f, &po));
	TEST_ERR(netns_drop(&n, "udp dport 31000-31999", false));
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_trickle_peer(&f, 0, 10));
	TEST_ERR(fx_wait_connected(&f, 20000));
	TEST_ERR(fx_audio_roundtrip(&f, 50, 10000));
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(strstr(st.selected_pair, "local=relay") != NULL);
	TEST_ASSERT(st.client_rx_packets >= 45 && st.client_tx_packets >= 45);
	TEST_EQUALS(0, (int)st.fast_rx_packets);
	TEST_EQUALS(0, (int)st.fast_tx_packets);
	TEST_ASSERT(fx_trace_has(&f, "fast path not used: the local candidate is not our own UDP socket"));
out:
	fx_teardown(&f);
	turn_stop(&turn, err);
	netns_down(&n);
	return err;
}

int test_media_fast_path_bad_input(void)
{
	static const uint8_t junk[] = { 0x50, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
	static const uint8_t fake_stun[24] = { 0x00, 0x01, 0x00, 0x04, 0x21, 0x12, 0xa4, 0x42 };
	fixture_t f;
	speer_t *sp = NULL;
	cr_call_stats_t st, before;
	const char *rc = NULL;
	int err = 0;

	TEST_ERR(fx_setup_relay_at(&f, "127.0.0.1", 0));
	TEST_ERR(speer_new("127.0.0.1", &sp));
	TEST_ERR(call_on_a(&f, sp, &rc));
	TEST_ERR(cr_call_get_stats(f.call, &before));
	/* Junk that is neither STUN, DTLS nor RTP: dropped and counted on the
	 * fast path, which stays. */
	speer_send_raw(sp, 0, junk, sizeof(junk));
	TEST_ERR(fx_speer_audio_on(&f, sp, 0, 10, 10000));
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_EQUALS((int)before.ice_bad + 1, (int)st.ice_bad);
	TEST_EQUALS((int)before.fast_fallbacks, (int)st.fast_fallbacks);
	/* STUN the fast path does not answer (a truncated message, a check
	 * with a wrong password): libnice's, counted as fallbacks; the call
	 * goes on and comes back to the fast path. */
	speer_send_raw(sp, 0, fake_stun, sizeof(fake_stun));
	fx_wait(&f, 0, 100, NULL);
	speer_send_bad_check(sp, 0);
	fx_wait(&f, 0, 1600, NULL);
	FX_STATS_UNTIL(&f, before, before.fast_fallbacks >= 1, 3000);
	TEST_ERR(cr_call_get_stats(f.call, &before));
	TEST_ASSERT(before.fast_fallbacks >= 1);
	TEST_ERR(fx_speer_audio_on(&f, sp, 0, 25, 10000));
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(st.fast_rx_packets - before.fast_rx_packets >= 22);
	TEST_ASSERT(fx_trace_has(&f, "fast path off: STUN for libnice"));
out:
	fx_teardown(&f);
	speer_free(sp);
	return err;
}

/* The port of the relay's IPv6 host candidate, or 0. */
static int relay_v6_port(fixture_t *f)
{
	for (int i = 0; i < f->n_relay_cands; i++) {
		if (strstr(f->relay_cands[i], " ::1 ") && strstr(f->relay_cands[i], "typ host")) {
			gchar **fields = g_strsplit(strstr(f->relay_cands[i], "candidate:"), " ", -1);
			int port = g_strv_length(fields) > 5 ? atoi(fields[5]) : 0;

			g_strfreev(fields);
			return port;
		}
	}
	return 0;
}

int test_media_fast_path_two_sockets(void)
{
	fixture_t f;
	speer_t *sp = NULL;
	cr_call_stats_t st, before;
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 };
	const char *rc = NULL;
	int err = 0, fd = -1, v6;

	/* The relay on 127.0.0.1 and ::1: two local sockets; the call runs on
	 * the IPv4 one. */
	TEST_ERR(fx_setup_relay(&f));
	TEST_ERR(speer_new("127.0.0.1", &sp));
	TEST_ERR(call_on_a(&f, sp, &rc));
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ERR(mostly_fast(&st));
	/* A datagram on the other socket is libnice's: the fast path hands
	 * every socket back (libnice reads it) and comes back later. */
	v6 = relay_v6_port(&f);
	TEST_ASSERT(v6 > 0);
	to.sin6_port = htons((uint16_t)v6);
	inet_pton(AF_INET6, "::1", &to.sin6_addr);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	TEST_ASSERT(fd >= 0);
	TEST_EQUALS(5, (int)sendto(fd, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)));
	fx_wait(&f, 0, 1500, NULL);
	FX_STATS_UNTIL(&f, before,
		       before.fast_fallbacks >= 1 &&
			       fx_trace_has(&f, "fast path off: a packet on another local socket"),
		       3000);
	TEST_ASSERT(fx_trace_has(&f, "fast path off: a packet on another local socket"));
	TEST_ERR(cr_call_get_stats(f.call, &before));
	TEST_ASSERT(before.fast_fallbacks >= 1);
	TEST_ERR(fx_speer_audio_on(&f, sp, 0, 25, 10000));
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(st.fast_rx_packets - before.fast_rx_packets >= 22);
	TEST_ASSERT(st.fast_tx_packets - before.fast_tx_packets >= 22);
out:
	if (fd >= 0)
		close(fd);
	fx_teardown(&f);
	speer_free(sp);
	return err;
}
