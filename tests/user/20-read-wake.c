// SPDX-License-Identifier: GPL-2.0
/*
 * A receiver blocked in read() on an empty pipe:
 * - registered with UINTR_HANDLER_FLAG_WAITING_RECEIVER and UIF = 1, a
 *   user interrupt ends the read with EINTR, and the handler has run when
 *   read() returns; from another thread and from another process;
 * - registered without it, the read is left alone: it returns the data
 *   written later, and the handler runs after it.
 * Each case is repeated ROUNDS times and checked every round.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "uintr-test.h"

#define WAITING_RECEIVER	0x1000
#define ROUNDS			200

static volatile uint64_t handled;
static int pipefd[2];
static volatile int ready, vfd = -1;
static volatile pid_t reader_tid;

static void UINTR_HANDLER handler(struct __uintr_frame *frame, unsigned long long vector)
{
	handled++;
}

struct result {
	int eintr, data, handler_first, late;
};

/* One receiver thread: @rounds reads, each ended by the main thread.  */
static void *reader(void *arg)
{
	struct result *res = arg;
	char c;

	if (uintr_register_handler(handler, (intptr_t)res->late ? 0 : WAITING_RECEIVER))
		return NULL;
	reader_tid = gettid();
	vfd = uintr_vector_fd(1, 0);
	_stui();
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t before = handled;
		ssize_t n;

		ready = i + 1;
		n = read(pipefd[0], &c, 1);
		if (n == -1 && errno == EINTR)
			res->eintr++;
		if (n == 1)
			res->data++;
		/* WAITING: the handler ran before read() returned */
		if (handled == before + 1)
			res->handler_first++;
		if (res->late)
			test_spin_until(&handled, before + 1, 2000);
	}
	return NULL;
}

static void run_threads(int late)
{
	struct result res = { .late = late };
	pthread_t t;
	int idx = -1;

	ready = 0;
	vfd = -1;
	handled = 0;
	pthread_create(&t, NULL, reader, &res);
	while (vfd < 0)
		;
	idx = uintr_register_sender(vfd, 0);
	for (int i = 0; i < ROUNDS; i++) {
		while (ready != i + 1)
			;
		/* until the reader sleeps in read() */
		while (test_thread_state(getpid(), reader_tid) != 'S')
			;
		usleep(500);
		_senduipi(idx);
		if (late) {
			usleep(1000);
			if (write(pipefd[1], "x", 1) != 1)
				break;
		}
	}
	pthread_join(t, NULL);
	if (late)
		check(res.data == ROUNDS && res.eintr == 0 && handled == ROUNDS,
		      "no WAITING flag: %d reads returned their data, %d EINTR, %llu handled",
		      res.data, res.eintr, (unsigned long long)handled);
	else
		check(res.eintr == ROUNDS && res.handler_first == ROUNDS,
		      "WAITING_RECEIVER: %d of %d reads ended with EINTR, handler first in %d",
		      res.eintr, ROUNDS, res.handler_first);
	uintr_unregister_sender(idx, 0);
	close(vfd);
}

/* A receiver in another process, its fd passed over a socket.  */
static void run_process(void)
{
	int sv[2], fd, idx, dummy, status, ok = 0;
	pid_t pid;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid = fork();
	if (pid == 0) {
		struct result res = { 0 };
		char c;

		uintr_register_handler(handler, WAITING_RECEIVER);
		uintr_send_fd(sv[1], uintr_vector_fd(2, 0), 0);
		_stui();
		for (int i = 0; i < ROUNDS; i++) {
			uint64_t before = handled;
			pid_t me = gettid();

			if (write(sv[1], &me, sizeof(me)) != sizeof(me))
				_exit(3);
			if (read(pipefd[0], &c, 1) == -1 && errno == EINTR && handled == before + 1)
				res.eintr++;
		}
		_exit(res.eintr == ROUNDS ? 0 : 1);
	}
	fd = uintr_recv_fd(sv[0], &dummy);
	idx = uintr_register_sender(fd, 0);
	for (int i = 0; i < ROUNDS && idx >= 0; i++) {
		pid_t tid;

		if (read(sv[0], &tid, sizeof(tid)) != sizeof(tid))
			break;
		while (test_thread_state(pid, tid) != 'S')
			;
		usleep(500);
		_senduipi(idx);
	}
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		ok = WEXITSTATUS(status) == 0;
	check(ok, "WAITING_RECEIVER in another process: %d reads ended with EINTR after the handler",
	      ROUNDS);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!uintr_supported()) {
		printf("ok - # SKIP no user interrupts\n");
		return 0;
	}
	if (pipe(pipefd))
		return 1;
	run_threads(0);
	run_threads(1);
	run_process();
	return test_failures ? 1 : 0;
}
