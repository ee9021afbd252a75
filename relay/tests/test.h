/**
 * @file test.h  Minimal test macros for the relay's C tests
 *
 * Each test is `int test_name(void)` returning 0 on success. The macros
 * print where and why a check failed, set err and jump to `out:` so every
 * test frees what it made on one exit path.
 */
#ifndef CR_TEST_H
#define CR_TEST_H

#include <stdio.h>
#include <string.h>

#define TEST_FAIL(...)                                                     \
	do {                                                               \
		fprintf(stderr, "  FAIL %s:%d: ", __FILE__, __LINE__);     \
		fprintf(stderr, __VA_ARGS__);                              \
		fprintf(stderr, "\n");                                     \
		err = -1;                                                  \
		goto out;                                                  \
	} while (0)

#define TEST_ASSERT(cond)                                                  \
	do {                                                               \
		if (!(cond))                                               \
			TEST_FAIL("expected %s", #cond);                   \
	} while (0)

#define TEST_EQUALS(expected, actual)                                      \
	do {                                                               \
		long long e_ = (long long)(expected), a_ = (long long)(actual); \
		if (e_ != a_)                                              \
			TEST_FAIL("%s: expected %lld, got %lld", #actual, e_, a_); \
	} while (0)

#define TEST_STREQ(expected, actual)                                       \
	do {                                                               \
		const char *e_ = (expected), *a_ = (actual);               \
		if (!a_ || strcmp(e_, a_) != 0)                            \
			TEST_FAIL("%s: expected \"%s\", got \"%s\"", #actual, e_, a_ ? a_ : "(null)"); \
	} while (0)

#define TEST_ERR(call)                                                     \
	do {                                                               \
		int r_ = (call);                                           \
		if (r_ != 0)                                               \
			TEST_FAIL("%s returned %d", #call, r_);            \
	} while (0)

#endif
