/**
 * @file netns.c  A network namespace for a test's client, joined to the host by a veth pair, and nftables drops inside it
 *
 * No tc netem on the machines the tests run on: loss and outages are
 * nftables drop rules inside the namespace, so only the test's own packets
 * are touched.
 */
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "netns.h"

static int sh(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static int sh(const char *fmt, ...)
{
	va_list ap;
	gchar *cmd;
	int rc;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "  command failed (%d): %s\n", rc, cmd);
	g_free(cmd);
	return rc == 0 ? 0 : -1;
}

void netns_down(netns_t *n)
{
	gchar *cmd;

	if (!n->name[0])
		return;
	/* Deleting the namespace deletes its veth end, and with it the pair. */
	cmd = g_strdup_printf("ip netns del %s 2>/dev/null; ip link del %s 2>/dev/null", n->name,
			      n->host_if);
	if (system(cmd) != 0) {
		/* the link went with the namespace */
	}
	g_free(cmd);
	n->name[0] = '\0';
}

int netns_up(netns_t *n, const char *prefix)
{
	int k = getpid() % 250;

	g_snprintf(n->name, sizeof(n->name), "%s%d", prefix, getpid());
	g_snprintf(n->host_if, sizeof(n->host_if), "crh%d", getpid());
	g_snprintf(n->peer_if, sizeof(n->peer_if), "crp%d", getpid());
	g_snprintf(n->host_ip, sizeof(n->host_ip), "10.213.%d.1", k);
	g_snprintf(n->peer_ip, sizeof(n->peer_ip), "10.213.%d.2", k);
	if (sh("ip netns add %s", n->name) ||
	    sh("ip link add %s type veth peer name %s", n->host_if, n->peer_if) ||
	    sh("ip link set %s netns %s", n->peer_if, n->name) ||
	    sh("ip addr add %s/30 dev %s", n->host_ip, n->host_if) ||
	    sh("ip link set %s up", n->host_if) ||
	    sh("ip -n %s addr add %s/30 dev %s", n->name, n->peer_ip, n->peer_if) ||
	    sh("ip -n %s link set %s up", n->name, n->peer_if) ||
	    sh("ip -n %s link set lo up", n->name))
		return -1;
	return 0;
}

int netns_drop(netns_t *n, const char *match, bool both_ways)
{
	gchar *in = both_ways ? g_strdup_printf("  chain in {\n"
						"    type filter hook input priority 0;\n"
						"    meta l4proto udp %s counter drop\n"
						"  }\n",
						match)
			      : g_strdup("");
	gchar *flush = g_strdup_printf("ip netns exec %s nft delete table inet crdrop 2>/dev/null",
				       n->name);
	int rc;

	if (system(flush) != 0) {
		/* no earlier drop */
	}
	g_free(flush);
	rc = sh("ip netns exec %s nft -f - <<'EOF'\n"
		"table inet crdrop {\n"
		"  chain out {\n"
		"    type filter hook output priority 0;\n"
		"    meta l4proto udp %s counter drop\n"
		"  }\n"
		"%s"
		"}\n"
		"EOF\n",
		n->name, match, in);
	g_free(in);
	return rc;
}

int netns_undrop(netns_t *n)
{
	return sh("ip netns exec %s nft delete table inet crdrop", n->name);
}
