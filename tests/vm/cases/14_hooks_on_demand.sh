# Issue 15, traffic the modules do not touch: a module registers a
# netfilter hook in a namespace only while that namespace's configuration
# needs it (the server: LOCAL_OUT while it has a group, LOCAL_IN while a
# group learns; the client: PRE_ROUTING while it has an entry, LOCAL_OUT
# while an entry announces), so a host's traffic passes none of our code
# until it is configured, and none after the configuration is gone. A hook
# once registered stays while anything is configured (registering and
# unregistering disturb other modules' queued packets: no toggling on
# ordinary changes). The
# function profiler counts each module's hook calls, kernel-wide, while one
# host sends: the calls of the C accessors a hook call starts with (Rust
# functions carry no ftrace entry): rmc_skb_network_bytes, the header bytes
# the server's LOCAL_OUT hook reads before anything else, and
# rmc_module_hook_state_slot, the namespace's state every other hook call
# (and a server LOCAL_OUT call for a group address) looks up first. The
# configuration changes through the real CLIs. Every host runs conntrack
# and the stateful firewall of lib.sh.
. "$VMDIR/lib.sh"
. "$VMDIR/review-lib.sh"

G=239.15.0.1 OTHER=239.15.0.2 PORT=5015 N=10
W=$(mktemp -d)

# blast NS DST: N datagrams from NS to DST:PORT (bash's /dev/udp: no process start each)
blast() {
	in_ns "$1" bash -c "for i in \$(seq $N); do echo x > /dev/udp/$2/$PORT; done" 2>/dev/null
}
# from_sender: unicast to member 1 and multicast to a group nobody configured
from_sender() { blast "$NS_SND" "$(member_ip 1)"; blast "$NS_SND" $OTHER; }
# to_sender: unicast from member 1 to the sender
to_sender() { blast "$(member_ns 1)" $SENDER_IP; }

# calls MODULE TRAFFIC: the calls of MODULE's two accessors while TRAFFIC runs, all CPUs
calls() { module_calls "rmc_skb_network_bytes rmc_module_hook_state_slot" "$1" "$2"; }
# expect_calls WHAT MODULE TRAFFIC none|some: no call, or at least N (every
# hook call makes at least one of them)
expect_calls() {
	local got; got=$(calls "$2" "$3")
	if { [ "$4" = none ] && [ "$got" = 0 ]; } || { [ "$4" = some ] && [ "$got" -ge $N ] 2>/dev/null; }; then
		pass "$1: $2's hook: $got accessor calls ($3, $N datagrams each)"
	else
		fail "$1: $2's hook: $got accessor calls ($3, $N datagrams each), want $4"
	fi
}
server() { on "$NS_SND" "multis_admin $*" >/dev/null || fail "multis_admin $* failed"; }
client() { on "$(member_ns 1)" "multic_admin $*" >/dev/null || fail "multic_admin $* failed"; }

# listen NS: a socket on PORT in NS, so the datagrams get no ICMP answer
# (which would pass the other host's hooks)
listen() {
	local i
	ip netns exec "$1" socat -u UDP-RECV:$PORT OPEN:/dev/null &
	for ((i = 0; i < 300; i++)); do
		in_ns "$1" ss -Huln "sport = :$PORT" | grep -q . && return 0
		snooze 0.1
	done
	fail "no socket on port $PORT in $1"
}

load_modules
make_network 1
listen "$NS_SND"; listen "$(member_ns 1)"
expect_calls "nothing configured" rust_mcast_server from_sender none
expect_calls "nothing configured" rust_mcast_server to_sender none
expect_calls "nothing configured" rust_mcast_client from_sender none
expect_calls "nothing configured" rust_mcast_client to_sender none

# the server: LOCAL_OUT with a group, LOCAL_IN only while a group learns
server -A -m $G -j "$(member_ip 1)"
expect_calls "a group" rust_mcast_server from_sender some
expect_calls "a group that does not learn" rust_mcast_server to_sender none
server -A -m $G --learn 10.0.0.0/8
expect_calls "a learning group" rust_mcast_server to_sender some
server -A -m $G --no-learn
expect_calls "learning off, the group kept: LOCAL_IN stays" rust_mcast_server to_sender some
expect_calls "learning off, the group kept" rust_mcast_server from_sender some
server -D -m $G
expect_calls "the group deleted" rust_mcast_server from_sender none
expect_calls "the group deleted" rust_mcast_server to_sender none
expect_calls "nothing configured on the client yet" rust_mcast_client from_sender none

# the client: PRE_ROUTING with an entry, LOCAL_OUT only while one announces
client -A -i $SENDER_IP -p $PORT -m $G --no-announce
expect_calls "an entry that does not announce" rust_mcast_client from_sender some
expect_calls "an entry that does not announce" rust_mcast_client to_sender none
client -A -i $SENDER_IP -p $PORT -m $G
expect_calls "an announcing entry" rust_mcast_client to_sender some
client -A -i $SENDER_IP -p $PORT -m $G --no-announce
expect_calls "announcing off, the entry kept: LOCAL_OUT stays" rust_mcast_client to_sender some
client -D -i $SENDER_IP -p $PORT
expect_calls "the entry deleted" rust_mcast_client from_sender none
expect_calls "the entry deleted" rust_mcast_client to_sender none

# a namespace that goes with its hooks registered, and an unload with them
client -A -i $SENDER_IP -p $PORT -m $G
server -A -m $G -j "$(member_ip 1)"
server -A -m $G --learn 10.0.0.0/8
cleanup_network
expect_ok "both modules unload after namespaces with their hooks registered went" unload_modules
expect_ok "and load again" load_modules
make_network 1
server -A -m $G -j "$(member_ip 1)"
client -A -i $SENDER_IP -p $PORT -m $G
expect_ok "both modules unload with hooks registered in live namespaces" unload_modules
echo > $TRACING/set_ftrace_filter
cleanup_network
rm -rf "$W"
case_done
