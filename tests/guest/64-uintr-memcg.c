// SPDX-License-Identifier: GPL-2.0
/*
 * UPIDs and UITTs are charged to the memory cgroup (issue 12, defect 6).
 *
 * An unprivileged user can make a UPID per thread and a UITT (4 KiB, and
 * its context of about 4 KiB) per process.  In a memory cgroup of its own,
 * this test starts NPROC processes that only sleep and reads memory.current,
 * then NPROC processes that each register a handler and a sender entry to
 * themselves (one UPID, one UITT) and sleep, and reads it again.  The
 * difference must be at least half of what the UITTs alone take; without
 * accounting it is within the per-CPU charge batches of zero.
 *
 * The test runs ROUNDS times, and every round must pass.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "uintr-test.h"

#define NPROC		200
#define ROUNDS		3
#define UITT_BYTES	(2 * 4096)	/* the table and its context */
#define CG_MNT		"/tmp/uintr-cg"
#define CG		CG_MNT "/uintr-memcg"

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/*
 * Start NPROC children (with UINTR state if @uintr), wait until each has
 * made it, read memory.current, end them.  -1 if a child failed.
 */
static long long measure(int uintr)
{
	pid_t pids[NPROC];
	int ready[2], hold[2];
	long long cur;
	int i, bad = 0;
	char c;

	if (pipe(ready) || pipe(hold))
		return -1;
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(ready[0]);
			close(hold[1]);
			c = 'y';
			if (uintr && (uintr_register_handler(handler, 0) ||
				      uintr_register_self(0, 0) < 0))
				c = 'n';
			if (write(ready[1], &c, 1) != 1)
				_exit(1);
			/* Sleep until the parent closes the pipe */
			if (read(hold[0], &c, 1) < 0)
				_exit(1);
			_exit(0);
		}
		if (pids[i] < 0)
			return -1;
	}
	close(ready[1]);
	close(hold[0]);
	for (i = 0; i < NPROC; i++)
		if (read(ready[0], &c, 1) != 1 || c != 'y')
			bad = 1;
	cur = read_number(CG "/memory.current");
	close(hold[1]);
	close(ready[0]);
	for (i = 0; i < NPROC; i++)
		waitpid(pids[i], NULL, 0);
	return bad ? -1 : cur;
}

int main(void)
{
	long long plain, with, delta, want = NPROC * (long long)UITT_BYTES / 2;
	char pid[32];
	int round;

	if (uintr_register_handler(handler, 0)) {
		printf("ok - # SKIP no user interrupts (%s)\n", strerror(errno));
		return 0;
	}
	uintr_unregister_handler(0);

	mkdir(CG_MNT, 0755);
	if (mount("none", CG_MNT, "cgroup2", 0, NULL) && errno != EBUSY) {
		check(0, "mount cgroup2 (%s)", strerror(errno));
		return 1;
	}
	if (write_file(CG_MNT "/cgroup.subtree_control", "+memory") ||
	    (mkdir(CG, 0755) && errno != EEXIST)) {
		check(0, "a memory cgroup (%s)", strerror(errno));
		return 1;
	}
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(CG "/cgroup.procs", pid)) {
		check(0, "join the memory cgroup (%s)", strerror(errno));
		return 1;
	}

	for (round = 0; round < ROUNDS; round++) {
		plain = measure(0);
		with = measure(1);
		delta = with - plain;
		check(plain > 0 && with > 0 && delta >= want,
		      "round %d: %d processes with a UPID and a UITT are charged %lld KiB more than %d without (want >= %lld KiB)",
		      round, NPROC, delta / 1024, NPROC, want / 1024);
	}

	/* Leave the cgroup so that it can go */
	write_file(CG_MNT "/cgroup.procs", pid);
	rmdir(CG);
	umount(CG_MNT);
	return test_failures ? 1 : 0;
}
