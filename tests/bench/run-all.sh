#!/bin/sh
# run-all.sh [SECONDS [MECHS]]: the guest side of 'make bench'.  Runs ipcbench for every
# mechanism at 1 and 4096 bytes, each for SECONDS (default 3; at most 1,000,000 messages),
# then uintr-latency (10,000 sends), and prints their result lines between "bench: ..."
# progress lines.  MECHS (separated by '+') restricts the mechanisms.
secs=${1:-3}
mechs=$(echo "${2:-uintr+uintr-proc+uintr-wait+signal+eventfd+pipe+fifo+unix+spin}" | tr '+' ' ')
count=1000000
sends=10000

runs=1
for m in $mechs; do runs=$((runs + 2)); done
echo "bench: begin runs=$runs cpus=$(grep -c ^processor /proc/cpuinfo) kernel=$(uname -r)"
# Warm-up, not reported.  (Slow runs where every message takes milliseconds come from the host
# running both vCPU threads on one core, each waiting for the other's time slice: scripts/bench
# pins the vCPU threads to different host cores, PIN_VCPUS=1 in scripts/boot.)
/tests/bench/ipcbench uintr 1 1000000 2 >/dev/null 2>&1
i=0
for size in 1 4096; do
	for m in $mechs; do
		i=$((i + 1))
		echo "bench: run $i/$runs ipcbench $m $size ${secs}s"
		timeout -s KILL 600 /tests/bench/ipcbench "$m" "$size" "$count" "$secs" ||
			echo "bench: exit $? ipcbench $m $size"
	done
done
i=$((i + 1))
echo "bench: run $i/$runs uintr-latency all $sends"
timeout -s KILL 600 /tests/bench/uintr-latency all "$sends" ||
	echo "bench: exit $? uintr-latency all $sends"
echo "bench: end"
