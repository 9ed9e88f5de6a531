// SPDX-License-Identifier: GPL-2.0
/*
 * pingpong ROUNDS [RESULT-FILE]: a user-interrupt ping-pong between two threads, built on the
 * host as an ordinary dynamically linked program and run in the VM by 'make run'.  Thread A
 * writes message i into a shared slot and sends a user interrupt to B; B's handler counts it,
 * B checks the slot and answers with the message's complement; A checks the answer.  Every
 * message is verified at both ends.  Prints one line with the round trips and the rate, writes
 * the same line into RESULT-FILE (default pingpong.result in the current directory), and exits
 * 0 only when every round trip was verified.  A line on stderr tells the harness that stderr
 * arrives separately.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86gprintrin.h>

#define NR_uintr_register_handler	471
#define NR_uintr_vector_fd		473
#define NR_uintr_register_sender	474

static volatile uint64_t irqs[2], slot;
static volatile int fds[2];
static int failed;
static long rounds;

__attribute__((interrupt, target("general-regs-only"), optimize("no-shrink-wrap")))
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	irqs[vector]++;
}

static void wait_for(int me, uint64_t n)
{
	for (unsigned int spins = 0; irqs[me] < n; spins++)
		if (spins > 100000)
			sched_yield();	/* one vCPU: let the other thread run */
}

static int setup(int me)
{
	if (syscall(NR_uintr_register_handler, handler, 0) < 0)
		return -1;
	fds[me] = syscall(NR_uintr_vector_fd, me, 0);
	return fds[me] < 0 ? -1 : 0;
}

static void *party_b(void *arg)
{
	int idx;

	if (setup(1) < 0) {
		perror("pingpong: thread B");
		exit(2);
	}
	_stui();
	while (!fds[0])
		;
	idx = syscall(NR_uintr_register_sender, fds[0], 0);
	for (long i = 1; i <= rounds; i++) {
		wait_for(1, i);
		if (slot != (uint64_t)i)
			failed++;
		slot = ~(uint64_t)i;
		_senduipi(idx);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *path = argc > 2 ? argv[2] : "pingpong.result";
	struct timespec t0, t1;
	pthread_t b;
	char line[200];
	double s;
	FILE *f;
	int idx;

	rounds = argc > 1 ? atol(argv[1]) : 100000;
	if (syscall(NR_uintr_register_handler, handler, 0) < 0) {
		fprintf(stderr, "pingpong: uintr_register_handler: %s\n", strerror(errno));
		return 2;
	}
	pthread_create(&b, NULL, party_b, NULL);
	while (!fds[1])
		;
	idx = syscall(NR_uintr_register_sender, fds[1], 0);
	fds[0] = syscall(NR_uintr_vector_fd, 0, 0);
	if (idx < 0 || fds[0] < 0) {
		fprintf(stderr, "pingpong: uintr set-up: %s\n", strerror(errno));
		return 2;
	}
	_stui();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 1; i <= rounds; i++) {
		slot = i;
		_senduipi(idx);
		wait_for(0, i);
		if (slot != ~(uint64_t)i)
			failed++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(b, NULL);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	snprintf(line, sizeof(line), "pingpong: %ld round trips, %ld verified, %.0f msg/s\n",
		 rounds, failed ? rounds - failed : rounds, rounds / s);
	fputs(line, stdout);
	fputs("pingpong: this line goes to stderr\n", stderr);
	f = fopen(path, "w");
	if (!f || fputs(line, f) < 0 || fclose(f)) {
		fprintf(stderr, "pingpong: %s: %s\n", path, strerror(errno));
		return 3;
	}
	return failed ? 1 : 0;
}
