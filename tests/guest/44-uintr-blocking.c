// SPDX-License-Identifier: GPL-2.0
/*
 * Blocking receivers: uintr_wait(usec, 0) with the WAITING_RECEIVER handler
 * flag (0x1000).  A receiver asleep in uintr_wait is woken by a sender
 * thread and by a sender process: the call returns -1/EINTR with the
 * handler already run (the senders wait until the receiver is seen asleep,
 * state S, so each wake-up comes from the blocked state).  A timeout
 * returns 0, usec = 0 returns 0 at once, and the errors of the ABI.  A
 * send that arrives just before the wait, or at any moment around it, is
 * never lost: the handler runs (before the wait, or when it ends).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include "uintr-test.h"

#define uintr_wait(us, f)	syscall(__NR_uintr_wait, us, f)
#define WAITING_RECEIVER	0x1000
#define LONG_WAIT_US		5000000ULL
#define ROUNDS			50
#define RACE_SENDS		1000

static volatile uint64_t handled;
static volatile uint64_t *done;		/* waits completed, shared with a sender process */
static pid_t rx_pid, rx_tid;
static int rx_fd;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	handled++;
}

/* Send @rounds times on @idx, each once the receiver sleeps; then wait for that wait to end */
static int send_when_asleep(long idx, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		int k;

		for (k = 0; k < 10000 && test_thread_state(rx_pid, rx_tid) != 'S'; k++)
			usleep(1000);
		if (k == 10000)
			return 100 + i;
		_senduipi(idx);
		if (!test_spin_until(done, i + 1, 10000))
			return 200 + i;
	}
	return 0;
}

static void *sender_thread(void *arg)
{
	long idx = uintr_register_sender(rx_fd, 0);

	return (void *)(long)(idx < 0 ? 1 : send_when_asleep(idx, ROUNDS));
}

/* @rounds waits, each must end in EINTR with the handler run */
static int wait_rounds(int rounds, uint64_t *slowest)
{
	uint64_t base = handled;

	*done = 0;
	*slowest = 0;
	for (int i = 0; i < rounds; i++) {
		uint64_t t0 = test_now_us(), us;
		long r;

		errno = 0;
		r = uintr_wait(LONG_WAIT_US, 0);
		us = test_now_us() - t0;
		if (us > *slowest)
			*slowest = us;
		if (r != -1 || errno != EINTR || handled != base + i + 1) {
			printf("# wait %d: returned %ld (%s) after %llu us, %llu handled\n", i, r,
			       strerror(errno), (unsigned long long)us,
			       (unsigned long long)(handled - base));
			return i + 1;
		}
		*done = i + 1;
	}
	return 0;
}

static volatile uint64_t race_sent;
static volatile int race_done, race_lost;

/* Sends at random moments; the next one only after the last was handled */
static void *race_sender(void *arg)
{
	long idx = uintr_register_sender(rx_fd, 0);
	uint64_t base = handled;

	if (idx < 0) {
		race_lost = -1;
		race_done = 1;
		return NULL;
	}
	srand(1);
	for (int i = 0; i < RACE_SENDS; i++) {
		uint64_t end;

		for (volatile int k = rand() % 20000; k > 0; k--)
			;
		race_sent++;
		_senduipi(idx);
		end = test_now_us() + 10000000;
		while (handled - base < race_sent && test_now_us() < end)
			sched_yield();
		if (handled - base < race_sent) {
			race_lost = i + 1;
			break;
		}
	}
	race_done = 1;
	return NULL;
}

int main(void)
{
	uint64_t t0, us, slowest, before;
	int failed, status, self;
	pthread_t t;
	void *ret;
	long idx, r;
	pid_t pid;

	if (!uintr_supported()) {
		printf("not ok - no User Interrupts (the uintr syscalls are ENOSYS)\n");
		return 1;
	}
	errno = 0;
	if (uintr_wait(0, 0) == -1 && errno == ENOSYS) {
		printf("not ok - uintr_wait: ENOSYS (the kernel has no blocking receivers)\n");
		return 1;
	}
	done = mmap(NULL, sizeof(*done), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		    -1, 0);
	rx_pid = getpid();
	rx_tid = gettid();

	/* Errors, in the ABI's order: flags, usec range, usec = 0, handler */
	expect_err(uintr_wait(0, 1), EINVAL, "uintr_wait flags=1");
	expect_err(uintr_wait(1000000001ULL, 0), EINVAL, "uintr_wait usec > 10^9");
	check(uintr_wait(0, 0) == 0, "uintr_wait(0) returns 0 without a handler");
	expect_err(uintr_wait(1000, 0), EOPNOTSUPP, "uintr_wait without a handler");

	check(uintr_register_handler(handler, WAITING_RECEIVER) == 0,
	      "register_handler(WAITING_RECEIVER)");
	expect_err(uintr_wait(1000, WAITING_RECEIVER), EINVAL, "uintr_wait flags=0x1000");
	expect_err(uintr_wait(-1ULL, 0), EINVAL, "uintr_wait usec = -1");
	check(uintr_wait(0, 0) == 0, "uintr_wait(0) returns 0 at once");
	rx_fd = uintr_vector_fd(4, 0);
	self = uintr_register_self(5, 0);
	check(rx_fd >= 0 && self >= 0, "vector fd and self index");
	_stui();

	/* Timeout */
	t0 = test_now_us();
	r = uintr_wait(50000, 0);
	us = test_now_us() - t0;
	check(r == 0 && us >= 50000 && handled == 0, "uintr_wait(50 ms) times out: %ld after %llu us",
	      r, (unsigned long long)us);

	/* Woken by a thread */
	pthread_create(&t, NULL, sender_thread, NULL);
	failed = wait_rounds(ROUNDS, &slowest);
	if (failed)
		pthread_cancel(t);
	pthread_join(t, &ret);
	check(!failed && ret == NULL,
	      "a sender thread wakes uintr_wait %d times: EINTR, handler run (slowest %llu us)",
	      ROUNDS, (unsigned long long)slowest);

	/* Woken by a process */
	idx = uintr_register_sender(rx_fd, 0);
	pid = fork();
	if (pid == 0)
		_exit(idx < 0 ? 1 : send_when_asleep(idx, ROUNDS) ? 2 : 0);
	failed = wait_rounds(ROUNDS, &slowest);
	if (failed)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	check(!failed && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a sender process wakes uintr_wait %d times: EINTR, handler run (slowest %llu us)",
	      ROUNDS, (unsigned long long)slowest);

	/* A send just before the wait, UIF set: the handler runs first, once */
	before = handled;
	_senduipi(self);
	t0 = test_now_us();
	r = uintr_wait(200000, 0);
	us = test_now_us() - t0;
	test_spin_until(&handled, before + 1, 5000);
	printf("# send before the wait (UIF=1): wait returned %ld after %llu us\n", r,
	       (unsigned long long)us);
	check(handled == before + 1, "a send before the wait is handled once (UIF=1)");

	/* ... and with UIF clear: pending across the wait, handled once STUI */
	before = handled;
	_clui();
	_senduipi(self);
	t0 = test_now_us();
	errno = 0;
	r = uintr_wait(200000, 0);
	us = test_now_us() - t0;
	printf("# send before the wait (UIF=0): wait returned %ld (%s) after %llu us\n", r,
	       r ? strerror(errno) : "timeout", (unsigned long long)us);
	check(handled == before, "nothing is delivered with UIF clear");
	_stui();
	test_spin_until(&handled, before + 1, 5000);
	check(handled == before + 1, "the pending send is handled after STUI, once");

	/* Sends at random moments around the waits: none lost */
	{
		long eintr = 0, timeouts = 0, other = 0;

		pthread_create(&t, NULL, race_sender, NULL);
		while (!race_done) {
			errno = 0;
			r = uintr_wait(20000, 0);
			if (r == 0)
				timeouts++;
			else if (errno == EINTR)
				eintr++;
			else
				other++;
		}
		pthread_join(t, NULL);
		printf("# %d racing sends: %ld waits woken, %ld timed out\n", RACE_SENDS, eintr,
		       timeouts);
		check(race_lost == 0 && race_sent == RACE_SENDS && other == 0,
		      "sends racing with uintr_wait are all handled (%llu sent, lost at %d)",
		      (unsigned long long)race_sent, race_lost);
	}

	_clui();
	check(uintr_unregister_handler(0) == 0, "unregister_handler");
	return test_failures ? 1 : 0;
}
