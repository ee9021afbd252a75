/**
 * @file test_trace.c  A call's one trace (relay/src/trace.c) and the SIP leg's lines in it
 *
 * Pure unit tests, no sockets: what a long call's trace keeps (its first
 * lines, the newest, where lines went), its bounds in lines and bytes, and
 * the SIP leg's lines (relay/src/sip/sip_trace.c) in the same trace. The
 * same trace of real calls: test_sip_* (SIP only), spec/ffi/real_call_spec.lua
 * (media and SIP).
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip.h"
#include "test.h"
#include "trace.h"

int test_trace_keeps_first_and_newest(void);
int test_trace_bounded_in_bytes(void);
int test_trace_sip_lines(void);

/* The dump's lines, split (g_strfreev). */
static char **dump_lines(cr_trace_t *t, size_t *n)
{
	GString *s = g_string_new(NULL);
	char **lines;

	cr_trace_dump(t, s);
	if (s->len && s->str[s->len - 1] == '\n')
		g_string_truncate(s, s->len - 1);
	lines = g_strsplit(s->str, "\n", -1);
	*n = g_strv_length(lines);
	g_string_free(s, TRUE);
	return lines;
}

/* The time of a line ("T_MS AREA ..."), in microseconds. */
static long long line_us(const char *line)
{
	char *end;
	long long ms = strtoll(line, &end, 10);

	return ms * 1000 + (*end == '.' ? strtoll(end + 1, NULL, 10) : 0);
}

int test_trace_keeps_first_and_newest(void)
{
	cr_trace_t t;
	char **lines = NULL, want[64];
	size_t n = 0;
	int err = 0;
	const int total = 1000, ring = CR_TRACE_LINES - CR_TRACE_HEAD;

	cr_trace_init(&t);
	for (int i = 0; i < total; i++)
		cr_trace_add(&t, "ice", "fact %d", i);
	lines = dump_lines(&t, &n);
	TEST_EQUALS(CR_TRACE_LINES + 1, n); /* the kept lines and one marker */
	/* How the call began stays... */
	for (int i = 0; i < CR_TRACE_HEAD; i++) {
		g_snprintf(want, sizeof(want), " ice fact %d", i);
		if (!g_str_has_suffix(lines[i], want))
			TEST_FAIL("line %d is \"%s\", not ...%s", i, lines[i], want);
	}
	/* ...then where lines went, then the newest, in order. */
	g_snprintf(want, sizeof(want), " trace %d lines dropped here", total - CR_TRACE_LINES);
	if (!strstr(lines[CR_TRACE_HEAD], want))
		TEST_FAIL("no marker \"%s\": \"%s\"", want, lines[CR_TRACE_HEAD]);
	for (int i = 0; i < ring; i++) {
		g_snprintf(want, sizeof(want), " ice fact %d", total - ring + i);
		if (!g_str_has_suffix(lines[CR_TRACE_HEAD + 1 + i], want))
			TEST_FAIL("line %d is \"%s\", not ...%s", CR_TRACE_HEAD + 1 + i,
				  lines[CR_TRACE_HEAD + 1 + i], want);
	}
	/* The marker sorts between them: readers merge traces by time. */
	for (size_t i = 1; i < n; i++)
		if (line_us(lines[i]) < line_us(lines[i - 1]))
			TEST_FAIL("line %zu \"%s\" is older than the one before \"%s\"", i, lines[i],
				  lines[i - 1]);
out:
	g_strfreev(lines);
	cr_trace_clear(&t);
	return err;
}

int test_trace_bounded_in_bytes(void)
{
	cr_trace_t t;
	char **lines = NULL, big[2000];
	size_t n = 0, text = 0;
	int err = 0;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_trace_init(&t);
	/* Longer than a line may be, many more than the bytes allow. */
	for (int i = 0; i < 400; i++)
		cr_trace_add(&t, "sip<", "%d %s", i, big);
	TEST_ASSERT(t.bytes <= CR_TRACE_MAX_BYTES);
	lines = dump_lines(&t, &n);
	for (size_t i = 0; i < n; i++) {
		const char *msg = strchr(strchr(lines[i], ' ') + 1, ' ') + 1;

		TEST_ASSERT(strlen(msg) <= CR_TRACE_MSG_LEN - 1);
		text += strlen(lines[i]) + 1;
	}
	TEST_ASSERT(text <= CR_TRACE_MAX_BYTES + 128); /* + the marker */
	TEST_ASSERT(g_str_has_prefix(strchr(lines[0], ' '), " sip< 0 xxx"));
	TEST_ASSERT(g_str_has_prefix(strchr(lines[n - 1], ' '), " sip< 399 xxx"));
	TEST_ASSERT(strstr(lines[CR_TRACE_HEAD], " trace ") != NULL);
	/* A NULL trace (a leg given none) takes nothing. */
	cr_trace_add(NULL, "ice", "nowhere");
	cr_sip_trace_line(NULL, '>', "nowhere");
out:
	g_strfreev(lines);
	cr_trace_clear(&t);
	return err;
}

int test_trace_sip_lines(void)
{
	cr_trace_t t;
	char **lines = NULL, long_uri[700];
	size_t n = 0;
	int err = 0;

	memset(long_uri, 'u', sizeof(long_uri) - 1);
	long_uri[sizeof(long_uri) - 1] = '\0';
	cr_trace_init(&t);
	cr_trace_add(&t, "call", "created");
	cr_sip_trace_line(&t, '>', "INVITE sip:%s@trunk SIP/2.0", "100");
	cr_sip_trace_line(&t, '<', "SIP/2.0 200 OK");
	cr_sip_trace_line(&t, '!', "SDP answer refused: %s", "no audio");
	cr_sip_trace_line(&t, '>', "INVITE sip:%s SIP/2.0", long_uri);
	cr_trace_add(&t, "ice", "connected");
	lines = dump_lines(&t, &n);
	TEST_EQUALS(6, n);
	TEST_STREQ(" call created", strchr(lines[0], ' '));
	TEST_STREQ(" sip> INVITE sip:100@trunk SIP/2.0", strchr(lines[1], ' '));
	TEST_STREQ(" sip< SIP/2.0 200 OK", strchr(lines[2], ' '));
	TEST_STREQ(" sip! SDP answer refused: no audio", strchr(lines[3], ' '));
	/* A SIP line's text stops at CR_SIP_MAX_TRACE_LINE - 1 bytes. */
	TEST_EQUALS(CR_SIP_MAX_TRACE_LINE - 1, strlen(strchr(lines[4], ' ') + strlen(" sip> ")));
	TEST_STREQ(" ice connected", strchr(lines[5], ' '));
	for (size_t i = 1; i < n; i++)
		TEST_ASSERT(line_us(lines[i]) >= line_us(lines[i - 1]));
out:
	g_strfreev(lines);
	cr_trace_clear(&t);
	return err;
}
