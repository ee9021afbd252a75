/**
 * @file peer_baresip.c  baresip as the trunk: auto-answers and loops audio back
 *
 * Headless (docs/PLATFORM.md#peers): its own config directory, sip_listen on an IP
 * address, answermode=auto, and the aubridge device "loop" as both player
 * and source, so the audio it decodes from us is what it encodes back.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "peer_baresip.h"
#include "sip_helpers.h"

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	return 0;
}

int baresip_start(baresip_peer_t *peer, int sip_port, int rtp_port, int lifetime_s,
		  const char *certificate)
{
	char config[1024], cert_line[300] = "", lifetime[16], log[256];
	static int counter;

	peer->pid = -1;
	snprintf(peer->dir, sizeof(peer->dir), "/tmp/cr-baresip-%d-%d", getpid(), ++counter);
	mkdir(peer->dir, 0700);
	if (certificate)
		snprintf(cert_line, sizeof(cert_line), "sip_certificate %s\n", certificate);
	snprintf(config, sizeof(config),
		 "poll_method epoll\n"
		 /* Loopback only: without it baresip puts its eth0 address in SDP. */
		 "net_interface 127.0.0.1\n"
		 "sip_listen 127.0.0.1:%d\n"
		 "audio_player aubridge,loop\n"
		 "audio_source aubridge,loop\n"
		 "audio_alert aubridge,loop\n"
		 "audio_srate 8000\n"
		 "audio_channels 1\n"
		 "rtp_ports %d-%d\n"
		 "module_path /usr/lib/baresip/modules\n"
		 "module g711.so\n"
		 "module aubridge.so\n"
		 "module_app account.so\n"
		 "%s",
		 sip_port, rtp_port, rtp_port + 20, cert_line);
	if (write_file(peer->dir, "config", config) ||
	    write_file(peer->dir, "accounts",
		       "<sip:echo@127.0.0.1>;regint=0;answermode=auto\n") ||
	    write_file(peer->dir, "contacts", ""))
		return -1;
	snprintf(lifetime, sizeof(lifetime), "%d", lifetime_s);
	snprintf(log, sizeof(log), "%s/baresip.log", peer->dir);
	{
		const char *argv[] = { "baresip", "-f", peer->dir, "-t", lifetime, NULL };

		peer->pid = spawn_logged(log, argv);
	}
	if (peer->pid < 0)
		return -1;
	usleep(800 * 1000); /* let it bind */
	/* On a loaded machine it may need longer: until its SIP port is bound
	 * (and its TLS port, sip_port + 1, listens), bounded. */
	if (wait_port_bound(sip_port, false, 5000) ||
	    (certificate && wait_port_bound(sip_port + 1, true, 5000)))
		fprintf(stderr, "  baresip: SIP port %d not bound after 5 s\n", sip_port);
	return 0;
}

void baresip_stop(baresip_peer_t *peer, int dump)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/baresip.log", peer->dir);
	stop_logged(&peer->pid, path, "baresip", dump);
	if (!dump)
		remove_dir(peer->dir);
}
