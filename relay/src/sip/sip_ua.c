/**
 * @file sip_ua.c  The SIP user agent: thread, NUA lifecycle, NUA's events
 *
 * The configuration is checked in config.c, REGISTER and the OPTIONS health
 * check toward the trunk (with the digest answer) run in reg.c.
 *
 * Sofia's NUA runs on one dedicated thread with its own GMainContext (the
 * su_glib root's GSource attached there). Every nua_* call happens on that
 * thread: commands from the controlling thread are posted as idle sources,
 * results leave through the handlers given at start. Teardown order follows
 * docs/PLATFORM.md#sofia-teardown:
 * nua_shutdown, wait for nua_r_shutdown, nua_destroy, su_root_destroy.
 *
 * Closing happens in two steps because Sofia 1.12.11 refuses every command,
 * nua_handle_destroy() included, once nua_shutdown() was called, and NUA's
 * shutdown waits (up to 30 s) for any client transaction a trunk never ends,
 * e.g. an INVITE whose CANCEL got its 200 but never a 487. So we first end
 * our dialogs and registration ourselves, give the trunk SHUTDOWN_GRACE_MS to
 * answer, destroy whatever handles are left (their transactions go with
 * them) and only then call nua_shutdown(), which then has nothing to wait for.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/url.h>

#include "sip.h"

enum {
	DEFAULT_SESSION_EXPIRES = 1800,
	/* Time the trunk gets to answer our BYE/CANCEL/un-REGISTER at close. */
	SHUTDOWN_GRACE_MS = 5000,
	SHUTDOWN_POLL_MS = 50,
	/* nua_shutdown() with no handle left answers at once; this only
	 * bounds the wait should it not. */
	SHUTDOWN_FINISH_MS = 2000,
};

/* UAs whose NUA never finished its shutdown: kept reachable and never
 * touched again (see the end of sip_main). */
static GMutex abandoned_lock;
static GSList *abandoned_uas;

/* ---- posting work to the SIP thread ---- */

bool cr_sip_ua_post(cr_sip_ua_t *ua, void (*fn)(void *data), void *data,
		    void (*destroy)(void *data))
{
	bool ok;

	g_mutex_lock(&ua->lock);
	ok = !ua->stopping && ua->start_state == 1;
	if (ok)
		cr_context_post(ua->context, fn, data, destroy);
	g_mutex_unlock(&ua->lock);
	if (!ok && destroy)
		destroy(data);
	return ok;
}

/* ---- the NUA callback ---- */

static void nua_callback(nua_event_t event, int status, char const *phrase, nua_t *nua,
			 nua_magic_t *magic, nua_handle_t *nh, nua_hmagic_t *hmagic,
			 sip_t const *sip, tagi_t tags[])
{
	cr_sip_ua_t *ua = (cr_sip_ua_t *)magic;

	(void)nua;
	switch (event) {
	case nua_r_shutdown:
		if (status >= 200) {
			ua->shutdown_done = true;
			g_main_loop_quit(ua->loop);
		}
		return;
	case nua_r_register:
	case nua_r_unregister:
		if (nh == ua->reg_nh) {
			bool tried_before = ua->reg_auth_tried;

			cr_sip_reg_response(ua, status, phrase, sip);
			/* Final unless cr_sip_reg_response() just answered a challenge. */
			if (event == nua_r_unregister && status >= 200 &&
			    (tried_before || !ua->reg_auth_tried))
				ua->unregistering = false;
		}
		return;
	case nua_r_options:
		if (nh == ua->opt_nh)
			cr_sip_options_response(ua, status, sip);
		return;
	case nua_i_options:
	case nua_i_outbound:
	case nua_r_set_params:
	case nua_r_get_params:
		return;
	default:
		break;
	}
	if (nh && (nh == ua->reg_nh || nh == ua->opt_nh))
		return;
	cr_sip_dialog_event(ua, event, status, phrase, nh, (cr_sip_session_t *)hmagic, sip,
			    tags);
}

/* ---- the thread ---- */

static gsize extended_mclass;

static void finish_start(cr_sip_ua_t *ua, int state, const char *msg)
{
	g_mutex_lock(&ua->lock);
	ua->start_state = state;
	if (msg)
		g_strlcpy(ua->start_err, msg, sizeof(ua->start_err));
	g_cond_broadcast(&ua->cond);
	g_mutex_unlock(&ua->lock);
}

static gboolean shutdown_finish_over(gpointer p)
{
	cr_sip_ua_t *ua = p;

	g_main_loop_quit(ua->loop);
	return G_SOURCE_REMOVE;
}

/* Second step: nothing of ours may keep NUA's shutdown busy. */
static void shutdown_nua(cr_sip_ua_t *ua)
{
	GSource *finish;

	cr_sip_dialog_free_all(ua);
	if (ua->reg_nh)
		nua_handle_destroy(ua->reg_nh);
	if (ua->opt_nh)
		nua_handle_destroy(ua->opt_nh);
	ua->reg_nh = ua->opt_nh = NULL;
	nua_shutdown(ua->nua);
	finish = g_timeout_source_new(SHUTDOWN_FINISH_MS);
	g_source_set_callback(finish, shutdown_finish_over, ua, NULL);
	g_source_attach(finish, ua->context);
	g_source_unref(finish);
}

static gboolean shutdown_poll(gpointer p)
{
	cr_sip_ua_t *ua = p;
	bool settled = !ua->sessions && !ua->unregistering;

	if (!settled && g_get_monotonic_time() - ua->stop_started < SHUTDOWN_GRACE_MS * 1000)
		return G_SOURCE_CONTINUE;
	shutdown_nua(ua);
	return G_SOURCE_REMOVE;
}

/* First step: end what we own while commands are still accepted. */
static void begin_shutdown(void *p)
{
	cr_sip_ua_t *ua = p;
	GSource *poll;

	if (ua->opt_timer) {
		g_source_destroy(ua->opt_timer);
		g_source_unref(ua->opt_timer);
		ua->opt_timer = NULL;
	}
	ua->stop_started = g_get_monotonic_time();
	cr_sip_dialog_hang_up_all(ua, NULL);
	if (ua->reg_nh && atomic_load(&ua->registered)) {
		ua->unregistering = true;
		nua_unregister(ua->reg_nh, TAG_END());
	}
	poll = g_timeout_source_new(SHUTDOWN_POLL_MS);
	g_source_set_callback(poll, shutdown_poll, ua, NULL);
	g_source_attach(poll, ua->context);
	g_source_unref(poll);
}

/* The port a listen URI binds (0 = chosen by the system: any). */
static int listen_port(const char *uri)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	url_t *url = uri ? url_make(home, uri) : NULL;
	int port = -1;

	if (url)
		port = url->url_port ? atoi(url->url_port)
			: url->url_type == url_sips ? 5061 : 5060;
	su_home_deinit(home);
	return port;
}

static void attach_source_filter(cr_sip_ua_t *ua, GHashTable *before)
{
	char msg[CR_MAX_ERROR_LEN];
	int ports[2], n = 0;

	ports[n++] = listen_port(ua->listen_uri);
	if (ua->tls_listen_uri)
		ports[n++] = listen_port(ua->tls_listen_uri);
	int err = cr_sip_filter_attach(ua, before, ports, n, msg);

	/* Requests from strangers still get 403; the operator is told
	 * (CR_ERR_UNSUPPORTED: some sockets filtered, others not). */
	if (err)
		cr_sip_ua_emit(ua, CR_EVENT_ERROR, err, 0,
			       "%s; requests from outside the trusted sources get 403", msg);
}

static gpointer sip_main(gpointer p)
{
	cr_sip_ua_t *ua = p;
	char msg[CR_MAX_ERROR_LEN];
	char *listen;
	GHashTable *fds_before = NULL, *threads_before;

	g_main_context_push_thread_default(ua->context);
	su_init();
	cr_sip_log_init();
	ua->root = su_glib_root_create(ua);
	if (!ua->root) {
		finish_start(ua, -1, "sip: cannot create the Sofia root");
		goto out;
	}
	/* Parse P-Asserted-Identity and the other extension headers too:
	 * a process-wide parser table, extended once. */
	if (g_once_init_enter(&extended_mclass)) {
		sip_update_default_mclass(sip_extend_mclass(NULL));
		g_once_init_leave(&extended_mclass, 1);
	}
	ua->su_source = su_glib_root_gsource(ua->root);
	g_source_attach(ua->su_source, ua->context);
	cr_sip_rate_init(ua);
	fds_before = cr_sip_filter_snapshot();
	threads_before = cr_sip_log_stack_begin();
	ua->nua = nua_create(ua->root, nua_callback, ua,
			     NUTAG_URL(ua->listen_uri),
			     TAG_IF(ua->tls_listen_uri, NUTAG_SIPS_URL(ua->tls_listen_uri)),
			     TAG_IF(ua->tls_cert_dir, NUTAG_CERTIFICATE_DIR(ua->tls_cert_dir)),
			     SIPTAG_USER_AGENT_STR(ua->user_agent),
			     /* We build and read SDP ourselves (docs/PLATFORM.md#sofia-sdp). */
			     NUTAG_MEDIA_ENABLE(0),
			     /* No message from a trunk comes near this; Sofia's
			      * default (2 MiB over TCP) lets one peer stall us. */
			     NTATAG_MAXSIZE(CR_SIP_MAX_MESSAGE),
			     NUTAG_AUTOANSWER(0),
			     NUTAG_AUTOACK(1),
			     NUTAG_AUTOALERT(0),
			     NUTAG_ENABLEINVITE(1),
			     NUTAG_ALLOW("INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, PRACK"),
			     /* UPDATE carries SDP: we answer it, NUA's SDP engine is off. */
			     NUTAG_APPL_METHOD("UPDATE"),
			     SIPTAG_SUPPORTED_STR(ua->session_expires > 0 ? "timer, 100rel"
						  : "100rel"),
			     NUTAG_SESSION_TIMER(ua->session_expires > 0 ? ua->session_expires : 0),
			     NUTAG_MIN_SE(CR_SIP_MIN_SE),
			     NUTAG_SESSION_REFRESHER(nua_any_refresher),
			     NUTAG_UPDATE_REFRESH(1),
			     /* No keepalive OPTIONS to ourselves; health checks are ours. */
			     NUTAG_OUTBOUND("no-options-keepalive, no-validate"),
			     TAG_IF(ua->outbound_proxy, NUTAG_PROXY(ua->outbound_proxy)),
			     TAG_END());
	cr_sip_log_stack_end(ua->nua ? ua : NULL, threads_before);
	if (!ua->nua) {
		listen = ua->tls_listen_uri
			? g_strdup_printf("%s or %s", ua->listen_uri, ua->tls_listen_uri)
			: g_strdup(ua->listen_uri);
		g_snprintf(msg, sizeof(msg), "sip: cannot listen on %s (address in use or "
			   "not local?)", listen);
		g_free(listen);
		finish_start(ua, -1, msg);
		goto out;
	}
	if (ua->source_filter)
		attach_source_filter(ua, fds_before);
	g_hash_table_destroy(fds_before);
	fds_before = NULL;
	finish_start(ua, 1, NULL);
	if (ua->register_expires > 0)
		cr_sip_reg_start(ua);
	if (ua->options_interval > 0) {
		cr_sip_options_send(ua);
		/* g_timeout_add_seconds() would use the global default context. */
		ua->opt_timer = g_timeout_source_new_seconds((guint)ua->options_interval);
		g_source_set_callback(ua->opt_timer, cr_sip_options_send, ua, NULL);
		g_source_attach(ua->opt_timer, ua->context);
	}
	g_main_loop_run(ua->loop);
	if (ua->opt_timer) {
		g_source_destroy(ua->opt_timer);
		g_source_unref(ua->opt_timer);
		ua->opt_timer = NULL;
	}
	cr_sip_dialog_free_all(ua);
	if (ua->reg_nh)
		nua_handle_destroy(ua->reg_nh);
	if (ua->opt_nh)
		nua_handle_destroy(ua->opt_nh);
	ua->reg_nh = ua->opt_nh = NULL;
	if (!ua->shutdown_done) {
		/* nua_destroy() refuses an unfinished shutdown, and NUA's stack
		 * runs on a Sofia thread of its own that keeps its timers going
		 * and posting events to our root, whose GSource is attached to
		 * ua->context with ua as NUA's magic: freeing the root, the
		 * context or ua under it is a use-after-free (the crash of
		 * relay/tests/test_sip_shutdown_cancel.c before the two-step
		 * close). So the whole UA stays allocated and reachable, and
		 * nothing iterates its context again. */
		g_warning("sip: NUA shutdown did not finish within %d ms; its resources stay "
			  "allocated", SHUTDOWN_FINISH_MS);
		ua->shutdown_abandoned = true;
		g_main_context_pop_thread_default(ua->context);
		return NULL;
	}
	nua_destroy(ua->nua);
	ua->nua = NULL;
	cr_sip_log_forget(ua);
out:
	if (fds_before)
		g_hash_table_destroy(fds_before);
	cr_sip_rate_free(ua);
	if (ua->root)
		su_root_destroy(ua->root);
	if (ua->su_source)
		g_source_destroy(ua->su_source);
	ua->root = NULL;
	ua->su_source = NULL;
	su_deinit();
	g_main_context_pop_thread_default(ua->context);
	return NULL;
}

static void ua_free(cr_sip_ua_t *ua)
{
	g_free(ua->listen_uri);
	g_free(ua->tls_listen_uri);
	g_free(ua->tls_cert_dir);
	g_free(ua->trunk_uri);
	g_free(ua->outbound_proxy);
	g_free(ua->username);
	g_free(ua->password);
	g_free(ua->from_domain);
	g_free(ua->rtp_address);
	g_free(ua->user_agent);
	g_free(ua->trunk_hostport);
	if (ua->sources)
		g_array_free(ua->sources, TRUE);
	if (ua->filtered_fds)
		g_array_free(ua->filtered_fds, TRUE);
	if (ua->legs)
		g_hash_table_destroy(ua->legs);
	if (ua->loop)
		g_main_loop_unref(ua->loop);
	if (ua->context)
		g_main_context_unref(ua->context);
	g_mutex_clear(&ua->lock);
	g_cond_clear(&ua->cond);
	g_free(ua);
}

int cr_sip_ua_start(const cr_sip_handlers_t *h, const cr_sip_config_t *c, cr_sip_ua_t **out,
		    char *err_buf)
{
	cr_sip_ua_t *ua;
	char *hostport = NULL;
	GError *error = NULL;
	int err;

	*out = NULL;
	err = cr_sip_config_check(c, &hostport, err_buf);
	if (err)
		return err;
	ua = g_new0(cr_sip_ua_t, 1);
	ua->h = *h;
	ua->trunk_hostport = hostport;
	ua->listen_uri = g_strdup(c->listen_uri);
	ua->tls_listen_uri = g_strdup(c->tls_listen_uri);
	ua->tls_cert_dir = g_strdup(c->tls_cert_dir);
	ua->trunk_uri = g_strdup(c->trunk_uri);
	ua->outbound_proxy = g_strdup(c->outbound_proxy);
	ua->username = g_strdup(c->username);
	ua->password = g_strdup(c->password);
	ua->from_domain = g_strdup(c->from_domain);
	ua->rtp_address = g_strdup(c->rtp_address);
	ua->user_agent = g_strdup(c->user_agent ? c->user_agent : "jingle-sip");
	ua->register_expires = c->register_expires;
	ua->options_interval = c->options_interval;
	ua->session_expires = c->session_expires == 0 ? DEFAULT_SESSION_EXPIRES
		: c->session_expires;
	ua->symmetric_rtp = c->symmetric_rtp;
	ua->source_filter = c->source_filter == 0;
	ua->invite_rate = c->invite_rate == 0 ? CR_SIP_DEFAULT_INVITE_RATE
		: c->invite_rate < 0 ? 0 : c->invite_rate;
	ua->filtered_fds = g_array_new(FALSE, FALSE, sizeof(int));
	ua->sources = g_array_new(FALSE, FALSE, sizeof(cr_sip_cidr_t));
	atomic_init(&ua->trunk_up, -1);
	g_mutex_init(&ua->lock);
	g_cond_init(&ua->cond);
	ua->legs = g_hash_table_new(g_direct_hash, g_direct_equal);
	ua->context = g_main_context_new();
	ua->loop = g_main_loop_new(ua->context, FALSE);
	err = c->trusted_sources ? cr_sip_sources_parse(c->trusted_sources, ua->sources, err_buf)
		: cr_sip_sources_default(c->trunk_uri, c->outbound_proxy, ua->sources, err_buf);
	if (err)
		goto out;
	cr_sip_sources_text(ua->sources, ua->sources_text, sizeof(ua->sources_text));
	ua->thread = g_thread_try_new("cr-sip", sip_main, ua, &error);
	if (!ua->thread) {
		g_clear_error(&error);
		err = cr_set_error(err_buf, CR_ERR_INTERNAL, "sip: cannot start the SIP thread");
		goto out;
	}
	g_mutex_lock(&ua->lock);
	while (ua->start_state == 0)
		g_cond_wait(&ua->cond, &ua->lock);
	g_mutex_unlock(&ua->lock);
	if (ua->start_state < 0) {
		g_thread_join(ua->thread);
		err = cr_set_error(err_buf, CR_ERR_INVALID, "%s", ua->start_err);
	}
out:
	if (err) {
		ua_free(ua);
		return err;
	}
	*out = ua;
	return CR_OK;
}

void cr_sip_ua_stop(cr_sip_ua_t *ua)
{
	if (!ua)
		return;
	g_mutex_lock(&ua->lock);
	ua->stopping = true;
	cr_context_post(ua->context, begin_shutdown, ua, NULL);
	g_mutex_unlock(&ua->lock);
	g_thread_join(ua->thread);
	if (ua->shutdown_abandoned) {
		g_mutex_lock(&abandoned_lock);
		abandoned_uas = g_slist_prepend(abandoned_uas, ua);
		g_mutex_unlock(&abandoned_lock);
		return;
	}
	ua_free(ua);
}

void cr_sip_ua_get_stats(cr_sip_ua_t *ua, cr_sip_stats_t *s)
{
	s->invites_sent = atomic_load(&ua->invites_sent);
	s->invites_received = atomic_load(&ua->invites_received);
	s->invites_rejected_limit = atomic_load(&ua->invites_rejected_limit);
	s->options_sent = atomic_load(&ua->options_sent);
	s->options_ok = atomic_load(&ua->options_ok);
	s->trunk_up = atomic_load(&ua->trunk_up);
	s->last_options_status = atomic_load(&ua->last_options_status);
	s->last_options_rtt_ms = atomic_load(&ua->last_options_rtt_ms);
	s->registered = atomic_load(&ua->registered);
	s->sdp_rejected = atomic_load(&ua->sdp_rejected);
	s->requests_untrusted = atomic_load(&ua->requests_untrusted);
	s->invites_rejected_rate = atomic_load(&ua->invites_rejected_rate);
	s->filter_drops = cr_sip_filter_drops(ua);
	s->filtered_sockets = (int32_t)ua->filtered_fds->len;
	g_strlcpy(s->trusted_sources, ua->sources_text, sizeof(s->trusted_sources));
}
