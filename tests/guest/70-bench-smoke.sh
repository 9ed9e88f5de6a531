#!/bin/sh
# The benchmark programs of /tests/bench as a correctness check, not for timing: each
# mechanism once at 1 and 4096 bytes with a tiny count.  ok only if the program exits 0,
# prints one well-formed result line, and both ends verified every message (sequence number
# and pattern), and for uintr-latency if every send was handled exactly once.
bench=/tests/bench
n=200
warm=20				# ipcbench's warm-up: min(count / 10, 100)
total=$((n + warm))
num='[0-9]+'

smoke() { # smoke MECH: ipcbench MECH at 1 and 4096 bytes
	for size in 1 4096; do
		out=$(timeout -s KILL 120 "$bench/ipcbench" "$1" "$size" "$n" 2>&1)
		rc=$?
		lines=$(echo "$out" | grep -c '^ipcbench ')
		if [ "$rc" -eq 0 ] && [ "$lines" -eq 1 ] && echo "$out" | grep -Eq \
			"^ipcbench mech=$1 size=$size count=$n seconds=[0-9.]+ msgs_per_s=$num lat_min_ns=$num lat_median_ns=$num lat_p99_ns=$num lat_max_ns=$num rx_a=$total rx_b=$total errors=0 cpus=$num pinned=[01] "; then
			echo "ok - ipcbench $1 size=$size: $n messages verified at both ends"
		else
			echo "not ok - ipcbench $1 size=$size (exit $rc)"
			echo "$out" | sed 's/^/# /'
		fi
	done
}

smoke uintr
smoke uintr-proc
smoke uintr-wait
smoke signal
smoke eventfd
smoke pipe
smoke fifo
smoke unix
smoke spin

out=$(timeout -s KILL 120 "$bench/uintr-latency" all "$n" 2>&1)
rc=$?
for mode in cross self; do
	if [ "$rc" -eq 0 ] && echo "$out" | grep -Eq \
		"^uintr-latency mode=$mode sends=$n tsc_mhz=[0-9.]+ min_ns=$num median_ns=$num p99_ns=$num max_ns=$num median_cycles=$num p99_cycles=$num handled=$n errors=0 "; then
		echo "ok - uintr-latency $mode: $n sends, each handled once"
	else
		echo "not ok - uintr-latency $mode (exit $rc)"
		echo "$out" | sed 's/^/# /'
	fi
done

# The io_uring experiment, all three methods, with the compute tasks scaled down: every read
# must complete (none short or failed), and the uintr method must have been notified.
out=$(timeout -s KILL 300 "$bench/uring-latency" 0.001 spu 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && echo "$out" | grep -q '^uring-latency: done' &&
	! echo "$out" | grep -q 'short or failed' &&
	echo "$out" | grep -Eq '^# io_uring\+SQPOLL\+uintr: [1-9][0-9]* user interrupts for 200 completions'; then
	echo "ok - uring-latency: 200 reads done synchronously, polled and notified by user interrupts"
else
	echo "not ok - uring-latency (exit $rc)"
	echo "$out" | sed 's/^/# /'
fi

out=$(timeout -s KILL 120 "$bench/cpubound" 1000000 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && echo "$out" | grep -Eq '^cpubound .*seconds=[0-9.]+ '; then
	echo "ok - cpubound: 1,000,000 iterations"
else
	echo "not ok - cpubound (exit $rc)"
	echo "$out" | sed 's/^/# /'
fi
