/**
 * @file peer_echo.c  Test peer playing the SIP trunk's media: a UDP echo for RTP and RTCP
 */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer_echo.h"

struct echo {
	int rtp_fd, rtcp_fd, foreign_fd, stop_pipe[2];
	int rtp_port;
	GThread *thread;
	atomic_int rtp_rx, rtcp_rx, foreign_rx, last_pt, loss_percent, dropped;
	atomic_int ssrc_changes, seq_gaps, ts_back, pt_count[128];
	bool seen;     /* echo thread only */
	uint32_t ssrc, ts;
	uint16_t seq;
	atomic_bool muted;
	GMutex log_lock;
	echo_rtp_rec_t log[ECHO_LOG_MAX];
	int n_log;
};

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void log_rtp(echo_t *e, const unsigned char *buf, ssize_t n)
{
	echo_rtp_rec_t *r;

	if (n < 12)
		return;
	g_mutex_lock(&e->log_lock);
	if (e->n_log < ECHO_LOG_MAX) {
		r = &e->log[e->n_log++];
		r->pt = buf[1] & 0x7f;
		r->marker = buf[1] & 0x80;
		r->seq = (uint16_t)(buf[2] << 8 | buf[3]);
		r->ts = rd32(buf + 4);
		r->ssrc = rd32(buf + 8);
		r->len = (int)n - 12;
		memcpy(r->payload, buf + 12, n >= 16 ? 4 : (size_t)n - 12);
	}
	g_mutex_unlock(&e->log_lock);
}

int echo_rtp_log(echo_t *e, echo_rtp_rec_t *out, int max)
{
	int n;

	g_mutex_lock(&e->log_lock);
	n = e->n_log < max ? e->n_log : max;
	memcpy(out, e->log, sizeof(*out) * (size_t)n);
	g_mutex_unlock(&e->log_lock);
	return n;
}

static int bind_at(const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void track(echo_t *e, const unsigned char *b)
{
	uint32_t ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
	uint32_t ts = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
	uint16_t seq = (uint16_t)(b[2] << 8 | b[3]);

	atomic_fetch_add(&e->pt_count[b[1] & 0x7f], 1);
	if (e->seen) {
		if (ssrc != e->ssrc)
			atomic_fetch_add(&e->ssrc_changes, 1);
		else if (seq != (uint16_t)(e->seq + 1))
			atomic_fetch_add(&e->seq_gaps, 1);
		if (ssrc == e->ssrc && (int32_t)(ts - e->ts) < 0)
			atomic_fetch_add(&e->ts_back, 1);
	}
	e->seen = true;
	e->ssrc = ssrc;
	e->seq = seq;
	e->ts = ts;
}

static gpointer echo_main(gpointer p)
{
	echo_t *e = p;
	unsigned char buf[2048];

	for (;;) {
		struct pollfd pfd[4] = { { e->rtp_fd, POLLIN, 0 }, { e->rtcp_fd, POLLIN, 0 },
					 { e->foreign_fd, POLLIN, 0 }, { e->stop_pipe[0], POLLIN, 0 } };

		if (poll(pfd, 4, -1) < 0)
			continue;
		if (pfd[3].revents)
			break;
		for (int i = 0; i < 3; i++) {
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t n;

			if (!pfd[i].revents)
				continue;
			n = recvfrom(pfd[i].fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
			if (n <= 0)
				continue;
			if (i == 2) {
				atomic_fetch_add(&e->foreign_rx, 1);
				continue;
			}
			if (i == 0) {
				atomic_fetch_add(&e->rtp_rx, 1);
				if (n >= 2)
					atomic_store(&e->last_pt, buf[1] & 0x7f);
				log_rtp(e, buf, n);
				if (n >= 12)
					track(e, buf);
			} else {
				atomic_fetch_add(&e->rtcp_rx, 1);
			}
			if (i == 0 && g_random_int_range(0, 100) < atomic_load(&e->loss_percent)) {
				atomic_fetch_add(&e->dropped, 1);
				continue;
			}
			if (!atomic_load(&e->muted))
				sendto(pfd[i].fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
		}
	}
	return NULL;
}

int echo_new(const char *addr, echo_t **out)
{
	echo_t *e = g_new0(echo_t, 1);

	g_mutex_init(&e->log_lock);
	/* An even/odd pair: try ports until both bind. */
	for (int port = 41000 + g_random_int_range(0, 500) * 2; port < 49000; port += 2) {
		e->rtp_fd = bind_at(addr, port);
		if (e->rtp_fd < 0)
			continue;
		e->rtcp_fd = bind_at(addr, port + 1);
		if (e->rtcp_fd >= 0) {
			e->rtp_port = port;
			break;
		}
		close(e->rtp_fd);
	}
	e->foreign_fd = bind_at(addr, 0);
	if (!e->rtp_port || e->foreign_fd < 0 || pipe(e->stop_pipe) < 0) {
		g_free(e);
		return -1;
	}
	e->thread = g_thread_new("echo", echo_main, e);
	*out = e;
	return 0;
}

void echo_free(echo_t *e)
{
	if (!e)
		return;
	if (write(e->stop_pipe[1], "x", 1) != 1)
		return;
	g_thread_join(e->thread);
	close(e->rtp_fd);
	close(e->rtcp_fd);
	close(e->foreign_fd);
	close(e->stop_pipe[0]);
	close(e->stop_pipe[1]);
	g_mutex_clear(&e->log_lock);
	g_free(e);
}

int echo_rtp_port(echo_t *e) { return e->rtp_port; }
int echo_rtcp_port(echo_t *e) { return e->rtp_port + 1; }
int echo_rtp_received(echo_t *e) { return atomic_load(&e->rtp_rx); }
int echo_rtcp_received(echo_t *e) { return atomic_load(&e->rtcp_rx); }
int echo_last_pt(echo_t *e) { return atomic_load(&e->last_pt); }
int echo_foreign_received(echo_t *e) { return atomic_load(&e->foreign_rx); }
void echo_set_muted(echo_t *e, bool muted) { atomic_store(&e->muted, muted); }
void echo_set_loss(echo_t *e, int percent) { atomic_store(&e->loss_percent, percent); }
int echo_dropped(echo_t *e) { return atomic_load(&e->dropped); }
int echo_ssrc_changes(echo_t *e) { return atomic_load(&e->ssrc_changes); }
int echo_seq_gaps(echo_t *e) { return atomic_load(&e->seq_gaps); }
int echo_ts_back(echo_t *e) { return atomic_load(&e->ts_back); }
int echo_pt_count(echo_t *e, int pt) { return pt >= 0 && pt < 128 ? atomic_load(&e->pt_count[pt]) : 0; }

int echo_foreign_port(echo_t *e)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	if (getsockname(e->foreign_fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	return ntohs(sa.sin_port);
}

int echo_send_to(echo_t *e, bool foreign, const char *addr, int port, const unsigned char *buf,
		 int len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	inet_pton(AF_INET, addr, &sa.sin_addr);
	return (int)sendto(foreign ? e->foreign_fd : e->rtp_fd, buf, (size_t)len, 0,
			   (struct sockaddr *)&sa, sizeof(sa));
}
