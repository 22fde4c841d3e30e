#!/bin/bash
# Runs inside the test VM (tests/vm/boot.sh): runs every case under tests/vm/cases
# (or those named in $MCAST_VM_CASES), then unloads both modules, has
# kmemleak scan, and checks the kernel log. Prints PASS/FAIL/SKIP lines the
# host counts, and VM-DONE last.
#
# A case passes only if it exits 0 and prints its completion marker
# (case_done in lib.sh); any kernel report logged while it ran is its FAIL.
echo "VM-STARTED"   # the host's boot watchdog (run.sh) waits for this line
VMDIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$VMDIR/../.." && pwd)
export VMDIR REPO MODDIR=${1:?module dir} RESULTS=${2:?results dir} BINDIR=${3:-}
[ -n "$BINDIR" ] && export PATH="$BINDIR:$PATH"
export PYTHONDONTWRITEBYTECODE=1
# The cases start Python hundreds of times; without site-packages (-S: the
# tools use only the standard library) a start costs half as much on the
# debug kernel (measured: 1.1 s instead of 2.6 s under TCG).
mkdir -p /tmp/guest-bin
printf '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n' > /tmp/guest-bin/python3
chmod +x /tmp/guest-bin/python3
export PATH="/tmp/guest-bin:$PATH"
# shellcheck source=tests/vm/kernel-checks.sh
. "$VMDIR/kernel-checks.sh"
cd /tmp || exit 1
mkdir -p /run/netns /var/run/netns 2>/dev/null
sysctl -qw kernel.panic_on_warn=0
dmesg -n 1 2>/dev/null   # keep the console for the test lines
kernel_log_start "$RESULTS/kernel.log"
kernel_log_check boot
kernel_checkers_check
kmemleak_forget_boot

# The harness's own failure modes, proven by tests/vm/selftest.sh.
case "${MCAST_VM_SELFTEST:-}" in
	wrong) echo "FAIL: selftest: a deliberately wrong expectation: got 1, want 2" ;;
	panic) echo c > /proc/sysrq-trigger ;;
	hang) sleep 100000 ;;
esac

# show_tail FILE: the end of a log, indented, for a FAIL line's diagnosis
show_tail() { tail -n "${2:-25}" "$1" | sed 's/^/    | /'; }

# unload_left WHEN: unloads whichever of our modules is still loaded; one
# that will not unload is a FAIL.
unload_left() {
	local m
	for m in rust_mcast_client rust_mcast_server; do
		if lsmod | grep -q "^$m "; then
			rmmod "$m" || echo "FAIL: kernel: $m does not unload $1"
		fi
	done
}

# claim CASE: with $MCAST_VM_QUEUE (a host directory both guests of a run see
# through 9p), guests side by side share one list: a case runs in the guest
# that claims it first (mkdir is atomic on the host), so neither waits idle
# while the other still has cases. Without it every listed case is ours.
claim() { [ -z "${MCAST_VM_QUEUE:-}" ] || mkdir "$MCAST_VM_QUEUE/$1" 2>/dev/null; }

# processes_started: the processes (forks) started since boot. Under TCG a
# start costs tens of milliseconds on the lean kernel, more on the debug one:
# each case's count shows where its time goes.
processes_started() { awk '$1 == "processes" { print $2 }' /proc/stat; }
# MCAST_VM_EXEC_TRACE=1: each case's programs by how often it started them
# (the sched_process_exec trace event), in $RESULTS/case-NAME.execs: what
# to make cheaper when a case grows slow.
TRACEFS=/sys/kernel/tracing
exec_trace_start() {
	[ -n "${MCAST_VM_EXEC_TRACE:-}" ] || return 0
	echo 65536 > $TRACEFS/buffer_size_kb && echo > $TRACEFS/trace &&
		echo 1 > $TRACEFS/events/sched/sched_process_exec/enable && echo 1 > $TRACEFS/tracing_on
}
exec_trace_stop() {
	[ -n "${MCAST_VM_EXEC_TRACE:-}" ] || return 0
	echo 0 > $TRACEFS/tracing_on
	grep -o 'filename=[^ ]*' $TRACEFS/trace | sort | uniq -c | sort -rn > "$RESULTS/case-$1.execs"
}

CASE_LIMIT=${MCAST_VM_CASE_TIMEOUT:-1800}
cases=${MCAST_VM_CASES:-$(cd "$VMDIR/cases" && ls *.sh | sed 's/\.sh$//')}
[ "$cases" = none ] && cases=""
for c in $cases; do
	claim "$(basename "$c" .sh)" || continue
	script=$VMDIR/cases/$c.sh
	case $c in */*) script=$REPO/$c; c=$(basename "$c" .sh) ;; esac   # a path: e.g. the benchmark
	echo "--- case $c"
	log=$RESULTS/case-$c.log
	start=$SECONDS forks=$(processes_started)
	exec_trace_start
	CASE=$c timeout "$CASE_LIMIT" bash "$script" > "$log" 2>&1 </dev/null
	status=$?
	exec_trace_stop "$c"
	grep -E '^(PASS|FAIL|SKIP): ' "$log"
	why=""
	if [ $status = 124 ]; then
		why="timed out after $CASE_LIMIT s"
	elif [ $status != 0 ]; then
		why="exited with status $status"
	elif ! grep -qx "CASE-DONE: $c" "$log"; then
		why="ended before its completion marker (CASE-DONE)"
	fi
	if [ -n "$why" ]; then
		echo "FAIL: $c: $why; its log ends:"
		show_tail "$log"
	fi
	# Each case starts from unloaded modules, whichever case ran before it.
	unload_left "after $c"
	kernel_log_check "$c"
	echo "# case $c: $((SECONDS - start)) s, $(($(processes_started) - forks)) processes started"
done

# The end of every run: both modules unloaded, a leak scan, the whole log.
unload_left "at the end of the run"
kmemleak_check
kernel_log_check "the end of the run"
kernel_log_verdict
kernel_log_stop
echo "VM-DONE"
