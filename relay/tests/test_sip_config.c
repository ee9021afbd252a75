/**
 * @file test_sip_config.c  Bad SIP configuration fails relay creation, clearly
 */
#include <string.h>

#include "helpers.h"
#include "sip_helpers.h"
#include "test.h"

int test_sip_bad_config(void);
int test_sip_listen_in_use(void);
int test_sip_bad_dial_params(void);

static int create_with(const cr_sip_config_t *sip, char *msg)
{
	cr_relay_config_t cfg;
	cr_relay_t *relay = NULL;
	int rc;

	cr_relay_config_init(&cfg);
	cfg.workers = 1;
	cfg.sip = sip;
	msg[0] = '\0';
	rc = cr_relay_create(&cfg, &relay, msg);
	cr_relay_destroy(relay);
	return rc;
}

int test_sip_bad_config(void)
{
	cr_sip_config_t sip;
	char msg[CR_MAX_ERROR_LEN];
	int err = 0;

	cr_sip_config_init(&sip);
	TEST_EQUALS(CR_ERR_INVALID, create_with(&sip, msg));
	TEST_STREQ("sip: listen_uri \"(null)\" is not a sip: or sips: URI with a host", msg);
	sip.listen_uri = "sip:127.0.0.1:0";
	sip.trunk_uri = "http://trunk.example.net/";
	TEST_EQUALS(CR_ERR_INVALID, create_with(&sip, msg));
	TEST_STREQ("sip: trunk_uri \"http://trunk.example.net/\" is not a sip: or sips: URI "
		   "with a host", msg);
	sip.trunk_uri = "sip:127.0.0.1:5060";
	sip.password = "secret";
	TEST_EQUALS(CR_ERR_INVALID, create_with(&sip, msg));
	TEST_STREQ("sip: password without username", msg);
	sip.password = NULL;
	sip.tls_listen_uri = "sips:127.0.0.1:0";
	sip.tls_cert_dir = "/nonexistent";
	TEST_EQUALS(CR_ERR_INVALID, create_with(&sip, msg));
	TEST_STREQ("sip: tls_cert_dir: cannot read /nonexistent/agent.pem (certificate and key)",
		   msg);
	sip.tls_listen_uri = NULL;
	sip.session_expires = 30;
	TEST_EQUALS(CR_ERR_INVALID, create_with(&sip, msg));
	TEST_STREQ("sip: session_expires must be -1, 0 or at least 90, got 30", msg);
	sip.session_expires = 0;
	sip.register_expires = 600;
	TEST_EQUALS(CR_ERR_INVALID, create_with(&sip, msg));
	TEST_STREQ("sip: REGISTER needs a username", msg);
	sip.register_expires = 0;
	sip.listen_uri = "sip:192.0.2.1:5060"; /* not an address of this host */
	TEST_EQUALS(CR_ERR_INVALID, create_with(&sip, msg));
	TEST_ASSERT(strstr(msg, "sip: cannot listen on sip:192.0.2.1:5060") != NULL);
	sip.listen_uri = "sip:127.0.0.1:0";
	TEST_EQUALS(CR_OK, create_with(&sip, msg));
out:
	return err;
}

int test_sip_listen_in_use(void)
{
	cr_relay_t *first = NULL;
	cr_sip_config_t sip;
	char listen[64], msg[CR_MAX_ERROR_LEN];
	int err = 0, port = free_port(true, false);

	TEST_ERR(sip_relay_create(port, 5060, "udp", NULL, &first));
	cr_sip_config_init(&sip);
	snprintf(listen, sizeof(listen), "sip:127.0.0.1:%d;transport=udp", port);
	sip.listen_uri = listen;
	sip.trunk_uri = "sip:127.0.0.1:5060";
	TEST_EQUALS(CR_ERR_INVALID, create_with(&sip, msg));
	TEST_ASSERT(strstr(msg, "sip: cannot listen on") != NULL);
out:
	cr_relay_destroy(first);
	return err;
}

int test_sip_bad_dial_params(void)
{
	cr_relay_t *relay = NULL, *plain = NULL;
	cr_call_t *call = NULL, *other = NULL;
	cr_sip_dial_params_t dial;
	cr_codec_t bad[CR_MAX_CODECS + 1] = { { .pt = -1, .name = "PCMU" }, { .pt = -1, .name = "speex" } };
	char msg[CR_MAX_ERROR_LEN] = "";
	int err = 0;

	TEST_ERR(sip_relay_create(free_port(true, false), 5060, "udp", NULL, &relay));
	TEST_ERR(cr_call_create(relay, &call, NULL));
	cr_sip_dial_params_init(&dial);
	dial.local_rtp_port = 40000;
	TEST_EQUALS(CR_ERR_INVALID, cr_sip_dial(call, &dial, msg));
	TEST_STREQ("bad or missing number", msg);
	dial.number = "15551234567";
	/* Without a media plane the call has no SIP-leg address of its own. */
	TEST_EQUALS(CR_ERR_INVALID, cr_sip_dial(call, &dial, msg));
	TEST_STREQ("local_rtp_address \"(none: the call has no media plane)\" is not an IP address",
		   msg);
	dial.local_rtp_address = "127.0.0.1";
	dial.number = "1555<script>";
	TEST_EQUALS(CR_ERR_INVALID, cr_sip_dial(call, &dial, msg));
	dial.number = "15551234567";
	dial.codecs = bad;
	dial.n_codecs = 2;
	TEST_EQUALS(CR_ERR_INVALID, cr_sip_dial(call, &dial, msg));
	TEST_STREQ("unknown codec \"speex\" (known: PCMU, PCMA, G722, opus)", msg);
	/* Static payload types are RFC 3551's; opus's is dynamic but not 101. */
	bad[1] = (cr_codec_t){ .pt = 3, .name = "PCMA" };
	TEST_EQUALS(CR_ERR_INVALID, cr_sip_dial(call, &dial, msg));
	TEST_STREQ("codec PCMA: payload type 3 (static, RFC 3551; -1: ours, 8)", msg);
	bad[1] = (cr_codec_t){ .pt = 101, .name = "opus" };
	TEST_EQUALS(CR_ERR_INVALID, cr_sip_dial(call, &dial, msg));
	TEST_STREQ("codec opus: payload type 101 (need 96..127, not 101; -1: ours, 111)", msg);
	/* A zeroed entry names payload type 0: PCMU's, not opus's. */
	bad[1] = (cr_codec_t){ .name = "opus" };
	TEST_EQUALS(CR_ERR_INVALID, cr_sip_dial(call, &dial, msg));
	TEST_STREQ("codec opus: payload type 0 (need 96..127, not 101; -1: ours, 111)", msg);
	bad[1] = (cr_codec_t){ .pt = -1, .name = "opus", .clock_rate = 8000 };
	TEST_EQUALS(CR_ERR_INVALID, cr_sip_dial(call, &dial, msg));
	TEST_STREQ("codec opus is opus/48000/2, not 8000/0", msg);
	bad[1] = (cr_codec_t){ .pt = -1, .name = "pcmu" };
	TEST_EQUALS(CR_ERR_INVALID, cr_sip_dial(call, &dial, msg));
	TEST_STREQ("codec PCMU listed twice", msg);
	dial.n_codecs = CR_MAX_CODECS + 1;
	TEST_EQUALS(CR_ERR_INVALID, cr_sip_dial(call, &dial, msg));
	TEST_STREQ("17 codecs: at most 16", msg);
	bad[1] = (cr_codec_t){ .pt = -1, .name = "G722" };
	dial.n_codecs = 2;
	/* Without a media plane the call has no SIP-leg port of its own. */
	dial.local_rtp_port = 0;
	TEST_EQUALS(CR_ERR_INVALID, cr_sip_dial(call, &dial, msg));
	TEST_STREQ("local_rtp_port 0 is out of range (none: the call has no media plane)", msg);
	/* A relay without SIP says so. */
	TEST_ERR(cr_relay_create(NULL, &plain, NULL));
	TEST_ERR(cr_call_create(plain, &other, NULL));
	dial.local_rtp_port = 40000;
	TEST_EQUALS(CR_ERR_INVALID, cr_sip_dial(other, &dial, msg));
	TEST_STREQ("the relay has no SIP configured", msg);
out:
	cr_call_close(call, NULL);
	cr_call_close(other, NULL);
	cr_relay_destroy(relay);
	cr_relay_destroy(plain);
	return err;
}
