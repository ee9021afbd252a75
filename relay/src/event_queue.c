/**
 * @file event_queue.c  Bounded event queue with an eventfd for readiness
 *
 * Producers are the worker threads; the one consumer is the controlling (Lua)
 * thread. Pushes and pops happen under one mutex and keep the eventfd's
 * counter non-zero exactly while events are queued, so a consumer that polls
 * the fd never misses an event and never spins on an empty queue.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <glib.h>

#include "event_queue.h"

struct cr_event_queue {
	GMutex lock;
	GQueue items; /* cr_event_t*, oldest at the head */
	size_t capacity;
	int fd;
	uint64_t dropped;
};

int cr_event_queue_create(size_t capacity, cr_event_queue_t **out)
{
	cr_event_queue_t *q;

	if (!out || capacity == 0)
		return CR_ERR_INVALID;
	q = g_try_new0(cr_event_queue_t, 1);
	if (!q)
		return CR_ERR_NOMEM;
	q->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->fd < 0) {
		g_free(q);
		return CR_ERR_INTERNAL;
	}
	g_mutex_init(&q->lock);
	g_queue_init(&q->items);
	q->capacity = capacity;
	*out = q;
	return CR_OK;
}

void cr_event_queue_destroy(cr_event_queue_t *q)
{
	if (!q)
		return;
	g_queue_clear_full(&q->items, g_free);
	g_mutex_clear(&q->lock);
	close(q->fd);
	g_free(q);
}

int cr_event_queue_fd(const cr_event_queue_t *q)
{
	return q->fd;
}

static void signal_fd(int fd)
{
	uint64_t one = 1;
	ssize_t n;

	do {
		n = write(fd, &one, sizeof(one));
	} while (n < 0 && errno == EINTR);
	/* EAGAIN means the counter is saturated: it is readable anyway. */
}

static void reset_fd(int fd)
{
	uint64_t value;
	ssize_t n;

	do {
		n = read(fd, &value, sizeof(value));
	} while (n < 0 && errno == EINTR);
}

int cr_event_queue_push(cr_event_queue_t *q, const cr_event_t *event)
{
	cr_event_t *copy;
	int err = CR_OK;

	g_mutex_lock(&q->lock);
	if (q->items.length >= q->capacity) {
		q->dropped++;
		err = CR_ERR_LIMIT;
		goto out;
	}
	copy = g_try_new(cr_event_t, 1);
	if (!copy) {
		q->dropped++;
		err = CR_ERR_NOMEM;
		goto out;
	}
	*copy = *event;
	g_queue_push_tail(&q->items, copy);
	if (q->items.length == 1)
		signal_fd(q->fd);
out:
	g_mutex_unlock(&q->lock);
	return err;
}

int cr_event_queue_pop(cr_event_queue_t *q, cr_event_t *events, int max)
{
	int n = 0;

	if (!events || max <= 0)
		return 0;
	g_mutex_lock(&q->lock);
	while (n < max && q->items.length > 0) {
		cr_event_t *e = g_queue_pop_head(&q->items);
		events[n++] = *e;
		g_free(e);
	}
	if (n > 0 && q->items.length == 0)
		reset_fd(q->fd);
	g_mutex_unlock(&q->lock);
	return n;
}

uint64_t cr_event_queue_dropped(const cr_event_queue_t *q)
{
	uint64_t d;

	g_mutex_lock((GMutex *)&q->lock);
	d = q->dropped;
	g_mutex_unlock((GMutex *)&q->lock);
	return d;
}

void cr_event_queue_emit(cr_event_queue_t *q, int type, uint32_t call_id, int32_t code,
			 int32_t value, const char *fmt, ...)
{
	cr_event_t e;
	va_list ap;

	e.type = type;
	e.call_id = call_id;
	e.time_us = g_get_monotonic_time();
	e.code = code;
	e.value = value;
	e.text[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		g_vsnprintf(e.text, sizeof(e.text), fmt, ap);
		va_end(ap);
	}
	cr_event_queue_push(q, &e);
}
