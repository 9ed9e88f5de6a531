// SPDX-License-Identifier: GPL-2.0
/*
 * A WAITING_RECEIVER receiver is armed for its interruptible sleeps only
 * (issue 12, defect 3): once such a sleep ends, a later uninterruptible
 * sleep in the same system call is not woken by a user interrupt.
 *
 * The receiver (UIF set) calls utimensat(fd, NULL, times, 0) with @times
 * in a userfaultfd page, so the copy of the times first sleeps
 * interruptibly in the fault.  Meanwhile a writer thread holds the file's
 * inode lock: its write() from another userfaultfd page sleeps in that
 * fault with the lock held.  The page of the times is filled, the
 * receiver wakes, goes on and blocks on the inode lock (state D).  A send
 * then must not wake it: no kernel-vector IPI (UKN in /proc/interrupts)
 * and no context switch of the receiver while the writer holds the lock.
 * Once the writer's page is filled, utimensat() returns 0 and the handler
 * runs once, on the way back to user mode.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include "uintr-test.h"

#define WAITING_RECEIVER	0x1000
#define SEND_WATCH_MS		300

static volatile uint64_t handled;
static volatile int rx_ready, rx_fd = -1;
static volatile pid_t rx_tid;
static long rx_ret, wr_ret;
static int file_fd, uffd;
static char *area;
static long page;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	handled++;
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static int wait_state(pid_t tid, char want, int ms)
{
	uint64_t end = test_now_us() + ms * 1000ULL;

	while (test_thread_state(getpid(), tid) != want)
		if (test_now_us() > end)
			return 0;
	return 1;
}

/* voluntary + involuntary context switches of a thread */
static long ctxt_switches(pid_t tid)
{
	static char buf[4096];
	char path[64], *p;
	long n = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	for (p = buf; (p = strstr(p, "ctxt_switches:")); p++)
		n += strtol(p + strlen("ctxt_switches:"), NULL, 10);
	return n;
}

/* Kernel-vector IPIs (UKN), all CPUs */
static long ukn_count(void)
{
	static char buf[65536];
	char *p, *end;
	long n = 0;

	if (read_file("/proc/interrupts", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "UKN:");
	if (!p)
		return -1;
	p += 4;
	for (;;) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		n += v;
		p = end;
	}
	return n;
}

/* The next fault on the userfaultfd, within 10 s: its page, or NULL */
static char *next_fault(void)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, 10000) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return NULL;
	return (char *)(uintptr_t)(msg.arg.pagefault.address & ~(page - 1));
}

static int fill_page(char *dst, const void *src, size_t len)
{
	char *buf = calloc(1, page);
	struct uffdio_copy copy = {
		.dst = (uintptr_t)dst, .src = (uintptr_t)buf, .len = page,
	};
	int r;

	memcpy(buf, src, len);
	r = ioctl(uffd, UFFDIO_COPY, &copy);
	free(buf);
	return r;
}

static void *writer(void *arg)
{
	wr_ret = write(file_fd, area, 64);
	return NULL;
}

static void *receiver(void *arg)
{
	rx_tid = gettid();
	if (uintr_register_handler(handler, WAITING_RECEIVER)) {
		rx_ready = -1;
		return NULL;
	}
	rx_fd = uintr_vector_fd(2, 0);
	_stui();
	rx_ready = 1;
	/* area + page: the times, in a page nobody filled yet */
	rx_ret = syscall(SYS_utimensat, file_fd, NULL, area + page, 0);
	if (rx_ret)
		rx_ret = -errno;
	/* The handler ran on the way out of utimensat() */
	for (uint64_t end = test_now_us() + 2000000; !handled && test_now_us() < end;)
		;
	_clui();
	uintr_unregister_handler(0);
	return NULL;
}

int main(void)
{
	struct timespec times[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	long ukn0, ukn1, cs0, cs1;
	char *fault, state;
	pthread_t w, rx;
	char data[64];
	long idx;

	if (!uintr_supported()) {
		printf("not ok - uintr is not in /proc/cpuinfo\n");
		return 1;
	}
	page = sysconf(_SC_PAGESIZE);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		printf("not ok - userfaultfd: %s\n", strerror(errno));
		return 1;
	}
	area = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uintptr_t)area;
	reg.range.len = 2 * page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	check(area != MAP_FAILED && !ioctl(uffd, UFFDIO_REGISTER, &reg),
	      "userfaultfd on two pages");
	file_fd = open("/tmp/uintr-armed-sleep", O_CREAT | O_RDWR | O_TRUNC, 0600);
	unlink("/tmp/uintr-armed-sleep");

	/* The writer holds the inode lock, asleep in the fault on page 0 */
	pthread_create(&w, NULL, writer, NULL);
	fault = next_fault();
	check(fault == area, "the writer faults on page 0 with the inode lock held");

	/* The receiver sleeps interruptibly in the fault on page 1 */
	pthread_create(&rx, NULL, receiver, NULL);
	while (!rx_ready)
		usleep(1000);
	idx = rx_fd >= 0 ? uintr_register_sender(rx_fd, 0) : -1;
	check(rx_ready == 1 && idx >= 0, "receiver registered (WAITING_RECEIVER, UIF=1), sender index");
	fault = next_fault();
	state = test_thread_state(getpid(), rx_tid);
	check(fault == area + page && state == 'S',
	      "the receiver sleeps interruptibly in utimensat()'s copy of the times (state %c)",
	      state ? state : '?');

	/* Its interruptible sleep ends; it blocks on the inode lock */
	check(fill_page(area + page, times, sizeof(times)) == 0, "the times are filled in");
	check(wait_state(rx_tid, 'D', 10000), "the receiver blocks uninterruptibly on the inode lock");

	ukn0 = ukn_count();
	cs0 = ctxt_switches(rx_tid);
	if (idx >= 0)
		_senduipi(idx);
	usleep(SEND_WATCH_MS * 1000);
	ukn1 = ukn_count();
	cs1 = ctxt_switches(rx_tid);
	state = test_thread_state(getpid(), rx_tid);
	printf("# during %d ms after the send: %ld kernel-vector IPIs, %ld receiver context switches, state %c\n",
	       SEND_WATCH_MS, ukn1 - ukn0, cs1 - cs0, state ? state : '?');
	check(ukn0 >= 0 && ukn1 == ukn0,
	      "a send to the receiver in D state sends no kernel-vector IPI (%ld)", ukn1 - ukn0);
	check(cs0 >= 0 && cs1 == cs0 && state == 'D',
	      "the receiver in D state is not woken by the send (%ld context switches)", cs1 - cs0);
	check(handled == 0, "nothing delivered while it is in the kernel");

	/* The writer finishes, the receiver gets the lock and returns */
	memset(data, 'x', sizeof(data));
	check(fill_page(area, data, sizeof(data)) == 0, "the writer's page is filled in");
	pthread_join(w, NULL);
	pthread_join(rx, NULL);
	check(wr_ret == 64, "write() returns 64 (%ld)", wr_ret);
	check(rx_ret == 0, "utimensat() returns 0 (%s)", rx_ret ? strerror(-rx_ret) : "0");
	check(handled == 1, "the handler ran once, after utimensat() (%llu)",
	      (unsigned long long)handled);
	return test_failures ? 1 : 0;
}
