# Issue 13, lifecycle under traffic: a stream keeps flowing from a sender to
# two members while the modules are unloaded and reloaded, while the
# configuration churns, and while namespaces with tables and a sending
# process are deleted. "Flowing" is shown at each event: the members'
# receivers must count new datagrams just before it and just after it.
. "$VMDIR/lib.sh"
. "$VMDIR/review-lib.sh"

GROUP=239.13.0.1 PORT=5013
# Rounds of each fault: few enough for the debug guest (a reload round
# costs about 25 s there, a namespace about 15 s); `make soak` repeats them
# for as long as it is given.
RELOADS=5 DELETED=8
W=/tmp/life.$SUFFIX
mkdir -p "$W"

# lines FILE: its number of lines (0 if absent), without a process
lines() { local l=(); [ -e "$1" ] && mapfile -t l < "$1"; echo "${#l[@]}"; }

# ---- unload and reload under traffic -----------------------------------------
reloads() {
	local round ok=0 bad="" t0=$SECONDS
	for round in $(seq $RELOADS); do
		if ! both_flowing; then bad="$bad round $round: not flowing before;"; continue; fi
		unload_modules && load_modules || { bad="$bad round $round: reload failed;"; continue; }
		restore_tables || { bad="$bad round $round: -R failed;"; continue; }
		if both_flowing; then ok=$((ok + 1)); else bad="$bad round $round: not flowing after;"; fi
	done
	info "$RELOADS unload/reload rounds under a stream, restored with -R: $ok delivered after the reload ($((SECONDS - t0)) s)"
	expect_eq "the stream flows before and after each of $RELOADS module reloads restored with -R (rounds ok)${bad:+: $bad}" \
		"$ok" $RELOADS
}

# ---- configuration churn during the stream -----------------------------------
# For 20 s or more (see churn): the sender adds and deletes other groups and
# a third member of the stream's group joins and quits; member 2 deletes and
# re-adds an entry of another port; queries run meanwhile and must parse.
churn_server() {
	local i=0 failed=0
	while [ ! -e "$W/stop" ]; do
		i=$((i + 1))
		multis_admin -A -m 239.13.1.$((i % 200 + 1)) -j 10.13.0.1,10.13.0.2 >/dev/null &&
			multis_admin -A -m $GROUP -j 10.13.0.9 >/dev/null &&
			multis_admin -A -m $GROUP -q 10.13.0.9 >/dev/null &&
			multis_admin -D -m 239.13.1.$((i % 200 + 1)) >/dev/null ||
			failed=$((failed + 1))
		echo >> "$W/rounds.server"
	done
	echo "$i $failed"
}
churn_client() {
	local i=0 failed=0
	while [ ! -e "$W/stop" ]; do
		i=$((i + 1))
		multic_admin -A -i 10.13.0.7 -p 6013 -m 239.13.2.1 >/dev/null &&
			multic_admin -D -i 10.13.0.7 -p 6013 >/dev/null ||
			failed=$((failed + 1))
		echo >> "$W/rounds.client"
	done
	echo "$i $failed"
}
# queries NS CMD...: runs the JSON query CMDs in turn until stopped; prints
# "queries unparsable"
queries() {
	local ns=$1 n=0 bad=0 q; shift
	while [ ! -e "$W/stop" ]; do
		for q; do
			n=$((n + 1))
			on "$ns" "$q --json" | python3 -c 'import json, sys; json.load(sys.stdin)' 2>/dev/null ||
				bad=$((bad + 1))
			echo >> "$W/rounds.queries"
		done
	done
	echo "$n $bad"
}
churn() {
	local s0 r1 r2 s1 q1 q2
	both_flowing || fail "churn: the stream is not flowing before it"
	local pids=""
	rm -f "$W/stop" "$W"/rounds.*
	on "$NS_SND" "W=$W GROUP=$GROUP; $(declare -f churn_server); churn_server" > "$W/churn.server" &
	pids="$pids $!"
	on "$(member_ns 2)" "W=$W; $(declare -f churn_client); churn_client" > "$W/churn.client" &
	pids="$pids $!"
	queries "$NS_SND" "multis_admin -S" "multis_admin -P" > "$W/queries.server" &
	pids="$pids $!"
	queries "$(member_ns 2)" "multic_admin -L" "multic_admin -P" > "$W/queries.client" &
	pids="$pids $!"
	read -r s0 r1 r2 < <(stream_progress)
	# 20 s at least, and long enough for a few rounds of each (a CLI start
	# takes seconds on the debug kernel under TCG), 180 s at most
	local t0=$SECONDS
	until { [ $((SECONDS - t0)) -ge 20 ] && [ "$(lines "$W/rounds.server")" -ge 3 ] &&
		[ "$(lines "$W/rounds.client")" -ge 3 ] && [ "$(lines "$W/rounds.queries")" -ge 4 ]; } ||
		[ $((SECONDS - t0)) -ge 180 ]; do
		sleep 1
	done
	touch "$W/stop"
	# shellcheck disable=SC2086
	wait $pids
	read -r s1 q1 q2 < <(stream_progress)
	local took=$((SECONDS - t0))
	both_flowing && pass "churn: the stream flows right after $took s of churn" ||
		fail "churn: the stream stopped flowing"
	local sn sf cn cf qn qb ql lb
	read -r sn sf < "$W/churn.server"; read -r cn cf < "$W/churn.client"
	read -r qn qb < "$W/queries.server"; read -r ql lb < "$W/queries.client"
	info "$took s of churn: $sn server rounds (4 changes each), $cn client rounds (2 each), $((qn + ql)) queries;" \
		"the sender sent $((s1 - s0)) datagrams meanwhile, members 1 and 2 received $((q1 - r1)) and $((q2 - r2))"
	expect_eq "churn: every change applied (failed server rounds, failed client rounds)" "$sf $cf" "0 0"
	expect_eq "churn: every concurrent -S/-P/-L query parses (unparsable)" "$((qb + lb))" 0
	[ "$sn" -ge 3 ] && [ "$cn" -ge 3 ] && [ "$((qn + ql))" -ge 4 ] ||
		fail "churn: too little ran to judge ($sn server rounds, $cn client rounds, $((qn + ql)) queries)"
	# Members that stay in keep every copy (up to the few in flight when the
	# counts were read).
	if [ $((s1 - s0)) -ge 50 ] && [ $((q1 - r1)) -ge $((s1 - s0 - 3)) ] && [ $((q2 - r2)) -ge $((s1 - s0 - 3)) ]; then
		pass "churn: both members received every datagram sent meanwhile ($((s1 - s0)))"
	else
		fail "churn: sent $((s1 - s0)) meanwhile, members received $((q1 - r1)) and $((q2 - r2))"
	fi
	expect_eq "churn: the sender's file and kernel end with the stream's group only" \
		"$(on "$NS_SND" "multis_admin -S" | grep -c '239\.13\.')" 1
}

# ---- namespaces deleted with tables and a sender inside ------------------------
# Each of $DELETED namespaces has both modules' tables and a process sending to
# its group, 10 datagrams a second (one Python process forks a sender into
# each: a Python start costs seconds on the debug kernel, and faster
# senders starve a debug guest; creating a namespace and loading a ruleset
# cost 5 to 20 s each there, hence one `ip` for all and no ruleset). Once every namespace shows copies,
# the namespaces are deleted (their names unmounted) while the senders send,
# and the senders stopped: each namespace is torn down with our hooks live
# on its packets.

deleted_namespaces() {
	local i f names="" busy ready slab0 slab1
	slab0=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
	for i in $(seq $DELETED); do names="$names del$i.$SUFFIX"; done
	# One `ip` for all: each namespace and its dummy device d0 (the sender
	# brings them up). No firewall in these: each would cost an nft start,
	# and they exist to be torn down; the stream's namespaces keep theirs.
	for i in $names; do printf 'netns add %s\nlink add d0 netns %s type dummy\n' "$i" "$i"; done |
		ip -batch - || fail "the $DELETED namespaces: setup"
	mkdir -p "$W/busy"
	# shellcheck disable=SC2086
	$TOOL busy --group 239.14.0.1 --port 5014 --members 10.14.0.2,10.14.0.3,10.14.0.4 \
		--client 10.14.0.9:5014 --address 10.14.0.1 --ready-dir "$W/busy" --netns $names &
	busy=$!
	for ((i = 0; i < 600; i++)); do
		ready=0
		for f in "$W"/busy/*; do [ -e "$f" ] && ready=$((ready + 1)); done
		[ "$ready" -ge $DELETED ] && break
		snooze 0.2
	done
	for i in $names; do ip netns del "$i"; done
	kill "$busy"; wait "$busy"
	expect_eq "$DELETED namespaces with tables and a sender copying inside (copies counted) are deleted while it sends" \
		"$ready" $DELETED
	both_flowing && pass "after the $DELETED deletions the stream still flows" || fail "the stream stopped after the namespace deletions"
	sleep 5
	slab1=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
	info "kernel slab memory before and after the $DELETED namespace deletions: $slab0 kB, $slab1 kB"
}

load_modules
make_network 2
check_conntrack
if stream_configure && stream_start; then
	both_flowing && pass "the stream flows to both members through the proxy" ||
		fail "the stream does not reach both members"
	reloads
	churn
	deleted_namespaces
	kill "$STREAM"; wait "$STREAM" 2>/dev/null
else
	fail "setup: configuration or stream"
fi
cleanup_network
rm -rf "$W"
case_done
