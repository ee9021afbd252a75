/**
 * @file sip_sources.c  Who may send SIP: the trusted source list
 *
 * The list is the operator's (IPs and CIDRs, IPv4 and IPv6) or, by default,
 * every address the trunk's and the outbound proxy's hosts resolve to when
 * the relay is created. A request from elsewhere never rings anybody: the
 * kernel filter (sip_filter.c) drops it before Sofia reads it, and the
 * dialog code answers 403 to whatever still comes through.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <sofia-sip/url.h>

#include "sip.h"

static void mask_to_prefix(cr_sip_cidr_t *c)
{
	int bytes = c->family == AF_INET ? 4 : 16;

	for (int i = 0; i < bytes; i++) {
		int bits = c->prefix - i * 8;

		if (bits >= 8)
			continue;
		c->addr[i] &= (uint8_t)(bits <= 0 ? 0 : 0xff << (8 - bits));
	}
}

/* ::ffff:a.b.c.d is a.b.c.d: packets from IPv4 peers on a dual-stack
 * socket carry IPv4 headers, which is what the filter and match see. */
static void unmap_v4(cr_sip_cidr_t *c)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (c->family != AF_INET6 || memcmp(c->addr, mapped, sizeof(mapped)) != 0 ||
	    c->prefix < 96)
		return;
	memmove(c->addr, c->addr + 12, 4);
	memset(c->addr + 4, 0, 12);
	c->family = AF_INET;
	c->prefix -= 96;
}

static int parse_one(const char *text, cr_sip_cidr_t *c)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	char *end;
	long prefix;
	int max;

	if (len == 0 || len >= sizeof(addr))
		return -1;
	memcpy(addr, text, len);
	addr[len] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, addr, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, c->addr) == 1)
		c->family = AF_INET6;
	else
		return -1;
	max = c->family == AF_INET ? 32 : 128;
	prefix = max;
	if (slash) {
		prefix = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || prefix < 0 || prefix > max)
			return -1;
	}
	c->prefix = (int)prefix;
	mask_to_prefix(c);
	unmap_v4(c);
	return 0;
}

static int add_cidr(GArray *list, const cr_sip_cidr_t *c, char *err_buf)
{
	for (guint i = 0; i < list->len; i++) {
		const cr_sip_cidr_t *o = &g_array_index(list, cr_sip_cidr_t, i);

		if (o->family == c->family && o->prefix == c->prefix &&
		    memcmp(o->addr, c->addr, sizeof(c->addr)) == 0)
			return CR_OK;
	}
	if (list->len >= CR_SIP_MAX_SOURCES)
		return cr_set_error(err_buf, CR_ERR_INVALID,
				    "sip: trusted_sources: more than %d entries", CR_SIP_MAX_SOURCES);
	g_array_append_val(list, *c);
	return CR_OK;
}

int cr_sip_sources_parse(const char *text, GArray *list, char *err_buf)
{
	gchar **items = g_strsplit_set(text, ", \t", -1);
	int err = CR_OK, n = 0;

	for (int i = 0; items[i] && !err; i++) {
		cr_sip_cidr_t c;

		if (!*items[i])
			continue;
		if (parse_one(items[i], &c) != 0)
			err = cr_set_error(err_buf, CR_ERR_INVALID,
					   "sip: trusted_sources: \"%s\" is not an IP address "
					   "or CIDR (IPv4 or IPv6)", items[i]);
		else
			err = add_cidr(list, &c, err_buf);
		n++;
	}
	g_strfreev(items);
	if (!err && n == 0)
		err = cr_set_error(err_buf, CR_ERR_INVALID,
				   "sip: trusted_sources is empty (no SIP could be received)");
	return err;
}

/* Adds every address the host of a SIP URI resolves to, as /32 or /128. */
static int add_host_of(const char *what, const char *uri, GArray *list, char *err_buf)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	url_t *url = url_make(home, uri);
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	char host[256];
	int err = CR_OK, rc;

	if (!url || !url->url_host) {
		err = cr_set_error(err_buf, CR_ERR_INVALID, "sip: %s has no host", what);
		goto out;
	}
	g_strlcpy(host, url->url_host + (url->url_host[0] == '['), sizeof(host));
	if (strchr(host, ']'))
		*strchr(host, ']') = '\0';
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		err = cr_set_error(err_buf, CR_ERR_INVALID,
				   "sip: cannot resolve %s host \"%s\" (%s) for the default "
				   "trusted sources: set trusted_sources", what, host,
				   gai_strerror(rc));
		goto out;
	}
	for (struct addrinfo *ai = res; ai && !err; ai = ai->ai_next) {
		cr_sip_cidr_t c;

		if (cr_sip_sources_from_sockaddr(ai->ai_addr, &c) == 0)
			err = add_cidr(list, &c, err_buf);
	}
out:
	if (res)
		freeaddrinfo(res);
	su_home_deinit(home);
	return err;
}

int cr_sip_sources_default(const char *trunk_uri, const char *outbound_proxy, GArray *list,
			   char *err_buf)
{
	int err = add_host_of("trunk_uri", trunk_uri, list, err_buf);

	if (!err && outbound_proxy)
		err = add_host_of("outbound_proxy", outbound_proxy, list, err_buf);
	return err;
}

int cr_sip_sources_from_sockaddr(const struct sockaddr *sa, cr_sip_cidr_t *c)
{
	memset(c, 0, sizeof(*c));
	if (!sa)
		return -1;
	if (sa->sa_family == AF_INET) {
		c->family = AF_INET;
		c->prefix = 32;
		memcpy(c->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		c->family = AF_INET6;
		c->prefix = 128;
		memcpy(c->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		unmap_v4(c);
	} else {
		return -1;
	}
	return 0;
}

bool cr_sip_sources_match(const GArray *list, const struct sockaddr *sa)
{
	cr_sip_cidr_t from;

	if (cr_sip_sources_from_sockaddr(sa, &from) != 0)
		return false;
	for (guint i = 0; i < list->len; i++) {
		cr_sip_cidr_t c = g_array_index(list, cr_sip_cidr_t, i), masked = from;

		if (c.family != from.family)
			continue;
		masked.prefix = c.prefix;
		mask_to_prefix(&masked);
		if (memcmp(masked.addr, c.addr, sizeof(c.addr)) == 0)
			return true;
	}
	return false;
}

void cr_sip_sources_text(const GArray *list, char *buf, size_t len)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < list->len; i++) {
		const cr_sip_cidr_t *c = &g_array_index(list, cr_sip_cidr_t, i);
		char addr[INET6_ADDRSTRLEN];

		inet_ntop(c->family, c->addr, addr, sizeof(addr));
		g_string_append_printf(s, "%s%s/%d", i ? "," : "", addr, c->prefix);
	}
	g_strlcpy(buf, s->str, len);
	g_string_free(s, TRUE);
}
