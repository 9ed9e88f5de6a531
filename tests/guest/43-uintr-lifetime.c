// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime stress: receivers register, hand out a vector fd and exit while
 * a sender registers, sends, closes the fd and unregisters, in every order.
 * Sends to a receiver that is gone must post silently (no signal), and the
 * kernel must not oops (the harness checks the console).
 *
 * Usage: 43-uintr-lifetime [rounds]   (default 10000)
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include "uintr-test.h"

static volatile int rx_fd, rx_stop;
static volatile uint64_t rx_handled, signals;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	rx_handled++;
}

static void on_signal(int sig)
{
	signals++;
	_exit(100 + sig);
}

static void *receiver(void *arg)
{
	long mode = (long)arg;
	int fd;

	if (uintr_register_handler(handler, 0))
		return (void *)1;
	fd = uintr_vector_fd(mode & 63, 0);
	if (fd < 0)
		return (void *)2;
	_stui();
	rx_fd = fd;
	/* Exit at once, or after the sender is done with us */
	while (!(mode & 1) && !rx_stop)
		;
	if (mode & 2)
		uintr_unregister_handler(0);
	return NULL;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 10000;
	long shutdown = 0, sent = 0, bad = 0;

	if (!uintr_supported()) {
		printf("not ok - no User Interrupts (the uintr syscalls are ENOSYS)\n");
		return 1;
	}
	signal(SIGSEGV, on_signal);
	signal(SIGILL, on_signal);

	for (long r = 0; r < rounds; r++) {
		pthread_t t;
		void *ret;
		int idx;

		rx_fd = -1;
		rx_stop = 0;
		pthread_create(&t, NULL, receiver, (void *)r);
		while (rx_fd < 0)
			;
		idx = uintr_register_sender(rx_fd, 0);
		if (idx < 0) {
			if (errno == ESHUTDOWN)
				shutdown++;	/* the receiver exited first */
			else
				bad++;
		} else {
			for (int k = 0; k < 8; k++, sent++)
				_senduipi(idx);
		}
		if (r & 4)
			close(rx_fd);		/* before the receiver exits */
		rx_stop = 1;
		pthread_join(t, &ret);
		if (ret)
			bad++;
		if (idx >= 0) {
			/* The receiver is gone: posting is silent */
			for (int k = 0; k < 8; k++, sent++)
				_senduipi(idx);
			if (uintr_unregister_sender(idx, 0))
				bad++;
		}
		if (!(r & 4))
			close(rx_fd);
	}
	printf("# %ld rounds, %ld sends, %ld receivers gone before register_sender\n",
	       rounds, sent, shutdown);
	check(bad == 0 && signals == 0,
	      "%ld rounds of receivers exiting while senders send (%ld errors)", rounds, bad);
	return test_failures ? 1 : 0;
}
