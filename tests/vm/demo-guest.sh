#!/bin/bash
# Runs inside the demo VM (started by scripts/demo.sh, `make demo`):
#   bash tests/vm/demo-guest.sh REPO BIN_DIR RESULTS_DIR
# Builds a small cloud-like network out of namespaces (a sender, three
# members in other subnets, a router that forwards unicast only), sends an
# ordinary multicast stream with iperf, first without the proxy and then with
# it (started by the real init scripts, configured with the real CLIs), and
# shows what each receiver got and what the proxy counted. The last line is
# "DEMO: OK" or "DEMO: FAILED: <why>"; scripts/demo.sh turns it into the
# exit status.
REPO=${1:?repo} BINDIR=${2:?bin dir} RESULTS=${3:?results dir}
export VMDIR=$REPO/tests/vm MODDIR=$REPO PATH="$BINDIR:$PATH" PYTHONDONTWRITEBYTECODE=1
cd /tmp || exit 1
mkdir -p /run/netns
dmesg -n 1 2>/dev/null
CASE=demo . "$VMDIR/lib.sh"

GROUP=239.1.1.1 PORT=5001 N=3
# The hosts' files: a fresh directory. A fixed one (it was /tmp/demo) could
# hold the repository itself, which the guest sees at its host's path: a
# clone in /tmp/demo lost its files inside the guest and the demo failed.
D=$(mktemp -d /tmp/mcast-demo.XXXXXX) || exit 1
PROBLEMS=""
problem() { PROBLEMS="$PROBLEMS${PROBLEMS:+; }$*"; }

title() { printf '\n=== %s ===\n' "$*"; }
say() { printf '%s\n' "$*"; }
host_of() { local n=${1#m}; [ "$1" = "$NS_SND" ] && echo sender || echo "member${n%%_*}"; }

# Every host keeps its own files, as separate machines would.
host_env() {
	local h=$1
	mkdir -p "$D/$h/etc" "$D/$h/state" "$D/$h/lock"
	echo "MULTIS_CONFIG=$D/$h/etc/multi_server.json MULTIC_CONFIG=$D/$h/etc/multi_client.json
	MULTIS_ADMIN=$BINDIR/multis_admin MULTIC_ADMIN=$BINDIR/multic_admin
	MULTIS_MODULE=$MODDIR/rust_mcast_server.ko MULTIC_MODULE=$MODDIR/rust_mcast_client.ko
	MULTIS_STATE_DIR=$D/$h/state MULTIC_STATE_DIR=$D/$h/state MULTIS_LOCK_DIR=$D/$h/lock MULTIC_LOCK_DIR=$D/$h/lock
	MULTIS_OLD_CONFIG_DIR=$D/none MULTIC_OLD_CONFIG_DIR=$D/none"
}
# on NS CMD...: CMD in that host with its environment (config files, module paths)
on() { local ns=$1; shift; in_ns "$ns" env $(host_env "$(host_of "$ns")") "$@"; }
# show NS CMD...: like run, with the host's environment
show() {
	local ns=$1; shift
	printf '  %s# %s\n' "$(host_of "$ns")" "$*"
	on "$ns" "$@" 2>&1 | sed 's/^/      /'
	return "${PIPESTATUS[0]}"
}

# stream TAG: iperf servers on every member, a 3 s iperf stream from the sender
stream() {
	local tag=$1 k pids=() start
	for k in $(seq $N); do
		ip netns exec "$(member_ns "$k")" stdbuf -oL iperf -s -u -B $GROUP -p $PORT -t 60 > "$D/$tag.$k" 2>&1 &
		pids+=($!)
	done
	start=$SECONDS
	say "  (starting the receivers: iperf -s -u -B $GROUP on each member)"
	for k in $(seq $N); do
		until in_ns "$(member_ns "$k")" ip maddr show dev eth0 | grep -q "inet  $GROUP\$"; do
			[ $((SECONDS - start)) -gt 60 ] && { problem "member $k never joined $GROUP"; break; }
			sleep 0.5
		done
	done
	say "  sender# iperf -c $GROUP -u -T 1 -b 1M -t 3     (TTL 1, 1 Mbit/s for 3 s)"
	in_ns "$NS_SND" timeout 30 iperf -c $GROUP -u -p $PORT -T 1 -b 1M -t 3 > "$D/$tag.snd" 2>&1
	say "      $(grep -o 'Sent [0-9]* datagrams' "$D/$tag.snd" || echo 'iperf client failed')"
	sleep 1
	kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
}

# got TAG K: "received lost total" from member K's iperf report (0 0 0 if none)
got() {
	local line
	line=$(grep -E '[0-9]+/ *[0-9]+ +\(' "$D/$1.$2" | tail -1)
	[ -n "$line" ] || { echo "0 0 0"; return; }
	echo "$line" | sed -E 's/.* ([0-9]+)\/ *([0-9]+) +\(.*/\1 \2/' | awk '{ print $2 - $1, $1, $2 }'
}

T0=$SECONDS
title "The network"
make_network $N
say "  A sender and $N receivers, each in its own subnet, joined by a router that"
say "  forwards unicast only (no multicast routing), like a cloud VPC. Every host is"
say "  a network namespace of this VM with its own proxy tables and files."
say ""
say "    sender  $SENDER_IP ---- router ---- member1  $(member_ip 1)"
say "                            |  \`----- member2  $(member_ip 2)"
say "                            \`-------- member3  $(member_ip 3)"
say "    (the router forwards unicast, not multicast)"
say ""
say "  The application: iperf 2, an ordinary multicast program, sends a UDP stream"
say "  to group $GROUP port $PORT; every member runs an iperf server joined to it."

title "1. Without the proxy"
stream off
for k in $(seq $N); do
	read -r rec _ _ < <(got off "$k")
	say "  member$k ($(member_ip "$k")): received $rec datagrams"
	[ "$rec" = 0 ] || problem "member $k received $rec datagrams without the proxy"
done
say "  -> nothing arrives: the router does not carry multicast."

title "2. Starting the proxy with its init scripts"
# Both scripts come from one template (init.d/render.sh).
mkdir -p "$D/init.d"
for svc in multis multic; do sh "$REPO/init.d/render.sh" "$svc" "$D/init.d/$svc" || problem "rendering $svc failed"; done
show "$NS_SND" sh "$D/init.d/multis" start || problem "multis start failed on the sender"
for k in $(seq $N); do
	show "$(member_ns "$k")" sh "$D/init.d/multic" start || problem "multic start failed on member $k"
done

title "3. Configuring the group and its members"
members=$(members_csv $N)
show "$NS_SND" multis_admin -A -m $GROUP -j "$members" || problem "multis_admin -A failed"
for k in $(seq $N); do
	show "$(member_ns "$k")" multic_admin -A -i $SENDER_IP -p $PORT -m $GROUP || problem "multic_admin -A failed on member $k"
done
say "  Each change is saved in the host's configuration file, which the init"
say "  script's start restores into the module after a reboot:"
for f in "sender $NS_SND $D/sender/etc/multi_server.json" "member1 $(member_ns 1) $D/member1/etc/multi_client.json"; do
	set -- $f
	say "  $1# cat $3"
	{ in_ns "$2" cat "$3"; echo; } | sed 's/^/      /'
done

title "4. The same stream with the proxy"
stream on
sender_port=$(grep -o "local $SENDER_IP port [0-9]*" "$D/on.snd" | head -1 | awk '{ print $4 }')
for k in $(seq $N); do
	read -r rec lost total < <(got on "$k")
	from=$(grep -o 'connected with [0-9.]* port [0-9]*' "$D/on.$k" | head -1 | sed 's/connected with //')
	say "  member$k ($(member_ip "$k")): received $rec of $total datagrams ($lost lost), from ${from:-nobody}"
	if [ "$total" -lt 200 ] || [ $((lost * 100)) -gt $((total * 2)) ]; then
		problem "member $k received $rec of $total datagrams with the proxy"
	fi
	[ "$from" = "$SENDER_IP port $sender_port" ] || problem "member $k saw the stream from '$from', not $SENDER_IP port $sender_port"
done
say "  -> every member gets the stream, from the sender's real address and port."

title "5. What the proxy shows"
show "$NS_SND" multis_admin -S
show "$NS_SND" multis_admin -L -m $GROUP
show "$NS_SND" multis_admin -P
tx=$(on "$NS_SND" multis_admin -P | awk -F': *' '/^tx packets/ { print $2 }')
show "$(member_ns 1)" multic_admin -L
for k in $(seq $N); do
	show "$(member_ns "$k")" multic_admin -P
	rx=$(on "$(member_ns "$k")" multic_admin -P | awk -F': *' '/^rx packets/ { print $2 }')
	read -r rec _ _ < <(got on "$k")
	[ "${rx:-0}" -ge "$rec" ] || problem "member $k: multic_admin -P counts $rx restored, fewer than the $rec received"
done
[ "${tx:-0}" -ge $((N * 200)) ] || problem "multis_admin -P counts only ${tx:-0} copies"
read -r rec _ _ < <(got on 1)
say "  -> the sender made $tx unicast copies: $N per datagram ($rec datagrams reached"
say "     each member); each member restored every copy it got into the group."
show "$NS_SND" sh "$D/init.d/multis" status
show "$(member_ns 1)" sh "$D/init.d/multic" status

title "6. On the wire"
say "  One copy as it reaches member1 (tcpdump on its eth0): unicast to the member,"
say "  marked with TOS 0xe0, TTL raised from the application's 1 to 64 (63 after the router)."
ip netns exec "$(member_ns 1)" tcpdump -Z root -l -nn -v -c 1 -i eth0 udp dst port $PORT > "$D/wire" 2> "$D/wire.err" &
dump=$!
until grep -q 'listening on' "$D/wire.err" 2>/dev/null || ! kill -0 $dump 2>/dev/null; do sleep 0.3; done
in_ns "$NS_SND" sh -c "echo hello | socat -u - UDP4-DATAGRAM:$GROUP:$PORT,ip-multicast-ttl=1" 2>/dev/null
( sleep 10; kill $dump 2>/dev/null ) & watchdog=$!
wait $dump 2>/dev/null; kill $watchdog 2>/dev/null
sed 's/^/      /' "$D/wire"
grep -q 'tos 0xe0' "$D/wire" || problem "no marked copy seen on member 1's wire"

title "7. Members found by IGMP: receivers come and go, the sender is not touched"
LGROUP=239.1.1.2 LPORT=5002
say "  The sender's group $LGROUP learns its members from the receivers' IGMP"
say "  (their client modules announce the hosts' reports to the sender):"
show "$NS_SND" multis_admin -A -m $LGROUP --learn 10.0.0.0/16 || problem "multis_admin --learn failed"
for k in $(seq $N); do
	on "$(member_ns "$k")" multic_admin -A -i $SENDER_IP -p $LPORT -m $LGROUP >/dev/null || problem "multic_admin -A $LGROUP failed on member $k"
done
say "  (each member: multic_admin -A -i $SENDER_IP -p $LPORT -m $LGROUP, as for any group)"
learned_count() { on "$NS_SND" multis_admin -L -m $LGROUP --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["learned"]))'; }
# listen K: an iperf server joined to $LGROUP in member K; its pid in LISTENER_K
listen() {
	ip netns exec "$(member_ns "$1")" stdbuf -oL iperf -s -u -B $LGROUP -p $LPORT -t 120 > "$D/learn.$1" 2>&1 &
	eval "LISTENER_$1=$!"
	until in_ns "$(member_ns "$1")" ip maddr show dev eth0 | grep -q "inet  $LGROUP\$"; do sleep 0.3; done
}
# settle WANT: wait (up to 10 s) until the sender lists WANT learned members
settle() { local i; for i in $(seq 50); do [ "$(learned_count)" = "$1" ] && return 0; sleep 0.2; done; return 1; }
say "  member1 and member2 start listening (iperf -s -u -B $LGROUP); member3 does not:"
listen 1; listen 2
settle 2 || problem "the sender did not learn members 1 and 2"
show "$NS_SND" multis_admin -L -m $LGROUP
say "  sender# iperf -c $LGROUP -u -T 1 -b 1M -t 2"
in_ns "$NS_SND" timeout 30 iperf -c $LGROUP -u -p $LPORT -T 1 -b 1M -t 2 > "$D/learn.snd" 2>&1
sleep 1
for k in 1 2; do
	read -r rec _ _ < <(got learn "$k")
	say "  member$k: received $rec datagrams"
	[ "$rec" -gt 0 ] || problem "learned member $k received nothing"
done
say "  (member3 does not listen: it is no member, and the sender sends it no copy)"
say "  member2's receiver stops (the host sends an IGMP leave):"
kill "$LISTENER_2"; wait "$LISTENER_2" 2>/dev/null
settle 1 || problem "the sender did not forget member 2 after its leave"
show "$NS_SND" multis_admin -L -m $LGROUP
kill "$LISTENER_1"; wait "$LISTENER_1" 2>/dev/null
say "  -> no command on the sender: it followed the receivers' joins and leaves."

title "Result"
say "  demo time in the VM: $((SECONDS - T0)) s"
cp -r "$D" "$RESULTS/" 2>/dev/null
cleanup_network
if [ -z "$PROBLEMS" ]; then
	say "DEMO: OK: without the proxy every member got nothing; with it every member got the stream"
else
	say "DEMO: FAILED: $PROBLEMS"
fi
