/**
 * @file netns.h  A network namespace for a test's client, joined to the host by a veth pair, and nftables drops inside it
 */
#ifndef CR_TEST_NETNS_H
#define CR_TEST_NETNS_H

#include <stdbool.h>

typedef struct netns {
	char name[32], host_if[16], peer_if[16];
	char host_ip[32], peer_ip[32];
} netns_t;

/* Creates the namespace (name and addresses from the pid): host_ip on the
 * host end, peer_ip inside. 0 on success. */
int netns_up(netns_t *n, const char *prefix);
/* Deletes it (and with it the veth pair); safe on one never made. */
void netns_down(netns_t *n);
/* Drops the UDP packets matching nft expression `match` ("" = all UDP),
 * leaving the namespace (output) and, when both_ways, entering it (input).
 * Replaces an earlier drop of this helper. */
int netns_drop(netns_t *n, const char *match, bool both_ways);
/* Deletes the drop: packets flow again. */
int netns_undrop(netns_t *n);
/* nft match for STUN only (RFC 7983: first byte 0-3 of the UDP payload). */
#define NETNS_MATCH_STUN "@th,64,8 < 4"

#endif
