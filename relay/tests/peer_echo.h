/**
 * @file peer_echo.h  Test peer playing the SIP trunk's media: a UDP echo for RTP and RTCP
 */
#ifndef CR_PEER_ECHO_H
#define CR_PEER_ECHO_H

#include <stdbool.h>
#include <stdint.h>

typedef struct echo echo_t;

/* Binds RTP on addr:any even port and RTCP on the next; echoes what it
 * gets back to the sender (payload type kept). */
int echo_new(const char *addr, echo_t **out);
void echo_free(echo_t *echo);
int echo_rtp_port(echo_t *echo);
int echo_rtcp_port(echo_t *echo);
int echo_rtp_received(echo_t *echo);
int echo_rtcp_received(echo_t *echo);
/* Payload type of the last RTP packet received. */
int echo_last_pt(echo_t *echo);
/* Sends a raw RTP packet from the echo's RTP socket (or another socket
 * when foreign) to addr:port. */
int echo_send_to(echo_t *echo, bool foreign, const char *addr, int port, const unsigned char *buf,
		 int len);
/* Packets the foreign socket received back: must stay 0. */
int echo_foreign_received(echo_t *echo);
void echo_set_muted(echo_t *echo, bool muted);
/* The foreign socket's port (same IP as the echo, never echoes). */
int echo_foreign_port(echo_t *echo);

/* The RTP packets the echo got, in arrival order (the first ECHO_LOG_MAX). */
#define ECHO_LOG_MAX 1024
typedef struct echo_rtp_rec {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts, ssrc;
	uint8_t payload[4]; /* first payload bytes (an RFC 4733 event is 4) */
	int len;
} echo_rtp_rec_t;

/* Copies up to max records; returns how many. */
int echo_rtp_log(echo_t *echo, echo_rtp_rec_t *out, int max);
/* Drops this share of the RTP packets it would echo (random), and counts them. */
void echo_set_loss(echo_t *echo, int percent);
int echo_dropped(echo_t *echo);
/* The RTP stream it got, as one stream: packets whose SSRC differs from the
 * one before, sequence numbers that do not follow, timestamps that went
 * back; and how many packets had payload type pt. */
int echo_ssrc_changes(echo_t *echo);
int echo_seq_gaps(echo_t *echo);
int echo_ts_back(echo_t *echo);
int echo_pt_count(echo_t *echo, int pt);

#endif
