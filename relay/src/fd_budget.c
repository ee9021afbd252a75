/**
 * @file fd_budget.c  Descriptors: the default call limit they allow, and their exhaustion reported
 *
 * A relay whose max_calls is "auto" (-1) raises the process's soft
 * RLIMIT_NOFILE to its hard limit and allows as many calls as half of the
 * descriptors left would carry, so a flood of calls leaves the other half to
 * the host process (Prosody's clients, storage, logs). The descriptors a
 * call uses are counted from the media configuration; the C test
 * test_fd_budget_per_call measures a real call against that count.
 * Running out of descriptors anyway (EMFILE, ENFILE) is counted and
 * reported as a CR_EVENT_ERROR, which the plugin logs at error level; where
 * the failure repeats in a loop (Sofia's accept(), sip/sip_log.c) the
 * report is limited to one a second.
 */
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "relay_internal.h"
#include "media/media.h"

enum {
	SIP_LEG_FDS = 2,       /* RTP and RTCP sockets */
	ICE_COMPONENTS = 2,    /* without rtcp-mux */
	WAKEUP_FDS = 2,        /* eventfds of the call's own main contexts (measured) */
	SLACK_FDS = 2,         /* margin: a transcoding pipeline, a TURN refresh */
	MAX_AUTO_CALLS = 100000
};

static int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

/* Addresses libnice gathers host candidates on when given none: every
 * IPv4/IPv6 address of an interface that is up, loopback excluded. */
static int interface_addresses(void)
{
	struct ifaddrs *list, *i;
	int n = 0;

	if (getifaddrs(&list) != 0)
		return 1;
	for (i = list; i; i = i->ifa_next)
		if (i->ifa_addr && (i->ifa_flags & IFF_UP) && !(i->ifa_flags & IFF_LOOPBACK) &&
		    (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6))
			n++;
	freeifaddrs(list);
	return n > 0 ? n : 1;
}

int cr_fd_budget_per_call(const struct cr_media_relay *m)
{
	int addresses = 0, per_component;

	if (!m)
		return 1; /* a call without media holds no descriptor */
	if (m->ice_addresses)
		while (m->ice_addresses[addresses])
			addresses++;
	else
		addresses = interface_addresses();
	/* one host socket per address per component, one TURN allocation each;
	 * with several addresses the fast path's context (media/fastpath.c)
	 * has an eventfd */
	per_component = addresses + (m->turn_server ? 1 : 0);
	return SIP_LEG_FDS + ICE_COMPONENTS * per_component + WAKEUP_FDS + SLACK_FDS +
	       (addresses > 1 ? 1 : 0);
}

void cr_fd_budget_apply(cr_relay_t *r)
{
	struct rlimit rl;
	int free_fds, max;

	r->fds_per_call = cr_fd_budget_per_call(r->media);
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	r->fd_limit_was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	r->fd_limit = rl.rlim_cur;
	r->fds_at_start = count_open_fds();
	free_fds = (int)MIN(rl.rlim_cur, (rlim_t)G_MAXINT) - r->fds_at_start;
	max = free_fds / 2 / r->fds_per_call;
	if (r->media && r->media->ports.n_pairs < max)
		max = r->media->ports.n_pairs; /* one SIP-leg port pair each */
	r->config.max_calls = CLAMP(max, 1, MAX_AUTO_CALLS);
}

bool cr_fd_exhausted(cr_relay_t *r, int errnum, const char *what)
{
	if (errnum != EMFILE && errnum != ENFILE)
		return false;
	atomic_fetch_add(&r->fd_exhausted, 1);
	cr_relay_emit(r, CR_EVENT_ERROR, 0, CR_ERR_LIMIT, errnum,
		      "out of file descriptors (%s: %s) %s; the process limit is %llu",
		      errnum == EMFILE ? "EMFILE" : "ENFILE", g_strerror(errnum), what,
		      (unsigned long long)cr_fd_limit_now());
	return true;
}

bool cr_fd_exhausted_limited(cr_relay_t *r, int errnum, const char *what)
{
	int_least64_t now = g_get_monotonic_time(), last;
	uint64_t times;

	if (errnum != EMFILE && errnum != ENFILE)
		return false;
	atomic_fetch_add(&r->fd_exhausted, 1);
	atomic_fetch_add(&r->fd_unreported, 1);
	last = atomic_load(&r->fd_reported_at);
	if ((last != 0 && now - last < G_USEC_PER_SEC) ||
	    !atomic_compare_exchange_strong(&r->fd_reported_at, &last, now))
		return true; /* reported within the last second */
	times = atomic_exchange(&r->fd_unreported, 0);
	cr_relay_emit(r, CR_EVENT_ERROR, 0, CR_ERR_LIMIT, errnum,
		      "out of file descriptors (%s: %s) %s, %llu time%s since the last report; "
		      "the process limit is %llu",
		      errnum == EMFILE ? "EMFILE" : "ENFILE", g_strerror(errnum), what,
		      (unsigned long long)times, times == 1 ? "" : "s",
		      (unsigned long long)cr_fd_limit_now());
	return true;
}

uint64_t cr_fd_limit_now(void)
{
	struct rlimit rl;

	return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (uint64_t)rl.rlim_cur : 0;
}
