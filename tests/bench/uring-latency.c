// SPDX-License-Identifier: GPL-2.0
/*
 * Async-I/O latency experiment: one thread runs a fixed pseudo-random
 * sequence of 200 reads (4 KiB, 4 MiB and 40 MiB files in /tmp, sizes in
 * turn) and 1,000 compute tasks (700k to 7,000k dependent 64-bit
 * multiplications each), three ways:
 *   sync   read(2) in place, each read finished before the next task;
 *   poll   io_uring with SQPOLL, completions looked for in the CQ ring
 *          between tasks (no system call);
 *   uintr  io_uring with SQPOLL and IORING_REGISTER_UINTR: the kernel sends
 *          a user interrupt when CQEs are posted; the handler takes the
 *          completion time (rdtsc) and reaps the CQ ring.
 * Latency = completion observed - submission.  Prints, per method, the
 * total time and per read size the latency sum, min, median and max.
 *
 * Usage: uring-latency [scale [methods]]
 *   scale    multiplies every compute task's multiplication count (default
 *            1; under emulation a smaller one keeps the run short)
 *   methods  a comma-free string of s, p, u (default "spu")
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include "uintr-test.h"
#include "uring-lite.h"

#define NR_READS	200
#define NR_TASKS	1000
#define NR_ITEMS	(NR_READS + NR_TASKS)
#define MUL_MIN		700000
#define MUL_MAX		7000000
#define SEED		0x5eed2024c0ffee01ULL
#define VECTOR		1
#define NR_SIZES	3

static const size_t sizes[NR_SIZES] = { 4 << 10, 4 << 20, 40 << 20 };
static const char *size_names[NR_SIZES] = { "4 KiB", "4 MiB", "40 MiB" };

struct item {
	int is_read;
	int size;		/* read: index into sizes[] */
	uint64_t muls;		/* compute task */
};

static struct item items[NR_ITEMS];
static int file_fds[NR_SIZES];
static char *bufs[NR_SIZES];
static uint64_t sink = 1;

/* Per read: submission and completion times (TSC), result */
static uint64_t t_sub[NR_READS];
static volatile uint64_t t_done[NR_READS];
static volatile int64_t res[NR_READS];
static volatile uint64_t done, handler_calls;
static struct ulring ring;

static double tsc_per_us;

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void make_sequence(double scale)
{
	uint64_t s = SEED;
	int r = 0;

	for (int i = 0; i < NR_ITEMS; i++) {
		if (i < NR_READS) {
			items[i].is_read = 1;
			items[i].size = r++ % NR_SIZES;
		} else {
			uint64_t m = MUL_MIN + xorshift(&s) % (MUL_MAX - MUL_MIN + 1);

			items[i].muls = (uint64_t)(m * scale + 0.5);
		}
	}
	/* Fisher-Yates with the fixed seed: reads spread among the tasks */
	for (int i = NR_ITEMS - 1; i > 0; i--) {
		int j = xorshift(&s) % (i + 1);
		struct item t = items[i];

		items[i] = items[j];
		items[j] = t;
	}
}

static void compute(uint64_t n)
{
	uint64_t x = sink | 1;

	for (uint64_t i = 0; i < n; i++) {
		x *= 0x9e3779b97f4a7c15ULL;
		__asm__ volatile("" : "+r"(x));
	}
	sink = x;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void calibrate(void)
{
	uint64_t n0 = now_ns(), c0 = __rdtsc(), n1, c1;

	do
		n1 = now_ns();
	while (n1 - n0 < 200000000);
	c1 = __rdtsc();
	tsc_per_us = (double)(c1 - c0) * 1000.0 / (n1 - n0);
}

static int make_files(const char *dir)
{
	char path[256];

	for (int i = 0; i < NR_SIZES; i++) {
		size_t left = sizes[i];

		snprintf(path, sizeof(path), "%s/uring-latency.%zu", dir, sizes[i]);
		bufs[i] = aligned_alloc(4096, sizes[i]);
		for (size_t k = 0; k < sizes[i]; k++)
			bufs[i][k] = (char)(k * 31 + i);
		file_fds[i] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (file_fds[i] < 0) {
			printf("# %s: %s\n", path, strerror(errno));
			return -1;
		}
		while (left) {
			ssize_t w = write(file_fds[i], bufs[i] + sizes[i] - left, left);

			if (w <= 0) {
				printf("# write %s: %s\n", path, strerror(errno));
				return -1;
			}
			left -= w;
		}
		unlink(path);	/* the fd keeps it */
	}
	return 0;
}

/* sync: read(2) each file in place */
static void run_sync(void)
{
	int r = 0;

	for (int i = 0; i < NR_ITEMS; i++) {
		if (!items[i].is_read) {
			compute(items[i].muls);
			continue;
		}
		int s = items[i].size;
		size_t got = 0;

		t_sub[r] = __rdtsc();
		while (got < sizes[s]) {
			ssize_t n = pread(file_fds[s], bufs[s] + got, sizes[s] - got, got);

			if (n <= 0)
				break;
			got += n;
		}
		t_done[r] = __rdtsc();
		res[r] = got;
		r++;
		done++;
	}
}

/* poll: what the CQ ring holds now, all stamped with the same time */
static void poll_cq(void)
{
	unsigned int head = *ring.cq_head;
	unsigned int tail = __atomic_load_n(ring.cq_tail, __ATOMIC_ACQUIRE);
	uint64_t now;

	if (head == tail)
		return;
	now = __rdtsc();
	for (; head != tail; head++) {
		struct io_uring_cqe *c = &ring.cqes[head & *ring.cq_mask];

		t_done[c->user_data] = now;
		res[c->user_data] = c->res;
		done++;
	}
	__atomic_store_n(ring.cq_head, tail, __ATOMIC_RELEASE);
}

/* uintr: the same, in the user-interrupt handler */
UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	unsigned int head = *ring.cq_head;
	unsigned int tail = __atomic_load_n(ring.cq_tail, __ATOMIC_ACQUIRE);
	unsigned int mask = *ring.cq_mask;
	uint64_t now = __rdtsc();

	handler_calls++;
	for (; head != tail; head++) {
		struct io_uring_cqe *c = &ring.cqes[head & mask];
		uint64_t ud = c->user_data;

		if (ud < NR_READS) {
			t_done[ud] = now;
			res[ud] = c->res;
		}
		done++;
	}
	__atomic_store_n(ring.cq_head, tail, __ATOMIC_RELEASE);
}

static int run_uring(int use_uintr)
{
	int r = 0;

	for (int i = 0; i < NR_ITEMS; i++) {
		if (!items[i].is_read) {
			compute(items[i].muls);
			if (!use_uintr)
				poll_cq();
			continue;
		}
		int s = items[i].size;
		struct io_uring_sqe *sqe;

		while (!(sqe = ulr_get_sqe(&ring)))
			;
		ulr_prep_read(sqe, file_fds[s], bufs[s], sizes[s], 0, r);
		t_sub[r] = __rdtsc();
		if (ulr_submit(&ring) < 0) {
			printf("# submit: %s\n", strerror(errno));
			return -1;
		}
		r++;
		if (!use_uintr)
			poll_cq();
	}
	/* The tail: wait for what is still in flight */
	while (done < NR_READS) {
		if (!use_uintr)
			poll_cq();
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct result {
	const char *name;
	double total_s;
	double sum_us[NR_SIZES], min_us[NR_SIZES], med_us[NR_SIZES], max_us[NR_SIZES];
	int n[NR_SIZES], short_reads;
	uint64_t calls;
};

static void summarize(struct result *out)
{
	uint64_t lat[NR_SIZES][NR_READS];
	int r = 0;

	memset(out->n, 0, sizeof(out->n));
	out->short_reads = 0;
	for (int i = 0; i < NR_ITEMS; i++) {
		if (!items[i].is_read)
			continue;
		int s = items[i].size;

		lat[s][out->n[s]++] = t_done[r] - t_sub[r];
		if (res[r] != (int64_t)sizes[s])
			out->short_reads++;
		r++;
	}
	for (int s = 0; s < NR_SIZES; s++) {
		double sum = 0;
		int n = out->n[s];

		qsort(lat[s], n, sizeof(uint64_t), cmp_u64);
		for (int k = 0; k < n; k++)
			sum += lat[s][k];
		out->sum_us[s] = sum / tsc_per_us;
		out->min_us[s] = lat[s][0] / tsc_per_us;
		out->max_us[s] = lat[s][n - 1] / tsc_per_us;
		out->med_us[s] = (n % 2 ? lat[s][n / 2] : (lat[s][n / 2 - 1] + lat[s][n / 2]) / 2) /
				 tsc_per_us;
	}
}

static int one_method(char m, struct result *out, int cpus)
{
	uint64_t t0, t1;
	int vec_fd = -1;

	done = handler_calls = 0;
	memset((void *)t_done, 0, sizeof(t_done));
	if (m != 's') {
		struct io_uring_params p;

		memset(&p, 0, sizeof(p));
		/*
		 * The SQ thread and the io-wq workers on CPU 1, the program on
		 * CPU 0.  tmpfs reads are not non-blocking (no FMODE_NOWAIT
		 * in 6.12), so the SQ thread hands every read to io-wq; it
		 * goes to sleep after 1 ms idle so that it does not spin on the
		 * CPU the worker needs (a sleeping one is woken by
		 * io_uring_enter(IORING_ENTER_SQ_WAKEUP) at submission).
		 */
		p.flags = IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 1;
		if (cpus > 1) {
			p.flags |= IORING_SETUP_SQ_AFF;
			p.sq_thread_cpu = 1;
		}
		if (ulr_init(&ring, 256, &p)) {
			printf("# io_uring_setup: %s\n", strerror(errno));
			return -1;
		}
		if (cpus > 1) {
			cpu_set_t wq;

			CPU_ZERO(&wq);
			CPU_SET(1, &wq);
			if (ulr_register(ring.fd, IORING_REGISTER_IOWQ_AFF, &wq, sizeof(wq)))
				printf("# IORING_REGISTER_IOWQ_AFF: %s\n", strerror(errno));
		}
	}
	if (m == 'u') {
		if (uintr_register_handler(handler, 0)) {
			printf("# uintr_register_handler: %s\n", strerror(errno));
			return -1;
		}
		vec_fd = uintr_vector_fd(VECTOR, 0);
		if (vec_fd < 0 || ulr_register_uintr(&ring, vec_fd)) {
			printf("# IORING_REGISTER_UINTR: %s\n", strerror(errno));
			return -1;
		}
		_stui();
	}
	t0 = now_ns();
	if (m == 's')
		run_sync();
	else if (run_uring(m == 'u'))
		return -1;
	t1 = now_ns();
	out->total_s = (t1 - t0) / 1e9;
	out->calls = handler_calls;
	if (m == 'u') {
		_clui();
		ulr_unregister_uintr(&ring);
		close(vec_fd);
		uintr_unregister_handler(0);
	}
	if (m != 's')
		ulr_exit(&ring);
	summarize(out);
	return 0;
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1.0;
	const char *methods = argc > 2 ? argv[2] : "spu";
	struct result results[3];
	int nres = 0, cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t mul_total = 0;
	cpu_set_t set;

	(void)test_failures;
	if (scale <= 0)
		scale = 1.0;
	if (strchr(methods, 'u') && !uintr_supported()) {
		printf("uring-latency: uintr is not in /proc/cpuinfo\n");
		return 1;
	}
	make_sequence(scale);
	for (int i = 0; i < NR_ITEMS; i++)
		mul_total += items[i].muls;
	if (make_files("/tmp"))
		return 1;
	/* The program on CPU 0, the SQ thread on CPU 1 when there are two */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	calibrate();
	printf("uring-latency: %d reads (4 KiB, 4 MiB, 40 MiB in turn) and %d compute tasks "
	       "(%.0fk-%.0fk multiplications each, %.2f G in all, scale %g%s), seed %#llx, "
	       "%d CPU(s), TSC %.0f MHz\n", NR_READS, NR_TASKS, MUL_MIN * scale / 1000,
	       MUL_MAX * scale / 1000, mul_total / 1e9, scale,
	       scale != 1.0 ? ": multiplication counts scaled" : "", (unsigned long long)SEED,
	       cpus, tsc_per_us);
	for (const char *m = methods; *m && nres < 3; m++) {
		struct result *out = &results[nres];

		out->name = *m == 's' ? "sync read" : *m == 'p' ? "io_uring+SQPOLL poll" :
			    *m == 'u' ? "io_uring+SQPOLL+uintr" : NULL;
		if (!out->name)
			continue;
		if (one_method(*m, out, cpus)) {
			printf("uring-latency: method %s failed\n", out->name);
			return 1;
		}
		nres++;
	}

	printf("%-22s %9s  %-6s %4s %13s %11s %11s %11s\n", "method", "total s", "size", "n",
	       "lat sum us", "min us", "median us", "max us");
	for (int i = 0; i < nres; i++) {
		for (int s = 0; s < NR_SIZES; s++)
			printf("%-22s %9.3f  %-6s %4d %13.0f %11.1f %11.1f %11.1f\n",
			       s ? "" : results[i].name, results[i].total_s, size_names[s],
			       results[i].n[s], results[i].sum_us[s], results[i].min_us[s],
			       results[i].med_us[s], results[i].max_us[s]);
		if (results[i].short_reads)
			printf("# %s: %d short or failed reads\n", results[i].name,
			       results[i].short_reads);
		if (results[i].calls)
			printf("# %s: %llu user interrupts for %d completions\n", results[i].name,
			       (unsigned long long)results[i].calls, NR_READS);
	}
	/* The targets, when all three ran: uintr latency vs sync, uintr total vs poll */
	if (nres == 3) {
		for (int s = 0; s < NR_SIZES; s++)
			printf("uintr vs sync, %s: summed latency ratio %.2f, median ratio %.2f\n",
			       size_names[s], results[2].sum_us[s] / results[0].sum_us[s],
			       results[2].med_us[s] / results[0].med_us[s]);
		printf("uintr vs poll: total time %+.2f%%; poll vs sync: %+.2f%%\n",
		       100.0 * (results[2].total_s / results[1].total_s - 1),
		       100.0 * (results[1].total_s / results[0].total_s - 1));
	}
	printf("uring-latency: done (checksum %llx)\n", (unsigned long long)sink);
	return 0;
}
