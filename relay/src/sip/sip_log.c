/**
 * @file sip_log.c  Sofia-SIP's logs: quiet, except running out of descriptors
 *
 * Sofia's modules log to stderr at their own levels, which in Prosody is
 * console noise for every call, so they are quiet unless the operator asks
 * through Sofia's environment variables (SU_DEBUG, TPORT_DEBUG, NTA_DEBUG,
 * NUA_DEBUG, SOA_DEBUG). Two lines must not be lost with the rest: Sofia
 * 1.12.11 reports a failed accept() of a SIP TCP/TLS connection only through
 * its log (tport_accept -> tport_error_report -> nta's agent_tp_error, level
 * 1 of nta_log: "nta_agent: tport: <strerror>") and a failed socket() for an
 * outgoing connection the same way (tport_base_connect, level 3 of
 * tport_log). Sofia's transport API has no other hook for them, so those two
 * logs come here: a line carrying strerror(EMFILE) or strerror(ENFILE) is
 * handed to the UA's fd_exhausted handler (the relay counts it in its
 * fd_exhausted and reports it as a CR_EVENT_ERROR, which the plugin logs at
 * error level, at most once a second per relay: fd_budget.c,
 * cr_fd_exhausted_limited). Everything else is dropped unless
 * the operator asked for that log. As Sofia retries a failed accept() in a
 * loop (level-triggered poll, connection still queued), the stack thread
 * pauses ACCEPT_BACKOFF_MS after each: SIP on other sockets goes on, with
 * that much delay, instead of one core spinning until descriptors are back.
 *
 * The logs are process-wide while each relay has its own NUA, whose stack
 * (nta, tport) runs on a thread Sofia starts inside nua_create(). The
 * threads that appear during nua_create() (serialised here) are that
 * stack's, so a line is charged to the relay whose stack thread wrote it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sofia-sip/su_log.h>

#include "sip.h"

extern su_log_t tport_log[], nta_log[], nua_log[], soa_log[];

enum {
	/* The levels Sofia writes the two lines at (see above). */
	NTA_TP_ERROR_LEVEL = 1,
	TPORT_CONNECT_ERROR_LEVEL = 3,
	/* Sofia retries a failed accept() at once, the listening socket still
	 * being readable: without a pause its thread spins (~65,000 failures
	 * a second, a whole core) for as long as descriptors are short. */
	ACCEPT_BACKOFF_MS = 10,
};

/* Guards stack_threads and serialises attach (nua_create). */
static GMutex lock;
static GHashTable *stack_threads; /* tid -> cr_sip_ua_t* */
static gsize initialised;
static bool forward_nta, forward_tport; /* the operator asked for them */

/* An environment level for log (its own variable, else SU_DEBUG); -1 when
 * the operator set neither. */
static int env_level(const char *var)
{
	const char *v = getenv(var);

	if (!v)
		v = getenv("SU_DEBUG");
	return v ? atoi(v) : -1;
}

static void on_line(void *stream, char const *fmt, va_list ap)
{
	bool forward = stream == (void *)nta_log ? forward_nta : forward_tport;
	char line[512];
	cr_sip_ua_t *ua;
	va_list copy;
	int errnum;

	va_copy(copy, ap);
	g_vsnprintf(line, sizeof(line), fmt, copy);
	va_end(copy);
	if (forward)
		fputs(line, stderr);
	if (strstr(line, strerror(EMFILE)))
		errnum = EMFILE;
	else if (strstr(line, strerror(ENFILE)))
		errnum = ENFILE;
	else
		return;
	line[strcspn(line, "\r\n")] = '\0';
	g_mutex_lock(&lock);
	ua = stack_threads ? g_hash_table_lookup(stack_threads, GINT_TO_POINTER(gettid()))
		: NULL;
	if (ua) {
		char what[600];

		g_snprintf(what, sizeof(what), "in the SIP transport (Sofia: \"%s\")", line);
		ua->h.fd_exhausted(ua->h.arg, errnum, what);
	}
	g_mutex_unlock(&lock);
	if (!ua && !forward) /* a thread of no relay's: say it at least */
		g_warning("sip: %s", line);
	if (stream == (void *)nta_log) /* on the stack thread, inside its accept */
		g_usleep(ACCEPT_BACKOFF_MS * 1000);
}

/* Sets log's level: the operator's (env_level) when set, never below
 * `needed` when the log comes here. */
static void set_level(su_log_t *log, const char *var, unsigned needed)
{
	int env = env_level(var);

	if (needed) {
		su_log_set_level(log, env > (int)needed ? (unsigned)env : needed);
		su_log_redirect(log, on_line, log);
	} else if (env < 0) {
		su_log_set_level(log, 0);
	} /* else Sofia read the variable itself */
}

void cr_sip_log_init(void)
{
	if (!g_once_init_enter(&initialised))
		return;
	/* Below the level needed here, the level of a line is unknown: drop. */
	forward_nta = env_level("NTA_DEBUG") >= NTA_TP_ERROR_LEVEL;
	forward_tport = env_level("TPORT_DEBUG") >= TPORT_CONNECT_ERROR_LEVEL;
	if (!getenv("SU_DEBUG")) {
		su_log_set_level(su_log_default, 0);
		su_log_set_level(su_log_global, 0);
	}
	set_level(nta_log, "NTA_DEBUG", NTA_TP_ERROR_LEVEL);
	set_level(tport_log, "TPORT_DEBUG", TPORT_CONNECT_ERROR_LEVEL);
	set_level(nua_log, "NUA_DEBUG", 0);
	set_level(soa_log, "SOA_DEBUG", 0);
	g_once_init_leave(&initialised, 1);
}

/* The process's threads now. */
static GHashTable *thread_ids(void)
{
	GHashTable *ids = g_hash_table_new(g_direct_hash, g_direct_equal);
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			g_hash_table_add(ids, GINT_TO_POINTER(atoi(e->d_name)));
	if (d)
		closedir(d);
	return ids;
}

GHashTable *cr_sip_log_stack_begin(void)
{
	g_mutex_lock(&lock);
	return thread_ids();
}

void cr_sip_log_stack_end(cr_sip_ua_t *ua, GHashTable *before)
{
	GHashTable *after = thread_ids();
	GHashTableIter it;
	gpointer tid;

	if (!stack_threads)
		stack_threads = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_hash_table_iter_init(&it, after);
	while (ua && g_hash_table_iter_next(&it, &tid, NULL))
		if (!g_hash_table_contains(before, tid))
			g_hash_table_insert(stack_threads, tid, ua);
	g_mutex_unlock(&lock);
	g_hash_table_destroy(before);
	g_hash_table_destroy(after);
}

static gboolean is_ua(gpointer key, gpointer value, gpointer ua)
{
	(void)key;
	return value == ua;
}

void cr_sip_log_forget(cr_sip_ua_t *ua)
{
	g_mutex_lock(&lock);
	if (stack_threads)
		g_hash_table_foreach_remove(stack_threads, is_ua, ua);
	g_mutex_unlock(&lock);
}
