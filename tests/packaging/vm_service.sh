#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside a test VM (tests/vm/boot.sh, the host's root shared read-only): the
# init scripts against the real modules and the real CLIs.
#
#   bash tests/packaging/vm_service.sh MODULE_DIR [RPM_DIR [OLD_RPM_DIR]]
#
# With RPM_DIR, both RPMs are first installed into a scratch root and the
# init scripts and CLIs come from there. With OLD_RPM_DIR (stand-ins of the
# old tool's packages) as well, vm_upgrade.sh then upgrades the guest's
# own root (an overlay) from the old packages to these.
# MODULE_DIR holds rust_mcast_server.ko and rust_mcast_client.ko built for the
# VM's kernel. Prints PASS:/FAIL: lines, which test_packaging.sh counts.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
kos=$1
cd "$repo" || exit 1
work=$(mktemp -d)
chmod 755 "$work"   # the non-root start below reads the script from here
# The kernel's checkers, as in every VM run (tests/vm/kernel-checks.sh).
# shellcheck source=tests/vm/kernel-checks.sh
. "$repo/tests/vm/kernel-checks.sh"
dmesg -n 1 2>/dev/null   # keep the console for the test lines (kernel.log has every message)
kernel_log_start "$work/kernel.log"
kernel_log_check boot
kmemleak_forget_boot
JUDGE_LABEL="vm"
# shellcheck source=tests/packaging/vm_judge.sh
. "$(dirname "$0")/vm_judge.sh"
# Both scripts come from one template.
init_dir=$work/init.d admin_dir=$repo/target/release
mkdir -p "$init_dir"
for s in multis multic; do sh init.d/render.sh "$s" "$init_dir/$s"; done
if [[ -n ${2:-} ]]; then
	root=$work/root
	if out=$(rpm --root "$root" --initdb && rpm --root "$root" -i --nodeps --noscripts --nosignature \
		"$2"/multi_server-*.rpm "$2"/multi_client-*.rpm 2>&1); then
		ok "both RPMs install into a scratch root"
		init_dir=$root/etc/rc.d/init.d admin_dir=$root/usr/sbin
	else
		no "rpm -i into a scratch root: ${out//$'\n'/ | }"
	fi
fi
svc() { out=$(sh "$init_dir/$1" "$2" 2>&1); rc=$?; }

mkdir -p "$work/old" "$work/etc"
printf '{\n  "multi_group_array":[\n    {\n      "group_ip":"239.10.0.1",\n      "member_array":[\n        "10.0.1.11",\n        "10.0.1.12"\n      ]\n    }\n  ]\n}' \
	>"$work/old/multi_server_running_config"
printf '{\n  "multi_server_info_array":[\n    {\n      "server_ip":"10.0.1.10",\n      "group_ip":"239.10.0.1",\n      "client_port":5000\n    }\n  ]\n}' \
	>"$work/old/multi_client_startup_config"
export MULTIS_MODULE=$kos/rust_mcast_server.ko MULTIS_ADMIN=$admin_dir/multis_admin \
	MULTIS_CONFIG=$work/etc/multi_server.json MULTIS_OLD_CONFIG_DIR=$work/old \
	MULTIS_STATE_DIR=$work/state MULTIS_LOCK_DIR=$work/lock
export MULTIC_MODULE=$kos/rust_mcast_client.ko MULTIC_ADMIN=$admin_dir/multic_admin \
	MULTIC_CONFIG=$work/etc/multi_client.json MULTIC_OLD_CONFIG_DIR=$work/old \
	MULTIC_STATE_DIR=$work/state MULTIC_LOCK_DIR=$work/lock
mkdir -p "$work/lock"

# Sending side.
svc multis status;  t "multis status before start -> 3" 3
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups sh "$init_dir/multis" start 2>&1); rc=$?
t "multis start as nobody -> 4" 4 root
svc multis start;   t "multis first start imports the old running config" 0 "imported"
out=$(lsmod); rc=0; t "rust_mcast_server is loaded" 0 '^rust_mcast_server '
out=$("$MULTIS_ADMIN" -S 2>&1); rc=$?; t "the kernel has the imported group" 0 '^239\.10\.0\.1$'
svc multis status;  t "multis status running -> 0, 1 group" 0 'loaded, multicast groups: 1 in the kernel, 1 in '
svc multis start;   t "multis second start -> 0" 0 'already loaded'
out=$("$MULTIS_ADMIN" -S 2>&1); rc=$?; t "second start kept the group" 0 '^239\.10\.0\.1$'
out=$("$MULTIS_ADMIN" -A -m 239.10.0.2 -j 10.0.2.1 2>&1); rc=$?; t "multis_admin adds a group" 0
svc multis restart; t "multis restart -> 0, 2 groups restored" 0 'multicast groups: 2 in the kernel, 2 in '
out=$("$MULTIS_ADMIN" -S 2>&1); rc=$?; t "restart restored both groups into the kernel" 0 '^239\.10\.0\.2$'
svc multis reload;  t "multis reload -> 0" 0
svc multis stop;    t "multis stop -> 0" 0 stopped
out=$(lsmod); rc=0
if grep -q '^rust_mcast_server ' <<<"$out"; then no "rust_mcast_server unloaded by stop"; else ok "rust_mcast_server unloaded by stop"; fi
svc multis status;  t "multis status after stop -> 3" 3 'saved in .*: 2\)'
echo "not a module" >"$work/bogus.ko"
out=$(MULTIS_MODULE=$work/bogus.ko sh "$init_dir/multis" start 2>&1); rc=$?
t "multis start with a bad .ko -> 1 with insmod's reason" 1 'could not load .*(Invalid|format|ERROR)'

# Receiving side.
svc multic start;   t "multic first start imports the old startup config" 0 "imported"
out=$("$MULTIC_ADMIN" -L 2>&1); rc=$?; t "the kernel has the imported entry" 0 'Server IP: +10\.0\.1\.10'
svc multic status;  t "multic status running -> 0, 1 entry" 0 'loaded, server entries: 1 in the kernel, 1 in '
svc multic start;   t "multic second start -> 0" 0 'already loaded'
svc multic stop;    t "multic stop -> 0" 0 stopped
svc multic status;  t "multic status after stop -> 3" 3

# A host of the old tool upgrades (RPMs with modules prebuilt for this kernel).
if [[ -n ${3:-} ]]; then
	upgrade=$(bash "$repo/tests/packaging/vm_upgrade.sh" "$2" "$3" 2>&1)
	printf '%s\n' "$upgrade"
	grep -q '^VM-UPGRADE-DONE' <<<"$upgrade" || no "the upgrade scenario did not complete"
fi

# The end of the run: modules unloaded, a leak scan, the whole kernel log.
for m in rust_mcast_client rust_mcast_server; do
	lsmod | grep -q "^$m " && { rmmod "$m" || no "$m does not unload at the end"; }
done
kmemleak_check
kernel_log_check "the init script run"
kernel_log_verdict
kernel_log_stop
echo "VM-SERVICE-DONE"
rm -rf "$work"
