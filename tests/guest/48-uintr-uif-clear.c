// SPDX-License-Identifier: GPL-2.0
/*
 * A WAITING_RECEIVER receiver (0x1000) with UIF clear (issue 12, defect 1).
 * A user interrupt is only recognized with UIF = 1, so one that is pending
 * in UIRR, or that arrives, while the receiver runs CLUI leaves its
 * ordinary sleeps alone: nanosleep() and FUTEX_WAIT sleep their whole
 * time, and nothing is delivered until STUI, which delivers it once.
 * uintr_wait() is the exception: it is the receiver's explicit wait for a
 * user interrupt, so a pending or arriving interrupt ends it (EINTR) with
 * UIF clear too, before the handler ran; the handler runs at STUI.  That
 * is what a "CLUI; check the queue; uintr_wait(); STUI" loop needs.  With
 * UIF set, a send wakes an ordinary sleep with EINTR, the handler run.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include "uintr-test.h"

#define uintr_wait(us, f)	syscall(__NR_uintr_wait, us, f)
#define WAITING_RECEIVER	0x1000
#define SLEEPS			10
#define SHORT_MS		20

static volatile uint64_t handled;
static pid_t rx_pid, rx_tid;
static long tx_idx;
static int futex_word;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	handled++;
}

/* Busy-wait (no system call that sleeps) */
static void spin_us(uint64_t us)
{
	uint64_t end = test_now_us() + us;

	while (test_now_us() < end)
		;
}

/* Sends once the receiver sleeps (state S); 0, or 1 if it never slept */
static void *send_when_asleep(void *arg)
{
	int k;

	for (k = 0; k < 10000 && test_thread_state(rx_pid, rx_tid) != 'S'; k++)
		usleep(1000);
	usleep(10000);
	_senduipi(tx_idx);
	return (void *)(long)(k == 10000);
}

static pthread_t start_sender(void)
{
	pthread_t t;

	pthread_create(&t, NULL, send_when_asleep, NULL);
	return t;
}

static long join_sender(pthread_t t)
{
	void *ret;

	pthread_join(t, &ret);
	return (long)ret;
}

/* nanosleep(@ms): 0 or the errno, the time taken in *@us */
static int sleep_ms(int ms, uint64_t *us)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	uint64_t t0 = test_now_us();
	int r = nanosleep(&ts, NULL) ? errno : 0;

	*us = test_now_us() - t0;
	return r;
}

/* FUTEX_WAIT on a word nobody wakes, @ms timeout: the errno, the time in *@us */
static int futex_wait_ms(int ms, uint64_t *us)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	uint64_t t0 = test_now_us();
	int r = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0) ? errno : 0;

	*us = test_now_us() - t0;
	return r;
}

/* uintr_wait(@usec): 0 or the errno, the time in *@us */
static int wait_us(uint64_t usec, uint64_t *us)
{
	uint64_t t0 = test_now_us();
	int r = uintr_wait(usec, 0) ? errno : 0;

	*us = test_now_us() - t0;
	return r;
}

int main(void)
{
	uint64_t us, before, slowest, fastest;
	int fd, self, r, ok_sleeps;
	pthread_t t;
	long bad;

	if (!uintr_supported()) {
		printf("not ok - no User Interrupts (the uintr syscalls are ENOSYS)\n");
		return 1;
	}
	errno = 0;
	if (uintr_wait(0, 0) == -1 && errno == ENOSYS) {
		printf("not ok - uintr_wait: ENOSYS (the kernel has no blocking receivers)\n");
		return 1;
	}
	rx_pid = getpid();
	rx_tid = gettid();

	check(uintr_register_handler(handler, WAITING_RECEIVER) == 0,
	      "register_handler(WAITING_RECEIVER)");
	fd = uintr_vector_fd(3, 0);
	self = uintr_register_self(3, 0);
	tx_idx = uintr_register_sender(fd, 0);
	check(fd >= 0 && self >= 0 && tx_idx >= 0, "vector fd, self index, sender index");

	/* Control, UIF set: a send breaks nanosleep with EINTR, handler run */
	_stui();
	before = handled;
	t = start_sender();
	r = sleep_ms(2000, &us);
	bad = join_sender(t);
	check(!bad && r == EINTR && us < 2000000 && handled == before + 1,
	      "UIF=1: a send wakes nanosleep(2 s): %s after %llu us, %llu handled",
	      r ? strerror(r) : "0", (unsigned long long)us,
	      (unsigned long long)(handled - before));

	/* UIF clear, one interrupt pending in UIRR */
	before = handled;
	_clui();
	_senduipi(self);
	spin_us(2000);
	ok_sleeps = 0;
	fastest = -1ULL;
	slowest = 0;
	for (int i = 0; i < SLEEPS; i++) {
		r = sleep_ms(SHORT_MS, &us);
		if (r == 0 && us >= SHORT_MS * 1000)
			ok_sleeps++;
		else
			printf("# nanosleep %d: %s after %llu us\n", i, r ? strerror(r) : "0",
			       (unsigned long long)us);
		fastest = us < fastest ? us : fastest;
		slowest = us > slowest ? us : slowest;
	}
	check(ok_sleeps == SLEEPS,
	      "UIF=0, one pending: %d of %d nanosleep(%d ms) sleep their time (%llu-%llu us)",
	      ok_sleeps, SLEEPS, SHORT_MS, (unsigned long long)fastest,
	      (unsigned long long)slowest);
	r = futex_wait_ms(SHORT_MS, &us);
	check(r == ETIMEDOUT && us >= SHORT_MS * 1000,
	      "UIF=0, one pending: FUTEX_WAIT(%d ms) times out: %s after %llu us",
	      SHORT_MS, strerror(r), (unsigned long long)us);
	check(handled == before, "UIF=0: nothing delivered during the sleeps");

	/* uintr_wait() with the interrupt pending, UIF clear: ends at once */
	r = wait_us(1000000, &us);
	check(r == EINTR && us < 500000 && handled == before,
	      "UIF=0, one pending: uintr_wait(1 s) ends at once, handler not run: %s after %llu us",
	      r ? strerror(r) : "timeout", (unsigned long long)us);
	_stui();
	test_spin_until(&handled, before + 1, 5000);
	spin_us(2000);
	check(handled == before + 1, "STUI delivers the pending interrupt once (%llu)",
	      (unsigned long long)(handled - before));

	/* UIF clear, nothing pending, a send arrives during nanosleep */
	before = handled;
	_clui();
	t = start_sender();
	r = sleep_ms(300, &us);
	bad = join_sender(t);
	check(!bad && r == 0 && us >= 300000 && handled == before,
	      "UIF=0: a send during nanosleep(300 ms) leaves it alone: %s after %llu us",
	      r ? strerror(r) : "0", (unsigned long long)us);
	r = futex_wait_ms(SHORT_MS, &us);
	check(r == ETIMEDOUT && us >= SHORT_MS * 1000,
	      "UIF=0, the send pending: FUTEX_WAIT(%d ms) times out: %s after %llu us",
	      SHORT_MS, strerror(r), (unsigned long long)us);
	_stui();
	test_spin_until(&handled, before + 1, 5000);
	spin_us(2000);
	check(handled == before + 1, "STUI delivers it once (%llu)",
	      (unsigned long long)(handled - before));

	/* UIF clear, nothing pending, a send arrives during uintr_wait: woken */
	before = handled;
	_clui();
	t = start_sender();
	r = wait_us(5000000, &us);
	bad = join_sender(t);
	check(!bad && r == EINTR && us < 5000000 && handled == before,
	      "UIF=0: a send wakes uintr_wait(5 s), handler not run: %s after %llu us",
	      r ? strerror(r) : "timeout", (unsigned long long)us);
	_stui();
	test_spin_until(&handled, before + 1, 5000);
	spin_us(2000);
	check(handled == before + 1, "STUI delivers it once (%llu)",
	      (unsigned long long)(handled - before));

	_clui();
	check(uintr_unregister_handler(0) == 0, "unregister_handler");
	return test_failures ? 1 : 0;
}
