/**
 * @file peer_kamailio.h  kamailio as a stateful, record-routing proxy in the path
 */
#ifndef CR_TEST_PEER_KAMAILIO_H
#define CR_TEST_PEER_KAMAILIO_H

#include <sys/types.h>

typedef struct kamailio_peer {
	pid_t pid;
	int port;
	char dir[128];
} kamailio_peer_t;

/* Starts kamailio on 127.0.0.1:port (UDP): it record-routes and relays
 * every request to its Request-URI (in-dialog ones by their Route). */
int kamailio_start(kamailio_peer_t *peer, int port);
/* Stops it; prints its log when dump is set. */
void kamailio_stop(kamailio_peer_t *peer, int dump);

#endif
