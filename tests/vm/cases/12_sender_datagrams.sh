# Issue 13, the sender's side: every kind of datagram an application can
# send is fanned out correctly (captured and checksum-checked at a member,
# delivered intact); a group of 1024 members carries traffic, every
# member's copy seen on the wire; the kernel memory a member costs.
. "$VMDIR/lib.sh"
. "$VMDIR/review-lib.sh"
load_modules

G=239.13.2.1 PORT=5100
KINDS="python3 $VMDIR/datagram_kinds.py"

datagram_kinds() {
	local k m W=/tmp/kinds.$SUFFIX
	mkdir -p "$W"
	make_network 2
	# Two members: from two copies on, a payload of 256 bytes or more is
	# copied once and shared by the copies (the corked and the 65507-byte
	# kinds), the rest is copied with each copy.
	in_ns "$NS_SND" $TOOL genl server add $G "$(member_ip 1),$(member_ip 2)"
	# The sender's device offloads checksums (UDP GSO needs it); the
	# router's devices to the members complete them, and segment GSO
	# datagrams, so the members' captures see final checksums.
	for k in 1 2; do
		m=$(member_ns $k)
		# One any-port entry: each kind has a port of its own.
		in_ns "$m" $TOOL genl client add $SENDER_IP 0 $G
		in_ns "$NS_RTR" ethtool -K r$k tx off >/dev/null
		in_ns "$m" $KINDS check --group $G --port $PORT --iface eth0 --join "$(member_ip $k)" \
			--sender $SENDER_IP --ready "$W/ready$k" > "$W/out$k" 2>&1 &
	done
	for k in 1 2; do
		wait_ready "$W/ready$k" "member $k's capture" || { cleanup_network; return; }
	done
	expect_ok "the sender sends every kind (GSO, corked, IP options, 0 and 65507 bytes)" \
		in_ns "$NS_SND" $KINDS send --group $G --port $PORT
	wait
	for k in 1 2; do
		info "member $k:"
		tool_report datagram_kinds.py < "$W/out$k"
	done
	info "server counters after the kinds: $(in_ns "$NS_SND" $TOOL genl server stats)"
	cleanup_network
}

# A sender whose 1024 members sit behind one link (a sink namespace that
# answers ARP and drops the rest): every copy of every datagram is seen
# there, with valid checksums.
fanout_1024() {
	local snd=fs$SUFFIX sink=fk$SUFFIX W=/tmp/fan.$SUFFIX n=3 out shared
	mkdir -p "$W"
	NAMESPACES=""
	new_ns "$snd"; new_ns "$sink"
	trap cleanup_network EXIT
	ip link add eth0 netns "$snd" type veth peer name eth0 netns "$sink"
	ip -n "$snd" -batch - <<-EOF
		addr add 10.199.0.1/24 dev eth0
		link set eth0 up
		route add 10.200.0.0/16 via 10.199.0.2
		route add 224.0.0.0/4 dev eth0
	EOF
	ip -n "$sink" -batch - <<-EOF
		addr add 10.199.0.2/24 dev eth0
		link set eth0 up
	EOF
	in_ns "$snd" ethtool -K eth0 tx off >/dev/null
	# The sink's address resolved first: copies waiting for ARP would be dropped.
	in_ns "$snd" ping -c 1 -W 10 10.199.0.2 >/dev/null || fail "the sender cannot reach the sink"
	in_ns "$snd" $TOOL genl server add $G "$(for k in $(seq 0 1023); do
		printf '10.200.%d.%d,' $((k / 250)) $((k % 250 + 1)); done)"
	in_ns "$sink" python3 "$VMDIR/datagram_kinds.py" fanout-capture --iface eth0 --count $((n * 1024)) \
		--ready "$W/ready" > "$W/out" 2>&1 &
	wait_ready "$W/ready" "the sink's capture" || { cleanup_network; return; }
	# 600 bytes: the copies share the payload; the device computes no
	# checksums, so the sender's are final (CHECKSUM_NONE) and every copy's
	# is checked over its payload.
	# The function profiler counts the shared payloads made: one a datagram.
	shared=$(module_calls rmc_skb_append_page_copy rust_mcast_server \
		in_ns "$snd" $TOOL send --group $G --port $PORT --count $n --size 600 --interval 0.5 --bind 10.199.0.1)
	wait
	expect_eq "each datagram's payload copied once for its 1024 copies (page copies made)" "$shared" "$n"
	out=$(cat "$W/out")
	info "fan-out to 1024 members, $n datagrams: $out; server: $(in_ns "$snd" $TOOL genl server stats)"
	expect_eq "$n datagrams to 1024 members: every member's copy of each seen on the wire, checksums valid" \
		"$(echo "$out" | fields frames distinct members bad_checksums)" "$((n * 1024)) $((n * 1024)) 1024 0"
	cleanup_network
}

# The kernel memory of a group and of a member: 256 groups of 1024 members
# against 256 groups of one, added by one process in a memory cgroup (every
# table allocation is charged to the caller). Read from memory.stat (slab
# objects in bytes, per-CPU and vmalloc memory) once the kernel's periodic
# flush (every 2 s) has brought it up to date: memory.current would also
# count the pages the cgroup charges ahead per CPU (up to 64 each).
memory_per_member() {
	local cg=/sys/fs/cgroup/mpm$SUFFIX ns=mp$SUFFIX big small per_member per_group
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
	mkdir -p "$cg"
	NAMESPACES=""
	new_ns "$ns"
	trap cleanup_network EXIT
	# Warm-up outside the cgroup: the page cache of the tool stays charged elsewhere.
	in_ns "$ns" $TOOL genl server bulk 1 1 && in_ns "$ns" $TOOL genl server clear
	kernel_bytes() {
		sleep 3
		awk '$1 == "slab_unreclaimable" || $1 == "percpu" || $1 == "vmalloc" { n += $2 } END { print n + 0 }' \
			"$cg/memory.stat"
	}
	# charge MEMBERS: what adding 256 groups of MEMBERS members leaves charged
	charge() {
		local before
		before=$(kernel_bytes)
		# Into the cgroup first: inside `ip netns exec`, /sys is the namespace's own.
		sh -c "echo \$\$ > $cg/cgroup.procs && exec ip netns exec $ns $TOOL genl server bulk 256 $1" || return 1
		echo $(($(kernel_bytes) - before))
	}
	small=$(charge 1) && in_ns "$ns" $TOOL genl server clear && big=$(charge 1024)
	if [ -n "$big" ] && [ -n "$small" ]; then
		per_member=$(awk -v b="$big" -v s="$small" 'BEGIN { printf "%.1f", (b - s) / (256 * 1023) }')
		per_group=$(awk -v s="$small" 'BEGIN { printf "%.0f", s / 256 }')
		info "kernel memory charged (slab, per-CPU, vmalloc): 256 groups of 1024 members $big bytes," \
			"of 1 member $small bytes: $per_member bytes a member, $per_group bytes a group of one" \
			"(the debug kernel's KASAN adds its redzones)"
		# At least the 4-byte address, and no more than the 64 bytes a careless layout (a list node) would take.
		if awk -v p="$per_member" 'BEGIN { exit !(p >= 3.5 && p <= 64) }'; then
			pass "a member costs $per_member bytes of kernel memory, charged to the caller's cgroup"
		else
			fail "a member costs $per_member bytes (want 4 to 64): big $big, small $small"
		fi
	else
		fail "memory per member: the bulk additions failed (big '$big', small '$small')"
	fi
	in_ns "$ns" $TOOL genl server clear
	cleanup_network
	rmdir "$cg" 2>/dev/null
}

datagram_kinds
fanout_1024
memory_per_member

case_done
