# Issue 13, hostile control input: a generic netlink fuzzer against both
# families (tests/vm/genl_fuzz.py: thousands of requests per family in one
# process, deterministic from MCAST_FUZZ_SEED), as root in a scratch
# namespace and as an unprivileged user in a configured one, whose tables
# and counters must not change; then hostile configuration files given to
# the real CLIs, which must each fail naming the file and change neither the
# module nor the file. Figures are "info:" lines; the fuzzer's whole reports
# are fuzz-root.json and fuzz-nobody.json in the results directory.
. "$VMDIR/lib.sh"

info() { echo "info: $CASE: $*"; stamp "info: $*"; }

SEED=${MCAST_FUZZ_SEED:-13}
# The configuration-file checks run in a second run of this script inside
# the configured namespace (one `ip netns exec` for some 80 CLI commands:
# process starts are what costs time under TCG); it sets HOSTILE_DIR.
if [ -n "${HOSTILE_DIR:-}" ]; then
	T=$HOSTILE_DIR
else
	T=/tmp/hostile.$SUFFIX
	mkdir -p "$T" && chmod 755 "$T"
	trap 'cleanup_network; rm -rf "$T"' EXIT
	# The fuzzer and the modules it imports where nobody can read them.
	cp "$VMDIR/genl_fuzz.py" "$VMDIR/mcast_tool.py" "$VMDIR/mcast_proto.py" "$T/"
	chmod 644 "$T"/*.py
fi
FUZZ="python3 $T/genl_fuzz.py"
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

# fuzz_checks LABEL FILE: the checks on a fuzzer's summary (genl_fuzz.py's
# stdout): per family, every request answered properly (no violation); the
# figures as info lines.
fuzz_checks() {
	local label=$1 out=$2 side line
	grep '^category ' "$out" | while read -r line; do info "$label: ${line#category }"; done
	grep '^violation ' "$out" | head -20 | while read -r line; do info "$label: $line"; done
	for side in server client; do
		line=$(grep "^family $side: " "$out")
		if [ -z "$line" ]; then
			fail "$label, $side family: no report from the fuzzer: $(tail -5 "$out" | tr '\n' ' ')"
			continue
		fi
		info "$label: $line"
		# family SIDE: requests N probes N seconds S violations N ...
		set -- $line
		case $line in
			*' violations 0 '*) pass "$label, $side family: $4 requests (and $6 probes) in $8 s, each answered within the timeout by a well-formed error, ack or dump end, the netlink core's own verdicts exact, and a probe answered after each it drops by design" ;;
			*) fail "$label, $side family: $line (see the violation lines: each gives its replay command)" ;;
		esac
	done
}

# ---- the fuzzer as root in a scratch namespace --------------------------------
fuzz_as_root() {
	local ns=fz$SUFFIX side line
	new_ns "$ns" || return
	in_ns "$ns" $FUZZ both --seed "$SEED" --json "$RESULTS/fuzz-root.json" > "$T/root.out" 2>&1
	fuzz_checks "fuzzer as root" "$T/root.out"
	for side in server client; do
		line=$(grep "^family $side: " "$T/root.out")
		case $line in
			*'works_after true'*) pass "fuzzer as root, $side family: a valid change and dump work after it" ;;
			*) fail "fuzzer as root, $side family: valid requests after the fuzzing: ${line:-no report}" ;;
		esac
	done
	cleanup_network
}

# ---- a configured namespace ------------------------------------------------
# Two groups (one with 300 members) and three
# client entries, made with the CLIs; no traffic runs, so no counter may move.
CFG_NS=cf$SUFFIX
G1=239.1.1.1 G2=239.1.1.2
export MULTIS_CONFIG=$T/multi_server.json MULTIC_CONFIG=$T/multi_client.json
configure() {
	local members
	new_ns "$CFG_NS" || return 1
	members=$(seq -s, -f '10.13.1.%g' 1 250),$(seq -s, -f '10.13.2.%g' 1 50)
	in_ns "$CFG_NS" sh -ec "multis_admin -A -m $G1 -j 10.0.2.2,10.0.3.2,10.0.4.2
		multis_admin -A -m $G2 -j $members
		multic_admin -A -i 10.0.1.2 -p 5000 -m $G1
		multic_admin -A -i 10.0.1.2 -p 0 -m $G2
		multic_admin -A -i 10.0.1.3 -p 0 -m 224.0.0.18 --allow-link-local"
}

# cfg CMD...: CMD in the configured namespace (where the second run is)
cfg() { if [ -n "${HOSTILE_DIR:-}" ]; then "$@"; else in_ns "$CFG_NS" "$@"; fi; }

# tables: everything the CLIs show of the namespace's tables and counters
tables() {
	cfg sh -c "multis_admin -S --json; multis_admin -P --json;
		multis_admin -L -m $G1 --json; multis_admin -L -m $G2 --json; multis_admin -P -m $G2 --json;
		multic_admin -L --json; multic_admin -P --json; multic_admin -P -i 10.0.1.2 -p 5000 --json" 2>&1
}

# ---- the fuzzer as an unprivileged user in the configured namespace ---------
fuzz_unprivileged() {
	local before after side line
	before=$(tables)
	mkdir -p "$T/nobody" && chown 65534:65534 "$T/nobody"
	in_ns "$CFG_NS" $NOBODY $FUZZ both --unprivileged --seed "$SEED" --json "$T/nobody/report.json" \
		> "$T/nobody.out" 2> "$T/nobody.err"
	cp "$T/nobody/report.json" "$RESULTS/fuzz-nobody.json"
	[ -s "$T/nobody.err" ] && info "unprivileged fuzzer stderr: $(head -5 "$T/nobody.err" | tr '\n' ' ')"
	fuzz_checks "fuzzer as nobody" "$T/nobody.out"
	after=$(tables)
	for side in server client; do
		line=$(grep "^family $side: " "$T/nobody.out")
		case $line in
			*'state_unchanged true'*) pass "fuzzer as nobody, $side family: its raw dumps (tables, counters) byte-identical before and after (${line##*state_lines } lines)" ;;
			*) fail "fuzzer as nobody, $side family: the raw dumps changed: ${line:-no report} (fuzz-nobody.json)" ;;
		esac
	done
	if [ -n "$before" ] && [ "$before" = "$after" ]; then
		pass "fuzzer as nobody: multis_admin -S/-L/-P and multic_admin -L/-P print the same before and after (${#before} characters)"
	else
		fail "fuzzer as nobody: the CLIs' view changed: $(diff <(echo "$before") <(echo "$after") | head -5 | tr '\n' ' ')"
	fi
}

# ---- hostile configuration files -------------------------------------------
# make_files DIR: the files, from one seeded Python process; prints
# "SIDE NAME WHAT" per file.
make_files() {
	python3 - "$1" "$SEED" <<'EOF'
import json, os, random, sys
d, rng = sys.argv[1], random.Random(int(sys.argv[2]))
def ip(first, i):
    return "%d.%d.%d.%d" % (first, (i >> 16) & 255, (i >> 8) & 255, (i & 255) or 1)
def put(side, name, what, data):
    path = os.path.join(d, f"{side}-{name}")
    if data is None:
        os.mkdir(path)
    else:
        with open(path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
    print(side, path, what.replace(" ", "_"))
good = {"server": json.dumps({"multi_group_array": [{"group_ip": "239.5.5.%d" % i, "member_array": ["10.5.5.%d" % k for k in range(1, 9)]} for i in range(1, 9)]}),
        "client": json.dumps({"multi_server_info_array": [{"server_ip": "10.5.5.%d" % i, "group_ip": "239.5.5.%d" % i, "client_port": 5000 + i} for i in range(1, 17)]})}
for side in ("server", "client"):
    put(side, "random", "4 KiB of random bytes", rng.randbytes(4096))
    put(side, "truncated", "JSON cut in the middle", good[side][:len(good[side]) // 2])
    put(side, "deep", "arrays nested 100000 deep", "[" * 100000 + "]" * 100000)
    put(side, "dir", "a directory", None)
put("server", "types-group", "group_ip a number", '{"multi_group_array":[{"group_ip":4009820417,"member_array":[]}]}')
put("server", "types-members", "member_array a string", '{"multi_group_array":[{"group_ip":"239.1.1.9","member_array":"10.0.0.1"}]}')
# The big ones by string templates: json.dumps of 100000 objects is slow under TCG.
numbers = ",".join(map(str, range(150000)))
put("server", "types-huge-value", "group_ip a 1 MB array", '{"multi_group_array":[{"group_ip":[%s]}]}' % numbers)
groups = ",".join('{"group_ip":"%s","member_array":["10.0.0.1"]}' % ip(239, i) for i in range(100000))
put("server", "groups-100k", "100000 groups", '{"multi_group_array":[%s]}' % groups)
members = ",".join('"%s"' % ip(10, i) for i in range(100000))
put("server", "members-100k", "one group of 100000 members",
    '{"multi_group_array":[{"group_ip":"239.1.1.9","member_array":[%s]}]}' % members)
put("client", "types-port", "client_port true", '{"multi_server_info_array":[{"server_ip":"10.0.0.9","group_ip":"239.1.1.9","client_port":true}]}')
put("client", "types-array", "the array an object", '{"multi_server_info_array":{"server_ip":"10.0.0.9"}}')
entries = ",".join('{"server_ip":"%s","group_ip":"239.1.1.9","client_port":5000}' % ip(10, i) for i in range(100000))
put("client", "entries-100k", "100000 entries", '{"multi_server_info_array":[%s]}' % entries)
EOF
}

# The files' state: a checksum of each file, or "directory N" with its
# entry count; one line per path.
file_state() {
	local f regular=()
	for f in "$@"; do
		if [ -d "$f" ]; then echo "$f directory $(find "$f" -mindepth 1 | wc -l)"; else regular+=("$f"); fi
	done
	sha256sum "${regular[@]}"
}

# hostile_file SIDE PATH WHAT: every change command and --import with the
# file as the configuration (-A by the environment variable, the others by
# --config): each must exit non-zero with a message naming the file, and
# --import must not create its target. Kernel and file are checked by the
# caller, for all files at once.
hostile_file() {
	local side=$1 f=$2 what=${3//_/ } cli var rc out bad="" t0=$SECONDS fresh=$T/fresh-$RANDOM.json op
	local -a ops
	# -D loads the file as -C does, before any change: one file is enough.
	if [ "$side" = server ]; then
		cli=multis_admin var=MULTIS_CONFIG
		ops=("-A -m 239.9.9.9 -j 10.9.9.9" "-C" "-R")
		case $f in *-random) ops+=("-D -m $G1") ;; esac
	else
		cli=multic_admin var=MULTIC_CONFIG
		ops=("-A -i 10.9.9.9 -p 9 -m 239.9.9.9" "-C" "-R")
		case $f in *-random) ops+=("-D -i 10.0.1.2 -p 5000") ;; esac
	fi
	# A file of 100 000 entries takes seconds to read under TCG (more on the
	# debug kernel): -C and -R only; -A takes the path of -C, and --import's
	# limit check is a host unit test.
	local import=1
	case $f in *-100k) ops=("-C" "-R") import=0 ;; esac
	for op in "${ops[@]}"; do
		if [ "${op%% *}" = -A ]; then
			out=$(env "$var=$f" $cli $op 2>&1); rc=$?
		else
			out=$($cli --config "$f" $op 2>&1); rc=$?
		fi
		if [ "$rc" = 0 ] || [[ $out != *"$f: "* ]]; then
			bad="$bad; $op: exit $rc, '$(echo "$out" | head -2 | cut -c1-160 | tr '\n' ' ')'"
		fi
	done
	# --import reads the file as an old tool's; the module is not asked.
	if [ "$import" = 1 ]; then
		out=$($cli --config "$fresh" --import "$f" 2>&1); rc=$?
		if [ "$rc" = 0 ] || [ -e "$fresh" ] || [[ $out != *"$f: "* ]]; then
			bad="$bad; --import: exit $rc, '$(echo "$out" | head -2 | cut -c1-160 | tr '\n' ' ')'"
		fi
	fi
	info "$cli, $what: $(echo "$out" | head -1 | cut -c1-200) ($((SECONDS - t0)) s for $((${#ops[@]} + import)) commands)"
	local names=""
	for op in "${ops[@]}"; do names="$names${names:+, }${op%% *}"; done
	[ "$import" = 1 ] && names="$names, --import"
	case $names in -A*) names="$names (-A by $var, the others by --config)" ;; *) names="$names (by --config)" ;; esac
	if [ -z "$bad" ]; then
		pass "$cli with $what as its file: $names: each exits non-zero naming the file"
	else
		fail "$cli with $what as its file${bad}"
	fi
}

hostile_files() {
	local d=$T/files before after tb ta side f what files=() list
	mkdir -p "$d"
	list=$(make_files "$d") || { fail "hostile files: could not make them"; return; }
	while read -r side f what; do files+=("$f"); done <<< "$list"
	before=$(file_state "${files[@]}")
	tb=$(tables)
	while read -r side f what; do hostile_file "$side" "$f" "$what"; done <<< "$list"
	# A query reads the module only: a broken file does not stop it.
	expect_ok "multis_admin -S with random bytes as its file: a query works" \
		multis_admin --config "$d/server-random" -S
	expect_ok "multic_admin -L with random bytes as its file: a query works" \
		multic_admin --config "$d/client-random" -L
	after=$(file_state "${files[@]}")
	ta=$(tables)
	if [ "$before" = "$after" ]; then
		pass "hostile files: all ${#files[@]} unchanged after the CLIs ran on them (sha256, directories still empty)"
	else
		fail "hostile files changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -4 | tr '\n' ' ')"
	fi
	local strays="" name
	for name in "$d"/* "$d"/.[!.]*; do
		[ -e "$name" ] || continue
		case " ${files[*]} " in *" $name "*) continue ;; esac
		case $name in *.lock) continue ;; esac
		strays="$strays ${name##*/}"
	done
	expect_eq "hostile files: no file left beside them but the lock files" "$strays" ""
	if [ -n "$tb" ] && [ "$tb" = "$ta" ]; then
		pass "hostile files: the module's tables and counters are the same before and after (CLI -S/-L/-P)"
	else
		fail "hostile files: the module changed: $(diff <(echo "$tb") <(echo "$ta") | head -5 | tr '\n' ' ')"
	fi
}

if [ -n "${HOSTILE_DIR:-}" ]; then
	hostile_files
	exit 0
fi

load_modules
t0=$SECONDS
fuzz_as_root
info "fuzzer as root: $((SECONDS - t0)) s"
t0=$SECONDS
if configure; then
	fuzz_unprivileged
	info "fuzzer as nobody: $((SECONDS - t0)) s"
	t0=$SECONDS
	in_ns "$CFG_NS" env HOSTILE_DIR="$T" CASE_NS="$CFG_NS" bash "$0" ||
		fail "the configuration-file checks in $CFG_NS exited with status $?"
	info "hostile configuration files: $((SECONDS - t0)) s"
else
	fail "configuring the namespace with the CLIs"
fi

case_done
