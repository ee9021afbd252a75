/**
 * @file peer_turn.c  coturn as a TURN/STUN server on 127.0.0.1 for the relay's own candidates
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peer_turn.h"
#include "sip_helpers.h"

/* True while something holds 127.0.0.1:port/udp (turnserver does once it listens). */
static int udp_port_taken(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), taken;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	taken = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0;
	close(fd);
	return taken;
}

int turn_start(turn_peer_t *peer, int port, int relay_min, int relay_max)
{
	char log[256], pidf[256], lport[16], minp[16], maxp[16];
	static int counter;
	int fd;

	peer->pid = -1;
	peer->port = port;
	snprintf(peer->dir, sizeof(peer->dir), "/tmp/cr-turn-%d-%d", getpid(), ++counter);
	mkdir(peer->dir, 0700);
	snprintf(log, sizeof(log), "%s/turn.log", peer->dir);
	snprintf(pidf, sizeof(pidf), "%s/turn.pid", peer->dir);
	snprintf(lport, sizeof(lport), "%d", port);
	snprintf(minp, sizeof(minp), "%d", relay_min);
	snprintf(maxp, sizeof(maxp), "%d", relay_max);
	if (udp_port_taken(port))
		return -1;
	peer->pid = fork();
	if (peer->pid < 0)
		return -1;
	if (peer->pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		for (int i = 3; i < 1024; i++)
			close(i);
		execlp("turnserver", "turnserver", "-n", "--listening-ip=127.0.0.1",
		       "--relay-ip=127.0.0.1", "--listening-port", lport, "--min-port", minp,
		       "--max-port", maxp, "--lt-cred-mech", "--user=" TURN_USER ":" TURN_PASS,
		       "--realm=test.invalid", "--no-tls", "--no-dtls", "--no-tcp", "--no-cli",
		       "--allow-loopback-peers", "--log-file=stdout", "--simple-log", "--pidfile",
		       pidf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		if (udp_port_taken(port))
			return 0;
		if (waitpid(peer->pid, NULL, WNOHANG) == peer->pid) {
			peer->pid = -1;
			return -1;
		}
		usleep(50 * 1000);
	}
	return -1;
}

void turn_stop(turn_peer_t *peer, int dump)
{
	char path[256], buf[4096];
	size_t n;
	FILE *f;

	if (peer->pid > 0) {
		kill(peer->pid, SIGTERM);
		for (int i = 0; i < 60 && waitpid(peer->pid, NULL, WNOHANG) == 0; i++)
			usleep(50 * 1000);
		kill(peer->pid, SIGKILL);
		waitpid(peer->pid, NULL, 0);
		peer->pid = -1;
	}
	snprintf(path, sizeof(path), "%s/turn.log", peer->dir);
	f = dump ? fopen(path, "r") : NULL;
	if (f) {
		fprintf(stderr, "  ---- turnserver log ----\n");
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stderr);
		fclose(f);
	}
	remove_dir(peer->dir);
}
