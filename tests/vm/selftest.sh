#!/usr/bin/env bash
# Proves the VM harness can fail: a wrong expectation, a guest panic and a
# hung guest must each make tests/vm/run.sh fail and show the guest log.
# Usage: tests/vm/selftest.sh KERNEL_DIR MODULE_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for mode in wrong panic hang; do
	out=$(MCAST_VM_SELFTEST=$mode MCAST_VM_CASES=none MCAST_VM_TIMEOUT=120 \
		MCAST_VM_RESULTS=/tmp/mcast-selftest-$mode "$here/run.sh" "$1" "$2" 2>&1)
	status=$?
	if [ $status -ne 0 ] && echo "$out" | grep -q 'guest console (last'; then
		echo "PASS: vm-harness: a $mode guest fails the run and shows its log"
	else
		echo "FAIL: vm-harness: a $mode guest was not reported (status $status)"
		echo "$out" | tail -20 >&2
	fi
	case $mode in
		panic) echo "$out" | grep -q 'Kernel panic\|sysrq' && echo "PASS: vm-harness: the panic message is in the shown log" \
			|| echo "FAIL: vm-harness: the panic message is missing from the shown log" ;;
	esac
done
