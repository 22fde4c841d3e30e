# Sourced by the issue-12 kernel review cases (06_kernel_review,
# 07_kernel_review_datapath, 08_kernel_review_memory) after lib.sh: their
# shared measuring helpers.

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
