/**
 * @file test_media_ice_restart.c  ICE restart mid-call: new credentials both ways, media resumes
 *
 * The relay restarts ICE (cr_call_ice_restart: new local ufrag/pwd, also in
 * CR_EVENT_ICE_RESTARTED) during a call whose audio flows on the client's
 * address A. The client restarts too (new ufrag/pwd, its candidates again)
 * and now checks and nominates only from address B, which the relay never
 * saw before the restart: audio can only come back on B if the relay
 * checks with the new credentials on both sides. DTLS is not redone; the
 * SRTP keys carry on.
 */
#include <glib.h>

#include "media_fixture.h"
#include "peer_stun.h"
#include "test.h"

int test_media_ice_restart(void);

int test_media_ice_restart(void)
{
	fixture_t f;
	speer_t *sp = NULL;
	cr_event_t ev;
	cr_media_local_t nl;
	char cand[256], port_b[16], old_ufrag[CR_MAX_UFRAG_LEN], text[160];
	const char *rc = NULL;
	int err = 0;

	TEST_ERR(fx_setup_relay(&f));
	TEST_ERR(speer_new("127.0.0.1", &sp));
	g_snprintf(port_b, sizeof(port_b), ":%d", speer_port(sp, 1));
	/* Audio flows on A. */
	TEST_ERR(fx_speer_call_up(&f, sp, &rc));
	TEST_EQUALS(0, speer_checks_answered(sp, 1));

	/* Our restart: new credentials at once and in the event. */
	g_strlcpy(old_ufrag, f.local.ice_ufrag, sizeof(old_ufrag));
	TEST_ERR(cr_call_ice_restart(f.call, &nl));
	TEST_ASSERT(strcmp(nl.ice_ufrag, old_ufrag) != 0);
	TEST_ASSERT(strcmp(nl.ice_pwd, f.local.ice_pwd) != 0);
	TEST_ERR(fx_wait(&f, CR_EVENT_ICE_RESTARTED, 5000, &ev));
	g_snprintf(text, sizeof(text), "ufrag=%s pwd=%s", nl.ice_ufrag, nl.ice_pwd);
	TEST_STREQ(text, ev.text);
	/* The client's restart: new credentials, candidates again, and it now
	 * uses only B. */
	speer_restart(sp);
	TEST_ERR(cr_call_set_remote_credentials(f.call, speer_ufrag(sp), speer_pwd(sp)));
	TEST_ERR(speer_set_remote(sp, nl.ice_ufrag, nl.ice_pwd, f.local.fingerprint, rc));
	speer_candidate(sp, 1, 2130706175u, cand, sizeof(cand));
	TEST_ERR(cr_call_add_remote_candidate(f.call, cand));
	speer_nominate(sp, 1, 1);
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 10000, &ev));
	TEST_ASSERT(strstr(ev.text, port_b) != NULL);
	/* The relay answered B's checks keyed with the new password (the peer's
	 * thread may read that answer just after the relay reports the pair). */
	TEST_ERR(fx_speer_wait_answered(&f, sp, 1, 2000));
	TEST_ERR(fx_speer_audio_on(&f, sp, 1, 25, 10000));
	TEST_ASSERT(fx_trace_has(&f, "restart: new local ufrag=") &&
		    fx_trace_has(&f, nl.ice_ufrag));
out:
	fx_teardown(&f);
	speer_free(sp);
	return err;
}
