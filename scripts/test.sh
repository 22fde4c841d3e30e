#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, runs the
# host unit tests, builds the test kernel (cached), the modules and the CLIs,
# runs the VM tests and the packaging tests, and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '\n==> %s\n' "$*" >&2; }
passed=0 failed=0
count_lines() {  # count PASS/FAIL lines of a log
	passed=$((passed + $(grep -c '^PASS: ' "$1"))); failed=$((failed + $(grep -c '^FAIL: ' "$1")))
}
step_failed() { echo "FAIL: $1"; failed=$((failed + 1)); }
mkdir -p build
start=$SECONDS

say "installing dependencies"
scripts/install-deps.sh || { step_failed "dependencies could not be installed"; echo "$passed passed, $failed failed"; exit 1; }

say "host unit tests (cargo test)"
cargo test --workspace --locked 2>&1 | tee build/cargo-test.log | grep -E '^test result|FAILED|panicked' >&2
cargo_status=${PIPESTATUS[0]}
passed=$((passed + $(grep -oE '[0-9]+ passed' build/cargo-test.log | awk '{s+=$1} END {print s+0}')))
failed=$((failed + $(grep -oE '[0-9]+ failed' build/cargo-test.log | awk '{s+=$1} END {print s+0}')))
[ "$cargo_status" = 0 ] || grep -q '[1-9][0-9]* failed' build/cargo-test.log || step_failed "cargo test did not run (see build/cargo-test.log)"

say "test kernel (cached by kernel version, config fragment and toolchain)"
if KDIR=$(scripts/build-kernel.sh); then
	say "kernel modules against $KDIR"
	if make -s -C "$KDIR" M="$PWD" modules >build/modules.log 2>&1; then
		echo "PASS: build: both modules build against the unpatched test kernel"; passed=$((passed + 1))
	else
		tail -30 build/modules.log >&2; step_failed "build: modules"
	fi
	say "admin tools"
	if cargo build --release --locked -p multis_admin -p multic_admin >build/tools.log 2>&1; then
		echo "PASS: build: multis_admin and multic_admin"; passed=$((passed + 1))
	else
		tail -30 build/tools.log >&2; step_failed "build: admin tools"
	fi
	if [ -f rust_mcast_server.ko ] && [ -f rust_mcast_client.ko ]; then
		say "VM tests (QEMU TCG; about 15 minutes)"
		MCAST_VM_RESULTS=$PWD/build/vm tests/vm/run.sh "$KDIR" "$PWD" "$PWD/target/release" | tee build/vm-summary.log
		count_lines build/vm-summary.log
		say "VM harness self-test: a wrong expectation, a panic and a hang must each fail a run"
		tests/vm/selftest.sh "$KDIR" "$PWD" | tee build/vm-selftest.log
		count_lines build/vm-selftest.log
	fi
else
	step_failed "build: test kernel (see the log named above)"
fi

say "packaging tests"
KDIR=${KDIR:-} PACKAGING_TEST_VM=${KDIR:+1} PACKAGING_TEST_REQUIRE_REAL=1 tests/packaging/test_packaging.sh 2>&1 | tee build/packaging.log | grep -E '^(PASS|FAIL)' || true
count_lines build/packaging.log

say "done in $((SECONDS - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
