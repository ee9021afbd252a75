/**
 * @file test_sip_malformed.c  Malformed INVITEs never reach the plugin as calls
 *
 * Sofia parses and rejects broken SIP; an INVITE whose SDP has no usable
 * audio gets our 488. Either way no call is made and no event is raised,
 * and the UA keeps working for the next, valid call.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_malformed_invites(void);
int sip_test_take_inbound(sip_test_t *t, cr_event_t *ev);

/* Sends one datagram to the relay and returns the first response line. */
static int exchange(int fd, int port, const char *msg, char *first, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096];
	ssize_t n;

	first[0] = '\0';
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	/* Skip 100 Trying; wait for a final answer (or silence). */
	while (poll(&pfd, 1, 1500) > 0) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			break;
		buf[n] = '\0';
		if (strncmp(buf, "SIP/2.0 1", 9) == 0)
			continue;
		snprintf(first, len, "%.*s", (int)strcspn(buf, "\r\n"), buf);
		break;
	}
	return 0;
}

int test_sip_malformed_invites(void)
{
	sip_test_t t;
	cr_sip_stats_t stats;
	cr_event_t ev;
	char msg[2048], first[128];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int err = 0, fd = -1, port;
	const char *junk_sdp = "v=0\r\nthis is junk\r\n";

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	port = free_port(false, false);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	TEST_ASSERT(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);

	/* No Call-ID, and a CSeq that is not one: Sofia's to reject. */
	snprintf(msg, sizeof(msg),
		 "INVITE sip:1555@127.0.0.1:%d SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-bad-1\r\n"
		 "From: <sip:evil@127.0.0.1>;tag=1\r\nTo: <sip:1555@127.0.0.1>\r\n"
		 "CSeq: banana INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		 t.sip_port, port);
	TEST_ERR(exchange(fd, t.sip_port, msg, first, sizeof(first)));
	TEST_ASSERT(first[0] == '\0' || strncmp(first, "SIP/2.0 400", 11) == 0);

	/* Well-formed SIP, SDP without audio: our 488. */
	snprintf(msg, sizeof(msg),
		 "INVITE sip:1555@127.0.0.1:%d SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-bad-2\r\n"
		 "From: <sip:evil@127.0.0.1>;tag=2\r\nTo: <sip:1555@127.0.0.1>\r\n"
		 "Call-ID: bad-2@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
		 "Contact: <sip:evil@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n"
		 "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		 t.sip_port, port, port, strlen(junk_sdp), junk_sdp);
	TEST_ERR(exchange(fd, t.sip_port, msg, first, sizeof(first)));
	TEST_STREQ("SIP/2.0 488 Not Acceptable Here", first);

	TEST_ASSERT(wait_event(t.relay, CR_EVENT_SIP_INCOMING, 0, 300, &ev) != 0);
	cr_relay_get_sip_stats(t.relay, &stats);
	TEST_ASSERT(stats.invites_received <= 1); /* the junk SDP one, if any */

	/* And a real call still works. */
	TEST_ERR(sip_test_uac(&t, "uac_call.xml", "15550009900", NULL));
	TEST_ERR(sip_test_take_inbound(&t, &ev));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(wait_event(t.relay, CR_EVENT_SIP_HANGUP, t.id, 15000, &ev));
	TEST_ERR(sip_test_sipp_done(&t, 1, 10000));
out:
	if (fd >= 0)
		close(fd);
	sip_test_teardown(&t);
	return err;
}
