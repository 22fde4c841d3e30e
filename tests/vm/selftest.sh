#!/usr/bin/env bash
# Proves the VM harness can fail. Each of these must make tests/vm/run.sh
# fail with its own FAIL line and show the evidence:
#   one boot:  a wrong expectation; a case that makes the kernel log a WARNING;
#              a case that leaks a kernel allocation (kmemleak, debug kernel);
#              a case that exits 0 halfway, before its completion marker;
#              a case that prints only PASS lines and exits 1;
#   own boots: a guest panic; a hung guest.
# The WARNING and the leak come from a test-only module built here
# (tests/vm/selftest/mcast_selftest.c). Usage: tests/vm/selftest.sh KERNEL_DIR
# MODULE_DIR [BOOT_KERNEL_DIR]: the panic and the hang test the runner, not
# the kernel's checkers, so they may boot a lighter kernel (BOOT_KERNEL_DIR,
# e.g. the lean one: a debug guest spends minutes in udev before its first
# line). Ends with "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kdir=${1:?kernel build dir}; moddir=${2:?module dir}; boot_kdir=${3:-$1}
passed=0 failed=0
pass() { echo "PASS: vm-harness: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: vm-harness: $*"; failed=$((failed + 1)); }
# expect WHAT PATTERN: the run's output has PATTERN (extended regex)
expect() { if grep -qE -- "$2" <<<"$out"; then pass "$1"; else fail "$1: no line matching '$2'"; fi; }

llvm=""; grep -q '^CONFIG_CC_IS_CLANG=y' "$kdir/.config" && llvm=LLVM=1
if ! make -s -C "$kdir" M="$here/selftest" $llvm modules >/tmp/mcast-selftest-build.log 2>&1; then
	fail "the self-test module does not build: $(tail -3 /tmp/mcast-selftest-build.log | tr '\n' ' ')"
fi

# run MODE CASES LIMIT [KERNEL_DIR]: one VM run; sets $out and $status
run() {
	out=$(MCAST_VM_SELFTEST=$1 MCAST_VM_CASES=$2 MCAST_VM_TIMEOUT=$3 \
		MCAST_VM_RESULTS=/tmp/mcast-selftest-$1 "$here/run.sh" "${4:-$kdir}" "$moddir" 2>&1)
	status=$?
}
# red WHAT: the run failed and showed the guest's log
red() {
	if [ "$status" -ne 0 ] && grep -q 'guest console (last' <<<"$out"; then
		pass "$1 fails the run and shows the guest log"
	else
		fail "$1 was not reported (status $status)"
		tail -20 <<<"$out" | sed 's/^/    | /' >&2
	fi
}

cases="tests/vm/selftest/warn.sh tests/vm/selftest/leak.sh tests/vm/selftest/early_exit.sh"
cases="$cases tests/vm/selftest/exit_after_pass.sh"
run wrong "$cases" 1200
red "a run with failing cases"
expect "a wrong expectation is a FAIL" '^FAIL: selftest: a deliberately wrong expectation'
expect "a kernel WARNING during a case is a FAIL of that case, with the report" \
	'^FAIL: kernel: report during warn: .*WARNING:'
expect "  ... and the report's text is shown" 'mcast_selftest: a deliberate warning'
if grep -q '^CONFIG_DEBUG_KMEMLEAK=y' "$kdir/.config"; then
	expect "a leaked kernel allocation is a FAIL (kmemleak)" '^FAIL: kernel: kmemleak: [1-9][0-9]* unreferenced'
	expect "  ... showing the allocation's owner and backtrace" 'comm "insmod"'
	expect "  ... and its backtrace" 'backtrace \(crc'
fi
expect "a case that exits 0 before its marker is a FAIL" \
	'^FAIL: early_exit: ended before its completion marker'
expect "a case that exits 1 after only PASS lines is a FAIL" '^FAIL: exit_after_pass: exited with status 1'
expect "the run's closing line counts the failures" '^[0-9]+ passed, [1-9][0-9]* failed, 0 skipped$'

run panic none 900 "$boot_kdir"
red "a guest panic"
expect "the panic message is in the shown log" 'Kernel panic|sysrq'

run hang none 120 "$boot_kdir"   # a limit the lean guest boots well within; the rest is waiting
red "a hung guest"
expect "the hang is named" '^FAIL: vm: the guest hung'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
