# Issue 13, hostile packets: crafted frames injected onto a member's link,
# marked as copies from its configured sender or spoofed (hostile_packets.py
# says what each one is and what must follow). Every drop is explained by a
# counter, the client's or the kernel's; good copies, fragmented ones too,
# are still restored afterwards; reassembly memory stays within the
# kernel's ipfrag thresholds under a flood.
. "$VMDIR/lib.sh"
. "$VMDIR/review-lib.sh"
load_modules

G=239.13.1.1 PORT=5031

hostile_packets() {
	local m1 mac
	make_network 1
	check_conntrack
	m1=$(member_ns 1)
	in_ns "$m1" $TOOL genl client add $SENDER_IP $PORT $G || fail "client entry"
	# Incomplete queues of the flood expire in 5 s instead of 30 s.
	in_ns "$m1" sysctl -qw net.ipv4.ipfrag_time=5
	mac=$(ip netns exec "$m1" cat /sys/class/net/eth0/address)   # (its /sys: see in_ns)
	python3 "$VMDIR/hostile_packets.py" --router-ns "/run/netns/$NS_RTR" --iface r1 --mac "$mac" \
		--member-ns "/run/netns/$m1" --member-ip "$(member_ip 1)" --sender $SENDER_IP --group $G --port $PORT \
		2>&1 | tool_report hostile_packets.py
	cleanup_network
}

hostile_packets

case_done
