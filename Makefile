# User interrupts (UINTR) for QEMU's x86 TCG target and Linux: one series per supported base.
#   make qemu     build/qemu-system-x86_64 (+ build/firmware/)   QEMU_VERSION=10.2.2 | 10.2 | QEMU_SRC=
#   make qemu-user  build/qemu-x86_64: run UINTR programs on this host, no VM (same QEMU tree)
#   make kernel   build/bzImage                                   KERNEL_VERSION=6.18 | KERNEL_SRC=
#   make rootfs   build/initramfs.cpio.gz
#   make boot     boot the VM on this terminal, the host's files at their own paths (SMP= MEM= CPU= APPEND=)
#   make run CMD='prog args'  run a host program in the VM from the current directory and come back
#   make test     build what is out of date, check the series, run every test: "N passed, N failed"
#   make test-bases  every supported QEMU and kernel base: series checks, builds, tcg tests, guest suite
#   make test-kasan  the lifetime/teardown stress tests on a KASAN + lockdep kernel
#   make test-mutants  each defect test fails on a kernel with its defect put back (tests/mutants)
#   make bench    IPC benchmarks + UINTR latency + cost check in the VM (SMP= MECHS= COST=0)
#   make export   write every build/qemu-<x.y> and build/linux-<x.y> tree back into its series folder
# 'make -f /path/to/Makefile run CMD=./prog' works from any directory, as does 'make -C /path run'.

SHELL := /bin/bash
TOP := $(patsubst %/,%,$(dir $(realpath $(lastword $(MAKEFILE_LIST)))))
S := $(TOP)/scripts
# The directory make was started in (before any -C): the working directory of 'make run'.
RUN_CWD ?= $(or $(PWD),$(CURDIR))
export QEMU_SRC KERNEL_SRC QEMU_VERSION KERNEL_VERSION QEMU_SERIES_FORCE KERNEL_SERIES_FORCE
export SMP MEM CPU APPEND QEMU_ARGS GDB TEST_SMP TEST_TIMEOUT TEST_OTHER_BASES PIN_VCPUS CMD RUN_CWD RUN_TIMEOUT

.PHONY: all qemu qemu-user kernel rootfs boot run test test-bases test-kasan test-mutants bench export deps check-series clean distclean help

all: qemu kernel rootfs

help:
	@sed -n 's/^#   //p' $(TOP)/Makefile

deps:
	$(S)/install-deps

qemu:
	@$(S)/build-qemu

qemu-user:
	@$(S)/build-qemu --user

kernel:
	@$(S)/build-kernel

rootfs:
	@$(S)/build-rootfs

boot: qemu kernel rootfs
	@HOST_SHARE=1 $(S)/boot

run: qemu kernel rootfs
	@$(S)/run

test: all qemu-user
	$(S)/test

test-bases:
	$(S)/test-bases

test-kasan: qemu rootfs
	$(S)/test-kasan

test-mutants: qemu kernel rootfs
	$(S)/check-mutants

bench: qemu kernel rootfs qemu-user
	$(S)/bench

check-series:
	$(S)/check-series qemu
	$(S)/check-series linux

export:
	$(S)/export-patches

# Removes the build products but keeps the git trees build/qemu-<x.y> and build/linux-<x.y> (your work).
clean:
	rm -rf $(TOP)/build/*-obj $(TOP)/build/rootfs $(TOP)/build/guest $(TOP)/build/test-logs \
		$(TOP)/build/qemu-system-x86_64 $(TOP)/build/qemu-x86_64 $(TOP)/build/firmware \
		$(TOP)/build/bzImage $(TOP)/build/bzImage-mutant $(TOP)/build/mutant $(TOP)/build/user \
		$(TOP)/build/initramfs.cpio.gz

# Removes build/ entirely, trees included: export first.
distclean:
	rm -rf $(TOP)/build
