/**
 * @file test_media_renomination.c  Test 5: Conversations-like renomination (NOMINATION 0xC001) moves the media
 *
 * docs/INTEROP.md#5. The client (controlling) nominates with NOMINATION and never
 * USE-CANDIDATE, as libwebrtc does once renomination is on, without the
 * option being negotiated. It has two host candidates: A (higher priority)
 * and B. It nominates A with value 1; the call completes and audio comes
 * back on A. It then nominates B with value 2: the relay must move its
 * media to B although A ranks higher, report the new selected pair, and
 * trace both nomination values. A stale value 1 on A afterwards changes
 * nothing: the highest value wins.
 */
#include <glib.h>

#include "media_fixture.h"
#include "peer_stun.h"
#include "test.h"

int test_media_renomination(void);

/* Every socket of the peer's has had its checks answered and answered ours. */
static bool checked_both_ways(speer_t *sp)
{
	for (int i = 0; i < SPEER_SOCKS; i++)
		if (speer_checks_answered(sp, i) <= 0 || speer_requests_answered(sp, i) <= 0)
			return false;
	return true;
}

int test_media_renomination(void)
{
	fixture_t f;
	speer_t *sp = NULL;
	cr_event_t ev;
	cr_call_stats_t st;
	char cand[256], port_b[16];
	const char *rc = NULL;
	int err = 0, b_before, seen;

	TEST_ERR(fx_setup_relay(&f));
	TEST_ERR(speer_new("127.0.0.1", &sp));
	g_snprintf(port_b, sizeof(port_b), ":%d", speer_port(sp, 1));
	TEST_ERR(fx_speer_start(&f, sp, &rc));
	/* A outranks B in the relay's own ordering. */
	speer_candidate(sp, 0, 2130706431u, cand, sizeof(cand));
	TEST_ERR(cr_call_add_remote_candidate(f.call, cand));
	speer_candidate(sp, 1, 2130706175u, cand, sizeof(cand));
	TEST_ERR(cr_call_add_remote_candidate(f.call, cand));

	/* Both pairs are checked both ways before the first nomination. */
	speer_probe(sp);
	FX_PUMP_UNTIL(&f, checked_both_ways(sp), 10000);
	TEST_ASSERT(speer_checks_answered(sp, 1) > 0 && speer_requests_answered(sp, 1) > 0);
	TEST_EQUALS(0, f.seen[CR_EVENT_SELECTED_PAIR]); /* checked, not nominated */
	/* A nominated with 1: the call comes up there, audio back on A. */
	TEST_ERR(fx_speer_nominate_up(&f, sp, 0, 1));
	TEST_EQUALS(0, speer_audio_received(sp, 1));
	speer_nominate(sp, 1, 2);
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 10000, &ev));
	TEST_ASSERT(strstr(ev.text, port_b) != NULL);
	b_before = speer_audio_received(sp, 0);
	TEST_ERR(fx_speer_audio_on(&f, sp, 1, 25, 10000));
	/* Nothing more toward A once the media moved (a packet in flight at
	 * the switch aside). */
	TEST_ASSERT(speer_audio_received(sp, 0) - b_before <= 2);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(strstr(st.selected_pair, port_b) != NULL);
	TEST_ASSERT(fx_trace_has(&f, "NOMINATION attr") && fx_trace_has(&f, "value is 1") &&
		    fx_trace_has(&f, "value is 2"));
	/* A stale, lower value on A (reordered or from an old check): libnice
	 * alone would go back to A, which ranks higher; the media stays on B
	 * and the signaling hears of no other pair. */
	seen = f.seen[CR_EVENT_SELECTED_PAIR];
	speer_nominate(sp, 0, 1);
	fx_wait(&f, 0, 2500, NULL);
	TEST_ERR(fx_speer_audio_on(&f, sp, 1, 25, 10000));
	TEST_EQUALS(seen, f.seen[CR_EVENT_SELECTED_PAIR]);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(strstr(st.selected_pair, port_b) != NULL);
	TEST_ASSERT(fx_trace_has(&f, "stale nomination 1 (have 2) ignored"));
out:
	fx_teardown(&f);
	speer_free(sp);
	return err;
}
