# The admin tools against the real modules: every command of multis_admin
# and multic_admin, their exact old layouts and --json, every error path
# with its exit status, the configuration file's layout and its safety
# (refused changes, corrupt files, kill -9), restore after a module reload,
# a 1024-member group, and unprivileged use. All in one namespace of our own.
#
# The case runs in two steps: this script creates the namespace (with the
# stateful firewall of lib.sh, and checks that conntrack tracks there and in
# the initial namespace), runs itself again inside it (one `ip netns exec`
# for the whole case rather than one per command: process starts are what
# costs time under TCG) and removes it. The second run, not in the initial
# namespace, sets CASE_NS for lib.sh.
. "$VMDIR/lib.sh"

if [ -z "${CLI_NS:-}" ]; then
	load_modules
	D=/tmp/cli.$SUFFIX
	trap 'cleanup_network; rm -rf "$D"' EXIT
	new_ns cli$SUFFIX
	check_conntrack
	mkdir -p "$D/nobody"; chmod 755 "$D"; chown 65534:65534 "$D/nobody"
	in_ns "$NAMESPACES" env CLI_NS="$NAMESPACES" CASE_NS="$NAMESPACES" CLI_DIR="$D" bash "$0"
	exit
fi

# Inside the namespace from here on.
D=$CLI_DIR
export MULTIS_CONFIG=$D/s.json MULTIC_CONFIG=$D/c.json
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
# The interpreter itself: a version manager's shim costs a process or two per call.
PY=$(python3 -c 'import sys; print(sys.executable)')
python3() { "$PY" "$@"; }
TOOL="$PY $VMDIR/mcast_tool.py"

G=239.1.1.1 G2=239.1.1.2 G3=239.1.1.3 BIGG=239.9.9.9
M1=10.9.0.1 M2=10.9.0.2 M3=10.9.0.3 M4=10.9.0.4
SRV=10.0.1.2 SRV2=10.0.1.3

setup() {
	ip link set lo up
	# Copies to the members leave through a veth pair whose far end just
	# swallows them; the members' MAC addresses are fixed (no ARP).
	ip link add d0 type veth peer name d1
	ip addr add 10.9.0.254/24 dev d0
	ip link set d0 up
	ip link set d1 up
	ip route add 224.0.0.0/4 dev d0
	local k
	for k in 1 2 3 4 5; do ip neigh add 10.9.0.$k lladdr 02:00:00:00:00:0$k dev d0 nud permanent; done
}

S() { multis_admin "$@"; }
C() { multic_admin "$@"; }

# run CMD...: stdout in $D/out and OUT, stderr in ERR, exit status in RC
run() { "$@" >"$D/out" 2>"$D/err"; RC=$?; OUT=$(<"$D/out"); ERR=$(<"$D/err"); }

shown() { head -c 600 "$1" | od -An -c | tr -s ' ' | head -8 | tr '\n' '|'; }

# expect_out WHAT TEXT CMD...: status 0, nothing on stderr, stdout exactly TEXT
expect_out() {
	local what=$1 text=$2; shift 2
	run "$@"
	if [ "$RC" = 0 ] && [ -z "$ERR" ] && printf '%s' "$text" | cmp -s - "$D/out"; then
		pass "$what"
	else
		fail "$what: status $RC, stderr '$ERR', stdout: $(shown "$D/out")"
	fi
}

# expect_done WHAT CMD...: a change that succeeds silently
expect_done() { expect_out "$1" "" "${@:2}"; }

# expect_err WHAT STATUS MESSAGE CMD...: fails with STATUS, stderr exactly MESSAGE, no stdout
expect_err() {
	local what=$1 rc=$2 msg=$3; shift 3
	run "$@"
	if [ "$RC" = "$rc" ] && [ "$ERR" = "$msg" ] && [ -z "$OUT" ]; then
		pass "$what"
	else
		fail "$what: status $RC, stderr '$ERR', stdout '$(echo "$OUT" | head -3)'; want $rc, '$msg'"
	fi
}

# file_is WHAT FILE TEXT: the file holds exactly TEXT (no final newline added)
file_is() {
	if printf '%s' "$3" | cmp -s - "$2"; then pass "$1"; else fail "$1: file holds: $(shown "$2")"; fi
}

# unchanged WHAT FILE COPY: byte-identical to the copy (or both absent)
unchanged() {
	if [ ! -e "$2" ] && [ ! -e "$3" ]; then pass "$1"
	elif cmp -s "$2" "$3"; then pass "$1"
	else fail "$1: $2 changed: $(shown "$2")"; fi
}

# -S output with its groups sorted (the module lists them in hash order)
show_sorted() { S -S | { IFS= read -r head; printf '%s|' "$head"; sort | tr '\n' ' '; }; }

# group_json FILE: the configured groups as "group:members" words
groups_in() { python3 -c "import json,sys; print(' '.join(g['group_ip']+':'+str(len(g['member_array'])) for g in json.load(open(sys.argv[1]))['multi_group_array']))" "$1"; }

# ---------------------------------------------------------------------------

server_commands() {
	expect_out "-S with no group prints only the header" $'Multicast Group IP: \n' S -S
	[ -e "$MULTIS_CONFIG" ] && fail "a query created the configuration file" || pass "queries do not create the configuration file"
	expect_done "-A -m G -j creates a group with members" S -A -m $G -j $M1,$M2
	expect_out "-L -m G: the old layout" "Multicast IP:  $G"$'\n'"VM IP List: 2"$'\n'"    $M1"$'\n'"    $M2"$'\n' S -L -m $G
	expect_done "-A -m G -j adds members, a duplicate is dropped" S -A -m $G -j $M3,$M1,$M3
	expect_done "-A -m G -q removes members" S -A -m $G -q $M2
	expect_out "-L after join and quit: insertion order kept" "Multicast IP:  $G"$'\n'"VM IP List: 2"$'\n'"    $M1"$'\n'"    $M3"$'\n' S -L -m $G
	expect_done "-A -m G alone creates an empty group" S -A -m $G2
	expect_done "-A -m G alone on an existing group is a no-op" S -A -m $G2
	expect_out "-L of an empty group" "Multicast IP:  $G2"$'\n'"VM IP List: 0"$'\n' S -L -m $G2
	expect_eq "-S lists both groups under its header" "$(show_sorted)" "Multicast Group IP: |$G $G2 "
	run S -S
	expect_eq "-S ends with a newline and has one line per group" "$(wc -l <"$D/out")" 3
	file_is "the file after the changes has the old json-c layout" "$MULTIS_CONFIG" "{
  \"multi_group_array\":[
    {
      \"group_ip\":\"$G\",
      \"member_array\":[
        \"$M1\",
        \"$M3\"
      ]
    },
    {
      \"group_ip\":\"$G2\",
      \"member_array\":[
      ]
    }
  ]
}"

	# Traffic: 3 datagrams to G, 2 members, so 6 copies.
	$TOOL send --group $G --port 5000 --count 3 --size 100
	run S -P -m $G --json
	local tx bytes
	tx=$(echo "$OUT" | json "['tx_packets']"); bytes=$(echo "$OUT" | json "['tx_bytes']")
	expect_eq "-P -m G --json: copies counted, group and member count" \
		"$tx $bytes $(echo "$OUT" | json "['group_ip'],d['member_count']")" "6 $((6 * 128)) $G 2"
	expect_out "-P -m G: two lines, 31-column labels, blank line" \
		"$(printf '%-31s:  %s\n%-31s:  %s\n' 'tx packets' "$tx" 'tx bytes' "$bytes")"$'\n\n' S -P -m $G
	run S -P --json
	local values want
	values=$(echo "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin); print(*[d[k] for k in ('tx_packets','tx_bytes','unmatched','no_members','route_fail','alloc_fail','matched','max_groups','max_members')])")
	set -- $values
	expect_eq "-P --json: every counter and the limits" "$1 $2 $7 $8 $9" "6 768 3 1024 1024"
	want=$(printf '%-31s:  %s\n' 'tx packets' "$1" 'tx bytes' "$2" no_multi_grp_pkt_count "$3" \
		no_multi_member_pkt_drop_count "$4" route_fail_drop_count "$5" no_mem_drop_count "$6")
	expect_out "-P: six labelled lines in 31 columns and a blank line" "$want"$'\n\n' S -P
	run S -S --json
	expect_eq "-S --json: groups with member counts and traffic" \
		"$(echo "$OUT" | python3 -c "import json,sys; print(sorted((g['group_ip'],g['member_count'],g['tx_packets']) for g in json.load(sys.stdin)))")" \
		"[('$G', 2, 6), ('$G2', 0, 0)]"
	run S -L -m $G --json
	expect_eq "-L --json: the members" "$(echo "$OUT" | json "['group_ip'],d['member_count'],d['member_array']")" "$G 2 ['$M1', '$M3']"

	# Errors: each with its status and message, none touches kernel or file.
	cp "$MULTIS_CONFIG" "$D/before"
	expect_err "-L of an unknown group: 233" 233 "$G3: not a configured group" S -L -m $G3
	expect_err "-P -m of an unknown group: 233" 233 "$G3: not a configured group" S -P -m $G3
	expect_err "-D of an unknown group: 233" 233 "$G3: not a configured group" S -D -m $G3
	expect_err "-A -q on an unknown group: 233" 233 "$G3: not a configured group" S -A -m $G3 -q $M1
	expect_err "invalid group address: 255" 255 "10.0.0.300: not an IPv4 address" S -A -m 10.0.0.300
	expect_err "invalid member address: 255" 255 "10.0.0.300: not an IPv4 address" S -A -m $G -j $M4,10.0.0.300
	expect_err "empty item in a member list: 255" 255 "empty item in the address list '$M4,,$M2'" S -A -m $G -j $M4,,$M2
	expect_err "a unicast group: 235" 235 "10.0.0.1: a group must be a multicast address or 255.255.255.255" S -A -m 10.0.0.1
	expect_err "a multicast member: 235" 235 "239.1.1.9: a member must be a unicast host address" S -A -m $G -j $M4,239.1.1.9
	expect_err "repeated option: 255" 255 "the argument '--multiip <GROUP>' cannot be used multiple times" S -A -m $G -m $G2
	expect_err "two commands: 255" 255 "-A/--add and -L/--list cannot be combined: give one command" S -A -L -m $G
	expect_err "-L with -j: 255" 255 "-L/--list takes no -j/--join" S -L -m $G -j $M1
	expect_err "-L without -m: 255" 255 "-L/--list needs -m/--multiip GROUP" S -L
	expect_err "-C with -m: 255" 255 "-C/--clear takes no -m/--multiip" S -C -m $G
	expect_err "-S with -m: 255" 255 "-S/--show takes no -m/--multiip" S -S -m $G
	expect_err "-D with -q: 255" 255 "-D/--delete takes no -q/--quit" S -D -m $G -q $M1
	expect_err "-j and -q together: 255" 255 "-j/--join and -q/--quit cannot be combined" S -A -m $G -j $M4 -q $M1
	expect_err "--json with a change: 255" 255 "--json goes only with -P, -L or -S" S -A -m $G --json
	expect_err "no command: 255" 255 "no command given: use one of -A, -D, -C, -P, -L, -S, -R or --import (see --help)" S
	expect_err "unknown option: 255" 255 "unexpected argument '-X' found" S -X
	expect_err "stray word: 255" 255 "unexpected argument 'extra' found" S -S extra
	unchanged "no error touched the file" "$MULTIS_CONFIG" "$D/before"
	expect_out "no error touched the module" "Multicast IP:  $G"$'\n'"VM IP List: 2"$'\n'"    $M1"$'\n'"    $M3"$'\n' S -L -m $G
	run S -H
	expect_eq "-H prints the help, status 0" "$RC $(grep -c -- '--multiip' "$D/out")" "0 1"
	expect_out "long options may be abbreviated (--mult, --li)" "Multicast IP:  $G2"$'\n'"VM IP List: 0"$'\n' S --li --mult $G2

	expect_done "-D -m G deletes a group" S -D -m $G2
	expect_err "-D twice: 233" 233 "$G2: not a configured group" S -D -m $G2
	expect_eq "the file lost the group" "$(groups_in "$MULTIS_CONFIG")" "$G:2"
	expect_done "-C clears" S -C
	expect_out "-S after -C" $'Multicast Group IP: \n' S -S
	file_is "the file after -C: an empty array" "$MULTIS_CONFIG" $'{\n  "multi_group_array":[\n  ]\n}'
}

client_commands() {
	expect_out "-L with no entry" $'Not configure multicast server ip and port!\n' C -L
	expect_done "-A -i S -p P -m G adds an entry" C -A -i $SRV -p 5000 -m $G
	local block1="Configure Multicast Server 1:"$'\n'"Server IP:  $SRV"$'\n'"UDP Port:  5000"$'\n'"Multicast  IP:  $G"$'\n\n\n'
	expect_out "-L: the old four-line block and two blank lines" "$block1" C -L
	cp "$MULTIC_CONFIG" "$D/before"
	expect_err "the same entry again: 232" 232 "sender $SRV port 5000 already maps to $G" C -A -i $SRV -p 5000 -m $G
	unchanged "a refused duplicate leaves the file" "$MULTIC_CONFIG" "$D/before"
	expect_out "-A of the same server and port with another group updates, and says what it mapped to before" \
		"sender $SRV port 5000 mapped to $G before; now to $G2"$'\n' C -A -i $SRV -p 5000 -m $G2
	expect_out "-L shows the updated group" "${block1//$G/$G2}" C -L
	expect_err "a link-local group is refused without the flag: 235" 235 "224.0.0.18 is link-local: allow it for this entry with --allow-link-local" C -A -i $SRV2 -p 0 -m 224.0.0.18
	expect_done "accepted with --allow-link-local" C -A -i $SRV2 -p 0 -m 224.0.0.18 --allow-link-local
	run C -L
	local a="Configure Multicast Server 1:"$'\n'"Server IP:  $SRV"$'\n'"UDP Port:  5000"$'\n'"Multicast  IP:  $G2"$'\n\n\n'
	local b="Server IP:  $SRV2"$'\n'"UDP Port:  0"$'\n'"Multicast  IP:  224.0.0.18"$'\n\n\n'
	if printf '%s' "${a}Configure Multicast Server 2:"$'\n'"$b" | cmp -s - "$D/out" ||
		printf '%s' "Configure Multicast Server 1:"$'\n'"${b}${a/Server 1:/Server 2:}" | cmp -s - "$D/out"; then
		pass "-L: two numbered blocks"
	else
		fail "-L: two numbered blocks: $(shown "$D/out")"
	fi
	run C -L --json
	expect_eq "-L --json: entries with their flag" \
		"$(echo "$OUT" | python3 -c "import json,sys; print(sorted((e['server_ip'],e['client_port'],e['group_ip'],e['allow_link_local'],e['rx_packets']) for e in json.load(sys.stdin)))")" \
		"[('$SRV', 5000, '$G2', False, 0), ('$SRV2', 0, '224.0.0.18', True, 0)]"
	file_is "the file has the old json-c layout plus allow_link_local" "$MULTIC_CONFIG" "{
  \"multi_server_info_array\":[
    {
      \"server_ip\":\"$SRV\",
      \"group_ip\":\"$G2\",
      \"client_port\":5000
    },
    {
      \"server_ip\":\"$SRV2\",
      \"group_ip\":\"224.0.0.18\",
      \"client_port\":0,
      \"allow_link_local\":true
    }
  ]
}"
	expect_out "-P: rx packets and rx bytes in 12 columns, blank line" $'rx packets  :  0\nrx bytes    :  0\n\n' C -P
	expect_out "-P -i -p: the entry's counters" $'rx packets  :  0\nrx bytes    :  0\n\n' C -P -i $SRV -p 5000
	run C -P --json
	expect_eq "-P --json: counters and the limit" "$(echo "$OUT" | json "['rx_packets'],d['unmarked'],d['max_entries']")" "0 0 1024"
	run C -P -i $SRV2 -p 0 --json
	expect_eq "-P -i -p --json" "$(echo "$OUT" | json "['group_ip'],d['allow_link_local']")" "224.0.0.18 True"

	cp "$MULTIC_CONFIG" "$D/before"
	expect_err "-P of an unknown entry: 233" 233 "no entry for sender $SRV port 6000" C -P -i $SRV -p 6000
	expect_err "-D of an unknown entry: 233" 233 "no entry for sender $SRV port 6000" C -D -i $SRV -p 6000
	expect_err "invalid server address: 255" 255 "10.0.0.300: not an IPv4 address" C -A -i 10.0.0.300 -p 1 -m $G
	expect_err "invalid port: 255" 255 "65536: not a port (a decimal number from 0 to 65535)" C -A -i $SRV -p 65536 -m $G
	expect_err "a multicast server: 235" 235 "$G: a sender must be a unicast host address" C -A -i $G -p 1 -m $G
	expect_err "a unicast group: 235" 235 "10.0.0.1: a group must be a multicast address or 255.255.255.255" C -A -i $SRV -p 1 -m 10.0.0.1
	expect_err "repeated -p: 255" 255 "the argument '--port <PORT>' cannot be used multiple times" C -A -i $SRV -p 1 -p 2 -m $G
	expect_err "-A without -m: 255" 255 "-A/--add needs -i/--ip SERVER, -p/--port PORT and -m/--multiip GROUP" C -A -i $SRV -p 1
	expect_err "-D with -m: 255" 255 "-D/--delete takes no -m/--multiip" C -D -i $SRV -p 5000 -m $G
	expect_err "-P with -i only: 255" 255 "-P/--stats needs both -i/--ip and -p/--port, or neither" C -P -i $SRV
	expect_err "--allow-link-local with -L: 255" 255 "--allow-link-local goes only with -A or --import" C -L --allow-link-local
	expect_err "two commands: 255" 255 "-C/--clear and -L/--list cannot be combined: give one command" C -C -L
	expect_err "no command: 255" 255 "no command given: use one of -A, -D, -C, -P, -L, -R or --import (see --help)" C
	unchanged "no error touched the file" "$MULTIC_CONFIG" "$D/before"

	expect_done "-D -i S -p P deletes an entry" C -D -i $SRV2 -p 0
	expect_err "-D twice: 233" 233 "no entry for sender $SRV2 port 0" C -D -i $SRV2 -p 0
	expect_out "-L after -D" "${block1//$G/$G2}" C -L
	expect_done "-C clears" C -C
	expect_out "-L after -C" $'Not configure multicast server ip and port!\n' C -L
	file_is "the file after -C: an empty array" "$MULTIC_CONFIG" $'{\n  "multi_server_info_array":[\n  ]\n}'
}

unprivileged() {
	S -A -m $G -j $M1,$M2
	C -A -i $SRV -p 5000 -m $G
	cp "$MULTIS_CONFIG" "$D/before"; cp "$MULTIC_CONFIG" "$D/cbefore"
	local list="Multicast IP:  $G"$'\n'"VM IP List: 2"$'\n'"    $M1"$'\n'"    $M2"$'\n'
	expect_out "an unprivileged -L works" "$list" $NOBODY multis_admin -L -m $G
	expect_out "an unprivileged -S works" "Multicast Group IP: "$'\n'"$G"$'\n' $NOBODY multis_admin -S
	run $NOBODY multis_admin -P --json
	expect_eq "an unprivileged -P --json works" "$RC $(echo "$OUT" | json "['max_groups']")" "0 1024"
	run $NOBODY multis_admin -H
	expect_eq "an unprivileged -H works" "$RC $(grep -c -- '--multiip' "$D/out")" "0 1"
	# With a file it may write, the module itself refuses.
	cp "$MULTIS_CONFIG" "$D/nobody/s.json"; chown 65534 "$D/nobody/s.json"
	expect_err "an unprivileged change is refused by the module" 1 \
		"permission denied: changing the configuration needs CAP_NET_ADMIN" \
		$NOBODY multis_admin --config "$D/nobody/s.json" -A -m $G -j $M3
	unchanged "... and its file is untouched" "$D/nobody/s.json" "$D/before"
	expect_err "an unprivileged -C is refused" 1 \
		"permission denied: changing the configuration needs CAP_NET_ADMIN" \
		$NOBODY multis_admin --config "$D/nobody/s.json" -C
	expect_err "an unprivileged change of root's file is refused" 1 \
		"permission denied: changing the configuration needs CAP_NET_ADMIN and write access to $MULTIS_CONFIG" \
		$NOBODY multis_admin -D -m $G
	unchanged "root's file is untouched" "$MULTIS_CONFIG" "$D/before"
	expect_out "the module is untouched" "$list" S -L -m $G

	expect_out "an unprivileged multic_admin -L works" \
		"Configure Multicast Server 1:"$'\n'"Server IP:  $SRV"$'\n'"UDP Port:  5000"$'\n'"Multicast  IP:  $G"$'\n\n\n' \
		$NOBODY multic_admin -L
	expect_out "an unprivileged multic_admin -P works" $'rx packets  :  0\nrx bytes    :  0\n\n' $NOBODY multic_admin -P
	cp "$MULTIC_CONFIG" "$D/nobody/c.json"; chown 65534 "$D/nobody/c.json"
	expect_err "an unprivileged multic_admin change is refused by the module" 1 \
		"permission denied: changing the configuration needs CAP_NET_ADMIN" \
		$NOBODY multic_admin --config "$D/nobody/c.json" -D -i $SRV -p 5000
	unchanged "... and its file is untouched" "$D/nobody/c.json" "$D/cbefore"
	expect_err "an unprivileged multic_admin change of root's file is refused" 1 \
		"permission denied: changing the configuration needs CAP_NET_ADMIN and write access to $MULTIC_CONFIG" \
		$NOBODY multic_admin -A -i $SRV2 -p 1 -m $G
	unchanged "root's client file is untouched" "$MULTIC_CONFIG" "$D/cbefore"
	S -C; C -C
}

big_group() {
	local i big=() 
	for i in $(seq 0 1024); do big+=("10.100.$((i / 200)).$((i % 200 + 1))"); done
	local list1024 list1025
	list1024=$(IFS=,; echo "${big[*]:0:1024}"); list1025=$(IFS=,; echo "${big[*]}")
	expect_done "a 1024-member group added in one -A -j" S -A -m $BIGG -j "$list1024"
	expect_out "-L lists the 1024 members back, in order" \
		"Multicast IP:  $BIGG"$'\n'"VM IP List: 1024"$'\n'"$(printf '    %s\n' "${big[@]:0:1024}")"$'\n' S -L -m $BIGG
	run S -L -m $BIGG --json
	expect_eq "-L --json of 1024 members" "$(echo "$OUT" | json "['member_count'],len(d['member_array']),d['member_array'][1023]")" "1024 1024 ${big[1023]}"
	expect_eq "the file has the 1024 members" "$(groups_in "$MULTIS_CONFIG")" "$BIGG:1024"
	cp "$MULTIS_CONFIG" "$D/before"
	expect_err "a 1025th member is refused: 234" 234 "group $BIGG already has 1024 members" S -A -m $BIGG -j "${big[1024]}"
	expect_err "1025 members in one new group are refused: 234" 234 "group $G3: 0 + 1025 members would pass the limit 1024" S -A -m $G3 -j "$list1025"
	unchanged "refused limits leave the file" "$MULTIS_CONFIG" "$D/before"
	expect_eq "... and the module" "$(show_sorted)" "Multicast Group IP: |$BIGG "
	BIG1024=$list1024
}

reload_and_restore() {
	# State: the big group, a group with members, an empty group; two entries.
	S -A -m $G -j $M1,$M2,$M3; S -A -m $G2; S -A -m $G3 -j $M4
	C -A -i $SRV -p 5000 -m $G; C -A -i $SRV2 -p 0 -m 224.0.0.18 --allow-link-local
	local show list_big list_g clients
	show=$(show_sorted); list_big=$(S -L -m $BIGG); list_g=$(S -L -m $G)
	clients=$(C -L --json | python3 -c "import json,sys; print(sorted(json.load(sys.stdin), key=lambda e: e['server_ip']))")
	cp "$MULTIS_CONFIG" "$D/before"; cp "$MULTIC_CONFIG" "$D/cbefore"

	rmmod rust_mcast_server rust_mcast_client
	local nl_s="rust_mcast_server is not loaded: run \`service multis start\`"
	local nl_c="rust_mcast_client is not loaded: run \`service multic start\`"
	expect_err "module not loaded: -S" 1 "$nl_s" S -S
	expect_err "module not loaded: -P" 1 "$nl_s" S -P
	expect_err "module not loaded: -A" 1 "$nl_s" S -A -m $G -j $M4
	expect_err "module not loaded: -R" 1 "$nl_s" S -R
	expect_err "module not loaded: multic_admin -L" 1 "$nl_c" C -L
	expect_err "module not loaded: multic_admin -A" 1 "$nl_c" C -A -i $SRV -p 1 -m $G
	unchanged "changes without the module leave the server file" "$MULTIS_CONFIG" "$D/before"
	unchanged "changes without the module leave the client file" "$MULTIC_CONFIG" "$D/cbefore"
	expect_err "module not loaded: no file is created" 1 "$nl_s" S --config "$D/new.json" -A -m $G
	[ -e "$D/new.json" ] && fail "a refused change created a file" || pass "a refused change created no file"

	load_modules
	expect_out "after insmod the module is empty" $'Multicast Group IP: \n' S -S
	expect_done "-D of a group only the file has removes it from the file" S -D -m $G2
	expect_eq "... the file lost it" "$(groups_in "$MULTIS_CONFIG")" "$BIGG:1024 $G:3 $G3:1"
	expect_done "-R restores the server" S -R
	expect_eq "-S after -R as before (less the deleted group)" "$(show_sorted)" "${show/$G2 /}"
	expect_eq "-L of the 1024-member group after -R as before" "$(S -L -m $BIGG)" "$list_big"
	expect_eq "-L after -R as before" "$(S -L -m $G)" "$list_g"
	expect_done "-R again is harmless" S -R
	expect_eq "-S after a second -R" "$(show_sorted)" "${show/$G2 /}"
	expect_out "-L --json of the client after insmod is empty" $'[]\n' C -L --json
	expect_done "-R restores the client" C -R
	expect_eq "the client entries after -R as before, link-local flag included" \
		"$(C -L --json | python3 -c "import json,sys; print(sorted(json.load(sys.stdin), key=lambda e: e['server_ip']))")" "$clients"
	unchanged "-R leaves the client file" "$MULTIC_CONFIG" "$D/cbefore"
	S -C; C -C
}

kernel_refusals() {
	# Smaller limits; another file fills the module behind this file's back,
	# so the tool's own check passes and the module refuses.
	rmmod rust_mcast_server rust_mcast_client
	insmod "$MODDIR/rust_mcast_server.ko" max_groups=3 max_members=4
	insmod "$MODDIR/rust_mcast_client.ko" max_entries=1
	local other="--config $D/other.json" mine="--config $D/mine.json"
	run S -P --json
	expect_eq "module parameters show in -P --json" "$(echo "$OUT" | json "['max_groups'],d['max_members']")" "3 4"
	S $other -A -m 239.5.0.1; S $other -A -m 239.5.0.2 -j $M1,$M2,$M3; S $other -A -m 239.5.0.3
	S $mine -A -m 239.5.0.1 -j $M1
	cp "$D/mine.json" "$D/before"
	expect_err "the module refuses a 4th group: 234" 234 "already 3 groups, the limit (module parameter max_groups)" S $mine -A -m 239.5.0.4 -j $M1
	unchanged "a group the module refused leaves the file byte-identical" "$D/mine.json" "$D/before"
	expect_err "the module refuses a 5th member: 234" 234 "group 239.5.0.2: 3 + 2 members would pass the limit 4" S $mine -A -m 239.5.0.2 -j $M4,10.9.0.5
	unchanged "members the module refused leave the file byte-identical" "$D/mine.json" "$D/before"
	expect_err "the tool refuses past the member limit it read: 234" 234 "group 239.5.0.1: 1 + 4 members would pass the limit 4" S $mine -A -m 239.5.0.1 -j $M2,$M3,$M4,10.9.0.5
	unchanged "... file byte-identical" "$D/mine.json" "$D/before"
	expect_eq "the module kept its groups" "$(show_sorted)" "Multicast Group IP: |239.5.0.1 239.5.0.2 239.5.0.3 "
	printf '{\n  "multi_server_info_array":[\n  ]\n}' >"$D/mine-c.json"
	cp "$D/mine-c.json" "$D/cbefore"
	C --config "$D/other-c.json" -A -i $SRV -p 1 -m $G
	expect_err "the client module refuses a 2nd entry: 234" 234 "already 1 entries, the limit (module parameter max_entries)" C --config "$D/mine-c.json" -A -i $SRV2 -p 1 -m $G
	unchanged "an entry the module refused leaves the file byte-identical" "$D/mine-c.json" "$D/cbefore"
	run C -L
	expect_eq "... and is not in the module" "$(grep -c 'Server IP' "$D/out")" 1
	rmmod rust_mcast_server rust_mcast_client
	load_modules
}

corrupt_config() {
	S -A -m $G -j $M1
	printf '{"multi_group_array":[{"group_ip":"%s","member_array":["%s"' $G $M1 >"$D/bad.json"
	cp "$D/bad.json" "$D/before"
	run S --config "$D/bad.json" -A -m $G2 -j $M2
	expect_eq "a corrupt file: an error naming it, status 1" "$RC $(echo "$ERR" | grep -c "^$D/bad.json: ")" "1 1"
	run S --config "$D/bad.json" -R
	expect_eq "-R with a corrupt file: an error naming it" "$RC $(echo "$ERR" | grep -c "^$D/bad.json: ")" "1 1"
	run S --config "$D/bad.json" -C
	expect_eq "-C with a corrupt file: an error naming it" "$RC $(echo "$ERR" | grep -c "^$D/bad.json: ")" "1 1"
	unchanged "the corrupt file is left as it was" "$D/bad.json" "$D/before"
	expect_eq "the module is untouched" "$(show_sorted)" "Multicast Group IP: |$G "
	expect_out "queries do not read the file" "Multicast IP:  $G"$'\n'"VM IP List: 1"$'\n'"    $M1"$'\n' S --config "$D/bad.json" -L -m $G
	printf '{"multi_server_info_array":[{"server_ip":"%s","client_port":5000}]}' $SRV >"$D/badc.json"
	cp "$D/badc.json" "$D/before"
	run C --config "$D/badc.json" -A -i $SRV2 -p 1 -m $G
	expect_eq "a client file missing a key: an error naming it" "$RC $(echo "$ERR" | grep -c "^$D/badc.json: ")" "1 1"
	unchanged "the client file is left as it was" "$D/badc.json" "$D/before"
	expect_out "the client module is untouched" $'Not configure multicast server ip and port!\n' C -L
	S -C
}

killed_mid_change() {
	local conf=$D/kill.json i pid rc killed=0 done=0 op
	S --config "$conf" -A -m $G -j $M1
	for i in $(seq 10); do
		cp "$conf" "$D/k$i.old"
		if [ $((i % 2)) = 1 ]; then op=add; else op=del; fi
		if [ $op = add ]; then
			multis_admin --config "$conf" -A -m $BIGG -j "$BIG1024" 2>/dev/null &
		else
			multis_admin --config "$conf" -D -m $BIGG 2>/dev/null &
		fi
		pid=$!
		sleep "0.$(printf '%02d' $((RANDOM % 40)))"
		kill -9 $pid 2>/dev/null
		wait $pid; rc=$?
		if [ $rc = 137 ]; then killed=$((killed + 1)); else done=$((done + 1)); fi
		cp "$conf" "$D/k$i.new"
		echo "$i $op" >>"$D/k.list"
	done
	local verdict
	verdict=$(python3 - "$D" $BIGG "$BIG1024" <<'EOF'
import json, sys
d, g, members = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
bad = []
for line in open(d + "/k.list"):
    i, op = line.split()
    old_text, new_text = (open(f"{d}/k{i}.{s}").read() for s in ("old", "new"))
    try:
        new = json.loads(new_text)["multi_group_array"]
    except Exception as e:
        bad.append(f"{i}: unparsable: {e}"); continue
    old = json.loads(old_text)["multi_group_array"]
    without = [x for x in old if x["group_ip"] != g]
    done = without + [{"group_ip": g, "member_array": members}] if op == "add" else without
    if new_text != old_text and new != done:
        bad.append(f"{i} {op}: neither the old nor the new state")
print("; ".join(bad) or "ok")
EOF
)
	expect_eq "kill -9 during changes leaves a valid file, old or new state ($killed killed, $done finished)" "$verdict" ok
	# A temporary file as a writer killed before its rename leaves it.
	echo '{"multi_gr' >"$D/.kill.json.Xy12z9.tmp"
	expect_done "the lock is free after the kills" S --config "$conf" -A -m $G -j $M2
	expect_done "-A of the big group reconciles file and module" S --config "$conf" -A -m $BIGG -j "$BIG1024"
	expect_eq "... the file has both groups" "$(groups_in "$conf")" "$G:2 $BIGG:1024"
	expect_done "-D of the big group" S --config "$conf" -D -m $BIGG
	run ls -A "$D"
	expect_eq "the next change removed the temporary files killed writers left" "$(echo "$OUT" | grep -c '\.tmp$')" 0
	S -C
}

setup
for scenario in server_commands client_commands unprivileged big_group reload_and_restore \
	kernel_refusals corrupt_config killed_mid_change; do
	start=$SECONDS
	$scenario
	echo "# $scenario: $((SECONDS - start)) s"
done

case_done
