/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the guest UINTR tests: the uintr-next syscall numbers, TAP
 * output, and the handler attribute.  Handlers must not use SSE/x87
 * (general-regs-only) and must not be shrink-wrapped: GCC 12.2 can end a
 * shrink-wrapped interrupt handler path with a bare ret instead of uiret.
 */
#ifndef UINTR_TEST_H
#define UINTR_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86gprintrin.h>

#ifndef __NR_uintr_register_handler
#define __NR_uintr_register_handler	471
#define __NR_uintr_unregister_handler	472
#define __NR_uintr_vector_fd		473
#define __NR_uintr_register_sender	474
#define __NR_uintr_unregister_sender	475
#define __NR_uintr_wait			476
#define __NR_uintr_register_self	477
#define __NR_uintr_alt_stack		478
#define __NR_uintr_ipi_fd		479
#endif

#define uintr_register_handler(h, f)	syscall(__NR_uintr_register_handler, h, f)
#define uintr_unregister_handler(f)	syscall(__NR_uintr_unregister_handler, f)
#define uintr_vector_fd(v, f)		syscall(__NR_uintr_vector_fd, v, f)
#define uintr_register_sender(fd, f)	syscall(__NR_uintr_register_sender, fd, f)
#define uintr_unregister_sender(i, f)	syscall(__NR_uintr_unregister_sender, i, f)
#define uintr_register_self(v, f)	syscall(__NR_uintr_register_self, v, f)
#define uintr_alt_stack(sp, sz, f)	syscall(__NR_uintr_alt_stack, sp, sz, f)

#define UINTR_HANDLER \
	__attribute__((interrupt, target("general-regs-only"), optimize("no-shrink-wrap")))

static int test_failures;

#define check(cond, ...) do {						\
	if (cond) {							\
		printf("ok - " __VA_ARGS__);				\
	} else {							\
		printf("not ok - " __VA_ARGS__);			\
		test_failures++;					\
	}								\
	printf("\n");							\
	fflush(stdout);							\
} while (0)

/* A call that must fail with errno @err */
#define expect_err(call, err, what) do {				\
	long r_;							\
	errno = 0;							\
	r_ = (call);							\
	check(r_ == -1 && errno == (err), "%s -> %s (got %ld, %s)",	\
	      what, #err, r_, strerror(errno));				\
} while (0)

/* The number a sysfs, procfs or cgroup file starts with, or -1 */
static inline long long read_number(const char *path)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtoll(buf, NULL, 10) : -1;
}

/*
 * The receiver TID that the fdinfo file @path of a vector fd names
 * ("uintr: receiver: <tid> vector:<v>"), or -1 if it names none
 */
static inline int uintr_fdinfo_receiver(const char *path)
{
	char line[128];
	int tid = -1, vec;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		sscanf(line, "uintr: receiver: %d vector:%d", &tid, &vec);
	fclose(f);
	return tid;
}

/* The same for this process's fd @fd */
static inline int uintr_fd_receiver(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return uintr_fdinfo_receiver(path);
}

/*
 * Pass @fd, and an int @value as the data, over a unix socket (SCM_RIGHTS):
 * how an unrelated process gets a vector fd or an ipi fd.
 */
static inline int uintr_send_fd(int sock, int fd, int value)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &value, sizeof(value) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == sizeof(value) ? 0 : -1;
}

/* The fd sent by uintr_send_fd(), or -1; its value in *@value if not NULL */
static inline int uintr_recv_fd(int sock, int *value)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	int v, fd;
	struct iovec iov = { &v, sizeof(v) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;

	if (recvmsg(sock, &msg, 0) != sizeof(v))
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (value)
		*value = v;
	return fd;
}

/*
 * The kernel (or QEMU's linux-user emulation) has User Interrupts: the
 * uintr syscalls exist.  register_handler(NULL) is EFAULT there, ENOSYS
 * elsewhere, and changes nothing.  (10-boot.sh checks /proc/cpuinfo.)
 */
static inline int uintr_supported(void)
{
	return syscall(__NR_uintr_register_handler, NULL, 0) == -1 && errno == EFAULT;
}

/* CLOCK_MONOTONIC in microseconds */
static inline uint64_t test_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

/* Spin until *@p reaches @want, at most @ms milliseconds; 1 if it did */
static inline int test_spin_until(volatile uint64_t *p, uint64_t want, uint64_t ms)
{
	uint64_t end = test_now_us() + ms * 1000;

	while (*p < want)
		if (test_now_us() > end)
			return *p >= want;
	return 1;
}

/* The state letter of a thread, from /proc/PID/task/TID/stat (0 if unknown) */
static inline char test_thread_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

#endif
