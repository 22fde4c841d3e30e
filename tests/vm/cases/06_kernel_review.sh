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
# Grace periods are counted, not guessed from timings: the function
# profiler (CONFIG_FUNCTION_PROFILER) counts the calls of synchronize_rcu,
# kernel-wide, while it is on (profile_on, from the first scenario on).
TRACING=/sys/kernel/tracing
profile_on() {
	[ -e $TRACING/set_ftrace_filter ] || mount -t tracefs none $TRACING 2>/dev/null
	echo synchronize_rcu > $TRACING/set_ftrace_filter && echo 1 > $TRACING/function_profile_enabled
}
# sync_rcu_calls: synchronize_rcu calls since profile_on, all CPUs
sync_rcu_calls() {
	cat $TRACING/trace_stat/function* 2>/dev/null | awk '$1 == "synchronize_rcu" { n += $2 } END { print n + 0 }'
}
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
	local n=200 without with s0 s1 s2
	rmmod rust_mcast_client rust_mcast_server 2>/dev/null
	s0=$(sync_rcu_calls)
	without=$(teardown_ms $n)
	s1=$(sync_rcu_calls)
	load_modules || { fail "modules load again"; return; }
	with=$(teardown_ms $n)
	s2=$(sync_rcu_calls)
	info "deleting $n namespaces: ${without:-?} ms and $((s1 - s0)) synchronize_rcu calls without the modules," \
		"${with:-?} ms and $((s2 - s1)) calls with both loaded"
	if [ -z "$without" ] || [ -z "$with" ]; then
		fail "namespace teardown: the namespaces were not torn down within 120 s ($without/$with ms)"
	fi
	# Before: two synchronize_rcu per namespace (one per module's exit).
	if [ $((s2 - s1)) -le $((s1 - s0 + 20)) ]; then
		pass "deleting $n namespaces: no grace period per namespace per module ($((s2 - s1)) synchronize_rcu with the modules, $((s1 - s0)) without)"
	else
		fail "deleting $n namespaces: $((s2 - s1)) synchronize_rcu calls with the modules, $((s1 - s0)) without"
	fi
}

# ---- 2. no grace period per change under the genl mutex --------------------
changes_without_grace_periods() {
	local ns=cr$SUFFIX out adds joins queries idle busy stop=/tmp/churn-stop.$SUFFIX s0 s1 s2
	new_ns "$ns"
	s0=$(sync_rcu_calls)
	out=$(in_ns "$ns" $TOOL bench-changes --count 1024 2>&1)
	s1=$(sync_rcu_calls)
	adds=$(echo "$out" | json "['adds_s']" 2>/dev/null)
	joins=$(echo "$out" | json "['joins_s']" 2>/dev/null)
	queries=$(echo "$out" | json "['queries_s']" 2>/dev/null)
	info "1024 group adds: ${adds:-?} s; 1024 one-member joins (to a 1024-member group): ${joins:-?} s;" \
		"1024 stats queries: ${queries:-?} s"
	expect_eq "the 1024 joins made a 1024-member group" "$(echo "$out" | json "['members']" 2>/dev/null)" 1024
	# Before: one synchronize_rcu per change, under the genl mutex.
	if [ -n "$adds" ] && [ $((s1 - s0)) -le 20 ]; then
		pass "2049 changes (1024 adds, clear, 1024 joins) waited for no grace period ($((s1 - s0)) synchronize_rcu)"
	else
		fail "1024 adds and 1024 joins: $((s1 - s0)) synchronize_rcu calls ($out)"
	fi
	# Another family's request (an nlctrl lookup takes the genl mutex too)
	# while changes run back to back.
	idle=$($TOOL nlctrl-latency --count 100 2>&1)
	rm -f "$stop"
	in_ns "$ns" $TOOL churn --seconds 120 --stop "$stop" --ready "$stop.ready" > /tmp/churn.$SUFFIX 2>&1 &
	wait_ready "$stop.ready" "the change loop"
	s1=$(sync_rcu_calls)
	busy=$($TOOL nlctrl-latency --count 100 2>&1)
	s2=$(sync_rcu_calls)
	touch "$stop"; wait
	info "nlctrl family lookup latency, idle: $idle; while changes run: $busy" \
		"($(cat /tmp/churn.$SUFFIX), $((s2 - s1)) synchronize_rcu meanwhile)"
	# The lookup waits for the genl mutex, which a change held across a
	# grace period before: none is taken now.
	if [ -n "$busy" ] && [ $((s2 - s1)) -le 10 ]; then
		pass "nlctrl lookups while changes run back to back: no change holds the genl mutex across a grace period"
	else
		fail "nlctrl lookups while changes run: $busy, $((s2 - s1)) synchronize_rcu calls meanwhile"
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
profile_on || fail "function profiler (CONFIG_FUNCTION_PROFILER) for counting synchronize_rcu"
namespace_teardown
changes_without_grace_periods
consistent_dumps
memcg_charge

case_done
