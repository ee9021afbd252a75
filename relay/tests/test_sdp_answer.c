/**
 * @file test_sdp_answer.c  Our SDP answer to a trunk's offer: codec chosen, telephone-event, direction, ptime
 *
 * Pure unit tests of relay/src/sip/sip_sdp.c (no network, no Sofia NUA):
 * an offer's text is read with cr_sip_sdp_parse(), answered with
 * cr_sip_sdp_answer() from our preference list, and written with
 * cr_sip_sdp_build(); the answer is compared byte for byte with what the
 * trunk must receive, and must itself pass our SDP check
 * (test_sdp_check.c covers the check on its own).
 */
#include <stdio.h>
#include <string.h>

#include "sip/dialog.h"
#include "sip/sdp_check.h"
#include "sip/sip.h"
#include "test.h"

int test_sdp_answer_codec_chosen(void);
int test_sdp_answer_telephone_event(void);
int test_sdp_answer_direction_and_hold(void);
int test_sdp_answer_ptime(void);

#define HEAD "v=0\r\no=trunk 5 5 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
/* A trunk's offer: PCMA first, opus on its own dynamic number,
 * telephone-event on 96, 30 ms packets, on hold (sendonly). */
#define TRUNK_OFFER                                                              \
	HEAD "m=audio 20000 RTP/AVP 8 0 107 96\r\n"                              \
	     "a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"                  \
	     "a=rtpmap:107 opus/48000/2\r\n"                                     \
	     "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n"            \
	     "a=ptime:30\r\na=sendonly\r\n"

/* Our preferences as the relay holds them: codecs from a list, our
 * address and port, 20 ms, sendrecv. */
static int prefs_from(const char *list, cr_sip_media_t *prefs)
{
	memset(prefs, 0, sizeof(*prefs));
	strcpy(prefs->address, "127.0.0.1");
	prefs->port = 30000;
	prefs->ptime = 20;
	prefs->dtmf_pt = CR_SIP_DTMF_PT;
	strcpy(prefs->direction, "sendrecv");
	return cr_sip_codecs_from_list(list, prefs, NULL);
}

static int parse(const char *sdp, cr_sip_media_t *m)
{
	char why[CR_SDP_MAX_WHY];
	int err = cr_sip_sdp_parse(sdp, strlen(sdp), m, why, sizeof(why));

	if (err)
		fprintf(stderr, "  offer not read (%d): %s\n", err, why);
	return err;
}

/* The answer written, checked as a peer's SDP would be, and read back. */
static int build_checked(const cr_sip_media_t *answer, char *buf, size_t len, cr_sip_media_t *back)
{
	char why[CR_SDP_MAX_WHY];
	int err = cr_sip_sdp_build(answer, 3, buf, len);

	if (err)
		return err;
	if (cr_sdp_check(buf, strlen(buf), why, sizeof(why)) != CR_SDP_OK) {
		fprintf(stderr, "  our answer refused by our own check: %s\n", why);
		return -1;
	}
	return parse(buf, back);
}

int test_sdp_answer_codec_chosen(void)
{
	cr_sip_media_t offer, prefs, answer, back;
	char sdp[2048];
	int err = 0;

	TEST_ERR(parse(TRUNK_OFFER, &offer));
	TEST_STREQ("192.0.2.10", offer.address);
	TEST_EQUALS(20000, offer.port);
	TEST_EQUALS(3, offer.n_codecs); /* telephone-event is not a codec */
	TEST_STREQ("PCMA", offer.codecs[0].name);
	TEST_STREQ("opus", offer.codecs[2].name);
	TEST_EQUALS(48000, offer.codecs[2].clock);
	TEST_EQUALS(2, offer.codecs[2].channels);
	TEST_EQUALS(107, offer.codecs[2].pt);

	/* Our first preference the trunk offers, on the trunk's number (107,
	 * not our 111): one codec in the answer, our address and port. */
	TEST_ERR(prefs_from("opus,PCMU", &prefs));
	TEST_EQUALS(111, prefs.codecs[0].pt);
	TEST_ERR(cr_sip_sdp_answer(&offer, &prefs, false, &answer));
	TEST_EQUALS(1, answer.n_codecs);
	TEST_EQUALS(107, answer.codecs[0].pt);
	TEST_ERR(build_checked(&answer, sdp, sizeof(sdp), &back));
	TEST_STREQ("v=0\r\no=- 1 3 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		   "m=audio 30000 RTP/AVP 107\r\n"
		   "a=rtpmap:107 opus/48000/2\r\na=fmtp:107 useinbandfec=1\r\n"
		   "a=ptime:20\r\na=recvonly\r\n",
		   sdp);

	/* Our order decides, not the trunk's: G722 is not offered, PCMU is
	 * ours before PCMA. */
	TEST_ERR(prefs_from("G722,PCMU,PCMA", &prefs));
	TEST_ERR(cr_sip_sdp_answer(&offer, &prefs, false, &answer));
	TEST_STREQ("PCMU", answer.codecs[0].name);
	TEST_EQUALS(0, answer.codecs[0].pt);
	TEST_ERR(build_checked(&answer, sdp, sizeof(sdp), &back));
	TEST_ASSERT(strstr(sdp, "m=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime") != NULL);

	/* Names match whatever their case; the offer's spelling is kept. */
	TEST_ERR(parse(HEAD "m=audio 20000 RTP/AVP 0\r\na=rtpmap:0 pcmu/8000\r\n", &offer));
	TEST_ERR(prefs_from("PCMA,PCMU", &prefs));
	TEST_ERR(cr_sip_sdp_answer(&offer, &prefs, false, &answer));
	TEST_EQUALS(0, answer.codecs[0].pt);
	TEST_STREQ("pcmu", answer.codecs[0].name);

	/* Nothing in common: no answer (the call is refused with 488). */
	TEST_ERR(prefs_from("G722", &prefs));
	TEST_EQUALS(CR_ERR_NOTFOUND, cr_sip_sdp_answer(&offer, &prefs, false, &answer));
	TEST_EQUALS(0, answer.n_codecs);
	/* A name alone is not enough: G722 at a 16 kHz RTP clock is not RFC
	 * 3551's G722/8000. */
	TEST_ERR(parse(HEAD "m=audio 20000 RTP/AVP 9\r\na=rtpmap:9 G722/16000\r\n", &offer));
	TEST_EQUALS(CR_ERR_NOTFOUND, cr_sip_sdp_answer(&offer, &prefs, false, &answer));

	/* An unknown name in our list is refused where the list is read. */
	TEST_EQUALS(CR_ERR_INVALID, prefs_from("PCMU,G729", &prefs));
	/* The answer does not fit: a limit, not a cut SDP. */
	TEST_ERR(prefs_from("PCMU", &prefs));
	TEST_EQUALS(CR_ERR_LIMIT, cr_sip_sdp_build(&prefs, 1, sdp, 40));
out:
	return err;
}

int test_sdp_answer_telephone_event(void)
{
	cr_sip_media_t offer, prefs, answer, back;
	char sdp[2048];
	int err = 0;

	TEST_ERR(parse(TRUNK_OFFER, &offer));
	TEST_EQUALS(96, offer.dtmf_pt);
	TEST_ERR(prefs_from("PCMU", &prefs));
	/* Wanted and offered: on the trunk's number (96, not our 101), after
	 * the codec, with the 16 events we send (RFC 4733 0-15 and flash). */
	TEST_ERR(cr_sip_sdp_answer(&offer, &prefs, true, &answer));
	TEST_EQUALS(96, answer.dtmf_pt);
	TEST_ERR(build_checked(&answer, sdp, sizeof(sdp), &back));
	TEST_ASSERT(strstr(sdp, "m=audio 30000 RTP/AVP 0 96\r\n") != NULL);
	TEST_ASSERT(strstr(sdp, "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\n") != NULL);
	TEST_EQUALS(96, back.dtmf_pt);
	TEST_EQUALS(1, back.n_codecs);
	/* Not wanted (DTMF in-band or off): none, though offered. */
	TEST_ERR(cr_sip_sdp_answer(&offer, &prefs, false, &answer));
	TEST_EQUALS(-1, answer.dtmf_pt);
	TEST_ERR(build_checked(&answer, sdp, sizeof(sdp), &back));
	TEST_ASSERT(strstr(sdp, "telephone-event") == NULL);
	TEST_EQUALS(-1, back.dtmf_pt);
	/* Wanted but not offered: none. */
	TEST_ERR(parse(HEAD "m=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", &offer));
	TEST_EQUALS(-1, offer.dtmf_pt);
	TEST_ERR(cr_sip_sdp_answer(&offer, &prefs, true, &answer));
	TEST_EQUALS(-1, answer.dtmf_pt);
	/* Offered twice (8 kHz and 48 kHz): the first one. */
	TEST_ERR(parse(HEAD "m=audio 20000 RTP/AVP 0 101 110\r\na=rtpmap:0 PCMU/8000\r\n"
			    "a=rtpmap:101 telephone-event/8000\r\n"
			    "a=rtpmap:110 telephone-event/48000\r\n",
		       &offer));
	TEST_EQUALS(101, offer.dtmf_pt);
	TEST_EQUALS(1, offer.n_codecs);
out:
	return err;
}

int test_sdp_answer_direction_and_hold(void)
{
	/* The trunk's direction, how our answer must mirror it (RFC 3264 6.1),
	 * and our direction when we hold the trunk ourselves (RFC 3264 8.4). */
	static const struct {
		const char *line, *parsed, *answer, *held;
	} cases[] = {
		{ "a=sendrecv\r\n", "sendrecv", "sendrecv", "sendonly" },
		{ "", "sendrecv", "sendrecv", "sendonly" }, /* no attribute: sendrecv */
		{ "a=sendonly\r\n", "sendonly", "recvonly", "inactive" },
		{ "a=recvonly\r\n", "recvonly", "sendonly", "sendonly" },
		{ "a=inactive\r\n", "inactive", "inactive", "inactive" },
	};
	cr_sip_media_t offer, prefs, answer, back;
	char sdp[2048], text[512];
	int err = 0;

	TEST_ERR(prefs_from("PCMU", &prefs));
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		snprintf(text, sizeof(text), HEAD "m=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n%s",
			 cases[i].line);
		TEST_ERR(parse(text, &offer));
		TEST_STREQ(cases[i].parsed, offer.direction);
		TEST_ERR(cr_sip_sdp_answer(&offer, &prefs, false, &answer));
		TEST_STREQ(cases[i].answer, answer.direction);
		TEST_ERR(build_checked(&answer, sdp, sizeof(sdp), &back));
		TEST_STREQ(cases[i].answer, back.direction);
		TEST_STREQ(cases[i].held, cr_sip_held_direction(answer.direction));
	}
	/* The old way to hold (RFC 2543): c=0.0.0.0 reads as inactive, whatever
	 * the attribute says, and is answered so. */
	TEST_ERR(parse("v=0\r\no=trunk 5 6 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
		       "m=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n",
		       &offer));
	TEST_STREQ("inactive", offer.direction);
	TEST_ERR(cr_sip_sdp_answer(&offer, &prefs, false, &answer));
	TEST_STREQ("inactive", answer.direction);
	/* Our own hold offer, on IPv6: IP6 in o= and c=, a=sendonly. */
	strcpy(prefs.address, "2001:db8::7");
	strcpy(prefs.direction, "sendonly");
	TEST_ERR(build_checked(&prefs, sdp, sizeof(sdp), &back));
	TEST_ASSERT(strstr(sdp, "o=- 1 3 IN IP6 2001:db8::7\r\n") != NULL);
	TEST_ASSERT(strstr(sdp, "c=IN IP6 2001:db8::7\r\n") != NULL);
	TEST_STREQ("sendonly", back.direction);
	TEST_STREQ("2001:db8::7", back.address);
	/* No direction set: sendrecv is written. */
	prefs.direction[0] = '\0';
	TEST_ERR(build_checked(&prefs, sdp, sizeof(sdp), &back));
	TEST_ASSERT(strstr(sdp, "a=ptime:20\r\na=sendrecv\r\n") != NULL);
out:
	return err;
}

int test_sdp_answer_ptime(void)
{
	cr_sip_media_t offer, prefs, answer, back;
	char sdp[2048];
	int err = 0;

	/* Read: the trunk's a=ptime, 20 without one, 20 for a zero. */
	TEST_ERR(parse(TRUNK_OFFER, &offer));
	TEST_EQUALS(30, offer.ptime);
	TEST_ERR(parse(HEAD "m=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", &offer));
	TEST_EQUALS(20, offer.ptime);
	TEST_ERR(parse(HEAD "m=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:0\r\n",
		       &offer));
	TEST_EQUALS(20, offer.ptime);
	/* Answered: a=ptime says what we want to receive (RFC 4566 6), so the
	 * answer carries ours whatever the trunk's. */
	TEST_ERR(parse(TRUNK_OFFER, &offer));
	TEST_ERR(prefs_from("PCMA", &prefs));
	prefs.ptime = 40;
	TEST_ERR(cr_sip_sdp_answer(&offer, &prefs, false, &answer));
	TEST_EQUALS(40, answer.ptime);
	TEST_ERR(build_checked(&answer, sdp, sizeof(sdp), &back));
	TEST_ASSERT(strstr(sdp, "a=ptime:40\r\n") != NULL);
	TEST_EQUALS(40, back.ptime);
	/* None set: 20 is written. */
	prefs.ptime = 0;
	TEST_ERR(build_checked(&prefs, sdp, sizeof(sdp), &back));
	TEST_ASSERT(strstr(sdp, "a=ptime:20\r\n") != NULL);
out:
	return err;
}
