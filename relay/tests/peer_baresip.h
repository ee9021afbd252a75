/**
 * @file peer_baresip.h  baresip as the trunk: auto-answers and loops audio back
 */
#ifndef CR_TEST_PEER_BARESIP_H
#define CR_TEST_PEER_BARESIP_H

#include <sys/types.h>

typedef struct baresip_peer {
	pid_t pid;
	char dir[128];
} baresip_peer_t;

/* Starts baresip listening on 127.0.0.1:sip_port (UDP and TCP; TLS on
 * sip_port + 1 when `certificate`, a PEM file with key and certificate, is
 * given) with RTP ports from rtp_port, auto-answering every call and
 * sending back what it hears (aubridge loop). Exits by itself after
 * lifetime_s. Returns 0 or -1. */
int baresip_start(baresip_peer_t *peer, int sip_port, int rtp_port, int lifetime_s,
		  const char *certificate);
/* Stops it (SIGTERM, then SIGKILL) and prints its log when dump is set. */
void baresip_stop(baresip_peer_t *peer, int dump);

#endif
