// SPDX-License-Identifier: GPL-2.0
/*
 * No SENDUIPI posts into a freed UPID (issue 12, defect 6).
 *
 * A SENDUIPI that read a UITT entry before the entry was invalidated may
 * still post to the UPID.  On a CPU whose tick is on, the grace period
 * before the UPID is freed covers that; a nohz_full CPU in user mode is in
 * an extended quiescent state, which RCU does not wait for.
 *
 * One sender thread per CPU other than CPU 0 spins SENDUIPI in user mode on
 * the current index (on nohz_full CPUs when the guest boots with
 * nohz_full=, as scripts/run-guest-tests does), taking the #GP of an
 * invalid index as a signal and going on.  Each round, a receiver on
 * CPU 0 makes a vector fd, the main thread registers it, lets the senders
 * post for a while, unregisters it, closes the fd and ends the receiver,
 * so that the UPID is freed while they keep sending; the next round's
 * UPID may reuse its memory.  With slub_debug poisoning the UPID cache
 * (slub_debug=FP,uintr_upid), a write into a freed UPID is reported as
 * "Poison overwritten" when the object is allocated again or validated.
 * The test validates the cache at the end and reads the kernel log.
 *
 * The window is one instruction, so under TCG a post lands in a freed UPID
 * only when the host deschedules a vCPU thread inside the SENDUIPI helper
 * for a whole grace period: the poison check rarely fails without the fix.
 * The test therefore also checks the fix's mechanism: before the UPIDs
 * freed after a grace period go, every nohz_full CPU takes an IPI.  At the
 * end, QUIET_FREES receivers have exited and only their vector fds keep
 * their UPIDs; once the system is quiet, the fds are closed one by one,
 * FREE_GAP_MS apart, so that each UPID is freed after a grace period of
 * its own, and the nohz_full CPUs must take at least QUIET_FREES / 2
 * function-call interrupts (/proc/interrupts CAL, less TLB shootdowns,
 * which also arrive that way) meanwhile.  Without the fix nothing sends
 * them any then.  (During the rounds, thread stacks freed with vfree()
 * flush kernel TLBs through the same interrupt, too often to count.)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "uintr-test.h"

#define ROUNDS		3000
#define MAX_SENDERS	7
#define QUIET_FREES	40
#define FREE_GAP_MS	25

static atomic_long cur_index = -1;
static atomic_int stop;
static atomic_long sends[MAX_SENDERS + 1];
static __thread sigjmp_buf jb;

struct receiver {
	pthread_t	thread;
	int		fd;
	atomic_int	state;		/* 1: fd made, 2: may exit */
};

UINTR_HANDLER
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
}

static void on_segv(int sig)
{
	siglongjmp(jb, 1);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *sender(void *arg)
{
	long cpu = (long)arg;
	volatile long idx;

	pin(cpu);
	sigsetjmp(jb, 1);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		idx = atomic_load_explicit(&cur_index, memory_order_relaxed);
		if (idx < 0)
			continue;
		_senduipi(idx);
		atomic_fetch_add_explicit(&sends[cpu], 1, memory_order_relaxed);
	}
	return NULL;
}

static void *receiver(void *arg)
{
	struct receiver *r = arg;

	pin(0);
	r->fd = -1;
	if (uintr_register_handler(handler, 0) == 0)
		r->fd = uintr_vector_fd(1, 0);
	atomic_store(&r->state, 1);
	while (atomic_load(&r->state) != 2)
		sched_yield();
	return NULL;
}

/* Validate the UPID caches and look for slub's reports in the kernel log */
static int poison_reports(char *first, size_t len)
{
	static const char *const caches[] = { "uintr_upid", "kmalloc-64" };
	char path[96], line[512];
	unsigned int i;
	int fd, n = 0;
	ssize_t r;

	for (i = 0; i < sizeof(caches) / sizeof(caches[0]); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/validate", caches[i]);
		fd = open(path, O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "1", 1) != 1)
				perror(path);
			close(fd);
		}
	}
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	while ((r = read(fd, line, sizeof(line) - 1)) > 0 || (r < 0 && errno == EPIPE)) {
		if (r <= 0)
			continue;
		line[r] = 0;
		if (strstr(line, "Poison overwritten") || strstr(line, "BUG uintr_upid") ||
		    strstr(line, "BUG kmalloc-64")) {
			if (!n++)
				snprintf(first, len, "%s", strchr(line, ';') ? strchr(line, ';') + 1 : line);
		}
	}
	close(fd);
	return n;
}

/* CAL - TLB interrupts summed over the nohz_full CPUs; -1 without any */
static long nohz_full_ipis(void)
{
	char line[1024], list[256] = "";
	int nohz[64] = { 0 }, ncol = 0, a, b, i, any = 0;
	long cal = 0, tlb = 0, v;
	FILE *f = fopen("/sys/devices/system/cpu/nohz_full", "r");
	char *p, *q;

	if (!f)
		return -1;
	if (!fgets(list, sizeof(list), f))
		list[0] = 0;
	fclose(f);
	for (p = strtok(list, ",\n"); p; p = strtok(NULL, ",\n")) {
		if (sscanf(p, "%d-%d", &a, &b) == 2 || (sscanf(p, "%d", &a) == 1 && (b = a, 1)))
			for (i = a; i <= b && i < 64; i++)
				nohz[i] = any = 1;
	}
	if (!any)
		return -1;
	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		for (p = line; (p = strstr(p, "CPU")); p += 3)
			ncol++;
	while (fgets(line, sizeof(line), f)) {
		int is_cal, is_tlb;

		p = line + strspn(line, " ");
		is_cal = !strncmp(p, "CAL:", 4);
		is_tlb = !strncmp(p, "TLB:", 4);
		if (!is_cal && !is_tlb)
			continue;
		p += 4;
		for (i = 0; i < ncol && i < 64; i++) {
			v = strtol(p, &q, 10);
			if (q == p)
				break;
			p = q;
			if (nohz[i])
				*(is_cal ? &cal : &tlb) += v;
		}
	}
	fclose(f);
	return cal - tlb;
}

int main(void)
{
	int quiet_fds[QUIET_FREES];
	long ipis_before, ipis_after;
	pthread_t senders[MAX_SENDERS + 1];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), total = 0;
	struct sigaction sa = { .sa_handler = on_segv, .sa_flags = SA_NODEFER };
	char first[512] = "";
	int round, bad = 0, nsend, i, reports;
	struct receiver r;
	long idx;

	if (uintr_register_handler(handler, 0)) {
		printf("ok - # SKIP no user interrupts (%s)\n", strerror(errno));
		return 0;
	}
	uintr_unregister_handler(0);
	sigaction(SIGSEGV, &sa, NULL);

	nsend = ncpu > 1 ? ncpu - 1 : 1;
	if (nsend > MAX_SENDERS)
		nsend = MAX_SENDERS;
	for (i = 1; i <= nsend; i++)
		pthread_create(&senders[i], NULL, sender, (void *)(long)(ncpu > 1 ? i : 0));

	for (round = 0; round < ROUNDS && !bad; round++) {
		memset(&r, 0, sizeof(r));
		pthread_create(&r.thread, NULL, receiver, &r);
		while (!atomic_load(&r.state))
			sched_yield();
		if (r.fd < 0) {
			bad = 1;
			break;
		}
		idx = uintr_register_sender(r.fd, 0);
		if (idx < 0) {
			bad = 2;
			break;
		}
		atomic_store(&cur_index, idx);
		usleep(round % 8 * 25);
		/* From here a SENDUIPI on idx raises #GP; one in flight may still post */
		if (uintr_unregister_sender(idx, 0)) {
			bad = 3;
			break;
		}
		close(r.fd);
		atomic_store(&r.state, 2);
		pthread_join(r.thread, NULL);
	}
	atomic_store(&stop, 1);
	for (i = 1; i <= nsend; i++) {
		pthread_join(senders[i], NULL);
		total += sends[ncpu > 1 ? i : 0];
	}
	check(!bad && round == ROUNDS, "%d rounds of a UPID freed under %d spinning senders (%ld SENDUIPIs; failure %d)",
	      round, nsend, total, bad);
	/* Let the last frees (grace period, nohz_full IPI) happen */
	usleep(200000);
	/*
	 * Receivers that exit, leaving only their vector fds.  Everything runs
	 * on CPU 0 now: a wake-up of a task on another CPU is a function-call
	 * interrupt too.
	 */
	pin(0);
	for (i = 0; i < QUIET_FREES; i++) {
		memset(&r, 0, sizeof(r));
		pthread_create(&r.thread, NULL, receiver, &r);
		while (!atomic_load(&r.state))
			sched_yield();
		atomic_store(&r.state, 2);
		pthread_join(r.thread, NULL);
		quiet_fds[i] = r.fd;
	}
	usleep(500000);
	ipis_before = nohz_full_ipis();
	for (i = 0; i < QUIET_FREES; i++) {
		if (quiet_fds[i] >= 0)
			close(quiet_fds[i]);
		usleep(FREE_GAP_MS * 1000);
	}
	usleep(200000);
	ipis_after = nohz_full_ipis();
	if (ipis_before < 0)
		check(1, "# SKIP no nohz_full CPU: the grace period covers every CPU");
	else
		check(ipis_after - ipis_before >= QUIET_FREES / 2,
		      "%d UPIDs freed one by one: the nohz_full CPUs took %ld function-call IPIs (want >= %d)",
		      QUIET_FREES, ipis_after - ipis_before, QUIET_FREES / 2);
	reports = poison_reports(first, sizeof(first));
	check(reports == 0, "no write into a freed UPID: %d slub reports%s%s",
	      reports, reports ? ", the first: " : "", first);
	return test_failures ? 1 : 0;
}
