#!/usr/bin/env bash
# Boots the test kernel in QEMU (TCG, tests/vm/boot.sh) and runs the VM test
# cases inside. Usage: tests/vm/run.sh KERNEL_DIR MODULE_DIR [BIN_DIR]
# Prints the guest's PASS/FAIL/SKIP lines and ends with "N passed, N failed,
# N skipped"; exits non-zero if any check failed, the guest hung (hard
# timeout) or crashed, and then shows the guest log's tail.
# Logs: $MCAST_VM_RESULTS (default build/vm): console.log, kernel.log (every
# kernel message of the run) and case-*.log.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kdir=${1:?kernel build dir}; moddir=${2:?module dir}; bindir=${3:-}
results=${MCAST_VM_RESULTS:-$here/../../build/vm}
limit=${MCAST_VM_TIMEOUT:-3600}
rm -rf "$results"; mkdir -p "$results"
# A kernel with kmemleak is the debug kernel: its checkers must all be on.
# (Boot options are boot.sh's.)
debug_kernel=0
grep -q '^CONFIG_DEBUG_KMEMLEAK=y' "$kdir/.config" && debug_kernel=1

# Passed on to the guest: the shared case queue, a case's time limit and exec trace (guest-main.sh), the soak's length, the bench's size.
guest_env="MCAST_VM_QUEUE='${MCAST_VM_QUEUE:-}' MCAST_VM_CASE_TIMEOUT='${MCAST_VM_CASE_TIMEOUT:-}' SOAK_MINUTES='${SOAK_MINUTES:-}' BENCH_COUNT='${BENCH_COUNT:-}' BENCH_RUNS='${BENCH_RUNS:-}' BENCH_MEMBERS='${BENCH_MEMBERS:-}' BENCH_SIZES='${BENCH_SIZES:-}' BENCH_PARTS='${BENCH_PARTS:-}' BENCH_METHODS='${BENCH_METHODS:-}' MCAST_VM_ICOUNT='${MCAST_VM_ICOUNT:-}' MCAST_VM_EXEC_TRACE='${MCAST_VM_EXEC_TRACE:-}'"

boot_limit=${MCAST_VM_BOOT_TIMEOUT:-600}
echo "==> VM: booting $(basename "$kdir") under TCG, cases: ${MCAST_VM_CASES:-all} (limit ${limit}s)" >&2
start=$SECONDS

# boot_once: one guest run, its console in $results/console.log; sets
# $status (boot.sh's exit status) and $boot_hung (1: the guest never reached
# the harness's first line, VM-STARTED, within $boot_limit s, and was killed).
boot_once() {
	local statusfile=$results/.vm-status t0=$SECONDS
	rm -f "$statusfile"; boot_hung=0
	(
		"$here/boot.sh" "$kdir" "$results" "$limit" \
			"MCAST_VM_CASES='${MCAST_VM_CASES:-}' MCAST_VM_SELFTEST='${MCAST_VM_SELFTEST:-}' MCAST_VM_DEBUG_KERNEL=$debug_kernel $guest_env bash $here/guest-main.sh $moddir $results $bindir" \
			</dev/null 2>&1 | tee "$results/console.log" |
			grep --line-buffered -E '^(PASS|FAIL|SKIP): |^--- case |^# |^    \| '
		echo "${PIPESTATUS[0]}" > "$statusfile"
	) &
	local runner=$!
	while [ ! -s "$statusfile" ] && kill -0 "$runner" 2>/dev/null; do
		sleep 2
		if [ "$boot_hung" = 0 ] && ((SECONDS - t0 > boot_limit)) &&
			! grep -q '^VM-STARTED' "$results/console.log" 2>/dev/null; then
			boot_hung=1
			kill -TERM "$(cat "$results/.qemu-pid")" 2>/dev/null
		fi
	done
	wait "$runner"
	status=$(cat "$statusfile" 2>/dev/null || echo 255)
}

# A boot that hangs before the harness starts (no module loaded, no case
# run) is retried once, with the hung boot's console shown and kept: seen
# under CI with two debug guests on two cores, stuck in early boot printk.
boot_once
if [ "$boot_hung" = 1 ]; then
	mv "$results/console.log" "$results/console-hung-boot.log"
	echo "==> VM: the guest did not reach the harness within ${boot_limit}s; booting once more." \
		"Its console ($results/console-hung-boot.log) ends:" >&2
	tail -20 "$results/console-hung-boot.log" | sed 's/^/    | /' >&2
	boot_once
fi
echo "==> VM: finished in $((SECONDS - start)) s (status $status)" >&2

failed=$(grep -c '^FAIL: ' "$results/console.log")
problem=""
if [ "$boot_hung" = 1 ]; then
	problem="the guest did not boot: no harness within ${boot_limit}s, twice"
elif [ "$status" = 124 ]; then
	problem="the guest hung: no result within ${limit}s"
elif ! grep -q '^VM-DONE' "$results/console.log"; then
	problem="the guest died before finishing (status $status): panic or crash"
elif [ "$status" != 0 ]; then
	problem="the VM exited with status $status after finishing"
fi
if [ -n "$problem" ]; then
	echo "FAIL: vm: $problem"
	failed=$((failed + 1))
fi
echo "$(grep -c '^PASS: ' "$results/console.log") passed, $failed failed, $(grep -c '^SKIP: ' "$results/console.log") skipped"
if [ -n "$problem" ] || [ "$failed" -gt 0 ]; then
	echo "==> VM: guest console (last 60 lines of $results/console.log):" >&2
	tail -60 "$results/console.log" | sed 's/^/    | /' >&2
	for f in "$results"/case-*.log; do
		[ -e "$f" ] && grep -q '^FAIL' "$f" && { echo "==> $f:" >&2; tail -25 "$f" | sed 's/^/    | /' >&2; }
	done
	exit 1
fi
exit 0
