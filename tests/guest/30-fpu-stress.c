// SPDX-License-Identifier: GPL-2.0
/*
 * FPU/SSE/AVX state survives context switches: N processes (more than the
 * vCPUs) each keep distinct values in x87, XMM and YMM registers, and check
 * them after yields and signals, for FPU_STRESS_SECONDS (default 3; the
 * issue's long run uses 30).  Any difference is a corrupted context switch,
 * i.e. a broken XSAVE/XSAVES/XRSTORS implementation.
 *
 * Usage: 30-fpu-stress [seconds [processes]]
 */
#include <cpuid.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t signals;

static void on_signal(int sig)
{
	double d = sig * 1.5;

	/* The handler itself uses the FPU; the kernel must restore ours. */
	__asm__ volatile("" : "+x"(d));
	signals++;
}

static int have_avx(void)
{
	unsigned int a, b, c, d;
	unsigned long long xcr0;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX))
		return 0;
	__asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	xcr0 = a | ((unsigned long long)d << 32);
	return (xcr0 & 6) == 6;
}

/*
 * Load a pattern into x87 st0-st1, xmm8-xmm15 (and the upper halves of
 * ymm8-ymm15 with AVX), give the CPU away, then compare.  Returns the
 * number of mismatching 64-bit words.
 */
static int round_trip(uint64_t seed, int avx, int yield, int clobber)
{
	uint64_t in[8][4] __attribute__((aligned(32)));
	uint64_t out[8][4] __attribute__((aligned(32)));
	long double f_in = (long double)seed * 1.25L, f2_in = -(long double)seed / 3;
	long double f_out, f2_out;
	int bad = 0;

	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			in[i][j] = seed * 0x9e3779b97f4a7c15ULL + i * 4 + j;
	memset(out, 0, sizeof(out));

	__asm__ volatile("fldt %0\n\tfldt %1" : : "m"(f_in), "m"(f2_in));
	if (avx) {
		__asm__ volatile(
			"vmovdqa 0(%0), %%ymm8\n\t"   "vmovdqa 32(%0), %%ymm9\n\t"
			"vmovdqa 64(%0), %%ymm10\n\t" "vmovdqa 96(%0), %%ymm11\n\t"
			"vmovdqa 128(%0), %%ymm12\n\t" "vmovdqa 160(%0), %%ymm13\n\t"
			"vmovdqa 192(%0), %%ymm14\n\t" "vmovdqa 224(%0), %%ymm15\n\t"
			: : "r"(in) : "memory");
	} else {
		__asm__ volatile(
			"movdqa 0(%0), %%xmm8\n\t"   "movdqa 32(%0), %%xmm9\n\t"
			"movdqa 64(%0), %%xmm10\n\t" "movdqa 96(%0), %%xmm11\n\t"
			"movdqa 128(%0), %%xmm12\n\t" "movdqa 160(%0), %%xmm13\n\t"
			"movdqa 192(%0), %%xmm14\n\t" "movdqa 224(%0), %%xmm15\n\t"
			: : "r"(in) : "memory");
	}

	if (clobber)	/* self-check: the comparison must see this */
		__asm__ volatile("pxor %%xmm11, %%xmm11" : : : "xmm11");
	/* Raw syscalls: no libc code may touch the registers under test. */
	for (int i = 0; i < yield; i++) {
		long ret;

		__asm__ volatile("syscall" : "=a"(ret) : "a"(24L) /* sched_yield */
				 : "rcx", "r11", "memory");
	}

	if (avx) {
		__asm__ volatile(
			"vmovdqa %%ymm8, 0(%0)\n\t"   "vmovdqa %%ymm9, 32(%0)\n\t"
			"vmovdqa %%ymm10, 64(%0)\n\t" "vmovdqa %%ymm11, 96(%0)\n\t"
			"vmovdqa %%ymm12, 128(%0)\n\t" "vmovdqa %%ymm13, 160(%0)\n\t"
			"vmovdqa %%ymm14, 192(%0)\n\t" "vmovdqa %%ymm15, 224(%0)\n\t"
			"vzeroupper" : : "r"(out) : "memory");
	} else {
		__asm__ volatile(
			"movdqa %%xmm8, 0(%0)\n\t"   "movdqa %%xmm9, 32(%0)\n\t"
			"movdqa %%xmm10, 64(%0)\n\t" "movdqa %%xmm11, 96(%0)\n\t"
			"movdqa %%xmm12, 128(%0)\n\t" "movdqa %%xmm13, 160(%0)\n\t"
			"movdqa %%xmm14, 192(%0)\n\t" "movdqa %%xmm15, 224(%0)\n\t"
			: : "r"(out) : "memory");
	}
	__asm__ volatile("fstpt %0\n\tfstpt %1" : "=m"(f2_out), "=m"(f_out));

	for (int i = 0; i < 8; i++)
		for (int j = 0; j < (avx ? 4 : 2); j++)
			bad += in[i][j] != out[i][j];
	bad += f_out != f_in;
	bad += f2_out != f2_in;
	return bad;
}

static int worker(int id, double seconds, int avx)
{
	struct timespec start, now;
	unsigned long rounds = 0;
	int bad = 0;

	signal(SIGUSR1, on_signal);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		bad += round_trip(((uint64_t)id << 40) | rounds, avx, rounds % 4, 0);
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (!bad && (now.tv_sec - start.tv_sec) +
			 (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
	printf("# worker %d: %lu rounds, %d signals, %d mismatches\n", id, rounds,
	       (int)signals, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int n = argc > 2 ? atoi(argv[2]) : (int)(2 * ncpu + 1);
	int avx = have_avx(), failed = 0;
	pid_t pids[64];

	if (n > 64)
		n = 64;
	printf("# %d processes on %ld CPUs for %.0f s, %s\n", n, ncpu, seconds,
	       avx ? "x87+YMM" : "x87+XMM");
	printf("%s - the check detects a clobbered register\n",
	       round_trip(1, avx, 1, 1) ? "ok" : "not ok");
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			int ret = worker(i, seconds, avx);

			fflush(stdout);
			_exit(ret);
		}
	}
	/* Signals interrupt the workers at random points of their rounds. */
	for (int k = 0; k < (int)(seconds * 50); k++) {
		usleep(20000);
		kill(pids[k % n], SIGUSR1);
	}
	for (int i = 0; i < n; i++) {
		int status;

		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	printf("%s - %d processes keep x87/%s state across switches and signals\n",
	       failed ? "not ok" : "ok", n, avx ? "YMM" : "XMM");
	return 0;
}
