// SPDX-License-Identifier: GPL-2.0
/*
 * A vector fd does not keep its receiver's task_struct (issue 12, defect
 * 6).  NTHREADS threads each register a handler, make a vector fd and
 * exit; the process keeps the fds.  Once the threads are gone, the number
 * of task_structs in use (/sys/kernel/slab/task_struct/objects) must be
 * back near where it started: before the fix each fd pinned its exited
 * receiver, NTHREADS task_structs in all.  The fds still work as far as
 * they can: fdinfo names receiver 0 (it has exited), and a sender may not
 * register (ESHUTDOWN).  Closing them ends the UPIDs.
 *
 * The test runs ROUNDS times, and every round must pass.  On the KASAN
 * kernel of make test-kasan (uintr.kasan=1 on the command line), freed
 * objects wait in KASAN's quarantine and still count as in use, so the
 * count is only reported there; what that run checks is that nothing
 * touches an exited receiver.
 */
#include <pthread.h>
#include <stdlib.h>
#include "uintr-test.h"

#define NTHREADS	256
#define ROUNDS		4
#define OBJECTS		"/sys/kernel/slab/task_struct/objects"

static int fds[NTHREADS];

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
}

static int kasan_kernel(void)
{
	char buf[1024] = "";
	int fd = open("/proc/cmdline", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) < 0)
			buf[0] = 0;
		close(fd);
	}
	return strstr(buf, "uintr.kasan=1") != NULL;
}

/* Exited tasks are freed after an RCU grace period: wait for the count to settle */
static long settled_task_structs(long target)
{
	long n = read_number(OBJECTS);
	int i;

	for (i = 0; i < 100 && n > target; i++) {
		usleep(20000);
		n = read_number(OBJECTS);
	}
	return n;
}

static void *receiver(void *arg)
{
	long i = (long)arg;

	fds[i] = -1;
	if (uintr_register_handler(handler, 0) == 0)
		fds[i] = uintr_vector_fd(i % 64, 0);
	return NULL;
}

int main(void)
{
	pthread_t th[NTHREADS];
	long before, held, closed;
	int round, i, made, named, shut;

	if (uintr_register_handler(handler, 0)) {
		printf("ok - # SKIP no user interrupts (%s)\n", strerror(errno));
		return 0;
	}
	uintr_unregister_handler(0);
	if (read_number(OBJECTS) < 0) {
		check(0, "read %s (%s)", OBJECTS, strerror(errno));
		return 1;
	}

	for (round = 0; round < ROUNDS; round++) {
		before = settled_task_structs(0);
		for (i = 0; i < NTHREADS; i++)
			if (pthread_create(&th[i], NULL, receiver, (void *)(long)i))
				th[i] = 0;
		for (i = 0; i < NTHREADS; i++)
			if (th[i])
				pthread_join(th[i], NULL);
		held = settled_task_structs(before);

		made = named = shut = 0;
		for (i = 0; i < NTHREADS; i++) {
			if (fds[i] < 0)
				continue;
			made++;
			named += uintr_fd_receiver(fds[i]) == 0;
			errno = 0;
			shut += uintr_register_sender(fds[i], 0) < 0 && errno == ESHUTDOWN;
		}
		check(made == NTHREADS, "round %d: %d of %d exited receivers left a vector fd",
		      round, made, NTHREADS);
		if (kasan_kernel())
			check(1, "# SKIP round %d: %d fds of exited receivers, %ld task_structs more (KASAN quarantine)",
			      round, made, held - before);
		else
			check(held - before < NTHREADS / 4,
			      "round %d: %d fds of exited receivers keep %ld task_structs (want < %d)",
			      round, made, held - before, NTHREADS / 4);
		check(named == made && shut == made,
		      "round %d: fdinfo names receiver 0 for %d, register_sender is ESHUTDOWN for %d of %d",
		      round, named, shut, made);

		for (i = 0; i < NTHREADS; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		closed = settled_task_structs(before);
		printf("# round %d: task_structs %ld at the start, %ld with the fds, %ld after closing\n",
		       round, before, held, closed);
	}
	return test_failures ? 1 : 0;
}
