# Issue 12, the kernel review of kernel_glue/ and both modules against 6.12:
# one scenario per finding, each checking what the guest's kernel did, each
# failing with the modules as they were before the fix. Measurements are
# printed as "info:" lines (collected in docs/measurements-issue12.md).
. "$VMDIR/lib.sh"

info() { echo "info: $CASE: $*"; stamp "info: $*"; }
# usec: the time now in microseconds (no process start)
usec() { echo "${EPOCHREALTIME/./}"; }
# gone IFACE: wait (bounded, 120 s) until a network device has disappeared
gone() { local i; for i in $(seq 6000); do [ -e "/sys/class/net/$1" ] || return 0; sleep 0.02; done; return 1; }
# counter NS SIDE NAME: one global counter of a module in namespace NS
counter() { ns_run "$1" $TOOL genl "$2" stats | json "['$3']"; }
# fields NAME...: the named fields of the JSON object on stdin, on one line
# (one Python start for all of them)
fields() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(*(d[k] for k in sys.argv[1:]))' "$@"; }

# ---- 1. namespace exit: no grace period per namespace per module ----------
# teardown_ms N: creates N namespaces, deletes them and prints the ms until
# the kernel has torn them all down. Namespaces are torn down in batches on
# an ordered workqueue (cleanup_net, net/core/net_namespace.c): once the
# last of the N (A) has lost its devices its batch has begun; a sentinel
# namespace (B) deleted then is torn down in a later batch, so when B's
# device is gone every earlier batch has finished.
teardown_ms() {
	local n=$1 i t0 p=rv$SUFFIX
	{ for i in $(seq "$n"); do echo "netns add $p-$i"; done; echo "netns add $p-B"; } | ip -batch - || return 1
	ip link add "rvA$SUFFIX" type veth peer name x netns "$p-$n" || return 1
	ip link add "rvB$SUFFIX" type veth peer name x netns "$p-B" || return 1
	t0=$(usec)
	{ for i in $(seq "$n"); do echo "netns del $p-$i"; done; } | ip -batch -
	gone "rvA$SUFFIX" || return 1
	ip netns del "$p-B"
	gone "rvB$SUFFIX" || return 1
	echo $((($(usec) - t0) / 1000))
}

namespace_teardown() {
	local n=200 without with
	rmmod rust_mcast_client rust_mcast_server 2>/dev/null
	without=$(teardown_ms $n)
	load_modules || { fail "modules load again"; return; }
	with=$(teardown_ms $n)
	info "deleting $n namespaces: ${without:-?} ms without the modules, ${with:-?} ms with both loaded"
	if [ -z "$without" ] || [ -z "$with" ]; then
		fail "namespace teardown: the namespaces were not torn down within 120 s ($without/$with ms)"
	elif [ "$with" -le $((2 * without + 1500)) ]; then
		pass "deleting $n namespaces with both modules takes about as long as without ($with ms vs $without ms)"
	else
		fail "deleting $n namespaces with both modules: $with ms, without: $without ms (a grace period per namespace per module?)"
	fi
}

# ---- 2. no grace period per change under the genl mutex --------------------
changes_without_grace_periods() {
	local ns=cr$SUFFIX out adds joins queries idle busy stop=/tmp/churn-stop.$SUFFIX
	new_ns "$ns"
	out=$(in_ns "$ns" $TOOL bench-changes --count 1024 2>&1)
	adds=$(echo "$out" | json "['adds_s']" 2>/dev/null)
	joins=$(echo "$out" | json "['joins_s']" 2>/dev/null)
	queries=$(echo "$out" | json "['queries_s']" 2>/dev/null)
	info "1024 group adds: ${adds:-?} s; 1024 one-member joins (to a 1024-member group): ${joins:-?} s;" \
		"1024 stats queries: ${queries:-?} s"
	expect_eq "the 1024 joins made a 1024-member group" "$(echo "$out" | json "['members']" 2>/dev/null)" 1024
	# A change costs about what a query costs, not a grace period more.
	if [ -n "$adds" ] && awk "BEGIN { exit !($adds < 3 * $queries + 1 && $joins < 3 * $queries + 1) }"; then
		pass "1024 adds (${adds} s) and 1024 joins (${joins} s) cost about as much as 1024 queries (${queries} s)"
	else
		fail "1024 adds/joins vs queries: $out"
	fi
	# Another family's request (an nlctrl lookup takes the genl mutex too)
	# while changes run back to back.
	idle=$($TOOL nlctrl-latency --count 100 2>&1)
	rm -f "$stop"
	in_ns "$ns" $TOOL churn --seconds 120 --stop "$stop" --ready "$stop.ready" > /tmp/churn.$SUFFIX 2>&1 &
	wait_ready "$stop.ready" "the change loop"
	busy=$($TOOL nlctrl-latency --count 100 2>&1)
	touch "$stop"; wait
	info "nlctrl family lookup latency, idle: $idle; while changes run: $busy ($(cat /tmp/churn.$SUFFIX))"
	local p_idle p_busy
	p_idle=$(echo "$idle" | json "['p50_ms']" 2>/dev/null)
	p_busy=$(echo "$busy" | json "['p50_ms']" 2>/dev/null)
	if [ -n "$p_busy" ] && awk "BEGIN { exit !($p_busy < 3 * $p_idle + 5) }"; then
		pass "another family's requests are not held up by the change loop (median $p_busy ms, idle $p_idle ms)"
	else
		fail "nlctrl lookups while changes run: median ${p_busy:-?} ms, idle ${p_idle:-?} ms"
	fi
	cleanup_network
}

# ---- 3. memory charged to whoever asked --------------------------------------
# An unprivileged user (nobody) in a user namespace of its own (unshare
# -Urn) fills the server's tables in a memory cgroup with little room. Its
# task is exempt from the OOM killer (oom_score_adj -1000, set by root), so
# a charge that does not fit fails the request with ENOMEM instead of
# killing the filler: what a request's allocations cost is what is checked.
memcg_charge() {
	local cg=/sys/fs/cgroup/rmc$SUFFIX tmp=/tmp/fill.$SUFFIX out cur room=$((8 << 20))
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup ||
		{ fail "memcg: cannot mount cgroup2"; return; }
	grep -qw memory /sys/fs/cgroup/cgroup.controllers || { fail "memcg: no memory controller"; return; }
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
	mkdir -p "$cg" "$tmp" && chmod 777 "$tmp"
	# The tool where nobody can read it.
	cp "$VMDIR/mcast_tool.py" "$VMDIR/mcast_proto.py" "$tmp/"
	sh -c "echo \$\$ > $cg/cgroup.procs && echo -1000 > /proc/self/oom_score_adj &&
		exec setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn \
		python3 $tmp/mcast_tool.py fill --members 1024 --max-ns 4 --seconds 240 \
		--ready $tmp/ready --go $tmp/go" > "$tmp/out" 2>&1 &
	if wait_ready "$tmp/ready" "the unprivileged filler"; then
		cur=$(cat "$cg/memory.current")
		echo $((cur + room)) > "$cg/memory.max"
		touch "$tmp/go"
	fi
	wait
	out=$(cat "$tmp/out")
	info "unprivileged fill in a cgroup with $((room >> 20)) MiB of room: $out"
	expect_eq "an unprivileged user namespace filling the tables gets ENOMEM" \
		"$(echo "$out" | json "['error']['errno']" 2>/dev/null)" 12
	case $(echo "$out" | json "['error']['text']" 2>/dev/null) in
		*memory*cgroup*) pass "the ENOMEM comes with a text that names the memory cgroup" ;;
		*) fail "ENOMEM text: $out" ;;
	esac
	local charged
	charged=$(echo "$out" | json "['charged']" 2>/dev/null)
	# 1024 members of 4 bytes per group: the tables of the groups added.
	if [ -n "$charged" ] && [ "$charged" -ge $((4096 * $(echo "$out" | json "['groups']"))) ] &&
		[ "$charged" -ge $((room / 2)) ]; then
		pass "the cgroup's memory.current shows the tables ($((charged >> 10)) KiB)"
	else
		fail "memory.current grew by ${charged:-?} bytes: $out"
	fi
	rmdir "$cg" 2>/dev/null
}

# ---- 4, 7, 10, 6: the server's packet path -----------------------------------
server_packet_path() {
	local m0 a0 t0 x0 m1 a1 t1 x1 m2 a2 t2 x2 r1 r2
	make_network 2
	configure_proxy 239.12.7.1 5012 2
	# 7: a datagram too short for its UDP header (a raw socket can send it)
	read -r m0 a0 t0 x0 < <(in_ns "$NS_SND" $TOOL genl server stats | fields malformed alloc_fail tx_packets matched)
	in_ns "$NS_SND" $TOOL rawsend --src "$SENDER_IP" --dst 239.12.7.1 --truncate 4 --tos 0
	read -r m1 a1 t1 x1 < <(in_ns "$NS_SND" $TOOL genl server stats | fields malformed alloc_fail tx_packets matched)
	expect_eq "a datagram too short for its UDP header is counted malformed, once" "$((m1 - m0))" 1
	expect_eq "... not alloc_fail, and no copy is made (alloc_fail, tx_packets)" "$((a1 - a0)) $((t1 - t0))" "0 0"
	# 10: TTL 0 is host scope: no copies (a TTL 1 datagram is the control)
	in_ns "$NS_SND" $TOOL send --group 239.12.7.1 --port 5012 --ttl 0 --count 2
	read -r m0 a0 t0 x0 < <(in_ns "$NS_SND" $TOOL genl server stats | fields malformed alloc_fail tx_packets matched)
	expect_eq "datagrams sent with IP_MULTICAST_TTL 0 produce no copies (matched, copies)" \
		"$((x0 - x1)) $((t0 - t1))" "0 0"
	in_ns "$NS_SND" $TOOL send --group 239.12.7.1 --port 5012 --ttl 1 --count 1
	read -r m1 a1 t1 x1 < <(in_ns "$NS_SND" $TOOL genl server stats | fields malformed alloc_fail tx_packets matched)
	expect_eq "a TTL 1 datagram right after is matched and copied to both members" "$((x1 - x0)) $((t1 - t0))" "1 2"
	# 6 and 4: members with a stateful input policy of drop carry a stream
	# from two senders at once; every copy is sent once, none replicated.
	for m in 1 2; do
		fw_strict 5012 | in_ns "$(member_ns "$m")" nft -f - || fail "strict ruleset in member $m"
	done
	for m in 1 2; do
		in_ns "$(member_ns "$m")" $TOOL recv --group 239.12.7.1 --port 5012 --join "$(member_ip "$m")" \
			--count 200 --timeout 120 --ready "/tmp/r$m.$SUFFIX" > "/tmp/r$m.$SUFFIX.out" &
	done
	wait_ready "/tmp/r1.$SUFFIX" "receiver 1" && wait_ready "/tmp/r2.$SUFFIX" "receiver 2"
	in_ns "$NS_SND" $TOOL send --group 239.12.7.1 --port 5012 --count 200 --interval 0.002 &
	in_ns "$NS_SND" $TOOL send --group 239.12.7.1 --port 5012 --count 200 --interval 0.002 &
	wait
	read -r m2 a2 t2 x2 < <(in_ns "$NS_SND" $TOOL genl server stats | fields malformed alloc_fail tx_packets matched)
	r1=$(fields received < "/tmp/r1.$SUFFIX.out" 2>/dev/null)
	r2=$(fields received < "/tmp/r2.$SUFFIX.out" 2>/dev/null)
	# Both senders send sequence numbers 0..199: 200 distinct ones.
	expect_eq "members with 'policy drop; ct state established,related accept; udp dport accept' get the stream" \
		"$r1 $r2" "200 200"
	expect_eq "two concurrent senders: 400 matched, 800 copies, each sent once (matched, copies)" \
		"$((x2 - x1)) $((t2 - t1))" "400 800"
	cleanup_network
}

# fw_strict PORT: a member's ruleset: input policy drop, replies and PORT allowed
fw_strict() {
	cat <<-EOF
		table inet $FW_TABLE
		delete table inet $FW_TABLE
		table inet $FW_TABLE {
			chain input {
				type filter hook input priority filter; policy drop;
				ct state invalid counter drop
				ct state established,related counter accept
				iifname lo accept
				udp dport $1 counter accept
			}
			chain output {
				type filter hook output priority filter; policy accept;
				ct state invalid counter drop
			}
		}
	EOF
}

# 6: the sender's conntrack table after a stream to 1024 members (behind a
# dummy device: routed, never delivered).
copies_untracked() {
	local ns=ct$SUFFIX k before entries tx
	new_ns "$ns"
	ip -n "$ns" -batch - <<-EOF
		link add d0 type dummy
		link set d0 up
		addr add 10.199.0.1/24 dev d0
		route add 10.200.0.0/16 dev d0
		route add 224.0.0.0/4 dev d0
	EOF
	in_ns "$ns" $TOOL genl server add 239.12.6.1 "$(for k in $(seq 0 1023); do
		printf '10.200.%d.%d,' $((k / 250)) $((k % 250 + 1)); done)"
	before=$(counter "$ns" server tx_packets)
	in_ns "$ns" $TOOL send --group 239.12.6.1 --port 5016 --count 3 --bind 10.199.0.1
	tx=$(($(counter "$ns" server tx_packets) - before))
	entries=$(in_ns "$ns" grep -c 'dst=10\.200\.' /proc/net/nf_conntrack)
	info "conntrack entries on the sender after 3 datagrams to 1024 members ($tx copies): $entries"
	expect_eq "3 datagrams to a group of 1024 members: 3072 copies sent" "$tx" 3072
	expect_eq "the copies leave no conntrack entry on the sender (untracked, as nf_dup_ipv4's)" "$entries" 0
	cleanup_network
}

# ---- 5. bridged frames with br_netfilter ------------------------------------
# S (sender) and M (member) hang off a bridge on host B, which is a member
# too (its address on br0). br_netfilter runs bridged IPv4 frames through
# PRE_ROUTING: B's client must leave M's copies alone (M restores them) and
# still restore its own, small and fragmented alike.
bridged_copies() {
	local S=bs$SUFFIX B=bb$SUFFIX M=bm$SUFFIX rb rm n=6
	NAMESPACES=""
	new_ns "$S"; new_ns "$B"; new_ns "$M"
	trap cleanup_network EXIT
	ip link add eth0 netns "$S" type veth peer name pS netns "$B"
	ip link add eth0 netns "$M" type veth peer name pM netns "$B"
	ip -n "$B" -batch - <<-EOF
		link add br0 type bridge
		link set pS master br0
		link set pM master br0
		link set pS up
		link set pM up
		link set br0 up
		addr add 10.0.50.1/24 dev br0
	EOF
	in_ns "$B" sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null
	# The sender's original multicast goes into a dummy device: on the
	# bridge it would reach both receivers by itself.
	ip -n "$S" -batch - <<-EOF
		addr add 10.0.50.2/24 dev eth0
		link set eth0 up
		link add d0 type dummy
		link set d0 up
		route add 224.0.0.0/4 dev d0
	EOF
	ip -n "$M" -batch - <<-EOF
		addr add 10.0.50.3/24 dev eth0
		link set eth0 up
	EOF
	in_ns "$S" $TOOL genl server add 239.12.5.1 10.0.50.1,10.0.50.3
	in_ns "$B" $TOOL genl client add 10.0.50.2 5015 239.12.5.1
	in_ns "$M" $TOOL genl client add 10.0.50.2 5015 239.12.5.1
	in_ns "$B" $TOOL recv --group 239.12.5.1 --port 5015 --join 10.0.50.1 --count $n --timeout 60 \
		--ready /tmp/rb.$SUFFIX > /tmp/rb.$SUFFIX.out &
	in_ns "$M" $TOOL recv --group 239.12.5.1 --port 5015 --join 10.0.50.3 --count $n --timeout 60 \
		--ready /tmp/rm.$SUFFIX > /tmp/rm.$SUFFIX.out &
	wait_ready /tmp/rb.$SUFFIX "the receiver on the bridge host" && wait_ready /tmp/rm.$SUFFIX "the receiver behind the bridge"
	in_ns "$S" $TOOL send --group 239.12.5.1 --port 5015 --count $((n / 2)) --size 200 --bind 10.0.50.2
	in_ns "$S" $TOOL send --group 239.12.5.1 --port 5015 --count $((n / 2)) --size 3000 --bind 10.0.50.2 \
		--first-seq $((n / 2))
	wait
	rb=$(fields received < /tmp/rb.$SUFFIX.out 2>/dev/null)
	rm=$(fields received < /tmp/rm.$SUFFIX.out 2>/dev/null)
	info "br_netfilter bridge: bridge host received ${rb:-?}, host behind the bridge ${rm:-?} of $n;" \
		"bridge host client restored $(counter "$B" client rx_packets), gathered $(counter "$B" client fragments) fragments"
	expect_eq "copies addressed to the bridge host are restored there (small and fragmented)" "$rb" $n
	expect_eq "copies bridged to the host behind it are left alone and restored by that host" "$rm" $n
	expect_eq "the bridge host restored only its own copies" "$(counter "$B" client rx_packets)" $n
	cleanup_network
}

# ---- 8. consistent dumps --------------------------------------------------
consistent_dumps() {
	local ns=du$SUFFIX out stop=/tmp/rotate-stop.$SUFFIX i bad=0 list n dup
	rmmod rust_mcast_server && insmod "$MODDIR/rust_mcast_server.ko" max_groups=4096 ||
		{ fail "server module with max_groups=4096"; return; }
	new_ns "$ns"
	in_ns "$ns" $TOOL genl server bulk 3000 0
	out=$(in_ns "$ns" $TOOL dump-intr --delete 239.100.0.1 2>&1)
	info "dump of 3000 groups with a delete after its first part: $out"
	case $out in
		*'"intr": true'*) pass "a change between two parts of a dump sets NLM_F_DUMP_INTR ($out)" ;;
		*) fail "dump across a delete: no NLM_F_DUMP_INTR: $out" ;;
	esac
	in_ns "$ns" $TOOL genl server add 239.100.0.1
	# The CLI restarts an interrupted dump: while the first group is deleted
	# and re-added over and over, every listing shows each group once and
	# misses at most the one being moved.
	rm -f "$stop"
	in_ns "$ns" $TOOL rotate --groups 3000 --stop "$stop" --ready "$stop.ready" > "$stop.out" 2>&1 &
	wait_ready "$stop.ready" "the rotating change loop"
	for i in 1 2 3 4 5; do
		list=$(in_ns "$ns" multis_admin -S 2>&1 | grep -o '239\.100\.[0-9]*\.[0-9]*')
		n=$(echo "$list" | sort -u | wc -l)
		dup=$(echo "$list" | sort | uniq -d | wc -l)
		[ "$n" -ge 2999 ] && [ "$dup" = 0 ] || { bad=$((bad + 1)); info "listing $i: $n groups, $dup twice"; }
	done
	touch "$stop"; wait
	info "5 CLI listings of 3000 groups while the first group moves to the end: $(cat "$stop.out")"
	expect_eq "multis_admin -S restarts interrupted dumps: 5 listings, each group once, none skipped (bad listings)" "$bad" 0
	cleanup_network
	rmmod rust_mcast_server; load_modules
}

load_modules
namespace_teardown
changes_without_grace_periods
server_packet_path
copies_untracked
bridged_copies
consistent_dumps
memcg_charge

case_done
