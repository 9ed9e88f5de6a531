/* A thread interrupts main.  gcc -muintr -pthread uintr-hello.c -o uintr-hello */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <x86gprintrin.h>
static volatile int got;
static int fd;
__attribute__((interrupt, target("general-regs-only"), optimize("no-shrink-wrap")))
static void handler(struct __uintr_frame *frame, unsigned long long vector)
{
	got = vector + 1;
}
static void *sender(void *arg)
{
	_senduipi(syscall(474 /* uintr_register_sender */, fd, 0));
	return NULL;
}
int main(void)
{
	pthread_t t;
	if (syscall(471 /* uintr_register_handler */, handler, 0) < 0)
		return perror("uintr_register_handler"), 1;
	fd = syscall(473 /* uintr_vector_fd */, 5, 0);
	_stui();
	pthread_create(&t, NULL, sender, NULL);
	while (!got)
		;
	printf("handler ran for vector %d\n", got - 1);
	return pthread_join(t, NULL);
}
