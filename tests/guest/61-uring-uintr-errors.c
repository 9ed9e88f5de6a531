// SPDX-License-Identifier: GPL-2.0
/*
 * IORING_REGISTER_UINTR / IORING_UNREGISTER_UINTR error codes: EBADF for a
 * descriptor that is not open, EINVAL for one that is not a vector fd (an
 * eventfd, a pipe, the ring itself), for nr_args != 1 and a NULL argument,
 * EFAULT for a bad pointer, EBUSY when a receiver is registered already,
 * ENXIO to unregister none, EINVAL for unregister arguments, EINVAL on a
 * DEFER_TASKRUN ring.  Registration works again after an unregister,
 * interrupts stop after it, and the registration keeps the receiver after
 * the vector fd is closed.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include "uintr-test.h"
#include "uring-lite.h"

static struct ulring ring;
static volatile uint64_t calls, reaped;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	unsigned int tail = __atomic_load_n(ring.cq_tail, __ATOMIC_ACQUIRE);

	calls++;
	reaped += tail - *ring.cq_head;
	__atomic_store_n(ring.cq_head, tail, __ATOMIC_RELEASE);
}

static int reg(int ring_fd, void *arg, unsigned int nr)
{
	return ulr_register(ring_fd, IORING_REGISTER_UINTR, arg, nr);
}

static int unreg(int ring_fd, void *arg, unsigned int nr)
{
	return ulr_register(ring_fd, IORING_UNREGISTER_UINTR, arg, nr);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Spin (user mode only) up to @ms for the handler to have reaped @n CQEs */
static int wait_reaped(uint64_t n, int ms)
{
	uint64_t end = now_ns() + ms * 1000000ULL;

	while (reaped < n && now_ns() < end)
		;
	return reaped >= n;
}

/* Submit @n NOPs on the plain ring; completions are posted inline */
static int submit_nops(int n)
{
	for (int i = 0; i < n; i++)
		ulr_prep_nop(ulr_get_sqe(&ring), i);
	return ulr_submit(&ring);
}

int main(void)
{
	int vec_fd, vec_fd2, efd, pfd[2], closed_fd, bad, ret;
	struct io_uring_params p;
	struct ulring dring;
	uint64_t before;

	if (!uintr_supported()) {
		printf("not ok - uintr is not in /proc/cpuinfo\n");
		return 1;
	}
	check(uintr_register_handler(handler, 0) == 0, "uintr_register_handler");
	vec_fd = uintr_vector_fd(9, 0);
	vec_fd2 = uintr_vector_fd(10, 0);
	check(vec_fd >= 0 && vec_fd2 >= 0, "two vector fds");
	if (ulr_init_flags(&ring, 32, 0, 0)) {
		check(0, "io_uring_setup: %s", strerror(errno));
		return 1;
	}
	_stui();

	/* Wrong descriptors and arguments */
	expect_err(unreg(ring.fd, NULL, 0), ENXIO, "unregister with none registered");
	closed_fd = dup(vec_fd);
	close(closed_fd);
	expect_err(reg(ring.fd, &closed_fd, 1), EBADF, "register a closed fd");
	bad = -1;
	expect_err(reg(ring.fd, &bad, 1), EBADF, "register fd -1");
	efd = eventfd(0, 0);
	expect_err(reg(ring.fd, &efd, 1), EINVAL, "register an eventfd");
	if (pipe(pfd) == 0)
		expect_err(reg(ring.fd, &pfd[0], 1), EINVAL, "register a pipe");
	expect_err(reg(ring.fd, &ring.fd, 1), EINVAL, "register the ring's own fd");
	expect_err(reg(ring.fd, &vec_fd, 0), EINVAL, "register with nr_args 0");
	expect_err(reg(ring.fd, &vec_fd, 2), EINVAL, "register with nr_args 2");
	expect_err(reg(ring.fd, NULL, 1), EINVAL, "register with a NULL argument");
	expect_err(reg(ring.fd, (void *)16, 1), EFAULT, "register with a bad pointer");
	expect_err(reg(efd, &vec_fd, 1), EOPNOTSUPP, "io_uring_register on an eventfd");

	/* No receiver yet: completions raise nothing */
	before = calls;
	submit_nops(4);
	ulr_wait(&ring, 0);
	for (volatile int i = 0; i < 2000000; i++)
		;
	check(calls == before && ulr_cq_ready(&ring) == 4,
	      "no user interrupt before registration (%llu calls)",
	      (unsigned long long)(calls - before));
	*ring.cq_head = *ring.cq_tail;

	/* Register, EBUSY, interrupts flow */
	ret = reg(ring.fd, &vec_fd, 1);
	check(ret == 0, "IORING_REGISTER_UINTR%s%s", ret ? ": " : "", ret ? strerror(errno) : "");
	expect_err(reg(ring.fd, &vec_fd, 1), EBUSY, "register the same fd again");
	expect_err(reg(ring.fd, &vec_fd2, 1), EBUSY, "register a second vector fd");
	expect_err(unreg(ring.fd, &vec_fd, 0), EINVAL, "unregister with a non-NULL argument");
	expect_err(unreg(ring.fd, NULL, 1), EINVAL, "unregister with nr_args 1");
	reaped = 0;
	before = calls;
	submit_nops(4);
	check(wait_reaped(4, 5000) && calls == before + 1,
	      "4 inline NOPs: the handler reaps them (%llu reaped, %llu interrupts)",
	      (unsigned long long)reaped, (unsigned long long)(calls - before));

	/* Unregister: interrupts stop; ENXIO the second time */
	ret = unreg(ring.fd, NULL, 0);
	check(ret == 0, "IORING_UNREGISTER_UINTR%s%s", ret ? ": " : "", ret ? strerror(errno) : "");
	expect_err(unreg(ring.fd, NULL, 0), ENXIO, "unregister twice");
	before = calls;
	reaped = 0;
	submit_nops(4);
	ulr_wait(&ring, 4);
	for (volatile int i = 0; i < 2000000; i++)
		;
	check(calls == before && reaped == 0 && ulr_cq_ready(&ring) == 4,
	      "no user interrupt after unregistering (%llu calls, %u CQEs waiting)",
	      (unsigned long long)(calls - before), ulr_cq_ready(&ring));
	*ring.cq_head = *ring.cq_tail;

	/* Register again, with the other vector */
	ret = reg(ring.fd, &vec_fd2, 1);
	check(ret == 0, "register again after unregister%s%s", ret ? ": " : "",
	      ret ? strerror(errno) : "");
	reaped = 0;
	before = calls;
	submit_nops(3);
	check(wait_reaped(3, 5000) && calls == before + 1,
	      "after re-registering the handler reaps again (%llu reaped, %llu interrupts)",
	      (unsigned long long)reaped, (unsigned long long)(calls - before));

	/* The registration holds the receiver: closing the vector fd keeps it working */
	close(vec_fd2);
	reaped = 0;
	before = calls;
	submit_nops(5);
	check(wait_reaped(5, 5000) && calls == before + 1,
	      "vector fd closed after registering: still notified (%llu reaped, %llu interrupts)",
	      (unsigned long long)reaped, (unsigned long long)(calls - before));
	check(unreg(ring.fd, NULL, 0) == 0, "unregister after the vector fd was closed");
	expect_err(unreg(ring.fd, NULL, 0), ENXIO, "and then ENXIO");

	/* DEFER_TASKRUN rings refuse a receiver */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	if (ulr_init(&dring, 8, &p)) {
		check(0, "DEFER_TASKRUN ring: io_uring_setup: %s", strerror(errno));
	} else {
		expect_err(reg(dring.fd, &vec_fd, 1), EINVAL, "register on a DEFER_TASKRUN ring");
		ulr_exit(&dring);
	}

	/* A ring exits with a receiver registered */
	check(reg(ring.fd, &vec_fd, 1) == 0, "register, then exit the ring");
	ulr_exit(&ring);
	close(vec_fd);
	_clui();
	check(uintr_unregister_handler(0) == 0, "uintr_unregister_handler");
	close(efd);
	return test_failures ? 1 : 0;
}
