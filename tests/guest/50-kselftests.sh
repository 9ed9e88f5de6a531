#!/bin/sh
# The kernel's User Interrupts kselftests (tools/testing/selftests/uintr), built into the image by
# scripts/build-rootfs, which lists them in /tests/kselftest/EXPECTED.  Each TAP result of each
# program becomes an "ok - kselftest PROG: TEST" / "not ok - ..." line.  A skipped test counts as
# a failure when the kernel has User Interrupts (uintr in /proc/cpuinfo): a skip must not hide
# a missing feature.  A listed program that is missing, crashes or reports fewer results than
# it planned fails too.
dir=/tests/kselftest
if [ ! -e "$dir/EXPECTED" ]; then
	echo "ok - kselftests: none in this image (the kernel tree has no uintr selftests) # SKIP"
	exit 0
fi
grep -qw uintr /proc/cpuinfo && have_uintr=1 || have_uintr=0

while read -r prog; do
	[ -n "$prog" ] || continue
	if [ ! -x "$dir/$prog" ]; then
		echo "not ok - kselftest $prog: missing from the image"
		continue
	fi
	out=/tmp/kselftest.out
	(cd "$dir/${prog%/*}" && "./${prog##*/}") >"$out" 2>&1
	rc=$?
	plan=0 results=0 failed=0
	while IFS= read -r line; do
		case "$line" in
		1..*) plan=${line#1..} ;;
		"ok "* | "not ok "*)
			results=$((results + 1))
			res=${line%% *}
			[ "$res" = not ] && res="not ok"
			rest=${line#"$res" }
			rest=${rest#* }			# the test number
			name=${rest%% # *}
			case "$rest" in
			*" # SKIP"*)
				why=${rest#*# SKIP}
				why=${why# }
				if [ "$have_uintr" = 1 ]; then
					echo "not ok - kselftest $prog: $name skipped although uintr is in /proc/cpuinfo: ${why:-no reason given}"
					failed=1
				else
					echo "ok - kselftest $prog: $name # SKIP ${why:-no reason given}"
				fi ;;
			*)
				echo "$res - kselftest $prog: $name"
				[ "$res" = ok ] || failed=1 ;;
			esac ;;
		esac
	done <"$out"
	if [ "$results" -lt "$plan" ] || [ "$results" -eq 0 ]; then
		echo "not ok - kselftest $prog: $results of $plan results (exit status $rc)"
		failed=1
	elif [ "$rc" -ne 0 ] && [ "$failed" = 0 ]; then
		echo "not ok - kselftest $prog: exit status $rc"
		failed=1
	fi
	# The program's own log, for the failures
	[ "$failed" = 0 ] || sed 's/^/# /' "$out"
	rm -f "$out"
done <"$dir/EXPECTED"
exit 0
