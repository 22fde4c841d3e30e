# Sourced after lib.sh by the issue-12 kernel review cases (06_kernel_review,
# 07_kernel_review_datapath, 08_kernel_review_memory), by 10_lifecycle and by
# the soak (tests/vm/soak.sh): their shared measuring helpers, and the
# stream through the proxy the last two keep flowing while they reload,
# churn and delete namespaces.

info() { echo "info: $CASE: $*"; stamp "info: $*"; }
# usec: the time now in microseconds (no process start)
usec() { echo "${EPOCHREALTIME/./}"; }
# gone IFACE: wait (bounded, 120 s) until a network device has disappeared
gone() { local i; for ((i = 0; i < 6000; i++)); do [ -e "/sys/class/net/$1" ] || return 0; snooze 0.02; done; return 1; }
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
# module_calls FUNCTIONS MODULE COMMAND...: the calls of MODULE's C
# functions FUNCTIONS (one name, or several separated by spaces: their calls
# summed; Rust functions carry no ftrace entry; names of at most 30
# characters, as trace_stat prints them) while COMMAND runs, all CPUs,
# counted by the function profiler ("no profiler" without it). A module
# that is not loaded would leave a cached filter that counts nothing.
module_calls() {
	local functions=$1 module=$2 f filter=""
	shift 2
	[ -n "$module" ] && [ -d "/sys/module/$module" ] || { echo "module $module not loaded"; return; }
	for f in $functions; do filter="$filter $f:mod:$module"; done
	[ -e $TRACING/set_ftrace_filter ] || mount -t tracefs none $TRACING 2>/dev/null
	echo "$filter" > $TRACING/set_ftrace_filter &&
		echo 1 > $TRACING/function_profile_enabled || { echo "no profiler"; return; }
	"$@" >/dev/null
	echo 0 > $TRACING/function_profile_enabled
	echo > $TRACING/set_ftrace_filter
	cat $TRACING/trace_stat/function* | awk -v fs="$functions" \
		'BEGIN { split(fs, l, " "); for (i in l) want[l[i]] = 1 } $1 in want { n += $2 } END { print n + 0 }'
}
# sync_rcu_calls: synchronize_rcu calls since profile_on, all CPUs
sync_rcu_calls() {
	cat $TRACING/trace_stat/function* 2>/dev/null | awk '$1 == "synchronize_rcu" { n += $2 } END { print n + 0 }'
}
# fields NAME...: the named fields of the JSON object on stdin, on one line
# (one Python start for all of them)
fields() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(*(d[k] for k in sys.argv[1:]))' "$@"; }

# ---- a stream through the proxy ---------------------------------------------
# From the sender of make_network to its members 1 and 2, to GROUP:PORT,
# configured with the real CLIs (each host's own configuration file, which
# -R restores after a reload). Needs GROUP, PORT and the work folder W.

stream_configure() {
	on "$NS_SND" "multis_admin -A -m $GROUP -j $(members_csv 2)" >/dev/null &&
		on "$(member_ns 1)" "multic_admin -A -i $SENDER_IP -p $PORT -m $GROUP" >/dev/null &&
		on "$(member_ns 2)" "multic_admin -A -i $SENDER_IP -p $PORT -m $GROUP" >/dev/null
}

# stream_start [SECONDS]: the members' receivers (listening SECONDS, default
# 1500), then the sender, 50 datagrams a second; $STREAM is the sender's pid
# (nsenter execs it: a signal reaches it).
# Progress files in $W: progress.sent, progress.1, progress.2.
stream_start() {
	local k
	for k in 1 2; do
		in_ns "$(member_ns "$k")" $TOOL recv --group $GROUP --port $PORT --join "$(member_ip "$k")" \
			--count 1000000 --timeout "${1:-1500}" --ready "$W/ready.$k" --progress "$W/progress.$k" \
			> "$W/recv.$k" 2>&1 &
	done
	wait_ready "$W/ready.1" "member 1's receiver" && wait_ready "$W/ready.2" "member 2's receiver" || return 1
	in_ns "$NS_SND" $TOOL send --group $GROUP --port $PORT --count 1000000 --interval 0.02 \
		--progress "$W/progress.sent" &
	STREAM=$!
}

# flowing M: member M's receiver counts new datagrams within 20 s
flowing() {
	local before now i
	before=0 now=0
	read -r before < "$W/progress.$1"
	for ((i = 0; i < 100; i++)); do
		snooze 0.2
		read -r now < "$W/progress.$1"
		[ "$now" -gt "$before" ] && return 0
	done
	return 1
}
both_flowing() { flowing 1 && flowing 2; }

# stream_progress: "SENT RECEIVED_1 RECEIVED_2" of the stream so far, read
# within a millisecond (builtins only: a process start here takes up to seconds)
stream_progress() {
	local sent r1 r2
	read -r sent < "$W/progress.sent"; read -r r1 < "$W/progress.1"; read -r r2 < "$W/progress.2"
	echo "$sent $r1 $r2"
}

# restore_tables: after the modules are loaded again, each host's tables
# from its configuration file (-R), as `service multi? start` does
restore_tables() {
	on "$NS_SND" "multis_admin -R" >/dev/null && on "$(member_ns 1)" "multic_admin -R" >/dev/null &&
		on "$(member_ns 2)" "multic_admin -R" >/dev/null
}

# tool_report TOOL: a test tool's lines (stdin) as PASS/FAIL/info lines:
# "ok<TAB>WHAT", "bad<TAB>WHAT<TAB>WHY", "info<TAB>TEXT", and last
# "done<TAB>CHECKS". A tool that never says done (it died early) or passed
# fewer checks than it made fails.
tool_report() {
	local kind what why n=0 total=missing
	while IFS=$'\t' read -r kind what why; do
		case $kind in
			ok) pass "$what"; n=$((n + 1)) ;;
			bad) fail "$what: $why" ;;
			info) info "$what" ;;
			done) total=$what ;;
			*) fail "$1 said: $kind $what $why" ;;
		esac
	done
	expect_eq "$1: every check ran and passed (passed, checks)" "$n $total" "$total $total"
}
