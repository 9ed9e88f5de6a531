// SPDX-License-Identifier: GPL-2.0
/*
 * uipi_sample: a thread sends a user interrupt to the main thread, whose
 * handler runs; then the same through a self-targeted index, and many
 * sends with the receiver spinning, each one counted exactly once.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include "uintr-test.h"

#define SENDS 10000

static volatile uint64_t handled, last_vector;
static volatile int uintr_fd, sender_done;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	handled++;
	last_vector = vector;
}

static void *sender(void *arg)
{
	long n = (long)arg;
	int idx = uintr_register_sender(uintr_fd, 0);

	if (idx < 0) {
		printf("# register_sender: %s\n", strerror(errno));
		sender_done = -1;
		return NULL;
	}
	for (long i = 0; i < n; i++) {
		uint64_t before = handled;

		_senduipi(idx);
		/* one in flight at a time: each send must be seen */
		while (handled == before)
			;
	}
	uintr_unregister_sender(idx, 0);
	sender_done = 1;
	return NULL;
}

int main(void)
{
	pthread_t pt;
	int self;

	if (!uintr_supported()) {
		printf("not ok - no User Interrupts (the uintr syscalls are ENOSYS)\n");
		return 1;
	}
	check(uintr_register_handler(handler, 0) == 0, "uintr_register_handler");
	uintr_fd = uintr_vector_fd(7, 0);
	check(uintr_fd >= 0, "uintr_vector_fd(7)");
	_stui();

	/* The uipi_sample itself */
	pthread_create(&pt, NULL, sender, (void *)1L);
	while (!sender_done)
		;
	pthread_join(pt, NULL);
	check(sender_done == 1 && handled == 1 && last_vector == 7,
	      "a thread's SENDUIPI runs the main thread's handler: Success");

	/* A sender to itself */
	self = uintr_register_self(3, 0);
	check(self >= 0, "uintr_register_self");
	handled = 0;
	_senduipi(self);
	for (int i = 0; i < 100000000 && !handled; i++)
		;
	check(handled == 1 && last_vector == 3, "a self-sent user interrupt is delivered");

	/* Many sends, one at a time, none lost or doubled */
	handled = 0;
	sender_done = 0;
	pthread_create(&pt, NULL, sender, (void *)(long)SENDS);
	while (!sender_done)
		;
	pthread_join(pt, NULL);
	check(sender_done == 1 && handled == SENDS, "%d sends, %llu handled", SENDS,
	      (unsigned long long)handled);

	_clui();
	check(uintr_unregister_handler(0) == 0, "uintr_unregister_handler");
	return test_failures ? 1 : 0;
}
