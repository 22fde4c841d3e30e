#!/usr/bin/env bash
# `make demo`: multicast across a network that carries only unicast, shown
# in a VM, from a fresh Debian 12 machine. With no arguments it:
#   1. installs the dependencies (scripts/install-deps.sh; apt needs root),
#   2. builds the lean test kernel (scripts/build-kernel.sh lean; cached after
#      the first time, which takes about 6 minutes; make test uses the debug
#      kernel instead),
#   3. builds both kernel modules against it,
#   4. builds the CLIs multis_admin and multic_admin,
#   5. boots the kernel in QEMU (tests/vm/boot.sh) and runs tests/vm/demo-guest.sh:
#      a sender, three members and a router; an iperf multicast stream first
#      without the proxy, then with it (init scripts, real CLIs), and the
#      proxy's own view (multis_admin -S/-L/-P, multic_admin -L/-P).
# Exit status: 0 when the demo's expectations hold (every member gets nothing
# without the proxy and the whole stream with it), 1 otherwise.
# Environment: MCAST_DEMO_RESULTS (log directory, default build/demo),
# MCAST_DEMO_TIMEOUT (VM time limit in seconds, default 900),
# MCAST_DEMO_KVM=1 (use KVM instead of TCG emulation, if /dev/kvm works).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 1
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==> [%s] %s\n' "$1" "$2"; }
die() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }
results=${MCAST_DEMO_RESULTS:-$here/build/demo}
limit=${MCAST_DEMO_TIMEOUT:-900}
start=$SECONDS

step 1/5 "dependencies (scripts/install-deps.sh)"
scripts/install-deps.sh || die "installing the dependencies failed (apt-get needs root: run 'sudo make deps' once, then 'make demo')"

step 2/5 "lean test kernel (scripts/build-kernel.sh lean: cached, else about 6 minutes)"
kdir=$(scripts/build-kernel.sh lean) || die "building the test kernel failed"
echo "    $kdir"

step 3/5 "kernel modules rust_mcast_server.ko and rust_mcast_client.ko"
make -s -C "$kdir" M="$here" modules || die "building the modules failed"
for ko in rust_mcast_server.ko rust_mcast_client.ko; do
	[ -f "$here/$ko" ] || die "$ko was not built"
done
echo "    built in $here"

step 4/5 "CLIs multis_admin and multic_admin (cargo build --release)"
cargo build --release --locked -q -p multis_admin -p multic_admin || die "building the CLIs failed"
bindir=$here/target/release
echo "    $bindir/multis_admin, $bindir/multic_admin"

mode="TCG emulation, about 2 minutes"
if [ "${MCAST_DEMO_KVM:-0}" = 1 ] && [ -w /dev/kvm ]; then
	export MCAST_VM_ACCEL=kvm
	mode="KVM"
fi
step 5/5 "the demo in a VM ($mode; log in $results/console.log)"
rm -rf "$results"; mkdir -p "$results"
echo "    booting $(basename "$kdir") ..."
# tests/vm/boot.sh, as the tests: no stdin for QEMU, a hard time limit, the
# output piped so it reaches the terminal line by line. Kernel console lines
# (timestamps in brackets) are kept in the log only.
"$here/tests/vm/boot.sh" "$kdir" "$results" "$limit" "bash $here/tests/vm/demo-guest.sh $here $bindir $results" \
	</dev/null 2>&1 | tee "$results/console.log" | grep --line-buffered -vE '^\[ *[0-9]+\.[0-9]+\] '
status=${PIPESTATUS[0]}

echo
if [ "$status" = 124 ]; then
	die "the VM did not finish within ${limit}s (log: $results/console.log)"
fi
verdict=$(grep -E '^DEMO: ' "$results/console.log" | tail -1)
case $verdict in
"DEMO: OK"*)
	echo "==> demo finished in $((SECONDS - start)) s: the proxy carried the stream to every member"
	exit 0 ;;
"DEMO: FAILED"*)
	die "the demo's expectations failed (${verdict#DEMO: FAILED: }); log: $results/console.log" ;;
*)
	die "the VM ended without a verdict (status $status): see $results/console.log" ;;
esac
