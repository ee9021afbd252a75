/**
 * @file call.c  Call lifecycle: placement on a worker, setup, teardown
 */
#include <string.h>

#include "relay_internal.h"
#include "media/media.h"
#include "sip/sip.h"

cr_call_t *cr_call_ref(cr_call_t *call)
{
	atomic_fetch_add(&call->refs, 1);
	return call;
}

void cr_call_unref(void *p)
{
	cr_call_t *call = p;

	if (call && atomic_fetch_sub(&call->refs, 1) == 1) {
		/* Only when teardown never ran (its worker was gone). */
		cr_media_call_destroy(call->media, !atomic_load(&call->relay->destroyed));
		cr_trace_clear(&call->trace);
		g_mutex_clear(&call->sip_media_lock);
		cr_relay_unref(call->relay);
		g_free(call);
	}
}

static cr_worker_t *least_loaded_worker(cr_relay_t *r)
{
	cr_worker_t *best = &r->workers[0];

	for (int i = 1; i < r->n_workers; i++)
		if (atomic_load(&r->workers[i].load) < atomic_load(&best->load))
			best = &r->workers[i];
	return best;
}

static void call_setup(void *data)
{
	cr_call_t *call = data;

	if (atomic_load(&call->closing) || call->live)
		return;
	call->live = TRUE;
	g_hash_table_insert(call->relay->worker_calls[call->worker->index], GUINT_TO_POINTER(call->id),
			    cr_call_ref(call));
	cr_relay_emit(call->relay, CR_EVENT_CALL_READY, call->id, 0,
		      call->worker->index, NULL);
}

void cr_call_teardown(cr_call_t *call, const char *reason)
{
	cr_relay_t *r = call->relay;
	bool was_live = call->live;

	if (was_live) {
		call->live = FALSE;
		g_hash_table_remove(r->worker_calls[call->worker->index], GUINT_TO_POINTER(call->id));
	}
	cr_media_call_destroy(call->media, true);
	call->media = NULL;
	if (call->worker) {
		/* Counted once, whether or not setup ran. */
		atomic_fetch_sub(&call->worker->load, 1);
		atomic_fetch_sub(&r->active_calls, 1);
		atomic_fetch_add(&r->calls_closed, 1);
		cr_relay_emit(r, CR_EVENT_CALL_CLOSED, call->id, 0, 0, "%s",
			      reason ? reason : "closed");
		call->worker = NULL;
	}
	/* The worker table's reference, last: it may be the call's last one
	 * (relay destroyed right after the handle was closed). */
	if (was_live)
		cr_call_unref(call);
}

void cr_call_teardown_all(cr_worker_t *worker, void *relay)
{
	cr_relay_t *r = relay;
	GList *calls = g_hash_table_get_values(r->worker_calls[worker->index]);

	for (GList *l = calls; l; l = l->next)
		cr_call_teardown(l->data, "relay closed");
	g_list_free(calls);
}

/* The media's fd_exhausted handler (media/media.h): the relay counts. */
static bool fd_exhausted(void *relay, int errnum, const char *what)
{
	return cr_fd_exhausted(relay, errnum, what);
}

int cr_call_create(cr_relay_t *r, cr_call_t **out, char *err_buf)
{
	cr_worker_t *worker;
	cr_call_t *call;
	int active;

	if (!r || !out)
		return cr_set_error(err_buf, CR_ERR_INVALID, "no relay or output pointer");
	*out = NULL;
	if (atomic_load(&r->destroyed))
		return cr_set_error(err_buf, CR_ERR_CLOSED, "the relay is closed");
	active = atomic_fetch_add(&r->active_calls, 1);
	if (r->config.max_calls > 0 && active >= r->config.max_calls) {
		atomic_fetch_sub(&r->active_calls, 1);
		return cr_set_error(err_buf, CR_ERR_LIMIT,
				    "the relay already carries its maximum of %d calls",
				    r->config.max_calls);
	}
	call = g_try_new0(cr_call_t, 1);
	if (!call) {
		atomic_fetch_sub(&r->active_calls, 1);
		return cr_set_error(err_buf, CR_ERR_NOMEM, "out of memory");
	}
	atomic_init(&call->refs, 1); /* the caller's handle */
	atomic_init(&call->closing, false);
	cr_trace_init(&call->trace);
	g_mutex_init(&call->sip_media_lock);
	call->sip_media.dtmf_pt = -1; /* the rest zero: no SDP yet (seq 0) */
	call->relay = r;
	atomic_fetch_add(&r->refs, 1);
	call->id = atomic_fetch_add(&r->next_call_id, 1);
	if (call->id == 0) /* wrapped: 0 means "no call" in events */
		call->id = atomic_fetch_add(&r->next_call_id, 1);
	worker = least_loaded_worker(r);
	if (r->media) {
		/* Ports and credentials now, so the caller has them at once and
		 * port exhaustion is an error here, not later. */
		cr_media_env_t env = {
			.call_id = call->id,
			.context = worker->context,
			.timer_context = cr_subcontext_context(worker->timers),
			.poller = worker->poller,
			.ticker = worker->ticker,
			.events = r->events,
			.transcoded_calls = &r->transcoded_calls,
			.max_transcoded_calls = r->config.max_transcoded_calls,
			.fd_exhausted = fd_exhausted,
			.arg = r,
			.trace = &call->trace,
		};
		int err = cr_media_call_create(&env, r->media, &call->media, err_buf);

		if (err) {
			atomic_fetch_sub(&r->active_calls, 1);
			cr_relay_unref(r);
			cr_trace_clear(&call->trace);
			g_mutex_clear(&call->sip_media_lock);
			g_free(call);
			return err;
		}
	}
	call->worker = worker;
	atomic_fetch_add(&call->worker->load, 1);
	atomic_fetch_add(&r->calls_created, 1);
	cr_worker_post(call->worker, call_setup, cr_call_ref(call), cr_call_unref);
	*out = call;
	return CR_OK;
}

cr_trace_t *cr_call_trace(cr_call_t *call)
{
	return call ? &call->trace : NULL;
}

uint32_t cr_call_id(const cr_call_t *call)
{
	return call ? call->id : 0;
}

typedef struct close_job {
	cr_call_t *call;
	char reason[128];
} close_job_t;

static void call_close_on_worker(void *data)
{
	close_job_t *job = data;

	cr_call_teardown(job->call, job->reason);
}

static void close_job_free(void *data)
{
	close_job_t *job = data;

	cr_call_unref(job->call);
	g_free(job);
}

void cr_call_close(cr_call_t *call, const char *reason)
{
	close_job_t *job;
	cr_worker_t *worker;

	if (!call || atomic_exchange(&call->closing, true))
		return;
	if (atomic_load(&call->relay->destroyed)) {
		/* The relay already tore the call down with its workers. */
		cr_call_unref(call);
		return;
	}
	/* Its SIP leg, if any, hangs up (BYE, CANCEL or 480). */
	cr_sip_leg_close(call->relay->sip, call->id);
	worker = call->worker;
	job = g_new0(close_job_t, 1);
	job->call = call; /* takes over the caller's reference */
	g_strlcpy(job->reason, reason ? reason : "closed", sizeof(job->reason));
	if (worker)
		cr_worker_post(worker, call_close_on_worker, job, close_job_free);
	else
		close_job_free(job);
}
