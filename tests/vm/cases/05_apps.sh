# Real applications through the proxy, configured with the real CLIs
# (multis_admin, multic_admin; each host its own configuration file under
# /tmp): iperf2, socat, the classic Python pair, ssmping's asmping and
# mcfirst, aria2's BitTorrent Local Peer Discovery and keepalived's VRRP.
# Every application first runs without the proxy (the negative control:
# receivers get nothing), then with it. Members filter reverse paths:
# member 1 rp_filter 1 (all and eth0), member 2 rp_filter 2 (both),
# member 3 1 on eth0 only. Every host runs conntrack and the stateful
# firewall of lib.sh.
#
# Every receiver that shows the client restored the copies binds the group
# address (iperf -B, socat bind=, mcfirst, asmping's multicast socket,
# aria2's LPD socket, apps/mcast_pair.py) or tells the destination apart
# (VRRP: mcast_tool.py vrrp-recv beside keepalived's raw socket), so a copy
# left unicast cannot pass for a restored one. A check that expects nothing
# received counts only if its listener joined before the senders started
# and was still running when the round ended (listened, below).
. "$VMDIR/lib.sh"
load_modules

APPS=$VMDIR/apps
W=/tmp/apps.$SUFFIX
mkdir -p "$W"
info() { echo "info: $CASE: $*"; }
skip() { echo "SKIP: $CASE: $*"; }
have() { command -v "$1" >/dev/null 2>&1; }

if ! have multis_admin || ! have multic_admin; then
	skip "multis_admin/multic_admin not on PATH (tests/vm/run.sh needs the BIN_DIR argument)"
	case_done
	exit 0
fi
for t in iperf socat asmping ssmpingd mcfirst aria2c keepalived tcpdump; do
	have $t || skip "$t is not installed (scripts/install-deps.sh): its checks are left out"
done

G_IPERF=239.1.1.1 P_IPERF=5001
G_SOCAT=239.1.1.3 P_SOCAT=6666
G_PAIR=224.3.29.71 P_PAIR=10000
G_ASM=239.1.1.234             # asmping forces .234; ssmpingd answers to the asker's own port
G_SSM=232.1.1.1 P_SSM=5002    # source-specific: mcfirst joins (sender, group)
G_LPD=239.192.152.143 P_LPD=6771
OTHER_SRC=10.0.1.77           # a source that never sends

# wait_until LIMIT CMD...: poll (every 0.5 s, at most LIMIT s) until CMD succeeds
wait_until() {
	local limit=$1 start=$SECONDS; shift
	until "$@"; do
		[ $((SECONDS - start)) -ge "$limit" ] && return 1
		snooze 0.5
	done
}

# joined NS DEV GROUP...: DEV has joined every GROUP (what `ip maddr` shows an operator)
joined() {
	local ns=$1 dev=$2 out g family addr _ found; shift 2
	out=$(ip -n "$ns" maddr show dev "$dev") || return 1
	for g; do
		found=0
		while read -r family addr _; do [ "$family $addr" = "inet $g" ] && found=1; done <<< "$out"
		((found)) || return 1
	done
}

# ---- the routed network: sender, 3 members, a router carrying unicast only ----

setup_network() {
	make_network 3
	on "$(member_ns 1)" "sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.eth0.rp_filter=1"
	on "$(member_ns 2)" "sysctl -qw net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.eth0.rp_filter=2"
	on "$(member_ns 3)" "sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=1"
	info "members' rp_filter (all/eth0): 1/1, 2/2, 0/1"
	# Member 2 has a second interface, where its socat receiver wrongly joins.
	on "$(member_ns 2)" "ip link add eth1 type veth peer name eth1p && ip addr add 192.168.77.1/24 dev eth1 &&
		ip link set eth1 up && ip link set eth1p up"
	head -c 300000 /dev/urandom > "$W/payload.bin"
	INFOHASH=$(python3 "$APPS/mktorrent.py" "$W/payload.bin" "$W/payload.torrent")
}

configure_proxy_cli() {
	local members k ns
	members=$(members_csv 3)
	expect_ok "sender: 6 groups configured with multis_admin -A" on "$NS_SND" "
		multis_admin -A -m $G_IPERF -j $members && multis_admin -A -m $G_SOCAT -j $members &&
		multis_admin -A -m $G_PAIR -j $members && multis_admin -A -m $G_ASM -j $members &&
		multis_admin -A -m $G_SSM -j $members && multis_admin -A -m $G_LPD -j $members"
	for k in 1 2 3; do
		ns=$(member_ns "$k")
		expect_ok "member $k: 6 entries configured with multic_admin -A" on "$ns" "
			multic_admin -A -i $SENDER_IP -p $P_IPERF -m $G_IPERF &&
			multic_admin -A -i $SENDER_IP -p $P_SOCAT -m $G_SOCAT &&
			multic_admin -A -i $SENDER_IP -p $P_PAIR -m $G_PAIR &&
			multic_admin -A -i $SENDER_IP -p $P_SSM -m $G_SSM &&
			multic_admin -A -i $SENDER_IP -p $P_LPD -m $G_LPD &&
			multic_admin -A -i $SENDER_IP -p 0 -m $G_ASM"
	done
	expect_eq "multis_admin -S lists the 6 groups" "$(on "$NS_SND" "multis_admin -S" | grep -c '^[0-9]')" 6
}

ARIA=(aria2c --no-conf=true --enable-dht=false --enable-dht6=false --bt-enable-lpd=true
	--enable-peer-exchange=false --bt-seed-unverified=true --summary-interval=0
	--console-log-level=info --file-allocation=none --listen-port=6881-6999)

# Background programs run as `ip netns exec NS PROGRAM &`, never through the
# in_ns function: $! must be the program itself (ip execs it) for kill and
# wait to reach it, not a subshell that would leave it orphaned.
RX=() RXNAME=()
# spawn NS OUT CMD...: a receiver in the background, stopped at the end of the round
spawn() {
	local ns=$1 out=$2; shift 2
	ip netns exec "$ns" "$@" > "$out" 2> "$out.err" &
	RX+=($!) RXNAME+=("$(basename "$out")")
}

# What a negative check needs to know of the last round: READY (yes/no) whether
# all receivers had joined before the senders started, DEAD the receivers
# (output file names) that were no longer running when it ended.
READY=no DEAD=""
# listened WHAT NAME...: the receivers NAME of the last round joined in time
# and ran to its end, or a FAIL for WHAT, a negative check without proof
# that its listeners listened (asmping, mcfirst and tcpdump may end by design;
# negative checks name only receivers that must still run)
listened() {
	local what=$1 n dead=""; shift
	if [ "$READY" != yes ]; then
		fail "$what: the receivers had not all joined when the senders started"
		return 1
	fi
	for n; do case " $DEAD " in *" $n "*) dead="$dead $n" ;; esac; done
	[ -z "$dead" ] && return 0
	fail "$what: receiver(s)$dead stopped before the end of the round: $(for n in $dead; do tail -c 200 "$W/$n.err"; done | tr '\n' ' ')"
	return 1
}

# round TAG: every application once, receivers on all members, senders on
# the sender; TAG "off" before the proxy is configured, "on" after. The LPD
# peer (aria2 on member 3) starts in the "off" round and keeps running: the
# seeder is started in each round, and announces as it starts.
round() {
	local tag=$1 k ns start i
	RX=() RXNAME=() READY=no DEAD=""
	have ssmpingd && { ip netns exec "$NS_SND" ssmpingd > /dev/null 2>&1 & SSMPINGD=$!; }
	if have aria2c && [ "$tag" = off ]; then
		mkdir -p "$W/leech"
		# Its limit must outlast both rounds: on the debug kernel of a slow
		# machine they took over 400 s, and the peer was gone before "on".
		ip netns exec "$(member_ns 3)" timeout 1800 "${ARIA[@]}" --seed-time=0 -d "$W/leech" "$W/payload.torrent" \
			> "$W/leech.log" 2>&1 &
		LEECH=$!
	fi
	for k in 1 2 3; do
		ns=$(member_ns "$k")
		have iperf && spawn "$ns" "$W/$tag.iperf.$k" stdbuf -oL iperf -s -u -B $G_IPERF -t 300
		spawn "$ns" "$W/$tag.pair.$k" python3 "$APPS/mcast_pair.py" recv $G_PAIR $P_PAIR --timeout 300
		have asmping && spawn "$ns" "$W/$tag.asm.$k" stdbuf -oL asmping -c 5 $G_ASM $SENDER_IP
		have mcfirst && spawn "$ns" "$W/$tag.ssm.$k" stdbuf -oL mcfirst -c 1 -t 300 $SENDER_IP $G_SSM $P_SSM
	done
	if have socat; then
		local recv="socat -u UDP4-RECV:$P_SOCAT,bind=$G_SOCAT,reuseaddr"
		# member 1: two sockets sharing the port; member 2: joined on the wrong interface
		spawn "$(member_ns 1)" "$W/$tag.socat.1a" $recv,ip-add-membership=$G_SOCAT:eth0 -
		spawn "$(member_ns 1)" "$W/$tag.socat.1b" $recv,ip-add-membership=$G_SOCAT:eth0 -
		spawn "$(member_ns 2)" "$W/$tag.socat.2" $recv,ip-add-membership=$G_SOCAT:eth1 -
		spawn "$(member_ns 3)" "$W/$tag.socat.3" $recv,ip-add-membership=$G_SOCAT:eth0 -
	fi
	have mcfirst && spawn "$(member_ns 1)" "$W/$tag.ssm.wrong" stdbuf -oL mcfirst -c 1 -t 300 $OTHER_SRC $G_SSM $P_SSM
	# What the wire carries to member 3.
	WIRE=no
	if have tcpdump && [ "$tag" = on ]; then
		WIRE=yes
		spawn "$(member_ns 3)" "$W/wire" tcpdump -Z root -l -nn -v -c 1 -i eth0 udp dst port $P_SOCAT
	fi

	local want1="$G_IPERF $G_PAIR $G_SSM" want3="$G_IPERF $G_SOCAT $G_PAIR $G_SSM"
	have aria2c && want3="$want3 $G_LPD"
	ready() {
		joined "$(member_ns 1)" eth0 $want1 $G_SOCAT && joined "$(member_ns 2)" eth0 $want1 &&
			joined "$(member_ns 2)" eth1 $G_SOCAT && joined "$(member_ns 3)" eth0 $want3 &&
			{ [ $WIRE = no ] || grep -q 'listening on' "$W/wire.err"; }
	}
	start=$SECONDS
	if wait_until 180 ready; then
		READY=yes
	else
		fail "$tag: receivers did not all join within 180 s: $(in_ns "$(member_ns 3)" ip maddr show dev eth0 | tr -s ' \n\t' ' ')$(
			have aria2c && ! alive "$LEECH" && echo "; the LPD peer (aria2c) had ended: $(tail -c 200 "$W/leech.log")")"
	fi
	info "$tag: receivers joined in $((SECONDS - start)) s"

	if have aria2c; then
		ip netns exec "$NS_SND" timeout 150 "${ARIA[@]}" --seed-ratio=0.0 -d "$W" "$W/payload.torrent" > "$W/$tag.seed.log" 2>&1 &
		SEED=$!
	fi
	have iperf && in_ns "$NS_SND" timeout 30 iperf -c $G_IPERF -u -T 1 -b 1M -t 3 > "$W/$tag.iperf.snd" 2>&1
	have socat && in_ns "$NS_SND" sh -c "for i in 1 2 3 4 5; do
		echo line \$i | socat -u - UDP4-DATAGRAM:$G_SOCAT:$P_SOCAT,ip-multicast-ttl=1,ip-tos=0x28
		echo ssm \$i | socat -u - UDP4-DATAGRAM:$G_SSM:$P_SSM,ip-multicast-ttl=1; sleep 0.2; done" &
	local socat_snd=$!
	in_ns "$NS_SND" python3 "$APPS/mcast_pair.py" send $G_PAIR $P_PAIR --expect 3 \
		--timeout "$([ "$tag" = on ] && echo 20 || echo 5)" > "$W/$tag.pair.snd"
	wait $socat_snd
	sleep 1
	# Member 2's memberships while its receiver runs: what an operator looks at.
	on "$(member_ns 2)" "ip maddr show dev eth0; echo --; ip maddr show dev eth1" > "$W/$tag.maddr.2"
	for i in "${!RX[@]}"; do alive "${RX[$i]}" || DEAD="$DEAD ${RXNAME[$i]}"; done
	[ -n "$DEAD" ] && info "$tag: receivers that had ended before the round did:$DEAD"
	kill "${RX[@]}" 2>/dev/null
	wait "${RX[@]}" 2>/dev/null
	[ -n "${SSMPINGD:-}" ] && { kill $SSMPINGD; wait $SSMPINGD; } 2>/dev/null
}

# iperf_report FILE: "received lost total", from the server's report line
iperf_report() {
	local line
	line=$(grep -E '[0-9]+/ *[0-9]+ +\(' "$1" | tail -1)
	[ -n "$line" ] || { echo "0 0 0"; return; }
	echo "$line" | sed -E 's/.* ([0-9]+)\/ *([0-9]+) +\(.*/\1 \2/' | awk '{ print $2 - $1, $1, $2 }'
}

lines() { [ -s "$1" ] && wc -l < "$1" || echo 0; }

# kv KEY FILE: the value of KEY=VALUE in the output of mcast_pair.py
kv() { tr ' ' '\n' < "$2" | sed -n "s/^$1=//p"; }

# aria_time PATTERN LOG: the time of day (seconds) of the first matching aria2 log line
aria_time() {
	sed 's/\x1b\[[0-9;]*m//g' "$2" | grep -m1 -E "$1" | awk '{ split($2, t, ":"); print t[1] * 3600 + t[2] * 60 + t[3] }'
}

# restored NS SENDER PORT: the entry's "rx packets" as `multic_admin -P` prints it
restored() { on "$1" "multic_admin -P -i $2 -p $3" | awk -F': *' '/^rx packets/ { print $2 }'; }

alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! alive "$1"; }

judge_off() {
	local k got what
	if have iperf; then
		got=""; for k in 1 2 3; do got="$got$(iperf_report "$W/off.iperf.$k" | cut -d' ' -f1) "; done
		what="without the proxy: iperf receivers got nothing (members 1 2 3)"
		listened "$what" off.iperf.1 off.iperf.2 off.iperf.3 && expect_eq "$what" "$got" "0 0 0 "
	fi
	if have socat; then
		got=""; for k in 1a 1b 3; do got="$got$(lines "$W/off.socat.$k") "; done
		what="without the proxy: socat receivers got nothing"
		listened "$what" off.socat.1a off.socat.1b off.socat.3 && expect_eq "$what" "$got" "0 0 0 "
	fi
	# The sender ran to its end (it printed how many it sent) and heard no ack.
	what="without the proxy: the Python sender hears no ack"
	listened "$what" off.pair.1 off.pair.2 off.pair.3 &&
		expect_eq "$what" "acks=$(kv acks "$W/off.pair.snd") sent=$(kv sent "$W/off.pair.snd" | sed 's/^[1-9][0-9]*$/some/')" \
			"acks= sent=some"
	got=""; for k in 1 2 3; do got="$got$(kv received "$W/off.pair.$k") "; done
	what="without the proxy: the Python receivers got nothing"
	listened "$what" off.pair.1 off.pair.2 off.pair.3 && expect_eq "$what" "$got" "0 0 0 "
	if have asmping; then
		# Its own proof of life: every member's asmping gets the unicast answers.
		got=""; for k in 1 2 3; do
			got="$got$(grep -c '^ *unicast from' "$W/off.asm.$k")/$(grep -c '^multicast from' "$W/off.asm.$k") "
		done
		if echo "$got" | grep -qE '(^| )0/' || echo "$got" | grep -qE '/[1-9]'; then
			fail "without the proxy: asmping gets unicast answers only: unicast/multicast per member: $got"
		else
			pass "without the proxy: asmping gets unicast answers only (unicast/multicast: $got)"
		fi
	fi
	if have mcfirst; then
		# mcfirst -c 1 ends at its first datagram: still running means none came.
		what="without the proxy: mcfirst (SSM) receives nothing"
		listened "$what" off.ssm.1 off.ssm.2 off.ssm.3 &&
			expect_eq "$what" "$(cat "$W"/off.ssm.[123] | grep -c 'from')" 0
	fi
	if have aria2c; then
		if ! grep -q 'Sending LPD message is complete' "$W/off.seed.log"; then
			fail "without the proxy: the seeder never announced (LPD check void)"
		elif ! alive "$LEECH"; then
			fail "without the proxy: the LPD peer (aria2c on member 3) is no longer running (LPD check void): $(tail -3 "$W/leech.log" | tr '\n' ' ')"
		else
			expect_eq "without the proxy: the LPD peer does not learn of the seeder" \
				"$(grep -c "LPD message received.* from $SENDER_IP" "$W/leech.log")" 0
		fi
		kill $SEED 2>/dev/null; wait $SEED 2>/dev/null
	fi
}

judge_on() {
	local k got rec lost total cport m2 counter
	if have iperf; then
		cport=$(grep -o "local $SENDER_IP port [0-9]*" "$W/on.iperf.snd" | head -1 | awk '{ print $4 }')
		# What the client managed to send in its 3 s (about 255 at 1 Mbit/s;
		# fewer on the debug kernel under TCG, where the sender is CPU-bound).
		# Its count includes the closing datagram, which the server's total
		# does not.
		local sent
		sent=$(grep -o 'Sent [0-9]* datagrams' "$W/on.iperf.snd" | head -1 | awk '{ print $2 }')
		for k in 1 2 3; do
			read -r rec lost total < <(iperf_report "$W/on.iperf.$k")
			if [ "${sent:-0}" -ge 20 ] && [ "$(((total + 1) * 100))" -ge "$((sent * 98))" ] &&
				[ $((lost * 100)) -le $((total * 2)) ]; then
				pass "iperf: member $k reports the 3 s stream: $rec of $total datagrams ($lost lost, <= 2%; the client sent $sent)"
			else
				fail "iperf: member $k: $rec of $total received ($lost lost), the client sent ${sent:-?}: $(tail -2 "$W/on.iperf.$k" | tr '\n' ' ')"
			fi
			expect_eq "iperf: member $k's server sees the real sender address and port" \
				"$(grep -o 'connected with [0-9.]* port [0-9]*' "$W/on.iperf.$k" | head -1)" \
				"connected with $SENDER_IP port $cport"
		done
	fi
	if have socat; then
		expect_eq "socat: member 3 received every datagram" "$(lines "$W/on.socat.3")" 5
		expect_eq "socat: two SO_REUSEADDR receivers on member 1 each received every datagram" \
			"$(lines "$W/on.socat.1a") $(lines "$W/on.socat.1b")" "5 5"
		# Member 2 joined on eth1: the proxy restored the datagrams, yet the
		# application gets nothing. How an operator finds out:
		m2=$(member_ns 2)
		counter=$(restored "$m2" $SENDER_IP $P_SOCAT)
		listened "socat joined on the wrong interface (eth1) gets nothing" on.socat.2 &&
			expect_eq "socat joined on the wrong interface (eth1) gets nothing" "$(lines "$W/on.socat.2")" 0
		if [ "${counter:-0}" -ge 5 ]; then
			pass "...while multic_admin -P -i $SENDER_IP -p $P_SOCAT shows $counter packets restored: the proxy delivered"
		else
			fail "multic_admin -P -i $SENDER_IP -p $P_SOCAT on member 2: '$counter' restored, want >= 5"
		fi
		got=$(awk -v g=$G_SOCAT '$1 == "--" { dev = "eth1" } $1 == "inet" && $2 == g { print dev ? dev : "eth0" }' "$W/on.maddr.2" | tr '\n' ' ')
		expect_eq "...and ip maddr shows the group joined on eth1, not on eth0 where the copies arrive" "$got" "eth1 "
	fi
	expect_eq "Python pair: the sender hears an ack from every member" "$(kv acks "$W/on.pair.snd")" "$(members_csv 3)"
	for k in 1 2 3; do
		got="$(kv received "$W/on.pair.$k" | sed 's/^[1-9][0-9]*$/some/') from $(kv sources "$W/on.pair.$k")"
		expect_eq "Python pair: member $k received from the real sender address" "$got" "some from $SENDER_IP"
	done
	if have asmping; then
		for k in 1 2 3; do
			got=$(grep '^multicast from' "$W/on.asm.$k" | awk '{ print $3 }' | sort -u | tr -d ,)
			if [ "$got" = "$SENDER_IP" ]; then
				pass "asmping: member $k gets multicast answers from $SENDER_IP ($(grep -c '^multicast from' "$W/on.asm.$k") of $(grep -c '^ *unicast from' "$W/on.asm.$k"))"
			else
				fail "asmping: member $k: multicast answers from '$got': $(grep -m2 'from' "$W/on.asm.$k" | tr '\n' ' ')"
			fi
		done
	fi
	if have mcfirst; then
		for k in 1 2 3; do
			if grep -q "from $SENDER_IP" "$W/on.ssm.$k"; then
				pass "mcfirst: member $k's (S,G) join ($SENDER_IP,$G_SSM) receives: the real source is kept"
			else
				fail "mcfirst: member $k: $(tr '\n' ' ' < "$W/on.ssm.$k") $(tr '\n' ' ' < "$W/on.ssm.$k.err")"
			fi
		done
		listened "mcfirst: a join for another source receives nothing" on.ssm.wrong &&
			expect_eq "mcfirst: a join for another source ($OTHER_SRC,$G_SSM) receives nothing" \
				"$(grep -c 'from' "$W/on.ssm.wrong")" 0
	fi
	if [ $WIRE = yes ]; then
		rec=$(tr '\n' ' ' < "$W/wire")
		if echo "$rec" | grep -qE "tos 0xe0, ttl 63,.* $SENDER_IP\.[1-9][0-9]* > $(member_ip 3)\.$P_SOCAT: UDP"; then
			pass "wire: socat's copy (app TOS 0x28, TTL 1) arrives as TOS 0xe0, TTL 64 - 1 hop, sender address and ports kept"
		else
			fail "wire: socat's copy on member 3: $rec"
		fi
	fi
	if have aria2c; then
		local leech_rc sent heard done_at
		wait_until 60 gone $LEECH || kill $LEECH
		wait $LEECH; leech_rc=$?
		kill $SEED 2>/dev/null; wait $SEED 2>/dev/null
		# aria2's own log times (seconds): announce sent, heard by the peer, download done
		sent=$(aria_time 'Sending LPD message is complete' "$W/on.seed.log")
		heard=$(aria_time "LPD message received infohash=$INFOHASH.* from $SENDER_IP" "$W/leech.log")
		done_at=$(aria_time 'The download was complete' "$W/leech.log")
		if [ -n "$heard" ]; then
			pass "aria2 LPD: the peer on another subnet learns of the seeder through the proxy"
		else
			fail "aria2 LPD: no announce from $SENDER_IP reached the peer: $(grep -i lpd "$W/leech.log" | tail -3 | tr '\n' ' ')"
		fi
		if [ "$leech_rc" = 0 ] && cmp -s "$W/payload.bin" "$W/leech/payload.bin"; then
			pass "aria2 LPD: the peer downloads the file from the seeder it discovered"
		else
			fail "aria2 LPD: download failed (aria2c exit $leech_rc): $(sed 's/\x1b\[[0-9;]*m//g' "$W/leech.log" | grep -E 'ERROR|errorCode' | tail -2 | tr '\n' ' ')"
		fi
		[ -n "$sent" ] && [ -n "$heard" ] && [ -n "$done_at" ] &&
			info "aria2 LPD: the seeder announces as it starts; the peer heard it $((heard - sent)) s later and had" \
				"the file $((done_at - sent)) s after the announce: aria2 connects to discovered peers at its next" \
				"choke round (every 10 s). Announces repeat every 5 min, so a peer that starts after one waits up to 5 min."
	fi
}

# ---- keepalived (VRRP) ----

ka_conf() {   # NAME PRIORITY VIP VRRP_VERSION
	cat > "$W/$1.conf" <<-EOF
	global_defs {
	    router_id $1
	    vrrp_version $4
	}
	vrrp_instance VI_1 {
	    state BACKUP
	    interface eth0
	    virtual_router_id 51
	    priority $2
	    advert_int 1
	    virtual_ipaddress {
	        $3
	    }
	}
	EOF
}
declare -A KA_PID
ka_start() {  # NS NAME
	ip netns exec "$1" keepalived -n -l -D -G -P -f "$W/$2.conf" -p "$W/$2.pid" -r "$W/$2.vpid" -c "$W/$2.cpid" \
		>> "$W/$2.log" 2>&1 &
	KA_PID[$2]=$!
}
ka_stop() {   # NAME...
	local n
	for n; do kill "${KA_PID[$n]}" 2>/dev/null; done
	for n; do wait "${KA_PID[$n]}" 2>/dev/null; done
}
holds_vip() { [[ $(ip -n "$1" -o -4 addr show dev eth0) == *" ${VIP%/*}/"* ]]; }
vips() { local s="" ns; for ns; do if holds_vip "$ns"; then s="$s${s:+ }1"; else s="$s${s:+ }0"; fi; done; echo "$s"; }
# wait_vips WANT LIMIT NS...: until the VIP holders read WANT ("1 0": the first holds it); sets TOOK
wait_vips() {
	local want=$1 limit=$2 start=$SECONDS; shift 2
	until [ "$(vips "$@")" = "$want" ]; do
		[ $((SECONDS - start)) -ge "$limit" ] && return 1
		snooze 0.5
	done
	TOOK=$((SECONDS - start))
}

# Across the router: the adverts are carried, but the router decrements the
# TTL and VRRP receivers (RFC 5798, keepalived) accept only TTL 255.
vrrp_across_router() {
	local m1 n
	m1=$(member_ns 1) VIP=10.0.99.1/32
	expect_fail "a link-local group needs --allow-link-local" "link-local" \
		on "$NS_SND" "multic_admin -A -i $(member_ip 1) -p 0 -m 224.0.0.18"
	expect_ok "VRRP peers configured both ways with the real CLIs" on "$NS_SND" "
		multis_admin -A -m 224.0.0.18 -j $(member_ip 1) &&
		multic_admin -A -i $(member_ip 1) -p 0 -m 224.0.0.18 --allow-link-local"
	# member 1's any-port entry served asmping; VRRP (no ports) needs it now
	on "$m1" "multic_admin -D -i $SENDER_IP -p 0 && multis_admin -A -m 224.0.0.18 -j $SENDER_IP &&
		multic_admin -A -i $SENDER_IP -p 0 -m 224.0.0.18 --allow-link-local" || fail "member 1: VRRP configuration failed"
	ka_conf rA 150 $VIP 2; ka_conf rB 100 $VIP 2
	ka_start "$NS_SND" rA; ka_start "$m1" rB
	bad_ttl() { grep -q 'invalid TTL/HL. Received 254' "$W/rA.log" && grep -q 'invalid TTL/HL. Received 254' "$W/rB.log"; }
	wait_until 90 bad_ttl
	wait_vips "1 1" 15 "$NS_SND" "$m1"
	n=$(restored "$m1" $SENDER_IP 0)
	if [ "${n:-0}" -gt 0 ]; then
		pass "VRRP across the router: the adverts are carried and restored (multic_admin -P: $n)"
	else
		fail "VRRP across the router: no advert restored on member 1"
	fi
	if bad_ttl && [ "$(vips "$NS_SND" "$m1")" = "1 1" ]; then
		pass "VRRP across the router: keepalived drops them ('invalid TTL/HL. Received 254 and expect 255'): both MASTER, as documented (peers must share a subnet)"
	else
		fail "VRRP across the router: expected TTL rejection and two masters: VIPs $(vips "$NS_SND" "$m1"), $(grep -c 'invalid TTL' "$W/rB.log") TTL complaints"
	fi
	ka_stop rA rB
}

# On one subnet whose switch carries unicast and broadcast but no multicast
# (like a cloud vSwitch; tests/vm/apps/l2switch.py), TTL 255 survives.
vrrp_on_segment() {
	local KA=va_$SUFFIX KB=vb_$SUFFIX SW=sw_$SUFFIX swpid n
	VIP=10.0.50.100/24
	new_ns $KA; new_ns $KB; new_ns $SW; trap cleanup_network EXIT
	ip link add eth0 netns $KA type veth peer name pa netns $SW
	ip link add eth0 netns $KB type veth peer name pb netns $SW
	on $KA "ip addr add 10.0.50.1/24 dev eth0 && ip link set lo up && ip link set eth0 up && ethtool -K eth0 tx off >/dev/null;
		sysctl -qw net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.eth0.rp_filter=2"
	on $KB "ip addr add 10.0.50.2/24 dev eth0 && ip link set lo up && ip link set eth0 up && ethtool -K eth0 tx off >/dev/null;
		sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.eth0.rp_filter=1"
	on $SW "ip link set pa up && ip link set pb up"
	ip netns exec $SW python3 "$APPS/l2switch.py" pa pb --ready "$W/sw.ready" --stats "$W/sw.json" &
	swpid=$!
	wait_ready "$W/sw.ready" "the L2 switch"
	expect_ok "segment: the switch carries unicast (ping)" in_ns $KA ping -c 1 -W 20 10.0.50.2

	ka_conf sA 150 $VIP 3; ka_conf sB 100 $VIP 3
	ka_start $KA sA; ka_start $KB sB
	if wait_vips "1 1" 30 $KA $KB; then
		pass "VRRP without the proxy: the switch drops the adverts, both MASTER (split brain)"
	else
		fail "VRRP without the proxy: VIP holders $(vips $KA $KB), want both"
	fi
	ip netns exec $KB tcpdump -Z root -l -nn -v -c 1 -i eth0 "ip proto 112 and src 10.0.50.1 and dst 10.0.50.2" \
		> "$W/vrrp.wire" 2> "$W/vrrp.wire.err" &
	local dump=$!
	wait_until 60 grep -q 'listening on' "$W/vrrp.wire.err"
	# keepalived reads adverts with a raw socket, which takes them whatever
	# their destination; beside it, what arrives from the master and where to.
	ip netns exec $KB python3 "$VMDIR/mcast_tool.py" vrrp-recv --join 10.0.50.2 --src 10.0.50.1 --count 3 --timeout 120 \
		--ready "$W/vrrp.recv.ready" > "$W/vrrp.recv" 2> "$W/vrrp.recv.err" &
	local adverts=$!
	wait_ready "$W/vrrp.recv.ready" "the backup's VRRP receiver"
	# The backup first: its client restores from the moment the master copies.
	on $KB "multis_admin -A -m 224.0.0.18 -j 10.0.50.1 && multic_admin -A -i 10.0.50.1 -p 0 -m 224.0.0.18 --allow-link-local" &&
		on $KA "multis_admin -A -m 224.0.0.18 -j 10.0.50.2 && multic_admin -A -i 10.0.50.2 -p 0 -m 224.0.0.18 --allow-link-local" ||
		fail "VRRP peers: configuration with the CLIs failed"
	if wait_vips "1 0" 60 $KA $KB; then
		pass "VRRP with the proxy: the backup hears the master (priority 150 > 100) and releases the VIP ($TOOK s)"
	else
		fail "VRRP with the proxy: VIP holders $(vips $KA $KB), want only the master: $(grep -E 'STATE|invalid' "$W/sB.log" | tail -3 | tr '\n' ' ')"
	fi
	wait $dump 2>/dev/null || kill $dump 2>/dev/null
	wait $adverts
	expect_eq "VRRP: the master's adverts reach the backup restored to 224.0.0.18, none as a unicast copy (destinations, count)" \
		"$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(" ".join(sorted({a["dst"] for a in r})), len(r))' "$W/vrrp.recv" 2>&1)" \
		"224.0.0.18 3"
	if tr '\n' ' ' < "$W/vrrp.wire" | grep -qE 'tos 0xe0, ttl 255,.*proto VRRP \(112\).* 10\.0\.50\.1 > 10\.0\.50\.2: VRRPv3'; then
		pass "wire: keepalived's VRRPv3 advert copy carries TOS 0xe0 and keeps TTL 255"
	else
		fail "wire: VRRP copy: $(tr '\n' ' ' < "$W/vrrp.wire")"
	fi
	ka_stop sA
	if wait_vips "0 1" 60 $KA $KB; then
		pass "VRRP: the master stops, the backup takes over ($TOOK s)"
	else
		fail "VRRP: after the master stopped, VIP holders $(vips $KA $KB), want the backup only"
	fi
	ka_start $KA sA
	if wait_vips "1 0" 90 $KA $KB; then
		pass "VRRP: the master returns and takes the VIP back (preempt, $TOOK s)"
	else
		fail "VRRP: after the master returned, VIP holders $(vips $KA $KB): $(grep -E 'STATE' "$W/sA.log" | tail -2 | tr '\n' ' ')"
	fi
	n=$(restored $KB 10.0.50.1 0)
	if [ "${n:-0}" -gt 0 ]; then
		pass "VRRP: multic_admin -P on the backup counts the master's adverts ($n restored)"
	else
		fail "VRRP: multic_admin -P on the backup shows no advert restored"
	fi
	ka_stop sA sB
	kill $swpid; wait $swpid
	info "segment switch: $(cat "$W/sw.json" 2>/dev/null) (multicast frames dropped, as a cloud subnet does)"
}

T0=$SECONDS
setup_network
check_conntrack
round off
judge_off
info "negative control round took $((SECONDS - T0)) s"
T1=$SECONDS
configure_proxy_cli
round on
judge_on
info "proxied round took $((SECONDS - T1)) s"
T1=$SECONDS
if have keepalived; then
	vrrp_across_router
	cleanup_network
	vrrp_on_segment
	info "VRRP took $((SECONDS - T1)) s"
fi
cleanup_network
# Keep the applications' own output next to the case log, for diagnosis.
mkdir -p "$RESULTS/05_apps" && find "$W" -maxdepth 1 -type f ! -name 'payload*' -exec cp {} "$RESULTS/05_apps/" \;
rm -rf "$W"
info "case took $((SECONDS - T0)) s"

case_done
