/**
 * @file test_sip_baresip.c  Outbound call answered by baresip, audio looped back
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "peer_baresip.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_baresip_answers(void);

int test_sip_baresip_answers(void)
{
	sip_test_t t;
	baresip_peer_t bs = { .pid = -1 };
	cr_event_t ev;
	char codec[32], address[64];
	int err = 0;

	TEST_ERR(sip_test_setup(&t, NULL, NULL));
	TEST_ERR(baresip_start(&bs, t.trunk_port, free_port(false, true), 40, NULL));
	TEST_ERR(sip_test_dial(&t, "echo"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 10000, &ev));
	TEST_ERR(text_value(ev.text, "codec", codec, sizeof(codec)));
	TEST_STREQ("PCMU", codec);
	TEST_ERR(text_value(ev.text, "address", address, sizeof(address)));
	TEST_STREQ("127.0.0.1", address);
	/* baresip decodes what we send and plays it into the source it
	 * encodes from: our payload coming back proves both directions. Its
	 * jitter buffer swallows the first packets. */
	TEST_ERR(sip_test_rtp_echo_min(&t, &ev, 30));
	TEST_ERR(cr_sip_hangup(t.call));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ENDED, t.id, 10000, &ev));
	TEST_EQUALS(200, ev.code); /* baresip's answer to our BYE */
out:
	baresip_stop(&bs, err != 0);
	sip_test_teardown(&t);
	return err;
}

int test_sip_tls_outbound_baresip(void);

static char tls_dir[128];
static int tls_listen_port, tls_trunk_port;

static void over_tls(cr_sip_config_t *sip, cr_relay_config_t *cfg)
{
	static char listen[64], trunk[96];

	(void)cfg;
	snprintf(listen, sizeof(listen), "sips:127.0.0.1:%d", tls_listen_port);
	snprintf(trunk, sizeof(trunk), "sip:127.0.0.1:%d;transport=tls", tls_trunk_port);
	sip->tls_listen_uri = listen;
	sip->tls_cert_dir = tls_dir;
	sip->trunk_uri = trunk;
}

/* A certificate for 127.0.0.1: agent.pem (key + certificate) for Sofia and
 * baresip, cafile.pem (the certificate) for Sofia's trust store. */
static int make_certificate(const char *dir)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s && cd %s && "
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cafile.pem "
		 "-days 2 -subj /CN=127.0.0.1 >/dev/null 2>&1 && cat key.pem cafile.pem > agent.pem",
		 dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Outbound over TLS to baresip: signalling encrypted, RTP plain (no SRTP
 * on the SIP leg), looped back. */
int test_sip_tls_outbound_baresip(void)
{
	sip_test_t t;
	baresip_peer_t bs = { .pid = -1 };
	cr_event_t ev;
	char cert[192], trace[8192];
	int err = 0, bs_port;

	snprintf(tls_dir, sizeof(tls_dir), "/tmp/cr-tls-%d", getpid());
	TEST_ERR(make_certificate(tls_dir));
	snprintf(cert, sizeof(cert), "%s/agent.pem", tls_dir);
	tls_listen_port = free_port(true, false);
	/* baresip takes TLS on its SIP port + 1 (free_port() steps by 4). */
	bs_port = free_port(true, false);
	tls_trunk_port = bs_port + 1;
	TEST_ERR(sip_test_setup(&t, "tcp", over_tls));
	TEST_ERR(baresip_start(&bs, bs_port, free_port(false, true), 40, cert));
	TEST_ERR(sip_test_dial(&t, "echo"));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ANSWERED, t.id, 15000, &ev));
	TEST_ERR(sip_test_rtp_echo_min(&t, &ev, 30));
	cr_call_get_trace(t.call, trace, sizeof(trace));
	TEST_ASSERT(strstr(trace, "transport=tls") != NULL);
	TEST_ERR(cr_sip_hangup(t.call));
	TEST_ERR(wait_sip_event(t.relay, CR_EVENT_SIP_ENDED, t.id, 10000, &ev));
	TEST_EQUALS(200, ev.code);
out:
	baresip_stop(&bs, err != 0);
	sip_test_teardown(&t);
	remove_dir(tls_dir);
	return err;
}
