/**
 * @file worker.c  Worker threads, one GMainContext each
 *
 * Every call lives on one worker; everything that touches a call's sockets,
 * timers and library objects runs on that worker's thread, so per-packet work
 * needs no lock shared between workers. The worker itself knows no calls:
 * its owner (call.c) keeps them and tears them down in the stop handler it
 * gave cr_worker_start().
 */
#include "callrelay.h"
#include "worker.h"

typedef struct posted {
	cr_worker_fn fn;
	void *data;
	GDestroyNotify destroy;
} posted_t;

static gboolean run_posted(gpointer p)
{
	posted_t *job = p;

	job->fn(job->data);
	return G_SOURCE_REMOVE;
}

static void free_posted(gpointer p)
{
	posted_t *job = p;

	if (job->destroy)
		job->destroy(job->data);
	g_free(job);
}

static gpointer worker_main(gpointer p)
{
	cr_worker_t *w = p;

	g_main_context_push_thread_default(w->context);
	g_main_loop_run(w->loop);
	g_main_context_pop_thread_default(w->context);
	return NULL;
}

int cr_worker_start(cr_worker_t *w, int index, int tick_us, cr_worker_stop_fn on_stop,
		    void *on_stop_data)
{
	char name[16];
	GError *error = NULL;

	w->index = index;
	w->on_stop = on_stop;
	w->on_stop_data = on_stop_data;
	w->context = g_main_context_new();
	w->loop = g_main_loop_new(w->context, FALSE);
	w->poller = cr_poller_new(w->context, tick_us);
	w->ticker = cr_ticker_new(w->context, 1000);
	w->timers = cr_subcontext_new(w->context);
	atomic_init(&w->load, 0);
	g_snprintf(name, sizeof(name), "cr-worker-%d", index);
	w->thread = w->poller ? g_thread_try_new(name, worker_main, w, &error) : NULL;
	if (!w->thread) {
		g_clear_error(&error);
		cr_poller_free(w->poller);
		w->poller = NULL;
		cr_ticker_free(w->ticker);
		w->ticker = NULL;
		cr_subcontext_free(w->timers);
		w->timers = NULL;
		g_main_loop_unref(w->loop);
		g_main_context_unref(w->context);
		w->context = NULL;
		return CR_ERR_INTERNAL;
	}
	return CR_OK;
}

void cr_context_post(GMainContext *context, cr_worker_fn fn, void *data, GDestroyNotify destroy)
{
	posted_t *job = g_new(posted_t, 1);
	GSource *source = g_idle_source_new();

	job->fn = fn;
	job->data = data;
	job->destroy = destroy;
	g_source_set_priority(source, G_PRIORITY_DEFAULT);
	g_source_set_callback(source, run_posted, job, free_posted);
	g_source_attach(source, context);
	g_source_unref(source);
}

void cr_worker_post(cr_worker_t *w, cr_worker_fn fn, void *data, GDestroyNotify destroy)
{
	cr_context_post(w->context, fn, data, destroy);
}

static void stop_on_worker(void *data)
{
	cr_worker_t *w = data;

	if (w->on_stop)
		w->on_stop(w, w->on_stop_data);
	g_main_loop_quit(w->loop);
}

void cr_worker_stop(cr_worker_t *w)
{
	if (!w->context)
		return;
	cr_worker_post(w, stop_on_worker, w, NULL);
	g_thread_join(w->thread);
	/* Jobs still queued are dropped here; their destroy notifies release
	 * what they held. */
	cr_poller_free(w->poller);
	w->poller = NULL;
	cr_ticker_free(w->ticker);
	w->ticker = NULL;
	cr_subcontext_free(w->timers);
	w->timers = NULL;
	g_main_loop_unref(w->loop);
	g_main_context_unref(w->context);
	w->context = NULL;
}
