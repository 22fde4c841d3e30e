# rust_mcast_server: fan-out to every member, exact fields and checksums,
# counters, what must stay untouched, limits, privileges and namespaces.
# Receivers bind the group address (mcast_tool.py recv does by default), so
# only datagrams the client module restored count; every host runs
# conntrack and the stateful firewall of lib.sh.
. "$VMDIR/lib.sh"
load_modules

G=239.1.1.1 PORT=5000

# capture_members N COUNT FILEPREFIX: AF_PACKET capture on each member's eth0
capture_members() {
	local n=$1 count=$2 k
	for k in $(seq "$n"); do
		in_ns "$(member_ns "$k")" $TOOL capture --iface eth0 --port "$PORT" --count "$count" --timeout 120 \
			--ready "/tmp/cap$k.$SUFFIX" > "/tmp/cap$k.$SUFFIX.json" &
	done
	for k in $(seq "$n"); do wait_ready "/tmp/cap$k.$SUFFIX" "member $k's capture"; done
}

# check_copies N LABEL: each member's capture shows a marked unicast copy
check_copies() {
	local n=$1 label=$2 k f rec
	wait
	for k in $(seq "$n"); do
		f=/tmp/cap$k.$SUFFIX.json
		rec=$(head -1 "$f")
		[ -n "$rec" ] || { fail "$label: member $k captured nothing"; continue; }
		expect_eq "$label: member $k copy fields (src dst tos ttl ports)" \
			"$(echo "$rec" | json "['src'],d['dst'],d['tos'],d['ttl'],d['sport']>0,d['dport']")" \
			"$SENDER_IP $(member_ip "$k") 224 63 True $PORT"
		expect_eq "$label: member $k checksums valid" "$(echo "$rec" | json "['ip_csum_ok'],d['udp_csum_ok']")" "True True"
		rm -f "$f" "/tmp/cap$k.$SUFFIX"
	done
}

fields_and_checksums() {
	make_network 3
	configure_proxy $G $PORT 3
	# Software checksum at the sender (no offload on its device).
	in_ns "$NS_SND" ethtool -K eth0 tx off >/dev/null
	capture_members 3 1
	in_ns "$NS_SND" $TOOL send --group $G --port $PORT --count 1 --ttl 1
	check_copies 3 "software checksum"
	# CHECKSUM_PARTIAL at the sender, completed by the router's devices.
	in_ns "$NS_SND" ethtool -K eth0 tx on >/dev/null
	for k in 1 2 3; do in_ns "$NS_RTR" ethtool -K "r$k" tx off >/dev/null; done
	capture_members 3 1
	in_ns "$NS_SND" $TOOL send --group $G --port $PORT --count 1 --ttl 1
	check_copies 3 "offloaded checksum"
	# UDP "no checksum" stays 0.
	capture_members 1 1
	in_ns "$NS_SND" $TOOL send --group $G --port $PORT --count 1 --no-check
	wait
	expect_eq "UDP checksum 0 stays 0" "$(head -1 /tmp/cap1.$SUFFIX.json | json "['udp_check']")" 0
	cleanup_network
}

exact_counts() {
	local n=200 k got stats
	make_network 3
	check_conntrack
	configure_proxy $G $PORT 3
	for k in 1 2 3; do
		in_ns "$(member_ns "$k")" $TOOL recv --group $G --port $PORT --join "$(member_ip "$k")" --count $n \
			--timeout 120 --size 100 --expect-src $SENDER_IP --ready "/tmp/rdy$k.$SUFFIX" > "/tmp/rcv$k.$SUFFIX" &
	done
	for k in 1 2 3; do wait_ready "/tmp/rdy$k.$SUFFIX" "member $k's receiver"; done
	in_ns "$NS_SND" $TOOL send --group $G --port $PORT --count $n --size 100 --interval 0.002
	wait
	for k in 1 2 3; do
		expect_eq "member $k received all $n datagrams intact" "$(json "['received'],d['corrupt']" < "/tmp/rcv$k.$SUFFIX")" "$n 0"
	done
	stats=$(in_ns "$NS_SND" $TOOL genl server stats)
	expect_eq "global counters: matched, copies, bytes" "$(echo "$stats" | json "['matched'],d['tx_packets'],d['tx_bytes']")" \
		"$n $((3 * n)) $((3 * n * 128))"
	expect_eq "per-group counters" "$(in_ns "$NS_SND" $TOOL genl server stats $G | json "['tx_packets'],d['tx_bytes']")" \
		"$((3 * n)) $((3 * n * 128))"
	cleanup_network
}

untouched_traffic() {
	local before after f=/tmp/capu.$SUFFIX.json
	make_network 1
	configure_proxy $G $PORT 1
	before=$(in_ns "$NS_SND" $TOOL genl server stats | json "['unmatched'],d['tx_packets']")
	# Every IPv4 packet reaching member 1, until the positive control has
	# arrived: a datagram to the configured group on port 5999, sent last,
	# which the server copies. No control line: the capture was not running.
	in_ns "$(member_ns 1)" $TOOL capture --iface eth0 --all-protos --control-dport 5999 --count 10 --timeout 120 \
		--ready /tmp/capu.$SUFFIX > $f &
	wait_ready /tmp/capu.$SUFFIX "member 1's capture"
	in_ns "$NS_SND" $TOOL send --group 239.9.9.9 --port $PORT --count 2
	in_ns "$NS_SND" ping -c1 -W1 -t1 $G >/dev/null 2>&1
	in_ns "$NS_SND" $TOOL send --group $G --port 5999
	wait
	expect_eq "unconfigured group and ICMP reach no member (the configured group's copy sent after them does)" \
		"$(grep -vc '"control": true' $f) $(grep -c '"control": true' $f)" "0 1"
	after=$(in_ns "$NS_SND" $TOOL genl server stats | json "['unmatched'],d['tx_packets']")
	expect_eq "counted as unmatched, no copies (but the control's)" "$after" "$(echo "$before" | awk '{print $1 + 2, $2 + 1}')"
	cleanup_network
}

vrrp_and_large_datagrams() {
	make_network 1
	in_ns "$NS_SND" $TOOL genl server add 224.0.0.18 "$(member_ip 1)"
	in_ns "$NS_SND" $TOOL genl server add $G "$(member_ip 1)"
	in_ns "$(member_ns 1)" $TOOL capture --iface eth0 --count 2 --timeout 120 --ready /tmp/v.$SUFFIX > /tmp/v.$SUFFIX.json &
	wait_ready /tmp/v.$SUFFIX "member 1's capture"
	in_ns "$NS_SND" $TOOL rawsend --vrrp 3 --src $SENDER_IP --dst 224.0.0.18 --tos 0xc0 --ttl 255
	in_ns "$NS_SND" $TOOL rawsend --vrrp 2 --src $SENDER_IP --dst 224.0.0.18 --tos 0xc0 --ttl 255
	wait
	expect_eq "VRRPv3 advert copied with valid checksum, TTL 255 kept (254 after the router)" \
		"$(sed -n 1p /tmp/v.$SUFFIX.json | json "['dst'],d['proto'],d['ttl'],d['vrrp_csum_ok']")" "$(member_ip 1) 112 254 True"
	expect_eq "VRRPv2 advert copied with valid checksum" \
		"$(sed -n 2p /tmp/v.$SUFFIX.json | json "['vrrp_version'],d['vrrp_csum_ok']")" "2 True"
	in_ns "$(member_ns 1)" $TOOL genl client add $SENDER_IP $PORT $G
	in_ns "$(member_ns 1)" $TOOL recv --group $G --port $PORT --join "$(member_ip 1)" --size 4000 --timeout 120 \
		--ready /tmp/big.$SUFFIX > /tmp/big.$SUFFIX.json &
	wait_ready /tmp/big.$SUFFIX "member 1's receiver"
	in_ns "$NS_SND" $TOOL send --group $G --port $PORT --count 1 --size 4000 --pmtu-off
	wait
	expect_eq "a 4000-byte datagram arrives whole (fragmented on the way)" "$(json "['received'],d['corrupt']" < /tmp/big.$SUFFIX.json)" "1 0"
	cleanup_network
}

failures_stay_local() {
	local stats
	make_network 2
	configure_proxy $G $PORT 2
	in_ns "$NS_SND" ip route add unreachable 10.99.0.0/16
	in_ns "$NS_SND" $TOOL genl server join $G 10.99.0.1,$SENDER_IP
	in_ns "$(member_ns 2)" $TOOL recv --group $G --port $PORT --join "$(member_ip 2)" --count 5 --timeout 120 \
		--ready /tmp/r.$SUFFIX > /tmp/r.$SUFFIX.json &
	wait_ready /tmp/r.$SUFFIX "member 2's receiver"
	in_ns "$NS_SND" $TOOL send --group $G --port $PORT --count 5 --interval 0.01
	wait
	expect_eq "an unroutable member costs only its own copies" "$(json "['received']" < /tmp/r.$SUFFIX.json)" 5
	stats=$(in_ns "$NS_SND" $TOOL genl server stats)
	expect_eq "route failures and copies to this host are counted, not sent" \
		"$(echo "$stats" | json "['route_fail'],d['to_local'],d['tx_packets']")" "5 5 10"
	cleanup_network
}

config_rules() {
	local ns=cfg$SUFFIX other=oth$SUFFIX
	new_ns "$ns"; new_ns "$other"; trap cleanup_network EXIT
	expect_fail "a unicast group is refused with a reason" "a group must be a multicast" in_ns "$ns" $TOOL genl server add 10.1.1.1
	expect_fail "a multicast member is refused" "a member must be a unicast" in_ns "$ns" $TOOL genl server add $G 239.2.2.2
	expect_fail "join on an unknown group" "not a configured group" in_ns "$ns" $TOOL genl server join 239.7.7.7 10.0.0.1
	expect_fail "delete of an unknown group" "not a configured group" in_ns "$ns" $TOOL genl server delete 239.7.7.7
	expect_fail "a member list of 5 bytes is refused" "malformed attribute MEMBERS" in_ns "$ns" $TOOL genl server raw 1 2 ef010101 3 0a00000101
	expect_fail "an unknown attribute is refused by the policy" "Unknown attribute" in_ns "$ns" $TOOL genl server raw 1 20 00000000
	expect_fail "unprivileged change refused" "genl error 1:" in_ns "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups $TOOL genl server add $G
	expect_ok "unprivileged query works" in_ns "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups $TOOL genl server stats
	in_ns "$ns" $TOOL genl server add $G 10.0.0.1,10.0.0.2,10.0.0.1
	in_ns "$ns" $TOOL genl server quit $G 10.0.0.1,10.9.9.9
	expect_eq "duplicates dropped, quit keeps order, unknown ignored" "$(in_ns "$ns" $TOOL genl server members $G | tr '\n' ' ')" "10.0.0.2 "
	expect_eq "another namespace has its own (empty) table" "$(in_ns "$other" $TOOL genl server groups | wc -l)" 0
	expect_ok "delete a group" in_ns "$ns" $TOOL genl server delete $G
	expect_eq "deleted group gone" "$(in_ns "$ns" $TOOL genl server groups | wc -l)" 0
	cleanup_network
}

scale_1024_by_1024() {
	local ns=big$SUFFIX start
	new_ns "$ns"; trap cleanup_network EXIT
	start=$SECONDS
	expect_ok "1024 groups x 1024 members configured" in_ns "$ns" $TOOL genl server bulk 1024 1024
	echo "info: 1024x1024 configured in $((SECONDS - start)) s"
	expect_eq "1024 groups listed, each with 1024 members" \
		"$(in_ns "$ns" $TOOL genl server groups | awk '$2 == 1024' | wc -l)" 1024
	expect_eq "1024 members listed for one group (dump)" "$(in_ns "$ns" $TOOL genl server members 239.100.4.24 | sort -u | wc -l)" 1024
	expect_fail "group 1025 refused" "already 1024 groups" in_ns "$ns" $TOOL genl server add 239.200.0.1
	expect_fail "member 1025 refused" "already has 1024 members" in_ns "$ns" $TOOL genl server join 239.100.0.1 10.201.0.1
	expect_ok "clear all" in_ns "$ns" $TOOL genl server clear
	expect_eq "nothing left after clear" "$(in_ns "$ns" $TOOL genl server groups | wc -l)" 0
	cleanup_network
}

fields_and_checksums
exact_counts
untouched_traffic
vrrp_and_large_datagrams
failures_stay_local
config_rules
scale_1024_by_1024

case_done
