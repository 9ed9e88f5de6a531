// SPDX-License-Identifier: GPL-2.0
/*
 * ipcbench: ping-pong of COUNT messages of SIZE bytes between two parties,
 * A and B, pinned to vCPUs 0 and 1 (unpinned, and yielding instead of
 * spinning, when there is only one CPU).  A sends message i, B checks it
 * and answers with message i, A checks the answer: one round trip.
 *
 *   ipcbench MECH SIZE COUNT [SECONDS]
 *
 * MECH is one of
 *   uintr       user interrupts between two threads (receivers spin, UIF=1)
 *   uintr-proc  user interrupts between two processes (vector fds passed
 *               over a unix socket with SCM_RIGHTS)
 *   uintr-wait  user interrupts between two threads whose receivers block
 *               in uintr_wait (handler flag WAITING_RECEIVER)
 *   signal      SIGUSR1 + sigwaitinfo between two processes
 *   eventfd     one eventfd per direction, two processes
 *   pipe        one pipe per direction, two processes
 *   fifo        two named pipes in /tmp, two processes
 *   unix        a unix stream socketpair, two processes
 *   spin        shared-memory flags polled by both processes (the floor)
 * The notification-only mechanisms (uintr*, signal, eventfd, spin) carry the
 * payload in shared memory; pipe, fifo and unix carry it in the channel.
 * Each payload holds the sequence number and a pattern derived from it and
 * the direction; both ends verify every byte.
 *
 * With SECONDS, A stops after that much time if COUNT messages take longer
 * (count= then gives the messages measured).
 *
 * Output, one line:
 *   ipcbench mech=M size=S count=N seconds=T msgs_per_s=R lat_min_ns=..
 *   lat_median_ns=.. lat_p99_ns=.. lat_max_ns=.. rx_a=N rx_b=N errors=E
 *   cpus=C pinned=P wait_timeouts=W
 * A message is one round trip; msgs_per_s = count / seconds; latency is
 * half the round trip of each message (guest TSC, its rate measured
 * against CLOCK_MONOTONIC for 20 ms before the run).  rx_a / rx_b count
 * the messages each end verified (warm-up included); wait_timeouts counts
 * uintr_wait calls that timed out.  Exit status 0 when all is well, 1 on
 * errors (the line then has failed=1 or errors > 0), 2 when the mechanism
 * is not supported here (the line has unsupported=1).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "uintr-test.h"
#include "bench.h"

/* uintr-test.h's TAP counter is not used here */
static void __attribute__((unused)) no_tap(void) { (void)test_failures; }

#define MAX_SIZE		(1 << 20)
#define UINTR_HANDLER_FLAG_WAITING_RECEIVER	0x1000
#define VEC_A			1
#define VEC_B			2
#define WAIT_USEC		100000		/* uintr_wait timeout per call */
#define STALL_NS		20000000000ULL	/* a party that waits this long fails */

enum kind { THREADS, PROCESSES };
enum mech_id { M_UINTR, M_UINTR_PROC, M_UINTR_WAIT, M_SIGNAL, M_EVENTFD,
	       M_PIPE, M_FIFO, M_UNIX, M_SPIN };

static const struct {
	const char *name;
	enum kind kind;
	int channel;		/* payload travels in the channel, not in shm */
} mechs[] = {
	[M_UINTR]	= { "uintr",		THREADS,	0 },
	[M_UINTR_PROC]	= { "uintr-proc",	PROCESSES,	0 },
	[M_UINTR_WAIT]	= { "uintr-wait",	THREADS,	0 },
	[M_SIGNAL]	= { "signal",		PROCESSES,	0 },
	[M_EVENTFD]	= { "eventfd",		PROCESSES,	0 },
	[M_PIPE]	= { "pipe",		PROCESSES,	1 },
	[M_FIFO]	= { "fifo",		PROCESSES,	1 },
	[M_UNIX]	= { "unix",		PROCESSES,	1 },
	[M_SPIN]	= { "spin",		PROCESSES,	0 },
};

/* Shared between the parties (MAP_SHARED, so it survives fork) */
struct shared {
	/* spin: last sequence + 1, per direction, one cache line each */
	volatile uint64_t flag[2][8] __attribute__((aligned(64)));
	volatile int ready_b __attribute__((aligned(64)));	/* B is set up (threads) */
	volatile uint64_t rx_b, err_b;	/* B's verification counts */
	volatile int fail_b;
	volatile int stop;		/* A ends early: the last message is not one */
	char msg[2][MAX_SIZE] __attribute__((aligned(4096)));	/* [dir] */
};

static struct shared *shm;
static enum mech_id mech;
static size_t size;
static uint64_t total;			/* warm-up + measured messages */
static int pinned, yield_in_spin;
static const char *mech_name;
static unsigned long count;

/* Per mechanism state (per process after fork) */
static int fd_out[2] = { -1, -1 }, fd_in[2] = { -1, -1 };	/* [side] */
static int efd[2] = { -1, -1 };					/* [dir] */
static pid_t peer_pid;
static sigset_t sigusr1;
static int sock[2] = { -1, -1 };
static int uvec_fd[2] = { -1, -1 };				/* [side] */
static int uipi_idx[2] = { -1, -1 };	/* [side]: index that reaches side */
static uint64_t wait_timeouts[2];
static char fifo_path[2][64];

/* User interrupts handled, per vector; a cache line each (threads share it) */
static volatile uint64_t hits[64][8] __attribute__((aligned(64)));

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	hits[vector & 63][0]++;
}

static void result_line(const char *extra)
{
	printf("ipcbench mech=%s size=%zu count=%lu %s\n", mech_name, size, count, extra);
	fflush(stdout);
}

static void __attribute__((noreturn)) fail(const char *what)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "failed=1 errors=1 reason=\"%s: %s\"", what, strerror(errno));
	result_line(buf);
	exit(1);
}

static void __attribute__((noreturn)) unsupported(const char *what)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "unsupported=1 reason=\"%s\"", what);
	result_line(buf);
	exit(2);
}

/* Payload of message @seq in direction @dir (0: A to B, 1: B to A) */
static inline uint64_t pattern(uint64_t seq, int dir, size_t k)
{
	return (seq << 16) ^ ((uint64_t)dir << 63) ^ ((k + 1) * 0x9e3779b97f4a7c15ULL);
}

static void fill(char *buf, uint64_t seq, int dir)
{
	uint64_t *w = (uint64_t *)buf;
	size_t k, words = size / 8;

	for (k = 0; k < words; k++)
		w[k] = pattern(seq, dir, k);
	for (k = words * 8; k < size; k++)
		buf[k] = (char)(seq * 7 + k + dir * 0x80 + 1);
}

static int verify(const char *buf, uint64_t seq, int dir)
{
	const uint64_t *w = (const uint64_t *)buf;
	size_t k, words = size / 8;

	for (k = 0; k < words; k++)
		if (w[k] != pattern(seq, dir, k))
			return 0;
	for (k = words * 8; k < size; k++)
		if (buf[k] != (char)(seq * 7 + k + dir * 0x80 + 1))
			return 0;
	return 1;
}

/* Wait until *p >= want: spin (yield with one CPU); -1 after STALL_NS */
static int wait_for(volatile uint64_t *p, uint64_t want)
{
	return spin_until(p, want, yield_in_spin, STALL_NS);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t r = write(fd, buf, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		len -= r;
	}
	return 0;
}

static int read_all(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t r = read(fd, buf, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		len -= r;
	}
	return 0;
}

static void pin(int side)
{
	if (pinned && pin_to(side))
		fail("sched_setaffinity");
}

/* Set-up before the parties start (in A, before fork / pthread_create) */
static void setup_common(void)
{
	int p[2][2], i;

	switch (mech) {
	case M_UINTR:
	case M_UINTR_WAIT:
	case M_UINTR_PROC:
		if (!uintr_supported())
			unsupported("uintr is not in /proc/cpuinfo");
		if (mech == M_UINTR_PROC && socketpair(AF_UNIX, SOCK_STREAM, 0, sock))
			fail("socketpair");
		break;
	case M_SIGNAL:
		sigemptyset(&sigusr1);
		sigaddset(&sigusr1, SIGUSR1);
		if (sigprocmask(SIG_BLOCK, &sigusr1, NULL))
			fail("sigprocmask");
		break;
	case M_EVENTFD:
		for (i = 0; i < 2; i++)
			if ((efd[i] = eventfd(0, 0)) < 0)
				fail("eventfd");
		break;
	case M_PIPE:
		if (pipe(p[0]) || pipe(p[1]))
			fail("pipe");
		fd_out[0] = p[0][1];	/* A to B */
		fd_in[1] = p[0][0];
		fd_out[1] = p[1][1];	/* B to A */
		fd_in[0] = p[1][0];
		break;
	case M_FIFO:
		for (i = 0; i < 2; i++) {
			snprintf(fifo_path[i], sizeof(fifo_path[i]), "/tmp/ipcbench.%d.%d",
				 getpid(), i);
			unlink(fifo_path[i]);
			if (mkfifo(fifo_path[i], 0600))
				fail("mkfifo");
		}
		break;
	case M_UNIX:
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sock))
			fail("socketpair");
		fd_out[0] = fd_in[0] = sock[0];
		fd_out[1] = fd_in[1] = sock[1];
		break;
	case M_SPIN:
		break;
	}
}

/* Set-up in each party once it runs (pinned); 0 or -1 (errno set) */
static int setup_side(int side)
{
	unsigned int flags = 0;
	char go;
	int peer_fd;

	/* processes: close the other party's ends, so that a death is seen */
	if (mechs[mech].kind == PROCESSES) {
		if (sock[!side] >= 0)
			close(sock[!side]);
		if (mech == M_PIPE) {
			close(fd_out[!side]);
			close(fd_in[!side]);
		}
	}
	switch (mech) {
	case M_UINTR_WAIT:
		flags = UINTR_HANDLER_FLAG_WAITING_RECEIVER;
		/* fall through */
	case M_UINTR:
		if (uintr_register_handler(handler, flags))
			return -1;
		uvec_fd[side] = uintr_vector_fd(side ? VEC_B : VEC_A, 0);
		if (uvec_fd[side] < 0)
			return -1;
		if (side == 1) {
			/* the UITT is per mm: one index per receiver serves both threads */
			uipi_idx[0] = uintr_register_sender(uvec_fd[0], 0);
			uipi_idx[1] = uintr_register_sender(uvec_fd[1], 0);
			if (uipi_idx[0] < 0 || uipi_idx[1] < 0)
				return -1;
			_stui();
			shm->ready_b = 1;
		} else {
			_stui();
		}
		return 0;
	case M_UINTR_PROC:
		if (uintr_register_handler(handler, 0))
			return -1;
		uvec_fd[side] = uintr_vector_fd(side ? VEC_B : VEC_A, 0);
		if (uvec_fd[side] < 0 || uintr_send_fd(sock[side], uvec_fd[side], 0))
			return -1;
		peer_fd = uintr_recv_fd(sock[side], NULL);
		if (peer_fd < 0)
			return -1;
		uipi_idx[!side] = uintr_register_sender(peer_fd, 0);
		if (uipi_idx[!side] < 0)
			return -1;
		_stui();
		/* both ends ready before the first message */
		if (write(sock[side], "r", 1) != 1 || read(sock[side], &go, 1) != 1)
			return -1;
		return 0;
	case M_SIGNAL:
		peer_pid = side ? getppid() : peer_pid;
		return 0;
	case M_FIFO:
		/* A opens 0 for writing first, B opens 0 for reading first */
		if (side == 0) {
			fd_out[0] = open(fifo_path[0], O_WRONLY);
			fd_in[0] = open(fifo_path[1], O_RDONLY);
			if (fd_out[0] < 0 || fd_in[0] < 0)
				return -1;
		} else {
			fd_in[1] = open(fifo_path[0], O_RDONLY);
			fd_out[1] = open(fifo_path[1], O_WRONLY);
			if (fd_out[1] < 0 || fd_in[1] < 0)
				return -1;
		}
		return 0;
	default:
		return 0;
	}
}

/* Deliver message @seq, already in place, from @side to the other party */
static int notify(int side, uint64_t seq, const char *buf)
{
	uint64_t one = 1;

	switch (mech) {
	case M_UINTR:
	case M_UINTR_WAIT:
	case M_UINTR_PROC:
		__atomic_thread_fence(__ATOMIC_RELEASE);
		_senduipi(uipi_idx[!side]);
		return 0;
	case M_SIGNAL:
		return kill(peer_pid, SIGUSR1);
	case M_EVENTFD:
		return write(efd[side], &one, 8) == 8 ? 0 : -1;
	case M_SPIN:
		__atomic_store_n(&shm->flag[side][0], seq + 1, __ATOMIC_RELEASE);
		return 0;
	default:
		return write_all(fd_out[side], buf, size);
	}
}

/* Wait for message @seq sent to @side; the payload ends in @buf for channels */
static int wait_msg(int side, uint64_t seq, char *buf)
{
	volatile uint64_t *h = &hits[side ? VEC_B : VEC_A][0];
	uint64_t v, t0 = 0;
	siginfo_t si;

	switch (mech) {
	case M_UINTR:
	case M_UINTR_PROC:
		if (wait_for(h, seq + 1))
			return -1;
		break;
	case M_UINTR_WAIT:
		/*
		 * Check and sleep with UIF=0: an interrupt that arrives after
		 * the check stays pending in UIRR, so uintr_wait returns at
		 * once instead of sleeping until the timeout; STUI delivers it.
		 */
		_clui();
		while (*h < seq + 1) {
			long r = syscall(__NR_uintr_wait, WAIT_USEC, 0);

			_stui();
			_clui();
			if (r == 0) {
				uint64_t now = mono_ns();

				wait_timeouts[side]++;
				if (!t0)
					t0 = now;
				else if (now - t0 > STALL_NS)
					return -1;
			} else if (errno != EINTR) {
				_stui();
				return -1;
			}
		}
		_stui();
		break;
	case M_SIGNAL:
		while (sigwaitinfo(&sigusr1, &si) != SIGUSR1)
			if (errno != EINTR)
				return -1;
		break;
	case M_EVENTFD:
		if (read(efd[!side], &v, 8) != 8)
			return -1;
		break;
	case M_SPIN:
		if (wait_for(&shm->flag[!side][0], seq + 1))
			return -1;
		break;
	default:
		return read_all(fd_in[side], buf, size);
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return 0;
}

static char *tx_buf(int side)
{
	static char *local[2];

	if (!mechs[mech].channel)
		return shm->msg[side];
	if (!local[side] && !(local[side] = aligned_alloc(4096, MAX_SIZE)))
		fail("malloc");
	return local[side];
}

static char *rx_buf(int side)
{
	static char *local[2];

	if (!mechs[mech].channel)
		return shm->msg[!side];
	if (!local[side] && !(local[side] = aligned_alloc(4096, MAX_SIZE)))
		fail("malloc");
	return local[side];
}

/* Party B: answer every message; results in shm */
static void *party_b(void *arg)
{
	char *tx, *rx;
	uint64_t i;
	int stopped = 0;

	pin(1);
	tx = tx_buf(1);
	rx = rx_buf(1);
	if (setup_side(1)) {
		shm->fail_b = errno ? errno : EIO;
		shm->ready_b = 1;
		return NULL;
	}
	for (i = 0; i < total; i++) {
		if (wait_msg(1, i, rx)) {
			shm->fail_b = errno ? errno : ETIMEDOUT;
			break;
		}
		if (shm->stop) {
			stopped = 1;
			break;
		}
		if (verify(rx, i, 0))
			shm->rx_b++;
		else
			shm->err_b++;
		fill(tx, i, 1);
		if (notify(1, i, tx)) {
			shm->fail_b = errno ? errno : EIO;
			break;
		}
	}
	if (mech == M_UINTR || mech == M_UINTR_WAIT || mech == M_UINTR_PROC) {
		_clui();
		/* lost or doubled interrupts */
		if (hits[VEC_B][0] != shm->rx_b + shm->err_b + stopped)
			shm->err_b++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	uint64_t i, warm, rx_a = 0, err_a = 0, *rtt, ns_start = 0, ns_end, t_start = 0, limit = 0;
	double ns_per_tick, secs;
	pthread_t thread;
	pid_t child = -1;
	int cpus, status, failed = 0;
	char *tx, *rx, line[512];

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: ipcbench MECH SIZE COUNT [SECONDS]\n");
		return 1;
	}
	mech_name = argv[1];
	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (!strcmp(argv[1], mechs[i].name))
			break;
	if (i == sizeof(mechs) / sizeof(mechs[0])) {
		fprintf(stderr, "ipcbench: unknown mechanism %s\n", argv[1]);
		return 1;
	}
	mech = i;
	size = strtoul(argv[2], NULL, 0);
	count = strtoul(argv[3], NULL, 0);
	if (size < 1 || size > MAX_SIZE || count < 1) {
		fprintf(stderr, "ipcbench: SIZE must be 1..%d, COUNT >= 1\n", MAX_SIZE);
		return 1;
	}
	warm = count / 10 < 100 ? count / 10 : 100;
	total = warm + count;
	alarm(1800);

	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	pinned = cpus >= 2;
	yield_in_spin = !pinned;

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		fail("mmap");
	rtt = calloc(count, sizeof(*rtt));	/* one round trip time per message */
	if (!rtt)
		fail("no memory for COUNT round-trip times");
	setup_common();
	ns_per_tick = ns_per_tsc_tick();
	if (argc == 5)
		limit = strtod(argv[4], NULL) * 1e9 / ns_per_tick;

	if (mech == M_UINTR_WAIT) {
		/* uintr_wait and the WAITING_RECEIVER flag: probe before starting */
		if (uintr_register_handler(handler, UINTR_HANDLER_FLAG_WAITING_RECEIVER)) {
			if (errno == EINVAL)
				unsupported("uintr_register_handler(WAITING_RECEIVER): EINVAL");
			fail("uintr_register_handler");
		}
		if (syscall(__NR_uintr_wait, 0, 0) < 0 && errno == ENOSYS)
			unsupported("uintr_wait: ENOSYS");
		uintr_unregister_handler(0);
	}

	pin(0);
	tx = tx_buf(0);
	rx = rx_buf(0);
	if (mechs[mech].kind == THREADS) {
		uint64_t n = 0;

		/* A's receiver first: B registers the senders to both vector fds */
		if (setup_side(0))
			fail("set-up (A)");
		if (pthread_create(&thread, NULL, party_b, NULL))
			fail("pthread_create");
		while (!shm->ready_b && ++n < (1ULL << 40))
			if (yield_in_spin || (n & 0xffff) == 0)
				sched_yield();
	} else {
		child = fork();
		if (child < 0)
			fail("fork");
		if (child == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			party_b(NULL);
			_exit(0);
		}
		peer_pid = child;
		if (setup_side(0))
			fail("set-up (A)");
	}
	if (shm->fail_b) {
		errno = shm->fail_b;
		fail("set-up (B)");
	}

	for (i = 0; i < total; i++) {
		uint64_t t0;

		if (i == warm) {
			ns_start = mono_ns();
			t_start = __rdtsc();
		}
		t0 = __rdtsc();
		if (limit && i > warm && t0 - t_start > limit) {
			/* time is up: a last message that only tells B to stop */
			shm->stop = 1;
			fill(tx, i, 0);
			if (notify(0, i, tx))
				failed = 1;
			break;
		}
		fill(tx, i, 0);
		if (notify(0, i, tx) || wait_msg(0, i, rx)) {
			failed = 1;
			break;
		}
		if (verify(rx, i, 1))
			rx_a++;
		else
			err_a++;
		if (i >= warm)
			rtt[i - warm] = __rdtsc() - t0;
	}
	ns_end = mono_ns();
	count = i - warm;		/* the messages measured */
	if (mech == M_UINTR || mech == M_UINTR_WAIT || mech == M_UINTR_PROC) {
		_clui();
		if (!failed && hits[VEC_A][0] != i)
			err_a++;
	}

	if (mechs[mech].kind == THREADS) {
		if (failed)	/* B is stuck waiting: do not join */
			shm->fail_b = shm->fail_b ? shm->fail_b : ETIMEDOUT;
		else
			pthread_join(thread, NULL);
	} else {
		if (failed)
			kill(child, SIGKILL);
		if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			failed = 1;
	}
	if (mech == M_FIFO) {
		unlink(fifo_path[0]);
		unlink(fifo_path[1]);
	}
	if (failed || shm->fail_b) {
		errno = shm->fail_b ? shm->fail_b : ETIMEDOUT;
		snprintf(line, sizeof(line),
			 "failed=1 rx_a=%llu rx_b=%llu errors=%llu reason=\"stalled or broken: %s\"",
			 (unsigned long long)rx_a, (unsigned long long)shm->rx_b,
			 (unsigned long long)(err_a + shm->err_b + 1), strerror(errno));
		result_line(line);
		return 1;
	}

	secs = (ns_end - ns_start) / 1e9;
	qsort(rtt, count, sizeof(*rtt), cmp_u64);
#define LAT(x)	((unsigned long long)((x) * ns_per_tick / 2 + 0.5))
	snprintf(line, sizeof(line),
		 "seconds=%.6f msgs_per_s=%.0f lat_min_ns=%llu lat_median_ns=%llu lat_p99_ns=%llu "
		 "lat_max_ns=%llu rx_a=%llu rx_b=%llu errors=%llu cpus=%d pinned=%d wait_timeouts=%llu",
		 secs, count / secs, LAT(rtt[0]), LAT(percentile(rtt, count, 50)),
		 LAT(percentile(rtt, count, 99)),
		 LAT(rtt[count - 1]), (unsigned long long)rx_a, (unsigned long long)shm->rx_b,
		 (unsigned long long)(err_a + shm->err_b), cpus, pinned,
		 (unsigned long long)(wait_timeouts[0] + wait_timeouts[1]));
	result_line(line);
	return err_a + shm->err_b ? 1 : 0;
}
