/**
 * @file relay.c  The relay object: configuration, workers, the event queue, stats
 */
#include <stdio.h>
#include <unistd.h>

#include "relay_internal.h"
#include "media/media.h"

#define CR_DEFAULT_EVENT_QUEUE 65536
#define CR_MAX_WORKERS 256

void cr_relay_config_init(cr_relay_config_t *config)
{
	if (!config)
		return;
	config->workers = 0;
	config->max_calls = 0;
	config->event_queue = 0;
	config->media = NULL;
	config->sip = NULL;
	config->max_transcoded_calls = 0;
	config->media_tick_us = 0;
}

static int online_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

int cr_relay_create(const cr_relay_config_t *config, cr_relay_t **out, char *err_buf)
{
	cr_relay_config_t defaults;
	cr_relay_t *r;
	int err;

	if (!out)
		return cr_set_error(err_buf, CR_ERR_INVALID, "no output pointer");
	*out = NULL;
	if (!config) {
		cr_relay_config_init(&defaults);
		config = &defaults;
	}
	if (config->workers < 0 || config->workers > CR_MAX_WORKERS)
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "workers must be between 0 and %d, got %d",
				    CR_MAX_WORKERS, config->workers);
	if (config->max_calls < -1)
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "max_calls must be -1 (auto), 0 (no limit) or more, got %d",
				    config->max_calls);
	if (config->max_transcoded_calls < -1)
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "max_transcoded_calls must be -1 (no limit), 0 (off) or more, got %d",
				    config->max_transcoded_calls);
	if (config->media_tick_us < 0 || config->media_tick_us > CR_POLLER_MAX_TICK_US)
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "media_tick_us must be between 0 and %d, got %d",
				    CR_POLLER_MAX_TICK_US, config->media_tick_us);
	if (config->event_queue < 0)
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "event_queue must be 0 or more, got %d", config->event_queue);

	r = g_try_new0(cr_relay_t, 1);
	if (!r)
		return cr_set_error(err_buf, CR_ERR_NOMEM, "out of memory");
	atomic_init(&r->refs, 1);
	atomic_init(&r->destroyed, false);
	r->config = *config;
	if (r->config.workers == 0)
		r->config.workers = online_cores();
	if (r->config.event_queue == 0)
		r->config.event_queue = CR_DEFAULT_EVENT_QUEUE;

	if (config->media) {
		err = cr_media_relay_create(config->media, &r->media, err_buf);
		if (err)
			goto out;
	}
	if (config->media && config->max_transcoded_calls != 0) {
		/* Now, not in a call: loading GStreamer's registry takes a while. */
		err = cr_transcode_global_init(err_buf);
		if (err)
			goto out;
	}
	r->fds_per_call = cr_fd_budget_per_call(r->media);
	r->fd_limit = r->fd_limit_was = cr_fd_limit_now();
	if (config->max_calls < 0)
		cr_fd_budget_apply(r);
	err = cr_event_queue_create((size_t)r->config.event_queue, &r->events);
	if (err) {
		cr_set_error(err_buf, err, "cannot create the event queue: %s",
			     cr_error_to_string(err));
		goto out;
	}
	r->workers = g_try_new0(cr_worker_t, r->config.workers);
	r->worker_calls = g_try_new0(GHashTable *, r->config.workers);
	if (!r->workers || !r->worker_calls) {
		err = cr_set_error(err_buf, CR_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < r->config.workers; i++) {
		r->worker_calls[i] = g_hash_table_new(g_direct_hash, g_direct_equal);
		err = cr_worker_start(&r->workers[i], i, r->config.media_tick_us,
				      cr_call_teardown_all, r);
		if (err) {
			cr_set_error(err_buf, err, "cannot start worker thread %d", i);
			goto out;
		}
		r->n_workers++;
	}
	atomic_init(&r->next_call_id, 1);
	if (config->sip) {
		err = cr_call_sip_start(r, config->sip, err_buf);
		if (err)
			goto out;
	}
	/* The SIP UA copied what it needs; the caller's struct is not kept. */
	r->config.sip = NULL;
out:
	if (err) {
		cr_relay_destroy(r);
		return err;
	}
	*out = r;
	return CR_OK;
}

void cr_relay_destroy(cr_relay_t *r)
{
	if (!r || atomic_exchange(&r->destroyed, true))
		return;
	/* SIP first: its shutdown hangs up dialogs and closes the calls it
	 * made, which needs the workers still running. */
	cr_call_sip_stop(r);
	for (int i = 0; i < r->n_workers; i++)
		cr_worker_stop(&r->workers[i]);
	for (int i = 0; r->worker_calls && i < r->config.workers; i++)
		if (r->worker_calls[i])
			g_hash_table_destroy(r->worker_calls[i]);
	g_free(r->worker_calls);
	r->worker_calls = NULL;
	g_free(r->workers);
	r->workers = NULL;
	r->n_workers = 0;
	cr_event_queue_destroy(r->events);
	r->events = NULL;
	cr_media_relay_destroy(r->media);
	r->media = NULL;
	/* Call handles still held keep the struct (not the workers) alive so
	 * that closing them afterwards is harmless. */
	cr_relay_unref(r);
}

int cr_relay_event_fd(const cr_relay_t *r)
{
	return r && r->events ? cr_event_queue_fd(r->events) : -1;
}

int cr_relay_poll_events(cr_relay_t *r, cr_event_t *events, int max)
{
	return r && r->events ? cr_event_queue_pop(r->events, events, max) : 0;
}

void cr_relay_get_stats(cr_relay_t *r, cr_relay_stats_t *s)
{
	if (!r || !s || !r->events)
		return;
	s->workers = (uint32_t)r->n_workers;
	s->active_calls = (uint32_t)atomic_load(&r->active_calls);
	s->calls_created = atomic_load(&r->calls_created);
	s->calls_closed = atomic_load(&r->calls_closed);
	s->events_dropped = cr_event_queue_dropped(r->events);
	s->transcoded_calls = (uint32_t)atomic_load(&r->transcoded_calls);
	s->max_calls = (uint32_t)r->config.max_calls;
	s->fds_per_call = (uint32_t)r->fds_per_call;
	s->fd_limit_was = r->fd_limit_was;
	s->fd_limit = r->fd_limit;
	s->fds_at_start = (uint32_t)r->fds_at_start;
	s->fd_exhausted = atomic_load(&r->fd_exhausted);
}
