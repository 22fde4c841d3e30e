#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, checks the
# style, runs the host unit tests, builds the debug and the lean test kernels
# (cached), the modules and the CLIs, runs the VM tests, the VM harness
# self-test and the packaging tests, and ends with "N passed, N failed, N
# skipped".
#
# Every sub-suite must exit 0 and end with its own closing "N passed, N
# failed" line (cargo test: its "test result:" lines); a sub-suite that
# exits non-zero without counting a failure, or prints no closing line, is a
# FAIL. Under CI (CI=true) a SKIP fails the run unless it says
# "optional: <capability> absent".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '\n==> %s\n' "$*" >&2; }
passed=0 failed=0 skipped=0
step_failed() { echo "FAIL: $1"; failed=$((failed + 1)); }
step_passed() { echo "PASS: $1"; passed=$((passed + 1)); }
mkdir -p build
: > build/skips.log
start=$SECONDS
timing() { echo "# $1: $((SECONDS - $2)) s" | tee -a build/timings.log >&2; }
: > build/timings.log

# run_suite NAME LOG SHOW_REGEX CMD...: runs a sub-suite, shows its lines
# matching SHOW_REGEX, and adds the counts of its closing line.
run_suite() {
	local name=$1 log=$2 show=$3 status t0=$SECONDS
	shift 3
	"$@" 2>&1 | tee "$log" | grep --line-buffered -E "$show"
	status=${PIPESTATUS[0]}
	count_suite "$name" "$log" "$status"
	timing "$name" "$t0"
}

# show_and_count NAME LOG: a sub-suite that ran in the background, shown
# whole (its status in LOG.status), then counted
show_and_count() {
	say "$1 (log $2)"
	grep -E '^(PASS|FAIL|SKIP): |^--- case |^# |^    \| |^==> |passed, ' "$2"
	count_suite "$1" "$2" "$(cat "$2.status" 2>/dev/null || echo 255)"
}

# vm_worker JOB_LOG GUEST_LOG GUEST_RESULTS JOB_CMD...: one of the two VM
# workers: a job that boots guests of its own (the harness self-test or the
# packaging tests), then a guest that takes cases from the shared queue
# until none is left. A TCG guest keeps about one core busy and the machine
# has two: two workers, never more than two guests at once, and the queue
# makes them end close together whichever job was longer.
vm_worker() {
	local job_log=$1 guest_log=$2 results=$3
	shift 3
	run_logged "$job_log" "$@"
	# The guest's hang limit: about twice what a guest took in the last
	# measured run (3 040 and 3 222 s on 2026-12-07), room for a machine 1.45
	# times slower and a loaded host; a case that hangs meets its own limit
	# (30 min) first.
	run_logged "$guest_log" env MCAST_VM_CASES="$VM_CASES" MCAST_VM_QUEUE="$VM_QUEUE" MCAST_VM_RESULTS="$results" \
		MCAST_VM_TIMEOUT=6600 tests/vm/run.sh "$KDIR" "$PWD" "$PWD/target/release"
}

# run_logged LOG CMD...: CMD's output in LOG, its exit status in LOG.status,
# its time in the timings
run_logged() {
	local log=$1 t0=$SECONDS
	shift
	"$@" > "$log" 2>&1
	echo $? > "$log.status"
	timing "$(basename "$log" .log)" "$t0"
}

# count_suite NAME LOG STATUS: adds the counts of LOG's closing line; a
# missing closing line, or a failure exit that counted no failure, is a FAIL.
count_suite() {
	local name=$1 log=$2 status=$3 closing p f s
	closing=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$closing" ]; then
		step_failed "$name: no closing 'N passed, N failed' line (exit status $status; log $log)"
		tail -n 15 "$log" | sed 's/^/    | /'
		return
	fi
	read -r p f s < <(sed -E 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/' <<<"$closing")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
	grep '^SKIP: ' "$log" >> build/skips.log
	[ "$status" = 0 ] || [ "$f" -gt 0 ] || step_failed "$name: exited with status $status but counted no failure (log $log)"
}

say "installing dependencies"
scripts/install-deps.sh || { step_failed "dependencies could not be installed"; echo "$passed passed, $failed failed, $skipped skipped"; exit 1; }

say "style: cargo fmt, clippy, rustfmt of the module sources"
run_suite style build/style.log '^(PASS|FAIL|SKIP): ' scripts/check-style.sh

say "host unit tests (cargo test)"
t0=$SECONDS
cargo test --workspace --locked 2>&1 | tee build/cargo-test.log | grep -E '^test result|FAILED|panicked' >&2
cargo_status=${PIPESTATUS[0]}
passed=$((passed + $(grep -oE '[0-9]+ passed' build/cargo-test.log | awk '{s+=$1} END {print s+0}')))
cargo_failed=$(grep -oE '[0-9]+ failed' build/cargo-test.log | awk '{s+=$1} END {print s+0}')
failed=$((failed + cargo_failed))
grep -q '^test result: ' build/cargo-test.log || step_failed "cargo test: no 'test result:' line (see build/cargo-test.log)"
[ "$cargo_status" = 0 ] || [ "$cargo_failed" -gt 0 ] || step_failed "cargo test exited with status $cargo_status (see build/cargo-test.log)"
timing "cargo test" "$t0"

# The VM cases run on the debug kernel, in two workers side by side (a TCG
# guest keeps about one core busy, and the machine has two). Each first runs
# a job that boots guests of its own (the harness self-test, the packaging
# tests), then a guest that takes cases from one shared queue, the longest
# first (measured on the debug kernel): each guest takes the next unclaimed
# case when it finishes one, so the two end close together however long
# each job took and however the machine's load stretches a case. A case not
# named below is queued last. Never more than two guests at once. The lean
# kernel (GCC, as distribution kernels are built) is built for the modules'
# build check and the self-test's panic and hang boots.
VM_CASES_LONGEST_FIRST="02_server 05_apps 13_igmp_learning 03_client 10_lifecycle 04_cli
	06_kernel_review 07_kernel_review_datapath 09_hostile_control 12_sender_datagrams 01_modules
	08_kernel_review_memory 14_hooks_on_demand 11_hostile_packets"
all_cases=$(cd tests/vm/cases && ls *.sh | sed 's/\.sh$//')
VM_CASES=$( (for c in $VM_CASES_LONGEST_FIRST $all_cases; do [ -f "tests/vm/cases/$c.sh" ] && echo "$c"; done) |
	awk '!seen[$0]++' | xargs)

# lean_modules KDIR: the modules built for the lean kernel, out of the tree
lean_modules() {
	local dir=build/lean-modules
	rm -rf "$dir"; mkdir -p "$dir/mcast_shared"
	cp -R Kbuild kernel_glue rust_mcast_server rust_mcast_client "$dir/"
	cp -R mcast_shared/src "$dir/mcast_shared/"
	make -s -C "$1" M="$PWD/$dir" modules && [ -f "$dir/rust_mcast_server.ko" ] && [ -f "$dir/rust_mcast_client.ko" ]
}

say "test kernels, debug and lean (cached by kernel version, config fragments and toolchain)"
t0=$SECONDS
if KDIR=$(scripts/build-kernel.sh debug) && LEAN_KDIR=$(scripts/build-kernel.sh lean); then
	timing "kernels" "$t0"
	say "kernel modules against $KDIR and $LEAN_KDIR"
	if make -s modules KDIR="$KDIR" >build/modules.log 2>&1 && lean_modules "$LEAN_KDIR" >>build/modules.log 2>&1; then
		step_passed "build: both modules build against the unpatched debug and lean test kernels"
	else
		tail -30 build/modules.log >&2; step_failed "build: modules"
	fi
	say "admin tools"
	if cargo build --release --locked -p multis_admin -p multic_admin >build/tools.log 2>&1; then
		step_passed "build: multis_admin and multic_admin"
	else
		tail -30 build/tools.log >&2; step_failed "build: admin tools"
	fi
	if [ -f rust_mcast_server.ko ] && [ -f build/lean-modules/rust_mcast_server.ko ]; then
		say "VM tests on the debug kernel, QEMU TCG, two workers: the harness self-test and the packaging tests, then guests sharing the queue $VM_CASES"
		VM_QUEUE=$PWD/build/vm-queue t0=$SECONDS
		rm -rf "$VM_QUEUE"; mkdir -p "$VM_QUEUE"
		vm_worker build/vm-selftest.log build/vm-first.log "$PWD/build/vm-first" \
			tests/vm/selftest.sh "$KDIR" "$PWD" "$LEAN_KDIR" &
		first=$!
		vm_worker build/packaging.log build/vm-second.log "$PWD/build/vm-second" \
			env KDIR="$KDIR" PACKAGING_TEST_VM=1 PACKAGING_TEST_REQUIRE_REAL=1 tests/packaging/test_packaging.sh &
		second=$!
		wait "$first" "$second"
		show_and_count "VM harness self-test (each failure mode must fail a run)" build/vm-selftest.log
		show_and_count "packaging tests" build/packaging.log
		show_and_count "VM tests, first guest" build/vm-first.log
		show_and_count "VM tests, second guest" build/vm-second.log
		timing "VM workers (side by side)" "$t0"
		unrun=$(for c in $VM_CASES; do [ -d "$VM_QUEUE/$c" ] || echo "$c"; done | xargs)
		[ -z "$unrun" ] || step_failed "VM tests: no guest ran $unrun"
		packaging_done=1
	fi
else
	step_failed "build: test kernels (see the log named above)"
fi

if [ -z "${packaging_done:-}" ]; then   # no kernel: the packaging tests that need none
	say "packaging tests"
	run_suite "packaging tests" build/packaging.log '^(PASS|FAIL|SKIP): ' \
		env PACKAGING_TEST_REQUIRE_REAL=1 tests/packaging/test_packaging.sh
fi

# The suite installs what it needs: under CI a skip is a failure unless it
# names an optional capability that is absent.
if [ "${CI:-}" = true ]; then
	while IFS= read -r line; do
		[[ $line == *"optional: "*" absent"* ]] || step_failed "CI: a skip that is not an absent optional capability: ${line#SKIP: }"
	done < build/skips.log
fi

say "done in $((SECONDS - start)) s"
cat build/timings.log >&2
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
