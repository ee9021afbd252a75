/**
 * @file peer_stun.c  Test peer with raw STUN ICE: a controlling client that nominates with NOMINATION (0xC001)
 *
 * What it sends is what libnice 0.1.21 parses (agent/conncheck.c,
 * conn_check_handle_renomination): a Binding request with USERNAME,
 * PRIORITY, ICE-CONTROLLING, a 4-byte NOMINATION and no USE-CANDIDATE,
 * MESSAGE-INTEGRITY and FINGERPRINT. Requests from the relay are answered
 * on the socket they came to, so the relay's own checks make its pairs valid.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media/media.h"
#include "peer_stun.h"

#define PEER_PRFLX_PRIORITY 1862270975u

struct speer {
	int fd[SPEER_SOCKS];
	int port[SPEER_SOCKS];
	int stop_pipe[2];
	GThread *thread;
	char ufrag[16], pwd[32];
	uint64_t tie;

	GMutex lock; /* guards what the test sets */
	char r_ufrag[CR_MAX_UFRAG_LEN], r_pwd[CR_MAX_PWD_LEN], r_fp[CR_MAX_FINGERPRINT_LEN];
	struct sockaddr_storage r_addr;
	socklen_t r_len;
	int cur;              /* socket that nominates, sends DTLS and audio; -1 none */
	uint32_t nomination;
	bool dtls_go;
	bool probe;           /* plain checks from every socket until answered */

	/* peer thread only */
	StunAgent stun;
	uint16_t known[12];
	cr_dtls_ctx_t *dctx;
	cr_dtls_t dtls;
	cr_srtp_t srtp;
	bool dtls_started, srtp_ready;
	int64_t next_check_us, next_probe_us, next_audio_us;
	int checked_sock;     /* the socket whose check was last answered */
	uint16_t seq;
	uint32_t ts;

	atomic_bool keys_ready, dtls_failed;
	atomic_int to_send;
	atomic_int answered[SPEER_SOCKS], served[SPEER_SOCKS], audio_rx[SPEER_SOCKS];
};

static void send_on(speer_t *p, int i, const uint8_t *buf, size_t len)
{
	if (i >= 0 && p->r_len)
		sendto(p->fd[i], buf, len, 0, (struct sockaddr *)&p->r_addr, p->r_len);
}

static void dtls_send(void *arg, const uint8_t *data, size_t len)
{
	speer_t *p = arg;

	send_on(p, p->cur, data, len);
}

/* Short-term credentials: a request to us is keyed with our password. */
static bool validate_key(StunAgent *agent, StunMessage *msg, uint8_t *username,
			 uint16_t username_len, uint8_t **password, size_t *password_len,
			 void *data)
{
	speer_t *p = data;
	size_t ul = strlen(p->ufrag);

	(void)agent;
	(void)msg;
	if (username_len < ul + 1 || memcmp(username, p->ufrag, ul) || username[ul] != ':')
		return false;
	*password = (uint8_t *)p->pwd;
	*password_len = strlen(p->pwd);
	return true;
}

/* A Binding request from socket i; nomination 0 = none (a plain check). */
static void send_check(speer_t *p, int i, uint32_t nomination)
{
	uint8_t buf[512];
	StunMessage msg;
	char user[2 * CR_MAX_UFRAG_LEN];
	size_t len;

	g_snprintf(user, sizeof(user), "%s:%s", p->r_ufrag, p->ufrag);
	if (!stun_agent_init_request(&p->stun, &msg, buf, sizeof(buf), STUN_BINDING))
		return;
	stun_message_append_bytes(&msg, STUN_ATTRIBUTE_USERNAME, user, strlen(user));
	stun_message_append32(&msg, STUN_ATTRIBUTE_PRIORITY, PEER_PRFLX_PRIORITY);
	stun_message_append64(&msg, STUN_ATTRIBUTE_ICE_CONTROLLING, p->tie);
	/* draft-thatcher-ice-renomination: a 24-bit value in 4 bytes. */
	if (nomination)
		stun_message_append32(&msg, STUN_ATTRIBUTE_NOMINATION, nomination);
	len = stun_agent_finish_message(&p->stun, &msg, (const uint8_t *)p->r_pwd,
					strlen(p->r_pwd));
	if (len)
		send_on(p, i, buf, len);
}

static void on_stun(speer_t *p, int i, uint8_t *buf, size_t n, struct sockaddr_storage *from,
		    socklen_t flen)
{
	StunMessage req, resp;
	uint8_t out[512];
	size_t olen = sizeof(out);
	bool control = true;
	StunValidationStatus st;

	st = stun_agent_validate(&p->stun, &req, buf, n, validate_key, p);
	if (st != STUN_VALIDATION_SUCCESS)
		return;
	switch (stun_message_get_class(&req)) {
	case STUN_REQUEST:
		if (stun_usage_ice_conncheck_create_reply(&p->stun, &req, &resp, out, &olen, from, flen,
							  &control, p->tie,
							  STUN_USAGE_ICE_COMPATIBILITY_RFC5245) ==
			    STUN_USAGE_ICE_RETURN_SUCCESS && olen) {
			sendto(p->fd[i], out, olen, 0, (struct sockaddr *)from, flen);
			atomic_fetch_add(&p->served[i], 1);
		}
		break;
	case STUN_RESPONSE:
		atomic_fetch_add(&p->answered[i], 1);
		if (i == p->cur)
			p->checked_sock = i;
		break;
	default:
		break;
	}
}

static void on_packet(speer_t *p, int i, uint8_t *buf, size_t n, struct sockaddr_storage *from,
		      socklen_t flen)
{
	int len = (int)n;

	if (n < 12)
		return;
	if (buf[0] < 4) {
		on_stun(p, i, buf, n, from, flen);
	} else if (buf[0] >= 20 && buf[0] <= 63) {
		if (cr_dtls_receive(&p->dtls, buf, n) == 1) {
			if (!cr_dtls_fingerprint_matches(&p->dtls, p->r_fp) ||
			    cr_srtp_init(&p->srtp, &p->dtls)) {
				atomic_store(&p->dtls_failed, true);
				return;
			}
			p->srtp_ready = true;
			atomic_store(&p->keys_ready, true);
		}
	} else if (buf[0] >= 128 && buf[0] <= 191 && p->srtp_ready && !cr_is_rtcp(buf, n)) {
		if (!cr_srtp_unprotect(&p->srtp, buf, &len, false) && (buf[1] & 0x7f) == 111)
			atomic_fetch_add(&p->audio_rx[i], 1);
	}
}

static void send_audio(speer_t *p)
{
	uint8_t pkt[256] = { 0x80, 111 };
	int len = 12 + 160;

	pkt[2] = (uint8_t)(p->seq >> 8);
	pkt[3] = (uint8_t)p->seq;
	pkt[4] = (uint8_t)(p->ts >> 24);
	pkt[5] = (uint8_t)(p->ts >> 16);
	pkt[6] = (uint8_t)(p->ts >> 8);
	pkt[7] = (uint8_t)p->ts;
	memcpy(pkt + 8, "\x5e\xed\x00\x01", 4);
	p->seq++;
	p->ts += 960;
	if (!cr_srtp_protect(&p->srtp, pkt, &len, false))
		send_on(p, p->cur, pkt, (size_t)len);
}

/* Timers of the peer thread: checks, DTLS start and retransmission, audio. */
static void on_tick(speer_t *p)
{
	int64_t now = g_get_monotonic_time();
	int ms;

	if (p->cur >= 0 && p->r_len && now >= p->next_check_us) {
		send_check(p, p->cur, p->nomination);
		p->next_check_us = now + (p->checked_sock == p->cur ? 1000000 : 100000);
	}
	if (p->probe && p->r_len && now >= p->next_probe_us) {
		for (int i = 0; i < SPEER_SOCKS; i++)
			if (!atomic_load(&p->answered[i]))
				send_check(p, i, 0);
		p->next_probe_us = now + 100000;
	}
	if (p->dtls_go && !p->dtls_started && p->r_len) {
		p->dtls_started = true;
		cr_dtls_start(&p->dtls);
	}
	ms = p->dtls_started ? cr_dtls_next_timeout_ms(&p->dtls) : -1;
	if (ms == 0)
		cr_dtls_timeout(&p->dtls);
	if (p->srtp_ready && atomic_load(&p->to_send) > 0 && now >= p->next_audio_us) {
		atomic_fetch_sub(&p->to_send, 1);
		send_audio(p);
		p->next_audio_us = now + 20000;
	}
}

static gpointer speer_main(gpointer d)
{
	speer_t *p = d;
	uint8_t buf[2048];

	for (;;) {
		struct pollfd pfd[SPEER_SOCKS + 1];

		for (int i = 0; i < SPEER_SOCKS; i++)
			pfd[i] = (struct pollfd){ p->fd[i], POLLIN, 0 };
		pfd[SPEER_SOCKS] = (struct pollfd){ p->stop_pipe[0], POLLIN, 0 };
		poll(pfd, SPEER_SOCKS + 1, 5);
		if (pfd[SPEER_SOCKS].revents)
			break;
		g_mutex_lock(&p->lock);
		for (int i = 0; i < SPEER_SOCKS; i++) {
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t n;

			if (!pfd[i].revents)
				continue;
			n = recvfrom(p->fd[i], buf, sizeof(buf) - 64, 0, (struct sockaddr *)&from,
				     &flen);
			if (n > 0)
				on_packet(p, i, buf, (size_t)n, &from, flen);
		}
		on_tick(p);
		g_mutex_unlock(&p->lock);
	}
	return NULL;
}

int speer_new(const char *ip, speer_t **out)
{
	speer_t *p = g_new0(speer_t, 1);
	static const uint16_t known[] = {
		STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
		STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, STUN_ATTRIBUTE_PRIORITY,
		STUN_ATTRIBUTE_USE_CANDIDATE, STUN_ATTRIBUTE_ERROR_CODE, 0
	};

	g_mutex_init(&p->lock);
	p->cur = -1;
	p->checked_sock = -1;
	p->seq = 2000;
	p->ts = 7000;
	p->tie = ((uint64_t)g_random_int() << 32) | g_random_int();
	cr_ice_random_string(p->ufrag, 8);
	cr_ice_random_string(p->pwd, 24);
	stun_agent_init(&p->stun, known, STUN_COMPATIBILITY_RFC5389,
			STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
	for (int i = 0; i < SPEER_SOCKS; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sa);

		inet_pton(AF_INET, ip, &sa.sin_addr);
		p->fd[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (p->fd[i] < 0 || bind(p->fd[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    getsockname(p->fd[i], (struct sockaddr *)&sa, &sl) < 0)
			goto fail;
		p->port[i] = ntohs(sa.sin_port);
	}
	if (pipe(p->stop_pipe) < 0)
		goto fail;
	if (cr_dtls_ctx_create(NULL, NULL, &p->dctx, NULL) ||
	    cr_dtls_init(&p->dtls, p->dctx, true, dtls_send, p))
		goto fail;
	p->thread = g_thread_new("speer", speer_main, p);
	*out = p;
	return 0;
fail:
	for (int i = 0; i < SPEER_SOCKS; i++)
		if (p->fd[i] > 0)
			close(p->fd[i]);
	if (p->dctx)
		cr_dtls_ctx_destroy(p->dctx);
	g_free(p);
	return -1;
}

void speer_free(speer_t *p)
{
	if (!p)
		return;
	if (write(p->stop_pipe[1], "x", 1) != 1)
		fprintf(stderr, "  speer: cannot stop its thread\n");
	g_thread_join(p->thread);
	close(p->stop_pipe[0]);
	close(p->stop_pipe[1]);
	for (int i = 0; i < SPEER_SOCKS; i++)
		close(p->fd[i]);
	cr_srtp_clear(&p->srtp);
	cr_dtls_clear(&p->dtls);
	cr_dtls_ctx_destroy(p->dctx);
	g_mutex_clear(&p->lock);
	g_free(p);
}

const char *speer_ufrag(speer_t *p)
{
	return p->ufrag; /* changes only in speer_restart(), on the test's thread */
}

const char *speer_pwd(speer_t *p)
{
	return p->pwd;
}

const char *speer_fingerprint(speer_t *p)
{
	return p->dctx->fingerprint;
}

int speer_port(speer_t *p, int i)
{
	return p->port[i];
}

void speer_candidate(speer_t *p, int i, uint32_t priority, char *buf, int len)
{
	g_snprintf(buf, (gulong)len, "candidate:%d 1 udp %u 127.0.0.1 %d typ host", i + 1, priority,
		   p->port[i]);
}

int speer_set_remote(speer_t *p, const char *ufrag, const char *pwd, const char *fingerprint,
		     const char *candidate)
{
	gchar **f = g_strsplit(candidate, " ", -1);
	int err = -1;

	g_mutex_lock(&p->lock);
	g_strlcpy(p->r_ufrag, ufrag, sizeof(p->r_ufrag));
	g_strlcpy(p->r_pwd, pwd, sizeof(p->r_pwd));
	g_strlcpy(p->r_fp, fingerprint, sizeof(p->r_fp));
	/* foundation comp transport priority addr port ... */
	if (g_strv_length(f) >= 6 &&
	    !cr_parse_addr(f[4], (int)g_ascii_strtoll(f[5], NULL, 10), &p->r_addr, &p->r_len))
		err = 0;
	g_mutex_unlock(&p->lock);
	g_strfreev(f);
	return err;
}

void speer_restart(speer_t *p)
{
	g_mutex_lock(&p->lock);
	cr_ice_random_string(p->ufrag, 8);
	cr_ice_random_string(p->pwd, 24);
	p->cur = -1;
	p->checked_sock = -1;
	for (int i = 0; i < SPEER_SOCKS; i++)
		atomic_store(&p->answered[i], 0);
	g_mutex_unlock(&p->lock);
}

void speer_probe(speer_t *p)
{
	g_mutex_lock(&p->lock);
	p->probe = true;
	g_mutex_unlock(&p->lock);
}

void speer_nominate(speer_t *p, int i, uint32_t value)
{
	g_mutex_lock(&p->lock);
	p->cur = i;
	p->nomination = value;
	p->next_check_us = 0;
	g_mutex_unlock(&p->lock);
}

int speer_checks_answered(speer_t *p, int i)
{
	return atomic_load(&p->answered[i]);
}

int speer_requests_answered(speer_t *p, int i)
{
	return atomic_load(&p->served[i]);
}

int speer_wait_dtls(speer_t *p, int timeout_ms)
{
	int64_t end = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;

	g_mutex_lock(&p->lock);
	p->dtls_go = true;
	g_mutex_unlock(&p->lock);
	while (g_get_monotonic_time() < end) {
		if (atomic_load(&p->dtls_failed))
			return -1;
		if (atomic_load(&p->keys_ready))
			return 0;
		g_usleep(10000);
	}
	return -1;
}

void speer_send_audio(speer_t *p, int n)
{
	atomic_fetch_add(&p->to_send, n);
}

int speer_audio_received(speer_t *p, int i)
{
	return atomic_load(&p->audio_rx[i]);
}

void speer_send_raw(speer_t *p, int i, const uint8_t *buf, size_t len)
{
	g_mutex_lock(&p->lock);
	send_on(p, i, buf, len);
	g_mutex_unlock(&p->lock);
}

void speer_send_bad_check(speer_t *p, int i)
{
	uint8_t buf[512];
	StunMessage msg;
	size_t len;

	g_mutex_lock(&p->lock);
	/* Our check signed with a password that is not the relay's. */
	if (stun_agent_init_request(&p->stun, &msg, buf, sizeof(buf), STUN_BINDING)) {
		char user[2 * CR_MAX_UFRAG_LEN];

		g_snprintf(user, sizeof(user), "%s:%s", p->r_ufrag, p->ufrag);
		stun_message_append_bytes(&msg, STUN_ATTRIBUTE_USERNAME, user, strlen(user));
		stun_message_append32(&msg, STUN_ATTRIBUTE_PRIORITY, PEER_PRFLX_PRIORITY);
		stun_message_append64(&msg, STUN_ATTRIBUTE_ICE_CONTROLLING, p->tie);
		len = stun_agent_finish_message(&p->stun, &msg, (const uint8_t *)"not-the-password",
						16);
		if (len)
			send_on(p, i, buf, len);
	}
	g_mutex_unlock(&p->lock);
}
