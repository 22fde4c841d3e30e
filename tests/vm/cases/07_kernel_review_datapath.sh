# Issue 12, the kernel review (continued from 06_kernel_review, split for the
# per-case time limit on the debug kernel): the packet-path findings, each
# checking what the guest's kernel did. Measurements are "info:" lines.
. "$VMDIR/lib.sh"

. "$VMDIR/review-lib.sh"

# ---- 4, 7, 10, 6: the server's packet path -----------------------------------
server_packet_path() {
	local m0 a0 t0 x0 m1 a1 t1 x1 m2 a2 t2 x2 r1 r2
	make_network 2
	configure_proxy 239.12.7.1 5012 2
	# 7: a datagram too short for its UDP header (a raw socket can send it)
	read -r m0 a0 t0 x0 < <(in_ns "$NS_SND" $TOOL genl server stats | fields malformed alloc_fail tx_packets matched)
	# (after our hook, the sender's own "ct state invalid drop" drops it: EPERM)
	in_ns "$NS_SND" $TOOL rawsend --src "$SENDER_IP" --dst 239.12.7.1 --truncate 4 --tos 0 2>/dev/null
	read -r m1 a1 t1 x1 < <(in_ns "$NS_SND" $TOOL genl server stats | fields malformed alloc_fail tx_packets matched)
	expect_eq "a datagram too short for its UDP header is counted malformed, once" "$((m1 - m0))" 1
	expect_eq "... not alloc_fail, and no copy is made (alloc_fail, tx_packets)" "$((a1 - a0)) $((t1 - t0))" "0 0"
	# 10: TTL 0 is host scope: no copies (a TTL 1 datagram is the control)
	# (sendto returns only after LOCAL_OUT, our hook included, saw them)
	expect_ok "two datagrams sent with IP_MULTICAST_TTL 0" \
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

# ---- issue 15: each member's cached route ------------------------------------
# Copies take the route cached for their member (routes_cached counts them)
# only while it is what a lookup would return: after each routing change the
# very next datagram's copies follow the table; a mark that policy routing
# reads and an IPsec policy make every copy look its route up, as does
# route_refresh_ms=0; deleting the device the cached routes use does not wait
# for them. A refresh time of 10 minutes (a route serves that long after its
# lookup) outlasts the steps, seconds apart under TCG: what they show is the
# routing table's own invalidation. Members sit behind dummy devices (routed, never delivered);
# the sender's original leaves through dm, its source's device; transmit
# counts come from /proc/net/dev, which follows the reader's namespace.
REFRESH=/sys/module/rust_mcast_server/parameters/route_refresh_ms
cached_routes() {
	local ns=rc$SUFFIX refresh
	read -r refresh < $REFRESH
	new_ns "$ns"
	# (no IPv6: its neighbour discovery would count on the devices too)
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" -batch - <<-EOF
		link add d0 type dummy
		link add d1 type dummy
		link add dm type dummy
		link set d0 up
		link set d1 up
		link set dm up
		addr add 10.199.0.1/24 dev d0
		addr add 10.198.0.1/24 dev d1
		addr add 10.197.0.1/24 dev dm
		route add 10.200.0.0/16 dev d0
		route add 224.0.0.0/4 dev dm
		rule add fwmark 7 table 7
		route add 10.200.0.0/16 dev d1 table 7
	EOF
	in_ns "$ns" $TOOL genl server add 239.12.15.1 10.200.0.1,10.200.0.2
	echo 600000 > $REFRESH
	route_step "$ns" "3 datagrams: 6 copies out of d0, 4 by the routes the first one's copies cached" 3 "6 0 4 0"
	route_step "$ns" "marked 7 (ip rule fwmark 7 → d1): policy routing decides, not the cache" 2 "0 4 0 0" --mark 7
	route_step "$ns" "unmarked again: the routes cached before still serve" 2 "4 0 4 0"
	in_ns "$ns" ip route replace 10.200.0.0/16 dev d1
	route_step "$ns" "route replaced: the next datagram's copies already take the new one (d1)" 2 "0 4 2 0"
	expect_ok "the device of the cached routes is deleted at once (no reference on it kept)" \
		in_ns "$ns" timeout 60 ip link del d1
	route_step "$ns" "its routes gone with it: the copies are route failures" 2 "0 0 0 4"
	in_ns "$ns" ip route add 10.200.0.0/16 dev d0
	route_step "$ns" "a new route: copies flow and are cached again" 2 "4 0 2 0"
	in_ns "$ns" ip xfrm policy add dir out dst 10.200.0.0/16 action block
	route_step "$ns" "an IPsec policy blocking the members: no copy leaves, none by the cache" 2 "0 0 0 4"
	in_ns "$ns" ip xfrm policy flush
	# (the policy's insertion made the cached routes stale: xfrm_policy_insert bumps rt_genid)
	route_step "$ns" "the policy removed: copies flow again" 2 "4 0 2 0"
	echo 0 > $REFRESH
	route_step "$ns" "route_refresh_ms=0: no cache, every copy looked up" 2 "4 0 0 0"
	echo "$refresh" > $REFRESH
	# (the namespace goes with cached routes in place: kmemleak checks the release)
	cleanup_network
}

# route_step NS LABEL COUNT "D0 D1 CACHED FAILED" [SEND OPTION...]: COUNT
# datagrams to the cached_routes group, and what they changed: copies out of
# d0 and d1, routes_cached, route_fail
route_step() {
	local ns=$1 label=$2 count=$3 want=$4 b0 b1 bc bf a0 a1 ac af
	shift 4
	read -r b0 b1 bc bf < <(route_counts "$ns")
	in_ns "$ns" $TOOL send --group 239.12.15.1 --port 5017 --count "$count" --bind 10.197.0.1 "$@"
	read -r a0 a1 ac af < <(route_counts "$ns")
	expect_eq "route cache: $label (d0 d1 routes_cached route_fail)" \
		"$((a0 - b0)) $((a1 - b1)) $((ac - bc)) $((af - bf))" "$want"
}

# route_counts NS: packets sent out of d0 and d1 (0 for a deleted one), then
# the server's routes_cached and route_fail (multis_admin's JSON, matched in
# bash: a Python start costs seconds on the debug kernel)
route_counts() {
	local name rest d0=0 d1=0 stats cached=? failed=?
	local -a f
	while IFS=: read -r name rest; do
		read -ra f <<< "$rest"
		case ${name// /} in
		d0) d0=${f[9]} ;;
		d1) d1=${f[9]} ;;
		esac
	done < <(in_ns "$1" cat /proc/net/dev)
	stats=$(in_ns "$1" multis_admin -P --json)
	[[ $stats =~ \"routes_cached\":([0-9]+) ]] && cached=${BASH_REMATCH[1]} ||
		fail "multis_admin -P --json shows no routes_cached: $stats"
	[[ $stats =~ \"route_fail\":([0-9]+) ]] && failed=${BASH_REMATCH[1]} ||
		fail "multis_admin -P --json shows no route_fail: $stats"
	echo "$d0 $d1 $cached $failed"
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
	# The sender's original multicast would reach both receivers across the
	# bridge by itself: the bridge drops it (before br_netfilter), so what
	# the receivers get are restored copies.
	in_ns "$B" nft -f - <<-EOF || fail "bridge ruleset dropping the original multicast"
		table bridge nomc {
			chain pre {
				type filter hook prerouting priority -300; policy accept;
				ip daddr 239.12.5.1 drop
			}
		}
	EOF
	ip -n "$S" -batch - <<-EOF
		addr add 10.0.50.2/24 dev eth0
		link set eth0 up
		route add 224.0.0.0/4 dev eth0
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

load_modules
server_packet_path
copies_untracked
cached_routes
bridged_copies

case_done
