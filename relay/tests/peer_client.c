/**
 * @file peer_client.c  Test peer playing the XMPP client: libnice agent + OpenSSL DTLS + libsrtp2
 *
 * DTLS and SRTP use the relay's own thin wrappers over OpenSSL and libsrtp2
 * with a certificate of the peer's own; the ICE agent is a separate libnice
 * agent on its own thread, configured like the client being emulated.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <glib.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>
#include <stdatomic.h>
#include <string.h>

#include "media/media.h"
#include "peer_client.h"

struct peer {
	peer_opts_t opts;
	GMainContext *ctx;
	GMainLoop *loop;
	GThread *thread;
	NiceAgent *agent;
	guint stream;
	char ufrag[CR_MAX_UFRAG_LEN], pwd[CR_MAX_PWD_LEN];
	cr_dtls_ctx_t *dctx;
	cr_dtls_t dtls;
	cr_srtp_t srtp;
	GSource *dtls_timer;
	GMutex lock;
	GCond cond;
	GPtrArray *cands;
	bool gathered;
	bool hs_pending;
	char relay_fp[CR_MAX_FINGERPRINT_LEN];
	atomic_bool keys_ready, silent, dtls_failed;
	atomic_int audio_rx, rtcp_rx, rtcp_comp2, bad_pt, plain_rx;
	uint16_t seq;
	uint32_t ts;
	char sel_local[64], sel_remote[64];
	uint8_t last_rtcp[1500]; /* under lock */
	int last_rtcp_len;
	peer_payload_fn source;
	void *source_arg;
	peer_sink_fn sink;
	void *sink_arg;
	atomic_int ssrc_changes, seq_gaps;
	bool rx_seen;        /* peer thread only */
	uint32_t rx_ssrc;
	uint16_t rx_seq;
	char dtmf[64];       /* digits received (under lock) */
	uint32_t dtmf_ts;    /* timestamp of the last event counted */
	bool dtmf_any;
	/* Monotonic times (us) for the 200-OK-to-audio bench; 0 = not yet. */
	atomic_llong keys_at, first_audio_at, first_check_at;
};

typedef struct invoke {
	peer_t *p;
	void (*fn)(peer_t *p, void *arg);
	void *arg;
	bool done;
} invoke_t;

static gboolean invoke_cb(gpointer d)
{
	invoke_t *inv = d;

	inv->fn(inv->p, inv->arg);
	g_mutex_lock(&inv->p->lock);
	inv->done = true;
	g_cond_broadcast(&inv->p->cond);
	g_mutex_unlock(&inv->p->lock);
	return G_SOURCE_REMOVE;
}

/* Runs fn on the peer's thread and waits for it. */
static void peer_run(peer_t *p, void (*fn)(peer_t *, void *), void *arg)
{
	invoke_t inv = { p, fn, arg, false };
	GSource *s = g_idle_source_new();

	g_source_set_callback(s, invoke_cb, &inv, NULL);
	g_source_attach(s, p->ctx);
	g_source_unref(s);
	g_mutex_lock(&p->lock);
	while (!inv.done)
		g_cond_wait(&p->cond, &p->lock);
	g_mutex_unlock(&p->lock);
}

static gpointer peer_main(gpointer d)
{
	peer_t *p = d;

	/* A network namespace is per thread: every socket the agent opens on
	 * this thread is then inside it, like a client on another host. */
	if (p->opts.netns) {
		char path[128];
		int fd;

		snprintf(path, sizeof(path), "/run/netns/%s", p->opts.netns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			fprintf(stderr, "  peer: cannot enter netns %s\n", p->opts.netns);
		if (fd >= 0)
			close(fd);
	}
	g_main_context_push_thread_default(p->ctx);
	g_main_loop_run(p->loop);
	g_main_context_pop_thread_default(p->ctx);
	return NULL;
}

static void rearm_dtls(peer_t *p);

static gboolean dtls_timer_cb(gpointer d)
{
	peer_t *p = d;

	g_source_unref(p->dtls_timer);
	p->dtls_timer = NULL;
	cr_dtls_timeout(&p->dtls);
	rearm_dtls(p);
	return G_SOURCE_REMOVE;
}

static void rearm_dtls(peer_t *p)
{
	int ms = cr_dtls_next_timeout_ms(&p->dtls);

	if (p->dtls_timer) {
		g_source_destroy(p->dtls_timer);
		g_source_unref(p->dtls_timer);
		p->dtls_timer = NULL;
	}
	if (ms < 0)
		return;
	p->dtls_timer = g_timeout_source_new((guint)ms);
	g_source_set_callback(p->dtls_timer, dtls_timer_cb, p, NULL);
	g_source_attach(p->dtls_timer, p->ctx);
}

static void dtls_send(void *arg, const uint8_t *data, size_t len)
{
	peer_t *p = arg;

	nice_agent_send(p->agent, p->stream, 1, (guint)len, (const gchar *)data);
}

typedef struct audio_args {
	int n, interval;
} audio_args_t;

static void send_one(peer_t *p, void *arg);
static void start_audio(peer_t *p, void *arg);

static void handshake_done(peer_t *p)
{
	if (!p->relay_fp[0]) {
		p->hs_pending = true; /* checked when the fingerprint is known */
		return;
	}
	p->hs_pending = false;
	if (!cr_dtls_fingerprint_matches(&p->dtls, p->relay_fp) || cr_srtp_init(&p->srtp, &p->dtls)) {
		atomic_store(&p->dtls_failed, true);
		return;
	}
	atomic_store(&p->keys_ready, true);
	atomic_store(&p->keys_at, g_get_monotonic_time());
	if (p->opts.audio_on_keys > 0) {
		/* A browser sends its first packet once SRTP is keyed. */
		audio_args_t a = { p->opts.audio_on_keys, 20 };

		send_one(p, NULL);
		start_audio(p, &a);
	}
}

static void on_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf, gpointer d)
{
	peer_t *p = d;
	uint8_t pkt[2048];
	int n = (int)len;
	bool rtcp;

	(void)agent;
	(void)stream;
	if (atomic_load(&p->silent) || len == 0 || len > sizeof(pkt))
		return;
	memcpy(pkt, buf, len);
	if (pkt[0] >= 20 && pkt[0] <= 63) {
		if (cr_dtls_receive(&p->dtls, pkt, len) == 1)
			handshake_done(p);
		rearm_dtls(p);
		return;
	}
	if (pkt[0] < 128 || pkt[0] > 191)
		return;
	if (!atomic_load(&p->keys_ready)) {
		atomic_fetch_add(&p->plain_rx, 1);
		return;
	}
	rtcp = comp == 2 || cr_is_rtcp(pkt, len);
	if (cr_srtp_unprotect(&p->srtp, pkt, &n, rtcp))
		return;
	if (!rtcp && n >= 12) {
		uint32_t ssrc = (uint32_t)pkt[8] << 24 | (uint32_t)pkt[9] << 16 | (uint32_t)pkt[10] << 8 | pkt[11];
		uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);

		if (p->rx_seen && ssrc != p->rx_ssrc)
			atomic_fetch_add(&p->ssrc_changes, 1);
		else if (p->rx_seen && seq != (uint16_t)(p->rx_seq + 1))
			atomic_fetch_add(&p->seq_gaps, 1);
		p->rx_seen = true;
		p->rx_ssrc = ssrc;
		p->rx_seq = seq;
	}
	if (rtcp) {
		g_mutex_lock(&p->lock);
		p->last_rtcp_len = n < (int)sizeof(p->last_rtcp) ? n : (int)sizeof(p->last_rtcp);
		memcpy(p->last_rtcp, pkt, (size_t)p->last_rtcp_len);
		g_mutex_unlock(&p->lock);
		/* comp2 first: who waits for rtcp_rx then reads comp2 sees it. */
		if (comp == 2)
			atomic_fetch_add(&p->rtcp_comp2, 1);
		atomic_fetch_add(&p->rtcp_rx, 1);
	} else if ((pkt[1] & 0x7f) == p->opts.audio_pt) {
		int hl = 12 + 4 * (pkt[0] & 0x0f);

		if (pkt[0] & 0x10 && n >= hl + 4) /* header extension */
			hl += 4 + 4 * (pkt[hl + 2] << 8 | pkt[hl + 3]);
		if (p->sink && n > hl)
			p->sink(p->sink_arg, pkt + hl, n - hl);
		if (atomic_fetch_add(&p->audio_rx, 1) == 0)
			atomic_store(&p->first_audio_at, g_get_monotonic_time());
	} else if (p->opts.dtmf_pt && (pkt[1] & 0x7f) == p->opts.dtmf_pt && n >= 16) {
		int hl = 12 + 4 * (pkt[0] & 0x0f);
		uint32_t ts = (uint32_t)pkt[4] << 24 | (uint32_t)pkt[5] << 16 | (uint32_t)pkt[6] << 8 | pkt[7];

		/* One digit per event: its first end packet (RFC 4733 2.5.1.4). */
		if (n >= hl + 4 && (pkt[hl + 1] & 0x80) && !(p->dtmf_any && p->dtmf_ts == ts)) {
			size_t used;

			p->dtmf_any = true;
			p->dtmf_ts = ts;
			g_mutex_lock(&p->lock);
			used = strlen(p->dtmf);
			if (used + 1 < sizeof(p->dtmf))
				p->dtmf[used] = pkt[hl] < 16 ? "0123456789*#ABCD"[pkt[hl]] : '?';
			g_mutex_unlock(&p->lock);
		}
	} else {
		atomic_fetch_add(&p->bad_pt, 1);
	}
}

static void on_candidate(NiceAgent *agent, NiceCandidate *c, gpointer d)
{
	peer_t *p = d;
	gchar *sdp = nice_agent_generate_local_candidate_sdp(agent, c);

	g_mutex_lock(&p->lock);
	g_ptr_array_add(p->cands, g_strdup(sdp + 2));
	g_cond_broadcast(&p->cond);
	g_mutex_unlock(&p->lock);
	g_free(sdp);
}

static void on_gathered(NiceAgent *agent, guint stream, gpointer d)
{
	peer_t *p = d;

	(void)agent;
	(void)stream;
	g_mutex_lock(&p->lock);
	p->gathered = true;
	g_cond_broadcast(&p->cond);
	g_mutex_unlock(&p->lock);
}

static void on_state(NiceAgent *agent, guint stream, guint comp, guint state, gpointer d)
{
	peer_t *p = d;

	(void)agent;
	(void)stream;
	if (comp == 1 && state == NICE_COMPONENT_STATE_CONNECTING && !atomic_load(&p->first_check_at))
		atomic_store(&p->first_check_at, g_get_monotonic_time());
	if (comp == 1 && (state == NICE_COMPONENT_STATE_CONNECTED ||
			  state == NICE_COMPONENT_STATE_READY) && p->opts.dtls_active &&
	    !p->dtls.started) {
		cr_dtls_start(&p->dtls);
		rearm_dtls(p);
	}
}

static void on_selected(NiceAgent *agent, guint stream, guint comp, NiceCandidate *l,
			NiceCandidate *r, gpointer d)
{
	peer_t *p = d;
	char ip[NICE_ADDRESS_STRING_LEN];

	(void)agent;
	(void)stream;
	if (comp != 1)
		return;
	g_mutex_lock(&p->lock);
	nice_address_to_string(&l->addr, ip);
	g_snprintf(p->sel_local, sizeof(p->sel_local), "%s:%u", ip, nice_address_get_port(&l->addr));
	nice_address_to_string(&r->addr, ip);
	g_snprintf(p->sel_remote, sizeof(p->sel_remote), "%s:%u", ip,
		   nice_address_get_port(&r->addr));
	g_cond_broadcast(&p->cond);
	g_mutex_unlock(&p->lock);
}

static void setup_on_thread(peer_t *p, void *arg)
{
	NiceAgentOption opts = NICE_AGENT_OPTION_ICE_TRICKLE;
	gchar **addrs;

	(void)arg;
	if (p->opts.renomination)
		opts |= NICE_AGENT_OPTION_SUPPORT_RENOMINATION;
	if (p->opts.regular_nomination)
		opts |= NICE_AGENT_OPTION_REGULAR_NOMINATION;
	if (p->opts.consent_freshness)
		opts |= NICE_AGENT_OPTION_CONSENT_FRESHNESS;
	p->agent = nice_agent_new_full(p->ctx, NICE_COMPATIBILITY_RFC5245, opts);
	g_object_set(p->agent, "controlling-mode", p->opts.controlling, "ice-tcp", FALSE,
		     "upnp", FALSE, NULL);
	addrs = g_strsplit(p->opts.addresses ? p->opts.addresses : "127.0.0.1", ",", -1);
	for (gchar **a = addrs; *a; a++) {
		NiceAddress na;

		nice_address_set_from_string(&na, *a);
		nice_agent_add_local_address(p->agent, &na);
	}
	g_strfreev(addrs);
	p->stream = nice_agent_add_stream(p->agent, (guint)p->opts.components);
	if (p->opts.port)
		for (int c = 1; c <= p->opts.components; c++)
			nice_agent_set_port_range(p->agent, p->stream, (guint)c, (guint)(p->opts.port + c - 1),
						  (guint)(p->opts.port + c - 1));
	nice_agent_set_local_credentials(p->agent, p->stream, p->ufrag, p->pwd);
	for (int c = 1; c <= p->opts.components; c++)
		nice_agent_attach_recv(p->agent, p->stream, (guint)c, p->ctx, on_recv, p);
	g_signal_connect(p->agent, "new-candidate-full", G_CALLBACK(on_candidate), p);
	g_signal_connect(p->agent, "candidate-gathering-done", G_CALLBACK(on_gathered), p);
	g_signal_connect(p->agent, "component-state-changed", G_CALLBACK(on_state), p);
	g_signal_connect(p->agent, "new-selected-pair-full", G_CALLBACK(on_selected), p);
	cr_dtls_init(&p->dtls, p->dctx, p->opts.dtls_active, dtls_send, p);
	nice_agent_gather_candidates(p->agent, p->stream);
}

int peer_new(const peer_opts_t *opts, peer_t **out)
{
	peer_t *p = g_new0(peer_t, 1);

	p->opts = *opts;
	if (p->opts.components < 1)
		p->opts.components = 1;
	if (!p->opts.audio_pt)
		p->opts.audio_pt = 111;
	g_mutex_init(&p->lock);
	g_cond_init(&p->cond);
	p->cands = g_ptr_array_new_with_free_func(g_free);
	if (cr_dtls_ctx_create(NULL, NULL, &p->dctx, NULL)) {
		g_free(p);
		return -1;
	}
	cr_ice_random_string(p->ufrag, 8);
	cr_ice_random_string(p->pwd, 24);
	if (p->opts.ufrag)
		g_strlcpy(p->ufrag, p->opts.ufrag, sizeof(p->ufrag));
	if (p->opts.pwd)
		g_strlcpy(p->pwd, p->opts.pwd, sizeof(p->pwd));
	/* The client's own use_srtp offer, in its order (RFC 5764 4.1.1). */
	if (opts->srtp_profiles &&
	    SSL_CTX_set_tlsext_use_srtp(p->dctx->ssl_ctx, opts->srtp_profiles) != 0) {
		cr_dtls_ctx_destroy(p->dctx);
		g_free(p);
		return -1;
	}
	p->seq = 1000;
	p->ts = 5000;
	p->ctx = g_main_context_new();
	p->loop = g_main_loop_new(p->ctx, FALSE);
	p->thread = g_thread_new("peer", peer_main, p);
	if (!p->opts.start_later)
		peer_run(p, setup_on_thread, NULL);
	*out = p;
	return 0;
}

void peer_start(peer_t *p)
{
	if (!p->agent)
		peer_run(p, setup_on_thread, NULL);
}

static void teardown_on_thread(peer_t *p, void *arg)
{
	(void)arg;
	if (p->dtls_timer) {
		g_source_destroy(p->dtls_timer);
		g_source_unref(p->dtls_timer);
		p->dtls_timer = NULL;
	}
	if (p->agent) {
		g_signal_handlers_disconnect_by_data(p->agent, p);
		for (int c = 1; c <= p->opts.components; c++)
			nice_agent_attach_recv(p->agent, p->stream, (guint)c, p->ctx, NULL, NULL);
		nice_agent_remove_stream(p->agent, p->stream);
		g_object_unref(p->agent);
		p->agent = NULL;
	}
	cr_srtp_clear(&p->srtp);
	cr_dtls_clear(&p->dtls);
}

static void quit_on_thread(peer_t *p, void *arg)
{
	(void)arg;
	g_main_loop_quit(p->loop);
}

void peer_free(peer_t *p)
{
	if (!p)
		return;
	peer_run(p, teardown_on_thread, NULL);
	peer_run(p, quit_on_thread, NULL);
	g_thread_join(p->thread);
	/* Let libnice's pending sources run their cleanup. */
	while (g_main_context_iteration(p->ctx, FALSE))
		;
	g_main_loop_unref(p->loop);
	g_main_context_unref(p->ctx);
	cr_dtls_ctx_destroy(p->dctx);
	g_ptr_array_free(p->cands, TRUE);
	g_mutex_clear(&p->lock);
	g_cond_clear(&p->cond);
	g_free(p);
}

const char *peer_ufrag(peer_t *p) { return p->ufrag; }
const char *peer_pwd(peer_t *p) { return p->pwd; }
const char *peer_fingerprint(peer_t *p) { return p->dctx->fingerprint; }

int peer_fingerprint_with(peer_t *p, const char *hash, char *buf, size_t len)
{
	X509 *cert = SSL_CTX_get0_certificate(p->dctx->ssl_ctx);
	const EVP_MD *md_type;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	char name[16];
	size_t pos = 0;

	/* "sha-512" (RFC 8122) is OpenSSL's "sha512". */
	for (const char *c = hash; *c && pos + 1 < sizeof(name); c++)
		if (*c != '-')
			name[pos++] = *c;
	name[pos] = '\0';
	md_type = EVP_get_digestbyname(name);
	if (!cert || !md_type || X509_digest(cert, md_type, md, &n) != 1)
		return -1;
	pos = (size_t)g_snprintf(buf, len, "%s", hash);
	for (unsigned i = 0; i < n && pos + 4 < len; i++)
		pos += (size_t)g_snprintf(buf + pos, len - pos, i ? ":%02X" : " %02X", md[i]);
	return pos + 1 < len ? 0 : -1;
}

int peer_wait_gathered(peer_t *p, int timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	int n;

	g_mutex_lock(&p->lock);
	while (!p->gathered)
		if (!g_cond_wait_until(&p->cond, &p->lock, end))
			break;
	n = p->gathered ? (int)p->cands->len : -1;
	g_mutex_unlock(&p->lock);
	return n;
}

const char *peer_candidate(peer_t *p, int i)
{
	const char *c = NULL;

	g_mutex_lock(&p->lock);
	if (i >= 0 && (guint)i < p->cands->len)
		c = g_ptr_array_index(p->cands, i);
	g_mutex_unlock(&p->lock);
	return c;
}

void peer_set_remote(peer_t *p, const char *ufrag, const char *pwd)
{
	nice_agent_set_remote_credentials(p->agent, p->stream, ufrag, pwd);
}

void peer_add_remote_candidate(peer_t *p, const char *candidate)
{
	gchar *sdp = g_strdup_printf("a=%s", candidate);
	NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(p->agent, p->stream, sdp);
	GSList *l;

	g_free(sdp);
	if (!c)
		return;
	if (c->component_id <= (guint)p->opts.components) {
		l = g_slist_append(NULL, c);
		nice_agent_set_remote_candidates(p->agent, p->stream, c->component_id, l);
		g_slist_free(l);
	}
	nice_candidate_free(c);
}

static void set_fp(peer_t *p, void *arg)
{
	g_strlcpy(p->relay_fp, arg, sizeof(p->relay_fp));
	if (p->hs_pending)
		handshake_done(p);
}

void peer_set_relay_fingerprint(peer_t *p, const char *fp)
{
	peer_run(p, set_fp, (void *)fp);
}

int64_t peer_keys_at(peer_t *p)
{
	return atomic_load(&p->keys_at);
}

int64_t peer_first_audio_at(peer_t *p)
{
	return atomic_load(&p->first_audio_at);
}

int64_t peer_first_check_at(peer_t *p)
{
	return atomic_load(&p->first_check_at);
}

int peer_wait_dtls(peer_t *p, const char *fp, int timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	if (fp)
		peer_run(p, set_fp, (void *)fp);
	while (!atomic_load(&p->keys_ready)) {
		if (atomic_load(&p->dtls_failed) || g_get_monotonic_time() > end)
			return -1;
		g_usleep(10000);
	}
	return 0;
}

static int build_rtp(peer_t *p, uint8_t *pkt, int pt, bool marker, uint32_t ts, const uint8_t *payload,
		     int plen)
{
	pkt[0] = 0x80;
	pkt[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
	pkt[2] = (uint8_t)(p->seq >> 8);
	pkt[3] = (uint8_t)p->seq;
	p->seq++;
	pkt[4] = (uint8_t)(ts >> 24);
	pkt[5] = (uint8_t)(ts >> 16);
	pkt[6] = (uint8_t)(ts >> 8);
	pkt[7] = (uint8_t)ts;
	pkt[8] = 0x11;
	pkt[9] = 0x22;
	pkt[10] = 0x33;
	pkt[11] = 0x44;
	memcpy(pkt + 12, payload, (size_t)plen);
	return 12 + plen;
}

static void send_one(peer_t *p, void *arg)
{
	uint8_t pkt[1400], payload[1200];
	int len, plen = 160;

	(void)arg;
	if (!atomic_load(&p->keys_ready) || atomic_load(&p->silent))
		return;
	memset(payload, 0x5a, sizeof(payload));
	if (p->source)
		plen = p->source(p->source_arg, payload, (int)sizeof(payload));
	len = build_rtp(p, pkt, p->opts.audio_pt, false, p->ts, payload, plen);
	p->ts += 960;
	if (p->opts.send_loss_percent && g_random_int_range(0, 100) < p->opts.send_loss_percent)
		return; /* lost on the way: a gap in sequence numbers and timestamps */
	if (cr_srtp_protect(&p->srtp, pkt, &len, false) == 0)
		nice_agent_send(p->agent, p->stream, 1, (guint)len, (const gchar *)pkt);
}

typedef struct audio_job {
	peer_t *p;
	int left;
} audio_job_t;

static gboolean audio_tick(gpointer d)
{
	audio_job_t *j = d;

	send_one(j->p, NULL);
	return --j->left > 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void start_audio(peer_t *p, void *arg)
{
	audio_args_t *a = arg;
	audio_job_t *j = g_new(audio_job_t, 1);
	GSource *s = g_timeout_source_new((guint)a->interval);

	j->p = p;
	j->left = a->n;
	g_source_set_callback(s, audio_tick, j, g_free);
	g_source_attach(s, p->ctx);
	g_source_unref(s);
}

void peer_send_audio(peer_t *p, int n, int interval_ms)
{
	audio_args_t a = { n, interval_ms };

	peer_run(p, start_audio, &a);
}

static void send_rtcp(peer_t *p, void *arg)
{
	/* RR with one report block about the relay's stream. */
	uint8_t pkt[128] = { 0x81, 201, 0, 7, 0x11, 0x22, 0x33, 0x44 };
	int len = 32;

	(void)arg;
	if (cr_srtp_protect(&p->srtp, pkt, &len, true) == 0)
		nice_agent_send(p->agent, p->stream,
				(guint)(p->opts.components == 2 && !p->opts.rtcp_mux ? 2 : 1),
				(guint)len, (const gchar *)pkt);
}

void peer_send_rtcp(peer_t *p)
{
	peer_run(p, send_rtcp, NULL);
}

typedef struct raw_args {
	int comp;
	const uint8_t *buf;
	int len;
} raw_args_t;

static void send_raw(peer_t *p, void *arg)
{
	raw_args_t *a = arg;

	nice_agent_send(p->agent, p->stream, (guint)a->comp, (guint)a->len, (const gchar *)a->buf);
}

void peer_send_raw(peer_t *p, int comp, const uint8_t *buf, int len)
{
	raw_args_t a = { comp, buf, len };

	peer_run(p, send_raw, &a);
}

static void send_bad(peer_t *p, void *arg)
{
	uint8_t pkt[400], payload[160];
	int len;

	(void)arg;
	memset(payload, 0x33, sizeof(payload));
	len = build_rtp(p, pkt, p->opts.audio_pt, false, p->ts, payload, sizeof(payload));
	p->ts += 960;
	if (cr_srtp_protect(&p->srtp, pkt, &len, false) == 0) {
		pkt[len - 1] ^= 0xff;
		nice_agent_send(p->agent, p->stream, 1, (guint)len, (const gchar *)pkt);
	}
}

void peer_send_bad_srtp(peer_t *p)
{
	peer_run(p, send_bad, NULL);
}

typedef struct dtmf_args {
	int pt, event, duration_ms;
} dtmf_args_t;

static void send_dtmf(peer_t *p, void *arg)
{
	dtmf_args_t *a = arg;
	uint8_t pkt[64], ev[4];
	uint32_t ts = p->ts;
	int dur = a->duration_ms * 8; /* 8000 Hz clock */

	for (int i = 0; i < 6; i++) {
		bool end = i >= 3;
		int d = end ? dur : dur * (i + 1) / 4;
		int len;

		ev[0] = (uint8_t)a->event;
		ev[1] = (uint8_t)((end ? 0x80 : 0) | 10);
		ev[2] = (uint8_t)(d >> 8);
		ev[3] = (uint8_t)d;
		len = build_rtp(p, pkt, a->pt, i == 0, ts, ev, 4);
		if (cr_srtp_protect(&p->srtp, pkt, &len, false) == 0)
			nice_agent_send(p->agent, p->stream, 1, (guint)len, (const gchar *)pkt);
	}
	p->ts += (uint32_t)dur;
}

void peer_send_dtmf(peer_t *p, int pt, int event, int duration_ms)
{
	dtmf_args_t a = { pt, event, duration_ms };

	peer_run(p, send_dtmf, &a);
}

static int wait_count(atomic_int *v, int n, int timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	while (atomic_load(v) < n) {
		if (g_get_monotonic_time() > end)
			return -1;
		g_usleep(10000);
	}
	return 0;
}

int peer_wait_audio(peer_t *p, int n, int timeout_ms) { return wait_count(&p->audio_rx, n, timeout_ms); }
int peer_wait_rtcp(peer_t *p, int n, int timeout_ms) { return wait_count(&p->rtcp_rx, n, timeout_ms); }
int peer_audio_received(peer_t *p) { return atomic_load(&p->audio_rx); }
int peer_rtcp_received(peer_t *p) { return atomic_load(&p->rtcp_rx); }
int peer_rtcp_comp2(peer_t *p) { return atomic_load(&p->rtcp_comp2); }
int peer_bad_pt_received(peer_t *p) { return atomic_load(&p->bad_pt); }
int peer_plain_received(peer_t *p) { return atomic_load(&p->plain_rx); }

int peer_last_rtcp(peer_t *p, uint8_t *buf, int len)
{
	int n;

	g_mutex_lock(&p->lock);
	n = p->last_rtcp_len < len ? p->last_rtcp_len : len;
	memcpy(buf, p->last_rtcp, (size_t)n);
	g_mutex_unlock(&p->lock);
	return n;
}

int peer_selected(peer_t *p, char *local, char *remote, int len)
{
	int ok;

	g_mutex_lock(&p->lock);
	ok = p->sel_local[0] ? 0 : -1;
	g_strlcpy(local, p->sel_local, (gsize)len);
	g_strlcpy(remote, p->sel_remote, (gsize)len);
	g_mutex_unlock(&p->lock);
	return ok;
}

static void silence(peer_t *p, void *arg)
{
	(void)arg;
	atomic_store(&p->silent, true);
	teardown_on_thread(p, NULL);
}

void peer_go_silent(peer_t *p)
{
	peer_run(p, silence, NULL);
}


static void set_source(peer_t *p, void *arg)
{
	void **a = arg;

	p->source = (peer_payload_fn)(void (*)(void))a[0];
	p->source_arg = a[1];
}

void peer_set_audio_source(peer_t *p, peer_payload_fn fn, void *arg)
{
	void *a[2] = { (void *)(void (*)(void))fn, arg };

	peer_run(p, set_source, a);
}

static void set_sink(peer_t *p, void *arg)
{
	void **a = arg;

	p->sink = (peer_sink_fn)(void (*)(void))a[0];
	p->sink_arg = a[1];
}

void peer_set_audio_sink(peer_t *p, peer_sink_fn fn, void *arg)
{
	void *a[2] = { (void *)(void (*)(void))fn, arg };

	peer_run(p, set_sink, a);
}

void peer_dtmf_digits(peer_t *p, char *buf, int len)
{
	g_mutex_lock(&p->lock);
	g_strlcpy(buf, p->dtmf, (gsize)len);
	g_mutex_unlock(&p->lock);
}

int peer_ssrc_changes(peer_t *p) { return atomic_load(&p->ssrc_changes); }
int peer_seq_gaps(peer_t *p) { return atomic_load(&p->seq_gaps); }

typedef struct paced_dtmf {
	peer_t *p;
	int pt, event, dur, step, steps; /* dur in 8000 Hz units */
	uint32_t ts;
} paced_dtmf_t;

static gboolean paced_dtmf_tick(gpointer d)
{
	paced_dtmf_t *j = d;
	peer_t *p = j->p;
	bool end = j->step >= j->steps;
	int dur = end ? j->dur : j->dur * (j->step + 1) / (j->steps + 1);
	uint8_t pkt[64], ev[4] = { (uint8_t)j->event, (uint8_t)((end ? 0x80 : 0) | 10),
				   (uint8_t)(dur >> 8), (uint8_t)dur };

	for (int i = 0; i < (end ? 3 : 1); i++) {
		int len = build_rtp(p, pkt, j->pt, j->step == 0, j->ts, ev, 4);

		if (atomic_load(&p->keys_ready) && !atomic_load(&p->silent) &&
		    cr_srtp_protect(&p->srtp, pkt, &len, false) == 0)
			nice_agent_send(p->agent, p->stream, 1, (guint)len, (const gchar *)pkt);
	}
	j->step++;
	return end ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void start_paced_dtmf(peer_t *p, void *arg)
{
	dtmf_args_t *a = arg;
	paced_dtmf_t *j = g_new0(paced_dtmf_t, 1);
	GSource *s = g_timeout_source_new(50);

	j->p = p;
	j->pt = a->pt;
	j->event = a->event;
	j->dur = a->duration_ms * 8;
	j->steps = a->duration_ms / 50;
	j->ts = p->ts;
	p->ts += (uint32_t)j->dur;
	paced_dtmf_tick(j);
	g_source_set_callback(s, paced_dtmf_tick, j, g_free);
	g_source_attach(s, p->ctx);
	g_source_unref(s);
}

void peer_send_dtmf_paced(peer_t *p, int pt, int event, int duration_ms)
{
	dtmf_args_t a = { pt, event, duration_ms };

	peer_run(p, start_paced_dtmf, &a);
}
