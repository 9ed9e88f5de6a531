// SPDX-License-Identifier: GPL-2.0
/*
 * uintr-latency: one-way SENDUIPI-to-handler latency in guest TSC cycles.
 *
 *   uintr-latency [MODE [SENDS]]     MODE: cross, self or all (default all),
 *                                    SENDS: default 10000
 *
 * cross: a sender thread on vCPU 1 reads the TSC just before SENDUIPI; the
 * main thread on vCPU 0 spins with UIF=1 and its handler reads the TSC.
 * self: the main thread sends to itself through uintr_register_self.
 * One send in flight at a time.  With one CPU the two threads are not pinned
 * and yield while they wait, so the cross figure then includes scheduling.
 * The TSC is converted to ns with its rate measured against CLOCK_MONOTONIC
 * for 20 ms before the run.  One line per mode:
 *   uintr-latency mode=M sends=N tsc_mhz=F min_ns=.. median_ns=.. p99_ns=..
 *   max_ns=.. median_cycles=.. p99_cycles=.. handled=N errors=E cpus=C pinned=P
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include "uintr-test.h"
#include "bench.h"

/* uintr-test.h's TAP counter is not used here */
static void __attribute__((unused)) no_tap(void) { (void)test_failures; }

#define VEC_CROSS	5
#define VEC_SELF	9
#define STALL_NS	20000000000ULL

static volatile uint64_t handled, t_handler, bad_vector;
static volatile uint64_t vector_expected;
static volatile int sender_state;	/* 0 starting, 1 ready, 2 done, -1 failed */
static int uvec_fd, pinned, yield_in_spin;
static unsigned long sends;
static uint64_t *t_send, *delta;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	t_handler = __rdtsc();
	if (vector != vector_expected)
		bad_vector++;
	handled++;
}

static void pin(int cpu)
{
	if (pinned)
		pin_to(cpu);
}

/* Wait for handled >= want; -1 after STALL_NS */
static int wait_handled(uint64_t want)
{
	return spin_until(&handled, want, yield_in_spin, STALL_NS);
}

static void *sender(void *arg)
{
	int idx;

	pin(1);
	idx = uintr_register_sender(uvec_fd, 0);
	if (idx < 0) {
		sender_state = -1;
		return NULL;
	}
	sender_state = 1;
	for (unsigned long i = 0; i < sends; i++) {
		t_send[i] = __rdtsc();
		_senduipi(idx);
		if (wait_handled(i + 1)) {
			sender_state = -1;
			return NULL;
		}
		delta[i] = t_handler - t_send[i];
	}
	sender_state = 2;
	return NULL;
}

static void report(const char *mode, int ok, double ns_per_tick, int cpus)
{
	uint64_t p99, med, errors = bad_vector + (handled != sends) + !ok;

	qsort(delta, sends, sizeof(*delta), cmp_u64);
	p99 = percentile(delta, sends, 99);
	med = percentile(delta, sends, 50);
#define NS(x)	((unsigned long long)((x) * ns_per_tick + 0.5))
	printf("uintr-latency mode=%s sends=%lu tsc_mhz=%.1f min_ns=%llu median_ns=%llu "
	       "p99_ns=%llu max_ns=%llu median_cycles=%llu p99_cycles=%llu handled=%llu "
	       "errors=%llu cpus=%d pinned=%d\n",
	       mode, sends, 1000.0 / ns_per_tick, NS(delta[0]), NS(med), NS(p99),
	       NS(delta[sends - 1]), (unsigned long long)med, (unsigned long long)p99,
	       (unsigned long long)handled, (unsigned long long)errors, cpus, pinned);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "all";
	int cpus, self, failures = 0, ok;
	double ns_per_tick;
	pthread_t pt;

	sends = argc > 2 ? strtoul(argv[2], NULL, 0) : 10000;
	if (!sends || (strcmp(mode, "all") && strcmp(mode, "cross") && strcmp(mode, "self"))) {
		fprintf(stderr, "usage: uintr-latency [cross|self|all [SENDS]]\n");
		return 1;
	}
	if (!uintr_supported()) {
		printf("uintr-latency mode=%s unsupported=1 reason=\"uintr is not in /proc/cpuinfo\"\n",
		       mode);
		return 2;
	}
	alarm(600);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	pinned = cpus >= 2;
	yield_in_spin = !pinned;
	t_send = calloc(sends, sizeof(*t_send));
	delta = calloc(sends, sizeof(*delta));
	if (!t_send || !delta)
		return 1;
	pin(0);
	ns_per_tick = ns_per_tsc_tick();
	if (uintr_register_handler(handler, 0)) {
		perror("uintr_register_handler");
		return 1;
	}
	_stui();

	if (strcmp(mode, "self")) {
		handled = 0;
		vector_expected = VEC_CROSS;
		uvec_fd = uintr_vector_fd(VEC_CROSS, 0);
		if (uvec_fd < 0) {
			perror("uintr_vector_fd");
			return 1;
		}
		pthread_create(&pt, NULL, sender, NULL);
		/* the receiver spins with UIF=1; the handler does the work */
		while (sender_state >= 0 && sender_state != 2)
			if (yield_in_spin)
				sched_yield();
		ok = sender_state == 2;
		pthread_join(pt, NULL);
		report("cross", ok, ns_per_tick, cpus);
		failures += !ok || bad_vector || handled != sends;
	}

	if (strcmp(mode, "cross")) {
		handled = 0;
		bad_vector = 0;
		vector_expected = VEC_SELF;
		self = uintr_register_self(VEC_SELF, 0);
		if (self < 0) {
			perror("uintr_register_self");
			return 1;
		}
		ok = 1;
		for (unsigned long i = 0; i < sends && ok; i++) {
			t_send[i] = __rdtsc();
			_senduipi(self);
			ok = !wait_handled(i + 1);
			delta[i] = t_handler - t_send[i];
		}
		report("self", ok, ns_per_tick, cpus);
		failures += !ok || bad_vector || handled != sends;
	}
	_clui();
	uintr_unregister_handler(0);
	return failures ? 1 : 0;
}
