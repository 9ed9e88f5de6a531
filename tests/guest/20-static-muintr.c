// SPDX-License-Identifier: GPL-2.0
/*
 * A static binary built with -muintr starts and runs.  It reports what CPUID says about
 * UINTR but executes no UINTR instruction, so it passes on any x86-64 CPU.
 */
#include <cpuid.h>
#include <stdio.h>

int main(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		printf("# cpuid leaf 7 not available\n");
		d = 0;
	}
	printf("# CPUID.(7,0):EDX[5] (uintr) = %u\n", (d >> 5) & 1);
	printf("ok - static -muintr binary runs\n");
	return 0;
}
