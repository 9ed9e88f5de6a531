#!/bin/sh
# switch-cost.sh [SECONDS [COUNT [SLEEP]]]: the guest side of scripts/bench-kernel-cost and
# scripts/test-switch-hooks.  After SLEEP seconds (default 0), the two context-switch-heavy
# ping-pongs of ipcbench (eventfd and pipe, 1 byte), each for SECONDS (default 3) or COUNT
# messages (default 1,000,000), whichever ends first, by tasks that do not use User Interrupts;
# prints their result lines.
secs=${1:-3}
count=${2:-1000000}
echo "switch-cost: kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
sleep "${3:-0}"
echo "switch-cost: begin"
# Warm-up, not reported.
/tests/bench/ipcbench pipe 1 "$count" 1 >/dev/null 2>&1
for m in eventfd pipe; do
	timeout -s KILL 600 /tests/bench/ipcbench "$m" 1 "$count" "$secs" ||
		echo "switch-cost: exit $? ipcbench $m 1"
done
echo "switch-cost: end"
