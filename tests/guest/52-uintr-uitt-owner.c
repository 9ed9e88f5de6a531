// SPDX-License-Identifier: GPL-2.0
/*
 * Who may change a UITT entry (issue 12, defect 5): only holders of a
 * vector fd send to its receiver, so no other process may free an index
 * of ours and have it refilled with its own receiver.
 *
 * - A fork child unregisters our index and registers a receiver of its
 *   own (it gets a private copy of the table, so that touches only its
 *   copy): our index still reaches us, and the child gets nothing.
 * - A process that adopted our table with UIPI_SET_TARGET_TABLE sends on
 *   our index (deliberate sharing), but cannot unregister it or any other
 *   entry of ours (EPERM), and its own entry takes a new index.  We cannot
 *   unregister its entry either; each owner can remove its own.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "uintr-test.h"

#define uintr_ipi_fd(f)		syscall(__NR_uintr_ipi_fd, f)
#define UIPI_SET_TARGET_TABLE	_IO('u', 0)
#define UITT_SIZE		256

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

/* SENDUIPI @idx; the signal it raised (SIGSEGV: index not in use) or 0 */
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

static int put(int sock, int v)
{
	return write(sock, &v, sizeof(v)) == sizeof(v) ? 0 : -1;
}

static int get(int sock, int *v)
{
	return read(sock, v, sizeof(*v)) == sizeof(*v) ? 0 : -1;
}

/* Become a receiver of vector @v and register a sender for it: the index */
static int own_receiver(int v)
{
	int fd;

	if (uintr_register_handler(handler, 0))
		return -1;
	fd = uintr_vector_fd(v, 0);
	if (fd < 0)
		return -1;
	return uintr_register_sender(fd, 0);
}

/*
 * Fork child: unregister the parent's index @idx, then register a receiver
 * of its own (vector 4).  Reports: unregister result, errno, its index,
 * then how many user interrupts its receiver got.
 */
static int fork_child(int sock, int idx)
{
	int r, e, cidx, go;

	errno = 0;
	r = uintr_unregister_sender(idx, 0);
	e = errno;
	cidx = own_receiver(4);
	_stui();
	if (put(sock, r) || put(sock, e) || put(sock, cidx) || get(sock, &go))
		return 1;
	test_spin_until(&handled[4], 1, 300);
	return put(sock, (int)handled[4]) ? 1 : 0;
}

/*
 * A process forked before any UINTR set-up that adopts the parent's table.
 * Reports: SET_TARGET_TABLE result, unregister_sender(@idx) result and
 * errno, how many of the 256 indexes it could unregister, its own index,
 * how many user interrupts its receiver got, and whether it could
 * unregister its own index.
 */
static int adopter(int sock)
{
	int fd, idx, r, e, freed = 0, aidx, go;

	fd = uintr_recv_fd(sock, &idx);
	if (fd < 0)
		return 1;
	if (put(sock, ioctl(fd, UIPI_SET_TARGET_TABLE, 0)))
		return 1;
	close(fd);
	if (get(sock, &go))
		return 1;
	_senduipi(idx);
	if (get(sock, &go))
		return 1;

	errno = 0;
	r = uintr_unregister_sender(idx, 0);
	e = errno;
	freed += r == 0;
	for (int i = 0; i < UITT_SIZE; i++)
		if (i != idx)
			freed += uintr_unregister_sender(i, 0) == 0;
	aidx = own_receiver(5);
	_stui();
	if (put(sock, r) || put(sock, e) || put(sock, freed) || put(sock, aidx))
		return 1;
	if (get(sock, &go))
		return 1;
	test_spin_until(&handled[5], 1, 300);
	if (put(sock, (int)handled[5]) || get(sock, &go))
		return 1;
	return put(sock, uintr_unregister_sender(aidx, 0)) ? 1 : 0;
}

static int child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

int main(void)
{
	int sa[2], sf[2], vfd, idx, ipi, r, e, cidx, freed, aidx, got;
	pid_t adopter_pid, pid;

	if (!uintr_supported()) {
		printf("not ok - uintr is not in /proc/cpuinfo\n");
		return 1;
	}
	socketpair(AF_UNIX, SOCK_STREAM, 0, sa);
	adopter_pid = fork();
	if (adopter_pid == 0) {
		close(sa[0]);
		_exit(adopter(sa[1]));
	}
	close(sa[1]);

	check(uintr_register_handler(handler, 0) == 0, "register_handler");
	vfd = uintr_vector_fd(3, 0);
	idx = uintr_register_sender(vfd, 0);
	check(vfd >= 0 && idx >= 0, "vector fd and index %d", idx);
	_stui();
	check(senduipi_signal(idx) == 0 && test_spin_until(&handled[3], 1, 2000),
	      "SENDUIPI on our own index");

	/* A fork child: private copy */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sf);
	pid = fork();
	if (pid == 0) {
		close(sf[0]);
		_exit(fork_child(sf[1], idx));
	}
	close(sf[1]);
	r = e = cidx = -1;
	if (get(sf[0], &r) || get(sf[0], &e) || get(sf[0], &cidx))
		printf("# the fork child did not report\n");
	printf("# fork child: unregister_sender(%d) = %d (%s), its own receiver got index %d\n",
	       idx, r, r ? strerror(e) : "in its copy", cidx);
	check(cidx >= 0, "the fork child registers a receiver of its own");
	check(senduipi_signal(idx) == 0 && test_spin_until(&handled[3], 2, 2000),
	      "after a fork child unregistered index %d and registered its own receiver, "
	      "the index still reaches us (%llu handled)", idx,
	      (unsigned long long)handled[3]);
	got = -1;
	if (put(sf[0], 1) || get(sf[0], &got))
		printf("# the fork child did not report\n");
	check(got == 0, "the fork child's receiver got none of our user interrupts (%d)", got);
	check(child_status(pid) == 0, "the fork child exits cleanly");

	/* An unrelated process adopts our table: shared deliberately */
	ipi = uintr_ipi_fd(0);
	check(ipi >= 0, "uintr_ipi_fd");
	r = -1;
	if (uintr_send_fd(sa[0], ipi, idx) || get(sa[0], &r))
		printf("# the adopter did not report\n");
	close(ipi);
	check(r == 0, "the other process adopts our table (UIPI_SET_TARGET_TABLE)");
	put(sa[0], 1);
	check(test_spin_until(&handled[3], 3, 2000),
	      "it sends on our index %d (%llu handled)", idx, (unsigned long long)handled[3]);
	r = e = freed = aidx = -1;
	if (put(sa[0], 1) || get(sa[0], &r) || get(sa[0], &e) || get(sa[0], &freed) ||
	    get(sa[0], &aidx))
		printf("# the adopter did not report\n");
	check(r == -1 && e == EPERM,
	      "it cannot unregister our index %d: EPERM (got %d, %s)", idx, r, strerror(e));
	check(freed == 0, "it unregisters none of the %d indexes of the shared table (%d freed)",
	      UITT_SIZE, freed);
	check(aidx >= 0 && aidx != idx,
	      "its own receiver's entry takes a new index (%d), not our %d", aidx, idx);
	check(senduipi_signal(idx) == 0 && test_spin_until(&handled[3], 4, 2000),
	      "our index still reaches us (%llu handled)", (unsigned long long)handled[3]);
	got = -1;
	if (put(sa[0], 1) || get(sa[0], &got))
		printf("# the adopter did not report\n");
	check(got == 0, "its receiver got none of our user interrupts (%d)", got);
	if (aidx >= 0 && aidx != idx)
		expect_err(uintr_unregister_sender(aidx, 0), EPERM,
			   "we cannot unregister its index either");
	else
		check(0, "we cannot unregister its index either (no index of its own)");
	r = -1;
	if (put(sa[0], 1) || get(sa[0], &r))
		printf("# the adopter did not report\n");
	check(r == 0, "it unregisters its own index");
	check(child_status(adopter_pid) == 0, "the adopter exits cleanly");

	check(uintr_unregister_sender(idx, 0) == 0, "we unregister our own index");
	check(senduipi_signal(idx) == SIGSEGV, "SENDUIPI on it now raises SIGSEGV");
	_clui();
	check(uintr_unregister_handler(0) == 0, "unregister_handler");
	return test_failures ? 1 : 0;
}
