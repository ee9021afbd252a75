/**
 * @file ports.c  SIP-leg RTP/RTCP port pairs from the configured range
 *
 * Used on the Lua thread at call creation and on a worker at teardown, never
 * per packet; one mutex guards the table. A pair is taken only once both
 * sockets are bound, so ports held by other processes are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include "media.h"

int cr_ports_init(cr_ports_t *p, int min, int max)
{
	g_mutex_init(&p->lock);
	if (min % 2)
		min++;
	p->min = min;
	p->max = max;
	p->n_pairs = max > min ? (max - min + 1) / 2 : 0;
	p->next = 0;
	p->used = g_new0(guint8, p->n_pairs > 0 ? p->n_pairs : 1);
	return p->n_pairs > 0 ? CR_OK : CR_ERR_INVALID;
}

void cr_ports_clear(cr_ports_t *p)
{
	g_free(p->used);
	p->used = NULL;
	g_mutex_clear(&p->lock);
}

static int bind_udp(const struct sockaddr_storage *addr, int port)
{
	struct sockaddr_storage ss = *addr;
	socklen_t len;
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (ss.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		len = sizeof(struct sockaddr_in6);
	} else {
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		len = sizeof(struct sockaddr_in);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int cr_ports_open(cr_ports_t *p, const struct sockaddr_storage *addr, int *rtp_fd,
		  int *rtcp_fd, int *rtp_port)
{
	int err = CR_ERR_PORTS;

	g_mutex_lock(&p->lock);
	for (int n = 0; n < p->n_pairs; n++) {
		int i = (p->next + n) % p->n_pairs;
		int port = p->min + 2 * i;
		int a, b;

		if (p->used[i])
			continue;
		a = bind_udp(addr, port);
		if (a < 0 && (errno == EMFILE || errno == ENFILE)) {
			err = CR_ERR_INTERNAL; /* no other pair would do better */
			break;
		}
		if (a < 0)
			continue;
		b = bind_udp(addr, port + 1);
		if (b < 0) {
			int saved = errno;

			close(a);
			errno = saved;
			if (saved == EMFILE || saved == ENFILE) {
				err = CR_ERR_INTERNAL;
				break;
			}
			continue;
		}
		p->used[i] = 1;
		p->next = (i + 1) % p->n_pairs;
		*rtp_fd = a;
		*rtcp_fd = b;
		*rtp_port = port;
		err = CR_OK;
		break;
	}
	g_mutex_unlock(&p->lock);
	return err;
}

void cr_ports_release(cr_ports_t *p, int rtp_port)
{
	int i = (rtp_port - p->min) / 2;

	g_mutex_lock(&p->lock);
	if (i >= 0 && i < p->n_pairs)
		p->used[i] = 0;
	g_mutex_unlock(&p->lock);
}
