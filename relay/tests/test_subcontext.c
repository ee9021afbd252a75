/**
 * @file test_subcontext.c  A context iterated from inside another only when due (relay/src/subcontext.c)
 *
 * The workers put libnice's timers there (relay/src/worker.c); the ICE
 * and media tests cover that end to end. These check what the workers
 * rely on: an inner timer, fd or newly attached source (from the outer
 * thread or another) is dispatched while only the outer context is
 * iterated, and the inner sources are not walked at each outer wake-up.
 */
#include <glib-unix.h>
#include <glib.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "subcontext.h"
#include "test.h"

int test_subcontext_dispatches_timers_fds_and_new_sources(void);
int test_subcontext_not_walked_at_each_outer_wakeup(void);

static gboolean count_once(gpointer p)
{
	(*(int *)p)++;
	return G_SOURCE_REMOVE;
}

static gboolean count_fd(gint fd, GIOCondition cond, gpointer p)
{
	char c;

	(void)cond;
	if (read(fd, &c, 1) == 1)
		(*(int *)p)++;
	return G_SOURCE_CONTINUE;
}

typedef struct {
	GMainContext *inner;
	int *ran;
} attach_job_t;

/* From an outer callback: attaches an idle to the inner context, the
 * way a media handler starts a libnice timer. */
static gboolean attach_inner_idle(gpointer p)
{
	attach_job_t *job = p;
	GSource *idle = g_idle_source_new();

	g_source_set_callback(idle, count_once, job->ran, NULL);
	g_source_attach(idle, job->inner);
	g_source_unref(idle);
	return G_SOURCE_REMOVE;
}

static gpointer attach_from_thread(gpointer p)
{
	attach_inner_idle(p);
	return NULL;
}

int test_subcontext_dispatches_timers_fds_and_new_sources(void)
{
	int err = 0;
	GMainContext *outer = g_main_context_new();
	cr_subcontext_t *sub = cr_subcontext_new(outer);
	GMainContext *inner = cr_subcontext_context(sub);
	int timer_ran = 0, fd_reads = 0, outer_added = 0, thread_added = 0;
	int sv[2] = { -1, -1 };
	GSource *timer = NULL, *watch = NULL;
	GThread *thread;
	attach_job_t job = { inner, &outer_added }, job2 = { inner, &thread_added };
	GSource *post;

	g_main_context_push_thread_default(outer);
	TEST_ASSERT(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) == 0);

	/* A timer of the inner context fires while only outer is iterated. */
	timer = g_timeout_source_new(30);
	g_source_set_callback(timer, count_once, &timer_ran, NULL);
	g_source_attach(timer, inner);
	PUMP_UNTIL(outer, timer_ran >= 1);
	TEST_ASSERT(timer_ran >= 1);

	/* An fd source of the inner context runs when its fd is readable,
	 * once per datagram. */
	watch = g_unix_fd_source_new(sv[0], G_IO_IN);
	g_source_set_callback(watch, G_SOURCE_FUNC(count_fd), &fd_reads, NULL);
	g_source_attach(watch, inner);
	for (int i = 0; i < 3; i++) {
		TEST_ASSERT(write(sv[1], "x", 1) == 1);
		PUMP_UNTIL(outer, fd_reads >= i + 1);
		TEST_ASSERT(fd_reads >= i + 1);
	}

	/* A source attached from an outer callback (same thread) runs without
	 * waiting for anything else. */
	post = g_idle_source_new();

	g_source_set_callback(post, attach_inner_idle, &job, NULL);
	g_source_attach(post, outer);
	g_source_unref(post);
	PUMP_UNTIL(outer, outer_added >= 1);
	TEST_ASSERT(outer_added >= 1);

	/* ...and one attached from another thread. */
	thread = g_thread_new("attach", attach_from_thread, &job2);
	g_thread_join(thread);
	PUMP_UNTIL(outer, thread_added >= 1);
	TEST_ASSERT(thread_added >= 1);
	TEST_ASSERT(cr_subcontext_iterations(sub) > 0);
out:
	if (watch) {
		g_source_destroy(watch);
		g_source_unref(watch);
	}
	if (timer) {
		g_source_destroy(timer);
		g_source_unref(timer);
	}
	g_main_context_pop_thread_default(outer);
	cr_subcontext_free(sub);
	g_main_context_unref(outer);
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	return err;
}

/* A source that is never ready and counts how often GLib asks it. */
typedef struct {
	GSource base;
	int *prepares;
} counted_t;

static gboolean counted_prepare(GSource *s, gint *timeout)
{
	(*((counted_t *)s)->prepares)++;
	*timeout = -1;
	return FALSE;
}

static gboolean counted_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
	(void)s;
	(void)cb;
	(void)data;
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs counted_funcs = { counted_prepare, NULL, counted_dispatch, NULL, NULL, NULL };

#define INNER_SOURCES 200
#define OUTER_WAKEUPS 100

int test_subcontext_not_walked_at_each_outer_wakeup(void)
{
	int err = 0;
	GMainContext *outer = g_main_context_new();
	cr_subcontext_t *sub = cr_subcontext_new(outer);
	GSource *idle[INNER_SOURCES];
	int prepares = 0, outer_ran = 0;

	g_main_context_push_thread_default(outer);
	for (int i = 0; i < INNER_SOURCES; i++) {
		idle[i] = g_source_new(&counted_funcs, sizeof(counted_t));
		((counted_t *)idle[i])->prepares = &prepares;
		g_source_attach(idle[i], cr_subcontext_context(sub));
	}
	/* Let the attachments settle (they wake the inner context). */
	for (int i = 0; i < 5; i++)
		g_main_context_iteration(outer, FALSE);
	prepares = 0;

	/* Outer wake-ups for something else: media on a worker. */
	for (int i = 0; i < OUTER_WAKEUPS; i++) {
		GSource *s = g_idle_source_new();

		g_source_set_callback(s, count_once, &outer_ran, NULL);
		g_source_attach(s, outer);
		g_source_unref(s);
		g_main_context_iteration(outer, TRUE);
	}
	TEST_ASSERT(outer_ran == OUTER_WAKEUPS);
	/* On the same context they would be asked at every wake-up:
	 * INNER_SOURCES x OUTER_WAKEUPS = 20,000 prepares. */
	if (prepares >= INNER_SOURCES)
		TEST_FAIL("inner sources prepared %d times in %d outer wake-ups", prepares,
			  OUTER_WAKEUPS);
out:
	for (int i = 0; i < INNER_SOURCES; i++) {
		g_source_destroy(idle[i]);
		g_source_unref(idle[i]);
	}
	g_main_context_pop_thread_default(outer);
	cr_subcontext_free(sub);
	g_main_context_unref(outer);
	return err;
}
