/**
 * @file sip_filter.c  Strangers never cost parse time: a kernel filter on Sofia's sockets
 *
 * Sofia parses every datagram and TCP stream before NUA hands us anything,
 * and its parser costs quadratic time in repeated headers. A classic BPF
 * socket filter (SO_ATTACH_FILTER) built from the trusted sources drops
 * datagrams and TCP SYNs from anywhere else in the kernel, before Sofia
 * reads a byte; accepted TCP connections inherit the listener's filter.
 *
 * Sofia 1.12.11 has no public way to the NTA agent's transports (no
 * tport_socket(), no NUA accessor for the agent), so the sockets are found
 * as the UDP and listening TCP sockets nua_create() opened on the listen
 * ports: the descriptors that are new after it returns.
 *
 * The kernel counts what a filter drops in the socket's drop counter
 * (SO_MEMINFO, the "d" of `ss -m`), shared with receive-buffer overflows.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "sip.h"

/* ---- building the program ---- */

static void emit(GArray *prog, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	struct sock_filter ins = { code, jt, jf, k };

	g_array_append_val(prog, ins);
}

static uint32_t word_at(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint32_t mask_of(int bits)
{
	if (bits <= 0)
		return 0;
	if (bits >= 32)
		return 0xffffffffu;
	return 0xffffffffu << (32 - bits);
}

/* Words of a CIDR to compare, from its first: (offset, mask, value). */
static int cidr_words(const cr_sip_cidr_t *c, uint32_t off[4], uint32_t mask[4],
		      uint32_t val[4])
{
	int n = 0, base = c->family == AF_INET ? 12 : 8; /* source address in the IP header */
	int words = c->family == AF_INET ? 1 : 4;

	for (int i = 0; i < words; i++) {
		uint32_t m = mask_of(c->prefix - 32 * i);

		if (!m)
			break;
		off[n] = (uint32_t)(SKF_NET_OFF + base + 4 * i);
		mask[n] = m;
		val[n] = word_at(c->addr + 4 * i) & m;
		n++;
	}
	return n;
}

/* One block per CIDR: load each source word, mask, compare; on the last
 * match return "accept". Jumps stay inside the block (8-bit offsets). */
static void emit_cidr(GArray *prog, const cr_sip_cidr_t *c)
{
	uint32_t off[4], mask[4], val[4];
	int n = cidr_words(c, off, mask, val);

	for (int i = 0; i < n; i++) {
		/* instructions left in this block after this jeq: the remaining
		 * words (3 each) and the final ret */
		uint8_t skip = (uint8_t)(3 * (n - 1 - i) + 1);

		emit(prog, BPF_LD | BPF_W | BPF_ABS, 0, 0, off[i]);
		emit(prog, BPF_ALU | BPF_AND | BPF_K, 0, 0, mask[i]);
		emit(prog, BPF_JMP | BPF_JEQ | BPF_K, 0, skip, val[i]);
	}
	emit(prog, BPF_RET | BPF_K, 0, 0, 0xffffffffu);
}

static GArray *build_program(const GArray *sources)
{
	GArray *prog = g_array_new(FALSE, FALSE, sizeof(struct sock_filter));
	guint jump_v6;

	/* The IP version of the network header (IPv4 on a dual-stack socket
	 * too, for IPv4 peers). */
	emit(prog, BPF_LD | BPF_B | BPF_ABS, 0, 0, (uint32_t)SKF_NET_OFF);
	emit(prog, BPF_ALU | BPF_RSH | BPF_K, 0, 0, 4);
	emit(prog, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 4);
	jump_v6 = prog->len;
	emit(prog, BPF_JMP | BPF_JA, 0, 0, 0); /* to the IPv6 blocks, set below */
	for (guint i = 0; i < sources->len; i++)
		if (g_array_index(sources, cr_sip_cidr_t, i).family == AF_INET)
			emit_cidr(prog, &g_array_index(sources, cr_sip_cidr_t, i));
	emit(prog, BPF_RET | BPF_K, 0, 0, 0);
	g_array_index(prog, struct sock_filter, jump_v6).k = prog->len - jump_v6 - 1;
	/* Neither 4 nor 6 falls into the IPv6 checks, which then fail. */
	for (guint i = 0; i < sources->len; i++)
		if (g_array_index(sources, cr_sip_cidr_t, i).family == AF_INET6)
			emit_cidr(prog, &g_array_index(sources, cr_sip_cidr_t, i));
	emit(prog, BPF_RET | BPF_K, 0, 0, 0);
	return prog;
}

/* ---- finding Sofia's sockets ---- */

static GHashTable *open_fds(void)
{
	GHashTable *set = g_hash_table_new(g_direct_hash, g_direct_equal);
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		return set;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			g_hash_table_add(set, GINT_TO_POINTER(atoi(e->d_name)));
	closedir(d);
	return set;
}

GHashTable *cr_sip_filter_snapshot(void)
{
	return open_fds();
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/* A UDP socket or a listening TCP socket on one of the listen ports
 * (a port 0 in the listen URI matches any). */
static bool is_sip_socket(int fd, const int *ports, int n_ports)
{
	struct stat st;
	int type = 0, listening = 0, port;
	socklen_t len = sizeof(type);
	bool port_ok = false;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		return false;
	len = sizeof(listening);
	if (type == SOCK_STREAM &&
	    (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening))
		return false;
	if (type != SOCK_DGRAM && type != SOCK_STREAM)
		return false;
	port = local_port(fd);
	for (int i = 0; i < n_ports; i++)
		port_ok = port_ok || ports[i] == 0 || ports[i] == port;
	return port > 0 && port_ok;
}

int cr_sip_filter_attach(cr_sip_ua_t *ua, GHashTable *before, const int *ports, int n_ports,
			 char *err_buf)
{
	GHashTable *after = open_fds();
	GArray *prog = build_program(ua->sources);
	struct sock_fprog fprog = { .len = (unsigned short)prog->len,
				    .filter = (struct sock_filter *)(void *)prog->data };
	GString *failed = g_string_new(NULL);
	GHashTableIter it;
	gpointer key;
	int err = CR_OK;

	g_hash_table_iter_init(&it, after);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		int fd = GPOINTER_TO_INT(key), type = 0;
		socklen_t len = sizeof(type);

		if (g_hash_table_contains(before, key) || !is_sip_socket(fd, ports, n_ports))
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) != 0) {
			/* Measured: this kernel refuses filters on TCP sockets to an
			 * unprivileged process (EPERM) and allows them on UDP. */
			getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
			g_string_append_printf(failed, "%s%s port %d (%s)", failed->len ? ", " : "",
					       type == SOCK_STREAM ? "TCP" : "UDP", local_port(fd),
					       g_strerror(errno));
			continue;
		}
		g_array_append_val(ua->filtered_fds, fd);
	}
	if (ua->filtered_fds->len == 0 && !failed->len)
		err = cr_set_error(err_buf, CR_ERR_INTERNAL,
				   "sip: found no SIP socket to attach the source filter to");
	else if (failed->len)
		err = cr_set_error(err_buf, ua->filtered_fds->len ? CR_ERR_UNSUPPORTED : CR_ERR_INTERNAL,
				   "sip: the source filter is not on %s: packets from there reach "
				   "the SIP stack (a firewall rule must drop them, README.md)",
				   failed->str);
	g_string_free(failed, TRUE);
	g_array_free(prog, TRUE);
	g_hash_table_destroy(after);
	return err;
}

uint64_t cr_sip_filter_drops(const cr_sip_ua_t *ua)
{
	uint64_t total = 0;

	for (guint i = 0; i < ua->filtered_fds->len; i++) {
		uint32_t mem[SK_MEMINFO_VARS];
		socklen_t len = sizeof(mem);

		if (getsockopt(g_array_index(ua->filtered_fds, int, i), SOL_SOCKET, SO_MEMINFO,
			       mem, &len) == 0 && len >= sizeof(uint32_t) * (SK_MEMINFO_DROPS + 1))
			total += mem[SK_MEMINFO_DROPS];
	}
	return total;
}
