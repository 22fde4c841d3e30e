# rust_mcast_client: marked unicast from a configured sender becomes group
# traffic for local receivers; everything else is left alone.
# Every receiver binds the group address (mcast_tool.py recv's default), so
# a copy the module did not restore, still unicast to the member, is never
# counted as delivered. A check that expects nothing delivered also sends a
# positive control the receiver must get (recv --control), so a receiver
# that never listened fails it. Every host runs conntrack and the stateful
# firewall of lib.sh.
. "$VMDIR/lib.sh"
load_modules

G=239.2.2.2 PORT=5000
CONTROL_SPORT=40999   # source port of a negative check's positive control

# receive K ARGS...: start a receiver in member K (background), output in /tmp/rx.K.ID.
# It stops once it has its --count or its control: the long timeout matters
# only when something is missing (every process start takes seconds on the
# debug kernel under TCG, and the senders start after the receiver).
RX=0
receive() {
	local k=$1; shift
	RX=$((RX + 1))
	in_ns "$(member_ns "$k")" $TOOL recv --port "$PORT" --timeout 120 --ready "/tmp/rdy.$RX.$SUFFIX" "$@" > "/tmp/rx.$RX.$SUFFIX" &
	wait_ready "/tmp/rdy.$RX.$SUFFIX" "receiver $RX in member $k"
}
received() { json "['received']" < "/tmp/rx.$1.$SUFFIX"; }
# received_and_control ID: "RECEIVED CONTROL" of a negative check's receiver ("0 True" wanted)
received_and_control() { json "['received'],d['control']" < "/tmp/rx.$1.$SUFFIX"; }

# rawsend ARGS...: a packet crafted as the original C tool's server sent it
rawsend() { in_ns "$NS_SND" $TOOL rawsend --src "$SENDER_IP" --dst "$(member_ip 1)" "$@"; }

marker_and_source_checks() {
	make_network 1
	check_conntrack
	local m1; m1=$(member_ns 1)
	in_ns "$m1" $TOOL genl client add $SENDER_IP $PORT $G
	receive 1 --group $G --join "$(member_ip 1)" --count 3 --expect-src $SENDER_IP
	rawsend --dport $PORT --count 3
	wait
	expect_eq "packets crafted as the original server sends them are restored" "$(received $RX)" 3
	# Bound to the group address: unconverted unicast to the host cannot reach
	# it. The positive control, sent last: one more marked copy, restored.
	receive 1 --group $G --join "$(member_ip 1)" --count 1 --control $SENDER_IP:$CONTROL_SPORT
	rawsend --dport $PORT --tos 0
	in_ns "$NS_SND" $TOOL rawsend --src 10.0.1.77 --dst "$(member_ip 1)" --dport $PORT
	rawsend --dport 5999
	rawsend --dport $PORT --sport $CONTROL_SPORT
	wait
	expect_eq "unmarked, other source, other port: none delivered to the group (the marked copy sent after them was)" \
		"$(received_and_control $RX)" "0 True"
	expect_eq "counters: restored, unmarked" "$(in_ns "$m1" $TOOL genl client stats | json "['rx_packets'],d['unmarked']")" "4 1"
	expect_eq "per-entry counters" "$(in_ns "$m1" $TOOL genl client stats $SENDER_IP $PORT | json "['rx_packets']")" 4
	cleanup_network
}

port_precedence() {
	make_network 1
	local m1; m1=$(member_ns 1)
	in_ns "$m1" $TOOL genl client add $SENDER_IP 0 239.3.3.3
	in_ns "$m1" $TOOL genl client add $SENDER_IP $PORT $G
	receive 1 --group $G --join "$(member_ip 1)" --count 1
	rawsend --dport $PORT
	wait
	expect_eq "the exact-port entry wins over the any-port entry" "$(received $RX)" 1
	PORT=6000 receive 1 --group 239.3.3.3 --join "$(member_ip 1)" --count 1
	rawsend --dport 6000
	wait
	expect_eq "other ports fall back to the any-port entry" "$(received $RX)" 1
	cleanup_network
}

vrrp_entry() {
	make_network 1
	local m1; m1=$(member_ns 1)
	expect_fail "a link-local group needs the explicit flag" "is link-local" in_ns "$m1" $TOOL genl client add $SENDER_IP 0 224.0.0.18
	expect_ok "accepted with the flag" in_ns "$m1" $TOOL genl client add $SENDER_IP 0 224.0.0.18 1
	in_ns "$m1" $TOOL vrrp-recv --join "$(member_ip 1)" --count 2 --timeout 120 --ready /tmp/vr.$SUFFIX > /tmp/vr.$SUFFIX.json &
	wait_ready /tmp/vr.$SUFFIX "member 1's VRRP receiver"
	rawsend --vrrp 3 --ttl 255
	rawsend --vrrp 2 --ttl 255
	wait
	expect_eq "VRRPv3 and v2 adverts restored to 224.0.0.18 with valid checksums" \
		"$(python3 -c "import json; print(' '.join(f\"{r['dst']}/{r['version']}/{r['csum_ok']}\" for r in json.load(open('/tmp/vr.$SUFFIX.json'))))")" \
		"224.0.0.18/3/True 224.0.0.18/2/True"
	cleanup_network
}

delivery_semantics() {
	make_network 1
	local m1; m1=$(member_ns 1)
	in_ns "$m1" $TOOL genl client add $SENDER_IP $PORT $G
	receive 1 --group $G --join "$(member_ip 1)" --count 5 --reuse
	local first=$RX
	receive 1 --group $G --join "$(member_ip 1)" --count 5 --reuse
	rawsend --dport $PORT --count 5
	wait
	expect_eq "two SO_REUSEADDR receivers each get every datagram" "$(received $first) $(received $RX)" "5 5"
	# A receiver that joined on another interface gets nothing: the kernel
	# delivers multicast only to memberships of the arrival interface. Its
	# positive control, sent last: the member's own datagram to the group
	# out of eth1, looped back to eth1's memberships.
	in_ns "$m1" ip link add eth1 type veth peer name eth1p
	in_ns "$m1" ip addr add 192.168.77.1/24 dev eth1
	in_ns "$m1" ip link set eth1 up; in_ns "$m1" ip link set eth1p up
	receive 1 --group $G --join 192.168.77.1 --count 1 --control 192.168.77.1
	expect_eq "while it listens, the group is joined on eth1 and not on eth0 (ip maddr)" \
		"$(in_ns "$m1" sh -c "ip maddr show dev eth0 | grep -c ' $G\$'; ip maddr show dev eth1 | grep -c ' $G\$'" | tr '\n' ' ')" "0 1 "
	rawsend --dport $PORT
	in_ns "$m1" $TOOL send --group $G --port $PORT --bind 192.168.77.1
	wait
	expect_eq "a receiver joined on another interface gets nothing (its own datagram on eth1 it does)" \
		"$(received_and_control $RX)" "0 True"
	cleanup_network
}

fragments_and_config() {
	make_network 1
	local m1; m1=$(member_ns 1)
	in_ns "$NS_SND" $TOOL genl server add $G "$(member_ip 1)"
	in_ns "$m1" $TOOL genl client add $SENDER_IP $PORT $G
	receive 1 --group $G --join "$(member_ip 1)" --count 3 --size 4000
	in_ns "$NS_SND" $TOOL send --group $G --port $PORT --count 3 --size 4000 --pmtu-off
	wait
	expect_eq "fragmented 4000-byte datagrams delivered whole through an exact-port entry" "$(received $RX)" 3
	expect_eq "fragments gathered before restoring" "$(in_ns "$m1" $TOOL genl client stats | json "['fragments'] >= 9")" True
	expect_fail "unprivileged change refused" "genl error 1:" in_ns "$m1" setpriv --reuid=65534 --regid=65534 --clear-groups $TOOL genl client add $SENDER_IP 1 $G
	expect_fail "same entry twice" "already maps to" in_ns "$m1" $TOOL genl client add $SENDER_IP $PORT $G
	expect_ok "update of an entry's group" in_ns "$m1" $TOOL genl client add $SENDER_IP $PORT 239.4.4.4
	expect_eq "update keeps the entry's counters" "$(in_ns "$m1" $TOOL genl client entries | awk '{print $3, $4}')" "239.4.4.4 3"
	expect_fail "delete of a missing entry" "no entry for sender" in_ns "$m1" $TOOL genl client delete $SENDER_IP 4
	expect_fail "a multicast sender is refused" "a sender must be a unicast" in_ns "$m1" $TOOL genl client add 239.1.1.1 1 $G
	expect_ok "clear" in_ns "$m1" $TOOL genl client clear
	expect_eq "no entries after clear" "$(in_ns "$m1" $TOOL genl client entries | wc -l)" 0
	cleanup_network
}

marker_and_source_checks
port_precedence
vrrp_entry
delivery_semantics
fragments_and_config

case_done
