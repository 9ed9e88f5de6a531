// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring completion notifier teardown: the user-interrupt receiver of a
 * ring goes away while I/O is in flight (timeouts, linked reads, reads in
 * io-wq), with the vector fd closed, the receiver unregistered and the ring
 * exited in different orders:
 *   - a child process that owns ring and receiver exits with everything
 *     open, after closing the vector fd, after IORING_UNREGISTER_UINTR, or
 *     after closing the ring and unregistering its handler;
 *   - the receiver is a thread of the process that owns the ring, or an
 *     unrelated child that passed its vector fd over a unix socket, and it
 *     exits while completions keep coming; the ring owner then submits more
 *     I/O (notifications to a receiver that is gone), reaps everything with
 *     io_uring_enter and tears down in one of three orders.
 * Nothing may hang, the ring owner must see every completion, and the
 * kernel must not oops (the harness checks the console).
 *
 * Usage: 62-uring-uintr-teardown [rounds]   (default 500)
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include "uintr-test.h"
#include "uring-lite.h"

#define FILE_SIZE	(4 << 20)
#define BIG		(128 << 10)
#define SMALL		(16 << 10)
#define NR_BIG		8
#define NR_CHAINS	6
#define ROUND_SECS	60

static const char *path = "/tmp/62-uring-uintr-teardown.dat";
static int file_fd;
static struct ulring ring;
static volatile int handler_reaps;
static volatile uint64_t calls;
static char *bigbuf, *smallbuf;

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	calls++;
	if (handler_reaps) {
		unsigned int tail = __atomic_load_n(ring.cq_tail, __ATOMIC_ACQUIRE);

		__atomic_store_n(ring.cq_head, tail, __ATOMIC_RELEASE);
	}
}

static struct __kernel_timespec t_short = { .tv_sec = 0, .tv_nsec = 2000000 };
static struct __kernel_timespec t_long = { .tv_sec = 10, .tv_nsec = 0 };

#define UD_LONG_TIMEOUT	0xdead

/*
 * Queue a load of in-flight I/O: short timeouts, one long timeout (only
 * ring exit ends it), chains of linked reads ending in a NOP, and big reads
 * forced into io-wq.  Returns the number of CQEs to expect before the long
 * timeout, or -1.
 */
static int queue_io(struct ulring *r)
{
	struct io_uring_sqe *sqe;
	int n = 0;

	for (int i = 0; i < 4; i++, n++) {
		if (!(sqe = ulr_get_sqe(r)))
			return -1;
		ulr_prep_timeout(sqe, &t_short, 0, 100 + i);
	}
	if (!(sqe = ulr_get_sqe(r)))
		return -1;
	ulr_prep_timeout(sqe, &t_long, 0, UD_LONG_TIMEOUT);
	for (int c = 0; c < NR_CHAINS; c++) {
		for (int j = 0; j < 2; j++, n++) {
			if (!(sqe = ulr_get_sqe(r)))
				return -1;
			ulr_prep_read(sqe, file_fd, smallbuf + (2 * c + j) * SMALL, SMALL,
				      (uint64_t)(c * 2 + j) * SMALL, 200 + 2 * c + j);
			sqe->flags |= IOSQE_IO_LINK | (j ? IOSQE_ASYNC : 0);
		}
		if (!(sqe = ulr_get_sqe(r)))
			return -1;
		ulr_prep_nop(sqe, 300 + c);
		n++;
	}
	for (int i = 0; i < NR_BIG; i++, n++) {
		if (!(sqe = ulr_get_sqe(r)))
			return -1;
		ulr_prep_read(sqe, file_fd, bigbuf + i * BIG, BIG, (uint64_t)i * BIG, 400 + i);
		sqe->flags |= IOSQE_ASYNC;
	}
	return ulr_submit(r) < 0 ? -1 : n;
}

/* Reap @n CQEs through io_uring_enter (the owner is not the receiver) */
static int reap_blocking(struct ulring *r, int n, int *bad)
{
	int got = 0;

	while (got < n) {
		unsigned int head, tail;

		if (!ulr_cq_ready(r) && ulr_wait(r, 1) < 0)
			return got;
		head = *r->cq_head;
		tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
		for (; head != tail; head++) {
			struct io_uring_cqe *c = &r->cqes[head & *r->cq_mask];

			if (c->user_data == UD_LONG_TIMEOUT || (c->res < 0 && c->res != -ETIME))
				(*bad)++;
			got++;
		}
		__atomic_store_n(r->cq_head, tail, __ATOMIC_RELEASE);
	}
	return got;
}

/* Child process: owns the ring and is its receiver; exits per @mode */
static int child_owner(int mode, int sqpoll)
{
	int vec_fd;

	handler_reaps = 1;
	if (uintr_register_handler(handler, 0))
		return 10;
	vec_fd = uintr_vector_fd(mode + 1, 0);
	if (vec_fd < 0)
		return 11;
	if (ulr_init_flags(&ring, 64, sqpoll ? IORING_SETUP_SQPOLL : 0, 10))
		return 12;
	if (ulr_register_uintr(&ring, vec_fd))
		return 13;
	_stui();
	if (queue_io(&ring) < 0)
		return 14;
	switch (mode) {
	case 0:		/* exit with ring, receiver and vector fd in place */
		break;
	case 1:		/* close the vector fd first */
		close(vec_fd);
		break;
	case 2:		/* unregister the receiver from the ring first */
		if (ulr_unregister_uintr(&ring))
			return 15;
		break;
	case 3:		/* exit the ring, then stop being a receiver */
		/*
		 * Cancelled requests still post CQEs, and notify, until the
		 * ring is freed: the handler must not touch the unmapped ring.
		 */
		handler_reaps = 0;
		ulr_exit(&ring);
		if (uintr_unregister_handler(0))
			return 16;
		break;
	}
	return 0;
}

static volatile int rx_fd, rx_go;

/* A receiver thread of the ring owner: exits when told, maybe unregistering first */
static void *rx_thread(void *arg)
{
	long unregister = (long)arg;
	int fd;

	if (uintr_register_handler(handler, 0)) {
		rx_fd = -2;
		return NULL;
	}
	fd = uintr_vector_fd(3, 0);
	if (fd < 0) {
		rx_fd = -2;
		return NULL;
	}
	_stui();
	rx_fd = fd;
	while (!rx_go)
		;
	if (unregister)
		uintr_unregister_handler(0);
	return NULL;
}

/* Child process receiver: sends its vector fd, exits on "go" */
static int child_receiver(int sock)
{
	char go;
	int fd;

	handler_reaps = 0;
	if (uintr_register_handler(handler, 0))
		return 20;
	fd = uintr_vector_fd(4, 0);
	if (fd < 0)
		return 21;
	_stui();
	if (uintr_send_fd(sock, fd, 0))
		return 22;
	if (read(sock, &go, 1) != 1)
		return 23;
	return 0;
}

static long hangs, child_fail, reg_fail, lost, bad_cqes, rounds_done;

/* Wait for @pid, at most ROUND_SECS; a child that does not exit is a hang */
static void reap_child(pid_t pid, int round)
{
	int status;

	for (int ms = 0; ms < ROUND_SECS * 1000; ms++) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				if (child_fail++ < 5)
					printf("# round %d: child %s %d\n", round,
					       WIFEXITED(status) ? "exit status" : "signal",
					       WIFEXITED(status) ? WEXITSTATUS(status)
								 : WTERMSIG(status));
			}
			return;
		}
		usleep(1000);
	}
	printf("# round %d: child %d did not exit in %d s\n", round, pid, ROUND_SECS);
	hangs++;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* The ring owner with a receiver elsewhere (thread or process); @mode 4..7 */
static void owner_round(int mode, int variant, int round)
{
	struct ulring r;
	pthread_t t;
	pid_t pid = -1;
	int vec_fd, sv[2], n1, n2, got, bad = 0;

	if (ulr_init_flags(&r, 64, variant ? IORING_SETUP_SQPOLL : 0, 10)) {
		reg_fail++;
		return;
	}
	if (mode == 7) {
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		pid = fork();
		if (pid == 0)
			_exit(child_receiver(sv[1]));
		vec_fd = uintr_recv_fd(sv[0], NULL);
	} else {
		rx_fd = -1;
		rx_go = 0;
		pthread_create(&t, NULL, rx_thread, (void *)(long)variant);
		while (rx_fd == -1)
			;
		vec_fd = rx_fd;
	}
	if (vec_fd < 0 || ulr_register_uintr(&r, vec_fd)) {
		if (reg_fail++ < 5)
			printf("# round %d: register a receiver of another task: %s\n", round,
			       vec_fd < 0 ? "no vector fd" : strerror(errno));
	}
	n1 = queue_io(&r);
	/* The receiver goes away with that in flight */
	if (mode == 7) {
		write(sv[0], "g", 1);
		reap_child(pid, round);
		close(sv[0]);
		close(sv[1]);
	} else {
		rx_go = 1;
		pthread_join(t, NULL);
	}
	/* More completions for a receiver that is gone */
	n2 = queue_io(&r);
	if (n1 < 0 || n2 < 0) {
		reg_fail++;
		n1 = n2 = 0;
	}
	got = reap_blocking(&r, n1 + n2, &bad);
	if (got != n1 + n2 && lost++ < 5)
		printf("# round %d: reaped %d of %d\n", round, got, n1 + n2);
	bad_cqes += bad;
	switch (mode) {
	case 4:		/* unregister, close the vector fd, exit the ring */
	case 7:
		if (ulr_unregister_uintr(&r) && reg_fail++ < 5)
			printf("# round %d: unregister: %s\n", round, strerror(errno));
		close(vec_fd);
		ulr_exit(&r);
		break;
	case 5:		/* close the vector fd, exit the ring still registered */
		close(vec_fd);
		ulr_exit(&r);
		break;
	case 6:		/* exit the ring, then close the vector fd */
		ulr_exit(&r);
		close(vec_fd);
		break;
	}
}

static void on_alarm(int sig)
{
	printf("not ok - a round hung for %d s (%ld rounds done)\n", ROUND_SECS, rounds_done);
	fflush(stdout);
	_exit(1);
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 500;
	char *data;

	if (!uintr_supported()) {
		printf("not ok - uintr is not in /proc/cpuinfo\n");
		return 1;
	}
	data = malloc(FILE_SIZE);
	for (long i = 0; i < FILE_SIZE; i++)
		data[i] = i * 7;
	file_fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (file_fd < 0 || write(file_fd, data, FILE_SIZE) != FILE_SIZE) {
		printf("not ok - %s: %s\n", path, strerror(errno));
		return 1;
	}
	free(data);
	bigbuf = aligned_alloc(4096, NR_BIG * BIG);
	smallbuf = aligned_alloc(4096, 2 * NR_CHAINS * SMALL);
	signal(SIGALRM, on_alarm);

	for (long r = 0; r < rounds; r++) {
		int mode = r % 8, variant = (r / 8) % 2;

		alarm(ROUND_SECS + 10);
		if (mode < 4) {
			pid_t pid = fork();

			if (pid == 0)
				_exit(child_owner(mode, variant));
			reap_child(pid, r);
		} else {
			owner_round(mode, variant, r);
		}
		rounds_done++;
	}
	alarm(0);
	check(rounds_done == rounds && !hangs, "%ld rounds, no hang (%ld hangs)", rounds_done,
	      hangs);
	check(!child_fail, "receiver processes exited cleanly (%ld failed)", child_fail);
	check(!reg_fail, "registering receivers of other tasks, unregistering (%ld failures)",
	      reg_fail);
	check(!lost && !bad_cqes, "the ring owner reaped every completion after its receiver "
	      "left (%ld rounds short, %ld unexpected CQEs)", lost, bad_cqes);
	printf("# %llu user interrupts handled by receivers of this process\n",
	       (unsigned long long)calls);
	close(file_fd);
	unlink(path);
	return test_failures ? 1 : 0;
}
