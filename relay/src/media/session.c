/**
 * @file session.c  Per-call media: creation on the Lua thread, commands run on the worker
 *
 * What the signaling needs at once (ICE credentials, fingerprint, SIP-leg
 * ports) is made here on the calling thread so no public function waits for
 * a worker. Everything else is a command (relay/src/call_media.c posts them)
 * run on the call's worker in the order it was given; commands that arrive
 * before cr_call_media_start() (early trickled candidates,
 * docs/INTEROP.md#3 and #8) wait in a short queue. The 1 s tick and the
 * media timeouts it checks are liveness.c's.
 *
 * Layer 3 (docs/ARCHITECTURE.md): knows no cr_call_t or relay; what it
 * reports goes up through the cr_media_env_t it was created with.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "media.h"

void cr_media_params_init(cr_media_params_t *p)
{
	if (!p)
		return;
	memset(p, 0, sizeof(*p));
	p->rtcp_mux = 1;
	p->dtls_role = CR_DTLS_PASSIVE;
}

int cr_media_call_create(const cr_media_env_t *env, cr_media_relay_t *mr, cr_media_call_t **out,
			 char *err_buf)
{
	cr_media_call_t *mc = g_try_new0(cr_media_call_t, 1);
	int err;

	*out = NULL;
	if (!mc)
		return cr_set_error(err_buf, CR_ERR_NOMEM, "out of memory");
	mc->env = *env;
	mc->mr = mr;
	mc->call_id = env->call_id;
	mc->context = env->context;
	mc->rtp_fd = mc->rtcp_fd = -1;
	mc->cur_pair = -1;
	g_mutex_init(&mc->local_lock);
	g_mutex_init(&mc->pair_lock);
	mc->trace = env->trace;
	cr_dtmf_tx_init(mc, cr_rtp_leg_send);
	err = cr_ports_open(&mr->ports, &mr->sip_addr, &mc->rtp_fd, &mc->rtcp_fd, &mc->rtp_port);
	if (err == CR_ERR_INTERNAL) {
		int saved = errno;

		cr_media_fd_exhausted(env, saved, "opening a call's RTP sockets");
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
	cr_trace_add(mc->trace, "call", "created sip-leg %s:%d/%d", mr->sip_rtp_address,
		     mc->rtp_port, mc->rtp_port + 1);
out:
	if (err) {
		g_mutex_clear(&mc->local_lock);
		g_mutex_clear(&mc->pair_lock);
		g_free(mc);
		return err;
	}
	*out = mc;
	return CR_OK;
}

void cr_media_cmd_clear(cr_media_cmd_t *c)
{
	g_free(c->a);
	g_free(c->b);
	g_free(c->params);
	c->a = c->b = NULL;
	c->params = NULL;
}

static void cmd_free(void *p)
{
	cr_media_cmd_clear(p);
	g_free(p);
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
	cr_liveness_stop(mc);
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
	g_mutex_clear(&mc->local_lock);
	g_mutex_clear(&mc->pair_lock);
	g_free(mc);
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
		cr_trace_add(mc->trace, "dtls", "holding %zu bytes until ICE has a pair", len);
	}
}

static void do_start(cr_media_call_t *mc, const cr_media_params_t *p)
{
	int err;

	if (mc->started)
		return;
	mc->started = true;
	mc->params = *p;
	mc->last_client_media_us = g_get_monotonic_time();
	cr_forward_setup(mc);
	err = cr_dtls_init(&mc->dtls, mc->mr->dtls, p->dtls_role == CR_DTLS_ACTIVE, dtls_send, mc);
	if (!err)
		err = cr_rtp_leg_start(mc);
	if (!err)
		err = cr_ice_start(mc);
	if (err) {
		cr_trace_add(mc->trace, "call", "media start failed: %s", cr_error_to_string(err));
		cr_media_emit(mc, CR_EVENT_MEDIA_ERROR, err, 0, "media start failed: %s",
			      cr_error_to_string(err));
		return;
	}
	cr_liveness_start(mc);
}

static void run_cmd(cr_media_call_t *mc, cr_media_cmd_t *c)
{
	switch (c->type) {
	case CR_MEDIA_CMD_START:
		do_start(mc, c->params);
		break;
	case CR_MEDIA_CMD_CANDIDATE:
		cr_ice_add_candidate(mc, c->a);
		break;
	case CR_MEDIA_CMD_END_OF_CANDIDATES:
		cr_ice_end_of_candidates(mc);
		break;
	case CR_MEDIA_CMD_REMOTE_CREDENTIALS:
		cr_ice_set_remote_credentials(mc, c->a, c->b);
		break;
	case CR_MEDIA_CMD_FINGERPRINT:
		g_strlcpy(mc->params.remote_fingerprint, c->a, sizeof(mc->params.remote_fingerprint));
		cr_trace_add(mc->trace, "dtls", "remote fingerprint %s", c->a);
		if (mc->dtls_waiting_fingerprint)
			cr_forward_dtls_done(mc);
		break;
	case CR_MEDIA_CMD_SIP_REMOTE:
		cr_rtp_leg_set_remote(mc, c->a, c->x, c->y);
		break;
	case CR_MEDIA_CMD_ICE_RESTART:
		cr_ice_restart(mc, c->a, c->b);
		break;
	case CR_MEDIA_CMD_ANSWERED:
		cr_ice_patience_answered(mc);
		break;
	case CR_MEDIA_CMD_CODECS:
		mc->params.n_codecs = c->params->n_codecs;
		memcpy(mc->params.codecs, c->params->codecs, sizeof(mc->params.codecs));
		cr_forward_setup(mc);
		cr_trace_add(mc->trace, "media", "codec map replaced: %d entries", c->params->n_codecs);
		break;
	case CR_MEDIA_CMD_DTMF:
		cr_dtmf_tx_queue(mc, c->a[0], c->x, c->y);
		break;
	case CR_MEDIA_CMD_SIP_WATCH:
		cr_liveness_sip_watch(mc, c->x != 0);
		break;
	case CR_MEDIA_CMD_TRANSCODE:
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

void cr_media_call_run(cr_media_call_t *mc, cr_media_cmd_t *c)
{
	if (!mc || mc->closed)
		return;
	if (!mc->started && c->type != CR_MEDIA_CMD_START) {
		if (mc->pending->len >= CR_MAX_PENDING) {
			cr_trace_add(mc->trace, "call", "command dropped: %u queued before media start",
				     mc->pending->len);
			return;
		}
		/* Keep it: steal the command from the posted job. */
		cr_media_cmd_t *copy = g_new(cr_media_cmd_t, 1);

		*copy = *c;
		c->a = c->b = NULL;
		c->params = NULL;
		g_ptr_array_add(mc->pending, copy);
		return;
	}
	run_cmd(mc, c);
	if (c->type == CR_MEDIA_CMD_START) {
		for (guint i = 0; i < mc->pending->len; i++)
			run_cmd(mc, g_ptr_array_index(mc->pending, i));
		g_ptr_array_set_free_func(mc->pending, cmd_free);
		g_ptr_array_set_size(mc->pending, 0);
	}
}
