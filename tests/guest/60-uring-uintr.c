// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring completion notifier: a ring names a user-interrupt receiver
 * (IORING_REGISTER_UINTR with a vector fd) and the kernel sends it a user
 * interrupt whenever CQEs are posted.  Here the main loop only submits and
 * spins; every completion is reaped by the UINTR handler from the mmapped
 * CQ ring.  100,000 operations (reads of a file in /tmp, inline and through
 * io-wq, NOPs, and a few timeouts that complete through task work) on a
 * plain ring and on an SQPOLL ring: each user_data must be seen exactly
 * once and none left unseen.  Then the interrupt rate: one io_uring_enter
 * that completes a batch inline must give exactly one interrupt.
 *
 * Usage: 60-uring-uintr [ops]   (default 100000)
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include "uintr-test.h"
#include "uring-lite.h"

#define QD		64		/* in flight at most; SQ 64, CQ 128 */
#define BATCH		8		/* SQEs per io_uring_enter (plain ring) */
#define FILE_SIZE	(1 << 20)
#define SLOT		4096
#define VECTOR		5
#define STALL_NS	30000000000ULL	/* no progress for 30 s: a lost notification */

#define GR_ONLY	__attribute__((always_inline, target("general-regs-only")))

enum { OP_READ, OP_READ_ASYNC, OP_NOP, OP_TIMEOUT };

/* State shared with the handler: plain integers and pointers only */
static struct ulring ring;
static volatile uint8_t *seen;
static uint64_t *bufs;			/* QD slots of SLOT bytes */
static uint64_t nr_ops;
static volatile uint64_t completions, calls, empty_calls, bad_res, bad_data, unknown;
static volatile int64_t first_bad_ud = -1, first_bad_res;

/* The operation for user_data @k: a fixed hash, so the handler can recompute it */
static inline GR_ONLY uint32_t op_hash(uint64_t k)
{
	return (uint32_t)(k * 2654435761u) ^ (uint32_t)(k >> 7);
}

static inline GR_ONLY int op_kind(uint64_t k)
{
	uint32_t sel = (op_hash(k) >> 20) & 63;

	if (sel == 0)
		return OP_TIMEOUT;
	if (sel < 24)
		return OP_READ;
	if (sel < 32)
		return OP_READ_ASYNC;
	return OP_NOP;
}

static inline GR_ONLY uint32_t read_len(uint64_t k)
{
	return 8 * (1 + (op_hash(k) & 511));		/* 8 .. 4096 bytes */
}

static inline GR_ONLY uint64_t read_off(uint64_t k)
{
	return (uint64_t)((op_hash(k) >> 9) & (FILE_SIZE / SLOT - 1)) * SLOT;
}

/* Reap every published CQE; the only consumer of the CQ ring */
UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	unsigned int head = *ring.cq_head;
	unsigned int tail = __atomic_load_n(ring.cq_tail, __ATOMIC_ACQUIRE);
	unsigned int mask = *ring.cq_mask;

	calls++;
	if (head == tail)
		empty_calls++;
	for (; head != tail; head++) {
		struct io_uring_cqe *cqe = &ring.cqes[head & mask];
		uint64_t k = cqe->user_data;
		int32_t res = cqe->res, want;
		int kind;

		if (k >= nr_ops) {
			unknown++;
			continue;
		}
		kind = op_kind(k);
		want = kind == OP_NOP ? 0 : kind == OP_TIMEOUT ? -ETIME : (int32_t)read_len(k);
		if (res != want) {
			if (first_bad_ud < 0) {
				first_bad_ud = k;
				first_bad_res = res;
			}
			bad_res++;
		} else if (kind == OP_READ || kind == OP_READ_ASYNC) {
			uint64_t *b = &bufs[(k % QD) * (SLOT / 8)];
			uint64_t off = read_off(k), n = read_len(k) / 8;

			if (b[0] != off || b[n - 1] != off + (n - 1) * 8)
				bad_data++;
		}
		seen[k]++;
		completions++;
	}
	__atomic_store_n(ring.cq_head, tail, __ATOMIC_RELEASE);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int make_file(const char *path)
{
	uint64_t *data = malloc(FILE_SIZE);
	int fd;

	for (uint64_t i = 0; i < FILE_SIZE / 8; i++)
		data[i] = i * 8;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, FILE_SIZE) != FILE_SIZE) {
		printf("# %s: %s\n", path, strerror(errno));
		free(data);
		return -1;
	}
	free(data);
	return fd;
}

static void report_stall(const char *where, uint64_t k)
{
	printf("# stalled %s at op %llu: %llu completions, %u CQEs ready in the CQ ring,"
	       " %llu handler calls, SQ pending %u\n", where, (unsigned long long)k,
	       (unsigned long long)completions, ulr_cq_ready(&ring),
	       (unsigned long long)calls, ulr_sq_pending(&ring));
}

/*
 * Wait (spinning in user mode, no io_uring call) until @cond holds; on no
 * progress of the completion count for STALL_NS, report and return 0.
 */
#define spin_until(cond, where, k) ({					\
	uint64_t last_ = completions, t_ = now_ns();			\
	int ok_ = 1;							\
	while (!(cond)) {						\
		if (completions != last_) {				\
			last_ = completions;				\
			t_ = now_ns();					\
		} else if (now_ns() - t_ > STALL_NS) {			\
			report_stall(where, k);				\
			ok_ = 0;					\
			break;						\
		}							\
	}								\
	ok_;								\
})

static struct __kernel_timespec short_timeout = { .tv_sec = 0, .tv_nsec = 50000 };

/* Submit @n mixed operations; reap nothing here.  Returns 0 on a stall. */
static int run_mixed(int file_fd, uint64_t n, const char *name)
{
	int sqpoll = ring.flags & IORING_SETUP_SQPOLL;

	for (uint64_t k = 0; k < n; k++) {
		struct io_uring_sqe *sqe;
		int kind = op_kind(k);

		if (k >= QD && !spin_until(seen[k - QD], name, k))
			return 0;
		while (!(sqe = ulr_get_sqe(&ring))) {
			if (ulr_submit(&ring) < 0)
				return 0;
		}
		switch (kind) {
		case OP_NOP:
			ulr_prep_nop(sqe, k);
			break;
		case OP_TIMEOUT:
			ulr_prep_timeout(sqe, &short_timeout, 0, k);
			break;
		default:
			ulr_prep_read(sqe, file_fd, &bufs[(k % QD) * (SLOT / 8)], read_len(k),
				      read_off(k), k);
			if (kind == OP_READ_ASYNC)
				sqe->flags |= IOSQE_ASYNC;
		}
		if (sqpoll || (k % BATCH) == BATCH - 1) {
			if (ulr_submit(&ring) < 0) {
				printf("# submit: %s\n", strerror(errno));
				return 0;
			}
		}
	}
	if (ulr_submit(&ring) < 0)
		return 0;
	return spin_until(completions >= n, name, n);
}

static void reset_counts(uint64_t n)
{
	nr_ops = n;
	memset((void *)seen, 0, n);
	completions = calls = empty_calls = bad_res = bad_data = unknown = 0;
	first_bad_ud = -1;
}

static void test_ring(int vec_fd, int file_fd, uint64_t n, unsigned int flags, const char *name)
{
	uint64_t once = 0, dup = 0, missing = 0, t0;

	if (ulr_init_flags(&ring, QD, flags, 50)) {
		check(0, "%s: io_uring_setup: %s", name, strerror(errno));
		return;
	}
	if (ulr_register_uintr(&ring, vec_fd)) {
		check(0, "%s: IORING_REGISTER_UINTR: %s", name, strerror(errno));
		ulr_exit(&ring);
		return;
	}
	check(1, "%s: IORING_REGISTER_UINTR", name);
	reset_counts(n);
	t0 = now_ns();
	run_mixed(file_fd, n, name);
	t0 = now_ns() - t0;
	/* Late duplicates: let anything still in the kernel arrive */
	usleep(100000);
	for (uint64_t k = 0; k < n; k++) {
		if (seen[k] == 1)
			once++;
		else if (seen[k] > 1)
			dup++;
		else
			missing++;
	}
	check(once == n && !dup && !missing && !unknown,
	      "%s: %llu ops, every completion reaped by the handler exactly once "
	      "(once %llu, duplicated %llu, never seen %llu, unknown %llu)", name,
	      (unsigned long long)n, (unsigned long long)once, (unsigned long long)dup,
	      (unsigned long long)missing, (unsigned long long)unknown);
	check(!bad_res && !bad_data, "%s: results and read data as expected "
	      "(bad res %llu, first ud %lld res %lld; bad data %llu)", name,
	      (unsigned long long)bad_res, (long long)first_bad_ud, (long long)first_bad_res,
	      (unsigned long long)bad_data);
	check(ulr_cq_ready(&ring) == 0, "%s: nothing left unseen in the CQ ring", name);
	check(calls > 0 && calls <= completions,
	      "%s: handler calls <= completions (%llu calls, %llu completions)", name,
	      (unsigned long long)calls, (unsigned long long)completions);
	printf("# %s: %.2f completions per interrupt, %llu interrupts found the CQ empty,"
	       " %.1f us per op\n", name, calls ? (double)completions / calls : 0.0,
	       (unsigned long long)empty_calls, t0 / 1000.0 / n);
	check(ulr_unregister_uintr(&ring) == 0, "%s: IORING_UNREGISTER_UINTR", name);
	ulr_exit(&ring);
}

/*
 * Batches of NOPs completed inline by one io_uring_enter (plain ring) or
 * by one SQ-thread pass (SQPOLL ring): each batch should cost one
 * interrupt.  The main thread waits for the handler to reap each batch
 * before the next.
 */
static void test_rate(int vec_fd, unsigned int flags, const char *name, int strict)
{
	const int rounds = 1000, per = 16;
	int ok = 1;

	if (ulr_init_flags(&ring, QD, flags, 50) || ulr_register_uintr(&ring, vec_fd)) {
		check(0, "%s: ring set-up: %s", name, strerror(errno));
		return;
	}
	reset_counts(rounds * per);
	for (int r = 0; r < rounds && ok; r++) {
		for (int i = 0; i < per; i++)
			ulr_prep_nop(ulr_get_sqe(&ring), r * per + i);
		if (ulr_submit(&ring) < 0)
			ok = 0;
		ok = ok && spin_until(completions == (uint64_t)(r + 1) * per, name, r);
	}
	if (strict)
		check(ok && calls == (uint64_t)rounds && !empty_calls,
		      "%s: one interrupt per batch of %d inline completions "
		      "(%d batches, %llu interrupts, %llu empty)", name, per, rounds,
		      (unsigned long long)calls, (unsigned long long)empty_calls);
	else
		check(ok && calls >= (uint64_t)rounds && calls <= completions,
		      "%s: at least one, at most one per completion, interrupt per batch of %d "
		      "(%d batches, %llu interrupts, %llu empty)", name, per, rounds,
		      (unsigned long long)calls, (unsigned long long)empty_calls);
	ulr_unregister_uintr(&ring);
	ulr_exit(&ring);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 100000;
	const char *path = "/tmp/60-uring-uintr.dat";
	int vec_fd, file_fd;

	if (!uintr_supported()) {
		printf("not ok - uintr is not in /proc/cpuinfo\n");
		return 1;
	}
	seen = calloc(n < 16000 ? 16000 : n, 1);
	bufs = aligned_alloc(4096, QD * SLOT);
	file_fd = make_file(path);
	check(file_fd >= 0, "test file %s (%d KiB)", path, FILE_SIZE >> 10);
	if (file_fd < 0)
		return 1;
	check(uintr_register_handler(handler, 0) == 0, "uintr_register_handler");
	vec_fd = uintr_vector_fd(VECTOR, 0);
	check(vec_fd >= 0, "uintr_vector_fd(%d)", VECTOR);
	if (vec_fd < 0)
		return 1;
	_stui();

	test_ring(vec_fd, file_fd, n, 0, "plain ring");
	test_ring(vec_fd, file_fd, n, IORING_SETUP_SQPOLL, "SQPOLL ring");
	test_rate(vec_fd, 0, "plain ring", 1);
	test_rate(vec_fd, IORING_SETUP_SQPOLL, "SQPOLL ring", 0);

	_clui();
	close(vec_fd);
	check(uintr_unregister_handler(0) == 0, "uintr_unregister_handler");
	close(file_fd);
	unlink(path);
	return test_failures ? 1 : 0;
}
