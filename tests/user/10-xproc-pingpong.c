// SPDX-License-Identifier: GPL-2.0
/*
 * A user-interrupt ping-pong between two processes started apart (under
 * linux-user: two qemu-x86_64 processes), which exchange their vector fds
 * and a shared message page over a unix socket with SCM_RIGHTS.
 *
 *   10-xproc-pingpong server SOCKET ROUNDS &
 *   10-xproc-pingpong client SOCKET ROUNDS
 *
 * Each round the client writes a message, interrupts the server, whose
 * handler checks it and answers; the client's handler checks the answer.
 * Every message is verified.  The client prints the rate.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/un.h>
#include "uintr-test.h"

struct msgs {
	volatile uint64_t ping, pong;
};

static struct msgs *m;
static volatile uint64_t got, bad;
static int peer_idx;
static int is_server;

static void UINTR_HANDLER handler(struct __uintr_frame *frame, unsigned long long vector)
{
	uint64_t want = got + 1;

	if (is_server) {
		if (m->ping != want * 2 + 1)
			bad++;
		m->pong = want * 2;
		got = want;
		_senduipi(peer_idx);
	} else {
		if (m->pong != want * 2)
			bad++;
		got = want;
	}
}

static int connect_to(const char *path, int server)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0), c;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (server) {
		unlink(path);
		if (bind(s, (void *)&a, sizeof(a)) || listen(s, 1))
			return -1;
		c = accept(s, NULL, NULL);
		close(s);
		return c;
	}
	for (int i = 0; i < 500; i++) {
		if (!connect(s, (void *)&a, sizeof(a)))
			return s;
		usleep(20000);
	}
	return -1;
}

int main(int argc, char **argv)
{
	uint64_t rounds, t0, t1;
	int sock, vfd, pfd, mfd, dummy;

	if (argc != 4) {
		fprintf(stderr, "usage: %s server|client SOCKET ROUNDS\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	is_server = !strcmp(argv[1], "server");
	rounds = strtoull(argv[3], NULL, 0);
	sock = connect_to(argv[2], is_server);
	if (sock < 0 || uintr_register_handler(handler, 0)) {
		printf("not ok - %s: set-up (%s)\n", argv[1], strerror(errno));
		return 1;
	}
	vfd = uintr_vector_fd(is_server ? 1 : 2, 0);
	if (is_server) {
		mfd = memfd_create("msgs", 0);
		if (ftruncate(mfd, 4096) || uintr_send_fd(sock, mfd, 0) || uintr_send_fd(sock, vfd, 0))
			return 1;
		pfd = uintr_recv_fd(sock, &dummy);
	} else {
		mfd = uintr_recv_fd(sock, &dummy);
		pfd = uintr_recv_fd(sock, &dummy);
		if (uintr_send_fd(sock, vfd, 0))
			return 1;
	}
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	peer_idx = uintr_register_sender(pfd, 0);
	if (m == MAP_FAILED || peer_idx < 0) {
		printf("not ok - %s: register_sender over SCM_RIGHTS (%s)\n", argv[1], strerror(errno));
		return 1;
	}
	_stui();
	/* Both are ready: one byte each way. */
	if (write(sock, "r", 1) != 1 || read(sock, &dummy, 1) != 1)
		return 1;
	if (is_server) {
		test_spin_until(&got, rounds, 600000);
		check(got == rounds && !bad, "server: %llu pings, %llu bad",
		      (unsigned long long)got, (unsigned long long)bad);
		/* Wait for the client to finish before the receiver goes away. */
		read(sock, &dummy, 1);
		return test_failures;
	}
	t0 = test_now_us();
	for (uint64_t i = 1; i <= rounds; i++) {
		m->ping = i * 2 + 1;
		_senduipi(peer_idx);
		while (got < i)
			;
	}
	t1 = test_now_us();
	check(got == rounds && !bad && m->pong == rounds * 2,
	      "client: %llu round trips between two processes, every message verified (%llu bad)",
	      (unsigned long long)got, (unsigned long long)bad);
	printf("# rate: %.0f round trips/s\n", rounds * 1e6 / (t1 - t0 ? t1 - t0 : 1));
	write(sock, "d", 1);
	return test_failures;
}
