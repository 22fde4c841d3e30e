#!/bin/bash
# Runs inside the test VM (virtme-ng): loads nothing itself, runs every case
# under tests/vm/cases (or those named in $MCAST_VM_CASES), then checks the
# kernel log. Prints PASS/FAIL lines and a summary the host counts.
VMDIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$VMDIR/../.." && pwd)
export VMDIR REPO MODDIR=${1:?module dir} RESULTS=${2:?results dir} BINDIR=${3:-}
[ -n "$BINDIR" ] && export PATH="$BINDIR:$PATH"
export PYTHONDONTWRITEBYTECODE=1
cd /tmp || exit 1
mkdir -p /run/netns /var/run/netns 2>/dev/null
sysctl -qw kernel.panic_on_warn=0
dmesg -n 1 2>/dev/null   # keep the console for the test lines

# The harness's own failure modes, proven by tests/vm/selftest.sh.
case "${MCAST_VM_SELFTEST:-}" in
	wrong) echo "FAIL: selftest: a deliberately wrong expectation: got 1, want 2" ;;
	panic) echo c > /proc/sysrq-trigger ;;
	hang) sleep 100000 ;;
esac

cases=${MCAST_VM_CASES:-$(cd "$VMDIR/cases" && ls *.sh | sed 's/\.sh$//')}
[ "$cases" = none ] && cases=""
for c in $cases; do
	script=$VMDIR/cases/$c.sh
	case $c in */*) script=$REPO/$c; c=$(basename "$c" .sh) ;; esac   # a path: e.g. the benchmark
	echo "--- case $c"
	CASE=$c timeout 900 bash "$script" > "$RESULTS/case-$c.log" 2>&1
	status=$?
	grep -E '^(PASS|FAIL|SKIP): ' "$RESULTS/case-$c.log" || echo "FAIL: $c: printed no result"
	[ $status = 124 ] && echo "FAIL: $c: timed out after 900 s"
done

# Kernel self-checks: any warning, oops or leak report fails the run.
dmesg > "$RESULTS/dmesg.log"
if grep -E 'WARNING:|BUG:|Oops|general protection|RCU stall|refcount_t|use-after-free' "$RESULTS/dmesg.log" >/dev/null; then
	echo "FAIL: kernel: log has warnings: $(grep -m1 -E 'WARNING:|BUG:|Oops|general protection|RCU stall|refcount_t|use-after-free' "$RESULTS/dmesg.log")"
else
	echo "PASS: kernel: log free of warnings, oopses and stalls"
fi
echo "VM-DONE"
