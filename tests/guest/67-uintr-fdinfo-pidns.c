// SPDX-License-Identifier: GPL-2.0
/*
 * A vector fd's fdinfo names its receiver as the reader's pid namespace
 * sees it (issue 12, defect 9): the namespace of the procfs instance the
 * reader opened, as for /proc/<pid>/status.  v1 printed the TID of the
 * initial namespace, which means nothing in a container and tells it the
 * host's numbering.
 *
 * The test process P (initial namespace) makes a vector fd F.  A child C
 * unshares its pid namespace and forks G, pid 1 of the new namespace.  G
 * mounts a procfs of its own namespace on /proc (in a mount namespace of
 * its own) and makes a vector fd F2 for itself.  Then:
 * - P through the initial /proc: F names P's TID;
 * - G through its /proc: F (inherited) names 0, P is not in G's
 *   namespace; F2 names 1, G itself;
 * - C through the initial /proc (/proc/<G>/fdinfo/F2): F2 names G's
 *   TID in the initial namespace.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include "uintr-test.h"

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
}

/* A handler and a vector fd for @vector in this process, or -1 */
static int make_vector_fd(int vector, const char *where)
{
	int fd;

	if (uintr_register_handler(handler, 0)) {
		check(0, "register_handler%s: %s", where, strerror(errno));
		return -1;
	}
	fd = uintr_vector_fd(vector, 0);
	check(fd >= 0, "vector fd%s (%d)", where, fd);
	return fd;
}

/* G: pid 1 of a new pid namespace.  Reports F2 on @out, waits for EOF on @in. */
static int grandchild(int fd, int out, int in)
{
	int fd2, got;
	char c;

	check(getpid() == 1, "the child of unshare(CLONE_NEWPID) is pid 1 (%d)", getpid());
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("proc", "/proc", "proc", 0, NULL)) {
		check(0, "a procfs of the new pid namespace on /proc: %s", strerror(errno));
		return 1;
	}
	got = uintr_fd_receiver(fd);
	check(got == 0, "in a child pid namespace, fdinfo names a receiver outside it 0 (got %d)",
	      got);
	fd2 = make_vector_fd(2, " in the child namespace");
	if (fd2 < 0)
		return 1;
	got = uintr_fd_receiver(fd2);
	check(got == 1, "in a child pid namespace, fdinfo names its own receiver by its TID there, "
	      "1 (got %d)", got);
	if (write(out, &fd2, sizeof(fd2)) != sizeof(fd2))
		return 1;
	/* Until C has read F2's fdinfo from outside and closed the pipe */
	while (read(in, &c, 1) > 0)
		;
	return test_failures ? 1 : 0;
}

/* C: unshares its pid namespace, forks G, reads G's F2 from outside */
static int child(int fd)
{
	int to_c[2], to_g[2], status, fd2 = -1, got;
	char path[64];
	pid_t g;

	if (unshare(CLONE_NEWPID)) {
		check(0, "unshare(CLONE_NEWPID): %s", strerror(errno));
		return 1;
	}
	if (pipe(to_c) || pipe(to_g))
		return 1;
	g = fork();
	if (g == 0) {
		close(to_c[0]);
		close(to_g[1]);
		_exit(grandchild(fd, to_c[1], to_g[0]));
	}
	close(to_c[1]);
	close(to_g[0]);
	if (g < 0 || read(to_c[0], &fd2, sizeof(fd2)) != sizeof(fd2)) {
		check(0, "the child namespace's pid 1 made its vector fd");
	} else {
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", g, fd2);
		got = uintr_fdinfo_receiver(path);
		check(got == g, "from the initial pid namespace, fdinfo names a receiver of a child "
		      "namespace by its TID here, %d (got %d)", g, got);
	}
	close(to_g[1]);
	if (g > 0 && (waitpid(g, &status, 0) != g || !WIFEXITED(status) ||
		      WEXITSTATUS(status))) {
		check(0, "the child namespace's pid 1 passed its checks");
		return 1;
	}
	return test_failures ? 1 : 0;
}

int main(void)
{
	int fd, got, status;
	pid_t c;

	fd = make_vector_fd(1, "");
	if (fd < 0)
		return 1;
	got = uintr_fd_receiver(fd);
	check(got == gettid(), "in the receiver's own pid namespace, fdinfo names its TID %d (got %d)",
	      gettid(), got);

	fflush(stdout);
	c = fork();
	if (c == 0)
		_exit(child(fd));
	check(c > 0 && waitpid(c, &status, 0) == c && WIFEXITED(status) && !WEXITSTATUS(status),
	      "the child that unshared its pid namespace passed its checks");
	close(fd);
	uintr_unregister_handler(0);
	return test_failures ? 1 : 0;
}
