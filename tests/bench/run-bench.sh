#!/bin/bash
# Runs inside the test VM (as a case of guest-main.sh, see make bench).
# Reports, side by side in one run, copies per second made by the proxy
# against an application that fans out itself with sendmmsg, for 1, 16 and
# 128 members and 64, 512 and 1400-byte datagrams; and the cost of the hook
# for traffic it does not match (module loaded vs not). Ratios, not timings,
# are the result: TCG makes absolute numbers meaningless.
. "$VMDIR/lib.sh"
load_modules || { echo "FAIL: bench: modules do not load"; exit 1; }
BIN=$RESULTS/fanout
gcc -O2 -o "$BIN" "$REPO/tests/bench/fanout.c" 2>/dev/null || cc -O2 -o "$BIN" "$REPO/tests/bench/fanout.c"
N=${BENCH_COUNT:-2000}

rate() { awk '{ printf "%.0f", $1 / $2 }'; }

make_network 1
# Members are addresses behind the router that drop what they receive
# (blackhole on the router): we measure the sender, not the receivers.
in_ns "$NS_RTR" ip route add blackhole 10.77.0.0/16
members() { local i; for i in $(seq "$1"); do echo "10.77.$((i / 250)).$((i % 250 + 1))"; done; }
echo "members size  proxy_copies/s  app_sendmmsg/s  ratio"
for m in 1 16 128; do
	in_ns "$NS_SND" $TOOL genl server clear
	in_ns "$NS_SND" $TOOL genl server add 239.9.0.1 "$(members "$m" | paste -sd,)"
	for size in 64 512 1400; do
		# Copies counted by the module itself, over the sender's wall time.
		before=$(in_ns "$NS_SND" $TOOL genl server stats | json "['tx_packets']")
		seconds=$(in_ns "$NS_SND" "$BIN" group 239.9.0.1 7000 $((N / m + 10)) "$size" | awk '{ print $2 }')
		after=$(in_ns "$NS_SND" $TOOL genl server stats | json "['tx_packets']")
		proxy=$(awk -v c=$((after - before)) -v s="$seconds" 'BEGIN { printf "%.0f", c / s }')
		app=$(in_ns "$NS_SND" "$BIN" unicast 7000 $((N / m + 10)) "$size" $(members "$m") | rate)
		ratio=$(awk -v a="$proxy" -v b="$app" 'BEGIN { printf "%.2f", a / b }')
		printf '%7s %5s %15s %15s %6s\n' "$m" "$size" "$proxy" "$app" "$ratio"
		echo "PASS: bench: members=$m size=$size proxy/app copy rate ratio $ratio"
	done
done
in_ns "$NS_SND" $TOOL genl server clear
# Alternate loaded and unloaded runs and keep the best of each, so that a
# busy moment of the machine does not decide the ratio.
best_with=0 best_without=0
for round in 1 2 3; do
	r=$(in_ns "$NS_SND" "$BIN" unicast 7000 "$N" 512 10.77.0.1 | rate)
	[ "$r" -gt "$best_with" ] && best_with=$r
	rmmod rust_mcast_server
	r=$(in_ns "$NS_SND" "$BIN" unicast 7000 "$N" 512 10.77.0.1 | rate)
	[ "$r" -gt "$best_without" ] && best_without=$r
	load_modules
done
echo "PASS: bench: unmatched UDP with the hook / without: $(awk -v a="$best_with" -v b="$best_without" 'BEGIN { printf "%.2f", a / b }') ($best_with vs $best_without datagrams/s, best of 3)"
cleanup_network

case_done
