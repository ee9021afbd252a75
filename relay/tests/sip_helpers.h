/**
 * @file sip_helpers.h  Test-side SIP peers and helpers: sipp runner, RTP peer
 */
#ifndef CR_TEST_SIP_HELPERS_H
#define CR_TEST_SIP_HELPERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "callrelay.h"

/* A free UDP (and TCP when both) port on 127.0.0.1; even when asked. */
int free_port(bool both, bool even);
/* Waits up to timeout_ms until a socket of this netns is bound to port:
 * listening on TCP when tcp, else UDP (read from /proc/net, so it takes
 * nothing from the program starting up). 0, or -1 at the timeout. */
int wait_port_bound(int port, bool tcp, int timeout_ms);

/* ---- sipp ---- */
typedef struct sipp_run {
	pid_t pid;
	char dir[128];        /* per-run directory with its logs and stats */
	int exit_status;      /* after sipp_wait: 0 = every call succeeded */
	long successful_calls;
	long failed_calls;
} sipp_run_t;

/* Starts sipp with `args` (NULL-terminated, without the program name) plus
 * -trace_stat/-trace_screen into run->dir; `scenario` (file name under
 * relay/tests/sipp/, or NULL) is passed as -sf. Returns 0 or -1. */
int sipp_start(sipp_run_t *run, const char *scenario, const char *const args[]);
/* Waits up to timeout_ms for sipp to exit (killing it past that) and reads
 * its exit status and call counts. Returns 0 when it exited by itself. */
int sipp_wait(sipp_run_t *run, int timeout_ms);
/* Kills a sipp still running (test cleanup); harmless after sipp_wait. */
void sipp_kill(sipp_run_t *run);
/* 1 when `text` occurs in the SIP messages sipp sent or received. */
int sipp_saw(const sipp_run_t *run, const char *text);
/* Prints the run's screen and error logs to stderr (on failure). */
void sipp_dump(const sipp_run_t *run);

/* ---- RTP peer standing in for the media plane ---- */
typedef struct rtp_peer {
	int fd;
	int port;
	long sent, received;
	long matched;         /* received packets that carry our payload pattern */
	unsigned short seq;
} rtp_peer_t;

int rtp_peer_open(rtp_peer_t *peer, int port);
/* Sends n 20 ms packets to address:port with payload type pt, whose 160
 * payload bytes are RTP_PATTERN (a PCMU/PCMA code that survives a decode and
 * re-encode), and counts every packet that comes back until timeout_ms
 * after the last, and those carrying the pattern. */
#define RTP_PATTERN 0x55
int rtp_peer_exchange(rtp_peer_t *peer, const char *address, int port, int pt, int n,
		      int timeout_ms);
void rtp_peer_close(rtp_peer_t *peer);

/* ---- relay and events ---- */
/* Copies the value of "key=" from event text into buf; -1 when absent. */
int text_value(const char *text, const char *key, char *buf, int len);
int text_int(const char *text, const char *key);

/* A relay with SIP listening on 127.0.0.1:sip_port toward a trunk at
 * 127.0.0.1:trunk_port over `transport` ("udp" or "tcp"). `tweak` may edit
 * the SIP configuration before creation. */
int sip_relay_create(int sip_port, int trunk_port, const char *transport,
		     void (*tweak)(cr_sip_config_t *, cr_relay_config_t *), cr_relay_t **out);

/* Waits for an event of type about call_id; unlike wait_event() it fails
 * at once on CR_EVENT_SIP_FAILED/HANGUP when they are not the type wanted,
 * printing the unexpected event. */
int wait_sip_event(cr_relay_t *relay, int type, uint32_t call_id, int timeout_ms,
		   cr_event_t *out);

#endif

/* ---- one call against one sipp ---- */
typedef struct sip_test {
	int sip_port, trunk_port, media_port, rtp_port;
	char trunk_port_s[16], media_port_s[16], sip_target[64];
	const char *sipp_timeout; /* sipp's -timeout; NULL = "40s" */
	sipp_run_t sipp;
	rtp_peer_t rtp;
	cr_relay_t *relay;
	cr_call_t *call;
	uint32_t id;
} sip_test_t;

/* Picks ports, creates the relay (SIP on UDP unless transport says) and
 * opens the RTP peer on rtp_port. */
int sip_test_setup(sip_test_t *t, const char *transport,
		   void (*tweak)(cr_sip_config_t *, cr_relay_config_t *));
/* Starts sipp as the trunk's UAS: scenario NULL = sipp's built-in "uas";
 * it echoes RTP on media_port and ends after one call. */
int sip_test_uas(sip_test_t *t, const char *scenario, const char *transport);
/* Starts sipp as a UAC calling `number` at the relay with `scenario`. */
int sip_test_uac(sip_test_t *t, const char *scenario, const char *number,
		 const char *transport);
/* Creates t->call and dials `number` with PCMU,PCMA on rtp_port. */
int sip_test_dial(sip_test_t *t, const char *number);
/* PCMU then PCMA, our payload types: what the tests offer and answer with. */
extern const cr_codec_t sip_test_pcmu_pcma[2];
/* Sends 50 RTP packets to the address/port of a media event and checks
 * that at least `min` came back carrying our payload (sipp's -rtp_echo,
 * baresip's audio loop): proof that audio crossed both ways. */
int sip_test_rtp_echo_min(sip_test_t *t, const cr_event_t *media_event, int min);
#define sip_test_rtp_echo(t, ev) sip_test_rtp_echo_min((t), (ev), 45)
/* Waits for sipp to finish; 0 when it exited 0 with `calls` successful. */
int sip_test_sipp_done(sip_test_t *t, int calls, int timeout_ms);
/* Closes everything and removes sipp's run directory (its logs were
 * printed already if sipp failed). */
void sip_test_teardown(sip_test_t *t);
/* rm -rf of one of our /tmp/cr-* directories. */
void remove_dir(const char *dir);

/* ---- packet loss on loopback (nftables) ---- */
/* Drops the first UDP datagram from 127.0.0.1:sport whose payload starts
 * with `prefix` (e.g. "SIP/2.0 200"), in a table of its own. */
int nft_drop_first(int sport, const char *prefix);
/* Datagrams that rule dropped so far, or -1. */
long nft_dropped(int sport);
void nft_remove(int sport);
