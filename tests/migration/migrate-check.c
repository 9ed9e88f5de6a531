// SPDX-License-Identifier: GPL-2.0
/*
 * migrate-check SCENARIO: a user-interrupt scenario that the host saves to a file and resumes
 * in a new QEMU in its middle (scripts/test-migration).  Each scenario prints "# migrate-now"
 * when it has reached the state to be migrated, keeps that state for a few seconds while the
 * host saves the VM, then finishes and checks that nothing was lost and nothing duplicated.
 *   pingpong  two threads exchange verified messages with user interrupts, 8 s
 *   wait      a receiver blocked in uintr_wait() (WAITING_RECEIVER) is woken after the save
 *   uirr      a receiver with UIF = 0 holds a pending UIRR bit across the save; STUI delivers it
 *             exactly once
 *   desched   the descheduled-receiver stress: more busy threads than vCPUs, every send handled
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include "uintr-test.h"

#define WAITING_RECEIVER	0x1000
#define uintr_wait(us, f)	syscall(__NR_uintr_wait, us, f)

static volatile uint64_t handled[64], slot;
static volatile int fd_a = -1, fd_b = -1, stop;
static long failed;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	handled[vector]++;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void migrate_point(void)
{
	printf("# migrate-now\n");
	fflush(stdout);
}

static void spin_for(volatile uint64_t *p, uint64_t n)
{
	for (unsigned int i = 0; *p < n; i++)
		if (i > 100000)
			sched_yield();
}

/* pingpong: A (main) sends message i, B checks it and answers ~i, A checks the answer */
static void *pong(void *arg)
{
	int idx;

	check(uintr_register_handler(handler, 0) == 0, "B: register_handler");
	fd_b = uintr_vector_fd(1, 0);
	_stui();
	while (fd_a < 0)
		;
	idx = uintr_register_sender(fd_a, 0);
	for (uint64_t i = 1;; i++) {
		spin_for(&handled[1], i);
		if (stop)
			break;
		if (slot != i)
			failed++;
		slot = ~i;
		_senduipi(idx);
	}
	return NULL;
}

static int pingpong(void)
{
	double t0, marked = 0;
	pthread_t b;
	uint64_t i;
	int idx;

	check(uintr_register_handler(handler, 0) == 0, "A: register_handler");
	pthread_create(&b, NULL, pong, NULL);
	while (fd_b < 0)
		;
	idx = uintr_register_sender(fd_b, 0);
	fd_a = uintr_vector_fd(0, 0);
	_stui();
	t0 = now();
	for (i = 1; now() - t0 < 8; i++) {
		slot = i;
		_senduipi(idx);
		spin_for(&handled[0], i);
		if (slot != ~i)
			failed++;
		if (!marked && now() - t0 > 1) {
			migrate_point();
			marked = now();
		}
	}
	stop = 1;
	_senduipi(idx);		/* B leaves its loop on this one */
	pthread_join(b, NULL);
	i--;
	check(failed == 0 && handled[0] == i,
	      "migration during a uintr ping-pong: %llu round trips, %ld bad, A handled %llu",
	      (unsigned long long)i, failed, (unsigned long long)handled[0]);
	return 0;
}

/* wait: the main thread blocks in uintr_wait(); a sender thread wakes it after the save */
static void *waker(void *arg)
{
	int idx = uintr_register_sender(fd_a, 0);
	double t0 = now();

	migrate_point();
	/* the receiver is asleep now; the host saves the VM during these 3 s */
	while (now() - t0 < 3)
		usleep(10000);
	_senduipi(idx);
	return NULL;
}

static int wait_scenario(void)
{
	pthread_t t;
	long r;
	double t0;

	check(uintr_register_handler(handler, WAITING_RECEIVER) == 0, "register_handler(WAITING)");
	fd_a = uintr_vector_fd(5, 0);
	_stui();
	pthread_create(&t, NULL, waker, NULL);
	t0 = now();
	r = uintr_wait(30 * 1000000ULL, 0);
	pthread_join(t, NULL);
	check(r == -1 && errno == EINTR && handled[5] == 1 && now() - t0 < 25,
	      "migration of a receiver blocked in uintr_wait: woken once (ret %ld, handled %llu, %.1f s)",
	      r, (unsigned long long)handled[5], now() - t0);
	return 0;
}

/* uirr: a pending user interrupt with UIF = 0 survives the save, and is delivered once */
static int uirr_scenario(void)
{
	int self;
	double t0;

	check(uintr_register_handler(handler, 0) == 0, "register_handler");
	self = uintr_register_self(9, 0);
	check(self >= 0, "register_self");
	_clui();
	_senduipi(self);
	for (volatile int i = 0; i < 1000000; i++)
		;
	check(handled[9] == 0, "UIF = 0: the self-sent interrupt stays pending");
	migrate_point();
	t0 = now();
	while (now() - t0 < 3)
		;	/* spin with UIF = 0 while the host saves the VM */
	check(handled[9] == 0, "UIF = 0 after the resume: still pending, not delivered");
	_stui();
	for (volatile int i = 0; i < 1000000 && !handled[9]; i++)
		;
	for (volatile int i = 0; i < 1000000; i++)
		;
	check(handled[9] == 1, "migration with a pending UIRR bit: delivered exactly once after STUI (%llu)",
	      (unsigned long long)handled[9]);
	return 0;
}

/*
 * desched: a receiver that is descheduled loses no user interrupt, across the save.  More busy
 * threads than vCPUs keep every CPU contended; the receiver spins with UIF = 1 but also yields
 * and sleeps.  The sender cycles through 64 vectors and reuses a vector only once its previous
 * send was handled, so no two sends coalesce and handled == sent exactly.
 */
#define SENDS 100000
static volatile uint64_t sent[64];
static volatile int rx_ready;
static int rx_fd[64];

static void *busy(void *arg)
{
	while (!stop)
		;
	return NULL;
}

static void *receiver(void *arg)
{
	check(uintr_register_handler(handler, 0) == 0, "receiver: register_handler");
	for (int v = 0; v < 64; v++)
		rx_fd[v] = uintr_vector_fd(v, 0);
	rx_ready = 1;
	_stui();
	for (unsigned long i = 0; !stop; i++) {
		if (i % 4096 == 0)
			sched_yield();
		if (i % 65536 == 0)
			usleep(100);
	}
	return NULL;
}

static int desched_scenario(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nbusy = 2 * ncpu + 1 > 16 ? 16 : 2 * ncpu + 1;
	pthread_t rx, b[16];
	int idx[64];
	uint64_t total = 0;
	double end;

	pthread_create(&rx, NULL, receiver, NULL);
	for (int i = 0; i < nbusy; i++)
		pthread_create(&b[i], NULL, busy, NULL);
	while (!rx_ready)
		sched_yield();
	for (int v = 0; v < 64; v++)
		idx[v] = uintr_register_sender(rx_fd[v], 0);
	for (int n = 0; n < SENDS; n++) {
		int v = n % 64;

		end = now() + 10;
		while (handled[v] != sent[v] && now() < end)
			sched_yield();
		sent[v]++;
		_senduipi(idx[v]);
		if (n == SENDS / 2)
			migrate_point();
	}
	end = now() + 10;
	for (int v = 0; v < 64; v++)
		while (handled[v] != sent[v] && now() < end)
			sched_yield();
	stop = 1;
	pthread_join(rx, NULL);
	for (int i = 0; i < nbusy; i++)
		pthread_join(b[i], NULL);
	for (int v = 0; v < 64; v++)
		total += handled[v];
	check(total == SENDS, "migration during the descheduled-receiver stress: %d sent, %llu handled",
	      SENDS, (unsigned long long)total);
	return 0;
}

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!uintr_supported()) {
		printf("not ok - uintr is not in /proc/cpuinfo\n");
		return 1;
	}
	if (!strcmp(s, "pingpong"))
		pingpong();
	else if (!strcmp(s, "wait"))
		wait_scenario();
	else if (!strcmp(s, "uirr"))
		uirr_scenario();
	else if (!strcmp(s, "desched"))
		desched_scenario();
	else {
		printf("not ok - migrate-check: unknown scenario '%s'\n", s);
		return 1;
	}
	printf("# migrate-check %s done\n", s);
	return test_failures ? 1 : 0;
}
