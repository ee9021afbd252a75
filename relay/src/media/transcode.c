/**
 * @file transcode.c  Per-call transcoding between the legs' codecs with GStreamer pipelines
 *
 * Used only when the legs share no codec. Each direction is one pipeline
 *   appsrc (RTP) ! rtpjitterbuffer ! depay ! decoder ! audioconvert !
 *   audioresample ! encoder ! payloader ! appsink
 * The worker pushes plain RTP into the appsrc (a bounded, leaky queue: the
 * push never blocks) and returns; GStreamer's own streaming threads (the
 * appsrc task and the jitter buffer's output task) decode and encode. What
 * the appsink produces is queued under a mutex and the worker is woken by a
 * GSource of its own context, so every packet still leaves the relay from
 * the call's worker (SRTP state and sockets stay single-threaded).
 *
 * The payloaders number the packets: each leg keeps its own SSRC, sequence
 * numbers and timestamps, continuous whatever the other leg does (hold,
 * resume, a re-INVITE). RTCP cannot be translated then, so forward.c drops
 * it on transcoded calls (terminated).
 */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include "../relay_internal.h"
#include "media.h"

#define XC_MAX_QUEUED 256    /* packets waiting for the worker, both ways */
#define XC_SRC_MAX_BYTES 65536 /* appsrc queue; older packets go first past it */
#define XC_JITTER_MS 60

/* What GStreamer calls each codec we transcode. */
typedef struct codec_elems {
	const char *name;      /* SDP name (matched case-insensitively) */
	int rtp_clock;         /* RTP clock rate */
	const char *encoding;  /* encoding-name in RTP caps */
	const char *depay, *dec, *enc, *pay;
	const char *pay_opts;  /* payloader properties */
	int rate;              /* the raw audio rate the encoder wants */
} codec_elems_t;

static const codec_elems_t CODECS[] = {
	{ "PCMU", 8000, "PCMU", "rtppcmudepay", "mulawdec", "mulawenc", "rtppcmupay",
	  "min-ptime=20000000 max-ptime=20000000", 8000 },
	{ "PCMA", 8000, "PCMA", "rtppcmadepay", "alawdec", "alawenc", "rtppcmapay",
	  "min-ptime=20000000 max-ptime=20000000", 8000 },
	/* G.722 samples at 16 kHz with an 8000 Hz RTP clock (RFC 3551 4.5.2). */
	{ "G722", 8000, "G722", "rtpg722depay", "avdec_g722", "avenc_g722", "rtpg722pay",
	  "min-ptime=20000000 max-ptime=20000000", 16000 },
	{ "opus", 48000, "OPUS", "rtpopusdepay", "opusdec plc=true",
	  "opusenc audio-type=voice frame-size=20 bitrate=32000", "rtpopuspay", "", 48000 },
};

static const char *const ELEMENTS[] = {
	"appsrc", "appsink", "rtpjitterbuffer", "audioconvert", "audioresample",
	"rtppcmudepay", "mulawdec", "mulawenc", "rtppcmupay",
	"rtppcmadepay", "alawdec", "alawenc", "rtppcmapay",
	"rtpg722depay", "avdec_g722", "avenc_g722", "rtpg722pay",
	"rtpopusdepay", "opusdec", "opusenc", "rtpopuspay",
};

typedef struct xc_pipe {
	struct cr_transcode *xc;
	int dir;        /* CR_DIR_* this pipeline serves */
	int in_pt;      /* payload type it takes on its source leg */
	GstElement *pipeline, *src, *sink;
	GSource *bus_watch;
} xc_pipe_t;

typedef struct xc_out {
	int dir;
	GBytes *pkt;
} xc_out_t;

struct cr_transcode {
	cr_media_call_t *mc;
	xc_pipe_t pipes[3]; /* by CR_DIR_* (index 0 unused) */
	GMutex lock;        /* guards out, touched by the streaming threads */
	GQueue out;
	GSource *wake;      /* worker-side; readied by the streaming threads */
};

static const codec_elems_t *find_codec(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(CODECS); i++)
		if (!g_ascii_strcasecmp(CODECS[i].name, name))
			return &CODECS[i];
	return NULL;
}

static gpointer init_once(gpointer arg)
{
	GError *error = NULL;
	GString *missing;

	(void)arg;
	if (!gst_init_check(NULL, NULL, &error)) {
		gchar *msg = g_strdup_printf("GStreamer does not start: %s",
					     error ? error->message : "unknown error");

		g_clear_error(&error);
		return msg;
	}
	missing = g_string_new(NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(ELEMENTS); i++) {
		GstElementFactory *f = gst_element_factory_find(ELEMENTS[i]);

		if (f)
			gst_object_unref(f);
		else
			g_string_append_printf(missing, " %s", ELEMENTS[i]);
	}
	if (missing->len)
		return g_string_free(g_string_prepend(missing,
						      "GStreamer elements missing (install gstreamer1.0-plugins-good, -bad, -libav):"),
				     FALSE);
	g_string_free(missing, TRUE);
	return NULL;
}

int cr_transcode_global_init(char *err_buf)
{
	static GOnce once = G_ONCE_INIT;
	const char *msg = g_once(&once, init_once, NULL);

	if (msg)
		return cr_set_error(err_buf, CR_ERR_INTERNAL, "%s", msg);
	return CR_OK;
}

static int check_codec(const cr_codec_t *c, const char *leg, char *err_buf)
{
	const codec_elems_t *e = find_codec(c->name);

	if (!e)
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "%s codec %.32s: the relay transcodes only opus, PCMU, PCMA and G722",
				    leg, c->name);
	if (c->pt < 0 || c->pt > 127)
		return cr_set_error(err_buf, CR_ERR_INVALID, "%s codec: payload type must be 0..127",
				    leg);
	if (c->clock_rate != e->rtp_clock)
		return cr_set_error(err_buf, CR_ERR_INVALID, "%s codec %s: RTP clock rate must be %d",
				    leg, e->name, e->rtp_clock);
	return CR_OK;
}

int cr_transcode_reserve(cr_call_t *call, const cr_codec_t *client, const cr_codec_t *sip,
			 char *err_buf)
{
	cr_relay_t *r = call->relay;
	cr_media_call_t *mc = call->media;
	int max = r->config.max_transcoded_calls, err;

	err = check_codec(client, "client", err_buf);
	if (!err)
		err = check_codec(sip, "SIP", err_buf);
	if (err)
		return err;
	if (!g_ascii_strcasecmp(client->name, sip->name))
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "both legs carry %s: that is passthrough, not transcoding",
				    client->name);
	if (max == 0)
		return cr_set_error(err_buf, CR_ERR_LIMIT,
				    "transcoding is off on this relay (max_transcoded_calls = 0)");
	if (atomic_exchange(&mc->transcode_slot, true))
		return CR_OK; /* a codec change: the call keeps its slot */
	if (atomic_fetch_add(&r->transcoded_calls, 1) >= max && max > 0) {
		atomic_fetch_sub(&r->transcoded_calls, 1);
		atomic_store(&mc->transcode_slot, false);
		return cr_set_error(err_buf, CR_ERR_LIMIT,
				    "the relay already transcodes its maximum of %d calls", max);
	}
	return CR_OK;
}

void cr_transcode_release(cr_media_call_t *mc)
{
	if (atomic_exchange(&mc->transcode_slot, false))
		atomic_fetch_sub(&mc->call->relay->transcoded_calls, 1);
}

/* Streaming thread: one packet out of a payloader. */
static GstFlowReturn on_new_sample(GstAppSink *sink, gpointer data)
{
	xc_pipe_t *p = data;
	cr_transcode_t *xc = p->xc;
	GstSample *sample = gst_app_sink_pull_sample(sink);
	GstBuffer *buf;
	GstMapInfo map;
	bool queued = false;

	if (!sample)
		return GST_FLOW_OK;
	buf = gst_sample_get_buffer(sample);
	if (buf && gst_buffer_map(buf, &map, GST_MAP_READ)) {
		g_mutex_lock(&xc->lock);
		if (xc->out.length < XC_MAX_QUEUED) {
			xc_out_t *o = g_new(xc_out_t, 1);

			o->dir = p->dir;
			o->pkt = g_bytes_new(map.data, map.size);
			g_queue_push_tail(&xc->out, o);
			queued = true;
		}
		g_mutex_unlock(&xc->lock);
		gst_buffer_unmap(buf, &map);
	}
	gst_sample_unref(sample);
	if (queued)
		g_source_set_ready_time(xc->wake, 0); /* thread-safe: wakes the worker */
	else
		atomic_fetch_add_explicit(&xc->mc->counters.transcode_dropped, 1,
					  memory_order_relaxed);
	return GST_FLOW_OK;
}

static gboolean wake_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
	g_source_set_ready_time(source, -1);
	return cb(data);
}

static GSourceFuncs wake_funcs = { NULL, NULL, wake_dispatch, NULL, NULL, NULL };

/* Worker: sends what the pipelines produced. */
static gboolean on_wake(gpointer data)
{
	cr_transcode_t *xc = data;
	GQueue batch = G_QUEUE_INIT;
	xc_out_t *o;

	g_mutex_lock(&xc->lock);
	batch = xc->out;
	g_queue_init(&xc->out);
	g_mutex_unlock(&xc->lock);
	while ((o = g_queue_pop_head(&batch))) {
		gsize len;
		const uint8_t *d = g_bytes_get_data(o->pkt, &len);
		uint8_t pkt[2048];

		if (len >= 12 && len <= sizeof(pkt) - 64) {
			memcpy(pkt, d, len);
			atomic_fetch_add_explicit(&xc->mc->counters.transcoded_packets, 1,
						  memory_order_relaxed);
			cr_forward_transcoded(xc->mc, o->dir, pkt, len);
		}
		g_bytes_unref(o->pkt);
		g_free(o);
	}
	return G_SOURCE_CONTINUE;
}

/* Worker: GStreamer errors and warnings go into the call's trace. */
static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
	xc_pipe_t *p = data;
	cr_media_call_t *mc = p->xc->mc;
	const char *dir = p->dir == CR_DIR_CLIENT_TO_SIP ? "client->sip" : "sip->client";
	GError *error = NULL;
	gchar *debug = NULL;

	(void)bus;
	if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
		gst_message_parse_error(msg, &error, &debug);
		cr_trace_add(&mc->trace, "transcode", "%s pipeline error: %s", dir, error->message);
		cr_media_emit(mc, CR_EVENT_MEDIA_ERROR, CR_ERR_INTERNAL, 0,
			      "transcoding %s failed: %s", dir, error->message);
	} else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
		gst_message_parse_warning(msg, &error, &debug);
		cr_trace_add(&mc->trace, "transcode", "%s pipeline warning: %s", dir, error->message);
	}
	g_clear_error(&error);
	g_free(debug);
	return G_SOURCE_CONTINUE;
}

static void pipe_stop(xc_pipe_t *p)
{
	if (p->pipeline) {
		/* Joins the streaming threads: no callback runs after this. */
		gst_element_set_state(p->pipeline, GST_STATE_NULL);
		if (p->src)
			gst_object_unref(p->src);
		if (p->sink)
			gst_object_unref(p->sink);
		gst_object_unref(p->pipeline);
		p->pipeline = p->src = p->sink = NULL;
	}
	if (p->bus_watch) {
		g_source_destroy(p->bus_watch);
		g_source_unref(p->bus_watch);
		p->bus_watch = NULL;
	}
}

static int pipe_start(cr_transcode_t *xc, xc_pipe_t *p, int dir, const cr_codec_t *in,
		      const cr_codec_t *out)
{
	const codec_elems_t *ie = find_codec(in->name), *oe = find_codec(out->name);
	GstAppSinkCallbacks cbs = { .new_sample = on_new_sample };
	GError *error = NULL;
	GstBus *bus;
	gchar *desc;

	p->xc = xc;
	p->dir = dir;
	p->in_pt = in->pt;
	desc = g_strdup_printf(
		"appsrc name=src is-live=true do-timestamp=true format=time max-bytes=%d "
		"leaky-type=downstream "
		"caps=\"application/x-rtp,media=(string)audio,clock-rate=(int)%d,"
		"encoding-name=(string)%s,payload=(int)%d\" "
		"! rtpjitterbuffer latency=%d do-lost=true ! %s ! %s ! audioconvert ! audioresample "
		"! audio/x-raw,rate=%d,channels=1 ! %s ! %s pt=%d %s "
		"! appsink name=sink sync=false async=false max-buffers=64 drop=true",
		XC_SRC_MAX_BYTES, ie->rtp_clock, ie->encoding, in->pt, XC_JITTER_MS, ie->depay,
		ie->dec, oe->rate, oe->enc, oe->pay, out->pt, oe->pay_opts);
	p->pipeline = gst_parse_launch(desc, &error);
	g_free(desc);
	if (!p->pipeline || error) {
		cr_trace_add(&xc->mc->trace, "transcode", "cannot build the pipeline: %s",
			     error ? error->message : "unknown error");
		g_clear_error(&error);
		return CR_ERR_INTERNAL;
	}
	p->src = gst_bin_get_by_name(GST_BIN(p->pipeline), "src");
	p->sink = gst_bin_get_by_name(GST_BIN(p->pipeline), "sink");
	gst_app_sink_set_callbacks(GST_APP_SINK(p->sink), &cbs, p, NULL);
	bus = gst_element_get_bus(p->pipeline);
	p->bus_watch = gst_bus_create_watch(bus);
	gst_object_unref(bus);
	g_source_set_callback(p->bus_watch, (GSourceFunc)(void (*)(void))on_bus, p, NULL);
	g_source_attach(p->bus_watch, xc->mc->context);
	if (gst_element_set_state(p->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		cr_trace_add(&xc->mc->trace, "transcode", "the pipeline does not start");
		return CR_ERR_INTERNAL;
	}
	return CR_OK;
}

void cr_transcode_destroy(cr_transcode_t *xc)
{
	xc_out_t *o;

	if (!xc)
		return;
	pipe_stop(&xc->pipes[CR_DIR_CLIENT_TO_SIP]);
	pipe_stop(&xc->pipes[CR_DIR_SIP_TO_CLIENT]);
	if (xc->wake) {
		g_source_destroy(xc->wake);
		g_source_unref(xc->wake);
	}
	while ((o = g_queue_pop_head(&xc->out))) {
		g_bytes_unref(o->pkt);
		g_free(o);
	}
	g_mutex_clear(&xc->lock);
	g_free(xc);
}

static void set_path(cr_media_call_t *mc, const char *path)
{
	g_mutex_lock(&mc->pair_lock);
	g_strlcpy(mc->media_path, path, sizeof(mc->media_path));
	g_mutex_unlock(&mc->pair_lock);
	cr_trace_add(&mc->trace, "media", "path %s", path);
}

void cr_transcode_apply(cr_media_call_t *mc, const cr_codec_t *client, const cr_codec_t *sip)
{
	cr_transcode_t *xc;
	char path[CR_MAX_PAIR_LEN];
	int err;

	cr_transcode_destroy(mc->xc);
	mc->xc = NULL;
	if (!client || !sip) {
		set_path(mc, "passthrough");
		return;
	}
	xc = g_new0(cr_transcode_t, 1);
	xc->mc = mc;
	g_mutex_init(&xc->lock);
	g_queue_init(&xc->out);
	xc->wake = g_source_new(&wake_funcs, sizeof(GSource));
	g_source_set_callback(xc->wake, on_wake, xc, NULL);
	g_source_attach(xc->wake, mc->context);
	err = pipe_start(xc, &xc->pipes[CR_DIR_CLIENT_TO_SIP], CR_DIR_CLIENT_TO_SIP, client, sip);
	if (!err)
		err = pipe_start(xc, &xc->pipes[CR_DIR_SIP_TO_CLIENT], CR_DIR_SIP_TO_CLIENT, sip,
				 client);
	if (err) {
		cr_transcode_destroy(xc);
		set_path(mc, "none (transcoder failed)");
		cr_media_emit(mc, CR_EVENT_MEDIA_ERROR, err, 0,
			      "cannot transcode %s <-> %s (see the call's trace)", client->name,
			      sip->name);
		return;
	}
	mc->xc = xc;
	g_snprintf(path, sizeof(path), "transcoded %s/%d <-> %s/%d", client->name,
		   client->clock_rate, sip->name, sip->clock_rate);
	set_path(mc, path);
}

bool cr_transcode_push(cr_transcode_t *xc, int dir, int pt, const uint8_t *buf, size_t len)
{
	xc_pipe_t *p = &xc->pipes[dir];
	GstBuffer *b;

	if (pt != p->in_pt || !p->src)
		return false;
	b = gst_buffer_new_memdup(buf, len);
	/* Never blocks: the appsrc drops its oldest packets when full. */
	gst_app_src_push_buffer(GST_APP_SRC(p->src), b);
	return true;
}
