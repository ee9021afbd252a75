/**
 * @file janus_client.c  Janus for the benchmarks: its configuration, its HTTP API, its SIP plugin
 *
 * The HTTP client is the smallest that Janus's transport (libmicrohttpd)
 * accepts: one request per connection ("Connection: close"), the body read
 * to the end. Janus is told to answer in compact JSON, so the few values
 * read here ("id", "event", the jsep's "sdp") are found by their keys.
 */
#include "janus_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../tests/helpers.h"
#include "../tests/sip_helpers.h"

#define RESP_MAX (256 * 1024)

struct janus {
	pid_t pid;
	int http_port;
	char dir[64], log[96];
	unsigned long long session, handle;
	unsigned txn;
};

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return g_file_set_contents(path, text, -1, NULL) ? 0 : -1;
}

/* One HTTP request; the response body into resp (NUL-terminated). */
static int http(janus_t *j, const char *method, const char *path, const char *body, char *resp,
		size_t len, int timeout_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)j->http_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	char *req, *buf = g_malloc(RESP_MAX), *sep;
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err = -1;

	req = g_strdup_printf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
			      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			      method, path, body ? strlen(body) : 0, body ? body : "");
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		goto out;
	while (got + 1 < RESP_MAX && (n = recv(fd, buf + got, RESP_MAX - 1 - got, 0)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	sep = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.", 7) != 0 || !sep || strncmp(buf + 9, "200", 3) != 0) {
		fprintf(stderr, "janus: %s %s: %s (%s)\n", method, path, got ? buf : "no answer",
			got ? "" : g_strerror(errno));
		goto out;
	}
	g_strlcpy(resp, sep + 4, len);
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	g_free(req);
	g_free(buf);
	return err;
}

/* The unsigned number after "key": in compact JSON; 0 when absent. */
static unsigned long long json_u64(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

/* Copies the string value of "key" (JSON escapes undone); -1 when absent. */
static int json_str(const char *json, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p;
	size_t o = 0;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(json, pat);
	if (!p || len == 0)
		return -1;
	for (p += strlen(pat); *p && *p != '"' && o + 1 < len; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			out[o++] = *p == 'r' ? '\r' : *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return *p == '"' ? 0 : -1;
}

/* body is a JSON object's members after "janus" and "transaction". */
static int api(janus_t *j, const char *path, const char *janus, const char *members, char *resp,
	       size_t len)
{
	char *body = g_strdup_printf("{\"janus\":\"%s\",\"transaction\":\"t%u\"%s%s}", janus,
				     ++j->txn, members ? "," : "", members ? members : "");
	int err = http(j, "POST", path, body, resp, len, 5000);

	g_free(body);
	if (!err && !strstr(resp, "\"janus\":\"success\"") && !strstr(resp, "\"janus\":\"ack\"")) {
		fprintf(stderr, "janus: %s refused: %s\n", janus, resp);
		err = -1;
	}
	return err;
}

static int handle_path(janus_t *j, char *buf, size_t len)
{
	return snprintf(buf, len, "/janus/%llu/%llu", j->session, j->handle) < (int)len ? 0 : -1;
}

/* A plugin message with body (JSON object) and optional jsep. */
static int plugin_message(janus_t *j, const char *body, const char *jsep)
{
	char path[96], resp[4096], *members;
	int err;

	handle_path(j, path, sizeof(path));
	members = g_strdup_printf("\"body\":%s%s%s", body, jsep ? ",\"jsep\":" : "", jsep ? jsep : "");
	err = api(j, path, "message", members, resp, sizeof(resp));
	g_free(members);
	return err;
}

/* Long polls until an event of the handle holds `want` (a JSON fragment);
 * copies that event into resp. */
static int wait_for(janus_t *j, const char *want, char *resp, size_t len, int timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	char path[96];

	snprintf(path, sizeof(path), "/janus/%llu?maxev=1", j->session);
	while (g_get_monotonic_time() < end) {
		if (http(j, "GET", path, NULL, resp, len, timeout_ms)) {
			fprintf(stderr, "janus: long poll for %s failed\n", want);
			return -1;
		}
		/* Late events of a handle detached since are not this call's. */
		if (json_u64(resp, "sender") != j->handle)
			continue;
		if (strstr(resp, want))
			return 0;
		if (strstr(resp, "\"event\":\"hangup\"") || strstr(resp, "\"janus\":\"error\"")) {
			fprintf(stderr, "janus: waiting for %s got: %s\n", want, resp);
			return -1;
		}
	}
	fprintf(stderr, "janus: no %s in %d ms\n", want, timeout_ms);
	return -1;
}

int janus_start(const char *ice_ip, int ice_min, int ice_max, int rtp_min, int rtp_max,
		janus_t **out)
{
	janus_t *j = g_new0(janus_t, 1);
	char *cfg, resp[4096];
	const char *argv[8];
	int err = -1;

	j->pid = -1;
	g_strlcpy(j->dir, "/tmp/cr-janus-XXXXXX", sizeof(j->dir));
	j->http_port = free_port(false, false);
	if (!g_mkdtemp(j->dir) || j->http_port < 0)
		goto out;
	snprintf(j->log, sizeof(j->log), "%s/janus.log", j->dir);
	/* The core: plugin and transport folders of Debian's package, ICE on
	 * ice_ip only (Janus gathers on no loopback interface), the SIP plugin
	 * and the HTTP transport only. */
	cfg = g_strdup_printf(
		"general: {\n"
		"  configs_folder = \"%s\"\n"
		"  plugins_folder = \"/usr/lib/x86_64-linux-gnu/janus/plugins\"\n"
		"  transports_folder = \"/usr/lib/x86_64-linux-gnu/janus/transports\"\n"
		"  events_folder = \"/usr/lib/x86_64-linux-gnu/janus/events\"\n"
		"  loggers_folder = \"/usr/lib/x86_64-linux-gnu/janus/loggers\"\n"
		"  debug_level = 3\n"
		"  session_timeout = 0\n"
		"}\n"
		"certificates: {}\n"
		"media: { rtp_port_range = \"%d-%d\" }\n"
		"nat: { nice_debug = false, full_trickle = false, ice_enforce_list = \"%s\" }\n"
		"plugins: { disable = \"libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,"
		"libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_streaming.so,"
		"libjanus_textroom.so,libjanus_videocall.so,libjanus_videoroom.so,"
		"libjanus_voicemail.so\" }\n"
		"transports: { disable = \"libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,"
		"libjanus_rabbitmq.so,libjanus_websockets.so\" }\n"
		"loggers: { disable = \"libjanus_jsonlog.so\" }\n"
		"events: { broadcast = false }\n",
		j->dir, ice_min, ice_max, ice_ip);
	err = write_file(j->dir, "janus.jcfg", cfg);
	g_free(cfg);
	cfg = g_strdup_printf("general: { json = \"compact\", base_path = \"/janus\", http = true,\n"
			      "  port = %d, ip = \"127.0.0.1\", https = false }\n"
			      "admin: { admin_http = false, admin_https = false }\n",
			      j->http_port);
	err = err || write_file(j->dir, "janus.transport.http.jcfg", cfg);
	g_free(cfg);
	cfg = g_strdup_printf("general: { local_ip = \"127.0.0.1\", local_media_ip = \"127.0.0.1\",\n"
			      "  keepalive_interval = 0, behind_nat = false,\n"
			      "  rtp_port_range = \"%d-%d\", events = false }\n",
			      rtp_min, rtp_max);
	err = err || write_file(j->dir, "janus.plugin.sip.jcfg", cfg);
	g_free(cfg);
	if (err)
		goto out;
	cfg = g_strdup_printf("%s/janus.jcfg", j->dir);
	argv[0] = "janus";
	argv[1] = "-C";
	argv[2] = cfg;
	argv[3] = "-F";
	argv[4] = j->dir;
	argv[5] = NULL;
	j->pid = spawn_logged(j->log, argv);
	g_free(cfg);
	err = -1;
	/* Up when the API creates a session (a few hundred ms). */
	for (int i = 0; i < 100 && j->pid > 0; i++) {
		g_usleep(100000);
		if (http(j, "POST", "/janus", "{\"janus\":\"create\",\"transaction\":\"c\"}", resp,
			 sizeof(resp), 1000) == 0 && (j->session = json_u64(resp, "id"))) {
			err = 0;
			break;
		}
	}
out:
	if (err) {
		fprintf(stderr, "janus: could not start it (%s)\n", j->dir);
		janus_dump_log(j);
		janus_stop(j);
		return -1;
	}
	*out = j;
	return 0;
}

int janus_attach(janus_t *j)
{
	char path[64], resp[4096];

	snprintf(path, sizeof(path), "/janus/%llu", j->session);
	if (api(j, path, "attach", "\"plugin\":\"janus.plugin.sip\"", resp, sizeof(resp)) ||
	    !(j->handle = json_u64(resp, "id")))
		return -1;
	if (plugin_message(j, "{\"request\":\"register\",\"type\":\"guest\","
			      "\"username\":\"sip:alice@127.0.0.1\"}", NULL))
		return -1;
	return wait_for(j, "\"event\":\"registered\"", resp, sizeof(resp), 5000);
}

int janus_call(janus_t *j, const char *uri, const char *offer_sdp)
{
	GString *jsep = g_string_new("{\"type\":\"offer\",\"sdp\":\"");
	char *body = g_strdup_printf("{\"request\":\"call\",\"uri\":\"%s\"}", uri);
	int err;

	for (const char *p = offer_sdp; *p; p++) {
		if (*p == '\r')
			g_string_append(jsep, "\\r");
		else if (*p == '\n')
			g_string_append(jsep, "\\n");
		else if (*p == '"' || *p == '\\')
			g_string_append_printf(jsep, "\\%c", *p);
		else
			g_string_append_c(jsep, *p);
	}
	g_string_append(jsep, "\"}");
	err = plugin_message(j, body, jsep->str);
	g_free(body);
	g_string_free(jsep, TRUE);
	return err;
}

int janus_wait_accepted(janus_t *j, char *sdp, size_t len, int timeout_ms)
{
	char *resp = g_malloc(RESP_MAX);
	int err = wait_for(j, "\"event\":\"accepted\"", resp, RESP_MAX, timeout_ms);

	if (!err && json_str(resp, "sdp", sdp, len)) {
		fprintf(stderr, "janus: accepted without an SDP: %s\n", resp);
		err = -1;
	}
	g_free(resp);
	return err;
}

void janus_hangup(janus_t *j)
{
	char path[96], resp[4096];

	if (!j->handle)
		return;
	plugin_message(j, "{\"request\":\"hangup\"}", NULL);
	/* The SIP plugin's "hangup" event: its BYE went out. */
	wait_for(j, "\"event\":\"hangup\"", resp, sizeof(resp), 3000);
	handle_path(j, path, sizeof(path));
	api(j, path, "detach", NULL, resp, sizeof(resp));
	j->handle = 0;
}

void janus_dump_log(janus_t *j)
{
	char *text = NULL;

	if (j && g_file_get_contents(j->log, &text, NULL, NULL))
		fprintf(stderr, "---- janus log ----\n%s", text);
	g_free(text);
}

void janus_stop(janus_t *j)
{
	const char *names[] = { "janus.jcfg", "janus.transport.http.jcfg", "janus.plugin.sip.jcfg",
				"janus.log" };

	if (!j)
		return;
	if (j->pid > 0)
		stop_logged(&j->pid, j->log, "janus", 0);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		char path[160];

		snprintf(path, sizeof(path), "%s/%s", j->dir, names[i]);
		g_unlink(path);
	}
	g_rmdir(j->dir);
	g_free(j);
}
