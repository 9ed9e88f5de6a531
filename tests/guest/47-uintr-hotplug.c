// SPDX-License-Identifier: GPL-2.0
/*
 * A CPU goes offline while receivers sleep in uintr_wait() on it (issue
 * 12, defect 4).  A sender's kernel-vector IPI goes to the CPU its
 * receiver sleeps on (UPID.NDST); once that CPU is offline the IPI is
 * lost, and the receiver sleeps its whole timeout unless the kernel moved
 * it to a live CPU when the CPU went down.
 *
 * Each round picks a CPU T other than CPU 0 (in turn), pins RECEIVERS
 * receiver threads to T, waits until all of them sleep in
 * uintr_wait(TIMEOUT), and offlines T.  A sender thread on CPU 0 sends to
 * each receiver: in odd rounds once T is offline, in even rounds while
 * it goes offline, after a delay swept from 0 to 1.2 times the time the
 * last offlining took, so that the sends land before, during and after
 * the CPU dies.  Every receiver must be woken by its send, well before
 * its timeout, with its handler run exactly once; then T comes back
 * online.  Needs 2 CPUs.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include "uintr-test.h"

#define uintr_wait(us, f)	syscall(__NR_uintr_wait, us, f)
#define RECEIVERS		3
#define ROUNDS			60
#define TIMEOUT_US		3000000ULL
#define SLOW_US			(TIMEOUT_US / 2)

struct receiver {
	pthread_t		thread;
	volatile pid_t		tid;
	volatile int		ready;		/* round it is about to wait in */
	volatile int		done;		/* round whose wait returned */
	volatile long		ret;
	volatile int		err;
	volatile uint64_t	us;
	int			fd;
	long			idx;
};

static struct receiver rx[RECEIVERS];
static volatile uint64_t handled[RECEIVERS];
static volatile int round_no, target, send_round, offline_done, stop;
static volatile uint64_t offline_us = 50000;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	handled[vector]++;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int set_online(int cpu, int on)
{
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, on ? "1" : "0", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static void *receiver(void *arg)
{
	struct receiver *r = arg;
	int v = r - rx;

	r->tid = syscall(SYS_gettid);
	if (uintr_register_handler(handler, 0) < 0)
		return NULL;
	r->fd = uintr_vector_fd(v, 0);
	_stui();
	for (int i = 1; i <= ROUNDS && !stop; i++) {
		uint64_t t0;

		while (round_no < i) {
			if (stop)
				return NULL;
			sched_yield();
		}
		pin(target);
		r->ready = i;
		t0 = test_now_us();
		errno = 0;
		r->ret = uintr_wait(TIMEOUT_US, 0);
		r->err = errno;
		r->us = test_now_us() - t0;
		r->done = i;
	}
	return NULL;
}

static void *sender(void *arg)
{
	pin(0);
	for (int i = 1; i <= ROUNDS; i++) {
		uint64_t t0, delay = offline_us * 12 / 10 * ((i / 2) % 20) / 19;

		while (send_round < i) {
			if (stop)
				return NULL;
			sched_yield();
		}
		if (i % 2) {
			while (offline_done < i)
				if (stop)
					return NULL;
		} else {
			t0 = test_now_us();
			while (test_now_us() - t0 < delay)
				;
		}
		for (int k = 0; k < RECEIVERS; k++)
			_senduipi(rx[k].idx);
	}
	return NULL;
}

int main(void)
{
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	int lost = 0, bad = 0, hp_fail = 0, rounds = 0;
	uint64_t slowest = 0;
	pthread_t snd;

	if (!uintr_supported()) {
		printf("not ok - no User Interrupts (the uintr syscalls are ENOSYS)\n");
		return 1;
	}
	if (ncpus < 2) {
		printf("ok - receivers on a CPU that goes offline # SKIP needs 2 CPUs, have %d\n", ncpus);
		return 0;
	}
	if (access("/sys/devices/system/cpu/cpu1/online", W_OK)) {
		printf("not ok - /sys/devices/system/cpu/cpu1/online is not writable (CONFIG_HOTPLUG_CPU)\n");
		return 1;
	}
	pin(0);
	target = 1;
	for (int k = 0; k < RECEIVERS; k++) {
		rx[k].fd = -1;
		pthread_create(&rx[k].thread, NULL, receiver, &rx[k]);
		while (rx[k].fd < 0 && !rx[k].done)
			usleep(1000);
		rx[k].idx = uintr_register_sender(rx[k].fd, 0);
	}
	check(rx[0].idx >= 0 && rx[RECEIVERS - 1].idx >= 0, "%d receivers, a sender index for each",
	      RECEIVERS);
	pthread_create(&snd, NULL, sender, NULL);

	for (int i = 1; i <= ROUNDS && lost < 2 * RECEIVERS && !hp_fail; i++) {
		uint64_t t0;

		target = 1 + (i - 1) % (ncpus - 1);
		round_no = i;
		/* Every receiver asleep in uintr_wait() on the target CPU */
		for (int k = 0; k < RECEIVERS; k++) {
			while (rx[k].ready < i)
				sched_yield();
			t0 = test_now_us();
			while (test_thread_state(getpid(), rx[k].tid) != 'S' &&
			       test_now_us() - t0 < 2000000)
				sched_yield();
		}
		send_round = i;
		t0 = test_now_us();
		if (set_online(target, 0)) {
			printf("# round %d: offlining CPU %d failed: %s\n", i, target, strerror(errno));
			hp_fail++;
		}
		offline_us = test_now_us() - t0;
		offline_done = i;
		t0 = test_now_us();
		for (int k = 0; k < RECEIVERS; k++)
			while (rx[k].done < i && test_now_us() - t0 < TIMEOUT_US + 2000000)
				sched_yield();
		for (int k = 0; k < RECEIVERS; k++) {
			struct receiver *r = &rx[k];

			if (r->done < i || r->ret != -1 || r->err != EINTR || r->us >= SLOW_US) {
				printf("# round %d, CPU %d, receiver %d: uintr_wait returned %ld (%s) after %llu us\n",
				       i, target, k, r->done < i ? 0L : r->ret,
				       r->done < i ? "still asleep" : r->ret ? strerror(r->err) : "timeout",
				       (unsigned long long)r->us);
				lost++;
			}
			slowest = r->us > slowest ? r->us : slowest;
			t0 = test_now_us();
			while (handled[k] < (uint64_t)i && test_now_us() - t0 < 1000000)
				sched_yield();
			if (handled[k] != (uint64_t)i) {
				printf("# round %d, receiver %d: handler ran %llu times, want %d\n",
				       i, k, (unsigned long long)handled[k], i);
				bad++;
			}
		}
		if (set_online(target, 1)) {
			printf("# round %d: onlining CPU %d failed: %s\n", i, target, strerror(errno));
			hp_fail++;
		}
		rounds = i;
	}
	stop = 1;
	printf("# %d rounds, %d receivers each, sends after or up to %llu us into the offlining: slowest wake %llu us\n",
	       rounds, RECEIVERS, (unsigned long long)offline_us * 12 / 10,
	       (unsigned long long)slowest);
	check(!hp_fail, "CPUs 1-%d offlined and onlined again each round", ncpus - 1);
	check(lost == 0 && rounds == ROUNDS,
	      "%d rounds: every receiver asleep on a CPU going offline is woken by its send (%d slept)",
	      ROUNDS, lost);
	check(bad == 0, "each send handled exactly once (%d wrong counts)", bad);
	for (int c = 1; c < ncpus; c++)
		set_online(c, 1);
	_exit(test_failures ? 1 : 0);
}
