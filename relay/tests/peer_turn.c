/**
 * @file peer_turn.c  coturn as a TURN/STUN server on a local address for the relay's own candidates
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "peer_turn.h"
#include "sip_helpers.h"

/* True while something holds ip:port/udp (turnserver does once it listens). */
static int udp_port_taken(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), taken;

	inet_pton(AF_INET, ip, &sa.sin_addr);
	taken = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0;
	close(fd);
	return taken;
}

int turn_start(turn_peer_t *peer, int port, int relay_min, int relay_max)
{
	return turn_start_at(peer, "127.0.0.1", port, relay_min, relay_max);
}

/* One attempt at ip:port; 0 once turnserver listens there. */
static int start_once(turn_peer_t *peer, const char *ip, int port, int relay_min, int relay_max)
{
	char log[256], pidf[256], lport[16], minp[16], maxp[16], listen[64], relay[64];

	snprintf(log, sizeof(log), "%s/turn.log", peer->dir);
	snprintf(pidf, sizeof(pidf), "%s/turn.pid", peer->dir);
	snprintf(lport, sizeof(lport), "%d", port);
	snprintf(minp, sizeof(minp), "%d", relay_min);
	snprintf(maxp, sizeof(maxp), "%d", relay_max);
	snprintf(listen, sizeof(listen), "--listening-ip=%s", ip);
	snprintf(relay, sizeof(relay), "--relay-ip=%s", ip);
	{
		const char *argv[] = { "turnserver", "-n", listen,
				       relay, "--listening-port", lport,
				       "--min-port", minp, "--max-port", maxp, "--lt-cred-mech",
				       "--user=" TURN_USER ":" TURN_PASS, "--realm=test.invalid",
				       "--no-tls", "--no-dtls", "--no-tcp", "--no-cli",
				       "--allow-loopback-peers", "--log-file=stdout", "--simple-log",
				       "--pidfile", pidf, NULL };

		peer->pid = spawn_logged(log, argv);
	}
	if (peer->pid < 0)
		return -1;
	for (int i = 0; i < 100; i++) {
		if (udp_port_taken(ip, port))
			return 0;
		if (waitpid(peer->pid, NULL, WNOHANG) == peer->pid) {
			peer->pid = -1;
			return -1;
		}
		usleep(50 * 1000);
	}
	stop_logged(&peer->pid, log, "turnserver", 1);
	return -1;
}

int turn_start_at(turn_peer_t *peer, const char *ip, int port, int relay_min, int relay_max)
{
	static int counter;

	peer->pid = -1;
	peer->port = port;
	snprintf(peer->dir, sizeof(peer->dir), "/tmp/cr-turn-%d-%d", getpid(), ++counter);
	mkdir(peer->dir, 0700);
	/* Another socket may hold the port by now (or port + 1, which
	 * turnserver takes as its alternate port): the next pair then. */
	for (int tries = 0; tries < 32; tries++, port += 2) {
		if (port + 1 > 65535 || udp_port_taken(ip, port) || udp_port_taken(ip, port + 1))
			continue;
		if (!start_once(peer, ip, port, relay_min, relay_max)) {
			peer->port = port;
			return 0;
		}
	}
	fprintf(stderr, "  turnserver: no free port pair on %s from %d\n", ip, peer->port);
	return -1;
}

void turn_stop(turn_peer_t *peer, int dump)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/turn.log", peer->dir);
	stop_logged(&peer->pid, path, "turnserver", dump);
	remove_dir(peer->dir);
}
