/**
 * @file test_sip_message_limits.c  SIP messages over 16 KiB, headers over 128 bytes
 *
 * Over NTATAG_MAXSIZE (16 KiB) a request is refused before Sofia parses it,
 * and the UA goes on answering at once. A From header encoding to more than
 * 128 bytes (where Sofia's sip_header_as_string() loses its NUL) reaches the
 * event and the trace exactly as sent.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_message_too_large(void);
int test_sip_message_too_large_tcp(void);
int test_sip_long_from_header(void);

static int udp_socket(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	*port = free_port(false, false);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)*port);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Sends msg (unless NULL) to the relay; the first final response line within timeout_ms
 * goes into first ("" when none), and how long it took into *ms. */
static int exchange(int fd, int port, const char *msg, size_t len, int timeout_ms,
		    char *first, size_t first_len, long *ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	gint64 start = g_get_monotonic_time();
	char buf[4096];
	ssize_t n;

	first[0] = '\0';
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	if (msg && sendto(fd, msg, len, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)len)
		return -1;
	while (poll(&pfd, 1, timeout_ms) > 0) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			break;
		buf[n] = '\0';
		if (strncmp(buf, "SIP/2.0 1", 9) == 0)
			continue;
		snprintf(first, first_len, "%.*s", (int)strcspn(buf, "\r\n"), buf);
		break;
	}
	*ms = (long)((g_get_monotonic_time() - start) / 1000);
	return 0;
}

/* Over TCP: sends msg on a new connection and reads until a final response
 * line, the peer closing, or timeout_ms. first gets the response line, ""
 * when the connection closed without one or nothing came. */
static int tcp_exchange(int port, const char *msg, size_t len, int timeout_ms, char *first,
			size_t first_len, bool *closed, long *ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	gint64 start = g_get_monotonic_time();
	char buf[4096];
	size_t have = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	first[0] = '\0';
	*closed = false;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    send(fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = timeout_ms - (int)((g_get_monotonic_time() - start) / 1000);
		char *line;
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (n <= 0) {
			*closed = true;
			break;
		}
		have += (size_t)n;
		buf[have] = '\0';
		/* Skip provisional responses; stop at the first final one. */
		for (line = buf; (line = strstr(line, "SIP/2.0 ")); line += 8)
			if (line[8] != '1' && strstr(line, "\r\n"))
				break;
		if (line) {
			snprintf(first, first_len, "%.*s", (int)strcspn(line, "\r\n"), line);
			break;
		}
		if (have >= sizeof(buf) - 1)
			have = 0;
	}
	*ms = (long)((g_get_monotonic_time() - start) / 1000);
	close(fd);
	return 0;
}

/* An OPTIONS of about `size` bytes (padded with one long header). */
static GString *options(int sip_port, int port, int seq, size_t size)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "OPTIONS sip:ping@127.0.0.1:%d SIP/2.0\r\n"
			       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-size-%d\r\n"
			       "From: <sip:probe@127.0.0.1>;tag=p%d\r\nTo: <sip:ping@127.0.0.1>\r\n"
			       "Call-ID: size-%d@127.0.0.1\r\nCSeq: %d OPTIONS\r\n"
			       "Max-Forwards: 70\r\n", sip_port, port, seq, seq, seq, seq);
	if (size > s->len + 64) {
		g_string_append(s, "X-Padding: ");
		while (s->len + 24 < size)
			g_string_append_c(s, 'x');
		g_string_append(s, "\r\n");
	}
	g_string_append(s, "Content-Length: 0\r\n\r\n");
	return s;
}

int test_sip_message_too_large(void)
{
	sip_test_t t;
	GString *msg = NULL;
	char first[128];
	int err = 0, fd = -1, port;
	long ms;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	fd = udp_socket(&port);
	TEST_ASSERT(fd >= 0);

	/* Under the limit (12 KiB): answered. */
	msg = options(t.sip_port, port, 1, 12 * 1024);
	TEST_ERR(exchange(fd, t.sip_port, msg->str, msg->len, 2000, first, sizeof(first), &ms));
	TEST_STREQ("SIP/2.0 200 OK", first);
	g_string_free(msg, TRUE);

	/* Over it (20 KiB): never processed; at most refused as too large
	 * (Sofia answers 413 Request Entity Too Large). */
	msg = options(t.sip_port, port, 2, 20 * 1024);
	TEST_ASSERT(msg->len > 16 * 1024);
	TEST_ERR(exchange(fd, t.sip_port, msg->str, msg->len, 1000, first, sizeof(first), &ms));
	if (first[0] && strncmp(first, "SIP/2.0 413", 11) != 0 &&
	    strncmp(first, "SIP/2.0 513", 11) != 0)
		TEST_FAIL("a 20 KiB OPTIONS got \"%s\"", first);
	g_string_free(msg, TRUE);

	/* And the next small one is answered at once. */
	msg = options(t.sip_port, port, 3, 0);
	TEST_ERR(exchange(fd, t.sip_port, msg->str, msg->len, 2000, first, sizeof(first), &ms));
	TEST_STREQ("SIP/2.0 200 OK", first);
	if (ms > 500)
		TEST_FAIL("OPTIONS after the big one answered in %ld ms", ms);
out:
	if (msg)
		g_string_free(msg, TRUE);
	if (fd >= 0)
		close(fd);
	sip_test_teardown(&t);
	return err;
}

int test_sip_long_from_header(void)
{
	sip_test_t t;
	cr_event_t ev;
	GString *msg = g_string_new(NULL);
	char from[512], value[1024], trace[8192], first[128];
	const char *sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
		"t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
	int err = 0, fd = -1, port;
	long ms;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	fd = udp_socket(&port);
	TEST_ASSERT(fd >= 0);
	/* As Sofia encodes it: "display" <uri>;tag=..., 150+ bytes. */
	snprintf(from, sizeof(from), "\"A Caller Whose Display Name Is Long Enough To Push "
		 "The Header Past The 128 Bytes Of Sofia Buffer\" "
		 "<sip:+15557654321@127.0.0.1:%d>;tag=long-from-1", port);
	TEST_ASSERT(strlen(from) > 140);
	g_string_printf(msg, "INVITE sip:15550001111@127.0.0.1:%d SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-long-from\r\n"
			"From: %s\r\nTo: <sip:15550001111@127.0.0.1:%d>\r\n"
			"Call-ID: long-from@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
			"Contact: <sip:caller@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n"
			"Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
			t.sip_port, port, from, t.sip_port, port, strlen(sdp), sdp);
	TEST_ERR(exchange(fd, t.sip_port, msg->str, msg->len, 100, first, sizeof(first), &ms));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_INCOMING, 0, 10000, &ev));
	TEST_ERR(text_value(ev.text, "from", value, sizeof(value)));
	TEST_STREQ(from, value);
	TEST_ERR(text_value(ev.text, "caller", value, sizeof(value)));
	TEST_STREQ("+15557654321", value);
	t.id = ev.call_id;
	TEST_ERR(cr_call_adopt(t.relay, t.id, &t.call));
	cr_call_get_trace(t.call, trace, sizeof(trace));
	g_snprintf(value, sizeof(value), "| From: %s |", from);
	if (!strstr(trace, value))
		TEST_FAIL("trace lacks \"%s\": %s", value, trace);
	/* Turn it down; the caller hears 486. */
	TEST_ERR(cr_sip_reject(t.call, 486));
	TEST_ERR(exchange(fd, t.sip_port, NULL, 0, 3000, first, sizeof(first), &ms));
	TEST_STREQ("SIP/2.0 486 Busy Here", first);
out:
	g_string_free(msg, TRUE);
	if (fd >= 0)
		close(fd);
	sip_test_teardown(&t);
	return err;
}

int test_sip_message_too_large_tcp(void)
{
	sip_test_t t;
	GString *msg = g_string_new(NULL);
	char first[128];
	bool closed;
	int err = 0;
	long ms;

	TEST_ERR(sip_test_setup(&t, "tcp", NULL));
	/* Headers announcing a 1 MB body: Sofia used to reserve it and wait for
	 * it; now the request is refused at once, before any body arrives. */
	g_string_printf(msg, "OPTIONS sip:ping@127.0.0.1:%d;transport=tcp SIP/2.0\r\n"
			"Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-tcp-big\r\n"
			"From: <sip:probe@127.0.0.1>;tag=t1\r\nTo: <sip:ping@127.0.0.1>\r\n"
			"Call-ID: tcp-big@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
			"Content-Type: text/plain\r\nContent-Length: 1000000\r\n\r\nxxxx",
			t.sip_port);
	TEST_ERR(tcp_exchange(t.sip_port, msg->str, msg->len, 3000, first, sizeof(first), &closed,
			      &ms));
	if (!(closed || strncmp(first, "SIP/2.0 413", 11) == 0 ||
	      strncmp(first, "SIP/2.0 513", 11) == 0))
		TEST_FAIL("a request announcing 1 MB got \"%s\" and the connection stayed open "
			  "for %ld ms", first, ms);

	/* A normal OPTIONS on a new connection is answered at once. */
	g_string_printf(msg, "OPTIONS sip:ping@127.0.0.1:%d;transport=tcp SIP/2.0\r\n"
			"Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-tcp-small\r\n"
			"From: <sip:probe@127.0.0.1>;tag=t2\r\nTo: <sip:ping@127.0.0.1>\r\n"
			"Call-ID: tcp-small@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
			"Content-Length: 0\r\n\r\n", t.sip_port);
	TEST_ERR(tcp_exchange(t.sip_port, msg->str, msg->len, 2000, first, sizeof(first), &closed,
			      &ms));
	TEST_STREQ("SIP/2.0 200 OK", first);
	if (ms > 500)
		TEST_FAIL("OPTIONS after the big one answered in %ld ms", ms);
out:
	g_string_free(msg, TRUE);
	sip_test_teardown(&t);
	return err;
}
