/**
 * @file udp_batch.c  A readable datagram socket drained in recvmmsg batches (udp_batch.h)
 *
 * Used by the two media sockets a worker reads itself: the SIP leg's RTP
 * and RTCP (media/rtp_leg.c) and the client leg's selected pair once on
 * the fast path (media/fastpath.c).
 */
#include <stdbool.h>
#include <sys/socket.h>

#include "udp_batch.h"

int cr_udp_batch_drain(int fd, uint8_t *bufs, size_t stride, size_t size, int max,
		       cr_udp_datagram_fn fn, void *data)
{
	struct sockaddr_storage from[CR_UDP_BATCH];
	struct iovec iov[CR_UDP_BATCH];
	struct mmsghdr msgs[CR_UDP_BATCH];
	bool read_more = true;
	int taken = 0;

	if (size > stride)
		size = stride;
	while (read_more && taken < max) {
		int want = max - taken < CR_UDP_BATCH ? max - taken : CR_UDP_BATCH;
		int n;

		for (int i = 0; i < want; i++) {
			iov[i].iov_base = bufs + (size_t)i * stride;
			iov[i].iov_len = size;
			msgs[i].msg_hdr = (struct msghdr){
				.msg_name = &from[i],
				.msg_namelen = sizeof(from[i]),
				.msg_iov = &iov[i],
				.msg_iovlen = 1,
			};
			msgs[i].msg_len = 0;
		}
		n = recvmmsg(fd, msgs, (unsigned int)want, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		taken += n;
		if (n < want)
			read_more = false; /* emptied: no failed read to learn it */
		for (int i = 0; i < n; i++) {
			cr_udp_next_t next = fn(data, iov[i].iov_base, msgs[i].msg_len, &from[i],
						msgs[i].msg_hdr.msg_namelen);

			if (next == CR_UDP_STOP)
				return taken;
			if (next == CR_UDP_NO_READ)
				read_more = false;
		}
	}
	return taken;
}
