/**
 * @file udp_batch.h  A readable datagram socket drained in recvmmsg batches (udp_batch.c)
 *
 * Layer 2 (docs/ARCHITECTURE.md): knows the kernel only. One job: read
 * what waits on a datagram socket, CR_UDP_BATCH datagrams per recvmmsg, at
 * most a cap per call (so a worker's other sockets get their turn; what is
 * left keeps a level-triggered poller firing), and hand each datagram with
 * its source address to a callback, which says whether to go on. A batch
 * that comes back short means the socket is empty: no failed read is spent
 * to learn it.
 *
 * The buffers are the caller's (thread-local in the media files): slots of
 * `stride` bytes, of which at most `size` are read, so the stride - size
 * bytes after each datagram are the caller's room to write in place (an
 * SRTP tag when protecting in place). A caller whose callback can lead to
 * another drain on the same thread (through a library's callback) keeps
 * its own buffers, so the batch in hand is not overwritten.
 */
#ifndef CR_UDP_BATCH_H
#define CR_UDP_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CR_UDP_BATCH 16 /* datagrams per recvmmsg */

/* What the callback asks after a datagram. */
typedef enum {
	CR_UDP_NEXT,     /* go on: the next datagram, and read more while under the cap */
	CR_UDP_NO_READ,  /* the datagrams already read are still handed, nothing more is read */
	CR_UDP_STOP,     /* at once: the rest of this batch is dropped, nothing more is read */
} cr_udp_next_t;

/* One datagram: buf holds len bytes (stride bytes may be written), from and
 * from_len its source as recvmmsg gave it. */
typedef cr_udp_next_t (*cr_udp_datagram_fn)(void *data, uint8_t *buf, size_t len,
					    const struct sockaddr_storage *from,
					    socklen_t from_len);

/* Reads fd (non-blocking reads) until it is empty, max datagrams were
 * read, a read failed or fn asked to end; bufs holds CR_UDP_BATCH slots of
 * stride bytes, at most size (<= stride) read into each. Returns the
 * number of datagrams read. */
int cr_udp_batch_drain(int fd, uint8_t *bufs, size_t stride, size_t size, int max,
		       cr_udp_datagram_fn fn, void *data);

#endif
