/**
 * @file bench_lifecycle.c  Benchmark: call setup/teardown rate and event throughput
 *
 * Prints one "name value unit" line per figure. Timing belongs here, never in
 * the tests: these machines are shared, so compare ratios within one run.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "callrelay.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Drains events until `want` CALL_CLOSED events were seen. */
static int drain_closed(cr_relay_t *relay, int want)
{
	static cr_event_t batch[256];
	int seen = 0;

	while (seen < want) {
		struct pollfd pfd = { .fd = cr_relay_event_fd(relay), .events = POLLIN };

		if (poll(&pfd, 1, 5000) <= 0)
			return -1;
		int n = cr_relay_poll_events(relay, batch, 256);
		for (int i = 0; i < n; i++)
			if (batch[i].type == CR_EVENT_CALL_CLOSED)
				seen++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int calls = argc > 1 ? atoi(argv[1]) : 200000;
	int batch = 1000;
	cr_relay_t *relay = NULL;
	cr_call_t **handles = calloc((size_t)batch, sizeof(*handles));
	double t0, t1;
	cr_relay_stats_t st;

	if (!handles || cr_relay_create(NULL, &relay, NULL) != CR_OK) {
		fprintf(stderr, "bench: cannot create the relay\n");
		return 1;
	}
	t0 = now_s();
	for (int done = 0; done < calls; done += batch) {
		for (int i = 0; i < batch; i++)
			if (cr_call_create(relay, &handles[i], NULL) != CR_OK)
				return 1;
		for (int i = 0; i < batch; i++)
			cr_call_close(handles[i], NULL);
		if (drain_closed(relay, batch) != 0) {
			fprintf(stderr, "bench: events did not arrive\n");
			return 1;
		}
	}
	t1 = now_s();
	cr_relay_get_stats(relay, &st);
	printf("call_lifecycle_rate %.0f calls/s (%d calls, %u workers)\n",
	       calls / (t1 - t0), calls, st.workers);
	printf("event_rate %.0f events/s (ready + closed per call)\n", 2.0 * calls / (t1 - t0));
	printf("events_dropped %llu\n", (unsigned long long)st.events_dropped);
	cr_relay_destroy(relay);
	free(handles);
	return 0;
}
