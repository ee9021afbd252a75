/**
 * @file call_media.c  The public cr_call_* media API: arguments checked on the caller's thread, commands posted to the call's worker
 *
 * Layer 4 (docs/ARCHITECTURE.md): the call object meets its media here
 * (relay/src/media/, which knows no cr_call_t); media/session.c runs the
 * commands on the worker.
 */
#include <string.h>

#include "relay_internal.h"
#include "media/media.h"

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

typedef struct media_job {
	cr_call_t *call;
	cr_media_cmd_t cmd;
} media_job_t;

static void job_on_worker(void *p)
{
	media_job_t *job = p;

	if (job->call->media && job->call->live)
		cr_media_call_run(job->call->media, &job->cmd);
}

static void job_free(void *p)
{
	media_job_t *job = p;

	cr_call_unref(job->call);
	cr_media_cmd_clear(&job->cmd);
	g_free(job);
}

static int post(cr_call_t *call, cr_media_cmd_type_t type, const char *a, const char *b, int x,
		int y, const cr_media_params_t *params)
{
	media_job_t *job;
	int err = check_call(call);

	if (err)
		return err;
	job = g_new0(media_job_t, 1);
	job->call = cr_call_ref(call);
	job->cmd.type = type;
	job->cmd.a = g_strdup(a);
	job->cmd.b = g_strdup(b);
	job->cmd.x = x;
	job->cmd.y = y;
	if (params)
		job->cmd.params = g_memdup2(params, sizeof(*params));
	cr_worker_post(call->worker, job_on_worker, job, job_free);
	return CR_OK;
}

void cr_media_call_answered(cr_call_t *call)
{
	if (call->media)
		post(call, CR_MEDIA_CMD_ANSWERED, NULL, NULL, 0, 0, NULL);
}

/* Whether a codec map names telephone-event (RFC 4733) at all. */
static bool has_telephone_event(const cr_codec_map_t *codecs, int n)
{
	for (int i = 0; i < n; i++)
		if (!g_ascii_strcasecmp(codecs[i].sip.name, "telephone-event"))
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

void cr_call_own_sip_rtp(cr_call_t *call, char *addr, size_t addr_len, int *port)
{
	if (addr_len)
		addr[0] = '\0';
	*port = 0;
	if (!call || !call->media)
		return;
	g_mutex_lock(&call->media->local_lock);
	g_strlcpy(addr, call->media->local.sip_rtp_addr, addr_len);
	*port = call->media->local.sip_rtp_port;
	g_mutex_unlock(&call->media->local_lock);
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
		    p->codecs[i].sip.pt < 0 || p->codecs[i].sip.pt > 127)
			return cr_set_error(err_buf, CR_ERR_INVALID,
					    "codec %d: payload types must be 0..127 (client -1: none)", i);
	err = post(call, CR_MEDIA_CMD_START, NULL, NULL, 0, 0, p);
	if (!err)
		call->media->ctl_has_dtmf = has_telephone_event(p->codecs, p->n_codecs);
	return err;
}

int cr_call_add_remote_candidate(cr_call_t *call, const char *candidate)
{
	if (!candidate || !strstr(candidate, "candidate:"))
		return CR_ERR_INVALID;
	return post(call, CR_MEDIA_CMD_CANDIDATE, candidate, NULL, 0, 0, NULL);
}

int cr_call_end_of_candidates(cr_call_t *call)
{
	return post(call, CR_MEDIA_CMD_END_OF_CANDIDATES, NULL, NULL, 0, 0, NULL);
}

int cr_call_set_remote_credentials(cr_call_t *call, const char *ufrag, const char *pwd)
{
	if (!ufrag || !pwd || !*ufrag || !*pwd || strlen(ufrag) >= CR_MAX_UFRAG_LEN ||
	    strlen(pwd) >= CR_MAX_PWD_LEN)
		return CR_ERR_INVALID;
	return post(call, CR_MEDIA_CMD_REMOTE_CREDENTIALS, ufrag, pwd, 0, 0, NULL);
}

int cr_call_set_remote_fingerprint(cr_call_t *call, const char *fp)
{
	if (!fp || !strchr(fp, ' ') || strlen(fp) >= CR_MAX_FINGERPRINT_LEN)
		return CR_ERR_INVALID;
	return post(call, CR_MEDIA_CMD_FINGERPRINT, fp, NULL, 0, 0, NULL);
}

int cr_call_set_sip_remote(cr_call_t *call, const char *addr, int rtp_port, int rtcp_port)
{
	struct sockaddr_storage ss;

	if (cr_parse_addr(addr, rtp_port, &ss, NULL) || rtp_port <= 0 || rtcp_port < 0 ||
	    rtcp_port > 65535)
		return CR_ERR_INVALID;
	return post(call, CR_MEDIA_CMD_SIP_REMOTE, addr, NULL, rtp_port, rtcp_port, NULL);
}

int cr_call_watch_sip_media(cr_call_t *call, int on)
{
	return post(call, CR_MEDIA_CMD_SIP_WATCH, NULL, NULL, on ? 1 : 0, 0, NULL);
}

int cr_call_set_codecs(cr_call_t *call, const cr_codec_map_t *codecs, int n_codecs)
{
	cr_media_params_t p;
	int err;

	if (n_codecs < 0 || n_codecs > CR_MAX_CODECS || (n_codecs > 0 && !codecs))
		return CR_ERR_INVALID;
	for (int i = 0; i < n_codecs; i++)
		if (codecs[i].client_pt < -1 || codecs[i].client_pt > 127 || codecs[i].sip.pt < 0 ||
		    codecs[i].sip.pt > 127)
			return CR_ERR_INVALID;
	cr_media_params_init(&p);
	p.n_codecs = n_codecs;
	if (n_codecs > 0)
		memcpy(p.codecs, codecs, sizeof(*codecs) * (size_t)n_codecs);
	err = post(call, CR_MEDIA_CMD_CODECS, NULL, NULL, 0, 0, &p);
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
	err = post(call, CR_MEDIA_CMD_DTMF, text, NULL, duration_ms, volume, NULL);
	if (err) {
		atomic_fetch_sub(&call->media->dtmf_queued, 1);
		return cr_set_error(err_buf, err, "the call is closed");
	}
	return CR_OK;
}

/* A leg of cr_call_set_transcode() as the transcoder takes it. */
static void xc_leg(const cr_codec_t *codec, const cr_codec_t *dtmf, cr_xc_codec_t *out)
{
	memset(out, 0, sizeof(*out));
	out->pt = codec->pt;
	/* Terminated whatever the caller's array holds. */
	memcpy(out->name, codec->name, sizeof(out->name) - 1);
	out->clock_rate = codec->clock_rate;
	out->channels = codec->channels > 0 ? codec->channels : 1;
	if (dtmf) {
		out->dtmf_pt = dtmf->pt;
		out->dtmf_clock_rate = dtmf->clock_rate;
	}
}

int cr_call_set_transcode(cr_call_t *call, const cr_codec_t *client_codec,
			  const cr_codec_t *client_dtmf, const cr_codec_t *sip_codec,
			  const cr_codec_t *sip_dtmf, char *err_buf)
{
	cr_xc_codec_t client_leg, sip_leg;
	const cr_xc_codec_t *client = NULL, *sip = NULL;
	cr_media_params_t p;
	int err = check_call(call);

	if (err)
		return cr_set_error(err_buf, err, "the call is closed or has no media plane");
	if (!client_codec != !sip_codec)
		return cr_set_error(err_buf, CR_ERR_INVALID, "give both codecs, or neither");
	/* pt 0 would read as "no telephone-event" below. */
	if ((client_dtmf && (client_dtmf->pt < 96 || client_dtmf->pt > 127)) ||
	    (sip_dtmf && (sip_dtmf->pt < 96 || sip_dtmf->pt > 127)))
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "telephone-event payload type must be 96..127");
	if (client_codec) {
		xc_leg(client_codec, client_dtmf, &client_leg);
		xc_leg(sip_codec, sip_dtmf, &sip_leg);
		client = &client_leg;
		sip = &sip_leg;
	}
	cr_media_params_init(&p);
	if (client) {
		err = cr_transcode_reserve(call->media, client, sip, err_buf);
		if (err)
			return err;
		/* Carried to the worker in the map's slots (media/session.c). */
		p.n_codecs = 3;
		p.codecs[0].sip = (cr_codec_t){ client->pt, "", client->clock_rate, client->channels };
		g_strlcpy(p.codecs[0].sip.name, client->name, sizeof(p.codecs[0].sip.name));
		p.codecs[1].sip = (cr_codec_t){ sip->pt, "", sip->clock_rate, sip->channels };
		g_strlcpy(p.codecs[1].sip.name, sip->name, sizeof(p.codecs[1].sip.name));
		p.codecs[2].client_pt = client->dtmf_pt;
		p.codecs[2].sip.pt = sip->dtmf_pt;
		p.codecs[2].sip.clock_rate = client->dtmf_clock_rate;
	} else {
		cr_transcode_release(call->media);
	}
	return post(call, CR_MEDIA_CMD_TRANSCODE, NULL, NULL, 0, 0, &p);
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
	return post(call, CR_MEDIA_CMD_ICE_RESTART, ufrag, pwd, 0, 0, NULL);
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
	LOAD(fast_rx_packets);
	LOAD(fast_tx_packets);
	LOAD(fast_stun_answered);
	LOAD(fast_fallbacks);
#undef LOAD
	return CR_OK;
}

int cr_call_get_trace(cr_call_t *call, char *buf, size_t len)
{
	cr_media_call_t *mc;
	GString *str;
	int n;

	if (!call || !buf || !len)
		return CR_ERR_INVALID;
	if (atomic_load(&call->closing) || atomic_load(&call->relay->destroyed))
		return CR_ERR_CLOSED;
	/* The one trace of the call, media and SIP alike; a relay without
	 * media has SIP lines only. */
	str = g_string_new(NULL);
	cr_trace_dump(&call->trace, str);
	mc = call->media;
	if (!mc)
		goto out;
	g_mutex_lock(&mc->pair_lock);
	for (int i = 0; i < mc->n_pairs; i++) {
		cr_pair_stats_t *ps = &mc->pairs[i];

		g_string_append_printf(str,
				       "%" G_GINT64_FORMAT " stats pair %s%s rx %" G_GUINT64_FORMAT
				       " pkts %" G_GUINT64_FORMAT " bytes tx %" G_GUINT64_FORMAT
				       " pkts %" G_GUINT64_FORMAT " bytes\n",
				       cr_trace_now_ms(&call->trace), ps->name,
				       i == mc->cur_pair ? " (selected)" : "",
				       (guint64)atomic_load(&ps->rx_packets), (guint64)atomic_load(&ps->rx_bytes),
				       (guint64)atomic_load(&ps->tx_packets), (guint64)atomic_load(&ps->tx_bytes));
	}
	g_mutex_unlock(&mc->pair_lock);
out:
	n = (int)str->len;
	g_strlcpy(buf, str->str, len);
	g_string_free(str, TRUE);
	return n;
}
