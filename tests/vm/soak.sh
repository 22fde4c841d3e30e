#!/bin/bash
# make soak (issue 13, "Soak"): for SOAK_MINUTES (default 10), all at once:
#  - traffic: a stream from the sender to a group of 2 fixed members, through
#    both modules (stream_start in review-lib.sh);
#  - configuration churn with the real CLIs on other groups and entries;
#  - module reloads every RELOAD_EVERY s, restored with -R;
#  - namespace churn: namespaces with tables and a sending process, deleted
#    while it sends.
# Each module lifetime is accounted at its end: copies sent = matched
# datagrams x members - counted failures, and every copy reached a member's
# client module. At the end the kernel's unreclaimable memory must be back
# to its level before the soak, within MEMORY_MARGIN_KB. Kernel reports and
# leaks (kmemleak) are the harness's checks (guest-main.sh).
# Runs as a case of guest-main.sh: MCAST_VM_CASES=tests/vm/soak.sh.
. "$VMDIR/lib.sh"
. "$VMDIR/review-lib.sh"

MINUTES=${SOAK_MINUTES:-10}
[[ $MINUTES =~ ^[1-9][0-9]*$ ]] || { fail "SOAK_MINUTES must be a whole number of minutes, not '$MINUTES'"; exit 1; }
DURATION=$((MINUTES * 60))
# A reload every minute, at least 2 in a short soak.
RELOAD_EVERY=$((DURATION / 3 < 60 ? DURATION / 3 : 60))
MEMBERS=2
GROUP=239.15.0.1 PORT=5015
# The margin for unreclaimable kernel memory (slab + per-CPU) after the
# soak against before it: 4 MiB (a leak of 1 kB per copy, churn change or
# namespace would exceed it within minutes). On a KASAN kernel add its
# quarantine, which holds freed objects (as allocated slab) up to 1/32 of
# the RAM: there kmemleak is the precise leak check.
MEMORY_MARGIN_KB=4096
W=/tmp/soak.$SUFFIX
mkdir -p "$W"

# ---- the modules' tables: shared by churn, alone for a reload ------------------
# A churn round or a namespace's setup holds the tables shared (flock -s on
# fd 9), a reload alone: changes then never meet an unloaded module. A
# waiting reload holds the gate (fd 8), which keeps new rounds out. Each
# process opens fds 8 and 9 itself (open_locks): a lock belongs to an open file.
open_locks() { exec 8>>"$W/gate" 9>>"$W/lock"; }
tables_shared() { flock 8 && flock -s 9 && flock -u 8; }
tables_alone() { flock 8 && flock 9; }
tables_free() { flock -u 9; flock -u 8; }
LOCKS="W=$W; $(declare -f open_locks tables_shared tables_free); open_locks"

# ---- configuration churn (real CLIs, each host's own configuration file) -------
# churn_server: rounds of 4 changes to groups the stream does not use (add a
# group with 2 members, a third joins, one quits, delete it), until
# $W/stop; prints "ROUNDS FAILED". They get no traffic: the stream's
# counter identity holds.
churn_server() {
	local i=0 failed=0 g
	while [ ! -e "$W/stop" ]; do
		i=$((i + 1)) g=239.15.1.$((i % 200 + 1))
		tables_shared
		multis_admin -A -m "$g" -j 10.15.0.1,10.15.0.2 >/dev/null &&
			multis_admin -A -m "$g" -j 10.15.0.3 >/dev/null &&
			multis_admin -A -m "$g" -q 10.15.0.1 >/dev/null &&
			multis_admin -D -m "$g" >/dev/null || failed=$((failed + 1))
		tables_free
		sleep 0.5   # room for the stream and the rest on a 2-CPU guest
	done
	echo "$i $failed"
}
# churn_client: rounds of 2 changes, an extra entry (another sender, port
# 6000-6099) added and deleted; prints "ROUNDS FAILED"
churn_client() {
	local i=0 failed=0 p
	while [ ! -e "$W/stop" ]; do
		i=$((i + 1)) p=$((6000 + i % 100))
		tables_shared
		multic_admin -A -i 10.15.0.7 -p "$p" -m 239.15.2.1 >/dev/null &&
			multic_admin -D -i 10.15.0.7 -p "$p" >/dev/null || failed=$((failed + 1))
		tables_free
		sleep 0.5
	done
	echo "$i $failed"
}

# ---- namespace churn ----------------------------------------------------------------
# files_in DIR: how many files it holds (builtins only)
files_in() { local f=("$1"/*); [ -e "${f[0]}" ] && echo "${#f[@]}" || echo 0; }
# ns_churn: rounds until $W/stop: 3 new namespaces, each with a dummy device,
# a server group, a client entry and a process sending to the group
# (mcast_tool busy, as 10_lifecycle's deletions); once the server in each
# has counted copies, they are deleted while the senders send. Prints
# "ROUNDS CREATED READY DELETED".
ns_churn() {
	local round=0 created=0 ready=0 deleted=0 names n i busy
	open_locks
	while [ ! -e "$W/stop" ]; do
		round=$((round + 1)) names=""
		for i in 1 2 3; do names="$names churn$round-$i.$SUFFIX"; done
		for n in $names; do printf 'netns add %s\nlink add d0 netns %s type dummy\n' "$n" "$n"; done |
			ip -batch - && created=$((created + 3))
		rm -rf "$W/busy"; mkdir -p "$W/busy"
		tables_shared
		# shellcheck disable=SC2086
		$TOOL busy --group 239.16.0.1 --port 5016 --members 10.16.0.2,10.16.0.3 \
			--client 10.16.0.9:5016 --address 10.16.0.1 --ready-dir "$W/busy" --netns $names 8>&- 9>&- &
		busy=$!
		for i in $(seq 600); do [ "$(files_in "$W/busy")" -ge 3 ] && break; sleep 0.2; done
		tables_free
		ready=$((ready + $(files_in "$W/busy")))
		for n in $names; do ip netns del "$n" && deleted=$((deleted + 1)); done
		kill "$busy"; wait "$busy"
	done
	echo "$round $created $ready $deleted"
}

# ---- each module lifetime accounted ------------------------------------------------
# stream_pause / stream_resume: the sender stopped (SIGSTOP) and the copies in
# flight delivered, so that counters read now are the lifetime's last
stream_pause() {
	local i state=""
	kill -STOP "$STREAM"
	for i in $(seq 100); do
		read -r _ _ state _ < "/proc/$STREAM/stat"
		[ "$state" = T ] && break
		sleep 0.05
	done
	sleep 1
	[ "$state" = T ]
}
stream_resume() { kill -CONT "$STREAM"; }

LIVES=0 LIVES_BAD="" SUM_MATCHED=0 SUM_COPIES=0 SUM_FAILS=0 SUM_RX1=0 SUM_RX2=0
# account_lifetime: with the stream paused, the counters of the modules'
# lifetime now ending: the server's copies = matched x members - failures
# (route, alloc, xmit, to_local; nothing malformed), and each member's
# client module counted the copies sent to it as restored or, before its -R,
# as having no entry (or as a failure of its own).
account_lifetime() {
	local tx matched rf af xf tl mal rx1 ne1 fa1 fm1 rx2 ne2 fa2 fm2 fails arrived
	read -r tx matched rf af xf tl mal < <(on "$NS_SND" "multis_admin -P --json" |
		fields tx_packets matched route_fail alloc_fail xmit_fail to_local malformed)
	read -r rx1 ne1 fa1 fm1 < <(on "$(member_ns 1)" "multic_admin -P --json" |
		fields rx_packets no_entry alloc_fail malformed)
	read -r rx2 ne2 fa2 fm2 < <(on "$(member_ns 2)" "multic_admin -P --json" |
		fields rx_packets no_entry alloc_fail malformed)
	LIVES=$((LIVES + 1))
	fails=$((rf + af + xf + tl)) arrived=$((rx1 + ne1 + fa1 + fm1 + rx2 + ne2 + fa2 + fm2))
	info "lifetime $LIVES: matched $matched, copies $tx, failures $fails, malformed $mal;" \
		"member 1 restored $rx1 (no entry $ne1), member 2 restored $rx2 (no entry $ne2)"
	[ -n "$tx" ] && [ -n "$rx1" ] && [ -n "$rx2" ] || { LIVES_BAD="$LIVES_BAD lifetime $LIVES: counters unreadable;"; return; }
	[ "$tx" = $((matched * MEMBERS - fails)) ] && [ "$mal" = 0 ] ||
		LIVES_BAD="$LIVES_BAD lifetime $LIVES: copies $tx != $matched x $MEMBERS - $fails (malformed $mal);"
	[ "$arrived" = "$tx" ] ||
		LIVES_BAD="$LIVES_BAD lifetime $LIVES: the members' clients counted $arrived of $tx copies;"
	[ "$rx1" -le "$matched" ] && [ "$rx2" -le "$matched" ] ||
		LIVES_BAD="$LIVES_BAD lifetime $LIVES: a member restored more than the $matched datagrams matched;"
	SUM_MATCHED=$((SUM_MATCHED + matched)) SUM_COPIES=$((SUM_COPIES + tx)) SUM_FAILS=$((SUM_FAILS + fails))
	SUM_RX1=$((SUM_RX1 + rx1)) SUM_RX2=$((SUM_RX2 + rx2))
}

# ---- reloads -------------------------------------------------------------------------
# reload: the stream flows just before; it is paused while its lifetime is
# accounted and the modules unloaded (so the counters cover the whole
# lifetime), resumed, the modules loaded and restored with -R, and the
# stream must flow again.
ROUNDS=0 ROUNDS_OK=0 ROUNDS_BAD=""
reload() {
	local bad=""
	ROUNDS=$((ROUNDS + 1))
	tables_alone
	both_flowing || bad="not flowing before;"
	stream_pause || bad="$bad the sender did not stop;"
	account_lifetime
	unload_modules || bad="$bad unload failed;"
	stream_resume
	load_modules && restore_tables || bad="$bad load or -R failed;"
	tables_free
	both_flowing || bad="$bad not flowing after;"
	if [ -z "$bad" ]; then ROUNDS_OK=$((ROUNDS_OK + 1)); else ROUNDS_BAD="$ROUNDS_BAD round $ROUNDS: $bad"; fi
}

# ---- memory ---------------------------------------------------------------------------
# unreclaimable_kb: the kernel's unreclaimable slab plus per-CPU memory (kB),
# caches dropped first; "SLAB_KB" too, for the record
unreclaimable_kb() {
	sync; echo 3 > /proc/sys/vm/drop_caches
	awk '/^SUnreclaim:/ { u = $2 } /^Percpu:/ { p = $2 } /^Slab:/ { s = $2 } END { print u + p, s }' /proc/meminfo
}
# settled_kb: unreclaimable_kb once two readings 5 s apart differ by less
# than 1 MiB (2 minutes at most): namespaces are torn down by a workqueue,
# and their memory is freed after RCU grace periods
settled_kb() {
	local now slab prev=-1048576 i
	for i in $(seq 24); do
		read -r now slab < <(unreclaimable_kb)
		[ $((now - prev)) -lt 1024 ] && [ $((prev - now)) -lt 1024 ] && break
		prev=$now
		sleep 5
	done
	echo "$now $slab"
}

# ---- the soak ---------------------------------------------------------------------------
start_churn() {
	rm -f "$W/stop"
	on "$NS_SND" "$LOCKS; $(declare -f churn_server); churn_server" > "$W/churn.server" &
	CHURN="$!"
	on "$(member_ns 1)" "$LOCKS; $(declare -f churn_client); churn_client" > "$W/churn.client1" &
	CHURN="$CHURN $!"
	on "$(member_ns 2)" "$LOCKS; $(declare -f churn_client); churn_client" > "$W/churn.client2" &
	CHURN="$CHURN $!"
	ns_churn > "$W/churn.ns" &
	CHURN="$CHURN $!"
}
stop_churn() {
	touch "$W/stop"
	# shellcheck disable=SC2086
	wait $CHURN
}

soak() {
	local end=$((SECONDS + DURATION)) next=$((SECONDS + RELOAD_EVERY))
	open_locks
	start_churn
	while [ "$SECONDS" -lt "$end" ]; do
		if [ "$SECONDS" -ge "$next" ]; then next=$((SECONDS + RELOAD_EVERY)); reload; fi
		sleep 1
	done
	stop_churn
}

# report: the soak's figures and checks, with the stream paused for good
report() {
	local sent r1 r2 sr sf c1 c1f c2 c2f nr nc nready nd
	read -r sent r1 r2 < <(stream_progress)
	read -r sr sf < "$W/churn.server"; read -r c1 c1f < "$W/churn.client1"; read -r c2 c2f < "$W/churn.client2"
	read -r nr nc nready nd < "$W/churn.ns"
	info "$MINUTES min soak: $ROUNDS reload rounds (every $RELOAD_EVERY s), $((sr * 4 + (c1 + c2) * 2)) churn changes" \
		"($sr server rounds of 4, $((c1 + c2)) client rounds of 2), $nr namespace rounds: $nc created, $nready ready, $nd deleted"
	info "stream: $sent datagrams sent, received $r1 and $r2 by members 1 and 2" \
		"(lost while the modules were out: $((sent - r1)) and $((sent - r2)))"
	info "counters over $LIVES lifetimes: matched $SUM_MATCHED x $MEMBERS members - $SUM_FAILS failures" \
		"= $((SUM_MATCHED * MEMBERS - SUM_FAILS)), copies $SUM_COPIES; restored $SUM_RX1 and $SUM_RX2"
	expect_eq "the stream flows before and after each of $ROUNDS reloads restored with -R (rounds ok)${ROUNDS_BAD:+: $ROUNDS_BAD}" \
		"$ROUNDS_OK" "$ROUNDS"
	[ "$ROUNDS" -ge 2 ] || fail "too few reloads to judge: $ROUNDS"
	expect_eq "every module lifetime's counters are consistent (copies = matched x members - failures, every copy counted at a member)${LIVES_BAD:+: $LIVES_BAD}" \
		"$LIVES_BAD" ""
	# End to end: the stream sent every datagram matched; the members'
	# receivers got only what their client modules restored.
	[ "$sent" -ge "$SUM_MATCHED" ] && [ "$r1" -le "$SUM_RX1" ] && [ "$r2" -le "$SUM_RX2" ] && [ "$r1" -gt 0 ] && [ "$r2" -gt 0 ] &&
		pass "end to end: sent $sent >= matched $SUM_MATCHED; received $r1 <= restored $SUM_RX1, $r2 <= $SUM_RX2" ||
		fail "end to end: sent $sent, matched $SUM_MATCHED; received $r1 and $r2, restored $SUM_RX1 and $SUM_RX2"
	expect_eq "configuration churn: every change applied (failed server, client 1, client 2 rounds)" "$sf $c1f $c2f" "0 0 0"
	[ "$sr" -ge 3 ] && [ "$c1" -ge 3 ] && [ "$c2" -ge 3 ] || fail "configuration churn: too little ran ($sr, $c1, $c2 rounds)"
	[ "$nc" -gt 0 ] && [ "$nc" = "$nready" ] && [ "$nc" = "$nd" ] &&
		pass "namespace churn: $nc namespaces created, each copying, deleted while sending" ||
		fail "namespace churn: $nc created, $nready copying, $nd deleted"
}

# memory_check BEFORE: unreclaimable memory back to BEFORE within the margin
memory_check() {
	local before=$1 before_slab=$2 after after_slab margin=$MEMORY_MARGIN_KB why="4 MiB"
	if grep -q KernelAddressSanitizer "$RESULTS/kernel.log" 2>/dev/null; then
		margin=$((margin + $(awk '/^MemTotal:/ { print int($2 / 32) }' /proc/meminfo)))
		why="4 MiB + KASAN's quarantine, 1/32 of the RAM"
	fi
	read -r after after_slab < <(settled_kb)
	info "unreclaimable kernel memory (SUnreclaim + Percpu) before $before kB, after $after kB" \
		"(difference $((after - before)) kB, margin $margin kB: $why); Slab $before_slab kB -> $after_slab kB"
	[ $((after - before)) -le "$margin" ] &&
		pass "memory back to its level before the soak: +$((after - before)) kB <= $margin kB" ||
		fail "memory not back to its level before the soak: +$((after - before)) kB > $margin kB"
}

lsmod | grep -q '^rust_mcast_' && unload_modules
read -r MEM0 SLAB0 < <(settled_kb)
load_modules || { fail "modules do not load"; exit 1; }
make_network 2
check_conntrack
# A standing group and entry no datagram uses, restored by each -R too.
if stream_configure && on "$NS_SND" "multis_admin -A -m 239.15.2.1 -j 10.15.0.5" >/dev/null &&
	on "$(member_ns 1)" "multic_admin -A -i 10.15.0.8 -p 0 -m 239.15.2.1" >/dev/null &&
	stream_start $((DURATION + 1200)); then
	both_flowing && pass "the stream flows to both members through the proxy" ||
		fail "the stream does not reach both members"
	soak
	stream_pause
	account_lifetime
	kill -KILL "$STREAM"; wait "$STREAM" 2>/dev/null
	report
else
	fail "setup: configuration or stream"
fi
cleanup_network
unload_modules || fail "the modules do not unload at the end of the soak"
rm -rf "$W"
memory_check "$MEM0" "$SLAB0"
case_done
