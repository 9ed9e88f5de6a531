// SPDX-License-Identifier: GPL-2.0
/*
 * No user interrupt for the CQEs of a ring that is being torn down (issue
 * 12, defect 8).  When the last reference to a ring goes away, its exit
 * work cancels what is still in flight and posts a CQE for each request,
 * to a CQ that nobody can read any more: its receiver must not be
 * interrupted for them.
 *
 * Each round sets up a ring, registers this thread as its user-interrupt
 * receiver, submits TIMEOUTS long timeouts and READS reads from an empty
 * pipe, checks that one NOP does interrupt (the notifier works), closes
 * the ring and then runs with UIF set for WATCH_MS: the handler must not
 * run again.  Usage: 63-uring-uintr-exit [rounds]   (default 300)
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "uintr-test.h"
#include "uring-lite.h"

#define VECTOR		9
#define TIMEOUTS	8
#define READS		8
#define WATCH_MS	50

static volatile uint64_t handled;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	handled++;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 300;
	struct __kernel_timespec ts = { .tv_sec = 100 };
	int vec_fd, pipefd[2], late = 0, late_rounds = 0, broken = 0, done = 0;
	static char buf[READS][64];

	if (!uintr_supported()) {
		printf("not ok - uintr is not in /proc/cpuinfo\n");
		return 1;
	}
	check(uintr_register_handler(handler, 0) == 0, "uintr_register_handler");
	vec_fd = uintr_vector_fd(VECTOR, 0);
	check(vec_fd >= 0 && pipe(pipefd) == 0, "vector fd and an empty pipe");
	_stui();

	for (int r = 0; r < rounds && !broken; r++) {
		struct io_uring_params p = { 0 };
		struct ulring ring;
		uint64_t before, t0;

		if (ulr_init(&ring, 32, &p) || ulr_register_uintr(&ring, vec_fd)) {
			printf("# round %d: ring set-up: %s\n", r, strerror(errno));
			broken++;
			break;
		}
		for (int i = 0; i < TIMEOUTS; i++)
			ulr_prep_timeout(ulr_get_sqe(&ring), &ts, 0, 100 + i);
		for (int i = 0; i < READS; i++)
			ulr_prep_read(ulr_get_sqe(&ring), pipefd[0], buf[i], sizeof(buf[i]), 0, 200 + i);
		before = handled;
		ulr_prep_nop(ulr_get_sqe(&ring), 1);
		if (ulr_submit(&ring) != TIMEOUTS + READS + 1) {
			printf("# round %d: submit: %s\n", r, strerror(errno));
			broken++;
		}
		t0 = test_now_us();
		while (handled == before && test_now_us() - t0 < 2000000)
			;
		if (handled == before) {
			printf("# round %d: no user interrupt for the NOP\n", r);
			broken++;
		}
		/* Tear the ring down with the timeouts and reads in flight */
		before = handled;
		ulr_exit(&ring);
		t0 = test_now_us();
		while (test_now_us() - t0 < WATCH_MS * 1000)
			;
		if (handled != before) {
			if (late_rounds < 5)
				printf("# round %d: %llu user interrupts after the ring was closed\n",
				       r, (unsigned long long)(handled - before));
			late += handled - before;
			late_rounds++;
		}
		done++;
	}
	printf("# %d rounds of %d timeouts + %d pipe reads cancelled by the ring's exit\n",
	       done, TIMEOUTS, READS);
	check(!broken, "each round's ring notified its receiver of a NOP");
	check(late_rounds == 0 && done == rounds,
	      "%d rounds: no user interrupt once the ring is closed (%d in %d rounds)",
	      rounds, late, late_rounds);
	check(uintr_unregister_handler(0) == 0, "unregister_handler");
	return test_failures ? 1 : 0;
}
