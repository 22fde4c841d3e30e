# Foundation: both modules load and unload cleanly, hook traffic and answer
# generic netlink in a namespace other than the initial one.
. "$VMDIR/lib.sh"

load_unload() {
	rmmod rust_mcast_server rust_mcast_client 2>/dev/null
	expect_ok "insmod rust_mcast_server" insmod "$MODDIR/rust_mcast_server.ko"
	expect_ok "insmod rust_mcast_client" insmod "$MODDIR/rust_mcast_client.ko"
	expect_eq "both modules listed by lsmod" "$(lsmod | grep -c '^rust_mcast_')" 2
	expect_ok "rmmod rust_mcast_server" rmmod rust_mcast_server
	expect_ok "rmmod rust_mcast_client" rmmod rust_mcast_client
	expect_eq "no module left after rmmod" "$(lsmod | grep -c '^rust_mcast_')" 0
	expect_ok "modules load again after unload" load_modules
}

families_answer_in_other_namespace() {
	local ns=fam$SUFFIX
	new_ns "$ns"; trap cleanup_network EXIT
	local out
	out=$(in_ns "$ns" $TOOL genl server stats 2>&1)
	expect_eq "server family answers in a new namespace" "$(echo "$out" | json "['tx_packets']")" 0
	out=$(in_ns "$ns" $TOOL genl client stats 2>&1)
	expect_eq "client family answers in a new namespace" "$(echo "$out" | json "['rx_packets']")" 0
	cleanup_network
}

hooks_see_namespace_traffic() {
	make_network 1
	check_conntrack
	configure_proxy 239.1.1.1 5000 1
	in_ns "$NS_SND" $TOOL send --group 239.1.1.1 --port 5000 --count 3
	local matched converted
	matched=$(in_ns "$NS_SND" $TOOL genl server stats | json "['matched']")
	expect_eq "server hook sees datagrams in a non-initial namespace" "$matched" 3
	converted=$(in_ns "$(member_ns 1)" $TOOL genl client stats | json "['rx_packets']")
	expect_eq "client hook sees copies in a non-initial namespace" "$converted" 3
	expect_eq "the initial namespace saw none of it" "$($TOOL genl server stats | json "['matched']")" 0
	cleanup_network
}

unload_under_traffic_and_changes() {
	make_network 2
	configure_proxy 239.1.1.2 5001 2
	in_ns "$NS_SND" $TOOL send --group 239.1.1.2 --port 5001 --count 3000 --interval 0.001 &
	local sender=$!
	expect_ok "20 quits and joins while copies flow" in_ns "$NS_SND" $TOOL genl server churn 239.1.1.2 "$(member_ip 2)" 20
	expect_ok "rmmod rust_mcast_server while copies flow" rmmod rust_mcast_server
	expect_ok "rmmod rust_mcast_client while copies arrive" rmmod rust_mcast_client
	wait "$sender"
	expect_eq "the sender kept working after unload" "$?" 0
	expect_ok "modules load again" load_modules
	cleanup_network
}

load_unload
families_answer_in_other_namespace
hooks_see_namespace_traffic
unload_under_traffic_and_changes

case_done
