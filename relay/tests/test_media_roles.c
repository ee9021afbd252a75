/**
 * @file test_media_roles.c  Test 10: the relay controlling (inbound call); test 6: both start controlling
 */
#include <glib.h>

#include "helpers.h"
#include "media_fixture.h"
#include "test.h"

int test_media_relay_controlling(void);
int test_media_role_conflict(void);

int test_media_relay_controlling(void)
{
	/* Inbound: we offered (actpass), the client answered setup=passive,
	 * so we are the DTLS client and the controlling agent. */
	peer_opts_t po = { .controlling = false, .dtls_active = false, .components = 1 };
	fixture_t f;
	cr_call_stats_t st;
	char pl[64], pr[64];
	int err = 0;

	TEST_ERR(fx_setup(&f, &po));
	TEST_EQUALS(1, f.params.ice_controlling);
	TEST_EQUALS(CR_DTLS_ACTIVE, f.params.dtls_role);
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_trickle_peer(&f, 0, 20));
	TEST_ERR(cr_call_end_of_candidates(f.call));
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 10000, NULL));
	TEST_ERR(fx_wait_connected(&f, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 30, 10000));
	TEST_ERR(peer_selected(f.peer, pl, pr, sizeof(pl)));
	TEST_ERR(cr_call_get_stats(f.call, &st));
	/* The pair the controlled peer uses is the one we nominated. */
	TEST_ASSERT(strstr(st.selected_pair, pl) != NULL);
	TEST_ASSERT(fx_trace_has(&f, "dtls connected role=client"));
	TEST_ASSERT(fx_trace_has(&f, "role=controlling"));
	TEST_ASSERT(fx_trace_has(&f, "nominated"));
out:
	fx_teardown(&f);
	return err;
}

int test_media_role_conflict(void)
{
	/* Both agents believe they control (RFC 8445 7.3.1.1). */
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1 };
	fixture_t f;
	int err = 0;

	TEST_ERR(fx_setup(&f, &po));
	f.params.ice_controlling = 1;
	TEST_ERR(fx_start(&f));
	/* The peer gets our candidates first, so its checks (ICE-CONTROLLING)
	 * reach us while we control too: we see the conflict ourselves. */
	TEST_ERR(fx_wait(&f, CR_EVENT_GATHERING_DONE, 5000, NULL));
	fx_wait(&f, 0, 300, NULL);
	TEST_ERR(fx_trickle_peer(&f, 0, 20));
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 15000, NULL));
	TEST_ERR(fx_wait_connected(&f, 10000));
	TEST_ERR(fx_audio_roundtrip(&f, 30, 10000));
	/* Which side gives in depends on the random tie-breakers; either
	 * way the trace says what happened. */
	TEST_ASSERT(fx_trace_has(&f, "Role conflict"));
out:
	fx_teardown(&f);
	return err;
}
