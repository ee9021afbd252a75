/**
 * @file test_udp_batch.c  Draining a datagram socket in batches (relay/src/udp_batch.c) over real UDP
 *
 * The SIP leg's sockets and the client leg's fast path read through it (the
 * media tests cover those end to end); these check its contract on loopback
 * sockets: every queued datagram is handed with its source, the cap per
 * call holds and the rest waits for the next call, a short batch ends the
 * reading (an emptied socket is not read again), and the callback can end
 * a drain at once or after the batch in hand.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"
#include "udp_batch.h"

int test_udp_batch_delivers_each_with_source(void);
int test_udp_batch_cap_leaves_the_rest(void);
int test_udp_batch_short_batch_ends_reading(void);
int test_udp_batch_callback_ends_the_drain(void);

#define SIZE 64   /* bytes read of a datagram */
#define ROOM 16   /* the caller's room after it */
#define MAX_SEEN 128

static uint8_t bufs[CR_UDP_BATCH][SIZE + ROOM];

typedef struct {
	int n;
	uint32_t seq[MAX_SEEN];     /* first 4 bytes of each datagram */
	size_t len[MAX_SEEN];
	in_port_t port[MAX_SEEN];   /* source port, network order */
	int stop_at, no_read_at;    /* 1-based datagram count; 0 = never */
	int sent_after_last;        /* datagrams sent from inside the callback */
	int send_at;                /* after this datagram, send one more: 0 = never */
	int tx, rx_fd;
	struct sockaddr_in rx_addr;
} seen_t;

/* Datagram seq (4 bytes, then len - 4 bytes of filler) from fd to addr. */
static bool send_seq(int fd, const struct sockaddr_in *addr, uint32_t seq, size_t len)
{
	uint8_t d[256];

	if (len < sizeof(seq) || len > sizeof(d))
		return false;
	memset(d, 0x5a, len);
	memcpy(d, &seq, sizeof(seq));
	return sendto(fd, d, len, 0, (const struct sockaddr *)addr, sizeof(*addr)) == (ssize_t)len;
}

static cr_udp_next_t on_datagram(void *data, uint8_t *buf, size_t len,
				 const struct sockaddr_storage *from, socklen_t from_len)
{
	seen_t *s = data;
	int i = s->n;

	if (i < MAX_SEEN) {
		memcpy(&s->seq[i], buf, sizeof(s->seq[i]));
		s->len[i] = len;
		s->port[i] = from->ss_family == AF_INET && from_len >= sizeof(struct sockaddr_in)
				     ? ((const struct sockaddr_in *)from)->sin_port
				     : 0;
	}
	s->n++;
	if (s->send_at && s->n == s->send_at &&
	    send_seq(s->tx, &s->rx_addr, 1000, 20))
		s->sent_after_last++;
	if (s->stop_at && s->n >= s->stop_at)
		return CR_UDP_STOP;
	if (s->no_read_at && s->n >= s->no_read_at)
		return CR_UDP_NO_READ;
	return CR_UDP_NEXT;
}

static int drain(seen_t *s, int max)
{
	return cr_udp_batch_drain(s->rx_fd, bufs[0], sizeof(bufs[0]), SIZE, max, on_datagram, s);
}

/* Datagrams first..first+count-1 from tx to rx, 20 bytes each. */
static bool queue(int tx, const struct sockaddr_in *rx, uint32_t first, int count)
{
	for (int i = 0; i < count; i++)
		if (!send_seq(tx, rx, first + (uint32_t)i, 20))
			return false;
	return true;
}

/* The socket drained (s->rx_fd) and one to send to it from (s->tx). */
static bool rig_open(seen_t *s)
{
	s->rx_fd = loopback_udp_socket(&s->rx_addr);
	s->tx = loopback_udp_socket(&(struct sockaddr_in){ 0 });
	return s->rx_fd >= 0 && s->tx >= 0;
}

static void rig_close(seen_t *s)
{
	if (s->rx_fd >= 0)
		close(s->rx_fd);
	if (s->tx >= 0)
		close(s->tx);
}

/* Datagrams from two senders, one longer than SIZE: each handed once, in
 * order, with the port it came from; the long one cut at SIZE. */
int test_udp_batch_delivers_each_with_source(void)
{
	struct sockaddr_in a_addr, b_addr;
	int err = 0, a = -1, b = -1;
	seen_t s = { 0 };

	s.rx_fd = loopback_udp_socket(&s.rx_addr);
	a = loopback_udp_socket(&a_addr);
	b = loopback_udp_socket(&b_addr);
	TEST_ASSERT(s.rx_fd >= 0 && a >= 0 && b >= 0);
	for (uint32_t i = 0; i < 10; i++)
		TEST_ASSERT(send_seq(i % 2 ? b : a, &s.rx_addr, i, i == 7 ? 200 : 20));
	TEST_EQUALS(10, drain(&s, 64));
	TEST_EQUALS(10, s.n);
	for (int i = 0; i < 10; i++) {
		TEST_EQUALS(i, s.seq[i]);
		TEST_EQUALS(ntohs(i % 2 ? b_addr.sin_port : a_addr.sin_port), ntohs(s.port[i]));
		TEST_EQUALS(i == 7 ? SIZE : 20, s.len[i]);
	}
	/* Empty now: nothing more, no callback. */
	TEST_EQUALS(0, drain(&s, 64));
	TEST_EQUALS(10, s.n);
out:
	if (s.rx_fd >= 0)
		close(s.rx_fd);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return err;
}

/* 40 queued, a cap of 20 (not a multiple of the batch): exactly 20, then
 * the other 20 in order on the next call. */
int test_udp_batch_cap_leaves_the_rest(void)
{
	int err = 0;
	seen_t s = { 0 };

	TEST_ASSERT(rig_open(&s));
	TEST_ASSERT(queue(s.tx, &s.rx_addr, 0, 40));
	TEST_EQUALS(20, drain(&s, 20));
	TEST_EQUALS(20, s.n);
	TEST_EQUALS(20, drain(&s, 64));
	TEST_EQUALS(40, s.n);
	for (int i = 0; i < 40; i++)
		TEST_EQUALS(i, s.seq[i]);
	TEST_EQUALS(0, drain(&s, 64));
out:
	rig_close(&s);
	return err;
}

/* A batch that came back short means the socket was empty: a datagram
 * that arrives while that batch is handed waits for the next call (a read
 * after a short batch would take it, and end in a failed read otherwise). */
int test_udp_batch_short_batch_ends_reading(void)
{
	int err = 0;
	seen_t s = { 0 };

	TEST_ASSERT(rig_open(&s));
	/* A full batch and 5 more: the full one is followed by a read. */
	TEST_ASSERT(queue(s.tx, &s.rx_addr, 0, CR_UDP_BATCH + 5));
	s.send_at = CR_UDP_BATCH + 5; /* the last of the short batch */
	TEST_EQUALS(CR_UDP_BATCH + 5, drain(&s, 64));
	TEST_EQUALS(1, s.sent_after_last);
	TEST_EQUALS(CR_UDP_BATCH + 5, s.n);
	s.send_at = 0;
	TEST_EQUALS(1, drain(&s, 64));
	TEST_EQUALS(1000, s.seq[CR_UDP_BATCH + 5]);
out:
	rig_close(&s);
	return err;
}

/* CR_UDP_STOP at the 3rd of 20: no 4th callback, the batch in hand (16) is
 * gone, the 4 beyond it stay queued. CR_UDP_NO_READ at the 3rd of 20: the
 * batch in hand is handed whole, the 4 beyond it stay queued. */
int test_udp_batch_callback_ends_the_drain(void)
{
	int err = 0;
	seen_t s = { 0 };

	TEST_ASSERT(rig_open(&s));
	TEST_ASSERT(queue(s.tx, &s.rx_addr, 0, CR_UDP_BATCH + 4));
	s.stop_at = 3;
	TEST_EQUALS(CR_UDP_BATCH, drain(&s, 64));
	TEST_EQUALS(3, s.n);
	s.stop_at = 0;
	TEST_EQUALS(4, drain(&s, 64));
	TEST_EQUALS(7, s.n);
	for (int i = 0; i < 4; i++)
		TEST_EQUALS(CR_UDP_BATCH + i, s.seq[3 + i]);

	s.n = 0;
	TEST_ASSERT(queue(s.tx, &s.rx_addr, 100, CR_UDP_BATCH + 4));
	s.no_read_at = 3;
	TEST_EQUALS(CR_UDP_BATCH, drain(&s, 64));
	TEST_EQUALS(CR_UDP_BATCH, s.n);
	s.no_read_at = 0;
	TEST_EQUALS(4, drain(&s, 64));
	TEST_EQUALS(CR_UDP_BATCH + 4, s.n);
	for (int i = 0; i < CR_UDP_BATCH + 4; i++)
		TEST_EQUALS(100 + i, s.seq[i]);
out:
	rig_close(&s);
	return err;
}
