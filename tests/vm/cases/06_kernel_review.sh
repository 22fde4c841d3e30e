# Issue 12, the kernel review of kernel_glue/ and both modules against 6.12:
# one scenario per finding, each checking what the guest's kernel did, each
# failing with the modules as they were before the fix. Measurements are
# printed as "info:" lines (collected in docs/measurements-issue12.md).
. "$VMDIR/lib.sh"

. "$VMDIR/review-lib.sh"

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

load_modules
profile_on || fail "function profiler (CONFIG_FUNCTION_PROFILER) for counting synchronize_rcu"
namespace_teardown
changes_without_grace_periods

case_done
