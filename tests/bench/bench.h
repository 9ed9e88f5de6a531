/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest benchmarks: time, TSC calibration, pinning,
 * percentiles.
 */
#ifndef BENCH_H
#define BENCH_H

#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

static inline uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

/* Nanoseconds per guest TSC tick, measured against CLOCK_MONOTONIC over 20 ms */
static inline double ns_per_tsc_tick(void)
{
	uint64_t ns0, ns1, t0, t1;

	ns0 = mono_ns();
	t0 = __rdtsc();
	do {
		ns1 = mono_ns();
		t1 = __rdtsc();
	} while (ns1 - ns0 < 20000000ULL);
	return (double)(ns1 - ns0) / (double)(t1 - t0);
}

/* Pin the calling thread to @cpu; 0 or -1 */
static inline int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Wait until *@p >= @want, spinning, or yielding after each look when
 * @yield (one CPU for both parties).  -1 once @stall_ns have passed.
 */
static inline int spin_until(volatile uint64_t *p, uint64_t want, int yield,
			     uint64_t stall_ns)
{
	uint64_t n = 0, t0 = 0;

	while (*p < want) {
		if (yield)
			sched_yield();
		if ((++n & 0xfffff) == 0 || (yield && (n & 0xff) == 0)) {
			uint64_t now = mono_ns();

			if (!t0)
				t0 = now;
			else if (now - t0 > stall_ns)
				return -1;
		}
	}
	return 0;
}

static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The @pct percentile (nearest rank) of @v[0..n-1], sorted */
static inline uint64_t percentile(const uint64_t *v, unsigned long n, unsigned int pct)
{
	unsigned long rank = (n * pct + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

#endif
