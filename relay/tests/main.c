/**
 * @file main.c  Runs the relay's C tests and prints one summary line
 *
 * Usage: test_relay [NAME_SUBSTRING]
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TEST(name) int name(void);
#include "tests.def"
#undef TEST

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
#define TEST(name) { #name, name },
#include "tests.def"
#undef TEST
};

/* Whether the test named name runs: filter is NULL (all), a list of
 * substrings separated by commas (a name containing any of them), or such a
 * list after '!' (every name containing none of them), so that
 * scripts/run-tests.sh can run the tests that mostly wait beside the rest. */
static bool selected(const char *filter, const char *name)
{
	bool negate = filter && filter[0] == '!';
	bool hit = false;

	if (!filter || !filter[negate])
		return true;
	for (const char *p = filter + negate; *p && !hit;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		for (const char *q = name; n && strlen(q) >= n && !hit; q++)
			hit = strncmp(q, p, n) == 0;
		p += n + (end != NULL);
	}
	return hit != negate;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		struct timespec t0, t1;

		if (!selected(filter, tests[i].name))
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int rc = tests[i].fn();
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		printf("%s %s (%.0f ms)\n", rc == 0 ? "ok  " : "FAIL", tests[i].name, ms);
		if (rc == 0)
			passed++;
		else
			failed++;
	}
	printf("relay C tests: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
