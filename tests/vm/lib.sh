# Sourced by every VM test case (tests/vm/cases/*.sh), inside the guest.
# A case is a file of scenario functions; each scenario builds its own
# namespaces, checks what the guest actually did, and prints one line per
# check: "PASS: <case>: <what>" or "FAIL: <case>: <what>: <why>".
# Environment from guest-main.sh: VMDIR, REPO, MODDIR, RESULTS, BINDIR.

TOOL="python3 $VMDIR/mcast_tool.py"
CASE=${CASE:-$(basename "$0" .sh)}

pass() { echo "PASS: $CASE: $*"; }
# case_done: the last line of every case. guest-main.sh counts a case that
# never printed it (died, exited early, timed out) as failed.
case_done() { echo "CASE-DONE: $CASE"; }
fail() { echo "FAIL: $CASE: $*"; }

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi
}

# expect_ok WHAT CMD...: the command must succeed
expect_ok() {
	local what=$1 out; shift
	if out=$("$@" 2>&1); then pass "$what"; else fail "$what: '$*' failed: $(echo "$out" | tail -3 | tr '\n' ' ')"; fi
}

# expect_fail WHAT PATTERN CMD...: the command must fail with PATTERN in its output
expect_fail() {
	local what=$1 pattern=$2 out; shift 2
	if out=$("$@" 2>&1); then
		fail "$what: '$*' succeeded"
	elif ! echo "$out" | grep -q -- "$pattern"; then
		fail "$what: output lacks '$pattern': $(echo "$out" | tail -2 | tr '\n' ' ')"
	else
		pass "$what"
	fi
}

# json FIELD: a field of the JSON object on stdin
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }

in_ns() { local n=$1; shift; ip netns exec "$n" "$@"; }

load_modules() {
	lsmod | grep -q '^rust_mcast_server ' || insmod "$MODDIR/rust_mcast_server.ko" "$@" || return 1
	lsmod | grep -q '^rust_mcast_client ' || insmod "$MODDIR/rust_mcast_client.ko" || return 1
}

# wait_for FILE: wait (bounded) until a background helper says it is ready
wait_for() { local i; for i in $(seq 50); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }

SUFFIX=$$
NS_SND=snd$SUFFIX NS_RTR=rtr$SUFFIX
SENDER_IP=10.0.1.2
# member k (1..N) lives in namespace m<k> with address 10.0.<k+1>.2 on dev eth0
member_ns() { echo "m$1_$SUFFIX"; }
member_ip() { echo "10.0.$(( $1 + 1 )).2"; }
NAMESPACES=""

# make_network N: a sender and N member hosts, each in its own subnet,
# joined by a router namespace that forwards unicast only (no multicast
# routing daemon, like a cloud network). Router side of member k: r<k>.
make_network() {
	local n=$1 k ns
	ip netns add "$NS_SND"; ip netns add "$NS_RTR"
	NAMESPACES="$NS_SND $NS_RTR"
	in_ns "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1
	in_ns "$NS_RTR" ip link set lo up
	ip link add eth0 netns "$NS_SND" type veth peer name r0 netns "$NS_RTR"
	in_ns "$NS_SND" ip addr add "$SENDER_IP/24" dev eth0
	in_ns "$NS_RTR" ip addr add 10.0.1.1/24 dev r0
	in_ns "$NS_SND" ip link set lo up
	in_ns "$NS_SND" ip link set eth0 up
	in_ns "$NS_RTR" ip link set r0 up
	in_ns "$NS_SND" ip route add default via 10.0.1.1
	for k in $(seq "$n"); do
		ns=$(member_ns "$k")
		ip netns add "$ns"; NAMESPACES="$NAMESPACES $ns"
		ip link add eth0 netns "$ns" type veth peer name "r$k" netns "$NS_RTR"
		in_ns "$ns" ip addr add "$(member_ip "$k")/24" dev eth0
		in_ns "$NS_RTR" ip addr add "10.0.$((k + 1)).1/24" dev "r$k"
		in_ns "$ns" ip link set lo up
		in_ns "$ns" ip link set eth0 up
		in_ns "$NS_RTR" ip link set "r$k" up
		in_ns "$ns" ip route add default via "10.0.$((k + 1)).1"
	done
	trap cleanup_network EXIT
}

cleanup_network() {
	local ns
	for ns in $NAMESPACES; do ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del "$ns" 2>/dev/null; done
	NAMESPACES=""
}

# members_csv N: the member addresses 1..N joined by commas
members_csv() { local k out=""; for k in $(seq "$1"); do out="$out${out:+,}$(member_ip "$k")"; done; echo "$out"; }

# configure_proxy GROUP PORT N: server in the sender, client in N members
configure_proxy() {
	local group=$1 port=$2 n=$3 k
	in_ns "$NS_SND" $TOOL genl server add "$group" "$(members_csv "$n")"
	for k in $(seq "$n"); do
		in_ns "$(member_ns "$k")" $TOOL genl client add "$SENDER_IP" "$port" "$group"
	done
}
