// SPDX-License-Identifier: GPL-2.0
/*
 * Receivers that go away while a sender is sending: a receiver thread that
 * exits mid-stream, and a receiver process that is killed mid-stream.
 * The sender keeps sending after they are gone: no fault, nothing is
 * delivered, QEMU does not crash; register_sender then gets ESHUTDOWN.
 * ROUNDS rounds, each checked.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "uintr-test.h"

#define ROUNDS		100
#define BEFORE_EXIT	200

static volatile uint64_t handled;
static volatile int vfd;

static void UINTR_HANDLER handler(struct __uintr_frame *frame, unsigned long long vector)
{
	handled++;
}

static void *receiver(void *arg)
{
	uintr_register_handler(handler, 0);
	vfd = uintr_vector_fd(3, 0);
	_stui();
	/* Exit with the stream still coming.  */
	test_spin_until(&handled, BEFORE_EXIT, 5000);
	return NULL;
}

int main(void)
{
	int ok_rounds = 0, shutdown = 0, sv[2];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!uintr_supported()) {
		printf("ok - # SKIP no user interrupts\n");
		return 0;
	}
	for (int r = 0; r < ROUNDS; r++) {
		pthread_t t;
		int idx;
		uint64_t after;

		vfd = -1;
		handled = 0;
		pthread_create(&t, NULL, receiver, NULL);
		while (vfd < 0)
			;
		idx = uintr_register_sender(vfd, 0);
		/* Send until the thread is gone, then some more.  */
		while (pthread_tryjoin_np(t, NULL))
			_senduipi(idx);
		after = handled;
		for (int i = 0; i < 1000; i++)
			_senduipi(idx);
		usleep(1000);
		if (after >= BEFORE_EXIT && handled == after)
			ok_rounds++;
		errno = 0;
		if (uintr_register_sender(vfd, 0) == -1 && errno == ESHUTDOWN)
			shutdown++;
		uintr_unregister_sender(idx, 0);
		close(vfd);
	}
	check(ok_rounds == ROUNDS && shutdown == ROUNDS,
	      "a receiver thread exits mid-stream: %d/%d rounds clean, %d ESHUTDOWN",
	      ok_rounds, ROUNDS, shutdown);

	/* A receiver process killed with SIGKILL mid-stream.  */
	ok_rounds = shutdown = 0;
	for (int r = 0; r < ROUNDS / 10; r++) {
		pid_t pid;
		int fd, idx, dummy, status;

		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		pid = fork();
		if (pid == 0) {
			uintr_register_handler(handler, 0);
			uintr_send_fd(sv[1], uintr_vector_fd(4, 0), 0);
			_stui();
			for (;;)
				;
		}
		fd = uintr_recv_fd(sv[0], &dummy);
		idx = uintr_register_sender(fd, 0);
		for (int i = 0; i < 2000; i++) {
			if (i == 1000)
				kill(pid, SIGKILL);
			_senduipi(idx);
		}
		waitpid(pid, &status, 0);
		for (int i = 0; i < 1000; i++)
			_senduipi(idx);
		if (idx >= 0 && WIFSIGNALED(status))
			ok_rounds++;
		errno = 0;
		if (uintr_register_sender(fd, 0) == -1 && errno == ESHUTDOWN)
			shutdown++;
		uintr_unregister_sender(idx, 0);
		close(fd);
		close(sv[0]);
		close(sv[1]);
	}
	check(ok_rounds == ROUNDS / 10 && shutdown == ROUNDS / 10,
	      "a receiver process killed mid-stream: %d/%d rounds clean, %d ESHUTDOWN",
	      ok_rounds, ROUNDS / 10, shutdown);
	return test_failures ? 1 : 0;
}
