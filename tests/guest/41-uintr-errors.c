// SPDX-License-Identifier: GPL-2.0
/*
 * The uintr-next syscall error codes, in the documented check order, and
 * the signals SENDUIPI raises: SIGILL without a target table, SIGSEGV for
 * an index out of range or not in use.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "uintr-test.h"

static sigjmp_buf jb;
static volatile int last_signal;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
}

static void on_signal(int sig)
{
	last_signal = sig;
	siglongjmp(jb, 1);
}

/* Run SENDUIPI on @idx; return the signal it raised, or 0 */
static int senduipi_signal(unsigned long long idx)
{
	last_signal = 0;
	if (!sigsetjmp(jb, 1))
		_senduipi(idx);
	return last_signal;
}

int main(void)
{
	int fd, sv[2], idx, self;

	if (!uintr_supported()) {
		printf("not ok - no User Interrupts (the uintr syscalls are ENOSYS)\n");
		return 1;
	}
	signal(SIGILL, on_signal);
	signal(SIGSEGV, on_signal);

	/* No target table yet: SENDUIPI is #UD, i.e. SIGILL */
	check(senduipi_signal(0) == SIGILL, "SENDUIPI without a UITT raises SIGILL");

	/* Before a handler exists */
	expect_err(uintr_unregister_handler(0), EINVAL, "unregister_handler without handler");
	expect_err(uintr_vector_fd(1, 0), EINVAL, "vector_fd without handler");
	expect_err(uintr_register_self(1, 0), EINVAL, "register_self without handler");
	expect_err(uintr_alt_stack(NULL, 0, 0), EOPNOTSUPP, "alt_stack without handler");

	/* register_handler: flags first, then the handler address */
	expect_err(uintr_register_handler(handler, 1), EINVAL, "register_handler flags=1");
	expect_err(uintr_register_handler(handler, 0x4000), EINVAL, "register_handler flags=0x4000");
	expect_err(uintr_register_handler(NULL, 0), EFAULT, "register_handler(NULL)");
	check(uintr_register_handler(handler, 0) == 0, "register_handler");
	expect_err(uintr_register_handler(handler, 0), EBUSY, "register_handler twice");

	/* vector_fd: flags, then the vector range (unsigned) */
	expect_err(uintr_vector_fd(1, 1), EINVAL, "vector_fd flags=1");
	expect_err(uintr_vector_fd(64, 0), ENOSPC, "vector_fd(64)");
	expect_err(uintr_vector_fd(-1ULL, 0), ENOSPC, "vector_fd(-1)");
	fd = uintr_vector_fd(63, 0);
	check(fd >= 0, "vector_fd(63)");
	check(uintr_vector_fd(63, 0) >= 0, "a second vector_fd for the same vector");

	/* register_sender: flags, fd, fd type */
	expect_err(uintr_register_sender(fd, 1), EINVAL, "register_sender flags=1");
	expect_err(uintr_register_sender(-1, 0), EBADF, "register_sender(-1)");
	expect_err(uintr_register_sender(1000, 0), EBADF, "register_sender(closed fd)");
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	expect_err(uintr_register_sender(sv[0], 0), EOPNOTSUPP, "register_sender(socket)");
	idx = uintr_register_sender(fd, 0);
	check(idx >= 0, "register_sender -> index %d", idx);

	/* SENDUIPI: an index past UITTSZ (255) or not in use is #GP, SIGSEGV */
	check(senduipi_signal(256) == SIGSEGV, "SENDUIPI index 256 raises SIGSEGV");
	check(senduipi_signal(1ULL << 32) == SIGSEGV, "SENDUIPI index 1<<32 raises SIGSEGV");
	check(senduipi_signal(200) == SIGSEGV, "SENDUIPI on an unused index raises SIGSEGV");
	check(senduipi_signal(idx) == 0, "SENDUIPI on a valid index");

	/* unregister_sender: flags, then the index */
	expect_err(uintr_unregister_sender(idx, 1), EINVAL, "unregister_sender flags=1");
	expect_err(uintr_unregister_sender(200, 0), EINVAL, "unregister_sender(unused)");
	expect_err(uintr_unregister_sender(-1, 0), EINVAL, "unregister_sender(-1)");
	check(uintr_unregister_sender(idx, 0) == 0, "unregister_sender");
	check(senduipi_signal(idx) == SIGSEGV, "SENDUIPI after unregister raises SIGSEGV");

	/* register_self and alt_stack */
	expect_err(uintr_register_self(1, 1), EINVAL, "register_self flags=1");
	expect_err(uintr_register_self(64, 0), ENOSPC, "register_self(64)");
	self = uintr_register_self(5, 0);
	check(self >= 0, "register_self(5) -> index %d", self);
	expect_err(uintr_alt_stack(NULL, 0, 1), EINVAL, "alt_stack flags=1");
	check(uintr_alt_stack(NULL, 0, 0) == 0, "alt_stack(NULL)");

	/* A full table: 256 indexes, the 257th is ENOSPC */
	{
		int n = 0, r;

		while ((r = uintr_register_sender(fd, 0)) >= 0)
			n++;
		check(errno == ENOSPC && n + 1 == 256,
		      "the UITT holds 256 entries, then ENOSPC (%d more)", n);
	}

	/* uintr_wait and uintr_ipi_fd argument checks (44 and 45 test what they do) */
	expect_err(syscall(__NR_uintr_wait, 1000, 1), EINVAL, "uintr_wait flags=1");
	expect_err(syscall(__NR_uintr_wait, 1000000001ULL, 0), EINVAL, "uintr_wait usec > 10^9");
	check(syscall(__NR_uintr_wait, 0, 0) == 0, "uintr_wait(0) returns 0 at once");
	expect_err(syscall(__NR_uintr_ipi_fd, 1), EINVAL, "uintr_ipi_fd flags=1");

	expect_err(uintr_unregister_handler(1), EINVAL, "unregister_handler flags=1");
	check(uintr_unregister_handler(0) == 0, "unregister_handler");
	return test_failures ? 1 : 0;
}
