// SPDX-License-Identifier: GPL-2.0
/*
 * uintr_ipi_fd (479) and UIPI_SET_TARGET_TABLE: a process that has no
 * target table receives an ipi fd over a unix socket (SCM_RIGHTS), adopts
 * the owner's table with the ioctl and sends user interrupts on the
 * owner's indexes, from any of its threads, including indexes the owner
 * adds later.  A fork child that shares the table, or a process with a
 * table of its own, gets EBUSY; other ioctl commands are EINVAL; the fd
 * is no vector fd.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include "uintr-test.h"

#define uintr_ipi_fd(f)		syscall(__NR_uintr_ipi_fd, f)
#define UIPI_SET_TARGET_TABLE	_IO('u', 0)
#define UIPI_CLEAR_TARGET_TABLE	_IO('u', 1)
#define SENDS			1000

static volatile uint64_t handled[64];
static sigjmp_buf jb;
static volatile int last_signal;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	handled[vector & 63]++;
}

static void on_signal(int sig)
{
	last_signal = sig;
	siglongjmp(jb, 1);
}

static int senduipi_signal(unsigned long long idx)
{
	signal(SIGILL, on_signal);
	signal(SIGSEGV, on_signal);
	last_signal = 0;
	if (!sigsetjmp(jb, 1))
		_senduipi(idx);
	signal(SIGILL, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	return last_signal;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static int spin_until(volatile uint64_t *p, uint64_t want)
{
	uint64_t end = now_us() + 5000000;

	while (*p < want)
		if (now_us() > end)
			return *p >= want;
	return 1;
}

static void *thread_send(void *arg)
{
	_senduipi((long)arg);
	return NULL;
}

/* The adopting process (no table of its own): 0 or the failed step */
static int adopter(int sock)
{
	int fd, idx, idx2;
	pthread_t t;
	char go;

	fd = uintr_recv_fd(sock, &idx);
	if (fd < 0)
		return 1;
	if (senduipi_signal(idx) != SIGILL)
		return 2;	/* no table yet */
	if (ioctl(fd, UIPI_CLEAR_TARGET_TABLE, 0) != -1 || errno != EINVAL)
		return 3;
	if (ioctl(fd, _IO('u', 7), 0) != -1 || errno != EINVAL)
		return 4;
	if (ioctl(fd, UIPI_SET_TARGET_TABLE, 0))
		return 5;
	if (ioctl(fd, UIPI_SET_TARGET_TABLE, 0) != -1 || errno != EBUSY)
		return 6;
	close(fd);
	for (int i = 0; i < SENDS; i++) {
		_senduipi(idx);
		if (read(sock, &go, 1) != 1)
			return 7;
	}
	if (pthread_create(&t, NULL, thread_send, (void *)(long)idx) ||
	    pthread_join(t, NULL) || read(sock, &go, 1) != 1)
		return 8;
	if (read(sock, &idx2, sizeof(idx2)) != sizeof(idx2))
		return 9;
	_senduipi(idx2);
	if (read(sock, &go, 1) != 1)
		return 10;
	return 0;
}

/* Let the sender go on each time vector @v is handled once more than @from */
static int pace(int sock, int v, uint64_t from, int n)
{

	for (int i = 1; i <= n; i++) {
		if (!spin_until(&handled[v], from + i))
			return i;
		if (write(sock, "g", 1) != 1)
			return -1;
	}
	return 0;
}

static int child_status(pid_t pid)
{
	int status;

	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

int main(void)
{
	int sv[2], vfd, vfd2, ipi, idx, idx2, st, dummy, p;
	char link[64], path[64];
	pid_t pid, other;
	ssize_t n;

	if (!uintr_supported()) {
		printf("not ok - no User Interrupts (the uintr syscalls are ENOSYS)\n");
		return 1;
	}
	errno = 0;
	if (uintr_ipi_fd(1) == -1 && errno == ENOSYS) {
		printf("not ok - uintr_ipi_fd: ENOSYS\n");
		return 1;
	}

	/* Before any table exists: an unrelated process, and one with its own table */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(adopter(sv[1]));
	}
	close(sv[1]);
	{
		int sv2[2];

		socketpair(AF_UNIX, SOCK_STREAM, 0, sv2);
		other = fork();
		if (other == 0) {
			int own = uintr_ipi_fd(0), fd = uintr_recv_fd(sv2[1], &dummy);

			if (own < 0 || fd < 0)
				_exit(1);
			_exit(ioctl(fd, UIPI_SET_TARGET_TABLE, 0) == -1 && errno == EBUSY ? 0 : 2);
		}
		p = sv2[0];
	}

	expect_err(uintr_ipi_fd(1), EINVAL, "uintr_ipi_fd flags=1");
	check(uintr_register_handler(handler, 0) == 0, "register_handler");
	vfd = uintr_vector_fd(1, 0);
	idx = uintr_register_sender(vfd, 0);
	check(vfd >= 0 && idx >= 0, "vector fd and index %d", idx);
	ipi = uintr_ipi_fd(0);
	check(ipi >= 0, "uintr_ipi_fd");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ipi);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	check(!strcmp(link, "anon_inode:[uipi_fd]") && (fcntl(ipi, F_GETFD) & FD_CLOEXEC),
	      "the fd is [uipi_fd], close-on-exec (%s)", link);
	expect_err(ioctl(ipi, UIPI_SET_TARGET_TABLE, 0), EBUSY, "SET_TARGET_TABLE in the owner");
	expect_err(ioctl(ipi, UIPI_CLEAR_TARGET_TABLE, 0), EINVAL, "UIPI_CLEAR_TARGET_TABLE");
	expect_err(ioctl(ipi, _IO('u', 7), 0), EINVAL, "ioctl _IO('u', 7)");
	expect_err(uintr_register_sender(ipi, 0), EOPNOTSUPP, "register_sender(ipi fd)");
	_stui();

	/* The unrelated process adopts our table and sends */
	check(uintr_send_fd(sv[0], ipi, idx) == 0, "ipi fd sent with SCM_RIGHTS");
	st = pace(sv[0], 1, 0, SENDS);
	check(st == 0, "the adopting process sends %d user interrupts (%llu handled)", SENDS,
	      (unsigned long long)handled[1]);
	st = pace(sv[0], 1, SENDS, 1);
	check(st == 0, "... and from a second thread (lazy sender set-up)");
	vfd2 = uintr_vector_fd(2, 0);
	idx2 = uintr_register_sender(vfd2, 0);
	write(sv[0], &idx2, sizeof(idx2));
	st = pace(sv[0], 2, 0, 1);
	check(st == 0, "... and on index %d added by the owner after the adoption", idx2);
	st = child_status(pid);
	check(st == 0, "the adopting process's checks (SIGILL before, EINVAL, EBUSY after): %s",
	      st ? "failed" : "passed");
	if (st)
		printf("# adopter failed at step %d\n", st);

	/* A process with a table of its own */
	uintr_send_fd(p, ipi, 0);
	check(child_status(other) == 0, "a process with its own table gets EBUSY");

	/* A fork child shares our table: EBUSY, and it can send on our index */
	pid = fork();
	if (pid == 0) {
		if (ioctl(ipi, UIPI_SET_TARGET_TABLE, 0) != -1 || errno != EBUSY)
			_exit(1);
		_senduipi(idx);
		_exit(0);
	}
	st = child_status(pid);
	check(st == 0 && spin_until(&handled[1], SENDS + 2),
	      "a fork child (shared table) gets EBUSY and sends on the owner's index");

	/* Closing the ipi fd frees no index */
	close(ipi);
	check(senduipi_signal(idx) == 0 && spin_until(&handled[1], SENDS + 3),
	      "the index still works after closing the ipi fd");
	_clui();
	check(uintr_unregister_handler(0) == 0, "unregister_handler");
	return test_failures ? 1 : 0;
}
