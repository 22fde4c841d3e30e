#!/bin/bash
# Runs inside the test VM (as a case of guest-main.sh, see make bench): issue
# 15's benchmark. Side by side in one run, twice (without connection
# tracking, then with lib.sh's stateful firewall in every namespace):
#  - fan-out: copies per second of the proxy (one sendto to the group, the
#    server module makes the copies) against the application's own sendmmsg
#    fan-out and a userspace relay (tests/bench/relay.c: recvmmsg on the
#    group, sendmmsg one unicast copy a member; socat as a second reference
#    at 1 member), at 1/16/128 members x 64/512/1400 bytes, BENCH_COUNT
#    copies a cell (default 20000), BENCH_RUNS alternating runs (default 5,
#    proxy, app, relay interleaved); every rate is the copies counted at the
#    wire (wire0, the NIC-like dummy device that carries the copies out of
#    the sender's or relay's namespace: see bench_network), cross-checked
#    against the sender's own count (module tx_packets, sendmmsg's count,
#    the relay's count);
#  - lookup: the proxy at 16 members, 512 bytes, in a namespace with 1 group
#    against one with 1024 groups (the same matched group);
#  - untouched traffic, module loaded vs unloaded: unicast UDP and multicast
#    to an unconfigured group (1024 groups configured) through the server's
#    LOCAL_OUT hook (sender's time); unmarked unicast through the client's
#    PRE_ROUTING hook (a sink's receive time at the member);
#  - memory per group and per member (SUnreclaim + Percpu, 1024 x 1024);
#  - function_graph profiles of 640 copies made by the proxy and by sendmmsg.
# Records go to $RESULTS/records.tsv; tests/bench/report.py turns them into
# results.json, the table and the goal lines. Ratios, not rates, are the
# result: TCG makes absolute numbers meaningless.
CASE_NS=bench   # no firewall in the initial namespace: the traffic is in the case's
. "$VMDIR/lib.sh"
load_modules || { echo "FAIL: bench: modules do not load"; exit 1; }
B=$RESULTS/bin
mkdir -p "$B"
for p in fanout relay; do
	gcc -O2 -o "$B/$p" "$REPO/tests/bench/$p.c" || { echo "FAIL: bench: $p.c does not build"; exit 1; }
done
N=${BENCH_COUNT:-20000}
RUNS=${BENCH_RUNS:-5}
MEMBERS=${BENCH_MEMBERS:-1 16 128}
SIZES=${BENCH_SIZES:-64 512 1400}
# which measurements (make bench runs the timed ones in one VM and the
# instruction-counted ones in another: see the Makefile)
PARTS=${BENCH_PARTS:-fanout lookup untouched memory profile}
part() { [[ " $PARTS " == *" $1 "* ]]; }
# which fan-out methods (the instruction-counted run leaves out the relays:
# there their source's instructions would count as theirs)
METHODS=${BENCH_METHODS:-proxy app relay socat}
each() { [[ " $METHODS " != *" $1 "* ]] || "run_$@"; }
REC=$RESULTS/records.tsv
: > "$REC"
W=$(mktemp -d)
GROUP=239.9.0.1 PORT=7000
NS_SND2=snd2_$SUFFIX NS_RLY=rly$SUFFIX NS_SRC=src$SUFFIX NS_MEM=mem$SUFFIX
info() { echo "info: $*"; }

# record KIND CT MEMBERS SIZE METHOD RUN COPIES SECONDS COUNTED: one line of records.tsv
# (COPIES: at the wire; COUNTED: by the sender, module or relay itself)
record() { local IFS=$'\t'; echo "$*" >> "$REC"; }

members() { local i; for i in $(seq "$1"); do echo "10.77.$((i / 250)).$((i % 250 + 1))"; done; }
# (ip netns exec, not in_ns: only it mounts the namespace's own /sys)
rx() { ip netns exec "$NS_RTR" cat "/sys/class/net/$1/statistics/rx_packets"; }
# wire NS: packets sent out of NS's NIC-like link to the members (a dummy
# device: as with a real NIC, the receiving side's work is not the sender's)
wire() { ip netns exec "$1" cat /sys/class/net/wire0/statistics/tx_packets; }
tx_packets() { in_ns "$1" $TOOL genl server stats | json "['tx_packets']"; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b > 0 ? a / b : 0 }'; }

# bench_network CT: sender (snd, r0), sender with 1024 groups (snd2, r2),
# member (mem, r1), relay host (rly, r3) fed by a source host (src) on a
# link of its own. The members' 10.77.0.0/16 is reached from snd, snd2 and
# rly through wire0, a dummy device: its transmit ends the packet, as a
# NIC's hands it to the hardware, so a rate is the sender's own work. Over
# veth the receiving namespace's softirq would run in the sender's context
# and be charged to it (57 % of a copy's time in the first bench's
# profile): a cost a real host's sender never pays. CT=1: every namespace runs lib.sh's
# stateful firewall (conntrack on every packet), CT=0: none has a rule, so
# conntrack is not active in any of them.
bench_network() {
	local ct=$1 ns i
	NAMESPACES=""
	for ns in "$NS_SND" "$NS_SND2" "$NS_MEM" "$NS_RLY" "$NS_SRC" "$NS_RTR"; do
		ip netns add "$ns" || return 1
		NAMESPACES="$NAMESPACES $ns"
		if [ "$ct" = 1 ]; then
			if [ "$ns" = "$NS_RTR" ]; then stateful_firewall "$ns" router; else stateful_firewall "$ns"; fi
		fi
	done
	trap cleanup_network EXIT
	i=0
	for ns in "$NS_SND" "$NS_MEM" "$NS_SND2" "$NS_RLY"; do
		ip link add eth0 netns "$ns" type veth peer name "r$i" netns "$NS_RTR"
		i=$((i + 1))
	done
	ip link add eth1 netns "$NS_RLY" type veth peer name eth0 netns "$NS_SRC"
	{
		echo "link set lo up"
		for i in 0 1 2 3; do printf 'addr add 10.0.%d.1/24 dev r%d\nlink set r%d up\n' $((i + 1)) "$i" "$i"; done
		echo "route add blackhole 10.77.0.0/16"
	} | ip -n "$NS_RTR" -batch -
	in_ns "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1
	host_addr "$NS_SND" 10.0.1.2 10.0.1.1
	host_addr "$NS_MEM" 10.0.2.2 10.0.2.1
	host_addr "$NS_SND2" 10.0.3.2 10.0.3.1
	host_addr "$NS_RLY" 10.0.4.2 10.0.4.1
	ip -n "$NS_RLY" -batch - <<-EOF
		addr add 10.0.9.2/24 dev eth1
		link set eth1 up
	EOF
	host_addr "$NS_SRC" 10.0.9.1 10.0.9.2
	for ns in "$NS_SND" "$NS_SND2" "$NS_RLY"; do
		ip -n "$ns" -batch - <<-EOF
			link add wire0 type dummy
			link set wire0 up
			route add 10.77.0.0/16 dev wire0
		EOF
	done
	configure
}

# configure: the proxy's groups (after a module load too): snd one group,
# snd2 the same group and 1023 others; the member a client entry (for a
# sender and port the unicast test does not use)
configure() {
	in_ns "$NS_SND" $TOOL genl server add "$GROUP" "$(members "${CUR_MEMBERS:-16}" | paste -sd,)"
	in_ns "$NS_SND2" $TOOL genl server bulk 1023 1
	in_ns "$NS_SND2" $TOOL genl server add "$GROUP" "$(members 16 | paste -sd,)"
	in_ns "$NS_MEM" $TOOL genl client add 10.0.1.2 "$PORT" "$GROUP"
}

# one run of each method; each records its copies at the wire and its own count
run_proxy() { # CT M SIZE RUN [NS KIND METHOD]
	local ns=${5:-$NS_SND} kind=${6:-fanout} method=${7:-proxy} b w out a
	b=$(tx_packets "$ns"); w=$(wire "$ns")
	# (the original datagram goes on unchanged, by eth0, to the router)
	out=$(in_ns "$ns" "$B/fanout" group "$GROUP" "$PORT" $(((N + $2 - 1) / $2)) "$3")
	a=$(tx_packets "$ns")
	record "$kind" "$1" "$2" "$3" "$method" "$4" $(($(wire "$ns") - w)) "${out#* }" $((a - b))
}
run_app() { # CT M SIZE RUN
	local w out
	w=$(wire "$NS_SND")
	out=$(in_ns "$NS_SND" "$B/fanout" unicast "$PORT" $(((N + $2 - 1) / $2)) "$3" $(members "$2"))
	record fanout "$1" "$2" "$3" app "$4" $(($(wire "$NS_SND") - w)) "$(echo "$out" | awk '{ print $2 }')" "$(echo "$out" | awk '{ print $1 }')"
}
run_relay() { # CT M SIZE RUN
	local w out d=$(((N + $2 - 1) / $2))
	rm -f "$W/relay.ready"
	w=$(wire "$NS_RLY")
	ip netns exec "$NS_RLY" env READY="$W/relay.ready" "$B/relay" "$GROUP" "$PORT" 10.0.9.2 "$d" $(members "$2") > "$W/relay.out" &
	local pid=$!
	wait_for "$W/relay.ready" || { fail "relay never became ready"; kill $pid; return; }
	in_ns "$NS_SRC" "$B/fanout" group "$GROUP" "$PORT" "$d" "$3" > /dev/null
	wait $pid
	out=$(cat "$W/relay.out")
	# the relay's time, from its first datagram to its last copy
	record fanout "$1" "$2" "$3" relay "$4" $(($(wire "$NS_RLY") - w)) "$(echo "$out" | awk '{ print $2 }')" "$(echo "$out" | awk '{ print $1 }')"
}
run_socat() { # CT 1 SIZE RUN: socat relays to one member; its copies and time at the wire
	local out spid wpid
	rm -f "$W/watch.ready"
	# ip netns exec directly (not in_ns, a function: $! would be a subshell's)
	ip netns exec "$NS_RLY" socat -u "UDP4-RECV:$PORT,ip-add-membership=$GROUP:10.0.9.2,rcvbuf=8388608" \
		"UDP4-SENDTO:$(members 1):$PORT" &
	spid=$!
	ip netns exec "$NS_RLY" env READY="$W/watch.ready" "$B/relay" watch /sys/class/net/wire0/statistics/tx_packets > "$W/watch.out" &
	wpid=$!
	wait_for "$W/watch.ready"
	sleep 2   # socat joined the group (it says nothing when)
	in_ns "$NS_SRC" "$B/fanout" group "$GROUP" "$PORT" "$N" "$3" > /dev/null
	wait $wpid
	kill $spid; wait $spid 2>/dev/null
	out=$(cat "$W/watch.out")
	record fanout "$1" 1 "$3" socat "$4" "$(echo "$out" | awk '{ print $1 }')" "$(echo "$out" | awk '{ print $2 }')" "$(echo "$out" | awk '{ print $1 }')"
}

fanout_cells() {
	local ct=$1 m size run
	for m in $MEMBERS; do
		CUR_MEMBERS=$m
		in_ns "$NS_SND" $TOOL genl server clear
		in_ns "$NS_SND" $TOOL genl server add "$GROUP" "$(members "$m" | paste -sd,)"
		for size in $SIZES; do
			for run in $(seq "$RUNS"); do
				# the order rotates, so no method always runs first
				case $((run % 3)) in
					1) each proxy "$ct" "$m" "$size" "$run"; each app "$ct" "$m" "$size" "$run"; each relay "$ct" "$m" "$size" "$run" ;;
					2) each app "$ct" "$m" "$size" "$run"; each relay "$ct" "$m" "$size" "$run"; each proxy "$ct" "$m" "$size" "$run" ;;
					0) each relay "$ct" "$m" "$size" "$run"; each proxy "$ct" "$m" "$size" "$run"; each app "$ct" "$m" "$size" "$run" ;;
				esac
				[ "$m" = 1 ] && each socat "$ct" 1 "$size" "$run"
			done
			info "ct=$ct members=$m size=$size done ($SECONDS s)"
		done
	done
	CUR_MEMBERS=16
	in_ns "$NS_SND" $TOOL genl server clear
	in_ns "$NS_SND" $TOOL genl server add "$GROUP" "$(members 16 | paste -sd,)"
}

# lookup: the same group of 16 members, alone (snd) or among 1024 (snd2)
lookup_cells() {
	local ct=$1 run
	for run in $(seq "$RUNS"); do
		run_proxy "$ct" 16 512 "$run" "$NS_SND" lookup groups1
		run_proxy "$ct" 16 512 "$run" "$NS_SND2" lookup groups1024
	done
}

# untouched traffic: a round in each state, the order rotating: loaded
# (our hooks registered where configured), unloaded, and unloaded with an
# empty nftables base chain at the same hook points (a hook of the
# kernel's own that does nothing: what any hook there costs)
untouched_round() { # CT RUN STATE
	local ct=$1 run=$2 state=$3 w out
	w=$(wire "$NS_SND")
	out=$(in_ns "$NS_SND" "$B/fanout" unicast 7100 "$N" 512 10.77.1.1)
	record untouched "$ct" 1 512 "server_unicast_$state" "$run" $(($(wire "$NS_SND") - w)) "$(echo "$out" | awk '{ print $2 }')" "$(echo "$out" | awk '{ print $1 }')"
	w=$(rx r2)
	out=$(in_ns "$NS_SND2" "$B/fanout" group 239.8.0.1 7100 "$N" 512)
	record untouched "$ct" 1 512 "server_unconfigured_group_$state" "$run" $(($(rx r2) - w)) "$(echo "$out" | awk '{ print $2 }')" "$(echo "$out" | awk '{ print $1 }')"
	rm -f "$W/sink.ready"
	ip netns exec "$NS_MEM" env READY="$W/sink.ready" "$B/fanout" sink 7100 "$N" > "$W/sink.out" &
	local pid=$!
	wait_for "$W/sink.ready"
	out=$(in_ns "$NS_SND" "$B/fanout" unicast 7100 "$N" 512 10.0.2.2)
	wait $pid
	record untouched "$ct" 1 512 "client_unicast_$state" "$run" "$(awk '{ print $1 }' "$W/sink.out")" "$(awk '{ print $2 }' "$W/sink.out")" "$(echo "$out" | awk '{ print $1 }')"
}
empty_chains() { # add|delete
	local ns hook
	for ns in "$NS_SND" "$NS_SND2" "$NS_MEM"; do
		hook=$([ "$ns" = "$NS_MEM" ] && echo prerouting || echo output)
		if [ "$1" = add ]; then
			in_ns "$ns" nft "add table ip benchref; add chain ip benchref c { type filter hook $hook priority -300; }"
		else
			in_ns "$ns" nft delete table ip benchref
		fi
	done
}
untouched_state() { # CT RUN STATE (the modules loaded before and after)
	case $3 in
		loaded) untouched_round "$@" ;;
		unloaded) unload_modules; untouched_round "$@"; load_modules; configure ;;
		empty_chain) unload_modules; empty_chains add; untouched_round "$@"; empty_chains delete; load_modules; configure ;;
	esac
}
untouched_cells() {
	local ct=$1 run
	for run in $(seq "$RUNS"); do
		case $((run % 3)) in
			1) untouched_state "$ct" "$run" loaded; untouched_state "$ct" "$run" unloaded; untouched_state "$ct" "$run" empty_chain ;;
			2) untouched_state "$ct" "$run" unloaded; untouched_state "$ct" "$run" empty_chain; untouched_state "$ct" "$run" loaded ;;
			0) untouched_state "$ct" "$run" empty_chain; untouched_state "$ct" "$run" loaded; untouched_state "$ct" "$run" unloaded ;;
		esac
	done
}

# conntrack_state CT: conntrack active in the sender and router exactly when wanted
conntrack_state() {
	local ct=$1 s r
	# a flow through the router (the fan-out's copies end at wire0, and
	# the multicast originals the router drops are never confirmed)
	in_ns "$NS_SND" ping -c 1 -W 2 10.0.2.2 > /dev/null
	s=$(in_ns "$NS_SND" cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo 0)
	r=$(in_ns "$NS_RTR" cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo 0)
	if [ "$ct" = 1 ]; then
		if [ "$s" -gt 0 ] && [ "$r" -gt 0 ]; then pass "conntrack on: $s connections tracked in the sender, $r in the router"
		else fail "conntrack on: sender $s, router $r connections tracked (want > 0)"; fi
	else
		if [ "$s" = 0 ] && [ "$r" = 0 ]; then pass "conntrack off: no connection tracked in the sender or the router"
		else fail "conntrack off: sender $s, router $r connections tracked (want 0)"; fi
	fi
}

# memory per group and per member: unreclaimable slab and per-CPU memory
# before and after 1024 groups of 1 member, then of 1024 members
unreclaimable() {
	sync; echo 3 > /proc/sys/vm/drop_caches; sleep 1
	awk '/^(SUnreclaim|Percpu):/ { s += $2 } END { print s * 1024 }' /proc/meminfo
}
memory_cells() {
	local ns=memb$SUFFIX base one big
	ip netns add "$ns"; NAMESPACES="$NAMESPACES $ns"
	in_ns "$ns" $TOOL genl server bulk 1 1; in_ns "$ns" $TOOL genl server clear   # warm-up
	base=$(unreclaimable)
	in_ns "$ns" $TOOL genl server bulk 1024 1
	one=$(unreclaimable)
	in_ns "$ns" $TOOL genl server clear; sleep 2
	in_ns "$ns" $TOOL genl server bulk 1024 1024
	big=$(unreclaimable)
	in_ns "$ns" $TOOL genl server clear
	record memory 0 1024 0 bytes_per_group 1 "$(awk -v a="$one" -v b="$base" 'BEGIN { printf "%.1f", (a - b) / 1024 }')" 0 0
	record memory 0 1024 0 bytes_per_member 1 "$(awk -v a="$big" -v b="$one" 'BEGIN { printf "%.2f", (a - b) / (1024 * 1023) }')" 0 0
	info "memory: SUnreclaim+Percpu $base bytes, with 1024 groups of 1 member $one, of 1024 members $big"
}

# set_tracer NAME: switches the ftrace tracer with the other vCPUs offline.
# The switch patches every function's entry (text_poke_bp), and under QEMU
# TCG a vCPU once went on running its stale translation of an entry after
# the patching had finished (its int3 no longer in memory): "Oops: int3"
# in tcp_orphan_update, a panic that failed make bench. With one vCPU
# online, the code is written and translated on the same thread. A switch
# or a vCPU that does not come back is a FAIL (the rest would run on one).
set_tracer() {
	local c others=() status
	for c in /sys/devices/system/cpu/cpu[1-9]*/online; do
		[ -e "$c" ] && [ "$(cat "$c")" = 1 ] && echo 0 > "$c" && others+=("$c")
	done
	echo "$1" > /sys/kernel/tracing/current_tracer
	status=$?
	[ "$status" = 0 ] || fail "the $1 tracer could not be switched on"
	for c in "${others[@]}"; do
		echo 1 > "$c" || { fail "${c%/online} did not come back online"; status=1; }
	done
	return "$status"
}

# trace_under ROOT TRACE CMD...: function_graph of everything under ROOT
# while CMD runs, into TRACE
trace_under() {
	local T=/sys/kernel/tracing root=$1 trace=$2
	shift 2
	echo 0 > $T/tracing_on
	echo 32768 > $T/buffer_size_kb
	echo "$root" > $T/set_graph_function
	set_tracer function_graph
	echo 1 > $T/options/funcgraph-tail
	echo 0 > $T/options/funcgraph-irqs 2>/dev/null
	echo > $T/trace
	echo 1 > $T/tracing_on
	"$@" > /dev/null
	echo 0 > $T/tracing_on
	cp $T/trace "$trace"
	set_tracer nop
	echo > $T/set_graph_function
	echo > $T/trace
	echo 1408 > $T/buffer_size_kb
}

# profile: function_graph of 640 copies to 16 members, 512 bytes, made by
# the proxy (under ip_send_skb: the UDP send holding the server's hook; 40
# datagrams) and by the application's sendmmsg (under __sys_sendmmsg; 40
# rounds of 16), so where a copy's time goes can be compared side by side.
# Then untouched traffic: 640 unicast datagrams from the sender (its groups
# configured, so the server's LOCAL_OUT hook is registered) under
# ip_send_skb, with the server module loaded and without it: what the hook
# adds to a datagram it does not touch. The client module is unloaded
# meanwhile (the sender has no entry: it has no hook there anyway).
profile() {
	[ -e /sys/kernel/tracing/set_graph_function ] || { info "no function_graph tracer: no profile"; return; }
	local report="python3 $REPO/tests/bench/report.py profile"
	rmmod rust_mcast_client
	trace_under ip_send_skb "$RESULTS/profile-trace.txt" \
		in_ns "$NS_SND" "$B/fanout" group "$GROUP" "$PORT" 40 512
	trace_under __sys_sendmmsg "$RESULTS/profile-app-trace.txt" \
		in_ns "$NS_SND" "$B/fanout" unicast "$PORT" 40 512 $(members 16)
	trace_under ip_send_skb "$RESULTS/profile-untouched-loaded.txt" \
		in_ns "$NS_SND" "$B/fanout" unicast 7100 640 512 10.77.1.1
	rmmod rust_mcast_server
	trace_under ip_send_skb "$RESULTS/profile-untouched-unloaded.txt" \
		in_ns "$NS_SND" "$B/fanout" unicast 7100 640 512 10.77.1.1
	load_modules && configure
	{
		echo "## the proxy: copies under ip_send_skb" && $report "$RESULTS/profile-trace.txt" ip_send_skb 640 &&
			echo "## the application: sendmmsg" && $report "$RESULTS/profile-app-trace.txt" __sys_sendmmsg 640 &&
			echo "## untouched unicast, server module loaded (its LOCAL_OUT hook registered)" &&
			$report "$RESULTS/profile-untouched-loaded.txt" ip_send_skb 640 &&
			echo "## untouched unicast, server module unloaded" &&
			$report "$RESULTS/profile-untouched-unloaded.txt" ip_send_skb 640
	} > "$RESULTS/profile.txt" && info "profile: $RESULTS/profile.txt"
}

for ct in 0 1; do
	bench_network "$ct" || { fail "the bench network (ct=$ct) cannot be built"; break; }
	CUR_MEMBERS=16
	part fanout && fanout_cells "$ct"
	part lookup && lookup_cells "$ct"
	part untouched && untouched_cells "$ct"
	conntrack_state "$ct"
	[ "$ct" = 1 ] && part profile && profile
	cleanup_network
done
part memory && memory_cells
cleanup_network
rm -rf "$W"

python3 "$REPO/tests/bench/report.py" results "$REC" "$RESULTS/results.json" "$RESULTS/profile.txt" ||
	fail "report.py could not make results.json"
case_done
