/**
 * @file media_relay.c  Relay-wide media configuration: addresses, ports, DTLS certificate
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "media.h"

void cr_media_config_init(cr_media_config_t *c)
{
	if (c)
		memset(c, 0, sizeof(*c));
}

int cr_parse_addr(const char *ip, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!ip || port < 0 || port > 65535)
		return CR_ERR_INVALID;
	if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		if (len)
			*len = sizeof(*v4);
		return CR_OK;
	}
	if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		if (len)
			*len = sizeof(*v6);
		return CR_OK;
	}
	return CR_ERR_INVALID;
}

void cr_format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
		g_snprintf(buf, len, "[%s]:%u", ip, ntohs(v6->sin6_port));
	} else {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
		g_snprintf(buf, len, "%s:%u", ip, ntohs(v4->sin_port));
	}
}

int cr_media_relay_create(const cr_media_config_t *c, cr_media_relay_t **out, char *err_buf)
{
	cr_media_relay_t *m;
	int err;

	*out = NULL;
	if (!c->sip_rtp_address)
		return cr_set_error(err_buf, CR_ERR_INVALID, "media: sip_rtp_address is required");
	if (c->sip_port_min <= 0 || c->sip_port_max > 65535 ||
	    c->sip_port_max < c->sip_port_min + 1)
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "media: sip_port_min..sip_port_max must hold an even/odd pair, got %d..%d",
				    c->sip_port_min, c->sip_port_max);
	if (c->ice_port_min < 0 || c->ice_port_max > 65535 || c->ice_port_max < c->ice_port_min)
		return cr_set_error(err_buf, CR_ERR_INVALID, "media: bad ICE port range %d..%d",
				    c->ice_port_min, c->ice_port_max);
	if (c->media_timeout_ms < 0)
		return cr_set_error(err_buf, CR_ERR_INVALID, "media: media_timeout_ms must be >= 0");
	if (c->sip_media_timeout_ms < 0)
		return cr_set_error(err_buf, CR_ERR_INVALID, "media: sip_media_timeout_ms must be >= 0");
	m = g_new0(cr_media_relay_t, 1);
	if (cr_parse_addr(c->sip_rtp_address, 0, &m->sip_addr, NULL)) {
		err = cr_set_error(err_buf, CR_ERR_INVALID, "media: sip_rtp_address %s is not an IP address",
				   c->sip_rtp_address);
		g_free(m);
		return err;
	}
	err = cr_ports_init(&m->ports, c->sip_port_min, c->sip_port_max);
	if (err) {
		cr_set_error(err_buf, err, "media: the SIP port range holds no even/odd pair");
		goto out;
	}
	if (c->ice_addresses && *c->ice_addresses) {
		m->ice_addresses = g_strsplit(c->ice_addresses, ",", -1);
		for (char **a = m->ice_addresses; *a; a++) {
			struct sockaddr_storage ss;

			g_strstrip(*a);
			if (cr_parse_addr(*a, 0, &ss, NULL)) {
				err = cr_set_error(err_buf, CR_ERR_INVALID,
						   "media: ICE address %s is not an IP address", *a);
				goto out;
			}
		}
	}
	m->ice_port_min = c->ice_port_min;
	m->ice_port_max = c->ice_port_max;
	m->stun_server = g_strdup(c->stun_server);
	m->stun_port = c->stun_port ? c->stun_port : 3478;
	m->turn_server = g_strdup(c->turn_server);
	m->turn_port = c->turn_port ? c->turn_port : 3478;
	m->turn_username = g_strdup(c->turn_username ? c->turn_username : "");
	m->turn_password = g_strdup(c->turn_password ? c->turn_password : "");
	m->sip_rtp_address = g_strdup(c->sip_rtp_address);
	m->media_timeout_ms = c->media_timeout_ms ? c->media_timeout_ms : 30000;
	m->sip_media_timeout_ms = c->sip_media_timeout_ms ? c->sip_media_timeout_ms : 60000;
	err = cr_dtls_ctx_create(c->certificate_file, c->private_key_file, &m->dtls, err_buf);
out:
	if (err) {
		cr_media_relay_destroy(m);
		return err;
	}
	*out = m;
	return CR_OK;
}

void cr_media_relay_destroy(cr_media_relay_t *m)
{
	if (!m)
		return;
	cr_dtls_ctx_destroy(m->dtls);
	if (m->ports.used)
		cr_ports_clear(&m->ports);
	g_strfreev(m->ice_addresses);
	g_free(m->stun_server);
	g_free(m->turn_server);
	g_free(m->turn_username);
	g_free(m->turn_password);
	g_free(m->sip_rtp_address);
	g_free(m);
}
