/**
 * @file config.c  The SIP configuration checked before the UA starts
 *
 * cr_sip_config_check() refuses a bad cr_sip_config_t with a readable
 * message before any thread or NUA exists (sip_ua.c calls it first); the
 * listen addresses are bound (and released) once here so that a port in use
 * fails cr_relay_create(). The public *_init() helpers live here too.
 */
#include <stdlib.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include <sofia-sip/url.h>

#include "sip.h"

/* ---- configuration ---- */

/* Checks that `s` is a sip: or sips: URI with a host; fills hostport. */
static int check_uri(const char *what, const char *s, bool sips_only, char **hostport,
		     char *err_buf)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	url_t *url = s ? url_make(home, s) : NULL;
	int err = CR_OK;

	if (!url || (url->url_type != url_sip && url->url_type != url_sips) ||
	    !url->url_host || !*url->url_host) {
		err = cr_set_error(err_buf, CR_ERR_INVALID,
				   "sip: %s \"%s\" is not a sip: or sips: URI with a host",
				   what, s ? s : "(null)");
		goto out;
	}
	if (sips_only && url->url_type != url_sips) {
		err = cr_set_error(err_buf, CR_ERR_INVALID,
				   "sip: %s \"%s\" must be a sips: URI", what, s);
		goto out;
	}
	if (url->url_port && (atoi(url->url_port) < 0 || atoi(url->url_port) > 65535)) {
		err = cr_set_error(err_buf, CR_ERR_INVALID, "sip: %s \"%s\" has a bad port",
				   what, s);
		goto out;
	}
	if (hostport)
		*hostport = g_strdup_printf("%s%s%s%s%s", url->url_host,
					    url->url_port ? ":" : "",
					    url->url_port ? url->url_port : "",
					    url->url_params ? ";" : "",
					    url->url_params ? url->url_params : "");
out:
	su_home_deinit(home);
	return err;
}

/* Binds (and releases) the listen address ourselves first: a failing
 * nua_create() leaks inside Sofia, and errno makes a clearer message. Only
 * numeric hosts with a fixed port can be checked; NUA reports the rest. */
static int check_bind(const char *what, const char *s, char *err_buf)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	url_t *url = url_make(home, s);
	char transport[16] = "";
	int err = CR_OK, port;
	struct sockaddr_storage ss;
	socklen_t len;
	int types[2], n = 0;

	memset(&ss, 0, sizeof(ss));
	port = url && url->url_port ? atoi(url->url_port) : 5060;
	if (!url || !url->url_host || port == 0)
		goto out;
	if (url->url_type == url_sips && !url->url_port)
		port = 5061;
	if (inet_pton(AF_INET, url->url_host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		len = sizeof(struct sockaddr_in);
	} else {
		char host[64];

		/* [::1] in a URI */
		g_strlcpy(host, url->url_host + (url->url_host[0] == '['), sizeof(host));
		if (strchr(host, ']'))
			*strchr(host, ']') = '\0';
		if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) != 1)
			goto out;
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		len = sizeof(struct sockaddr_in6);
	}
	url_param(url->url_params, "transport", transport, sizeof(transport));
	if (url->url_type == url_sips || g_ascii_strcasecmp(transport, "tls") == 0 ||
	    g_ascii_strcasecmp(transport, "tcp") == 0) {
		types[n++] = SOCK_STREAM;
	} else if (g_ascii_strcasecmp(transport, "udp") == 0) {
		types[n++] = SOCK_DGRAM;
	} else {
		types[n++] = SOCK_DGRAM;
		types[n++] = SOCK_STREAM;
	}
	for (int i = 0; i < n && !err; i++) {
		int fd = socket(ss.ss_family, types[i] | SOCK_CLOEXEC, 0), one = 1;

		if (fd < 0)
			continue;
		if (types[i] == SOCK_STREAM)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, len) < 0)
			err = cr_set_error(err_buf, CR_ERR_INVALID, "sip: cannot listen on %s "
					   "(%s %s): %s", s, what,
					   types[i] == SOCK_STREAM ? "TCP" : "UDP",
					   g_strerror(errno));
		close(fd);
	}
out:
	su_home_deinit(home);
	return err;
}

static bool valid_token(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && !strchr("+-_.!~*'()&=$,;?/%#", *s))
			return false;
	return true;
}

int cr_sip_config_check(const cr_sip_config_t *c, char **trunk_hostport, char *err_buf)
{
	char *path;
	int err;

	err = check_uri("listen_uri", c->listen_uri, false, NULL, err_buf);
	if (!err)
		err = check_bind("listen_uri", c->listen_uri, err_buf);
	if (err)
		return err;
	if (c->tls_listen_uri) {
		err = check_uri("tls_listen_uri", c->tls_listen_uri, true, NULL, err_buf);
		if (!err)
			err = check_bind("tls_listen_uri", c->tls_listen_uri, err_buf);
		if (err)
			return err;
		if (!c->tls_cert_dir)
			return cr_set_error(err_buf, CR_ERR_INVALID,
					    "sip: tls_listen_uri needs tls_cert_dir");
		path = g_build_filename(c->tls_cert_dir, "agent.pem", NULL);
		err = access(path, R_OK) == 0 ? CR_OK : CR_ERR_INVALID;
		if (err)
			cr_set_error(err_buf, err,
				     "sip: tls_cert_dir: cannot read %s (certificate and key)",
				     path);
		g_free(path);
		if (err)
			return err;
	}
	if (c->outbound_proxy) {
		err = check_uri("outbound_proxy", c->outbound_proxy, false, NULL, err_buf);
		if (err)
			return err;
	}
	if (c->username && !valid_token(c->username))
		return cr_set_error(err_buf, CR_ERR_INVALID, "sip: bad username \"%s\"",
				    c->username);
	if (c->password && !c->username)
		return cr_set_error(err_buf, CR_ERR_INVALID, "sip: password without username");
	if (c->from_domain && !valid_token(c->from_domain))
		return cr_set_error(err_buf, CR_ERR_INVALID, "sip: bad from_domain \"%s\"",
				    c->from_domain);
	if (c->register_expires < 0)
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "sip: register_expires must be 0 or more, got %d",
				    c->register_expires);
	if (c->register_expires > 0 && !c->username)
		return cr_set_error(err_buf, CR_ERR_INVALID, "sip: REGISTER needs a username");
	if (c->user_agent && (!*c->user_agent || strpbrk(c->user_agent, "\r\n")))
		return cr_set_error(err_buf, CR_ERR_INVALID, "sip: bad user_agent");
	if (c->options_interval < 0)
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "sip: options_interval must be 0 or more, got %d",
				    c->options_interval);
	if (c->session_expires != 0 && c->session_expires != -1 &&
	    c->session_expires < CR_SIP_MIN_SE)
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "sip: session_expires must be -1, 0 or at least %d, got %d",
				    CR_SIP_MIN_SE, c->session_expires);
	if (c->symmetric_rtp != 0 && c->symmetric_rtp != 1)
		return cr_set_error(err_buf, CR_ERR_INVALID, "sip: symmetric_rtp must be 0 or 1");
	if (c->source_filter != 0 && c->source_filter != -1)
		return cr_set_error(err_buf, CR_ERR_INVALID, "sip: source_filter must be 0 or -1");
	if (c->invite_rate < -1)
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "sip: invite_rate must be -1, 0 or more, got %d", c->invite_rate);
	/* Last: it allocates. */
	return check_uri("trunk_uri", c->trunk_uri, false, trunk_hostport, err_buf);
}

void cr_sip_config_init(cr_sip_config_t *c)
{
	if (c)
		memset(c, 0, sizeof(*c));
}

void cr_sip_dial_params_init(cr_sip_dial_params_t *p)
{
	if (p) {
		memset(p, 0, sizeof(*p));
		p->telephone_event = 1;
	}
}

void cr_sip_answer_params_init(cr_sip_answer_params_t *p)
{
	if (p) {
		memset(p, 0, sizeof(*p));
		p->telephone_event = 1;
	}
}
