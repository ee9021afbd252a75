/**
 * @file sdp_check.c  A strict, bounded check of an SDP (RFC 8866) before parsing
 *
 * One pass over the bytes, no allocation: each line must be "<type>=<value>"
 * with a known type in RFC 8866's order (v= o= s= first, t= before any m=),
 * and the values our code or Sofia's parser reads must follow their grammar
 * (ports, protocols, payload types, rtpmap, ...). Whatever passes is
 * small, ASCII and regular enough for Sofia-SIP's sdp_parse(), which loops
 * allocating on some malformed m= lines (see sdp_check.h).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sdp_check.h"

typedef struct span {
	const char *p; /* NULL once a field list is used up */
	size_t n;
} span_t;

/* Where we are in one SDP. */
typedef struct check {
	int line;            /* 1-based number of the line being checked */
	int media;           /* m= lines so far; 0 = session level */
	bool rtp_media;      /* the current m= line uses an RTP profile */
	bool seen_v, seen_o, seen_s, seen_t;
	char last_type;      /* type of the previous line */
	int session_once[26]; /* per type letter: count at session level */
	int media_once[26];  /* per type letter: count in the current m= section */
	int attributes, rtpmaps;
	char *why;
	size_t why_len;
} check_t;

static int fail(check_t *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(check_t *c, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->why || !c->why_len)
		return code;
	n = c->line > 0 ? snprintf(c->why, c->why_len, "SDP line %d: ", c->line)
		: snprintf(c->why, c->why_len, "SDP: ");
	if (n < 0 || (size_t)n >= c->why_len)
		return code;
	va_start(ap, fmt);
	vsnprintf(c->why + n, c->why_len - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

/* ---- tokens ---- */

/* RFC 8866 token-char: visible ASCII but for "(),/:;<=>?@[\]. */
static bool is_token_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && !strchr("\"(),/:;<=>?@[\\]", ch);
}

static bool is_token(span_t s)
{
	if (!s.n)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!is_token_char((unsigned char)s.p[i]))
			return false;
	return true;
}

/* non-ws-string: visible ASCII only. */
static bool is_visible(span_t s)
{
	if (!s.n)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] <= 0x20 || s.p[i] >= 0x7f)
			return false;
	return true;
}

/* 1 to max_digits decimal digits whose value is at most max. */
static bool is_number(span_t s, size_t max_digits, uint64_t max)
{
	uint64_t v = 0;

	if (!s.n || s.n > max_digits)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	return v <= max;
}

static bool span_is(span_t s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/* Takes the next field up to a single SP off *rest. False when the field is
 * empty (two spaces, a leading or trailing space) or nothing is left. */
static bool next_field(span_t *rest, span_t *field)
{
	const char *sp;

	if (!rest->p)
		return false;
	sp = memchr(rest->p, ' ', rest->n);
	field->p = rest->p;
	field->n = sp ? (size_t)(sp - rest->p) : rest->n;
	if (sp) {
		rest->n -= field->n + 1;
		rest->p = sp + 1;
	} else {
		rest->p = NULL;
		rest->n = 0;
	}
	return field->n > 0;
}

/* Splits s at the first `sep`: head before, tail after (tail.p NULL when
 * there is no sep). */
static void split_at(span_t s, char sep, span_t *head, span_t *tail)
{
	const char *at = memchr(s.p, sep, s.n);

	head->p = s.p;
	head->n = at ? (size_t)(at - s.p) : s.n;
	tail->p = at ? at + 1 : NULL;
	tail->n = at ? s.n - head->n - 1 : 0;
}

/* An address as c= and o= carry it: a host name, IPv4 or IPv6 address,
 * optionally with /ttl and /count for multicast. Short enough to copy. */
static bool is_address(span_t s)
{
	if (!s.n || s.n > 63)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		unsigned char ch = (unsigned char)s.p[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z') || strchr(".:-/_%", ch)))
			return false;
	}
	return true;
}

/* typed-time: digits with an optional d/h/m/s unit. */
static bool is_typed_time(span_t s)
{
	if (s.n > 1 && strchr("dhms", s.p[s.n - 1]))
		s.n--;
	return is_number(s, 10, UINT64_MAX);
}

/* A proto of an RTP profile (RFC 3551, 3711, 4585, 5124, 5764). */
static bool is_rtp_proto(span_t s)
{
	static const char *const profiles[] = { "RTP/AVP", "RTP/SAVP", "RTP/AVPF", "RTP/SAVPF" };

	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		size_t n = strlen(profiles[i]);

		if (s.n >= n && strncasecmp(s.p + s.n - n, profiles[i], n) == 0 &&
		    (s.n == n || s.p[s.n - n - 1] == '/'))
			return true;
	}
	return false;
}

/* proto = token *("/" token) */
static bool is_proto(span_t s)
{
	span_t head, tail;

	do {
		split_at(s, '/', &head, &tail);
		if (!is_token(head))
			return false;
		s = tail;
	} while (s.p);
	return true;
}

/* A format of the current m= line: a payload type 0-127 for RTP. */
static bool is_format(const check_t *c, span_t s)
{
	return c->rtp_media ? is_number(s, 3, 127) : is_token(s);
}

/* ---- one validator per line type ---- */

static int check_origin(check_t *c, span_t v)
{
	span_t f[6];

	for (int i = 0; i < 6; i++)
		if (!next_field(&v, &f[i]))
			return fail(c, CR_SDP_BAD_VALUE, "o= needs 6 fields separated by one space");
	if (v.p)
		return fail(c, CR_SDP_BAD_VALUE, "o= has more than 6 fields");
	if (!is_visible(f[0]))
		return fail(c, CR_SDP_BAD_VALUE, "o= username is not visible ASCII");
	if (!is_number(f[1], 20, UINT64_MAX) || !is_number(f[2], 20, UINT64_MAX))
		return fail(c, CR_SDP_BAD_VALUE, "o= session id and version must be numbers");
	if (!is_token(f[3]) || !is_token(f[4]))
		return fail(c, CR_SDP_BAD_VALUE, "o= network or address type is not a token");
	/* COMPAT: sipp (and some SIP stacks) write an IPv6 o= address in URI
	 * brackets ("IN IP6 [::1]"). Nothing reads the o= address, and Sofia's
	 * parser takes it: accept the brackets there, never in c=. */
	if (f[5].n > 2 && f[5].p[0] == '[' && f[5].p[f[5].n - 1] == ']') {
		f[5].p++;
		f[5].n -= 2;
	}
	if (!is_address(f[5]))
		return fail(c, CR_SDP_BAD_VALUE, "o= address is not an address");
	return CR_SDP_OK;
}

static int check_connection(check_t *c, span_t v)
{
	span_t f[3];

	for (int i = 0; i < 3; i++)
		if (!next_field(&v, &f[i]))
			return fail(c, CR_SDP_BAD_VALUE, "c= needs 3 fields separated by one space");
	if (v.p)
		return fail(c, CR_SDP_BAD_VALUE, "c= has more than 3 fields");
	if (!is_token(f[0]) || !is_token(f[1]))
		return fail(c, CR_SDP_BAD_VALUE, "c= network or address type is not a token");
	if (!is_address(f[2]))
		return fail(c, CR_SDP_BAD_VALUE, "c= address is not an address");
	return CR_SDP_OK;
}

static int check_bandwidth(check_t *c, span_t v)
{
	span_t type, value;

	split_at(v, ':', &type, &value);
	if (!is_token(type) || !value.p || !is_number(value, 10, UINT32_MAX))
		return fail(c, CR_SDP_BAD_VALUE, "b= must be <type>:<number>");
	return CR_SDP_OK;
}

static int check_timing(check_t *c, span_t v)
{
	span_t start, stop;

	if (!next_field(&v, &start) || !next_field(&v, &stop) || v.p ||
	    !is_number(start, 20, UINT64_MAX) || !is_number(stop, 20, UINT64_MAX))
		return fail(c, CR_SDP_BAD_VALUE, "t= must be two numbers");
	return CR_SDP_OK;
}

static int check_repeat(check_t *c, span_t v)
{
	span_t f;
	int n = 0;

	while (v.p) {
		if (!next_field(&v, &f) || !is_typed_time(f))
			return fail(c, CR_SDP_BAD_VALUE, "r= field is not a time");
		n++;
	}
	if (n < 3)
		return fail(c, CR_SDP_BAD_VALUE, "r= needs an interval, a duration and an offset");
	return CR_SDP_OK;
}

static int check_zone(check_t *c, span_t v)
{
	span_t time, offset;

	while (v.p) {
		if (!next_field(&v, &time) || !next_field(&v, &offset) ||
		    !is_number(time, 20, UINT64_MAX))
			return fail(c, CR_SDP_BAD_VALUE, "z= must be pairs of time and offset");
		if (offset.p[0] == '-') {
			offset.p++;
			offset.n--;
		}
		if (!is_typed_time(offset))
			return fail(c, CR_SDP_BAD_VALUE, "z= offset is not a time");
	}
	return CR_SDP_OK;
}

static int check_key(check_t *c, span_t v)
{
	span_t method, rest;

	split_at(v, ':', &method, &rest);
	if (!is_token(method))
		return fail(c, CR_SDP_BAD_VALUE, "k= method is not a token");
	return CR_SDP_OK;
}

static int check_media(check_t *c, span_t v)
{
	span_t media, port, proto, count, fmt;
	int formats = 0;

	if (++c->media > CR_SDP_MAX_MEDIA)
		return fail(c, CR_SDP_TOO_MANY, "more than %d m= lines", CR_SDP_MAX_MEDIA);
	memset(c->media_once, 0, sizeof(c->media_once));
	if (!next_field(&v, &media) || !next_field(&v, &port) || !next_field(&v, &proto))
		return fail(c, CR_SDP_BAD_VALUE, "m= needs media, port, proto and formats "
			    "separated by one space");
	if (!is_token(media))
		return fail(c, CR_SDP_BAD_VALUE, "m= media is not a token");
	split_at(port, '/', &port, &count);
	if (!is_number(port, 5, 65535))
		return fail(c, CR_SDP_BAD_VALUE, "m= port is not a number 0-65535");
	if (count.p && (!is_number(count, 5, 65535) || span_is(count, "0")))
		return fail(c, CR_SDP_BAD_VALUE, "m= port count is not a number 1-65535");
	if (!is_proto(proto))
		return fail(c, CR_SDP_BAD_VALUE, "m= proto is not a token list");
	c->rtp_media = is_rtp_proto(proto);
	while (v.p) {
		if (!next_field(&v, &fmt))
			return fail(c, CR_SDP_BAD_VALUE, "m= formats must be separated by one space");
		if (!is_format(c, fmt))
			return fail(c, CR_SDP_BAD_VALUE, c->rtp_media
				    ? "m= format is not an RTP payload type 0-127"
				    : "m= format is not a token");
		if (++formats > CR_SDP_MAX_FORMATS)
			return fail(c, CR_SDP_TOO_MANY, "more than %d formats on one m= line",
				    CR_SDP_MAX_FORMATS);
	}
	if (!formats)
		return fail(c, CR_SDP_BAD_VALUE, "m= has no format");
	return CR_SDP_OK;
}

/* a=rtpmap:<payload type> <encoding name>/<clock rate>[/<parameters>] */
static int check_rtpmap(check_t *c, span_t v)
{
	span_t fmt, name, clock, params;

	if (++c->rtpmaps > CR_SDP_MAX_RTPMAPS)
		return fail(c, CR_SDP_TOO_MANY, "more than %d a=rtpmap lines", CR_SDP_MAX_RTPMAPS);
	if (!next_field(&v, &fmt) || !next_field(&v, &name) || v.p)
		return fail(c, CR_SDP_BAD_VALUE, "a=rtpmap must be <payload type> <encoding>");
	if (!is_format(c, fmt))
		return fail(c, CR_SDP_BAD_VALUE, "a=rtpmap payload type is not 0-127");
	split_at(name, '/', &name, &clock);
	if (!is_token(name) || !clock.p)
		return fail(c, CR_SDP_BAD_VALUE, "a=rtpmap encoding must be <name>/<clock rate>");
	split_at(clock, '/', &clock, &params);
	if (!is_number(clock, 10, UINT32_MAX) || span_is(clock, "0"))
		return fail(c, CR_SDP_BAD_VALUE, "a=rtpmap clock rate is not a number");
	if (params.p && !is_number(params, 3, 255))
		return fail(c, CR_SDP_BAD_VALUE, "a=rtpmap channels is not a number");
	return CR_SDP_OK;
}

static int check_attribute(check_t *c, span_t v)
{
	span_t name, value;

	if (++c->attributes > CR_SDP_MAX_ATTRIBUTES)
		return fail(c, CR_SDP_TOO_MANY, "more than %d a= lines", CR_SDP_MAX_ATTRIBUTES);
	split_at(v, ':', &name, &value);
	if (!is_token(name))
		return fail(c, CR_SDP_BAD_VALUE, "a= name is not a token");
	if (value.p && !value.n)
		return fail(c, CR_SDP_BAD_VALUE, "a= value after the colon is empty");
	if (span_is(name, "rtpmap"))
		return value.p ? check_rtpmap(c, value)
			: fail(c, CR_SDP_BAD_VALUE, "a=rtpmap has no value");
	if (span_is(name, "fmtp")) {
		span_t fmt;

		if (!value.p || !next_field(&value, &fmt) || !is_format(c, fmt) || !value.p ||
		    !value.n)
			return fail(c, CR_SDP_BAD_VALUE, "a=fmtp must be <format> <parameters>");
	}
	if ((span_is(name, "ptime") || span_is(name, "maxptime")) &&
	    (!value.p || !is_number(value, 5, 65535)))
		return fail(c, CR_SDP_BAD_VALUE, "a=ptime is not a number");
	return CR_SDP_OK;
}

/* ---- lines and their order ---- */

/* RFC 8866 section 5: which types may appear where, and how often. */
static int check_place(check_t *c, char type)
{
	int k = type - 'a';

	if (!c->seen_v && type != 'v')
		return fail(c, CR_SDP_BAD_ORDER, "the SDP must start with v=");
	if ((c->seen_v && !c->seen_o && type != 'o') ||
	    (c->seen_o && !c->seen_s && type != 's'))
		return fail(c, CR_SDP_BAD_ORDER, "v=, o= and s= must be the first three lines");
	if (type == 'v' || type == 'o' || type == 's') {
		if ((type == 'v' && c->seen_v) || (type == 'o' && c->seen_o) ||
		    (type == 's' && c->seen_s) || c->media)
			return fail(c, CR_SDP_BAD_ORDER, "%c= may appear only once, at the start", type);
		return CR_SDP_OK;
	}
	if (type == 'r' && c->last_type != 't' && c->last_type != 'r')
		return fail(c, CR_SDP_BAD_ORDER, "r= must follow t=");
	if (type == 'm' && !c->seen_t)
		return fail(c, CR_SDP_BAD_ORDER, "t= must come before the first m=");
	if (c->media && strchr("tuepzr", type))
		return fail(c, CR_SDP_BAD_ORDER, "%c= is not allowed after m=", type);
	if (!c->media && strchr("iuczk", type) && ++c->session_once[k] > 1)
		return fail(c, CR_SDP_BAD_ORDER, "%c= may appear only once per session", type);
	if (c->media && strchr("ik", type) && ++c->media_once[k] > 1)
		return fail(c, CR_SDP_BAD_ORDER, "%c= may appear only once per m= section", type);
	return CR_SDP_OK;
}

static int check_line(check_t *c, span_t line)
{
	span_t v;
	char type;
	int err;

	if (line.n > CR_SDP_MAX_LINE)
		return fail(c, CR_SDP_BAD_LINE, "longer than %d bytes", CR_SDP_MAX_LINE);
	if (line.n < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z')
		return fail(c, CR_SDP_BAD_LINE, "not <type>=<value>");
	type = line.p[0];
	if (!strchr("vosiuepcbtrzkam", type))
		return fail(c, CR_SDP_BAD_LINE, "unknown line type %c=", type);
	v.p = line.p + 2;
	v.n = line.n - 2;
	if (!v.n)
		return fail(c, CR_SDP_BAD_VALUE, "%c= has no value", type);
	err = check_place(c, type);
	if (err)
		return err;
	switch (type) {
	case 'v':
		c->seen_v = true;
		return span_is(v, "0") ? CR_SDP_OK
			: fail(c, CR_SDP_BAD_VALUE, "only version v=0 is known");
	case 'o':
		c->seen_o = true;
		return check_origin(c, v);
	case 's':
		c->seen_s = true;
		return CR_SDP_OK; /* any text */
	case 'i':
	case 'e':
	case 'p':
		return CR_SDP_OK; /* any text */
	case 'u':
		return is_visible(v) ? CR_SDP_OK : fail(c, CR_SDP_BAD_VALUE, "u= is not a URI");
	case 'c':
		return check_connection(c, v);
	case 'b':
		return check_bandwidth(c, v);
	case 't':
		c->seen_t = true;
		return check_timing(c, v);
	case 'r':
		return check_repeat(c, v);
	case 'z':
		return check_zone(c, v);
	case 'k':
		return check_key(c, v);
	case 'm':
		return check_media(c, v);
	default:
		return check_attribute(c, v);
	}
}

/* Bytes every line may hold: printable ASCII and tab; CR only before LF. */
static int check_bytes(check_t *c, const char *sdp, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)sdp[i];

		if (ch >= 0x80)
			return fail(c, CR_SDP_NOT_ASCII, "a byte above 0x7f at offset %zu", i);
		if (ch == 0)
			return fail(c, CR_SDP_NOT_ASCII, "a NUL byte at offset %zu", i);
		if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
			return fail(c, CR_SDP_NOT_ASCII, "a control character at offset %zu", i);
		if (ch == '\r' && (i + 1 == len || sdp[i + 1] != '\n'))
			return fail(c, CR_SDP_BAD_LINE, "a CR not followed by LF at offset %zu", i);
	}
	return CR_SDP_OK;
}

int cr_sdp_check(const char *sdp, size_t len, char *why, size_t why_len)
{
	check_t c = { .why = why, .why_len = why_len };
	size_t at = 0;
	bool blank = false;
	int err;

	if (why && why_len)
		why[0] = '\0';
	if (!sdp || !len)
		return fail(&c, CR_SDP_EMPTY, "the body is empty");
	if (len > CR_SDP_MAX_BYTES)
		return fail(&c, CR_SDP_TOO_BIG, "%zu bytes, more than the %d allowed", len,
			    CR_SDP_MAX_BYTES);
	err = check_bytes(&c, sdp, len);
	if (err)
		return err;
	while (at < len) {
		const char *lf = memchr(sdp + at, '\n', len - at);
		span_t line = { sdp + at, lf ? (size_t)(lf - (sdp + at)) : len - at };

		at += line.n + (lf ? 1 : 0);
		c.line++;
		if (line.n && line.p[line.n - 1] == '\r')
			line.n--;
		/* Some stacks end the body with an extra CRLF: only there. */
		if (!line.n) {
			blank = true;
			continue;
		}
		if (blank)
			return fail(&c, CR_SDP_BAD_LINE, "an empty line inside the SDP");
		err = check_line(&c, line);
		if (err)
			return err;
		c.last_type = line.p[0];
	}
	c.line = 0;
	if (!c.seen_v || !c.seen_o || !c.seen_s)
		return fail(&c, CR_SDP_BAD_ORDER, "v=, o= or s= is missing");
	if (!c.seen_t)
		return fail(&c, CR_SDP_BAD_ORDER, "t= is missing");
	return CR_SDP_OK;
}
