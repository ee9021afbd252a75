/**
 * @file sip_tap.c  A UDP forwarder in front of sipp that timestamps its 200 OKs
 *
 * The gateways under test (the relay, Janus) send their INVITEs to the
 * tap's port; the tap forwards each datagram to sipp from a socket of its
 * own per sender, so sipp's responses come back through it, and notes the
 * monotonic time (g_get_monotonic_time, the clock the client peer uses) at
 * which a "SIP/2.0 200" answering an INVITE passes. Requests sipp sends
 * itself (none in uas_ring_answer.xml) and the ACK and BYE, which go to
 * sipp's Contact, do not pass here. One thread, poll(), a few microseconds
 * per datagram.
 */
#include "sip_tap.h"

#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TAP_PEERS 16

struct sip_tap {
	int listen_fd, port, sipp_port;
	struct {
		struct sockaddr_in from; /* the gateway's address */
		int fd;                  /* our socket toward sipp for it */
	} peers[TAP_PEERS];
	int n_peers, next_reuse;
	int stop_pipe[2];
	GThread *thread;
	atomic_llong first_200_at;
	atomic_long n_200;
};

static int udp_socket(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* A 200 to an INVITE: the status line, then "CSeq: N INVITE". */
static bool is_invite_200(const char *buf, ssize_t n)
{
	const char *cseq;

	if (n < 12 || memcmp(buf, "SIP/2.0 200", 11) != 0)
		return false;
	cseq = g_strstr_len(buf, n, "\nCSeq:");
	if (!cseq)
		return false;
	for (cseq += 6; cseq < buf + n && (*cseq == ' ' || g_ascii_isdigit(*cseq)); cseq++)
		;
	return buf + n - cseq >= 6 && memcmp(cseq, "INVITE", 6) == 0;
}

static gpointer tap_main(gpointer arg)
{
	sip_tap_t *t = arg;
	char buf[65536];

	for (;;) {
		struct pollfd pfd[TAP_PEERS + 2];
		int n = 0;

		pfd[n++] = (struct pollfd){ .fd = t->stop_pipe[0], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = t->listen_fd, .events = POLLIN };
		for (int i = 0; i < t->n_peers; i++)
			pfd[n++] = (struct pollfd){ .fd = t->peers[i].fd, .events = POLLIN };
		if (poll(pfd, (nfds_t)n, -1) < 0)
			continue;
		if (pfd[0].revents)
			return NULL;
		if (pfd[1].revents & POLLIN) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t len = recvfrom(t->listen_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			struct sockaddr_in to = { .sin_family = AF_INET,
						  .sin_port = htons((uint16_t)t->sipp_port),
						  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			int k;

			for (k = 0; k < t->n_peers; k++)
				if (t->peers[k].from.sin_port == from.sin_port &&
				    t->peers[k].from.sin_addr.s_addr == from.sin_addr.s_addr)
					break;
			if (len > 0 && k == t->n_peers && k == TAP_PEERS) {
				/* Full (every Janus handle has a SIP port of its
				 * own): the oldest sender's call is long over. */
				k = t->next_reuse;
				t->next_reuse = (t->next_reuse + 1) % TAP_PEERS;
				close(t->peers[k].fd);
				t->peers[k].from = from;
				t->peers[k].fd = udp_socket(0);
				if (t->peers[k].fd < 0)
					k = TAP_PEERS; /* dropped: the gateway retransmits */
			} else if (len > 0 && k == t->n_peers) {
				t->peers[k].from = from;
				t->peers[k].fd = udp_socket(0);
				if (t->peers[k].fd >= 0)
					t->n_peers++;
			}
			if (len > 0 && k < t->n_peers)
				sendto(t->peers[k].fd, buf, (size_t)len, 0, (struct sockaddr *)&to, sizeof(to));
		}
		for (int i = 0; i < t->n_peers && i + 2 < n; i++) {
			ssize_t len;

			if (!(pfd[i + 2].revents & POLLIN))
				continue;
			len = recv(t->peers[i].fd, buf, sizeof(buf), 0);
			if (len <= 0)
				continue;
			if (is_invite_200(buf, len)) {
				long long zero = 0;

				/* The first since sip_tap_arm(): not a retransmission. */
				atomic_compare_exchange_strong(&t->first_200_at, &zero,
							       (long long)g_get_monotonic_time());
				atomic_fetch_add(&t->n_200, 1);
			}
			sendto(t->listen_fd, buf, (size_t)len, 0, (struct sockaddr *)&t->peers[i].from,
			       sizeof(t->peers[i].from));
		}
	}
}

int sip_tap_start(int port, int sipp_port, sip_tap_t **out)
{
	sip_tap_t *t = g_new0(sip_tap_t, 1);

	t->port = port;
	t->sipp_port = sipp_port;
	t->listen_fd = udp_socket(port);
	if (t->listen_fd < 0 || pipe(t->stop_pipe)) {
		if (t->listen_fd >= 0)
			close(t->listen_fd);
		g_free(t);
		return -1;
	}
	t->thread = g_thread_new("sip-tap", tap_main, t);
	*out = t;
	return 0;
}

void sip_tap_arm(sip_tap_t *t)
{
	atomic_store(&t->first_200_at, 0);
}

int64_t sip_tap_first_200(sip_tap_t *t)
{
	return atomic_load(&t->first_200_at);
}

long sip_tap_count_200(sip_tap_t *t)
{
	return atomic_load(&t->n_200);
}

void sip_tap_stop(sip_tap_t *t)
{
	if (!t)
		return;
	if (write(t->stop_pipe[1], "x", 1) != 1)
		return; /* the thread would not stop: leak it rather than hang */
	g_thread_join(t->thread);
	for (int i = 0; i < t->n_peers; i++)
		close(t->peers[i].fd);
	close(t->listen_fd);
	close(t->stop_pipe[0]);
	close(t->stop_pipe[1]);
	g_free(t);
}
