/**
 * @file helpers.c  Shared helpers for the relay's C tests
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int wait_event(cr_relay_t *relay, int type, uint32_t call_id, int timeout_ms,
	       cr_event_t *out)
{
	long long deadline = now_ms() + timeout_ms;
	static cr_event_t batch[16];

	for (;;) {
		struct pollfd pfd = { .fd = cr_relay_event_fd(relay), .events = POLLIN };
		long long left = deadline - now_ms();
		int n;

		if (left < 0)
			return -1;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = cr_relay_poll_events(relay, batch, 1);
		for (int i = 0; i < n; i++) {
			if (batch[i].type == type &&
			    (call_id == 0 || batch[i].call_id == call_id)) {
				if (out)
					*out = batch[i];
				return 0;
			}
		}
	}
}

int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *ent;
	int n = 0;

	if (!d)
		return -1;
	while ((ent = readdir(d)))
		if (ent->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory stream itself */
}

long resident_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

int spawn_logged(const char *log_path, const char *const argv[])
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid < 0 ? -1 : (int)pid;
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, 0);
	for (int i = 3; i < 1024; i++)
		close(i);
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

void stop_logged(pid_t *pid, const char *log_path, const char *title, int dump)
{
	char buf[4096];
	size_t n;
	FILE *f;

	if (*pid > 0) {
		kill(*pid, SIGTERM);
		for (int i = 0; i < 60 && waitpid(*pid, NULL, WNOHANG) == 0; i++)
			usleep(50 * 1000);
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		*pid = -1;
	}
	f = dump ? fopen(log_path, "r") : NULL;
	if (!f)
		return;
	fprintf(stderr, "  ---- %s log ----\n", title);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(f);
}

int loopback_udp_socket(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) ||
	    getsockname(fd, (struct sockaddr *)addr, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}
