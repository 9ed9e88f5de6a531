// SPDX-License-Identifier: GPL-2.0
/*
 * uintr_wait() must not lose a send that lands while the receiver enters
 * the call (issue 12, defect 2).  A notification processed in ring 0 moves
 * the posted vector into UIRR; if that happens after the kernel looked at
 * UIRR and before it switched the UPID to the kernel vector, nothing wakes
 * the receiver and it sleeps its whole timeout.
 *
 * Each round the receiver, UIF clear, releases a sender thread and calls
 * uintr_wait(1 s) at once; the sender spins a delay swept from 0 to
 * 200 us (20 sweeps of 1000 rounds) and sends.  Wherever the send lands (user mode before the call:
 * pending in UIRR; inside the call; during the sleep), the wait must end
 * with EINTR well before its timeout, and after STUI the handler runs
 * exactly once.  With UIF clear a pending interrupt ends uintr_wait(), so
 * a send that arrives before the call cannot make a round sleep either.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include "uintr-test.h"

#define uintr_wait(us, f)	syscall(__NR_uintr_wait, us, f)
#define WAITING_RECEIVER	0x1000
#define ROUNDS			20000
#define SWEEP_STEPS		1000	/* delays per sweep; ROUNDS / SWEEP_STEPS sweeps */
#define SWEEP_NS		200000ULL
#define TIMEOUT_US		1000000ULL
#define SLOW_US			(TIMEOUT_US / 2)
#define MAX_LOST		3	/* stop early: each lost round costs the timeout */

static volatile uint64_t handled;
static volatile int go, sent, stop;
static int ncpus;
static long idx;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	handled++;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * 0 to 200 us, quadratically: the steps are finest at the start, where
 * the send meets the receiver's system call entry (a third of each sweep
 * is below 20 us, in steps of about 60 ns).
 */
static uint64_t round_delay_ns(int round)
{
	uint64_t k = round % SWEEP_STEPS;

	return k * k * SWEEP_NS / (SWEEP_STEPS * SWEEP_STEPS);
}

static void *sender(void *arg)
{
	for (int r = 1; r <= ROUNDS; r++) {
		uint64_t t0;

		while (go < r) {
			if (stop)
				return NULL;
			if (ncpus == 1)
				sched_yield();
		}
		t0 = now_ns();
		while (now_ns() - t0 < round_delay_ns(r))
			;
		_senduipi(idx);
		sent = r;
	}
	return NULL;
}

int main(void)
{
	uint64_t slowest = 0, total_us = 0, t0, us;
	int lost = 0, bad = 0, early = 0, fd;
	pthread_t t;
	long r;

	if (!uintr_supported()) {
		printf("not ok - no User Interrupts (the uintr syscalls are ENOSYS)\n");
		return 1;
	}
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	check(uintr_register_handler(handler, WAITING_RECEIVER) == 0,
	      "register_handler(WAITING_RECEIVER)");
	fd = uintr_vector_fd(7, 0);
	idx = uintr_register_sender(fd, 0);
	check(fd >= 0 && idx >= 0, "vector fd and sender index");

	_clui();
	pthread_create(&t, NULL, sender, NULL);
	for (int i = 1; i <= ROUNDS && lost < MAX_LOST && bad < MAX_LOST; i++) {
		go = i;
		t0 = now_ns();
		errno = 0;
		r = uintr_wait(TIMEOUT_US, 0);
		us = (now_ns() - t0) / 1000;
		total_us += us;
		slowest = us > slowest ? us : slowest;
		if (r != -1 || errno != EINTR || us >= SLOW_US) {
			printf("# round %d (send after %llu ns): uintr_wait returned %ld (%s) after %llu us\n",
			       i, (unsigned long long)round_delay_ns(i), r,
			       r ? strerror(errno) : "timeout", (unsigned long long)us);
			lost++;
		}
		/* The send has happened (or comes now, for a lost round) */
		while (sent < i)
			if (ncpus == 1)
				sched_yield();
		if (handled != (uint64_t)i - 1)
			early++;
		_stui();
		t0 = now_ns();
		while (handled < (uint64_t)i && now_ns() - t0 < 5000000000ULL)
			;
		_clui();
		if (handled != (uint64_t)i) {
			printf("# round %d: %llu handled after STUI, want %d\n", i,
			       (unsigned long long)handled, i);
			bad++;
		}
	}
	stop = 1;
	pthread_join(t, NULL);
	printf("# %d rounds, delays 0-%llu ns: slowest wait %llu us, mean %llu us\n",
	       sent, SWEEP_NS, (unsigned long long)slowest,
	       (unsigned long long)(total_us / (sent ? sent : 1)));
	check(lost == 0 && sent == ROUNDS,
	      "%d rounds: no uintr_wait(%llu us) misses a send that lands as it is entered (%d missed)",
	      ROUNDS, TIMEOUT_US, lost);
	check(bad == 0 && early == 0,
	      "each send handled once, only after STUI (%d wrong counts, %d handled with UIF=0)",
	      bad, early);
	check(uintr_unregister_handler(0) == 0, "unregister_handler");
	return test_failures ? 1 : 0;
}
