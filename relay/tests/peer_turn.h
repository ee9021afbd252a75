/**
 * @file peer_turn.h  coturn as a TURN/STUN server on 127.0.0.1 for the relay's own candidates
 */
#ifndef CR_PEER_TURN_H
#define CR_PEER_TURN_H

#include <sys/types.h>

typedef struct turn_peer {
	pid_t pid;
	int port;           /* TURN/STUN listening port (UDP) */
	char dir[128];      /* log and pid file */
} turn_peer_t;

#define TURN_USER "cr"
#define TURN_PASS "secret"

/* Starts turnserver on 127.0.0.1:port (long-term credentials TURN_USER /
 * TURN_PASS, relay ports relay_min..relay_max, loopback peers allowed) and
 * waits until it listens. 0 when it does. Where port (or port + 1) is taken
 * it tries the next pairs up: peer->port is the port it listens on. */
int turn_start(turn_peer_t *peer, int port, int relay_min, int relay_max);
/* The same on ip (listening and relayed addresses), e.g. a netns_t's host_ip. */
int turn_start_at(turn_peer_t *peer, const char *ip, int port, int relay_min, int relay_max);
/* Stops it; dump = copy its log to stderr. */
void turn_stop(turn_peer_t *peer, int dump);

#endif
