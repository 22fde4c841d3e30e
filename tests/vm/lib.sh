# Sourced by every VM test case (tests/vm/cases/*.sh), inside the guest.
# A case is a file of scenario functions; each scenario builds its own
# namespaces, checks what the guest actually did, and prints one line per
# check: "PASS: <case>: <what>" or "FAIL: <case>: <what>: <why>".
# Environment from guest-main.sh: VMDIR, REPO, MODDIR, RESULTS, BINDIR.

# Python without site-packages (guest-main.sh says why), started directly,
# not through the PATH's wrapper for it: its `sh` is one more process start.
PYTHON="/usr/bin/python3 -S"
TOOL="$PYTHON $VMDIR/mcast_tool.py"
python3() { $PYTHON "$@"; }
CASE=${CASE:-$(basename "$0" .sh)}

# Each check's second since the case started, for finding where time goes.
TIMING=${RESULTS:-/tmp}/case-$CASE.timing
stamp() { echo "$SECONDS $*" >> "$TIMING"; }
pass() { echo "PASS: $CASE: $*"; stamp "PASS: $*"; }
# case_done: the last line of every case. guest-main.sh counts a case that
# never printed it (died, exited early, timed out) as failed.
case_done() { echo "CASE-DONE: $CASE"; }
fail() { echo "FAIL: $CASE: $*"; stamp "FAIL: $*"; }

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

# Process starts are what a case pays for on the debug kernel under TCG
# (counted: a fork and exec of /bin/true 119 M instructions), so the helpers
# here poll, count and parse with bash builtins where they can.

# in_ns NS CMD...: CMD in network namespace NS, entered by nsenter (239 M)
# rather than `ip netns exec` (394 M), which also gives CMD a mount namespace
# with NS's own /sys: use that for what reads /sys/class/net.
in_ns() { local n=$1; shift; nsenter --net="/run/netns/$n" -- "$@"; }

# snooze SECONDS: sleep without a process: a read that times out on a pipe
# nobody writes to (opened once, read and write ends both ours)
exec {SNOOZE_FD}<> <(:)
snooze() { read -rt "$1" -u "$SNOOZE_FD" || :; }

load_modules() {
	lsmod | grep -q '^rust_mcast_server ' || insmod "$MODDIR/rust_mcast_server.ko" "$@" || return 1
	lsmod | grep -q '^rust_mcast_client ' || insmod "$MODDIR/rust_mcast_client.ko" || return 1
}
# unload_modules: both, the client first (a reload)
unload_modules() { rmmod rust_mcast_client && rmmod rust_mcast_server; }

# wait_for FILE: wait (bounded, 120 s: a Python start alone takes seconds on
# the debug kernel under TCG) until a background helper says it is ready; the
# helpers write FILE only once they listen (socket bound, group joined)
wait_for() { local i; for ((i = 0; i < 1200; i++)); do [ -e "$1" ] && return 0; snooze 0.1; done; return 1; }
# wait_ready FILE WHAT: wait_for, and a FAIL naming WHAT if it never became
# ready (its checks fail too: they all want proof that it listened)
wait_ready() { wait_for "$1" || { fail "$2 never became ready (no $1 within 120 s)"; return 1; }; }

# ---- every host's stateful firewall -----------------------------------------
# Every namespace the cases create, and the guest's initial namespace (once
# per case, below), runs what a real host runs: connection tracking and a
# stateful nftables ruleset that drops what conntrack finds invalid (a bad
# checksum, a packet it cannot classify). The proxy's copies and the
# datagrams it restores must pass it like any other traffic. The policy
# stays accept: the applications of the suite use ports of their own, and
# what matters here is that conntrack sees, classifies and may drop every
# packet. A case (or a namespace) that must run without it says so.
FW_TABLE=host_fw
# fw_ruleset CHAIN...: the ruleset, replacing an older one (a reload is atomic)
fw_ruleset() {
	local chain
	echo "table inet $FW_TABLE"
	echo "delete table inet $FW_TABLE"
	echo "table inet $FW_TABLE {"
	for chain; do
		echo "	chain $chain {"
		echo "		type filter hook $chain priority filter; policy accept;"
		echo "		ct state invalid counter drop"
		echo "		ct state established,related counter accept"
		echo "		ct state new counter accept"
		echo "	}"
	done
	echo "}"
}

# ns_run NS CMD...: CMD in namespace NS, or in the initial namespace if NS is ""
ns_run() { local n=$1; shift; if [ -n "$n" ]; then in_ns "$n" "$@"; else "$@"; fi; }

# stateful_firewall NS [router]: load the ruleset into NS ("" = the initial
# namespace), with a forward chain for a router; brings lo up, as on a host.
# nft refuses a ct expression the kernel cannot track: a FAIL, not a skip.
stateful_firewall() {
	local ns=$1 chains="input output" out
	[ "${2:-}" = router ] && chains="input forward output"
	if ! out=$(fw_ruleset $chains | ns_run "$ns" sh -c 'ip link set lo up && nft -f -' 2>&1); then
		fail "stateful firewall in ${ns:-the initial namespace}: $(echo "$out" | head -3 | tr '\n' ' ')"
		return 1
	fi
}

# new_ns NAME [router]: a namespace of the case (removed by cleanup_network),
# with the stateful firewall
new_ns() {
	ip netns add "$1" || { fail "ip netns add $1 failed"; return 1; }
	NAMESPACES="$NAMESPACES${NAMESPACES:+ }$1"
	stateful_firewall "$1" "${2:-}"
}

# check_conntrack: one check per case that connection tracking really tracks
# in the initial namespace and in every namespace of $NAMESPACES: each pings
# its own loopback once; its output chain must have counted the request as
# a new connection, its input chain the reply as established (conntrack
# matched the reply to the request), and /proc/net/nf_conntrack, where the
# kernel has it, must list the connection.
check_conntrack() {
	local ns got bad="" n=0
	for ns in "" $NAMESPACES; do
		n=$((n + 1))
		got=$(ns_run "$ns" sh -c "$FW_PROBE" 2>&1 | tr -s '\n\t' '  ')
		case $got in
			[1-9]*' '[1-9]*' '[1-9-]*) ;;
			*) bad="$bad${bad:+; }${ns:-initial}: '$got' (output new, input established, /proc entries)" ;;
		esac
	done
	if [ -z "$bad" ]; then
		pass "conntrack active in all $n namespaces (the initial one and the case's $((n - 1)))"
	else
		fail "conntrack active in all namespaces: $bad"
	fi
}
# What check_conntrack runs in a namespace; prints "NEW_OUT EST_IN ENTRIES"
# (ENTRIES "-" if the kernel has no /proc/net/nf_conntrack).
FW_PROBE=$(cat <<EOF
ping -c 1 -W 5 127.0.0.1 >/dev/null 2>&1
nft list table inet $FW_TABLE | awk '
	\$1 == "chain" { chain = \$2 }
	\$1 == "ct" && \$2 == "state" { for (i = 4; i < NF; i++) if (\$i == "packets") n[chain "/" \$3] = \$(i + 1) }
	END { printf "%d %d", n["output/new"], n["input/established,related"] }'
if [ -r /proc/net/nf_conntrack ]; then
	echo " \$(grep -c 'icmp .*src=127.0.0.1 dst=127.0.0.1' /proc/net/nf_conntrack)"
else
	echo " -"
fi
EOF
)

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
# Every one of them runs the stateful firewall. Each namespace is set up by
# one `ip -batch` (process starts are what costs time under TCG).
make_network() {
	local n=$1 k
	NAMESPACES=""
	new_ns "$NS_SND"; new_ns "$NS_RTR" router
	in_ns "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1
	ip link add eth0 netns "$NS_SND" type veth peer name r0 netns "$NS_RTR"
	for ((k = 1; k <= n; k++)); do
		new_ns "$(member_ns "$k")"
		ip link add eth0 netns "$(member_ns "$k")" type veth peer name "r$k" netns "$NS_RTR"
	done
	{
		echo "link set lo up"
		for ((k = 0; k <= n; k++)); do printf 'addr add 10.0.%d.1/24 dev r%d\nlink set r%d up\n' $((k + 1)) "$k" "$k"; done
	} | ip -n "$NS_RTR" -batch -
	host_addr "$NS_SND" "$SENDER_IP" 10.0.1.1
	for ((k = 1; k <= n; k++)); do host_addr "$(member_ns "$k")" "$(member_ip "$k")" "10.0.$((k + 1)).1"; done
	trap cleanup_network EXIT
}

# host_addr NS ADDR GATEWAY: eth0 of a host up with ADDR/24, default route via GATEWAY
host_addr() {
	ip -n "$1" -batch - <<-EOF
		link set lo up
		addr add $2/24 dev eth0
		link set eth0 up
		route add default via $3
	EOF
}

cleanup_network() {
	local ns
	for ns in $NAMESPACES; do ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del "$ns" 2>/dev/null; done
	NAMESPACES=""
}

# on NS SCRIPT: a bash snippet in a host, whose CLIs use that host's own
# configuration files in the case's work folder $W (-R restores them)
on() {
	local ns=$1; shift
	# (in_ns passes the environment on: no `env` process)
	MULTIS_CONFIG="$W/$ns.multi_server.json" MULTIC_CONFIG="$W/$ns.multi_client.json" in_ns "$ns" bash -c "$*"
}

# members_csv N: the member addresses 1..N joined by commas
members_csv() { local k out=""; for ((k = 1; k <= $1; k++)); do out="$out${out:+,}$(member_ip "$k")"; done; echo "$out"; }

# configure_proxy GROUP PORT N: server in the sender, client in N members
configure_proxy() {
	local group=$1 port=$2 n=$3 k
	in_ns "$NS_SND" $TOOL genl server add "$group" "$(members_csv "$n")"
	for ((k = 1; k <= n; k++)); do
		in_ns "$(member_ns "$k")" $TOOL genl client add "$SENDER_IP" "$port" "$group"
	done
}

# The guest's initial namespace gets the stateful firewall once per case. A
# case that runs itself again inside a namespace of its own (04_cli) sets
# CASE_NS for that second run, which is not in the initial namespace.
[ -n "${CASE_NS:-}" ] || stateful_firewall ""
