/**
 * @file sip_rate.c  New INVITEs per source address: a token bucket each
 *
 * Each source may start `rate` calls a second, in bursts of twice that; an
 * INVITE past it is answered 503 (counted) before a relay call exists, so a
 * flood costs no descriptors. Buckets live on the SIP thread; the table is
 * bounded (full buckets are forgotten first, then the INVITE is refused).
 */
#include <string.h>
#include <sys/socket.h>

#include "sip.h"

enum { MAX_SOURCES_TRACKED = 4096 };

typedef struct bucket {
	double tokens;
	gint64 updated_us;
} bucket_t;

static guint cidr_hash(gconstpointer p)
{
	const cr_sip_cidr_t *c = p;
	guint h = (guint)c->family;

	for (size_t i = 0; i < sizeof(c->addr); i++)
		h = h * 31 + c->addr[i];
	return h;
}

static gboolean cidr_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(cr_sip_cidr_t)) == 0;
}

void cr_sip_rate_init(cr_sip_ua_t *ua)
{
	ua->rate_buckets = g_hash_table_new_full(cidr_hash, cidr_equal, g_free, g_free);
}

void cr_sip_rate_free(cr_sip_ua_t *ua)
{
	if (ua->rate_buckets)
		g_hash_table_destroy(ua->rate_buckets);
	ua->rate_buckets = NULL;
}

/* The monotonic clock, or the one a test holds (rate_clock_us). */
static gint64 rate_now(const cr_sip_ua_t *ua)
{
	gint64 held = atomic_load(&ua->rate_clock_us);

	return held ? held : g_get_monotonic_time();
}

static void refill(const cr_sip_ua_t *ua, bucket_t *b, gint64 now)
{
	double burst = 2.0 * ua->invite_rate;

	b->tokens += (double)(now - b->updated_us) / 1e6 * ua->invite_rate;
	if (b->tokens > burst)
		b->tokens = burst;
	b->updated_us = now;
}

static gboolean is_full(gpointer key, gpointer value, gpointer data)
{
	cr_sip_ua_t *ua = data;
	bucket_t *b = value;

	(void)key;
	refill(ua, b, rate_now(ua));
	return b->tokens >= 2.0 * ua->invite_rate;
}

bool cr_sip_rate_admit(cr_sip_ua_t *ua, const struct sockaddr *from)
{
	cr_sip_cidr_t key;
	bucket_t *b;
	gint64 now = rate_now(ua);

	if (ua->invite_rate <= 0 || cr_sip_sources_from_sockaddr(from, &key) != 0)
		return true;
	b = g_hash_table_lookup(ua->rate_buckets, &key);
	if (!b) {
		if (g_hash_table_size(ua->rate_buckets) >= MAX_SOURCES_TRACKED)
			g_hash_table_foreach_remove(ua->rate_buckets, is_full, ua);
		if (g_hash_table_size(ua->rate_buckets) >= MAX_SOURCES_TRACKED)
			return false;
		b = g_new0(bucket_t, 1);
		b->tokens = 2.0 * ua->invite_rate;
		b->updated_us = now;
		g_hash_table_insert(ua->rate_buckets, g_memdup2(&key, sizeof(key)), b);
	}
	refill(ua, b, now);
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}
