/**
 * @file janus_client.h  Janus (Debian's janus package) for the benchmarks: runs it, drives its SIP plugin
 *
 * janus_start() writes a configuration into a temporary directory (the
 * HTTP transport and the SIP plugin only, everything on 127.0.0.1) and
 * starts /usr/bin/janus on it; the calls then go through Janus's HTTP API
 * the way janus.js does (create, attach janus.plugin.sip, a guest
 * "register", "call" with the client's SDP offer, long polls for the
 * events, "hangup"). SIP and the plugin's RTP stay on 127.0.0.1.
 */
#ifndef CR_BENCH_JANUS_CLIENT_H
#define CR_BENCH_JANUS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

typedef struct janus janus_t;

/* Starts Janus with ICE (core) candidates on ice_ip, ports ice_min..ice_max,
 * and the SIP plugin's RTP ports in rtp_min..rtp_max; waits until its API
 * answers. Janus skips loopback interfaces when it gathers: ice_ip is the
 * address of another interface (the bench's veth end). */
int janus_start(const char *ice_ip, int ice_min, int ice_max, int rtp_min, int rtp_max,
		janus_t **out);
/* A new plugin handle, registered as a guest: ready for janus_call(). */
int janus_attach(janus_t *j);
/* Calls uri with the client's SDP offer; returns once Janus took it. */
int janus_call(janus_t *j, const char *uri, const char *offer_sdp);
/* Waits (long polls) for the "accepted" event and copies its SDP answer. */
int janus_wait_accepted(janus_t *j, char *sdp, size_t len, int timeout_ms);
/* Hangs the call up and detaches the handle (Janus sends the BYE). */
void janus_hangup(janus_t *j);
/* Prints Janus's log to stderr (on failure). */
void janus_dump_log(janus_t *j);
void janus_stop(janus_t *j);

#endif
