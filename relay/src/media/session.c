/**
 * @file session.c  Per-call media: creation on the Lua thread, commands posted to the worker, public API
 *
 * What the signaling needs at once (ICE credentials, fingerprint, SIP-leg
 * ports) is made here on the calling thread so no public function waits for
 * a worker. Everything else is a command run on the call's worker in the
 * order it was given; commands that arrive before cr_call_media_start()
 * (early trickled candidates, docs/INTEROP.md#3 and #8) wait in a short queue.
 */
#include <stdarg.h>
#include <unistd.h>

#include "../relay_internal.h"
#include "media.h"

typedef enum {
	CMD_START,
	CMD_CANDIDATE,
	CMD_END_OF_CANDIDATES,
	CMD_REMOTE_CREDENTIALS,
	CMD_FINGERPRINT,
	CMD_SIP_REMOTE,
	CMD_ICE_RESTART,
	CMD_CODECS,
	CMD_DTMF,
	CMD_TRANSCODE,
	CMD_SIP_WATCH,
	CMD_ANSWERED
} cmd_type_t;

typedef struct cmd {
	cmd_type_t type;
	cr_call_t *call;
	char *a, *b;
	int x, y;
	cr_media_params_t *params;
} cmd_t;

void cr_media_params_init(cr_media_params_t *p)
{
	if (!p)
		return;
	memset(p, 0, sizeof(*p));
	p->rtcp_mux = 1;
	p->dtls_role = CR_DTLS_PASSIVE;
}

void cr_media_emit(cr_media_call_t *mc, int type, int32_t code, int32_t value,
		   const char *fmt, ...)
{
	char text[CR_MAX_EVENT_TEXT_LEN];
	va_list ap;

	text[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		g_vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
	}
	cr_relay_emit(mc->call->relay, type, mc->call_id, code, value, "%s", text);
}

int cr_media_call_create(cr_call_t *call, cr_media_relay_t *mr, cr_media_call_t **out,
			 char *err_buf)
{
	cr_media_call_t *mc = g_try_new0(cr_media_call_t, 1);
	int err;

	*out = NULL;
	if (!mc)
		return cr_set_error(err_buf, CR_ERR_NOMEM, "out of memory");
	mc->call = call;
	mc->mr = mr;
	mc->call_id = call->id;
	mc->rtp_fd = mc->rtcp_fd = -1;
	mc->cur_pair = -1;
	g_mutex_init(&mc->local_lock);
	g_mutex_init(&mc->pair_lock);
	cr_trace_init(&mc->trace);
	err = cr_ports_open(&mr->ports, &mr->sip_addr, &mc->rtp_fd, &mc->rtcp_fd, &mc->rtp_port);
	if (err == CR_ERR_INTERNAL) {
		int saved = errno;

		cr_fd_exhausted(call->relay, saved, "opening a call's RTP sockets");
		cr_set_error(err_buf, err, "no descriptor left for the call's RTP sockets: %s",
			     g_strerror(saved));
		goto out;
	}
	if (err) {
		cr_set_error(err_buf, err, "no free RTP port pair in %d..%d", mr->ports.min,
			     mr->ports.max);
		goto out;
	}
	cr_ice_random_string(mc->local.ice_ufrag, 8);
	cr_ice_random_string(mc->local.ice_pwd, 24);
	g_strlcpy(mc->local.fingerprint, mr->dtls->fingerprint, sizeof(mc->local.fingerprint));
	g_strlcpy(mc->local.sip_rtp_addr, mr->sip_rtp_address, sizeof(mc->local.sip_rtp_addr));
	mc->local.sip_rtp_port = mc->rtp_port;
	mc->local.sip_rtcp_port = mc->rtp_port + 1;
	mc->pending = g_ptr_array_new();
	mc->dtls_out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	cr_trace_add(&mc->trace, "call", "created sip-leg %s:%d/%d", mr->sip_rtp_address,
		     mc->rtp_port, mc->rtp_port + 1);
out:
	if (err) {
		cr_trace_clear(&mc->trace);
		g_mutex_clear(&mc->local_lock);
		g_mutex_clear(&mc->pair_lock);
		g_free(mc);
		return err;
	}
	*out = mc;
	return CR_OK;
}

static void cmd_free(void *p)
{
	cmd_t *c = p;

	cr_call_unref(c->call);
	g_free(c->a);
	g_free(c->b);
	g_free(c->params);
	g_free(c);
}

void cr_media_call_destroy(cr_media_call_t *mc, bool release_ports)
{
	if (!mc)
		return;
	mc->closed = true;
	cr_dtmf_tx_clear(mc);
	cr_transcode_destroy(mc->xc);
	mc->xc = NULL;
	cr_transcode_release(mc);
	cr_ice_stop(mc);
	cr_rtp_leg_stop(mc);
	if (mc->dtls_timer) {
		g_source_destroy(mc->dtls_timer);
		g_source_unref(mc->dtls_timer);
	}
	if (mc->tick) {
		g_source_destroy(mc->tick);
		g_source_unref(mc->tick);
	}
	cr_srtp_clear(&mc->srtp);
	cr_dtls_clear(&mc->dtls);
	if (mc->rtp_fd >= 0)
		close(mc->rtp_fd);
	if (mc->rtcp_fd >= 0)
		close(mc->rtcp_fd);
	if (mc->rtp_port && release_ports)
		cr_ports_release(&mc->mr->ports, mc->rtp_port);
	if (mc->pending) {
		g_ptr_array_set_free_func(mc->pending, cmd_free);
		g_ptr_array_free(mc->pending, TRUE);
	}
	if (mc->dtls_out)
		g_ptr_array_free(mc->dtls_out, TRUE);
	cr_trace_clear(&mc->trace);
	g_mutex_clear(&mc->local_lock);
	g_mutex_clear(&mc->pair_lock);
	g_free(mc);
}

/* The trunk's half of the liveness check: it has nothing to do with the
 * client's keys, a trunk that froze after answering is silent either way. */
static void check_sip_media(cr_media_call_t *mc, int64_t now)
{
	int secs;

	if (!mc->sip_watch || mc->sip_timeout_reported ||
	    now - mc->last_sip_media_us <= (int64_t)mc->mr->sip_media_timeout_ms * 1000)
		return;
	secs = (int)((now - mc->last_sip_media_us) / 1000000);
	mc->sip_timeout_reported = true;
	cr_trace_add(&mc->trace, "media", "timeout: no RTP from the trunk for %d s", secs);
	cr_media_emit(mc, CR_EVENT_MEDIA_TIMEOUT, CR_DIR_SIP_TO_CLIENT, secs,
		      "no media from the phone for %d s", secs);
}

static void sip_watch(cr_media_call_t *mc, bool on)
{
	if (on == mc->sip_watch)
		return;
	mc->sip_watch = on;
	/* A watch counts from its start: a hold may have lasted longer than
	 * the timeout, and that silence was expected. */
	mc->last_sip_media_us = g_get_monotonic_time();
	mc->sip_timeout_reported = false;
	if (on)
		cr_trace_add(&mc->trace, "media", "watching the trunk's RTP (timeout %d s)",
			     mc->mr->sip_media_timeout_ms / 1000);
	else
		cr_trace_add(&mc->trace, "media", "not watching the trunk's RTP (held or not answered)");
}

static gboolean on_tick(gpointer p)
{
	cr_media_call_t *mc = p;
	int64_t now = g_get_monotonic_time();

	check_sip_media(mc, now);
	cr_ice_patience_tick(mc, now);
	if (!mc->keys_ready)
		return G_SOURCE_CONTINUE;
	if (!mc->timeout_reported &&
	    now - mc->last_client_media_us > (int64_t)mc->mr->media_timeout_ms * 1000) {
		int secs = (int)((now - mc->last_client_media_us) / 1000000);
		int ice_secs = cr_ice_patience_silent_s(mc, now);
		char ice[64] = "";

		/* ICE silent as long: say so, it tells a vanished client from
		 * one that only stopped sending (ice_patience.c). */
		if (ice_secs >= mc->mr->media_timeout_ms / 1000)
			g_snprintf(ice, sizeof(ice), ", and no answered ICE check for %d s", ice_secs);
		mc->timeout_reported = true;
		cr_trace_add(&mc->trace, "media", "timeout: nothing from the client for %d s%s", secs,
			     ice);
		cr_media_emit(mc, CR_EVENT_MEDIA_TIMEOUT, 0, secs, "no media from the client for %d s%s",
			      secs, ice);
	}
	return G_SOURCE_CONTINUE;
}

static void dtls_send(void *arg, const uint8_t *data, size_t len)
{
	cr_media_call_t *mc = arg;

	if (cr_ice_send(mc, 1, data, len) >= 0)
		return;
	/* A ClientHello can arrive before libnice has a pair to answer on
	 * (Chromium starts DTLS as soon as its side connects): hold our
	 * flight until the pair exists instead of waiting for a retransmit. */
	if (mc->dtls_out->len < 16) {
		g_ptr_array_add(mc->dtls_out, g_bytes_new(data, len));
		cr_trace_add(&mc->trace, "dtls", "holding %zu bytes until ICE has a pair", len);
	}
}

static void do_start(cr_media_call_t *mc, const cr_media_params_t *p)
{
	int err;

	if (mc->started)
		return;
	mc->started = true;
	mc->params = *p;
	mc->context = mc->call->worker->context;
	mc->last_client_media_us = g_get_monotonic_time();
	cr_forward_setup(mc);
	err = cr_dtls_init(&mc->dtls, mc->mr->dtls, p->dtls_role == CR_DTLS_ACTIVE, dtls_send, mc);
	if (!err)
		err = cr_rtp_leg_start(mc);
	if (!err)
		err = cr_ice_start(mc);
	if (err) {
		cr_trace_add(&mc->trace, "call", "media start failed: %s", cr_error_to_string(err));
		cr_media_emit(mc, CR_EVENT_MEDIA_ERROR, err, 0, "media start failed: %s",
			      cr_error_to_string(err));
		return;
	}
	mc->tick = g_timeout_source_new(1000);
	g_source_set_callback(mc->tick, on_tick, mc, NULL);
	g_source_attach(mc->tick, mc->context);
}

static void run_cmd(cr_media_call_t *mc, cmd_t *c)
{
	switch (c->type) {
	case CMD_START:
		do_start(mc, c->params);
		break;
	case CMD_CANDIDATE:
		cr_ice_add_candidate(mc, c->a);
		break;
	case CMD_END_OF_CANDIDATES:
		cr_ice_end_of_candidates(mc);
		break;
	case CMD_REMOTE_CREDENTIALS:
		cr_ice_set_remote_credentials(mc, c->a, c->b);
		break;
	case CMD_FINGERPRINT:
		g_strlcpy(mc->params.remote_fingerprint, c->a, sizeof(mc->params.remote_fingerprint));
		cr_trace_add(&mc->trace, "dtls", "remote fingerprint %s", c->a);
		if (mc->dtls_waiting_fingerprint)
			cr_forward_dtls_done(mc);
		break;
	case CMD_SIP_REMOTE:
		cr_rtp_leg_set_remote(mc, c->a, c->x, c->y);
		break;
	case CMD_ICE_RESTART:
		cr_ice_restart(mc, c->a, c->b);
		break;
	case CMD_ANSWERED:
		cr_ice_patience_answered(mc);
		break;
	case CMD_CODECS:
		mc->params.n_codecs = c->params->n_codecs;
		memcpy(mc->params.codecs, c->params->codecs, sizeof(mc->params.codecs));
		cr_forward_setup(mc);
		cr_trace_add(&mc->trace, "media", "codec map replaced: %d entries", c->params->n_codecs);
		break;
	case CMD_DTMF:
		cr_dtmf_tx_queue(mc, c->a[0], c->x, c->y);
		break;
	case CMD_SIP_WATCH:
		sip_watch(mc, c->x != 0);
		break;
	case CMD_TRANSCODE:
		/* codecs[0] is the client leg's codec, codecs[1] the SIP leg's,
		 * codecs[2] their telephone-event numbers (client_pt, sip_pt) and
		 * the client's telephone-event clock. */
		if (c->params->n_codecs == 3) {
			const cr_codec_map_t *te = &c->params->codecs[2];
			cr_codec_t cl = { c->params->codecs[0].client_pt, "", c->params->codecs[0].clock_rate,
					  c->params->codecs[0].channels, te->client_pt, te->clock_rate };
			cr_codec_t sp = { c->params->codecs[1].sip_pt, "", c->params->codecs[1].clock_rate,
					  c->params->codecs[1].channels, te->sip_pt, 0 };

			g_strlcpy(cl.name, c->params->codecs[0].name, sizeof(cl.name));
			g_strlcpy(sp.name, c->params->codecs[1].name, sizeof(sp.name));
			cr_transcode_apply(mc, &cl, &sp);
		} else {
			cr_transcode_apply(mc, NULL, NULL);
		}
		break;
	}
}

static void cmd_on_worker(void *p)
{
	cmd_t *c = p;
	cr_media_call_t *mc = c->call->media;

	if (!mc || mc->closed || !c->call->live)
		return;
	if (!mc->started && c->type != CMD_START) {
		if (mc->pending->len >= CR_MAX_PENDING) {
			cr_trace_add(&mc->trace, "call", "command dropped: %u queued before media start",
				     mc->pending->len);
			return;
		}
		/* Keep it: steal the command from the posted job. */
		cmd_t *copy = g_new(cmd_t, 1);

		*copy = *c;
		cr_call_ref(copy->call);
		c->a = c->b = NULL;
		c->params = NULL;
		g_ptr_array_add(mc->pending, copy);
		return;
	}
	run_cmd(mc, c);
	if (c->type == CMD_START) {
		for (guint i = 0; i < mc->pending->len; i++)
			run_cmd(mc, g_ptr_array_index(mc->pending, i));
		g_ptr_array_set_free_func(mc->pending, cmd_free);
		g_ptr_array_set_size(mc->pending, 0);
	}
}

static int check_call(cr_call_t *call)
{
	if (!call)
		return CR_ERR_INVALID;
	if (atomic_load(&call->closing) || atomic_load(&call->relay->destroyed))
		return CR_ERR_CLOSED;
	if (!call->media)
		return CR_ERR_INVALID;
	return CR_OK;
}

static int post(cr_call_t *call, cmd_type_t type, const char *a, const char *b, int x, int y,
		const cr_media_params_t *params)
{
	cmd_t *c;
	int err = check_call(call);

	if (err)
		return err;
	c = g_new0(cmd_t, 1);
	c->type = type;
	c->call = cr_call_ref(call);
	c->a = g_strdup(a);
	c->b = g_strdup(b);
	c->x = x;
	c->y = y;
	if (params)
		c->params = g_memdup2(params, sizeof(*params));
	cr_worker_post(call->worker, cmd_on_worker, c, cmd_free);
	return CR_OK;
}

void cr_media_call_answered(cr_call_t *call)
{
	if (call->media)
		post(call, CMD_ANSWERED, NULL, NULL, 0, 0, NULL);
}

/* Whether a codec map names telephone-event (RFC 4733) at all. */
static bool has_telephone_event(const cr_codec_map_t *codecs, int n)
{
	for (int i = 0; i < n; i++)
		if (!g_ascii_strcasecmp(codecs[i].name, "telephone-event"))
			return true;
	return false;
}

int cr_call_get_media_local(cr_call_t *call, cr_media_local_t *local)
{
	int err = check_call(call);

	if (err || !local)
		return err ? err : CR_ERR_INVALID;
	g_mutex_lock(&call->media->local_lock);
	*local = call->media->local;
	g_mutex_unlock(&call->media->local_lock);
	return CR_OK;
}

int cr_call_media_start(cr_call_t *call, const cr_media_params_t *p, char *err_buf)
{
	int err = check_call(call);

	if (err)
		return cr_set_error(err_buf, err, "the call is closed or has no media plane");
	if (!p)
		return cr_set_error(err_buf, CR_ERR_INVALID, "no parameters");
	if (p->dtls_role != CR_DTLS_ACTIVE && p->dtls_role != CR_DTLS_PASSIVE)
		return cr_set_error(err_buf, CR_ERR_INVALID, "dtls_role must be active or passive");
	if (p->n_codecs < 0 || p->n_codecs > CR_MAX_CODECS)
		return cr_set_error(err_buf, CR_ERR_INVALID, "n_codecs must be 0..%d", CR_MAX_CODECS);
	for (int i = 0; i < p->n_codecs; i++)
		if (p->codecs[i].client_pt < -1 || p->codecs[i].client_pt > 127 ||
		    p->codecs[i].sip_pt < 0 || p->codecs[i].sip_pt > 127)
			return cr_set_error(err_buf, CR_ERR_INVALID,
					    "codec %d: payload types must be 0..127 (client -1: none)", i);
	err = post(call, CMD_START, NULL, NULL, 0, 0, p);
	if (!err)
		call->media->ctl_has_dtmf = has_telephone_event(p->codecs, p->n_codecs);
	return err;
}

int cr_call_add_remote_candidate(cr_call_t *call, const char *candidate)
{
	if (!candidate || !strstr(candidate, "candidate:"))
		return CR_ERR_INVALID;
	return post(call, CMD_CANDIDATE, candidate, NULL, 0, 0, NULL);
}

int cr_call_end_of_candidates(cr_call_t *call)
{
	return post(call, CMD_END_OF_CANDIDATES, NULL, NULL, 0, 0, NULL);
}

int cr_call_set_remote_credentials(cr_call_t *call, const char *ufrag, const char *pwd)
{
	if (!ufrag || !pwd || !*ufrag || !*pwd || strlen(ufrag) >= CR_MAX_UFRAG_LEN ||
	    strlen(pwd) >= CR_MAX_PWD_LEN)
		return CR_ERR_INVALID;
	return post(call, CMD_REMOTE_CREDENTIALS, ufrag, pwd, 0, 0, NULL);
}

int cr_call_set_remote_fingerprint(cr_call_t *call, const char *fp)
{
	if (!fp || !strchr(fp, ' ') || strlen(fp) >= CR_MAX_FINGERPRINT_LEN)
		return CR_ERR_INVALID;
	return post(call, CMD_FINGERPRINT, fp, NULL, 0, 0, NULL);
}

int cr_call_set_sip_remote(cr_call_t *call, const char *addr, int rtp_port, int rtcp_port)
{
	struct sockaddr_storage ss;

	if (cr_parse_addr(addr, rtp_port, &ss, NULL) || rtp_port <= 0 || rtcp_port < 0 ||
	    rtcp_port > 65535)
		return CR_ERR_INVALID;
	return post(call, CMD_SIP_REMOTE, addr, NULL, rtp_port, rtcp_port, NULL);
}

int cr_call_watch_sip_media(cr_call_t *call, int on)
{
	return post(call, CMD_SIP_WATCH, NULL, NULL, on ? 1 : 0, 0, NULL);
}

int cr_call_set_codecs(cr_call_t *call, const cr_codec_map_t *codecs, int n_codecs)
{
	cr_media_params_t p;
	int err;

	if (n_codecs < 0 || n_codecs > CR_MAX_CODECS || (n_codecs > 0 && !codecs))
		return CR_ERR_INVALID;
	for (int i = 0; i < n_codecs; i++)
		if (codecs[i].client_pt < -1 || codecs[i].client_pt > 127 || codecs[i].sip_pt < 0 ||
		    codecs[i].sip_pt > 127)
			return CR_ERR_INVALID;
	cr_media_params_init(&p);
	p.n_codecs = n_codecs;
	if (n_codecs > 0)
		memcpy(p.codecs, codecs, sizeof(*codecs) * (size_t)n_codecs);
	err = post(call, CMD_CODECS, NULL, NULL, 0, 0, &p);
	if (!err)
		call->media->ctl_has_dtmf = has_telephone_event(codecs, n_codecs);
	return err;
}

int cr_call_send_dtmf(cr_call_t *call, char digit, int duration_ms, int volume, char *err_buf)
{
	char text[2] = { digit, '\0' };
	int err = check_call(call);

	if (err)
		return cr_set_error(err_buf, err, "the call is closed or has no media plane");
	if (!digit || !strchr("0123456789*#ABCDabcd", digit))
		return cr_set_error(err_buf, CR_ERR_INVALID, "not a DTMF digit (0-9, *, #, A-D)");
	if (duration_ms < CR_DTMF_MIN_MS || duration_ms > CR_DTMF_MAX_MS)
		return cr_set_error(err_buf, CR_ERR_INVALID, "DTMF duration must be %d..%d ms",
				    CR_DTMF_MIN_MS, CR_DTMF_MAX_MS);
	if (volume < -1 || volume > 63)
		return cr_set_error(err_buf, CR_ERR_INVALID, "DTMF volume must be 0..63 (-dBm0) or -1");
	/* The codec map as last given by this thread: the worker checks again
	 * when the digit's turn comes. */
	if (!call->media->ctl_has_dtmf)
		return cr_set_error(err_buf, CR_ERR_UNSUPPORTED,
				    "no telephone-event (RFC 4733) negotiated on the SIP leg");
	/* A transcoded call's SIP-leg stream is the transcoder's (its SSRC and
	 * numbering), not the forwarded one dtmf_send.c continues. */
	if (atomic_load(&call->media->transcode_slot))
		return cr_set_error(err_buf, CR_ERR_UNSUPPORTED,
				    "digits from the gateway on a transcoded call are not supported yet");
	if (atomic_fetch_add(&call->media->dtmf_queued, 1) >= CR_DTMF_MAX_QUEUED) {
		atomic_fetch_sub(&call->media->dtmf_queued, 1);
		return cr_set_error(err_buf, CR_ERR_LIMIT, "%d DTMF digits are already waiting",
				    CR_DTMF_MAX_QUEUED);
	}
	err = post(call, CMD_DTMF, text, NULL, duration_ms, volume, NULL);
	if (err) {
		atomic_fetch_sub(&call->media->dtmf_queued, 1);
		return cr_set_error(err_buf, err, "the call is closed");
	}
	return CR_OK;
}

int cr_call_set_transcode(cr_call_t *call, const cr_codec_t *client, const cr_codec_t *sip,
			  char *err_buf)
{
	cr_media_params_t p;
	int err = check_call(call);

	if (err)
		return cr_set_error(err_buf, err, "the call is closed or has no media plane");
	if (!client != !sip)
		return cr_set_error(err_buf, CR_ERR_INVALID, "give both codecs, or neither");
	cr_media_params_init(&p);
	if (client) {
		err = cr_transcode_reserve(call, client, sip, err_buf);
		if (err)
			return err;
		p.n_codecs = 3;
		p.codecs[2].client_pt = client->dtmf_pt;
		p.codecs[2].sip_pt = sip->dtmf_pt;
		p.codecs[2].clock_rate = client->dtmf_clock_rate;
		p.codecs[0].client_pt = client->pt;
		p.codecs[0].clock_rate = client->clock_rate;
		p.codecs[0].channels = client->channels;
		g_strlcpy(p.codecs[0].name, client->name, sizeof(p.codecs[0].name));
		p.codecs[1].sip_pt = sip->pt;
		p.codecs[1].clock_rate = sip->clock_rate;
		p.codecs[1].channels = sip->channels;
		g_strlcpy(p.codecs[1].name, sip->name, sizeof(p.codecs[1].name));
	} else {
		cr_transcode_release(call->media);
	}
	return post(call, CMD_TRANSCODE, NULL, NULL, 0, 0, &p);
}

int cr_call_ice_restart(cr_call_t *call, cr_media_local_t *local)
{
	char ufrag[CR_MAX_UFRAG_LEN], pwd[CR_MAX_PWD_LEN];
	int err = check_call(call);

	if (err)
		return err;
	cr_ice_random_string(ufrag, 8);
	cr_ice_random_string(pwd, 24);
	g_mutex_lock(&call->media->local_lock);
	g_strlcpy(call->media->local.ice_ufrag, ufrag, sizeof(ufrag));
	g_strlcpy(call->media->local.ice_pwd, pwd, sizeof(pwd));
	if (local)
		*local = call->media->local;
	g_mutex_unlock(&call->media->local_lock);
	return post(call, CMD_ICE_RESTART, ufrag, pwd, 0, 0, NULL);
}

int cr_call_get_stats(cr_call_t *call, cr_call_stats_t *s)
{
	cr_media_call_t *mc;
	cr_counters_t *c;
	int err = check_call(call);

	if (err || !s)
		return err ? err : CR_ERR_INVALID;
	mc = call->media;
	c = &mc->counters;
	memset(s, 0, sizeof(*s));
	s->ice_state = atomic_load(&c->ice_state);
	s->dtls_state = atomic_load(&c->dtls_state);
	g_mutex_lock(&mc->pair_lock);
	g_strlcpy(s->selected_pair, mc->selected_pair, sizeof(s->selected_pair));
	g_strlcpy(s->media_path, mc->media_path[0] ? mc->media_path : "passthrough",
		  sizeof(s->media_path));
	g_mutex_unlock(&mc->pair_lock);
#define LOAD(f) s->f = atomic_load_explicit(&c->f, memory_order_relaxed)
	LOAD(client_rx_packets);
	LOAD(client_rx_bytes);
	LOAD(client_tx_packets);
	LOAD(client_tx_bytes);
	LOAD(sip_rx_packets);
	LOAD(sip_rx_bytes);
	LOAD(sip_tx_packets);
	LOAD(sip_tx_bytes);
	LOAD(srtp_auth_failed);
	LOAD(dtls_bad);
	LOAD(ice_bad);
	LOAD(early_dropped);
	LOAD(sip_foreign);
	LOAD(unmapped_pt);
	LOAD(candidates_dropped);
	LOAD(dtmf_events);
	LOAD(transcoded_packets);
	LOAD(transcode_dropped);
	LOAD(sip_ssrc_dropped);
#undef LOAD
	return CR_OK;
}

int cr_call_get_trace(cr_call_t *call, char *buf, size_t len)
{
	cr_media_call_t *mc;
	GString *str;
	int err = check_call(call), n;

	if (err || !buf || !len)
		return err ? err : CR_ERR_INVALID;
	mc = call->media;
	str = g_string_new(NULL);
	cr_trace_dump(&mc->trace, str);
	g_mutex_lock(&mc->pair_lock);
	for (int i = 0; i < mc->n_pairs; i++) {
		cr_pair_stats_t *ps = &mc->pairs[i];

		g_string_append_printf(str,
				       "%" G_GINT64_FORMAT " stats pair %s%s rx %" G_GUINT64_FORMAT
				       " pkts %" G_GUINT64_FORMAT " bytes tx %" G_GUINT64_FORMAT
				       " pkts %" G_GUINT64_FORMAT " bytes\n",
				       (g_get_monotonic_time() - mc->trace.t0_us) / 1000, ps->name,
				       i == mc->cur_pair ? " (selected)" : "",
				       (guint64)atomic_load(&ps->rx_packets), (guint64)atomic_load(&ps->rx_bytes),
				       (guint64)atomic_load(&ps->tx_packets), (guint64)atomic_load(&ps->tx_bytes));
	}
	g_mutex_unlock(&mc->pair_lock);
	n = (int)str->len;
	g_strlcpy(buf, str->str, len);
	g_string_free(str, TRUE);
	return n;
}
