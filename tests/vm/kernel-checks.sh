# shellcheck shell=bash
# Sourced by guest-main.sh: the kernel's own checkers as test results.
# The whole kernel log is copied from /dev/kmsg to a file from the start of
# the run (the ring buffer is small and lockdep or KASAN reports are long);
# after each case the lines it added are searched for reports; at the end
# kmemleak scans for leaks.
#
# MCAST_VM_DEBUG_KERNEL=1 (set by run.sh from the kernel's .config) means the
# checkers of patch/kernel-debug.fragment must be running: their absence
# (e.g. kmemleak switched itself off) fails the run.

# What counts as a kernel report (extended regular expression).
KERNEL_REPORT_RE='WARNING:|BUG:|BUG [^ ]+ \(|\[[A-Za-z ]+ overwritten\]|[Kk]ernel BUG at|Oops: |Kernel panic|'\
'KFENCE:|UBSAN:|ODEBUG:|suspicious RCU usage|detected (expedited )?stall|blocked for more than|'\
'soft lockup|hard LOCKUP|trying to register non-static key|DEBUG_LOCKS_WARN_ON|list_(add|del) corruption|'\
'refcount_t:|ref_tracker:|unregister_netdevice: waiting|unreferenced object|'\
'kmemleak: .*(disabled|Cannot|unknown object|by alias|larger than object)|'\
'kernel-checks: some kernel messages were lost|bytes leftover after parsing attributes'
# Messages that match a report pattern but are the kernel's expected answer
# to hostile input: the netlink core's warning about trailing bytes, for the
# generic netlink fuzzer only (tests/vm/genl_fuzz.py names its process
# genl_fuzz). From any other process, our tools included, it stays a report.
KERNEL_EXPECTED_RE='bytes leftover after parsing attributes in process .genl_fuzz.'
# Taint flags a report sets whatever its text (kernel/panic.c): B bad page,
# D died, W warned, L soft lockup.
TAINT_REPORT_MASK=$(( (1 << 5) | (1 << 7) | (1 << 9) | (1 << 14) ))

KERNEL_LOG=""
KERNEL_LOG_SEEN=0      # lines of $KERNEL_LOG already searched
KERNEL_REPORTS=0       # reports found so far
KMEMLEAK=/sys/kernel/debug/kmemleak

# kernel_log_start FILE: copy every kernel message to FILE from now on
# (including what the ring buffer still holds from boot).
kernel_log_start() {
	KERNEL_LOG=$1
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	python3 -u -c '
import os, re, sys
fd = os.open("/dev/kmsg", os.O_RDONLY)
out = open(sys.argv[1], "w", buffering=1)
unescape = lambda m: chr(int(m.group(1), 16))
while True:
    try:
        rec = os.read(fd, 8192).decode("utf-8", "replace")
    except BrokenPipeError:   # the ring buffer overwrote records we had not read
        out.write("kernel-checks: some kernel messages were lost\n")
        continue
    # "level,seq,usec,flags;text\n" then " KEY=value" dictionary lines
    text = rec.partition(";")[2].split("\n", 1)[0]
    out.write(re.sub(r"\\x([0-9a-f]{2})", unescape, text) + "\n")
' "$KERNEL_LOG" &
	KERNEL_LOG_PID=$!
	# the copier opens the file once Python has started: seconds on the
	# debug kernel under TCG, more beside another guest
	for _ in $(seq 600); do [ -e "$KERNEL_LOG" ] && return 0; sleep 0.2; done
}

kernel_log_stop() { kill "$KERNEL_LOG_PID" 2>/dev/null; }

# kernel_log_sync: wait (bounded) until the copy holds everything logged so far
kernel_log_sync() {
	local tag="kernel-checks: sync $RANDOM$RANDOM"
	echo "$tag" > /dev/kmsg
	for _ in $(seq 100); do grep -qF "$tag" "$KERNEL_LOG" && return 0; sleep 0.1; done
	echo "FAIL: kernel: the kernel log copy stopped (no $tag)"; KERNEL_REPORTS=$((KERNEL_REPORTS + 1))
	return 1
}

# kernel_log_check LABEL: FAIL for any report logged since the last check,
# showing the report itself.
kernel_log_check() {
	kernel_log_sync
	local new first total
	total=$(wc -l < "$KERNEL_LOG")
	new=$(tail -n +"$((KERNEL_LOG_SEEN + 1))" "$KERNEL_LOG" | head -n "$((total - KERNEL_LOG_SEEN))")
	KERNEL_LOG_SEEN=$total
	kernel_state_check "$1"
	new=$(grep -vE "$KERNEL_EXPECTED_RE" <<<"$new")
	first=$(grep -m1 -nE "$KERNEL_REPORT_RE" <<<"$new") || return 0
	KERNEL_REPORTS=$((KERNEL_REPORTS + 1))
	echo "FAIL: kernel: report during $1: ${first#*:}"
	# from a few lines before the match: WARN() prints its text first
	local from=$(( ${first%%:*} > 5 ? ${first%%:*} - 5 : 1 ))
	tail -n +"$from" <<<"$new" | head -n 65 | sed 's/^/    | /'
	return 1
}

# kernel_state_check LABEL: a backstop independent of the log's wording:
# new report taint flags, or lockdep switched off by a report.
KERNEL_TAINT_SEEN=0
kernel_state_check() {
	local taint bits
	taint=$(cat /proc/sys/kernel/tainted)
	bits=$(( taint & TAINT_REPORT_MASK & ~KERNEL_TAINT_SEEN ))
	KERNEL_TAINT_SEEN=$(( KERNEL_TAINT_SEEN | (taint & TAINT_REPORT_MASK) ))
	if [ "$bits" != 0 ]; then
		echo "FAIL: kernel: $1 tainted the kernel (flags 0x$(printf %x "$bits"): bad page, died, warned or soft lockup)"
		KERNEL_REPORTS=$((KERNEL_REPORTS + 1))
	fi
	if [ "${MCAST_VM_DEBUG_KERNEL:-0}" = 1 ] && [ "${KERNEL_LOCKDEP_OFF:-0}" = 0 ] &&
		grep -q 'debug_locks: *0' /proc/lockdep_stats 2>/dev/null; then
		KERNEL_LOCKDEP_OFF=1
		echo "FAIL: kernel: lockdep switched itself off during $1 (a report disabled it)"
		KERNEL_REPORTS=$((KERNEL_REPORTS + 1))
	fi
}

# kmemleak_forget_boot: leaks suspected before the first case are not ours.
# A new object's checksum starts "changed", so the first scan of the boot
# reports nothing (mm/kmemleak.c update_checksum): two scans, then clear.
# Then the automatic scan thread stops (scan=off): kmemleak_check scans
# explicitly at the end, and a scan every 10 minutes of the guest's memory
# took a vCPU for about 13 s each from the cases.
kmemleak_forget_boot() {
	[ -e $KMEMLEAK ] || return 0
	local t0=$SECONDS
	echo scan > $KMEMLEAK && echo scan > $KMEMLEAK && echo clear > $KMEMLEAK && echo scan=off > $KMEMLEAK
	echo "# kmemleak: boot-time suspects forgotten ($((SECONDS - t0)) s)"
}

# kmemleak_check: two scans a few seconds apart (kmemleak reports an object
# only when it is older than 5 s and its checksum did not change since the
# previous scan), then FAIL for every unreferenced object. A disabled
# kmemleak refuses the scan (-EPERM) and keeps an empty file: a FAIL too.
kmemleak_check() {
	if [ ! -e $KMEMLEAK ]; then
		if [ "${MCAST_VM_DEBUG_KERNEL:-0}" = 1 ]; then
			echo "FAIL: kernel: kmemleak is not running on the debug kernel"
			KERNEL_REPORTS=$((KERNEL_REPORTS + 1))
		fi
		return 0
	fi
	local leaks t0=$SECONDS
	if ! { echo scan > $KMEMLEAK && sleep 6 && echo scan > $KMEMLEAK; } 2>/dev/null; then
		echo "FAIL: kernel: kmemleak refused to scan (it switched itself off)"
		KERNEL_REPORTS=$((KERNEL_REPORTS + 1))
		return 0
	fi
	leaks=$(cat $KMEMLEAK)
	echo "# kmemleak: two scans took $((SECONDS - t0)) s"
	if [ -n "$leaks" ]; then
		KERNEL_REPORTS=$((KERNEL_REPORTS + 1))
		echo "FAIL: kernel: kmemleak: $(grep -c 'unreferenced object' <<<"$leaks") unreferenced objects after unloading the modules"
		head -n 60 <<<"$leaks" | sed 's/^/    | /'
	else
		echo "PASS: kernel: kmemleak finds no leak after unloading the modules"
	fi
}

# kernel_checkers_check: on the debug kernel, the boot log proves each
# checker is on; prints which are.
kernel_checkers_check() {
	local name pattern on="" off=""
	while IFS='|' read -r name pattern; do
		if grep -qE "$pattern" "$KERNEL_LOG"; then on="$on $name"; else off="$off $name"; fi
	done <<-'EOF'
	KASAN|KernelAddressSanitizer initialized
	KFENCE|kfence: initialized
	lockdep|Lock dependency validator
	kmemleak|kmemleak: Kernel memory leak detector initialized
	EOF
	# SLUB_DEBUG_ON logs nothing: ask a cache whether it checks, poisons and
	# redzones (boot.sh leaves out only the owner tracking).
	if [ "$(cat /sys/kernel/slab/kmalloc-64/{sanity_checks,poison,red_zone} 2>/dev/null | xargs)" = "1 1 1" ]; then
		on="$on SLUB-debug"
	else
		off="$off SLUB-debug"
	fi
	if [ "${MCAST_VM_DEBUG_KERNEL:-0}" = 1 ] && [ -n "$off" ]; then
		echo "FAIL: kernel: checkers missing on the debug kernel:$off (on:$on)"
		KERNEL_REPORTS=$((KERNEL_REPORTS + 1))
	else
		echo "# kernel checkers on:${on:- none (lean kernel)}"
	fi
}

# kernel_log_verdict: the run's closing kernel line
kernel_log_verdict() {
	if [ "$KERNEL_REPORTS" = 0 ]; then
		echo "PASS: kernel: no kernel report in the whole run"
	fi
}
