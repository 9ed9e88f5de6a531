/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uring-lite: the few io_uring helpers the guest tests and benchmarks need,
 * on raw system calls (no liburing).  A ring is set up and mmapped here;
 * submission writes SQEs and publishes the SQ tail; completions are read
 * straight from the mmapped CQ ring (cq_head, cq_tail, cq_mask, cqes), so
 * a user-interrupt handler (general registers only, no calls) can reap
 * them with plain loads and stores: load cq_tail with acquire, read the
 * CQEs from cq_head up to it, store cq_head with release.
 *
 * IORING_REGISTER_UINTR / IORING_UNREGISTER_UINTR are the project's
 * kernel extension (a user interrupt when CQEs are posted); the host's
 * <linux/io_uring.h> may not know them.  They are 62 and 63 on every
 * kernel the series is carried to (31 and up are upstream's from 6.18 on).
 */
#ifndef URING_LITE_H
#define URING_LITE_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/io_uring.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup	425
#define __NR_io_uring_enter	426
#define __NR_io_uring_register	427
#endif

#ifndef IORING_REGISTER_UINTR
#define IORING_REGISTER_UINTR	62
#define IORING_UNREGISTER_UINTR	63
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_SINGLE_ISSUER	(1U << 12)
#define IORING_SETUP_DEFER_TASKRUN	(1U << 13)
#endif

struct ulring {
	int fd;
	unsigned int flags;		/* IORING_SETUP_* */
	unsigned int sq_entries, cq_entries;
	/* SQ ring */
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_flags, *sq_array;
	struct io_uring_sqe *sqes;
	unsigned int sqe_tail;		/* next SQE to fill (not yet published) */
	unsigned int sqe_published;	/* last tail published to the kernel */
	/* CQ ring */
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	/* mappings */
	void *sq_ptr, *cq_ptr;
	size_t sq_len, cq_len, sqes_len;
};

static inline int ulr_setup_raw(unsigned int entries, struct io_uring_params *p)
{
	return syscall(__NR_io_uring_setup, entries, p);
}

static inline int ulr_enter(int fd, unsigned int to_submit, unsigned int min_complete,
			    unsigned int flags)
{
	return syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, NULL, 0);
}

static inline int ulr_register(int fd, unsigned int opcode, void *arg, unsigned int nr)
{
	return syscall(__NR_io_uring_register, fd, opcode, arg, nr);
}

/* Register the receiver of vector fd @vec_fd: returns 0 or -1 with errno */
static inline int ulr_register_uintr(struct ulring *r, int vec_fd)
{
	return ulr_register(r->fd, IORING_REGISTER_UINTR, &vec_fd, 1);
}

static inline int ulr_unregister_uintr(struct ulring *r)
{
	return ulr_register(r->fd, IORING_UNREGISTER_UINTR, NULL, 0);
}

static inline void ulr_unmap(struct ulring *r)
{
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_len);
	if (r->cq_ptr && r->cq_ptr != MAP_FAILED && r->cq_ptr != r->sq_ptr)
		munmap(r->cq_ptr, r->cq_len);
	if (r->sq_ptr && r->sq_ptr != MAP_FAILED)
		munmap(r->sq_ptr, r->sq_len);
	r->sqes = NULL;
	r->sq_ptr = r->cq_ptr = NULL;
}

/*
 * Set up a ring of @entries SQEs (CQ twice that unless @p asks otherwise)
 * with the flags and fields of @p.  Returns 0, or -1 with errno set.
 */
static inline int ulr_init(struct ulring *r, unsigned int entries, struct io_uring_params *p)
{
	int fd, err;

	memset(r, 0, sizeof(*r));
	fd = ulr_setup_raw(entries, p);
	if (fd < 0)
		return -1;
	r->fd = fd;
	r->flags = p->flags;
	r->sq_entries = p->sq_entries;
	r->cq_entries = p->cq_entries;

	r->sq_len = p->sq_off.array + p->sq_entries * sizeof(unsigned int);
	r->cq_len = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_len > r->sq_len)
			r->sq_len = r->cq_len;
		r->cq_len = r->sq_len;
	}
	r->sq_ptr = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			 fd, IORING_OFF_SQ_RING);
	if (r->sq_ptr == MAP_FAILED)
		goto fail;
	if (p->features & IORING_FEAT_SINGLE_MMAP)
		r->cq_ptr = r->sq_ptr;
	else {
		r->cq_ptr = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
		if (r->cq_ptr == MAP_FAILED)
			goto fail;
	}
	r->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		goto fail;

	r->sq_head = (unsigned int *)((char *)r->sq_ptr + p->sq_off.head);
	r->sq_tail = (unsigned int *)((char *)r->sq_ptr + p->sq_off.tail);
	r->sq_mask = (unsigned int *)((char *)r->sq_ptr + p->sq_off.ring_mask);
	r->sq_flags = (unsigned int *)((char *)r->sq_ptr + p->sq_off.flags);
	r->sq_array = (unsigned int *)((char *)r->sq_ptr + p->sq_off.array);
	r->cq_head = (unsigned int *)((char *)r->cq_ptr + p->cq_off.head);
	r->cq_tail = (unsigned int *)((char *)r->cq_ptr + p->cq_off.tail);
	r->cq_mask = (unsigned int *)((char *)r->cq_ptr + p->cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq_ptr + p->cq_off.cqes);
	/* Identity SQ array: slot i holds SQE i */
	for (unsigned int i = 0; i < p->sq_entries; i++)
		r->sq_array[i] = i;
	r->sqe_tail = r->sqe_published = *r->sq_tail;
	return 0;
fail:
	err = errno;
	ulr_unmap(r);
	close(fd);
	errno = err;
	return -1;
}

/* Simple set-up: @entries SQEs, @flags; SQPOLL idles after @idle_ms */
static inline int ulr_init_flags(struct ulring *r, unsigned int entries, unsigned int flags,
				 unsigned int idle_ms)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	p.sq_thread_idle = idle_ms;
	return ulr_init(r, entries, &p);
}

static inline void ulr_exit(struct ulring *r)
{
	ulr_unmap(r);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* SQEs the kernel has not consumed yet plus those filled but not published */
static inline unsigned int ulr_sq_pending(struct ulring *r)
{
	return r->sqe_tail - __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
}

/* The next free SQE, zeroed, or NULL if the SQ is full */
static inline struct io_uring_sqe *ulr_get_sqe(struct ulring *r)
{
	struct io_uring_sqe *sqe;

	if (r->sqe_tail - __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) >= r->sq_entries)
		return NULL;
	sqe = &r->sqes[r->sqe_tail & *r->sq_mask];
	r->sqe_tail++;
	memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

static inline void ulr_prep_nop(struct io_uring_sqe *sqe, uint64_t user_data)
{
	sqe->opcode = IORING_OP_NOP;
	sqe->fd = -1;
	sqe->user_data = user_data;
}

static inline void ulr_prep_read(struct io_uring_sqe *sqe, int fd, void *buf, unsigned int len,
				 uint64_t off, uint64_t user_data)
{
	sqe->opcode = IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)buf;
	sqe->len = len;
	sqe->off = off;
	sqe->user_data = user_data;
}

/* A relative timeout of @ts (kept alive by the caller until completion) */
static inline void ulr_prep_timeout(struct io_uring_sqe *sqe, struct __kernel_timespec *ts,
				    unsigned int count, uint64_t user_data)
{
	sqe->opcode = IORING_OP_TIMEOUT;
	sqe->fd = -1;
	sqe->addr = (uint64_t)(uintptr_t)ts;
	sqe->len = 1;
	sqe->off = count;
	sqe->user_data = user_data;
}

/*
 * Publish the filled SQEs and make sure the kernel sees them: for an SQPOLL
 * ring, wake the SQ thread only if it sleeps; otherwise io_uring_enter with
 * the number to submit and no GETEVENTS (this never waits for completions).
 * Returns the number of SQEs submitted by this call (SQPOLL: published), or
 * -1 with errno.
 */
static inline int ulr_submit(struct ulring *r)
{
	unsigned int n = r->sqe_tail - r->sqe_published;
	int ret;

	__atomic_store_n(r->sq_tail, r->sqe_tail, __ATOMIC_RELEASE);
	r->sqe_published = r->sqe_tail;
	if (r->flags & IORING_SETUP_SQPOLL) {
		/* The tail store must be visible before the flag is read */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(r->sq_flags, __ATOMIC_RELAXED) & IORING_SQ_NEED_WAKEUP) {
			ret = ulr_enter(r->fd, 0, 0, IORING_ENTER_SQ_WAKEUP);
			if (ret < 0)
				return -1;
		}
		return n;
	}
	if (!n)
		return 0;
	do {
		ret = ulr_enter(r->fd, n, 0, 0);
	} while (ret < 0 && errno == EINTR);
	return ret;
}

/* Wait in the kernel for @n completions (for tests that poll on purpose) */
static inline int ulr_wait(struct ulring *r, unsigned int n)
{
	int ret;

	do {
		ret = ulr_enter(r->fd, 0, n, IORING_ENTER_GETEVENTS);
	} while (ret < 0 && errno == EINTR);
	return ret;
}

/* CQEs ready in the CQ ring */
static inline unsigned int ulr_cq_ready(struct ulring *r)
{
	return __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) - *r->cq_head;
}

#endif
