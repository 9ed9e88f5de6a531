# User interrupts (UINTR) for QEMU's x86 TCG target and Linux 6.12.
#   make qemu     build/qemu-system-x86_64 (+ build/firmware/)
#   make kernel   build/bzImage
#   make rootfs   build/initramfs.cpio.gz
#   make boot     boot the VM on this terminal (SMP= MEM= CPU= APPEND= QEMU_ARGS= GDB=1)
#   make test     build what is out of date, check the series, run every test
#   make test-kasan  the lifetime/teardown stress tests on a KASAN + lockdep kernel
#   make bench    IPC benchmarks + UINTR latency + cost check in the VM (SMP= MECHS= COST=0)
#   make export   write build/qemu and build/linux (base..HEAD) back into the patch folders
# QEMU_SRC=/path and KERNEL_SRC=/path build a tree of your own with the series applied.

SHELL := /bin/bash
export QEMU_SRC KERNEL_SRC QEMU_VERSION KERNEL_VERSION QEMU_SERIES_FORCE KERNEL_SERIES_FORCE
export SMP MEM CPU APPEND QEMU_ARGS GDB TEST_SMP TEST_TIMEOUT PIN_VCPUS

.PHONY: all qemu kernel rootfs boot test test-kasan bench export deps check-series clean distclean help

all: qemu kernel rootfs

help:
	@sed -n 's/^#   //p' Makefile

deps:
	scripts/install-deps

qemu:
	scripts/build-qemu

kernel:
	scripts/build-kernel

rootfs:
	scripts/build-rootfs

boot: qemu kernel rootfs
	scripts/boot

test: all
	scripts/test

test-kasan: qemu rootfs
	scripts/test-kasan

bench: qemu kernel rootfs
	scripts/bench

check-series:
	scripts/check-series qemu
	scripts/check-series linux

export:
	scripts/export-patches

# Removes the build products but keeps the git trees build/qemu and build/linux (your work).
clean:
	rm -rf build/qemu-obj build/linux-obj build/linux-debug-obj build/rootfs build/guest build/test-logs \
		build/qemu-system-x86_64 build/firmware build/bzImage build/initramfs.cpio.gz

# Removes build/ entirely, trees included: export first.
distclean:
	rm -rf build
