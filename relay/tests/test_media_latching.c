/**
 * @file test_media_latching.c  Symmetric RTP: latch onto the trunk's real source, never onto a third party
 *
 * docs/INTEROP.md#15. The trunk's SDP names a port it does not send from (the
 * echo's "foreign" socket, which never answers); its RTP really comes from
 * the echo's RTP socket on the same IP. With sip_latch the relay latches on
 * the first packet from there and sends the client's audio to it, so audio
 * only comes back through the echo if it latched. A third party on another
 * IP (127.0.0.2), before and after the latch, and another port of the
 * trunk's IP after it, are dropped and counted and get nothing.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media_fixture.h"
#include "test.h"

int test_media_sip_latching(void);

static int udp_on(const char *ip)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	inet_pton(AF_INET, ip, &sa.sin_addr);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* n RTP packets (PT 96, the SIP leg's opus) from fd to the relay's SIP leg. */
static void rtp_from(int fd, int port, int n, uint8_t ssrc)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	for (int i = 0; i < n; i++) {
		uint8_t rtp[172] = { 0x80, 96, 7, (uint8_t)i, 0, 0, 2, 1, ssrc, ssrc, ssrc, ssrc };

		sendto(fd, rtp, sizeof(rtp), 0, (struct sockaddr *)&to, sizeof(to));
	}
}

static int drain(int fd)
{
	uint8_t buf[1500];
	int n = 0;

	while (recv(fd, buf, sizeof(buf), 0) > 0)
		n++;
	return n;
}

int test_media_sip_latching(void)
{
	peer_opts_t po = { .controlling = true, .dtls_active = true, .components = 1,
			   .addresses = "127.0.0.1" };
	fixture_t f;
	cr_call_stats_t st;
	char needle[64];
	int err = 0, other_ip = -1, other_port = -1;
	uint64_t foreign;

	memset(&f, 0, sizeof(f));
	other_ip = udp_on("127.0.0.2");
	other_port = udp_on("127.0.0.1");
	TEST_ASSERT(other_ip >= 0 && other_port >= 0);
	TEST_ERR(fx_setup(&f, &po));
	f.params.sip_latch = 1;
	f.params.sip_remote_port = echo_foreign_port(f.echo); /* the SDP's port: silent */
	TEST_ERR(fx_start(&f));
	TEST_ERR(fx_trickle_peer(&f, 0, 10));
	TEST_ERR(fx_wait(&f, CR_EVENT_SELECTED_PAIR, 10000, NULL));
	TEST_ERR(fx_wait_connected(&f, 10000));

	/* A third party first: another IP never latches. */
	rtp_from(other_ip, f.local.sip_rtp_port, 5, 3);
	fx_wait(&f, 0, 300, NULL);
	FX_STATS_UNTIL(&f, st, st.sip_foreign >= 5, 3000);
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(st.sip_foreign >= 5);
	TEST_EQUALS(0, st.sip_rx_packets);
	TEST_ASSERT(!fx_trace_has(&f, "latched"));

	/* The trunk's real source: latched, and the client's audio goes there.
	 * Its stream's SSRC is the one the echo then sends back (the peer's
	 * 0x11223344): one trunk, one stream (rtp_leg.c follows it by SSRC). */
	TEST_ASSERT(echo_send_to(f.echo, false, "127.0.0.1", f.local.sip_rtp_port,
				 (const unsigned char *)"\x80\x60\x00\x01\x00\x00\x00\x01\x11\x22\x33\x44"
							"0123456789",
				 22) == 22);
	TEST_ERR(fx_audio_roundtrip(&f, 25, 10000));
	g_snprintf(needle, sizeof(needle), "latched rtp to 127.0.0.1:%d", echo_rtp_port(f.echo));
	TEST_ASSERT(fx_trace_has(&f, needle));

	/* After the latch: another IP, and another port of the trunk's IP. */
	TEST_ERR(cr_call_get_stats(f.call, &st));
	foreign = st.sip_foreign;
	rtp_from(other_ip, f.local.sip_rtp_port, 5, 4);
	rtp_from(other_port, f.local.sip_rtp_port, 5, 6);
	fx_wait(&f, 0, 300, NULL);
	TEST_ERR(fx_audio_roundtrip(&f, 25, 10000)); /* still toward the trunk */
	TEST_ERR(cr_call_get_stats(f.call, &st));
	TEST_ASSERT(st.sip_foreign >= foreign + 10);
	TEST_EQUALS(0, drain(other_ip));
	TEST_EQUALS(0, drain(other_port));
out:
	fx_teardown(&f);
	if (other_ip >= 0)
		close(other_ip);
	if (other_port >= 0)
		close(other_port);
	return err;
}
