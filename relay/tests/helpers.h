/**
 * @file helpers.h  Shared helpers for the relay's C tests
 */
#ifndef CR_TEST_HELPERS_H
#define CR_TEST_HELPERS_H

#include <glib.h>
#include <netinet/in.h>
#include <sys/types.h>

#include "callrelay.h"

/* Waits up to timeout_ms for an event of `type` (about call_id, or any call
 * when call_id is 0), polling the relay's event fd. Other events are
 * discarded. Returns 0 and fills *out (if given) when found, -1 on timeout. */
int wait_event(cr_relay_t *relay, int type, uint32_t call_id, int timeout_ms,
	       cr_event_t *out);

/* Starts argv[0] (looked up in PATH) with stdin from /dev/null and stdout
 * and stderr into log_path, inheriting none of the test's other fds (a
 * peer's own children must not hold our sockets). Returns its pid, or -1. */
int spawn_logged(const char *log_path, const char *const argv[]);

/* Stops a process spawn_logged() started (SIGTERM, up to 3 s, then
 * SIGKILL) and sets *pid to -1; with dump, prints its log to stderr under
 * a "---- title log ----" line. */
void stop_logged(pid_t *pid, const char *log_path, const char *title, int dump);

/* Number of open file descriptors of this process. */
int count_open_fds(void);

/* Resident set size of this process in KiB. */
long resident_kib(void);

/* A non-blocking UDP socket bound to 127.0.0.1 on a port the kernel picks;
 * *addr gets its address. -1 on failure. */
int loopback_udp_socket(struct sockaddr_in *addr);

/* Iterates ctx until cond or 2 s. */
#define PUMP_UNTIL(ctx, cond)                                                      \
	do {                                                                       \
		gint64 end_ = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;         \
		while (!(cond) && g_get_monotonic_time() < end_)                   \
			g_main_context_iteration((ctx), FALSE) || (g_usleep(1000), 0); \
	} while (0)

#endif
