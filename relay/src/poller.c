/**
 * @file poller.c  One epoll set per worker, seen by GLib as one fd
 *
 * See poller.h. The GSource watches the epoll fd; its dispatch takes up to
 * CR_POLLER_EVENTS ready sockets per epoll_wait and calls each one's
 * handler. A handle removed while a dispatch is under way (a handler
 * closing its call) is only marked dead and freed when the dispatch ends,
 * so the events still in hand never point at freed memory.
 *
 * The tick: a busy wake-up stops watching the epoll fd and arms a timerfd,
 * also in the GSource, for tick_us after that wake-up began; the timer's
 * wake-up watches the epoll fd again and serves everything. The rest is
 * timed from the start of the wake-up, not its end, so a busy worker wakes
 * once per tick and a packet waits at most about one tick (plus its turn in
 * the dispatch) for it; a dispatch that took the whole tick leaves no rest.
 * A timerfd, not the GSource's ready time: GLib turns a ready time into a
 * poll timeout in whole milliseconds, rounded up, so a 500 us rest took
 * 1-1.25 ms, and what is left of a 1 ms tick after a 0.5 ms dispatch would
 * last a whole millisecond (docs/PERFORMANCE.md, "The tick timed from the
 * wake-up").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "poller.h"

#define CR_POLLER_EVENTS 64
#define CR_POLLER_ROUNDS 16 /* epoll_waits per dispatch: timers still run */

struct cr_poller {
	gatomicrefcount refs;
	int epfd;
	int tfd; /* the rest's timer; -1 without a tick */
	GSource *source;
	gpointer tag; /* the epoll fd in the source */
	int tick_us;
	bool resting; /* not watching the epoll fd until the timer fires */
	bool dispatching;
	GPtrArray *dead; /* handles removed during the dispatch */
};

struct cr_poll_fd {
	cr_poller_t *poller;
	int fd;
	cr_poll_fn fn; /* NULL once removed */
	void *data;
};

typedef struct {
	GSource base;
	cr_poller_t *poller;
} poller_source_t;

static void poller_unref(cr_poller_t *p)
{
	if (!g_atomic_ref_count_dec(&p->refs))
		return;
	close(p->epfd);
	if (p->tfd >= 0)
		close(p->tfd);
	g_ptr_array_free(p->dead, TRUE);
	g_free(p);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Stops watching the sockets until tick_us after start (CLOCK_MONOTONIC,
 * ns); not at all when that is already past (the dispatch took the tick)
 * or the timer refused. */
static void poller_rest(cr_poller_t *p, int64_t start)
{
	int64_t end = start + (int64_t)p->tick_us * 1000;
	struct itimerspec its = { .it_value = { .tv_sec = end / 1000000000,
						.tv_nsec = end % 1000000000 } };

	if (mono_ns() >= end || timerfd_settime(p->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return;
	p->resting = true;
	g_source_modify_unix_fd(p->source, p->tag, 0);
}

static gboolean poller_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
	cr_poller_t *p = ((poller_source_t *)source)->poller;
	struct epoll_event ev[CR_POLLER_EVENTS];
	int n, total = 0;
	int64_t start = 0;

	(void)cb;
	(void)data;
	if (p->resting) {
		uint64_t expirations;

		/* Only the timer is watched while resting: this is its expiry,
		 * read so that the timerfd is quiet again. */
		(void)!read(p->tfd, &expirations, sizeof(expirations));
		p->resting = false;
		g_source_modify_unix_fd(source, p->tag, G_IO_IN);
	}
	if (p->tick_us > 0)
		start = mono_ns();
	/* Every socket ready now, CR_POLLER_EVENTS per epoll_wait: with the
	 * tick, what one call left would otherwise wait a whole tick more
	 * (a wake-up serving only 64 sockets caps a worker at 64 per tick). */
	for (int round = 0; round < CR_POLLER_ROUNDS; round++) {
		n = epoll_wait(p->epfd, ev, CR_POLLER_EVENTS, 0);
		p->dispatching = true;
		for (int i = 0; i < n; i++) {
			cr_poll_fd_t *h = ev[i].data.ptr;

			if (h->fn)
				h->fn(h->fd, h->data);
		}
		p->dispatching = false;
		if (p->dead->len)
			g_ptr_array_set_size(p->dead, 0); /* frees them (g_free) */
		if (n > 0)
			total += n;
		if (n < CR_POLLER_EVENTS)
			break;
	}
	/* Busy: let packets gather until one tick after this wake-up began,
	 * then take them all. */
	if (p->tick_us > 0 && total >= CR_POLLER_BUSY)
		poller_rest(p, start);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs poller_funcs = { NULL, NULL, poller_dispatch, NULL, NULL, NULL };

cr_poller_t *cr_poller_new(GMainContext *context, int tick_us)
{
	cr_poller_t *p;
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	if (epfd < 0)
		return NULL;
	p = g_new0(cr_poller_t, 1);
	g_atomic_ref_count_init(&p->refs);
	p->epfd = epfd;
	p->tick_us = CLAMP(tick_us, 0, CR_POLLER_MAX_TICK_US);
	p->tfd = -1;
	if (p->tick_us > 0) {
		p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (p->tfd < 0) {
			close(epfd);
			g_free(p);
			return NULL;
		}
	}
	p->dead = g_ptr_array_new_with_free_func(g_free);
	p->source = g_source_new(&poller_funcs, sizeof(poller_source_t));
	((poller_source_t *)p->source)->poller = p;
	g_source_set_name(p->source, "cr-poller");
	/* The priority the per-socket sources had: timers and posted jobs
	 * of a saturated worker still run. */
	g_source_set_priority(p->source, G_PRIORITY_DEFAULT);
	/* Not blocked around its dispatch: GLib blocks a source by taking
	 * its fds out of the context's poll set and puts them back after,
	 * and each of those writes the context's wake-up eventfd, so every
	 * dispatch cost two writes and one more wake-up to read them back
	 * (issue 18: ~4,000 writes a second at 300 calls). Nothing iterates
	 * a worker's context from inside a dispatch, so it never recurses;
	 * the dispatch changes neither its ready time nor its fds (the
	 * tick's rest changes only the events watched), which would signal
	 * the wake-up once it is not blocked. */
	g_source_set_can_recurse(p->source, TRUE);
	p->tag = g_source_add_unix_fd(p->source, epfd, G_IO_IN);
	if (p->tfd >= 0)
		g_source_add_unix_fd(p->source, p->tfd, G_IO_IN);
	g_source_attach(p->source, context);
	return p;
}

void cr_poller_free(cr_poller_t *p)
{
	if (!p)
		return;
	g_source_destroy(p->source);
	g_source_unref(p->source);
	p->source = NULL;
	poller_unref(p);
}

cr_poll_fd_t *cr_poller_add(cr_poller_t *p, int fd, cr_poll_fn fn, void *data)
{
	cr_poll_fd_t *h = g_new0(cr_poll_fd_t, 1);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = h };

	h->poller = p;
	h->fd = fd;
	h->fn = fn;
	h->data = data;
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		g_free(h);
		errno = e;
		return NULL;
	}
	g_atomic_ref_count_inc(&p->refs);
	return h;
}

void cr_poller_remove(cr_poll_fd_t *h)
{
	cr_poller_t *p;

	if (!h)
		return;
	p = h->poller;
	epoll_ctl(p->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	h->fn = NULL;
	if (p->dispatching)
		g_ptr_array_add(p->dead, h);
	else
		g_free(h);
	poller_unref(p);
}
