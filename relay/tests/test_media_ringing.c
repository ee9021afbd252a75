/**
 * @file test_media_ringing.c  Test 3: the client starts its checks 45 s, then 90 s, late
 *
 * docs/INTEROP.md#2. The relay learns the client's candidate and credentials at
 * session-initiate; the client only starts ICE at session-accept, when the
 * phone is answered. Meanwhile nothing listens at the client's address, so
 * every check the relay makes fails. 45 s (and, in a second test, 90 s)
 * later the client appears on that address with those credentials and starts checking: the relay must answer
 * with triggered checks on its failed pairs and the call must complete.
 * Meanwhile the relay keeps checking with back-off and never reports ICE
 * failed: nobody has answered yet (issue 16).
 *
 * Inbound, the other way round: the relay offers, the client accepts 15 s
 * later, and its checks only start 20 s after its answer; the relay's pair
 * is not failed then (the failure timeout, 30 s, runs from the answer) and
 * the call completes.
 *
 * Answered after a short ring: a client that answered none of our checks
 * meanwhile is checked afresh at the answer (ice_patience.c; the time it
 * saves is in docs/PERFORMANCE.md, measured by relay/bench/bench_answer.c),
 * and the call completes; one that answered them keeps its pair.
 */
#include <glib.h>

#include "helpers.h"
#include "relay_internal.h"
#include "media_fixture.h"
#include "sip_helpers.h"
#include "test.h"

int test_media_ringing_45s(void);
int test_media_ringing_90s(void);
int test_media_ringing_late_answer(void);
int test_media_ringing_quiet_rechecked(void);
int test_media_ringing_answered_kept(void);

/* The client's one host candidate, on the port it announced, and its end. */
static int add_client_candidate(fixture_t *f, const peer_opts_t *po)
{
	char cand[128];
	int err;

	g_snprintf(cand, sizeof(cand), "candidate:1 1 UDP 2015363327 127.0.0.1 %d typ host", po->port);
	err = cr_call_add_remote_candidate(f->call, cand);
	return err ? err : cr_call_end_of_candidates(f->call);
}

/* Outbound: the client's session-initiate (its credentials and its one
 * candidate, on a port nobody holds) reaches the relay, which starts
 * checking; the relay's candidates wait for the session-accept.
 * listening: the client already answers checks (it has set up its ICE). */
static int client_offered(fixture_t *f, peer_opts_t *po, bool listening)
{
	int err;

	/* Not a port the kernel may hand to any socket meanwhile (its
	 * ephemeral range): nothing may listen there until the answer. */
	if ((po->port = free_port(false, true)) < 0)
		return -1;
	if ((err = fx_setup_relay(f)))
		return err;
	f->hold_relay_cands = true; /* the client gets them with session-accept */
	if (listening && (err = fx_setup_peer(f, po)))
		return err;
	f->params.ice_controlling = 0;
	f->params.dtls_role = CR_DTLS_PASSIVE;
	g_strlcpy(f->params.remote_ufrag, po->ufrag, sizeof(f->params.remote_ufrag));
	g_strlcpy(f->params.remote_pwd, po->pwd, sizeof(f->params.remote_pwd));
	if ((err = fx_start(f)))
		return err;
	return add_client_candidate(f, po);
}

/* The client starts (unless it was already listening) on the address it
 * announced and gets the relay's candidates: a pair is selected, DTLS
 * connects both sides and audio goes both ways. */
static int client_starts(fixture_t *f, const peer_opts_t *po)
{
	int err;

	if (!f->peer) {
		if ((err = fx_setup_peer(f, po)))
			return err;
		if ((err = cr_call_set_remote_fingerprint(f->call, peer_fingerprint(f->peer))))
			return err;
	}
	fx_give_relay_cands(f);
	if ((err = fx_wait(f, CR_EVENT_SELECTED_PAIR, 15000, NULL))) {
		fprintf(stderr, "  no pair selected\n");
		return err;
	}
	if ((err = fx_wait_connected(f, 10000)))
		return err;
	return fx_audio_roundtrip(f, 30, 10000);
}

/* Nobody answered the relay's checks, yet it never called ICE failed: it
 * kept checking with back-off (issue 16). */
static int still_checking(fixture_t *f)
{
	cr_call_stats_t st;
	int err = 0;

	TEST_ASSERT(!fx_trace_has(f, "comp 1 state failed"));
	TEST_ASSERT(fx_trace_has(f, "re-check round"));
	TEST_ERR(cr_call_get_stats(f->call, &st));
	TEST_ASSERT(st.ice_state != CR_ICE_FAILED);
	TEST_EQUALS(0, f->seen[CR_EVENT_ICE_FAILED]);
out:
	return err;
}

static int ringing(int ring_ms)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1", .ufrag = "RingUfrg",
			   .pwd = "RingingPasswordOf24Chars" };
	fixture_t f;
	int err = 0;

	TEST_ERR(client_offered(&f, &po, false));
	/* The phone rings. */
	fx_wait(&f, 0, ring_ms, NULL);
	/* Every check failed meanwhile, but the relay kept checking with
	 * back-off and never called it failed: no answer yet (issue 16). */
	TEST_ERR(still_checking(&f));
	TEST_ASSERT(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 0, NULL) != 0);
	/* Answered: the client starts, on the address it announced. */
	TEST_ERR(client_starts(&f, &po));
out:
	fx_teardown(&f);
	return err;
}

int test_media_ringing_45s(void)
{
	return ringing(45000);
}

int test_media_ringing_90s(void)
{
	return ringing(90000);
}

int test_media_ringing_late_answer(void)
{
	peer_opts_t po = { .controlling = false, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1", .ufrag = "LateUfrg",
			   .pwd = "LateAnswerPasswordOf24Ch" };
	fixture_t f;
	int err = 0;

	/* Not a port the kernel may hand to any socket meanwhile (its
	 * ephemeral range): the client binds it only 35 s from now. */
	if ((po.port = free_port(false, true)) < 0)
		return -1;
	TEST_ERR(fx_setup_relay(&f));
	f.hold_relay_cands = true; /* they went out in our session-initiate */
	f.params.ice_controlling = 1;
	f.params.dtls_role = CR_DTLS_PASSIVE; /* we offered actpass; the client is active */
	TEST_ERR(fx_start(&f));
	/* The owner's device rings for 15 s. */
	fx_wait(&f, 0, 15000, NULL);
	/* session-accept: the client's credentials and candidate; the trunk
	 * gets its 200 OK (what marks the answer in a real call). */
	TEST_ERR(cr_call_set_remote_credentials(f.call, po.ufrag, po.pwd));
	TEST_ERR(add_client_candidate(&f, &po));
	cr_media_call_answered(f.call);
	/* The client's ICE is slow to start: 20 s after its answer our checks
	 * still find nobody, yet the relay's pair is not failed. */
	fx_wait(&f, 0, 20000, NULL);
	TEST_ERR(still_checking(&f));
	/* Now it starts, on the address it announced. */
	TEST_ERR(client_starts(&f, &po));
	TEST_EQUALS(0, f.seen[CR_EVENT_ICE_FAILED]);
out:
	fx_teardown(&f);
	return err;
}

#define RECHECK_LINE "no check answered while ringing: checking again now"

/* Outbound: the client offered, the phone rings 1 s, then answers.
 * quiet: nothing listens at the client's address until the answer. */
static int short_ring(bool quiet)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1", .ufrag = "ShortUfr",
			   .pwd = "ShortRingPasswordOf24Chr" };
	fixture_t f;
	int err = 0;

	/* Not quiet: it answers our checks while ringing. */
	TEST_ERR(client_offered(&f, &po, !quiet));
	fx_wait(&f, 0, 1000, NULL);
	/* The 200 OK: the relay hears of the answer, the client gets it. */
	cr_media_call_answered(f.call);
	TEST_ERR(client_starts(&f, &po));
	TEST_ASSERT(fx_trace_has(&f, RECHECK_LINE) == quiet);
	TEST_EQUALS(0, f.seen[CR_EVENT_ICE_FAILED]);
out:
	fx_teardown(&f);
	return err;
}

int test_media_ringing_quiet_rechecked(void)
{
	return short_ring(true);
}

int test_media_ringing_answered_kept(void)
{
	return short_ring(false);
}
