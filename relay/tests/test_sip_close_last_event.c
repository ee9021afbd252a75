/**
 * @file test_sip_close_last_event.c  Closing an answered call: CR_EVENT_CALL_CLOSED is its last event
 *
 * Found with the Lua real-call spec: closing a call sends BYE on the SIP
 * thread while the worker frees the media and reports CALL_CLOSED at once;
 * the 200 to the BYE then raised CR_EVENT_SIP_ENDED about a call its owner
 * had closed and the relay had reported freed. The caller closed the call,
 * so nothing more is said about it; the BYE still goes out (sipp ends its
 * scenario cleanly only when it gets one).
 */
#include <glib.h>
#include <poll.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_close_last_event(void);

/* Drains events for up to ms; the index of CALL_CLOSED about id is kept in
 * *closed_at and any event about id after it counted in *after. */
static void drain(cr_relay_t *relay, uint32_t id, int ms, int *seen, int *closed_at, int *after,
		  int *after_type)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	cr_event_t batch[16];

	while (g_get_monotonic_time() < end) {
		struct pollfd pfd = { .fd = cr_relay_event_fd(relay), .events = POLLIN };
		int n;

		poll(&pfd, 1, 50);
		n = cr_relay_poll_events(relay, batch, 16);
		for (int i = 0; i < n; i++) {
			if (batch[i].call_id != id)
				continue;
			(*seen)++;
			if (*closed_at >= 0) {
				(*after)++;
				*after_type = batch[i].type;
			} else if (batch[i].type == CR_EVENT_CALL_CLOSED) {
				*closed_at = *seen;
			}
		}
	}
}

int test_sip_close_last_event(void)
{
	sip_test_t t;
	cr_event_t ev;
	int err = 0, seen = 0, closed_at = -1, after = 0, after_type = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(sip_test_uas(&t, NULL, NULL));
	TEST_ERR(sip_test_dial(&t, "15550000300"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	cr_call_close(t.call, "test done");
	t.call = NULL;
	/* sipp ends once its BYE is answered; the relay sees its 200 by then. */
	TEST_ERR(sip_test_sipp_done(&t, 1, 15000));
	drain(t.relay, t.id, 1000, &seen, &closed_at, &after, &after_type);
	if (closed_at < 0)
		TEST_FAIL("no CALL_CLOSED among %d events about the call", seen);
	if (after)
		TEST_FAIL("%d events (the last of type %d) came after CALL_CLOSED", after, after_type);
out:
	sip_test_teardown(&t);
	return err;
}
