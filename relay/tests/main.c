/**
 * @file main.c  Runs the relay's C tests and prints one summary line
 *
 * Usage: test_relay [NAME_SUBSTRING]
 */
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

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		struct timespec t0, t1;

		if (filter && !strstr(tests[i].name, filter))
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
