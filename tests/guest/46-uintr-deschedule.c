// SPDX-License-Identifier: GPL-2.0
/*
 * A receiver that is descheduled loses no user interrupt.  More busy
 * threads than vCPUs (2 * nproc + 1) keep every CPU contended while one
 * sender sends 100,000 user interrupts to a receiver that spins with UIF
 * set most of the time but also sleeps and yields, so sends land while it
 * runs, while it is preempted and while it sleeps (SN set, posts only go
 * to the PIR and must be replayed when it returns to user mode).
 *
 * Counting is exact: the sender cycles through the 64 vectors and sends on
 * a vector only once the previous send on it has been handled, so no two
 * sends can coalesce in the PIR or UIRR; at the end handled == sent for
 * every vector.  A send not handled within 10 s counts as lost.
 *
 * Usage: 46-uintr-deschedule [sends]   (default 100000)
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include "uintr-test.h"

static volatile uint64_t handled[64], sent[64], extra;
static volatile int rx_ready, stop;
static int rx_fds[64];

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	vector &= 63;
	/* more handled than sent on a vector: a duplicate delivery */
	if (handled[vector] >= sent[vector])
		extra++;
	handled[vector]++;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void *busy(void *arg)
{
	while (!stop)
		;
	return NULL;
}

static void *receiver(void *arg)
{
	uint64_t n = 0;

	if (uintr_register_handler(handler, 0))
		return (void *)1;
	for (int v = 0; v < 64; v++) {
		rx_fds[v] = uintr_vector_fd(v, 0);
		if (rx_fds[v] < 0) {
			rx_ready = -1;
			return (void *)2;
		}
	}
	_stui();
	rx_ready = 1;
	/* Mostly spin with UIF set; now and then sleep or yield */
	while (!stop) {
		for (volatile int i = 0; i < 2000; i++)
			;
		switch (++n % 16) {
		case 5:
			usleep(50);
			break;
		case 11:
			sched_yield();
			break;
		}
	}
	_clui();
	return NULL;
}

/* The user-interrupt lines of /proc/interrupts, as comments */
static void show_uintr_irqs(void)
{
	char line[512];
	FILE *f = fopen("/proc/interrupts", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " ");

		if (!strncmp(p, "UIS", 3) || !strncmp(p, "UKN", 3))
			printf("# %s", line);
	}
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	long sends = argc > 1 ? atol(argv[1]) : 100000;
	long nbusy = 2 * sysconf(_SC_NPROCESSORS_ONLN) + 1, lost = -1;
	pthread_t rt, *bt;
	uint64_t t0, total = 0;
	long idx[64];
	void *rret;

	if (!uintr_supported()) {
		printf("not ok - no User Interrupts (the uintr syscalls are ENOSYS)\n");
		return 1;
	}
	bt = calloc(nbusy, sizeof(*bt));
	pthread_create(&rt, NULL, receiver, NULL);
	while (!rx_ready)
		usleep(1000);
	if (rx_ready < 0) {
		printf("not ok - the receiver could not set up its vectors\n");
		return 1;
	}
	for (int v = 0; v < 64; v++) {
		idx[v] = uintr_register_sender(rx_fds[v], 0);
		if (idx[v] < 0) {
			printf("not ok - register_sender(vector %d): %s\n", v, strerror(errno));
			return 1;
		}
	}
	for (long i = 0; i < nbusy; i++)
		pthread_create(&bt[i], NULL, busy, NULL);
	printf("# %ld busy threads on %ld CPUs, %ld sends\n", nbusy,
	       sysconf(_SC_NPROCESSORS_ONLN), sends);

	t0 = now_ms();
	for (long i = 0; i < sends; i++) {
		int v = i % 64;

		/* One outstanding send per vector: wait for the last one */
		if (handled[v] != sent[v]) {
			uint64_t end = now_ms() + 10000;

			while (handled[v] != sent[v] && now_ms() < end)
				sched_yield();
			if (handled[v] != sent[v]) {
				lost = i;
				break;
			}
		}
		sent[v]++;
		_senduipi(idx[v]);
	}
	/* The last ones */
	for (int v = 0; v < 64 && lost < 0; v++) {
		uint64_t end = now_ms() + 10000;

		while (handled[v] != sent[v] && now_ms() < end)
			sched_yield();
	}
	stop = 1;
	pthread_join(rt, &rret);
	for (long i = 0; i < nbusy; i++)
		pthread_join(bt[i], NULL);

	long mismatched = 0;
	uint64_t nsent = 0;

	for (int v = 0; v < 64; v++) {
		total += handled[v];
		nsent += sent[v];
		if (handled[v] != sent[v])
			mismatched++;
	}
	printf("# %llu sent, %llu handled in %llu ms\n", (unsigned long long)nsent,
	       (unsigned long long)total, (unsigned long long)(now_ms() - t0));
	show_uintr_irqs();
	check(rret == NULL, "the receiver set up 64 vectors");
	check(lost < 0 && nsent == (uint64_t)sends,
	      "no send left unhandled for 10 s%s", lost < 0 ? "" : " (one was)");
	check(mismatched == 0 && extra == 0 && total == nsent,
	      "descheduled receiver: %llu sent == %llu handled (%ld vectors differ, %llu duplicates)",
	      (unsigned long long)nsent, (unsigned long long)total, mismatched,
	      (unsigned long long)extra);
	return test_failures ? 1 : 0;
}
