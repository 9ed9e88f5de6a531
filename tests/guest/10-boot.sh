#!/bin/sh
# The guest booted and busybox works: basic userland sanity.
check() { if "$@" >/dev/null 2>&1; then echo "ok - $*"; else echo "not ok - $*"; fi; }
check test -r /proc/cpuinfo
check grep -q "^processor" /proc/cpuinfo
check test -c /dev/null
check sh -c 'echo x | grep -q x'
echo "# kernel: $(uname -a)"
echo "# cpu flags: $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2 | tr ' ' '\n' | grep -E 'uintr|xsave' | tr '\n' ' ')"
