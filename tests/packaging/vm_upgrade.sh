#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# shellcheck disable=SC2016 # the bash -c bodies are single-quoted on purpose
# Runs inside a test VM (called by vm_service.sh): a host of the old
# multicast_proxy tool upgrades with `rpm -Uvh`, scriptlets running, and
# starts the packaged service.
#
#   bash tests/packaging/vm_upgrade.sh RPM_DIR OLD_RPM_DIR
#
# RPM_DIR holds the new RPMs built with prebuilt modules for the VM's
# kernel; OLD_RPM_DIR the stand-ins of the old packages (old_tool/). The
# guest's / is an overlay on the host's root, so installing into it is
# thrown away with the VM. Prints PASS:/FAIL: lines, and the operator's
# terminal (rpm -Uvh and the first start) as "| " lines.
set -u
new=${1:?RPM_DIR} old=${2:?OLD_RPM_DIR}
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
JUDGE_LABEL="vm upgrade"
# shellcheck source=tests/packaging/vm_judge.sh
. "$(dirname "$0")/vm_judge.sh"
c() { if "${@:2}"; then ok "$1"; else no "$1"; fi; }   # c DESCRIPTION COMMAND...
# Debian's rpm adds a two-line warning that RHEL's does not print: left out.
terminal() { printf '%s\n' "$1" | grep -v '^rpm: \(RPM should not be used\|However assuming\)' | sed 's/^/| /'; }
# The services' defaults only: nothing from vm_service.sh's overrides.
for v in ADMIN CONFIG MODULE OLD_CONFIG_DIR STATE_DIR LOCK_DIR; do unset "MULTIS_$v" "MULTIC_$v"; done
svc() { out=$(service "$1" "$2" 2>&1); rc=$?; }
# Debian's rpm keeps its database under $HOME, read-only in the guest; a
# RHEL host's is under /var/lib/rpm.
rpm() { command rpm --dbpath /var/lib/rpm "$@"; }

# A RHEL-like layout: /etc/init.d is a link to /etc/rc.d/init.d (the old
# package names the first, ours the second: rpm must see one file).
if [[ ! -L /etc/init.d ]]; then
	mkdir -p /etc/rc.d && mv /etc/init.d /etc/rc.d/init.d && ln -s rc.d/init.d /etc/init.d
fi
for n in 0 1 2 3 4 5 6; do mkdir -p "/etc/rc.d/rc$n.d"; done
mkdir -p /var/lock/subsys
mkdir -p /var/lib/rpm && rpm --initdb

# The old tool, installed, configured (its CLI writes the running files;
# the startup files are older copies) and enabled with chkconfig's links.
out=$(rpm -ivh --nodeps "$old"/multi_server-1.1-1.*.rpm "$old"/multi_client-1.1-1.*.rpm 2>&1); rc=$?
t "the old tool's packages install (their scriptlets run)" 0
mkdir -p /usr/local/etc
printf '{\n  "multi_group_array":[\n    {\n      "group_ip":"239.10.0.1",\n      "member_array":[\n        "10.0.1.11",\n        "10.0.1.12"\n      ]\n    },\n    {\n      "group_ip":"224.0.0.18",\n      "member_array":[\n        "10.0.1.12"\n      ]\n    }\n  ]\n}' \
	>/usr/local/etc/multi_server_running_config
printf '{\n  "multi_group_array":[\n  ]\n}' >/usr/local/etc/multi_server_startup_config
printf '{\n  "multi_server_info_array":[\n    {\n      "server_ip":"10.0.1.10",\n      "group_ip":"239.10.0.1",\n      "client_port":5000\n    },\n    {\n      "server_ip":"10.0.1.12",\n      "group_ip":"224.0.0.18",\n      "client_port":0\n    }\n  ]\n}' \
	>/usr/local/etc/multi_client_running_config
for s in multis multic; do
	for n in 3 4 5; do ln -s ../init.d/$s /etc/rc.d/rc$n.d/S98$s; done
	for n in 0 1 2 6; do ln -s ../init.d/$s /etc/rc.d/rc$n.d/K02$s; done
done

# The upgrade, as the operator runs it.
out=$(rpm -Uvh --nodeps "$new"/multi_server-[0-9]*.rpm "$new"/multi_client-[0-9]*.rpm 2>&1); rc=$?
echo "TERMINAL: # rpm -Uvh multi_server-*.rpm multi_client-*.rpm"
terminal "$out"
t "rpm -Uvh of the new packages over the old ones, scriptlets running" 0
upgrade_out=$out
out=$(rpm -qa 'multi_*' | sort | tr '\n' ' '); rc=0
t "rpm now has only the new packages" 0 '^multi_client-2[^ ]* multi_server-2[^ ]* $'
for s in multis multic; do
	c "$s: the init script is the new one (the old package's /etc/init.d/$s went, ours stayed)" \
		grep -q 'Generated from init.d/mcast-service.in' /etc/rc.d/init.d/$s
	c "$s: SysV boot enablement kept (rc3.d/S98$s -> the new script)" \
		bash -c '[[ -L /etc/rc.d/rc3.d/S98$0 ]] && grep -q mcast-service /etc/rc.d/rc3.d/S98$0' "$s"
	c "$s: systemd boot enablement carried over (multi-user.target wants $s.service)" \
		test -e /etc/systemd/system/multi-user.target.wants/$s.service
done
c "the scriptlets say the unit was enabled as before" grep -q "enabled at boot as before" <<<"$upgrade_out"
c "old paths: /usr/local/sbin/multis_admin and multic_admin are the new CLIs" \
	bash -c '/usr/local/sbin/multis_admin -V | grep -q "2\.0" && /usr/local/sbin/multic_admin -V | grep -q "2\.0"'

# First start, as at boot or by the operator.
svc multis start
echo "TERMINAL: # service multis start"
terminal "$out"
t "multis first start imports the old running config and starts" 0 'imported 2 groups .*multi_server_running_config'
c "... and reports the VRRP group" grep -q 'group 224.0.0.18: link-local group (VRRP)' <<<"$out"
svc multic start
echo "TERMINAL: # service multic start"
terminal "$out"
t "multic first start imports the old running config and starts" 0 'imported 2 entries .*multi_client_running_config'
c "... and reports the VRRP entry with its allowance" grep -q 'entry 10.0.1.12 port 0 -> 224.0.0.18: link-local group (VRRP), imported with --allow-link-local' <<<"$out"

# The kernel and the saved files hold exactly the old configuration.
out=$(python3 - <<'PY' 2>&1
import json, subprocess
def run(*a): return json.loads(subprocess.run(a, check=True, capture_output=True, text=True).stdout)
old = json.load(open("/usr/local/etc/multi_server_running_config"))["multi_group_array"]
want = {g["group_ip"]: sorted(g["member_array"]) for g in old}
kernel = {g["group_ip"]: sorted(run("multis_admin", "-L", "-m", g["group_ip"], "--json")["member_array"])
          for g in run("multis_admin", "-S", "--json")}
saved = {g["group_ip"]: sorted(g["member_array"])
         for g in json.load(open("/etc/multicast_proxy/multi_server.json"))["multi_group_array"]}
assert kernel == want, f"kernel {kernel} != old {want}"
assert saved == want, f"file {saved} != old {want}"
old = json.load(open("/usr/local/etc/multi_client_running_config"))["multi_server_info_array"]
want = {(e["server_ip"], int(e["client_port"]), e["group_ip"]) for e in old}
kernel = {(e["server_ip"], e["client_port"], e["group_ip"]) for e in run("multic_admin", "-L", "--json")}
file = json.load(open("/etc/multicast_proxy/multi_client.json"))["multi_server_info_array"]
saved = {(e["server_ip"], e["client_port"], e["group_ip"]) for e in file}
assert kernel == want, f"kernel {kernel} != old {want}"
assert saved == want, f"file {saved} != old {want}"
vrrp = [e for e in file if e["group_ip"] == "224.0.0.18"]
assert vrrp and vrrp[0].get("allow_link_local") is True, f"VRRP entry without the allowance: {vrrp}"
print("equal")
PY
); rc=$?
t "kernel groups/entries and the saved files equal the old configuration (VRRP allowed)" 0 '^equal$'
svc multis status
echo "TERMINAL: # service multis status"
terminal "$out"
t "multis status: 2 of the file's 2 groups in the kernel" 0 'multicast groups: 2 in the kernel, 2 in /etc/multicast_proxy/multi_server.json'
c "the import marker records the import" grep -q imported /var/lib/multicast_proxy/multis.old-config-checked

# The old restore helpers still work.
out=$(/usr/local/sbin/multis_config_admin -R 2>&1); rc=$?
t "multis_config_admin -R (old helper) applies the configuration" 0
out=$(/usr/local/sbin/multic_config_admin -R 2>&1); rc=$?
t "multic_config_admin -R (old helper) applies the configuration" 0

# Re-mapping a client entry says what it was.
out=$(multic_admin -A -i 10.0.1.10 -p 5000 -m 239.10.0.2 2>&1); rc=$?
t "multic_admin re-mapping an entry names the group it had" 0 'mapped to 239.10.0.1 before; now to 239.10.0.2'
multic_admin -A -i 10.0.1.10 -p 5000 -m 239.10.0.1 >/dev/null

# reload makes the kernel equal to the file, removals included.
cp /etc/multicast_proxy/multi_server.json /tmp/multi_server.json.before
multis_admin -A -m 239.10.0.9 -j 10.0.1.99 >/dev/null
cp /tmp/multi_server.json.before /etc/multicast_proxy/multi_server.json
svc multis reload
t "multis reload -> 0" 0 'multicast groups: 2 in the kernel'
out=$(multis_admin -S 2>&1); rc=$?
c "reload removed the group the file no longer has, kept the others" \
	bash -c '[[ $1 == 0 ]] && grep -qx 239.10.0.1 <<<"$0" && ! grep -qx 239.10.0.9 <<<"$0"' "$out" "$rc"

# A restore that fails (the file holds more groups than the module takes,
# so -R refuses it before the first change): the module stays, status
# counts, stop unloads it.
echo "options rust_mcast_server max_groups=1" >/etc/modprobe.d/rust_mcast_test.conf
svc multis restart
t "multis restart with room for 1 of 2 groups -> 1, says the module stays" 1 'stays loaded'
svc multis status
t "status after the failed restore: 0 of the file's 2 groups in the kernel" 0 'multicast groups: 0 in the kernel, 2 in'
svc multis stop
t "stop after the failed restore -> 0" 0 stopped
c "... and the module is unloaded" bash -c '! lsmod | grep -q "^rust_mcast_server "'
rm -f /etc/modprobe.d/rust_mcast_test.conf
svc multis start
t "multis starts again with the whole configuration" 0 'multicast groups: 2 in the kernel'

# A module that cannot be loaded again (a DKMS build that failed during an
# upgrade): the running one is not restarted away.
ko=$(modinfo -n rust_mcast_server 2>/dev/null)
if [[ -f $ko ]]; then
	mv "$ko" "$ko.away" && depmod -a "$(uname -r)" 2>/dev/null
	svc multis restart
	t "restart without an installed module is refused" 1 'not restarting: the loaded rust_mcast_server keeps running'
	c "... and the module still runs with its groups" bash -c 'multis_admin -S | grep -qx 224.0.0.18'
	mv "$ko.away" "$ko" && depmod -a "$(uname -r)" 2>/dev/null
else
	no "modinfo -n rust_mcast_server finds no file"
fi

svc multis stop
svc multic stop
t "multic stop -> 0" 0 stopped
c "both modules unloaded" bash -c '! lsmod | grep -qE "^rust_mcast_(server|client) "'
echo "VM-UPGRADE-DONE"
