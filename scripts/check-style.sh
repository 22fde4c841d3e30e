#!/usr/bin/env bash
# Style checks, one line each: "PASS: style: <what>" or
# "FAIL: style: <what>: <first lines of the complaint>" (or "SKIP: style:
# <what>: <why>"), then "N passed, N failed, N skipped"; exits 1 on any FAIL.
#   - host crates: cargo fmt --all --check, and
#     cargo clippy --workspace --all-targets --locked -- -D warnings
#   - module sources (kernel_glue/, rust_mcast_server/, rust_mcast_client/;
#     built by the kernel, not cargo): rustfmt in the kernel's style
#     (its .rustfmt.toml: edition 2021, newline_style Unix, otherwise the
#     defaults, so max_width 100), and no line over 100 columns (rustfmt
#     leaves long comments and strings alone)
#   - no __pycache__ or .pyc tracked by git
#   - tests/vm/mcast_tool.py finds its generated protocol module
#     (tests/vm/mcast_proto.py) from any working directory
# Not checked: shellcheck (tests/vm/cases/*.sh, tests/vm/*.sh, scripts/test.sh
# and tests/bench/run-bench.sh are not clean yet, mostly SC2086).
# Whether the generated files are current is checked by cargo test.
# shellcheck disable=SC2317  # the check functions below run through check "$@"
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export PATH="$HOME/.cargo/bin:$PATH"

passed=0 failed=0 skipped=0
MODULE_SOURCES=(kernel_glue/*.rs rust_mcast_server/*.rs rust_mcast_client/*.rs)
# The kernel's .rustfmt.toml, on the command line: a rustfmt.toml at the root
# is not needed, as the host crates use the same settings by default.
KERNEL_RUSTFMT=(--edition 2021 --config "newline_style=Unix,max_width=100" --color never)

# check WHAT FILTER CMD...: runs CMD; on failure, the first lines FILTER picks
# from its output (all output when FILTER picks none) go on the FAIL line.
check() {
	local what=$1 filter=$2 out status complaint
	shift 2
	out=$("$@" 2>&1)
	status=$?
	if [ "$status" = 0 ]; then
		echo "PASS: style: $what"
		passed=$((passed + 1))
		return
	fi
	failed=$((failed + 1))
	complaint=$(printf '%s\n' "$out" | grep -E -- "$filter" | head -n 5)
	[ -n "$complaint" ] || complaint=$(printf '%s\n' "$out" | grep -v '^[[:space:]]*$' | head -n 5)
	[ -n "$complaint" ] || complaint="exit status $status"
	echo "FAIL: style: $what: $(printf '%s\n' "$complaint" | awk '{
		sub(/^[[:space:]]+/, ""); gsub(/[[:space:]]+/, " "); printf "%s%s", (NR > 1 ? " | " : ""), $0 }')"
}

long_lines() {  # prints FILE:LINE: N columns for each line over 100 columns
	! awk 'length > 100 { printf "%s:%d: %d columns\n", FILENAME, FNR, length; bad = 1 } END { exit !bad }' "$@"
}

tracked_bytecode() {  # prints tracked __pycache__ and .pyc paths
	! git ls-files | grep -E '(^|/)__pycache__/|\.pyc$'
}

kernel_facts_from_kernel() {  # errno literals in the module sources; warnings switched off in Kbuild
	! grep -nE 'from_errno\(-?[0-9]|Errno\([0-9]|-Wno-' "${MODULE_SOURCES[@]}" Kbuild
}

tool_imports_protocol() {  # from /, isolated: neither the cwd nor PYTHONPATH helps
	local tool=$PWD/tests/vm/mcast_tool.py
	(cd / && python3 -I -B "$tool" --help >/dev/null)
}

check "cargo fmt --all --check (host crates)" '^Diff in|^error' \
	cargo fmt --all --check -- --color never
check "cargo clippy --workspace --all-targets --locked -- -D warnings (host crates)" \
	'^(error|warning)|^ *--> ' \
	cargo clippy --workspace --all-targets --locked --color never -- -D warnings
check "rustfmt --check, kernel style (module sources)" '^Diff in|^error' \
	rustfmt --check "${KERNEL_RUSTFMT[@]}" "${MODULE_SOURCES[@]}"
# mcast_shared is compiled into the modules too (by #[path]).
check "no line over 100 columns (module sources and mcast_shared)" '.' long_lines \
	"${MODULE_SOURCES[@]}" mcast_shared/src/*.rs mcast_shared/src/*/*.rs
check "errnos from kernel::error::code or bindings, no compiler warning switched off in Kbuild" '.' \
	kernel_facts_from_kernel
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	check "no __pycache__ or .pyc tracked by git" '.' tracked_bytecode
else
	echo "SKIP: style: no __pycache__ or .pyc tracked by git: not a git checkout"
	skipped=$((skipped + 1))
fi
check "tests/vm/mcast_tool.py imports tests/vm/mcast_proto.py from any directory" '.' \
	tool_imports_protocol

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
