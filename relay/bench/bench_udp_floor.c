/**
 * @file bench_udp_floor.c  What this machine's kernel alone costs per forwarded packet
 *
 * Usage: bench_udp_floor [N,N,...] [ROUNDS]   (default 100,300,1000,2000 and 40)
 *
 * The media ramp (relay/bench/bench_ramp.c) reports calls per core for the
 * relay, a bare recv -> SRTP -> send loop and rtpengine. All three pay the
 * kernel for every datagram they receive and send; this program measures
 * that share on its own, so a target in calls per core can be set against
 * what the machine allows at all (docs/PERFORMANCE.md, "What the kernel
 * alone allows").
 *
 * For N calls it opens 2N "system" sockets (two legs per call, as the relay
 * and the bare loop have) and 2N "far" sockets (the generator's), all UDP on
 * 127.0.0.1. Each round, untimed, every far socket sends one 180-byte
 * datagram to its system socket (the loopback delivery of that datagram is
 * the sender's work, as it is the generator's in the ramp); then, timed with
 * this thread's CPU clock, every system socket is read with one recvmmsg and
 * what it read is sent with one sendto to its far socket (the delivery to the
 * far socket is the sender's: here it is the system's, as in the ramp); then,
 * untimed, the far sockets are drained. Nothing else happens in user space:
 * no epoll, no SRTP, no parsing. That makes the figure a floor: a relay
 * forwarding these packets costs at least this much per packet.
 *
 * A second pass per round sends the same datagrams to the far sockets again,
 * 32 per sendmmsg from one socket: what batching system calls could save
 * at most (a relay cannot do even that: each leg must send from its own
 * port, and one leg rarely has two packets waiting).
 *
 * Per N it prints, as the minimum over the rounds (the most favourable
 * round, so a ceiling derived from it is generous):
 *   sendto_ns, recvmmsg_ns   CPU per datagram sent, per datagram read
 *   sendmmsg_ns              CPU per datagram sent 32 per call
 *   ceiling_calls_per_core   1 s / (100 packets per call-second x both):
 *                            each call forwards 50 packets/s each way
 *   send_only_ceiling        the same with reading counted as free
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PKT_LEN 180            /* 172-byte RTP plus a 16-byte GCM tag, roughly */
#define PACKETS_PER_CALL_S 100 /* 50 packets/s each way */
#define MAX_CALLS 5000
#define READ_BATCH 8
#define SEND_BATCH 32

static double thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int loopback_socket(struct sockaddr_in *bound)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || getsockname(fd, (struct sockaddr *)bound, &len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads what waits in fd; returns the datagrams read. */
static int drain(int fd, struct mmsghdr *mh)
{
	int total = 0, got;

	while ((got = recvmmsg(fd, mh, READ_BATCH, MSG_DONTWAIT, NULL)) > 0)
		total += got;
	return total;
}

typedef struct {
	int calls;
	double send_ns, recv_ns; /* per datagram, minimum over rounds */
	double batch_ns;         /* per datagram sent SEND_BATCH per sendmmsg */
	long lost;               /* datagrams not read where they were sent */
} floor_t;

static int measure(int calls, int rounds, floor_t *out)
{
	int legs = 2 * calls, rc = -1;
	int *sys = calloc((size_t)legs, sizeof(int)), *far = calloc((size_t)legs, sizeof(int));
	struct sockaddr_in *sys_addr = calloc((size_t)legs, sizeof(*sys_addr));
	struct sockaddr_in *far_addr = calloc((size_t)legs, sizeof(*far_addr));
	static unsigned char bufs[READ_BATCH][2048], pkt[PKT_LEN] = { 0x80, 111 };
	struct iovec iov[READ_BATCH];
	struct mmsghdr mh[READ_BATCH], *out_mh = calloc((size_t)legs, sizeof(*out_mh));
	struct iovec out_iov = { pkt, sizeof(pkt) };

	memset(out, 0, sizeof(*out));
	out->calls = calls;
	out->send_ns = out->recv_ns = out->batch_ns = 1e18;
	for (int i = 0; i < READ_BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		memset(&mh[i], 0, sizeof(mh[i]));
		mh[i].msg_hdr.msg_iov = &iov[i];
		mh[i].msg_hdr.msg_iovlen = 1;
	}
	if (!sys || !far || !sys_addr || !far_addr || !out_mh)
		goto out;
	for (int i = 0; i < legs; i++)
		sys[i] = far[i] = -1;
	for (int i = 0; i < legs; i++)
		if ((sys[i] = loopback_socket(&sys_addr[i])) < 0 ||
		    (far[i] = loopback_socket(&far_addr[i])) < 0) {
			perror("bench_udp_floor: socket");
			goto out;
		}
	for (int i = 0; i < legs; i++) {
		out_mh[i].msg_hdr.msg_name = &far_addr[i];
		out_mh[i].msg_hdr.msg_namelen = sizeof(far_addr[i]);
		out_mh[i].msg_hdr.msg_iov = &out_iov;
		out_mh[i].msg_hdr.msg_iovlen = 1;
	}
	for (int r = 0; r < rounds; r++) {
		double t0, t1, t_sent, t2, t3;
		int read = 0, sent = 0, batched = 0;

		for (int i = 0; i < legs; i++)
			sendto(far[i], pkt, sizeof(pkt), 0, (struct sockaddr *)&sys_addr[i],
			       sizeof(sys_addr[i]));
		/* Read every socket first, then send: the two costs apart. */
		t0 = thread_ns();
		for (int i = 0; i < legs; i++) {
			int got = recvmmsg(sys[i], mh, READ_BATCH, MSG_DONTWAIT, NULL);

			read += got > 0 ? got : 0;
		}
		t1 = thread_ns();
		for (int i = 0; i < legs; i++)
			sent += sendto(sys[i], bufs[0], PKT_LEN, 0, (struct sockaddr *)&far_addr[i],
				       sizeof(far_addr[i])) == PKT_LEN;
		t_sent = thread_ns();
		for (int i = 0; i < legs; i++)
			out->lost += 1 - drain(far[i], mh);
		out->lost += legs - read;
		/* The same datagrams again, batched, from one socket. */
		t2 = thread_ns();
		for (int i = 0; i < legs; i += SEND_BATCH) {
			int got = sendmmsg(sys[0], out_mh + i,
					   (unsigned)(legs - i < SEND_BATCH ? legs - i : SEND_BATCH), 0);

			batched += got > 0 ? got : 0;
		}
		t3 = thread_ns();
		for (int i = 0; i < legs; i++)
			out->lost += 1 - drain(far[i], mh);
		if (batched && (t3 - t2) / batched < out->batch_ns)
			out->batch_ns = (t3 - t2) / batched;
		if (read && (t1 - t0) / read < out->recv_ns)
			out->recv_ns = (t1 - t0) / read;
		if (sent && (t_sent - t1) / sent < out->send_ns)
			out->send_ns = (t_sent - t1) / sent;
	}
	rc = 0;
out:
	for (int i = 0; sys && far && i < legs; i++) {
		if (sys[i] >= 0)
			close(sys[i]);
		if (far[i] >= 0)
			close(far[i]);
	}
	free(sys);
	free(far);
	free(sys_addr);
	free(far_addr);
	free(out_mh);
	return rc;
}

int main(int argc, char **argv)
{
	const char *list = argc > 1 ? argv[1] : "100,300,1000,2000";
	int rounds = argc > 2 ? atoi(argv[2]) : 40;
	char *copy = strdup(list), *save = NULL;
	int status = 0;

	if (rounds < 1 || !copy) {
		fprintf(stderr, "usage: bench_udp_floor [N,N,...] [ROUNDS]\n");
		return 2;
	}
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int calls = atoi(tok);
		rlim_t need = (rlim_t)calls * 4 + 64;
		struct rlimit rl;
		floor_t f;

		if (calls < 1 || calls > MAX_CALLS) {
			fprintf(stderr, "bench_udp_floor: N must be 1..%d, not %s\n", MAX_CALLS, tok);
			status = 2;
			break;
		}
		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < need) {
			rl.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (measure(calls, rounds, &f)) {
			printf("udp_floor N=%-5d failed (sockets: raise the open files limit)\n", calls);
			status = 1;
			continue;
		}
		printf("udp_floor N=%-5d sockets=%d sendto_ns=%.0f recvmmsg_ns=%.0f sendmmsg_ns=%.0f "
		       "ceiling_calls_per_core=%.0f send_only_ceiling=%.0f lost=%ld rounds=%d\n",
		       calls, 4 * calls, f.send_ns, f.recv_ns, f.batch_ns,
		       1e9 / (PACKETS_PER_CALL_S * (f.send_ns + f.recv_ns)),
		       1e9 / (PACKETS_PER_CALL_S * f.send_ns), f.lost, rounds);
	}
	free(copy);
	return status;
}
