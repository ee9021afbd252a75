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
 * Each leg gets one stream of its own: the worker gives every packet sent
 * that way (payloader output, telephone-event) the leg's SSRC and next
 * sequence number and moves the payloader's timestamps by an offset, so
 * the stream stays continuous whatever happens behind it (hold, resume, a
 * re-INVITE that rebuilds the pipelines: out_stream_audio()). RTCP cannot
 * be translated then, so forward.c drops it on transcoded calls
 * (terminated) and each leg gets sender reports of ours about its stream
 * (rtcp_sr.c, sent through send_report() here; no reception reports yet).
 *
 * DTMF across the boundary (the client has telephone-event, the trunk has
 * none): the client->sip pipeline mixes a dtmfsrc into the decoded audio,
 * the sip->client one tees an 8 kHz copy to dtmfdetect; inband_dtmf.c
 * turns the client's RFC 4733 events into tones and the detected digits
 * into RFC 4733 packets (sent through cr_forward_transcoded, renumbered
 * into the client leg's stream here so the inserted packets fit in).
 *
 * A pipeline that broke is rebuilt, not left silent for the rest of the
 * call (pipe_reset): on an error on its bus, or when it took
 * XC_STALL_PACKETS packets over XC_STALL_MS and gave nothing back (a wedged
 * jitter buffer or decoder). At most once per XC_RESET_MIN_MS per
 * direction; the leg's stream stays continuous like after a codec change.
 */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include "inband_dtmf.h"
#include "media.h"

#define XC_MAX_QUEUED 256    /* packets waiting for the worker, both ways */
#define XC_SRC_MAX_BYTES 65536 /* appsrc queue; older packets go first past it */
#define XC_JITTER_MS 60
/* The jitter buffer starts on the first packet instead of holding it for
 * XC_JITTER_MS: in-order packets leave at once anyway, the latency only
 * bounds the wait for a missing one, so without this the call's first audio
 * came 60 ms late each way (docs/PERFORMANCE.md). */
#define XC_JITTER_FASTSTART_PACKETS 1
#define XC_STALL_MS 1000     /* packets in, nothing out this long: the pipeline is broken... */
#define XC_STALL_PACKETS 25  /* ...when at least this many went in meanwhile (not a pause) */
#define XC_RESET_MIN_MS 2000 /* a direction's pipeline is rebuilt at most this often */

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
	"audiomixer", "dtmfsrc", "dtmfdetect", "tee", "fakesink", "queue",
};

typedef struct xc_pipe {
	struct cr_transcode *xc;
	int dir;        /* CR_DIR_* this pipeline serves */
	int in_pt;      /* payload type it takes on its source leg */
	GstElement *pipeline, *src, *sink;
	GstElement *dtmf_src; /* client->sip with in-band DTMF: the tone generator */
	GSource *bus_watch;
	/* Worker only: what pipe_reset() rebuilds it from, and its health. */
	cr_codec_t in, out;
	int unanswered;         /* packets pushed since its last output */
	int64_t unanswered_since_us;
	GSource *reset;         /* a rebuild is due (idle source) */
	int64_t last_reset_us;
	int resets;
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
	GSource *rtcp_timer; /* our sender reports on both legs (rtcp_sr.c) */

	/* Worker only from here on. */
	bool inband;        /* DTMF crosses between RFC 4733 (client) and tones (trunk) */
	cr_inband_dtmf_t dtmf; /* ...which inband_dtmf.c does */
	int out_clock[3];   /* by CR_DIR_*: the RTP clock of the codec sent that way */
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
		/* Made once now so their plugins are loaded here, not by the
		 * first call's worker. */
		GstElement *e = gst_element_factory_make(ELEMENTS[i], NULL);

		if (e)
			gst_object_unref(e);
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
	if (c->dtmf_pt != 0 && (c->dtmf_pt < 96 || c->dtmf_pt > 127))
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "%s telephone-event payload type must be 96..127, or 0 for none", leg);
	if (c->dtmf_clock_rate < 0)
		return cr_set_error(err_buf, CR_ERR_INVALID, "%s telephone-event clock rate must be >= 0",
				    leg);
	if (c->clock_rate != e->rtp_clock)
		return cr_set_error(err_buf, CR_ERR_INVALID, "%s codec %s: RTP clock rate must be %d",
				    leg, e->name, e->rtp_clock);
	return CR_OK;
}

int cr_transcode_reserve(cr_media_call_t *mc, const cr_codec_t *client, const cr_codec_t *sip,
			 char *err_buf)
{
	atomic_int *taken = mc->env.transcoded_calls;
	int max = mc->env.max_transcoded_calls, err;

	err = check_codec(client, "client", err_buf);
	if (!err)
		err = check_codec(sip, "SIP", err_buf);
	if (err)
		return err;
	/* The same codec on both legs is transcoded only so that DTMF can cross
	 * to a trunk without telephone-event (in-band both ways). */
	if (!g_ascii_strcasecmp(client->name, sip->name) && !(client->dtmf_pt > 0 && sip->dtmf_pt == 0))
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "both legs carry %s: that is passthrough, not transcoding",
				    client->name);
	if (max == 0 || !taken)
		return cr_set_error(err_buf, CR_ERR_LIMIT,
				    "transcoding is off on this relay (max_transcoded_calls = 0)");
	if (atomic_exchange(&mc->transcode_slot, true))
		return CR_OK; /* a codec change: the call keeps its slot */
	if (atomic_fetch_add(taken, 1) >= max && max > 0) {
		atomic_fetch_sub(taken, 1);
		atomic_store(&mc->transcode_slot, false);
		return cr_set_error(err_buf, CR_ERR_LIMIT,
				    "the relay already transcodes its maximum of %d calls", max);
	}
	return CR_OK;
}

void cr_transcode_release(cr_media_call_t *mc)
{
	if (atomic_exchange(&mc->transcode_slot, false))
		atomic_fetch_sub(mc->env.transcoded_calls, 1);
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

/* Worker: a payloader packet joins the stream of its leg (mc->xc_out):
 * our SSRC and sequence numbers, its timestamps moved by an offset fixed
 * when a payloader first appears, so that after a rebuild (codec change)
 * the stream goes on from where it stood plus the time elapsed. */
static void out_stream_audio(cr_transcode_t *xc, int dir, uint8_t *pkt, size_t len)
{
	cr_out_stream_t *st = &xc->mc->xc_out[dir];
	cr_out_stream_seed_t seed = { 0, 0, 0 };

	if (!st->started) {
		seed.ssrc = g_random_int();
		seed.seq = (uint16_t)g_random_int();
		seed.ts = g_random_int();
	}
	if (cr_out_stream_audio(st, xc->out_clock[dir], pkt, len, g_get_monotonic_time(), &seed))
		cr_trace_add(xc->mc->trace, "transcode", "%s stream goes on after a rebuild: seq %u ts %u",
			     dir == CR_DIR_CLIENT_TO_SIP ? "client->sip" : "sip->client",
			     (uint16_t)(st->seq - 1), st->ts);
}

static const char DIGITS[] = "0123456789*#ABCD";

/* Worker: telephone-event both legs negotiated, on a transcoded call:
 * forwarded in the destination leg's stream (its SSRC and sequence
 * numbers, the event at the stream's current timestamp), not with the
 * sender's, which the far end has never seen. */
static void te_through(cr_transcode_t *xc, int dir, int to, const uint8_t *in, size_t len)
{
	cr_media_call_t *mc = xc->mc;
	cr_out_stream_t *st = &mc->xc_out[dir];
	cr_rtp_event_t ev;
	uint8_t pkt[2048];

	if (!cr_rtp_event_read(in, len, &ev) || len > sizeof(pkt) - 64)
		return; /* not an event */
	if (!st->started)
		return; /* no audio went that way yet: nothing to join */
	memcpy(pkt, in, len);
	cr_out_stream_event(st, pkt, len, to);
	if (ev.end && !st->te_reported) {
		int event = ev.event;
		int clock = dir == CR_DIR_CLIENT_TO_SIP ? mc->dtmf_clock_client[in[1] & 0x7f]
							 : mc->dtmf_clock_sip[in[1] & 0x7f];
		int ms = (int)((uint32_t)ev.duration * 1000u / (uint32_t)clock);
		char digit = event < 16 ? DIGITS[event] : '?';

		st->te_reported = true;
		atomic_fetch_add_explicit(&mc->counters.dtmf_events, 1, memory_order_relaxed);
		cr_trace_add(mc->trace, "media", "dtmf %s digit %c duration %d ms",
			     dir == CR_DIR_CLIENT_TO_SIP ? "client->sip" : "sip->client", digit, ms);
		cr_media_emit(mc, CR_EVENT_DTMF, dir, ms, "digit=%c event=%d duration_ms=%d", digit,
			      event, ms);
	}
	cr_forward_transcoded(mc, dir, pkt, len);
}

/* Worker: one of rtcp_sr.c's sender reports toward dir's far end: as it
 * is toward the trunk, as SRTCP toward the client once keys exist. */
static void send_report(cr_media_call_t *mc, int dir, uint8_t *pkt, size_t len)
{
	int n = (int)len;

	if (dir == CR_DIR_CLIENT_TO_SIP) {
		cr_rtp_leg_send(mc, true, pkt, len);
	} else if (mc->keys_ready && !mc->closed &&
		   cr_srtp_protect(&mc->srtp, pkt, &n, true) == 0) {
		cr_ice_send(mc, mc->n_components == 2 ? 2 : 1, pkt, (size_t)n);
	}
}

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

		xc->pipes[o->dir].unanswered = 0; /* it gives: healthy */
		const uint8_t *d = g_bytes_get_data(o->pkt, &len);
		uint8_t pkt[2048];

		if (len >= 12 && len <= sizeof(pkt) - 64) {
			memcpy(pkt, d, len);
			out_stream_audio(xc, o->dir, pkt, len);
			atomic_fetch_add_explicit(&xc->mc->counters.transcoded_packets, 1,
						  memory_order_relaxed);
			cr_forward_transcoded(xc->mc, o->dir, pkt, len);
		}
		g_bytes_unref(o->pkt);
		g_free(o);
	}
	return G_SOURCE_CONTINUE;
}

static int pipe_start(cr_transcode_t *xc, xc_pipe_t *p, int dir, const cr_codec_t *in,
		      const cr_codec_t *out);
static void pipe_stop(xc_pipe_t *p);

static const char *dir_name(int dir)
{
	return dir == CR_DIR_CLIENT_TO_SIP ? "client->sip" : "sip->client";
}

static gboolean on_reset(gpointer data)
{
	xc_pipe_t *p = data;
	cr_transcode_t *xc = p->xc;
	cr_codec_t in = p->in, out = p->out;
	int64_t t0 = g_get_monotonic_time();
	int dir = p->dir, err;

	g_source_unref(p->reset);
	p->reset = NULL;
	pipe_stop(p);
	p->last_reset_us = t0;
	p->resets++;
	err = pipe_start(xc, p, dir, &in, &out);
	if (err) {
		pipe_stop(p);
		cr_trace_add(xc->mc->trace, "transcode", "%s pipeline could not be rebuilt",
			     dir_name(dir));
		cr_media_emit(xc->mc, CR_EVENT_MEDIA_ERROR, err, 0, "transcoding %s failed",
			      dir_name(dir));
		return G_SOURCE_REMOVE;
	}
	cr_trace_add(xc->mc->trace, "transcode", "%s pipeline rebuilt in %.1f ms (reset %d)",
		     dir_name(dir), (double)(g_get_monotonic_time() - t0) / 1000, p->resets);
	return G_SOURCE_REMOVE;
}

/* Worker: rebuilds p from an idle source (never inside its own bus
 * callback), unless one is due or the last was too recent. */
static void pipe_reset(xc_pipe_t *p, const char *why)
{
	int64_t now = g_get_monotonic_time();

	if (p->reset || !p->xc)
		return;
	if (p->resets && now - p->last_reset_us < (int64_t)XC_RESET_MIN_MS * 1000)
		return;
	cr_trace_add(p->xc->mc->trace, "transcode", "%s pipeline reset: %s", dir_name(p->dir), why);
	p->reset = g_idle_source_new();
	g_source_set_callback(p->reset, on_reset, p, NULL);
	g_source_attach(p->reset, p->xc->mc->context);
}

/* Worker: GStreamer errors and warnings go into the call's trace; an error
 * rebuilds the pipeline. */
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
		cr_trace_add(mc->trace, "transcode", "%s pipeline error: %s (%s)", dir, error->message,
			     debug ? debug : "");
		pipe_reset(p, "after an error");
	} else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT &&
		   gst_message_has_name(msg, "dtmf-event")) {
		int number;

		/* dtmfdetect (gst-plugins-bad, spandsp): one message per digit. */
		if (gst_structure_get_int(gst_message_get_structure(msg), "number", &number))
			cr_inband_dtmf_to_client(&p->xc->dtmf, number);
	} else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
		gst_message_parse_warning(msg, &error, &debug);
		cr_trace_add(mc->trace, "transcode", "%s pipeline warning: %s (%s)", dir, error->message,
			     debug ? debug : "");
	}
	g_clear_error(&error);
	g_free(debug);
	return G_SOURCE_CONTINUE;
}

static void pipe_stop(xc_pipe_t *p)
{
	if (p->reset) {
		g_source_destroy(p->reset);
		g_source_unref(p->reset);
		p->reset = NULL;
	}
	if (p->pipeline) {
		/* Joins the streaming threads: no callback runs after this. */
		gst_element_set_state(p->pipeline, GST_STATE_NULL);
		if (p->src)
			gst_object_unref(p->src);
		if (p->sink)
			gst_object_unref(p->sink);
		if (p->dtmf_src)
			gst_object_unref(p->dtmf_src);
		gst_object_unref(p->pipeline);
		p->pipeline = p->src = p->sink = p->dtmf_src = NULL;
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
	gchar *desc, *src, *tail;

	p->xc = xc;
	p->dir = dir;
	p->in_pt = in->pt;
	p->in = *in;
	p->out = *out;
	p->unanswered = 0;
	src = g_strdup_printf(
		"appsrc name=src is-live=true do-timestamp=true format=time max-bytes=%d "
		"leaky-type=downstream "
		"caps=\"application/x-rtp,media=(string)audio,clock-rate=(int)%d,"
		"encoding-name=(string)%s,payload=(int)%d\" "
		"! rtpjitterbuffer latency=%d faststart-min-packets=%d do-lost=true ! %s ! %s name=dec "
		"! audioconvert ! audioresample",
		XC_SRC_MAX_BYTES, ie->rtp_clock, ie->encoding, in->pt, XC_JITTER_MS,
		XC_JITTER_FASTSTART_PACKETS, ie->depay, ie->dec);
	tail = g_strdup_printf("%s ! %s pt=%d %s "
			       "! appsink name=sink sync=false async=false max-buffers=64 drop=true",
			       oe->enc, oe->pay, out->pt, oe->pay_opts);
	if (xc->inband && dir == CR_DIR_CLIENT_TO_SIP)
		/* The client's RFC 4733 events become tones mixed into its audio.
		 * The tone's pad is idle until a digit comes: without
		 * ignore-inactive-pads the mixer held the audio for its timeout
		 * waiting for it (measured: first audio 30 ms later, and each
		 * packet after the first ~20 ms late; docs/PERFORMANCE.md). */
		desc = g_strdup_printf(
			"audiomixer name=mix start-time-selection=first ignore-inactive-pads=true "
			"! audio/x-raw,format=S16LE,rate=%d,channels=1 ! %s "
			"%s ! audio/x-raw,format=S16LE,rate=%d,channels=1 ! queue ! mix. "
			"dtmfsrc name=dtmf ! audio/x-raw,format=S16LE,rate=8000,channels=1 "
			"! audioconvert ! audioresample "
			"! audio/x-raw,format=S16LE,rate=%d,channels=1 ! queue ! mix.",
			oe->rate, tail, src, oe->rate, oe->rate);
	else if (xc->inband)
		/* An 8 kHz copy of the trunk's audio goes past the tone detector. */
		desc = g_strdup_printf(
			"%s ! tee name=t ! audioconvert "
			"! audioresample ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! dtmfdetect "
			"! fakesink sync=false async=false "
			"t. ! audioconvert ! audioresample ! audio/x-raw,rate=%d,channels=1 ! %s",
			src, oe->rate, tail);
	else
		desc = g_strdup_printf("%s ! audio/x-raw,rate=%d,channels=1 ! %s", src, oe->rate, tail);
	g_free(src);
	g_free(tail);
	p->pipeline = gst_parse_launch(desc, &error);
	g_free(desc);
	if (!p->pipeline || error) {
		cr_trace_add(xc->mc->trace, "transcode", "cannot build the pipeline: %s",
			     error ? error->message : "unknown error");
		g_clear_error(&error);
		return CR_ERR_INTERNAL;
	}
	p->src = gst_bin_get_by_name(GST_BIN(p->pipeline), "src");
	p->sink = gst_bin_get_by_name(GST_BIN(p->pipeline), "sink");
	p->dtmf_src = gst_bin_get_by_name(GST_BIN(p->pipeline), "dtmf");
	gst_app_sink_set_callbacks(GST_APP_SINK(p->sink), &cbs, p, NULL);
	bus = gst_element_get_bus(p->pipeline);
	p->bus_watch = gst_bus_create_watch(bus);
	gst_object_unref(bus);
	g_source_set_callback(p->bus_watch, (GSourceFunc)(void (*)(void))on_bus, p, NULL);
	g_source_attach(p->bus_watch, xc->mc->context);
	if (gst_element_set_state(p->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		cr_trace_add(xc->mc->trace, "transcode", "the pipeline does not start");
		return CR_ERR_INTERNAL;
	}
	return CR_OK;
}

void cr_transcode_destroy(cr_transcode_t *xc)
{
	xc_out_t *o;

	if (!xc)
		return;
	cr_inband_dtmf_clear(&xc->dtmf);
	pipe_stop(&xc->pipes[CR_DIR_CLIENT_TO_SIP]);
	pipe_stop(&xc->pipes[CR_DIR_SIP_TO_CLIENT]);
	if (xc->wake) {
		g_source_destroy(xc->wake);
		g_source_unref(xc->wake);
	}
	cr_rtcp_sr_stop(xc->rtcp_timer);
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
	cr_trace_add(mc->trace, "media", "path %s", path);
}

void cr_transcode_apply(cr_media_call_t *mc, const cr_codec_t *client, const cr_codec_t *sip)
{
	cr_transcode_t *xc;
	char path[CR_MAX_PAIR_LEN];
	int64_t t0 = g_get_monotonic_time();
	int err;

	cr_transcode_destroy(mc->xc);
	if (mc->xc)
		cr_trace_add(mc->trace, "transcode", "pipelines stopped in %.1f ms",
			     (double)(g_get_monotonic_time() - t0) / 1000);
	mc->xc = NULL;
	if (!client || !sip) {
		set_path(mc, "passthrough");
		return;
	}
	t0 = g_get_monotonic_time();
	xc = g_new0(cr_transcode_t, 1);
	xc->mc = mc;
	xc->inband = client->dtmf_pt > 0 && sip->dtmf_pt <= 0;
	cr_inband_dtmf_init(&xc->dtmf, mc, &xc->pipes[CR_DIR_CLIENT_TO_SIP].dtmf_src, client->dtmf_pt,
			    client->dtmf_clock_rate, cr_forward_transcoded);
	xc->out_clock[CR_DIR_CLIENT_TO_SIP] = find_codec(sip->name)->rtp_clock;
	xc->out_clock[CR_DIR_SIP_TO_CLIENT] = find_codec(client->name)->rtp_clock;
	g_mutex_init(&xc->lock);
	g_queue_init(&xc->out);
	xc->wake = g_source_new(&wake_funcs, sizeof(GSource));
	g_source_set_callback(xc->wake, on_wake, xc, NULL);
	g_source_attach(xc->wake, mc->context);
	xc->rtcp_timer = cr_rtcp_sr_start(mc, send_report);
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
	cr_trace_add(mc->trace, "transcode", "pipelines built and started in %.1f ms",
		     (double)(g_get_monotonic_time() - t0) / 1000);
	g_snprintf(path, sizeof(path), "transcoded %s/%d <-> %s/%d%s", client->name,
		   client->clock_rate, sip->name, sip->clock_rate,
		   xc->inband ? ", dtmf rfc4733 <-> in-band" : "");
	set_path(mc, path);
}

bool cr_transcode_push(cr_transcode_t *xc, int dir, int pt, const uint8_t *buf, size_t len)
{
	xc_pipe_t *p = &xc->pipes[dir];
	GstBuffer *b;
	int64_t now;

	if (dir == CR_DIR_CLIENT_TO_SIP && xc->inband && pt == xc->dtmf.client_dtmf_pt && p->dtmf_src) {
		cr_inband_dtmf_push(&xc->dtmf, buf, len);
		return true;
	}
	if (dir == CR_DIR_CLIENT_TO_SIP ? xc->mc->dtmf_pt_client[pt] : xc->mc->dtmf_pt_sip[pt]) {
		int to = dir == CR_DIR_CLIENT_TO_SIP ? xc->mc->pt_to_sip[pt] : xc->mc->pt_to_client[pt];

		if (to < 0)
			return false; /* not mapped: dropped and counted by forward.c */
		te_through(xc, dir, to, buf, len);
		return true;
	}
	if (pt != p->in_pt || !p->src)
		return false;
	now = g_get_monotonic_time();
	if (!p->unanswered++)
		p->unanswered_since_us = now;
	else if (p->unanswered >= XC_STALL_PACKETS &&
		 now - p->unanswered_since_us >= (int64_t)XC_STALL_MS * 1000)
		pipe_reset(p, "packets went in and nothing came out for a second");
	b = gst_buffer_new_memdup(buf, len);
	/* Never blocks: the appsrc drops its oldest packets when full. */
	gst_app_src_push_buffer(GST_APP_SRC(p->src), b);
	return true;
}

void cr_transcode_test_break(cr_transcode_t *xc, int dir)
{
	GstElement *dec;

	if (!xc || !xc->pipes[dir].pipeline)
		return;
	dec = gst_bin_get_by_name(GST_BIN(xc->pipes[dir].pipeline), "dec");
	if (!dec)
		return;
	gst_element_set_locked_state(dec, TRUE);
	gst_element_set_state(dec, GST_STATE_NULL);
	gst_object_unref(dec);
}
