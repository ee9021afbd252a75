/**
 * @file fuzz_sip_msg.c  libFuzzer target: SIP messages as the UA receives them
 *
 * Feeds bytes to Sofia's message parser the way its transport layer does
 * (msg_recv_iovec + msg_recv_commit + msg_extract, msg_next for the rest of
 * a stream), bounded by the UA's maximum message size, then hands every
 * complete message to what our code does first with one: Sofia's sanity
 * check and the call's SIP trace line (headers encoded, SDP summarised),
 * which must hold only what the message said.
 *
 * Input: byte 0 selects the mode (bit 0: stream instead of datagram, bits
 * 1-2: chunk size of the stream reads, bit 3: extract-copy flag); the rest
 * is the wire bytes, up to a little over the UA's limit (fuzz-max-len: 20000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_util.h>

#include "harness.h"
#include "sip/sip.h"

/* The same bound the UA gives NTATAG_MAXSIZE (relay/src/sip/sip_ua.c). */
enum { UA_MAX_MESSAGE = 16 * 1024 };

static char trace_text[80 * 1024]; /* more than a trace holds (64 KiB) */
static bool verbose; /* CR_FUZZ_VERBOSE=1: each trace line and rejection on stderr */
/* Which byte values the current input holds. */
static bool in_input[256];

/* The trace may say less than the message, never something else: a byte
 * outside printable ASCII that the input does not hold came from memory
 * the encoder did not write (under ASan, its 0xbe malloc fill). */
static void check_trace(const char *trace, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)trace[i];

		if ((c >= 0x20 && c < 0x7f) || c == '\n' || in_input[c])
			continue;
		fprintf(stderr, "SIP trace holds byte 0x%02x at %zu, not in the message: %s\n", c,
			i, trace);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cr_fuzz_quiet();
	verbose = getenv("CR_FUZZ_VERBOSE") != NULL;
	su_init();
	return 0;
}

/* What the dialog code does with each message it is handed. */
static void use_message(msg_t *msg)
{
	sip_t *sip = sip_object(msg);

	if (!sip || sip_sanity_check(sip) < 0) {
		if (verbose)
			fprintf(stderr, "not a sane SIP message (extract errors 0x%x)\n",
				msg_extract_errors(msg));
		return;
	}
	/* A call's trace (relay/src/trace.h), new for every input, so each
	 * runs the whole formatting path. */
	cr_trace_t trace;
	GString *text = g_string_new(NULL);
	int n;

	cr_trace_init(&trace);
	cr_sip_trace_msg(&trace, '<', sip);
	cr_trace_dump(&trace, text);
	cr_trace_clear(&trace);
	n = (int)text->len;
	g_strlcpy(trace_text, text->str, sizeof(trace_text));
	g_string_free(text, TRUE);
	if (verbose)
		fprintf(stderr, "%s", trace_text);
	check_trace(trace_text, (size_t)n < sizeof(trace_text) ? (size_t)n : sizeof(trace_text) - 1);
}

/* Copies up to n bytes into the message's receive buffer; -1 = refused
 * (too large), as the transport would drop it. */
static int receive(msg_t *msg, const uint8_t *data, size_t n, int exact, int eos)
{
	msg_iovec_t vec[8];
	issize_t veclen = msg_recv_iovec(msg, vec, 8, n, exact);
	size_t off = 0;

	if (veclen < 0)
		return -1;
	for (issize_t i = 0; i < veclen && off < n; i++) {
		size_t len = vec[i].mv_len < n - off ? vec[i].mv_len : n - off;

		memcpy(vec[i].mv_base, data + off, len);
		off += len;
	}
	msg_recv_commit(msg, off, eos);
	return 0;
}

static void datagram(const uint8_t *data, size_t size, int flags)
{
	msg_t *msg = msg_create(sip_default_mclass(), flags);

	if (!msg)
		return;
	msg_maxsize(msg, UA_MAX_MESSAGE);
	if (size > 0 && size <= UA_MAX_MESSAGE && receive(msg, data, size, 1, 1) == 0 &&
	    msg_extract(msg) > 0)
		use_message(msg);
	msg_destroy(msg);
}

static void stream(const uint8_t *data, size_t size, size_t chunk, int flags)
{
	msg_t *msg = msg_create(sip_default_mclass(), flags | MSG_FLG_STREAMING);
	size_t off = 0;

	if (!msg)
		return;
	msg_maxsize(msg, UA_MAX_MESSAGE);
	while (msg) {
		size_t n = size - off < chunk ? size - off : chunk;
		int eos = off + n == size;
		int r;

		if (receive(msg, data + off, n, 0, eos) < 0)
			break;
		off += n;
		/* Every complete message in what arrived so far. */
		while ((r = msg_extract(msg)) > 0) {
			msg_t *next = msg_next(msg);

			use_message(msg);
			msg_destroy(msg);
			/* msg_next() holds the bytes after this message, if any. */
			msg = next ? next : msg_create(sip_default_mclass(), flags | MSG_FLG_STREAMING);
			if (!msg)
				return;
			msg_maxsize(msg, UA_MAX_MESSAGE);
		}
		if (r < 0 || eos)
			break;
	}
	msg_destroy(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[4] = { 1, 13, 512, 65536 };
	int flags;

	if (size < 1)
		return 0;
	memset(in_input, 0, sizeof(in_input));
	for (size_t i = 1; i < size; i++)
		in_input[data[i]] = true;
	flags = MSG_DO_CANONIC | ((data[0] & 8) ? MSG_DO_EXTRACT_COPY : 0);
	if (data[0] & 1)
		stream(data + 1, size - 1, chunks[(data[0] >> 1) & 3], flags);
	else
		datagram(data + 1, size - 1, flags);
	return 0;
}
