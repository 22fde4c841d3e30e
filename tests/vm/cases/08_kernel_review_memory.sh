# Issue 12, the kernel review (continued from 06_kernel_review, split for the
# per-case time limit on the debug kernel): consistent dumps and the memory
# cgroup charge of requests. Measurements are "info:" lines.
. "$VMDIR/lib.sh"

. "$VMDIR/review-lib.sh"

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

# ---- 3. memory charged to whoever asked --------------------------------------
# An unprivileged user (nobody) in a user namespace of its own (unshare
# -Urn) fills the server's tables. It starts in the guest's root cgroup;
# once it has set up (sockets, one warm-up group), root moves it into a
# memory cgroup with little room and exempts it from the OOM killer
# (oom_score_adj -1000): a charge that does not fit then fails the request
# with ENOMEM instead of killing the filler, so what the requests cost is
# what is checked. The filler is killed if it runs past a bound.
memcg_charge() {
	local cg=/sys/fs/cgroup/rmc$SUFFIX tmp=/tmp/fill.$SUFFIX out filler t0 room=$((4 << 20))
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup ||
		{ fail "memcg: cannot mount cgroup2"; return; }
	grep -qw memory /sys/fs/cgroup/cgroup.controllers || { fail "memcg: no memory controller"; return; }
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
	mkdir -p "$cg" "$tmp" && chmod 777 "$tmp"
	# The tool where nobody can read it.
	cp "$VMDIR/mcast_tool.py" "$VMDIR/mcast_proto.py" "$tmp/"
	setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn \
		python3 "$tmp/mcast_tool.py" fill --members 1024 --max-ns 4 --seconds 240 \
		--ready "$tmp/ready" --go "$tmp/go" > "$tmp/out" 2>&1 &
	filler=$!
	if wait_ready "$tmp/ready" "the unprivileged filler"; then
		echo "$filler" > "$cg/cgroup.procs" && echo -1000 > "/proc/$filler/oom_score_adj" &&
			echo $((room + $(cat "$cg/memory.current"))) > "$cg/memory.max" ||
			fail "memcg: cannot move the filler into $cg"
		touch "$tmp/go"
	fi
	t0=$SECONDS
	while kill -0 "$filler" 2>/dev/null && ((SECONDS - t0 < 400)); do sleep 1; done
	kill -KILL "$filler" 2>/dev/null && fail "memcg: the filler was still running after 400 s: killed"
	wait "$filler"
	out=$(cat "$tmp/out")
	info "unprivileged fill in a cgroup with $((room >> 20)) MiB of room: $out ($((SECONDS - t0)) s;" \
		"memory.events: $(tr '\n' ' ' < "$cg/memory.events"))"
	expect_eq "an unprivileged user namespace filling the tables gets ENOMEM" \
		"$(echo "$out" | json "['error']['errno']" 2>/dev/null)" 12
	case $(echo "$out" | json "['error']['text']" 2>/dev/null) in
		*memory*cgroup*) pass "the ENOMEM comes with a text that names the memory cgroup" ;;
		*) fail "ENOMEM text: $out" ;;
	esac
	local charged groups
	charged=$(echo "$out" | json "['charged']" 2>/dev/null)
	groups=$(echo "$out" | json "['groups']" 2>/dev/null)
	# 1024 members of 4 bytes per group: the tables of the groups added,
	# give or take the charges the cgroup batches ahead (up to 64 pages per
	# CPU were charged before the first request): 3/4 of 4 KiB a group at
	# least (measured: 4 KiB a group on the lean kernel, 11 on the debug one).
	if [ -n "$charged" ] && [ -n "$groups" ] && [ "$groups" -gt 0 ] &&
		[ "$charged" -ge $((3072 * groups)) ] && [ "$charged" -ge $((room / 2)) ]; then
		pass "the cgroup's memory.current shows the tables ($((charged >> 10)) KiB for $groups groups)"
	else
		fail "memory.current grew by ${charged:-?} bytes: $out"
	fi
	rmdir "$cg" 2>/dev/null
}

load_modules
consistent_dumps
memcg_charge

case_done
