/**
 * @file test_poller.c  The worker's epoll set (relay/src/poller.c) over real UDP sockets
 *
 * Every SIP-leg socket of a call is read through it (the media tests cover
 * that end to end); these check what a call's teardown relies on: every
 * ready socket is served by a dispatch, and a handle removed from inside a
 * dispatch, or after its poller is gone, is never used again (ASan would
 * report the use after free); and the tick (media_tick_us): a busy wake-up
 * rests until a tick after it began, on a timer of its own, and one that
 * took the whole tick does not rest at all; and a dispatch leaves no
 * wake-up of its context behind. Timing is asserted only as lower bounds
 * (never early), which load cannot break.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "poller.h"
#include "test.h"

int test_poller_serves_every_ready_socket(void);
int test_poller_remove_inside_dispatch(void);
int test_poller_remove_after_free(void);
int test_poller_tick_batches_a_busy_wakeup(void);
int test_poller_one_wakeup_serves_hundreds(void);
int test_poller_tick_wakes_by_its_own_timer(void);
int test_poller_long_dispatch_leaves_no_rest(void);
int test_poller_dispatch_leaves_no_wakeup(void);

#define N_SOCKS 3
#define RIG_MAX 8

typedef struct {
	int reads;
	gint64 first_read, last_read; /* monotonic, us */
	gulong sleep_us; /* the handler's first call sleeps this long (a slow dispatch) */
	cr_poll_fd_t **other; /* removed by this handler, when set */
	bool *other_removed;
} seen_t;

static void on_readable(int fd, void *data)
{
	seen_t *s = data;
	char buf[64];

	if (s->sleep_us) {
		g_usleep(s->sleep_us);
		s->sleep_us = 0;
	}
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

/* A poller on its own context watching n UDP sockets on loopback, and a
 * socket to send to them from. */
typedef struct {
	GMainContext *ctx;
	cr_poller_t *p;
	int n, tx;
	int fds[RIG_MAX];
	struct sockaddr_in addr[RIG_MAX];
	cr_poll_fd_t *h[RIG_MAX];
} rig_t;

/* tick_us as cr_poller_new(); socket i dispatches to on_readable with
 * seen[i]. Says what failed; rig_close() frees what was made either way. */
static int rig_open(rig_t *r, int n, int tick_us, seen_t *seen)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	r->tx = -1;
	for (int i = 0; i < RIG_MAX; i++)
		r->fds[i] = -1;
	if (n > RIG_MAX) {
		fprintf(stderr, "  rig: %d sockets, at most %d\n", n, RIG_MAX);
		return -1;
	}
	r->ctx = g_main_context_new();
	r->p = cr_poller_new(r->ctx, tick_us);
	r->tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (!r->p || r->tx < 0) {
		fprintf(stderr, "  rig: no poller or no sending socket\n");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		r->fds[i] = loopback_udp_socket(&r->addr[i]);
		if (r->fds[i] < 0) {
			fprintf(stderr, "  rig: socket %d not bound\n", i);
			return -1;
		}
		r->h[i] = cr_poller_add(r->p, r->fds[i], on_readable, &seen[i]);
		if (!r->h[i]) {
			fprintf(stderr, "  rig: socket %d not added to the poller\n", i);
			return -1;
		}
	}
	return 0;
}

/* One datagram to socket i; what sendto() returned. */
static ssize_t rig_send(rig_t *r, int i, const char *msg)
{
	return sendto(r->tx, msg, strlen(msg), 0, (struct sockaddr *)&r->addr[i], sizeof(r->addr[i]));
}

static int reads_total(const seen_t *seen, int n)
{
	int total = 0;

	for (int i = 0; i < n; i++)
		total += seen[i].reads;
	return total;
}

/* Handles already removed (NULL) and a poller or context already freed
 * (NULL) are skipped. */
static void rig_close(rig_t *r)
{
	for (int i = 0; i < r->n && i < RIG_MAX; i++) {
		cr_poller_remove(r->h[i]);
		r->h[i] = NULL;
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	}
	if (r->tx >= 0)
		close(r->tx);
	cr_poller_free(r->p);
	if (r->ctx)
		g_main_context_unref(r->ctx);
	memset(r, 0, sizeof(*r));
}

int test_poller_serves_every_ready_socket(void)
{
	rig_t r;
	seen_t seen[N_SOCKS] = { 0 };
	int err = 0;

	TEST_ERR(rig_open(&r, N_SOCKS, 0, seen));
	/* Two datagrams to each socket, all waiting before the first dispatch. */
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < N_SOCKS; i++)
			TEST_EQUALS(4, rig_send(&r, i, "ping"));
	PUMP_UNTIL(r.ctx, reads_total(seen, N_SOCKS) == 2 * N_SOCKS);
	for (int i = 0; i < N_SOCKS; i++)
		TEST_EQUALS(2, seen[i].reads);
out:
	rig_close(&r);
	return err;
}

int test_poller_remove_inside_dispatch(void)
{
	rig_t r;
	bool removed = false;
	/* Each removes the other: whichever runs first, the other, ready in
	 * the same epoll_wait, must not run (a call closed by its own packet). */
	seen_t seen[2] = { { .other = &r.h[1], .other_removed = &removed },
			    { .other = &r.h[0], .other_removed = &removed } };
	int err = 0, survivor;

	TEST_ERR(rig_open(&r, 2, 0, seen));
	for (int i = 0; i < 2; i++)
		TEST_EQUALS(4, rig_send(&r, i, "ping"));
	g_usleep(20000); /* both queued: one epoll_wait returns both */
	PUMP_UNTIL(r.ctx, removed);
	TEST_ASSERT(removed);
	/* Let any further dispatch happen: the removed one stays silent. */
	for (int i = 0; i < 20; i++)
		g_main_context_iteration(r.ctx, FALSE);
	TEST_EQUALS(1, seen[0].reads + seen[1].reads);
	/* The survivor still works. */
	survivor = seen[0].reads ? 0 : 1;
	TEST_EQUALS(4, rig_send(&r, survivor, "ping"));
	PUMP_UNTIL(r.ctx, seen[survivor].reads == 2);
	TEST_EQUALS(2, seen[survivor].reads);
out:
	rig_close(&r); /* a handle a handler removed is NULL */
	return err;
}

int test_poller_remove_after_free(void)
{
	rig_t r;
	seen_t seen = { 0 };
	int err = 0;

	TEST_ERR(rig_open(&r, 1, 0, &seen));
	/* A call whose worker stopped first: the handle keeps the set alive. */
	cr_poller_free(r.p);
	r.p = NULL;
	g_main_context_unref(r.ctx);
	r.ctx = NULL;
	cr_poller_remove(r.h[0]);
	r.h[0] = NULL;
	/* A bad fd is refused with errno, not a crash. */
	r.ctx = g_main_context_new();
	r.p = cr_poller_new(r.ctx, 0);
	TEST_ASSERT(r.p);
	TEST_ASSERT(cr_poller_add(r.p, -1, on_readable, &seen) == NULL);
	TEST_EQUALS(0, seen.reads);
out:
	rig_close(&r);
	return err;
}

/* Iterates ctx until total reads reach want or 2 s; *began: when the
 * iteration that made the last read began (its dispatch began after). */
static void pump_reads(rig_t *r, seen_t *seen, int want, gint64 *began)
{
	gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

	while (reads_total(seen, r->n) < want && g_get_monotonic_time() < end) {
		gint64 t = g_get_monotonic_time();
		int before = reads_total(seen, r->n);

		if (!g_main_context_iteration(r->ctx, FALSE))
			g_usleep(100);
		if (reads_total(seen, r->n) > before && began)
			*began = t;
	}
}

/* Sends "ping" to each of the rig's sockets, lets them all queue, and
 * serves them: one busy wake-up. *began as pump_reads(). */
static int busy_wakeup(rig_t *r, seen_t *seen, gint64 *began)
{
	int err = 0;

	for (int i = 0; i < r->n; i++)
		TEST_EQUALS(4, rig_send(r, i, "ping"));
	g_usleep(20000); /* all of them ready at the first wake-up: busy */
	pump_reads(r, seen, r->n, began);
	TEST_EQUALS(r->n, reads_total(seen, r->n));
out:
	return err;
}

/* Waits (2 s at most) until fd has a datagram queued, without reading it. */
static bool queued(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 2000) == 1;
}

/* With a tick, a wake-up that found CR_POLLER_BUSY sockets ready stops
 * watching: what arrives next waits until a tick after that wake-up began
 * (its timer never fires early), then the next wake-up takes it. */
int test_poller_tick_batches_a_busy_wakeup(void)
{
	enum { N = CR_POLLER_BUSY + 1 };
	rig_t r;
	seen_t seen[N] = { 0 };
	gint64 busy_began = 0, second_batch_start;
	int err = 0;

	TEST_ERR(rig_open(&r, N, CR_POLLER_MAX_TICK_US, seen));
	TEST_ERR(busy_wakeup(&r, seen, &busy_began));
	for (int i = 0; i < N; i++)
		TEST_EQUALS(4, rig_send(&r, i, "pong"));
	PUMP_UNTIL(r.ctx, reads_total(seen, N) == 2 * N);
	second_batch_start = G_MAXINT64;
	for (int i = 0; i < N; i++) {
		TEST_EQUALS(2, seen[i].reads);
		second_batch_start = MIN(second_batch_start, seen[i].last_read);
	}
	/* The busy wake-up began after busy_began and rested until a tick
	 * after it began: nothing was read again before that. */
	if (second_batch_start - busy_began < CR_POLLER_MAX_TICK_US)
		TEST_FAIL("read again %lld us after the busy wake-up began, inside the tick",
			  (long long)(second_batch_start - busy_began));
out:
	rig_close(&r);
	return err;
}

/* A resting poller wakes its context by itself (its timer is one of the
 * GSource's fds): blocking iterations of a context holding nothing else
 * but a 5 s watchdog serve a datagram that arrived during the rest, and
 * the watchdog never fires. */
static gboolean on_watchdog(gpointer fired)
{
	*(bool *)fired = true;
	return G_SOURCE_REMOVE;
}

int test_poller_tick_wakes_by_its_own_timer(void)
{
	enum { N = CR_POLLER_BUSY + 1 };
	rig_t r;
	seen_t seen[N] = { 0 };
	bool fired = false;
	GSource *watchdog = NULL;
	int err = 0;

	TEST_ERR(rig_open(&r, N, CR_POLLER_MAX_TICK_US, seen));
	TEST_ERR(busy_wakeup(&r, seen, NULL));
	/* Resting now (unless that wake-up took the whole tick): sent now,
	 * this waits for the timer. */
	TEST_EQUALS(4, rig_send(&r, 0, "pong"));
	watchdog = g_timeout_source_new(5000);
	g_source_set_callback(watchdog, on_watchdog, &fired, NULL);
	g_source_attach(watchdog, r.ctx);
	while (seen[0].reads < 2 && !fired)
		g_main_context_iteration(r.ctx, TRUE);
	TEST_ASSERT(!fired);
	TEST_EQUALS(2, seen[0].reads);
	TEST_EQUALS(N + 1, reads_total(seen, N));
out:
	if (watchdog) {
		g_source_destroy(watchdog);
		g_source_unref(watchdog);
	}
	rig_close(&r);
	return err;
}

/* The rest is timed from the start of the busy wake-up: one whose dispatch
 * took longer than the tick (a slow handler, a preempted worker) leaves no
 * rest, and a datagram waiting after it is served by the very next
 * iteration, without waiting a tick more. */
int test_poller_long_dispatch_leaves_no_rest(void)
{
	enum { N = CR_POLLER_BUSY + 1 };
	rig_t r;
	seen_t seen[N] = { 0 };
	int err = 0;

	TEST_ERR(rig_open(&r, N, CR_POLLER_MAX_TICK_US, seen));
	seen[0].sleep_us = 3 * CR_POLLER_MAX_TICK_US;
	TEST_ERR(busy_wakeup(&r, seen, NULL));
	TEST_EQUALS(4, rig_send(&r, 1, "pong"));
	TEST_ASSERT(queued(r.fds[1]));
	/* One look, no waiting: the poller is watching its sockets. */
	g_main_context_iteration(r.ctx, FALSE);
	TEST_EQUALS(2, seen[1].reads);
out:
	rig_close(&r);
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
		fds[i] = loopback_udp_socket(&addr[i]);
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

/* What the context's next poll would find ready, without dispatching:
 * GLib's own steps, the poll with timeout 0. */
static int ready_in_poll_set(GMainContext *ctx)
{
	GPollFD fds[16];
	gint max_priority, timeout, n, ready;

	if (!g_main_context_acquire(ctx))
		return -1;
	g_main_context_prepare(ctx, &max_priority);
	n = g_main_context_query(ctx, max_priority, &timeout, fds, G_N_ELEMENTS(fds));
	ready = n > (gint)G_N_ELEMENTS(fds) ? -1 : g_poll(fds, n, 0);
	if (n <= (gint)G_N_ELEMENTS(fds))
		g_main_context_check(ctx, max_priority, fds, n);
	g_main_context_release(ctx);
	return ready;
}

/* A dispatch leaves nothing behind for the context's next poll: GLib
 * blocks a source around its dispatch by taking its fds out of the poll
 * set and back, and each of those writes the context's wake-up eventfd,
 * which woke the worker once more after every dispatch (issue 18). */
int test_poller_dispatch_leaves_no_wakeup(void)
{
	rig_t r;
	seen_t seen[1] = { 0 };
	int err = 0;

	TEST_ERR(rig_open(&r, 1, 0, seen));
	/* Setting the rig up woke the context (sources attached); that read
	 * back, it is quiet. */
	ready_in_poll_set(r.ctx);
	TEST_EQUALS(0, ready_in_poll_set(r.ctx));
	for (int k = 1; k <= 3; k++) {
		TEST_EQUALS(4, rig_send(&r, 0, "ping"));
		PUMP_UNTIL(r.ctx, seen[0].reads == k);
		TEST_EQUALS(k, seen[0].reads);
		/* Read, so nothing is left: neither the socket nor the
		 * context's own wake-up fd is ready. */
		TEST_EQUALS(0, ready_in_poll_set(r.ctx));
	}
out:
	rig_close(&r);
	return err;
}
