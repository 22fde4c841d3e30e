# Issue 16: members found by IGMP. Receivers that join a group are added on
# the sender by themselves and removed when they leave, expire or vanish;
# queries bring them back after the sender's module is reloaded; marked IGMP
# from outside the prefixes or from unconfigured hosts teaches nothing.
# Every host runs conntrack and the stateful firewall of lib.sh.
. "$VMDIR/lib.sh"
. "$VMDIR/review-lib.sh"

G=239.16.0.1 PORT=5016
QUERY_INTERVAL=4 ANNOUNCE_INTERVAL=3 LEARN_TIMEOUT=10
W=$(mktemp -d)

load_learning_modules() {
	insmod "$MODDIR/rust_mcast_server.ko" query_interval=$QUERY_INTERVAL &&
		insmod "$MODDIR/rust_mcast_client.ko" announce_interval=$ANNOUNCE_INTERVAL
}

# learned: the sender's learned members of $G, sorted, one line
learned() { in_ns "$NS_SND" $TOOL genl server members $G | awk '$2 == "learned" { print $1 }' | sort | paste -sd' '; }

# within SECONDS WANT: learned() says WANT within SECONDS (polling); prints what it saw last
within() {
	local deadline=$((SECONDS + $1)) got
	while :; do
		got=$(learned)
		[ "$got" = "$2" ] && { echo "$got"; return 0; }
		[ $SECONDS -ge $deadline ] && { echo "$got"; return 1; }
		sleep 0.3
	done
}

# join K: a receiver in member K that joins $G and stays (background); $JOINED_K is its pid
join() {
	rm -f "$W/ready.$1"
	ip netns exec "$(member_ns "$1")" $TOOL recv --group $G --port $PORT --join "$(member_ip "$1")" \
		--count 1000000 --timeout 600 --ready "$W/ready.$1" --progress "$W/progress.$1" > "$W/recv.$1" 2>&1 &
	eval "JOINED_$1=$!"
	wait_ready "$W/ready.$1" "member $1's receiver"
}
rx_of() { in_ns "$(member_ns "$1")" $TOOL genl client stats | json "['rx_packets']"; }
server_counter() { in_ns "$NS_SND" $TOOL genl server stats | json "['$1']"; }

basic_learning() {
	local version=$1 k t0 got
	make_network 3
	for k in 1 2 3; do
		in_ns "$(member_ns "$k")" sysctl -qw net.ipv4.conf.all.force_igmp_version="$version" net.ipv4.conf.eth0.force_igmp_version="$version"
		in_ns "$(member_ns "$k")" $TOOL genl client add $SENDER_IP $PORT $G
	done
	in_ns "$NS_SND" $TOOL genl server add $G
	in_ns "$NS_SND" $TOOL genl server learn $G 10.0.0.0/16 $LEARN_TIMEOUT
	t0=$SECONDS
	join 1; join 2
	if got=$(within 10 "$(member_ip 1) $(member_ip 2)"); then
		pass "IGMPv$version: members 1 and 2 learned $((SECONDS - t0)) s after their receivers joined"
	else
		fail "IGMPv$version: learned members after the joins: '$got', want members 1 and 2"
	fi
	in_ns "$NS_SND" $TOOL send --group $G --port $PORT --count 20 --interval 0.02
	sleep 1
	expect_eq "IGMPv$version: copies restored at members 1, 2, 3" "$(rx_of 1) $(rx_of 2) $(rx_of 3)" "20 20 0"
	kill "$JOINED_2"; wait "$JOINED_2" 2>/dev/null
	t0=$SECONDS
	if got=$(within 10 "$(member_ip 1)"); then
		pass "IGMPv$version: member 2 removed $((SECONDS - t0)) s after its receiver exited (leave)"
	else
		fail "IGMPv$version: learned members after member 2's receiver exited: '$got'"
	fi
	info "IGMPv$version server counters: $(in_ns "$NS_SND" $TOOL genl server stats)"
	info "IGMPv$version member 1 client counters: $(in_ns "$(member_ns 1)" $TOOL genl client stats)"
	kill "$JOINED_1"; wait 2>/dev/null
	cleanup_network
}

load_learning_modules || { fail "modules do not load with query_interval and announce_interval"; case_done; exit 0; }
basic_learning 3
basic_learning 2
unload_modules
rm -rf "$W"
case_done
