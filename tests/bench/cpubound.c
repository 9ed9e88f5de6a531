// SPDX-License-Identifier: GPL-2.0
/*
 * A CPU-bound guest program that uses no UINTR: integer arithmetic, loads,
 * stores and branches in a loop.  Run on a patched and an unpatched
 * emulator, it shows what the UINTR series costs guests that do not use it.
 * Prints: cpubound iterations=N seconds=S checksum=C
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t table[4096];

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 200000000ULL;
	uint64_t x = 88172645463325252ULL, sum = 0;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (uint64_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		table[x & 4095] += x;
		if (x & 1)
			sum += table[(x >> 12) & 4095];
		else
			sum ^= x * 3;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("cpubound iterations=%llu seconds=%.3f checksum=%llx\n",
	       (unsigned long long)n,
	       (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9,
	       (unsigned long long)sum);
	return 0;
}
