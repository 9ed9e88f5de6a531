// SPDX-License-Identifier: GPL-2.0
/*
 * User interrupts between processes: a child created by fork sends to its
 * parent on the index the parent registered (the child shares the UITT and
 * its sender MSRs are set up lazily on its first SENDUIPI); an unrelated
 * process receives the vector fd over a unix socket (SCM_RIGHTS),
 * registers itself as a sender and sends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "uintr-test.h"

#define SENDS 1000

static volatile uint64_t handled[64];

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	handled[vector & 63]++;
}

/* Wait (bounded) until handled[v] reaches n */
static int wait_handled(int v, uint64_t n)
{
	for (long i = 0; i < 2000000000L && handled[v] < n; i++)
		;
	return handled[v] >= n;
}

/* Let the sender on @sock go on after each user interrupt on vector @v */
static void pace_sender(int sock, int v)
{
	for (int i = 1; i <= SENDS; i++) {
		if (!wait_handled(v, i))
			break;
		write(sock, "g", 1);
	}
}

/* A process forked before any UINTR set-up: it has its own mm, no UITT */
static int unrelated_sender(int sock)
{
	char go;
	int fd, i;

	fd = uintr_recv_fd(sock, NULL);
	if (fd < 0)
		return 3;
	i = uintr_register_sender(fd, 0);
	if (i < 0)
		return 4;
	for (int k = 0; k < SENDS; k++) {
		_senduipi(i);
		if (read(sock, &go, 1) != 1)
			return 5;
	}
	return 0;
}

int main(void)
{
	int fd_fork, fd_sock, idx, sv[2], sv2[2], status;
	pid_t pid, unrelated;
	char go;

	if (!uintr_supported()) {
		printf("not ok - no User Interrupts (the uintr syscalls are ENOSYS)\n");
		return 1;
	}
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv2);
	unrelated = fork();
	if (unrelated == 0)
		_exit(unrelated_sender(sv2[1]));
	check(uintr_register_handler(handler, 0) == 0, "register_handler");
	fd_fork = uintr_vector_fd(11, 0);
	fd_sock = uintr_vector_fd(22, 0);
	check(fd_fork >= 0 && fd_sock >= 0, "two vector fds");
	idx = uintr_register_sender(fd_fork, 0);
	check(idx >= 0, "register_sender in the parent");
	_stui();

	/* fork: the child sends on the parent's index, one at a time */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < SENDS; i++) {
			_senduipi(idx);
			if (read(sv[1], &go, 1) != 1)	/* the parent saw it */
				_exit(2);
		}
		_exit(0);
	}
	pace_sender(sv[0], 11);
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0 && handled[11] == SENDS,
	      "a fork child sends %d user interrupts to its parent (%llu handled)",
	      SENDS, (unsigned long long)handled[11]);

	/* An unrelated process gets the fd over a unix socket */
	pid = unrelated;
	check(uintr_send_fd(sv2[0], fd_sock, 0) == 0, "vector fd sent with SCM_RIGHTS");
	pace_sender(sv2[0], 22);
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0 && handled[22] == SENDS,
	      "a process that received the fd over a socket sends %d (%llu handled)",
	      SENDS, (unsigned long long)handled[22]);

	_clui();
	check(uintr_unregister_handler(0) == 0, "unregister_handler");
	return test_failures ? 1 : 0;
}
