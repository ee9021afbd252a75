/**
 * @file test_poller.c  The worker's epoll set (relay/src/poller.c) over real UDP sockets
 *
 * Every SIP-leg socket of a call is read through it (the media tests cover
 * that end to end); these check what a call's teardown relies on: every
 * ready socket is served by a dispatch, and a handle removed from inside a
 * dispatch, or after its poller is gone, is never used again (ASan would
 * report the use after free).
 */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "poller.h"
#include "test.h"

int test_poller_serves_every_ready_socket(void);
int test_poller_remove_inside_dispatch(void);
int test_poller_remove_after_free(void);
int test_poller_tick_batches_a_busy_wakeup(void);
int test_poller_one_wakeup_serves_hundreds(void);

#define N_SOCKS 3

typedef struct {
	int reads;
	gint64 first_read, last_read; /* monotonic, us */
	cr_poll_fd_t **other; /* removed by this handler, when set */
	bool *other_removed;
} seen_t;

static int udp_socket(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) ||
	    getsockname(fd, (struct sockaddr *)addr, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void on_readable(int fd, void *data)
{
	seen_t *s = data;
	char buf[64];

	while (recv(fd, buf, sizeof(buf), 0) > 0) {
		s->last_read = g_get_monotonic_time();
		if (!s->reads++)
			s->first_read = s->last_read;
	}
	if (s->other && !*s->other_removed) {
		cr_poller_remove(*s->other);
		*s->other = NULL;
		*s->other_removed = true;
	}
}

/* Iterates ctx until cond or 2 s. */
#define PUMP_UNTIL(ctx, cond)                                                      \
	do {                                                                       \
		gint64 end_ = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;         \
		while (!(cond) && g_get_monotonic_time() < end_)                   \
			g_main_context_iteration((ctx), FALSE) || (g_usleep(1000), 0); \
	} while (0)

int test_poller_serves_every_ready_socket(void)
{
	GMainContext *ctx = g_main_context_new();
	cr_poller_t *p = cr_poller_new(ctx, 0);
	cr_poll_fd_t *h[N_SOCKS] = { 0 };
	struct sockaddr_in addr[N_SOCKS];
	int fds[N_SOCKS], tx = socket(AF_INET, SOCK_DGRAM, 0), err = 0;
	seen_t seen[N_SOCKS] = { 0 };

	for (int i = 0; i < N_SOCKS; i++)
		fds[i] = udp_socket(&addr[i]);
	TEST_ASSERT(p && tx >= 0);
	for (int i = 0; i < N_SOCKS; i++) {
		TEST_ASSERT(fds[i] >= 0);
		h[i] = cr_poller_add(p, fds[i], on_readable, &seen[i]);
		TEST_ASSERT(h[i]);
	}
	/* Two datagrams to each socket, all waiting before the first dispatch. */
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < N_SOCKS; i++)
			TEST_EQUALS(4, sendto(tx, "ping", 4, 0, (struct sockaddr *)&addr[i],
					      sizeof(addr[i])));
	PUMP_UNTIL(ctx, seen[0].reads + seen[1].reads + seen[2].reads == 2 * N_SOCKS);
	for (int i = 0; i < N_SOCKS; i++)
		TEST_EQUALS(2, seen[i].reads);
out:
	for (int i = 0; i < N_SOCKS; i++) {
		cr_poller_remove(h[i]);
		if (fds[i] >= 0)
			close(fds[i]);
	}
	if (tx >= 0)
		close(tx);
	cr_poller_free(p);
	g_main_context_unref(ctx);
	return err;
}

int test_poller_remove_inside_dispatch(void)
{
	GMainContext *ctx = g_main_context_new();
	cr_poller_t *p = cr_poller_new(ctx, 0);
	cr_poll_fd_t *h[2] = { 0 };
	struct sockaddr_in addr[2];
	int fds[2], tx = socket(AF_INET, SOCK_DGRAM, 0), err = 0;
	bool removed = false;
	/* Each removes the other: whichever runs first, the other, ready in
	 * the same epoll_wait, must not run (a call closed by its own packet). */
	seen_t seen[2] = { { .other = &h[1], .other_removed = &removed },
			    { .other = &h[0], .other_removed = &removed } };

	for (int i = 0; i < 2; i++)
		fds[i] = udp_socket(&addr[i]);
	TEST_ASSERT(p && tx >= 0 && fds[0] >= 0 && fds[1] >= 0);
	for (int i = 0; i < 2; i++)
		TEST_ASSERT((h[i] = cr_poller_add(p, fds[i], on_readable, &seen[i])));
	for (int i = 0; i < 2; i++)
		TEST_EQUALS(4, sendto(tx, "ping", 4, 0, (struct sockaddr *)&addr[i],
				      sizeof(addr[i])));
	g_usleep(20000); /* both queued: one epoll_wait returns both */
	PUMP_UNTIL(ctx, removed);
	TEST_ASSERT(removed);
	/* Let any further dispatch happen: the removed one stays silent. */
	for (int i = 0; i < 20; i++)
		g_main_context_iteration(ctx, FALSE);
	TEST_EQUALS(1, seen[0].reads + seen[1].reads);
	/* The survivor still works. */
	if (seen[0].reads) {
		TEST_EQUALS(4, sendto(tx, "ping", 4, 0, (struct sockaddr *)&addr[0], sizeof(addr[0])));
		PUMP_UNTIL(ctx, seen[0].reads == 2);
		TEST_EQUALS(2, seen[0].reads);
	} else {
		TEST_EQUALS(4, sendto(tx, "ping", 4, 0, (struct sockaddr *)&addr[1], sizeof(addr[1])));
		PUMP_UNTIL(ctx, seen[1].reads == 2);
		TEST_EQUALS(2, seen[1].reads);
	}
out:
	cr_poller_remove(h[0]); /* NULL once a handler removed it */
	cr_poller_remove(h[1]);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (tx >= 0)
		close(tx);
	cr_poller_free(p);
	g_main_context_unref(ctx);
	return err;
}

int test_poller_remove_after_free(void)
{
	GMainContext *ctx = g_main_context_new();
	cr_poller_t *p = cr_poller_new(ctx, 0);
	cr_poll_fd_t *h = NULL;
	struct sockaddr_in addr;
	int fd = udp_socket(&addr), err = 0;
	seen_t seen = { 0 };

	TEST_ASSERT(p && fd >= 0);
	TEST_ASSERT((h = cr_poller_add(p, fd, on_readable, &seen)));
	/* A call whose worker stopped first: the handle keeps the set alive. */
	cr_poller_free(p);
	p = NULL;
	g_main_context_unref(ctx);
	ctx = NULL;
	cr_poller_remove(h);
	h = NULL;
	/* A bad fd is refused with errno, not a crash. */
	ctx = g_main_context_new();
	p = cr_poller_new(ctx, 0);
	TEST_ASSERT(p);
	TEST_ASSERT(cr_poller_add(p, -1, on_readable, &seen) == NULL);
	TEST_EQUALS(0, seen.reads);
out:
	cr_poller_remove(h);
	cr_poller_free(p);
	if (ctx)
		g_main_context_unref(ctx);
	if (fd >= 0)
		close(fd);
	return err;
}

/* With a tick, a wake-up that found CR_POLLER_BUSY sockets ready stops
 * watching: what arrives next waits for the tick (GLib never dispatches
 * before a source's ready time), then the next wake-up takes it. */
int test_poller_tick_batches_a_busy_wakeup(void)
{
	enum { N = CR_POLLER_BUSY + 1 };
	GMainContext *ctx = g_main_context_new();
	cr_poller_t *p = cr_poller_new(ctx, CR_POLLER_MAX_TICK_US);
	cr_poll_fd_t *h[N] = { 0 };
	struct sockaddr_in addr[N];
	int fds[N], tx = socket(AF_INET, SOCK_DGRAM, 0), err = 0;
	seen_t seen[N] = { 0 };
	gint64 first_batch_end, second_batch_start;

	for (int i = 0; i < N; i++)
		fds[i] = udp_socket(&addr[i]);
	TEST_ASSERT(p && tx >= 0);
	for (int i = 0; i < N; i++) {
		TEST_ASSERT(fds[i] >= 0);
		TEST_ASSERT((h[i] = cr_poller_add(p, fds[i], on_readable, &seen[i])));
	}
	for (int i = 0; i < N; i++)
		TEST_EQUALS(4, sendto(tx, "ping", 4, 0, (struct sockaddr *)&addr[i], sizeof(addr[i])));
	g_usleep(20000); /* all of them ready at the first wake-up: busy */
	PUMP_UNTIL(ctx, seen[0].reads + seen[1].reads + seen[2].reads + seen[3].reads +
				seen[4].reads == N);
	first_batch_end = 0;
	for (int i = 0; i < N; i++)
		first_batch_end = MAX(first_batch_end, seen[i].last_read);
	for (int i = 0; i < N; i++)
		TEST_EQUALS(4, sendto(tx, "pong", 4, 0, (struct sockaddr *)&addr[i], sizeof(addr[i])));
	PUMP_UNTIL(ctx, seen[0].reads + seen[1].reads + seen[2].reads + seen[3].reads +
				seen[4].reads == 2 * N);
	second_batch_start = G_MAXINT64;
	for (int i = 0; i < N; i++) {
		TEST_EQUALS(2, seen[i].reads);
		second_batch_start = MIN(second_batch_start, seen[i].last_read);
	}
	/* The busy wake-up ended after its last read and set the tick from
	 * there: nothing was read again before it passed. */
	if (second_batch_start - first_batch_end < CR_POLLER_MAX_TICK_US)
		TEST_FAIL("read again %lld us after the busy wake-up, inside the tick",
			  (long long)(second_batch_start - first_batch_end));
out:
	for (int i = 0; i < N; i++) {
		cr_poller_remove(h[i]);
		if (fds[i] >= 0)
			close(fds[i]);
	}
	if (tx >= 0)
		close(tx);
	cr_poller_free(p);
	g_main_context_unref(ctx);
	return err;
}

/* More ready sockets than one epoll_wait returns (64): one wake-up serves
 * them all, or with the tick the rest would wait a tick each 64 sockets
 * (a worker capped at 64 sockets per tick). */
int test_poller_one_wakeup_serves_hundreds(void)
{
	enum { MANY = 200 };
	GMainContext *ctx = g_main_context_new();
	cr_poller_t *p = cr_poller_new(ctx, 1000);
	cr_poll_fd_t *h[MANY] = { 0 };
	struct sockaddr_in addr[MANY];
	int fds[MANY], tx = socket(AF_INET, SOCK_DGRAM, 0), err = 0, served = 0;
	seen_t *seen = g_new0(seen_t, MANY);

	for (int i = 0; i < MANY; i++)
		fds[i] = udp_socket(&addr[i]);
	TEST_ASSERT(p && tx >= 0);
	for (int i = 0; i < MANY; i++) {
		TEST_ASSERT(fds[i] >= 0);
		TEST_ASSERT((h[i] = cr_poller_add(p, fds[i], on_readable, &seen[i])));
	}
	for (int i = 0; i < MANY; i++)
		TEST_EQUALS(4, sendto(tx, "ping", 4, 0, (struct sockaddr *)&addr[i],
				      sizeof(addr[i])));
	g_usleep(20000); /* all queued before the first wake-up */
	/* One iteration that dispatches: every socket read in it. */
	for (int i = 0; i < 100 && !served; i++) {
		g_main_context_iteration(ctx, FALSE);
		for (int k = 0; k < MANY; k++)
			served += seen[k].reads;
	}
	TEST_EQUALS(MANY, served);
out:
	for (int i = 0; i < MANY; i++) {
		cr_poller_remove(h[i]);
		if (fds[i] >= 0)
			close(fds[i]);
	}
	if (tx >= 0)
		close(tx);
	g_free(seen);
	cr_poller_free(p);
	g_main_context_unref(ctx);
	return err;
}
