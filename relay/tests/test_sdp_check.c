/**
 * @file test_sdp_check.c  Our SDP check: real peers' SDP passes, broken SDP never reaches Sofia
 *
 * Good SDP comes from the fuzz seed corpus (relay/fuzz/corpus/sdp/: sipp,
 * baresip, a browser, trunks, RFC 8866's example, the gateway's own) and
 * from the gateway's SDP builder; each must pass cr_sdp_check() and, where it
 * has audio, read through cr_sip_sdp_parse(). The bad table holds Sofia
 * 1.12.11's killers (which would cost over a gigabyte in sdp_parse) and one
 * case per rule; each is refused with its code and a reason that is safe to
 * put in a SIP Warning.
 */
#include <stdio.h>
#include <string.h>

#include "sip/sdp_check.h"
#include "sip/sip.h"
#include "test.h"

int test_sdp_check_accepts_real_peers(void);
int test_sdp_check_refuses_bad(void);
int test_sdp_check_refuses_over_limits(void);
int test_sdp_media_facts(void);

#define CORPUS "relay/fuzz/corpus/sdp"
#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

static int read_file(const char *path, char *buf, size_t size, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	*len = fread(buf, 1, size, f);
	fclose(f);
	return *len < size ? 0 : -1;
}

/* A reason goes into a SIP Warning's quoted-string: no quote, no backslash,
 * no control character, and it names what is wrong. */
static int why_is_safe(const char *why)
{
	if (strlen(why) < 10)
		return 0;
	for (const char *p = why; *p; p++)
		if (*p == '"' || *p == '\\' || *p < 0x20 || *p > 0x7e)
			return 0;
	return 1;
}

/* The seeds by name (a fuzzer run may add its own files to the directory);
 * `audio`: Sofia reads an audio stream with a codec from it. */
static const struct {
	const char *file;
	bool audio;
} seeds[] = {
	{ "sipp_answer.sdp", true },            /* relay/tests/sipp/uas_answer.xml */
	{ "sipp_uac_offer.sdp", true },         /* sipp -sn uac */
	{ "sipp_ipv6_offer.sdp", true },        /* sipp -i ::1: o= IN IP6 [::1] */
	{ "baresip_answer.sdp", true },         /* baresip 1.0.0, captured */
	{ "gateway_offer.sdp", true },          /* as cr_sip_sdp_build writes it */
	{ "gateway_hold_ipv6.sdp", true },
	{ "asterisk_answer.sdp", true },
	{ "softphone_offer.sdp", true },
	{ "trunk_g729_trailing_crlf.sdp", true },
	{ "lf_only_old_hold.sdp", true },       /* LF endings, c=0.0.0.0 hold */
	{ "rejected_stream_and_srtp.sdp", true },
	{ "chromium_offer.sdp", false },        /* UDP/TLS/RTP/SAVPF + data channel */
	{ "rfc8866_all_types.sdp", false },     /* every line type, multicast */
};

int test_sdp_check_accepts_real_peers(void)
{
	char path[512], sdp[CR_SDP_MAX_BYTES + 1], why[CR_SDP_MAX_WHY];
	size_t len;
	int err = 0;
	cr_sdp_media_t local, m;

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", CORPUS, seeds[i].file);
		if (read_file(path, sdp, sizeof(sdp), &len))
			TEST_FAIL("cannot read %s", path);
		if (cr_sdp_check(sdp, len, why, sizeof(why)) != CR_SDP_OK)
			TEST_FAIL("%s refused: %s", seeds[i].file, why);
		/* Sofia reads what we accept. */
		if (seeds[i].audio && cr_sip_sdp_parse(sdp, len, &m, why, sizeof(why)) != CR_OK)
			TEST_FAIL("%s: no usable audio after the check (%s)", seeds[i].file, why);
	}

	/* The gateway's own offers: every codec, IPv4 and IPv6, held. */
	memset(&local, 0, sizeof(local));
	{
		const cr_codec_t ours[] = { { .pt = -1, .name = "opus" }, { .pt = -1, .name = "G722" },
					    { .pt = -1, .name = "PCMU" }, { .pt = -1, .name = "PCMA" } };

		TEST_ERR(cr_sip_codecs_from_array(ours, 4, &local, NULL));
	}
	local.dtmf_pt = CR_SIP_DTMF_PT;
	local.ptime = 20;
	local.port = 40000;
	strcpy(local.address, "2001:db8::1");
	strcpy(local.direction, "sendonly");
	TEST_ERR(cr_sip_sdp_build(&local, 7, sdp, sizeof(sdp)));
	if (cr_sdp_check(sdp, strlen(sdp), why, sizeof(why)) != CR_SDP_OK)
		TEST_FAIL("our own IPv6 offer refused: %s", why);
	strcpy(local.address, "127.0.0.1");
	strcpy(local.direction, "sendrecv");
	TEST_ERR(cr_sip_sdp_build(&local, 8, sdp, sizeof(sdp)));
	TEST_ERR(cr_sip_sdp_parse(sdp, strlen(sdp), &m, why, sizeof(why)));
	TEST_EQUALS(4, m.n_codecs);
	TEST_EQUALS(CR_SIP_DTMF_PT, m.dtmf_pt);
	TEST_EQUALS(40000, m.port);
out:
	return err;
}

typedef struct bad_sdp {
	const char *name;
	const char *sdp;
	size_t len; /* 0 = strlen */
	int code;
} bad_sdp_t;

static const bad_sdp_t bad[] = {
	/* Sofia 1.12.11 loops allocating on these (81 bytes -> 1.2 GB). */
	{ "sofia killer, 81 bytes", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=abcde\r\nc=IN IP4 1.2.3.4\r\n"
	  "t=0 0\r\nm=audio 6000 x ;\r\n", 0, CR_SDP_BAD_VALUE },
	{ "sofia killer, non-ASCII format", HEAD "m=audio 6000 RTP/AVP 0 \xc3\xa9\r\n", 0,
	  CR_SDP_NOT_ASCII },
	{ "non-ASCII in s=", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=caf\xe9\r\nt=0 0\r\n", 0,
	  CR_SDP_NOT_ASCII },
	{ "NUL byte", HEAD "m=audio 6000 RTP/AVP 0\r\na=x\0y\r\n", sizeof(HEAD) + 31,
	  CR_SDP_NOT_ASCII },
	{ "control character", HEAD "a=x\x01\r\n", 0, CR_SDP_NOT_ASCII },
	{ "payload type 128", HEAD "m=audio 6000 RTP/AVP 0 128\r\n", 0, CR_SDP_BAD_VALUE },
	{ "payload type not a number", HEAD "m=audio 6000 RTP/SAVPF 0 x\r\n", 0, CR_SDP_BAD_VALUE },
	{ "port 70000", HEAD "m=audio 70000 RTP/AVP 0\r\n", 0, CR_SDP_BAD_VALUE },
	{ "c= IPv6 in brackets", "v=0\r\no=- 1 1 IN IP6 [::1]\r\ns=-\r\nc=IN IP6 [::1]\r\nt=0 0\r\n", 0,
	  CR_SDP_BAD_VALUE },
	{ "port not a number", HEAD "m=audio 6O00 RTP/AVP 0\r\n", 0, CR_SDP_BAD_VALUE },
	{ "port count 0", HEAD "m=audio 6000/0 RTP/AVP 0\r\n", 0, CR_SDP_BAD_VALUE },
	{ "m= without formats", HEAD "m=audio 6000 RTP/AVP\r\n", 0, CR_SDP_BAD_VALUE },
	{ "m= double space", HEAD "m=audio 6000  RTP/AVP 0\r\n", 0, CR_SDP_BAD_VALUE },
	{ "m= trailing space", HEAD "m=audio 6000 RTP/AVP 0 \r\n", 0, CR_SDP_BAD_VALUE },
	{ "m= tab", HEAD "m=audio 6000 RTP/AVP\t0\r\n", 0, CR_SDP_BAD_VALUE },
	{ "proto with empty part", HEAD "m=audio 6000 RTP//AVP 0\r\n", 0, CR_SDP_BAD_VALUE },
	{ "token format with a separator", HEAD "m=application 9 UDP/DTLS/SCTP web;rtc\r\n", 0,
	  CR_SDP_BAD_VALUE },
	{ "rtpmap payload type 200", HEAD "m=audio 6000 RTP/AVP 0\r\na=rtpmap:200 PCMU/8000\r\n", 0,
	  CR_SDP_BAD_VALUE },
	{ "rtpmap without clock", HEAD "m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", 0,
	  CR_SDP_BAD_VALUE },
	{ "rtpmap clock not a number", HEAD "m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8k\r\n", 0,
	  CR_SDP_BAD_VALUE },
	{ "fmtp without parameters", HEAD "m=audio 6000 RTP/AVP 0\r\na=fmtp:0\r\n", 0,
	  CR_SDP_BAD_VALUE },
	{ "ptime not a number", HEAD "m=audio 6000 RTP/AVP 0\r\na=ptime:twenty\r\n", 0,
	  CR_SDP_BAD_VALUE },
	{ "attribute name not a token", HEAD "a=(x):1\r\n", 0, CR_SDP_BAD_VALUE },
	{ "o= with 5 fields", "v=0\r\no=- 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", 0, CR_SDP_BAD_VALUE },
	{ "o= session id not a number", "v=0\r\no=- a 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", 0,
	  CR_SDP_BAD_VALUE },
	{ "c= address with a space", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2 3\r\n"
	  "t=0 0\r\n", 0, CR_SDP_BAD_VALUE },
	{ "c= address too long", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nt=0 0\r\n", 0,
	  CR_SDP_BAD_VALUE },
	{ "b= not a number", HEAD "b=AS:lots\r\n", 0, CR_SDP_BAD_VALUE },
	{ "t= one field", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0\r\n", 0, CR_SDP_BAD_VALUE },
	{ "z= odd fields", HEAD "z=2882844526\r\n", 0, CR_SDP_BAD_VALUE },
	{ "v=1", "v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", 0, CR_SDP_BAD_VALUE },
	{ "empty value", HEAD "i=\r\n", 0, CR_SDP_BAD_VALUE },
	{ "missing v=", "o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", 0, CR_SDP_BAD_ORDER },
	{ "s= before o=", "v=0\r\ns=-\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n", 0, CR_SDP_BAD_ORDER },
	{ "m= before t=", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 6000 RTP/AVP 0\r\n"
	  "t=0 0\r\n", 0, CR_SDP_BAD_ORDER },
	{ "no t=", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", 0, CR_SDP_BAD_ORDER },
	{ "r= not after t=", HEAD "a=x\r\nr=7d 1h 0\r\n", 0, CR_SDP_BAD_ORDER },
	{ "second v=", HEAD "v=0\r\n", 0, CR_SDP_BAD_ORDER },
	{ "two session c=", HEAD "c=IN IP4 192.0.2.2\r\n", 0, CR_SDP_BAD_ORDER },
	{ "t= inside media", HEAD "m=audio 6000 RTP/AVP 0\r\nt=0 0\r\n", 0, CR_SDP_BAD_ORDER },
	{ "unknown type", HEAD "x=1\r\n", 0, CR_SDP_BAD_LINE },
	{ "upper-case type", HEAD "M=audio 6000 RTP/AVP 0\r\n", 0, CR_SDP_BAD_LINE },
	{ "space before =", HEAD "m =audio 6000 RTP/AVP 0\r\n", 0, CR_SDP_BAD_LINE },
	{ "lone CR", HEAD "m=audio 6000 RTP/AVP 0\ra=x\r\n", 0, CR_SDP_BAD_LINE },
	{ "empty line inside", HEAD "\r\nm=audio 6000 RTP/AVP 0\r\n", 0, CR_SDP_BAD_LINE },
	{ "empty body", "", 0, CR_SDP_EMPTY },
};

int test_sdp_check_refuses_bad(void)
{
	char why[CR_SDP_MAX_WHY];
	cr_sdp_media_t m;
	int err = 0;

	/* The 81-byte killer is the first entry. */
	TEST_EQUALS(81, strlen(bad[0].sdp));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = bad[i].len ? bad[i].len - 1 : strlen(bad[i].sdp);
		int code = cr_sdp_check(bad[i].sdp, len, why, sizeof(why));

		if (code != bad[i].code)
			TEST_FAIL("%s: expected code %d, got %d (%s)", bad[i].name, bad[i].code, code,
				  why);
		if (!why_is_safe(why))
			TEST_FAIL("%s: reason \"%s\" is not a safe sentence", bad[i].name, why);
		/* The parser in front of Sofia refuses it too, before Sofia. */
		if (len && cr_sip_sdp_parse(bad[i].sdp, len, &m, why, sizeof(why)) !=
		    CR_SIP_SDP_REFUSED)
			TEST_FAIL("%s: cr_sip_sdp_parse did not refuse it", bad[i].name);
	}
	/* A reason fits any buffer, even a tiny one, and NULL is allowed. */
	TEST_EQUALS(CR_SDP_BAD_VALUE, cr_sdp_check(bad[0].sdp, 81, why, 5));
	TEST_EQUALS(4, strlen(why));
	TEST_EQUALS(CR_SDP_BAD_VALUE, cr_sdp_check(bad[0].sdp, 81, NULL, 0));
	TEST_EQUALS(CR_SDP_EMPTY, cr_sdp_check(NULL, 10, why, sizeof(why)));
out:
	return err;
}

/* Appends `line` n times. */
static void repeat(GString *s, const char *line, int n)
{
	for (int i = 0; i < n; i++)
		g_string_append(s, line);
}

int test_sdp_check_refuses_over_limits(void)
{
	GString *s = g_string_new(NULL);
	char why[CR_SDP_MAX_WHY];
	int err = 0;

#define EXPECT(code, what)                                                          \
	do {                                                                        \
		int c_ = cr_sdp_check(s->str, s->len, why, sizeof(why));           \
		if (c_ != (code))                                                   \
			TEST_FAIL("%s: expected %d, got %d (%s)", what, code, c_, why); \
	} while (0)

	/* At each limit: accepted; one past it: refused. */
	g_string_assign(s, HEAD);
	repeat(s, "m=audio 6000 RTP/AVP 0\r\n", CR_SDP_MAX_MEDIA);
	EXPECT(CR_SDP_OK, "8 m= lines");
	g_string_append(s, "m=audio 6000 RTP/AVP 0\r\n");
	EXPECT(CR_SDP_TOO_MANY, "9 m= lines");

	g_string_assign(s, HEAD "m=audio 6000 RTP/AVP");
	repeat(s, " 0", CR_SDP_MAX_FORMATS);
	g_string_append(s, "\r\n");
	EXPECT(CR_SDP_OK, "64 formats");
	g_string_assign(s, HEAD "m=audio 6000 RTP/AVP");
	repeat(s, " 0", CR_SDP_MAX_FORMATS + 1);
	g_string_append(s, "\r\n");
	EXPECT(CR_SDP_TOO_MANY, "65 formats");

	g_string_assign(s, HEAD "m=audio 6000 RTP/AVP 0\r\n");
	repeat(s, "a=rtpmap:0 PCMU/8000\r\n", CR_SDP_MAX_RTPMAPS);
	EXPECT(CR_SDP_OK, "64 rtpmaps");
	g_string_append(s, "a=rtpmap:0 PCMU/8000\r\n");
	EXPECT(CR_SDP_TOO_MANY, "65 rtpmaps");

	g_string_assign(s, HEAD);
	repeat(s, "a=sendrecv\r\n", CR_SDP_MAX_ATTRIBUTES);
	EXPECT(CR_SDP_OK, "128 attributes");
	g_string_append(s, "a=sendrecv\r\n");
	EXPECT(CR_SDP_TOO_MANY, "129 attributes");

	g_string_assign(s, HEAD "i=");
	repeat(s, "x", CR_SDP_MAX_LINE - 2);
	g_string_append(s, "\r\n");
	EXPECT(CR_SDP_OK, "a line of 1024 bytes");
	g_string_assign(s, HEAD "i=");
	repeat(s, "x", CR_SDP_MAX_LINE - 1);
	g_string_append(s, "\r\n");
	EXPECT(CR_SDP_BAD_LINE, "a line of 1025 bytes");

	/* 8 KiB: a body of 8192 bytes passes, 8193 do not. */
	g_string_assign(s, HEAD);
	while (s->len + 1000 < CR_SDP_MAX_BYTES)
		g_string_append_printf(s, "e=%0996d\r\n", 0);
	g_string_append(s, "e=");
	repeat(s, "x", (int)(CR_SDP_MAX_BYTES - s->len - 2));
	g_string_append(s, "\r\n");
	TEST_EQUALS(CR_SDP_MAX_BYTES, s->len);
	EXPECT(CR_SDP_OK, "8192 bytes");
	g_string_insert_c(s, (gssize)(s->len - 2), 'x');
	EXPECT(CR_SDP_TOO_BIG, "8193 bytes");
#undef EXPECT
out:
	g_string_free(s, TRUE);
	return err;
}

/* The typed path of the SIP leg's media, without a network: our codec
 * array becomes an offer, a trunk's offer becomes the facts the plugin
 * reads (cr_sip_media_t), our answer keeps the trunk's payload type. */
int test_sdp_media_facts(void)
{
	static const char offer[] = HEAD "m=audio 7000 RTP/AVP 96 0 8 101\r\n"
		"a=rtpmap:96 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:30\r\na=sendonly\r\n";
	const cr_codec_t prefs_list[] = { { .pt = -1, .name = "G722" }, { .pt = -1, .name = "pcma" },
					  { .pt = 120, .name = "opus", .clock_rate = 48000, .channels = 2 } };
	cr_sdp_media_t m, prefs, answer;
	cr_sip_media_t facts;
	char sdp[2048], why[CR_SDP_MAX_WHY];
	int err = 0;

	TEST_ERR(cr_sip_sdp_parse(offer, strlen(offer), &m, why, sizeof(why)));
	memset(&facts, 0, sizeof(facts));
	cr_sip_media_facts(&m, NULL, 1, &facts);
	TEST_EQUALS(1, facts.seq);
	TEST_STREQ("192.0.2.1", facts.address);
	TEST_EQUALS(7000, facts.port);
	TEST_EQUALS(30, facts.ptime);
	TEST_EQUALS(101, facts.dtmf_pt);
	TEST_STREQ("sendonly", facts.direction);
	TEST_EQUALS(1, facts.symmetric_rtp);
	TEST_EQUALS(0, facts.has_chosen);
	TEST_EQUALS(3, facts.n_codecs);
	TEST_STREQ("opus", facts.codecs[0].name);
	TEST_EQUALS(96, facts.codecs[0].pt);
	TEST_EQUALS(48000, facts.codecs[0].clock_rate);
	TEST_EQUALS(2, facts.codecs[0].channels);
	TEST_STREQ("PCMU", facts.codecs[1].name);
	TEST_EQUALS(0, facts.codecs[1].pt);
	TEST_EQUALS(8000, facts.codecs[1].clock_rate);
	TEST_EQUALS(1, facts.codecs[1].channels);
	TEST_STREQ("PCMA", facts.codecs[2].name);

	/* Our preferences: the names canonical, our numbers unless given. */
	memset(&prefs, 0, sizeof(prefs));
	TEST_ERR(cr_sip_codecs_from_array(prefs_list, 3, &prefs, NULL));
	TEST_EQUALS(3, prefs.n_codecs);
	TEST_STREQ("G722", prefs.codecs[0].name);
	TEST_EQUALS(9, prefs.codecs[0].pt);
	TEST_STREQ("PCMA", prefs.codecs[1].name);
	TEST_EQUALS(8, prefs.codecs[1].pt);
	TEST_EQUALS(120, prefs.codecs[2].pt);
	/* NULL: PCMU and PCMA. */
	TEST_ERR(cr_sip_codecs_from_array(NULL, 0, &answer, NULL));
	TEST_EQUALS(2, answer.n_codecs);
	TEST_STREQ("PCMU", answer.codecs[0].name);
	TEST_STREQ("PCMA", answer.codecs[1].name);

	/* The answer: our first preference the trunk offered (G722 was not),
	 * on the trunk's number; the facts then name it as chosen. */
	prefs.port = 40000;
	strcpy(prefs.address, "127.0.0.1");
	TEST_ERR(cr_sip_sdp_answer(&m, &prefs, true, &answer));
	TEST_EQUALS(1, answer.n_codecs);
	TEST_STREQ("PCMA", answer.codecs[0].name);
	TEST_EQUALS(8, answer.codecs[0].pt);
	TEST_EQUALS(101, answer.dtmf_pt);
	TEST_STREQ("recvonly", answer.direction);
	cr_sip_media_facts(&m, &answer.codecs[0], 0, &facts);
	TEST_EQUALS(2, facts.seq);
	TEST_EQUALS(1, facts.has_chosen);
	TEST_STREQ("PCMA", facts.chosen.name);
	TEST_EQUALS(8, facts.chosen.pt);
	TEST_EQUALS(0, facts.symmetric_rtp);

	/* Our offer from the array reads back as the same codecs. */
	prefs.dtmf_pt = CR_SIP_DTMF_PT;
	prefs.ptime = 20;
	strcpy(prefs.direction, "sendrecv");
	TEST_ERR(cr_sip_sdp_build(&prefs, 1, sdp, sizeof(sdp)));
	TEST_ERR(cr_sip_sdp_parse(sdp, strlen(sdp), &m, why, sizeof(why)));
	TEST_EQUALS(3, m.n_codecs);
	TEST_STREQ("G722", m.codecs[0].name);
	TEST_EQUALS(8000, m.codecs[0].clock_rate);
	TEST_STREQ("opus", m.codecs[2].name);
	TEST_EQUALS(120, m.codecs[2].pt);
	TEST_EQUALS(2, m.codecs[2].channels);
out:
	return err;
}
