/**
 * @file poller.h  One epoll set per worker, seen by GLib as one fd (poller.c)
 *
 * Layer 2 (docs/ARCHITECTURE.md): knows GLib and the kernel only. A worker's
 * media sockets are registered here once, instead of one GSource each: a
 * wake-up of the worker then costs one poll entry and one dispatch (GLib
 * writes its wake-up eventfd around every dispatched source, so a source
 * per socket costs two eventfd writes per packet), and the dispatch serves
 * every socket that is ready.
 *
 * Threading: cr_poller_add() and cr_poller_remove() on the thread that
 * iterates the poller's context (or after that thread ended); the poller
 * itself is reference counted, so a handle removed after its worker stopped
 * is still safe.
 */
#ifndef CR_POLLER_H
#define CR_POLLER_H

#include <glib.h>

#define CR_POLLER_BUSY 4
#define CR_POLLER_MAX_TICK_US 1000

typedef struct cr_poller cr_poller_t;
typedef struct cr_poll_fd cr_poll_fd_t;

/* Called when fd is readable; reads what it wants (level-triggered: what
 * it leaves wakes the worker again). */
typedef void (*cr_poll_fn)(int fd, void *data);

/* A poller dispatched on context; NULL when epoll is unavailable.
 * tick_us > 0: under load (a wake-up found CR_POLLER_BUSY sockets or more
 * ready), the poller stops watching until tick_us after that wake-up began
 * (a timerfd, microsecond precision), so the packets of many calls are
 * served by one wake-up, at most one per tick; a packet waits at most about
 * tick_us for its wake-up. 0 = every wake-up at once. NULL also when tick_us
 * > 0 and no timerfd can be had. */
cr_poller_t *cr_poller_new(GMainContext *context, int tick_us);
/* Detaches it from its context and drops the creator's reference. */
void cr_poller_free(cr_poller_t *poller);
/* Registers fd for reading; NULL (errno set) when epoll refuses it. */
cr_poll_fd_t *cr_poller_add(cr_poller_t *poller, int fd, cr_poll_fn fn, void *data);
/* Unregisters (before fd is closed); fn is never called again. NULL-safe. */
void cr_poller_remove(cr_poll_fd_t *handle);

#endif
