/**
 * @file sip_tap.h  A UDP forwarder in front of sipp that timestamps its 200 OKs (benchmarks)
 */
#ifndef CR_BENCH_SIP_TAP_H
#define CR_BENCH_SIP_TAP_H

#include <stdint.h>

typedef struct sip_tap sip_tap_t;

/* Listens on 127.0.0.1:port and forwards to sipp at 127.0.0.1:sipp_port. */
int sip_tap_start(int port, int sipp_port, sip_tap_t **out);
/* Forgets the 200 seen so far: the next call's is recorded. */
void sip_tap_arm(sip_tap_t *t);
/* Monotonic time (g_get_monotonic_time) at which the first 200 to an
 * INVITE since sip_tap_arm() passed toward the gateway; 0 = none yet. */
int64_t sip_tap_first_200(sip_tap_t *t);
/* 200s to INVITEs seen in all (retransmissions included). */
long sip_tap_count_200(sip_tap_t *t);
void sip_tap_stop(sip_tap_t *t);

#endif
