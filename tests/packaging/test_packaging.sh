#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# shellcheck disable=SC2016 # the bash -c bodies are single-quoted on purpose
# Host-side tests of the service scripts and the packaging:
#
#   tests/packaging/test_packaging.sh [RPMDIR]
#
# 1. init.d/multis and init.d/multic: syntax under dash, headers, and every
#    action run with `sh` against fake lsmod/modprobe/insmod/rmmod/dmesg and
#    fake admin CLIs (tests/packaging/fakes), through the scripts' env
#    overrides: exit codes, double start, not root, missing module, load
#    failure, one-time import of the old tool's configuration.
# 2. systemd units, dkms.conf and dkms-make.sh.
# 3. The RPMs: taken from RPMDIR if given, else built with
#    packaging/rpm/build-rpms.sh. If the real CLIs do not build yet, that is
#    reported as SKIP and the RPM checks run on RPMs built with stub CLIs
#    (tests/packaging/stub_cli.rs). Checks: file names, contents, config
#    file, requires, scriptlets (also run against fakes), rpmlint errors.
#    PACKAGING_TEST_REQUIRE_REAL=1 turns that SKIP into a FAIL;
#    PACKAGING_TEST_STUBS=1 runs the stub build as well.
# 4. With KDIR set (a CONFIG_RUST kernel build tree) and dkms installed: a
#    DKMS build of each packaged module source in a private DKMS tree.
#    KDIR also reaches build-rpms.sh, so the RPMs then carry prebuilt
#    modules, which is checked too.
# 5. With PACKAGING_TEST_VM=1 and KDIR: the init scripts
#    run in a VM against the real modules and CLIs (tests/packaging/
#    vm_service.sh): import, start/status/stop, double start, restart
#    restoring the configuration, a bad .ko, a non-root start. Then the
#    upgrade (vm_upgrade.sh): stand-ins of the old tool's packages
#    (old_tool/), configured and enabled with chkconfig links, upgraded
#    with rpm -Uvh (scriptlets running); the packaged service starts with
#    the old configuration in the kernel and in its file.
#
# Prints PASS:/FAIL: per check (SKIP: for what cannot run here), then
# "N passed, N failed"; exits 1 if anything failed.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fakes=$repo/tests/packaging/fakes
rpmdir_arg=${1:-}
cd "$repo" || exit 1
export PATH="$HOME/.cargo/bin:$PATH"

passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; }
# check DESCRIPTION COMMAND...: PASS if the command succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/test_packaging.XXXXXX")
trap 'rm -rf "$work"' EXIT

version=$(awk '
	/^\[/ { section = $0; next }
	section == "[workspace.package]" && $1 == "version" {
		v = $0; sub(/^[^"]*"/, "", v); sub(/".*$/, "", v); print v; exit
	}' Cargo.toml)
version=${version//-/\~}

# Role table: service, env prefix, module, legacy module, admin, config,
# old-config prefix, package, JSON array key, JSON entry key, kernel list
# option.
roles=(multis multic)
declare -A P=([multis]=MULTIS [multic]=MULTIC)
declare -A MOD=([multis]=rust_mcast_server [multic]=rust_mcast_client)
declare -A LEGACY=([multis]=multi_server [multic]=multi_client)
declare -A ADMIN=([multis]=multis_admin [multic]=multic_admin)
declare -A CONF=([multis]=multi_server.json [multic]=multi_client.json)
declare -A PKG=([multis]=multi_server [multic]=multi_client)
declare -A ARRAY=([multis]=multi_group_array [multic]=multi_server_info_array)

# Old-tool style configuration with N entries (json-c layout).
old_config() {   # ROLE N [FIRST-OCTET]
	local role=$1 n=$2 o=${3:-1} i sep
	if [[ $role == multis ]]; then
		printf '{\n  "multi_group_array":['
		for ((i = 1; i <= n; i++)); do
			sep=,; ((i == n)) && sep=
			printf '\n    {\n      "group_ip":"239.%d.0.%d",\n      "member_array":[\n        "10.0.1.11"\n      ]\n    }%s' "$o" "$i" "$sep"
		done
	else
		printf '{\n  "multi_server_info_array":['
		for ((i = 1; i <= n; i++)); do
			sep=,; ((i == n)) && sep=
			printf '\n    {\n      "server_ip":"10.%d.0.%d",\n      "group_ip":"239.1.1.1",\n      "client_port":5000\n    }%s' "$o" "$i" "$sep"
		done
	fi
	printf '\n  ]\n}'
}
empty_config() { printf '{\n  "%s":[\n  ]\n}' "${ARRAY[$1]}"; }
# Entries (groups or client entries) in a configuration file.
declare -A KEY=([multis]=group_ip [multic]=server_ip)
saved_entries_in() { grep -o "\"${KEY[$1]}\"" "$2" | wc -l; }   # ROLE FILE

# ---------------------------------------------------------------------------
# 1. init scripts: static checks
# ---------------------------------------------------------------------------
# Both scripts come from one template; the tests run the rendered scripts.
initd=$work/init.d
mkdir -p "$initd"
for role in "${roles[@]}"; do
	check "init.d/render.sh renders $role" sh init.d/render.sh "$role" "$initd/$role"
done
out=$(sh init.d/render.sh bogus "$work/bogus" 2>&1); rc=$?
expect_early() { if [[ $rc == "$1" ]] && grep -q -- "$2" <<<"$out"; then pass "$3"; else fail "$3 (exit $rc: $out)"; fi; }
expect_early 2 "unknown service" "init.d/render.sh refuses an unknown service"
check "one init script template: no per-service copies in init.d/" \
	bash -c '[[ ! -e init.d/multis && ! -e init.d/multic && -f init.d/mcast-service.in ]]'
check "the rendered scripts have no placeholder left" bash -c '! grep -n "@[A-Z_]*@" "$0"/multis "$0"/multic' "$initd"
for role in "${roles[@]}"; do
	s=$initd/$role
	check "$s: parses under dash -n" dash -n "$s"
	check "$s: executable, #!/bin/sh" bash -c '[[ -x $0 && $(head -n1 $0) == "#!/bin/sh" ]]' "$s"
	check "$s: chkconfig header 345 98 02" grep -qx '# chkconfig: 345 98 02' "$s"
	check "$s: LSB header with Provides: $role" bash -c \
		'sed -n "/^### BEGIN INIT INFO/,/^### END INIT INFO/p" $0 | grep -qE "^# Provides: +$1\$"' "$s" "$role"
	if command -v shellcheck >/dev/null; then
		check "$s: shellcheck -s sh clean" shellcheck -s sh "$s"
	else
		skip "$s: shellcheck not installed"
	fi
	check "$s: sources the RHEL functions only if present" grep -q '^if \[ -f "${'"${P[$role]}"'_FUNCTIONS' "$s"
done

# ---------------------------------------------------------------------------
# 1b. init scripts: behaviour against fakes
# ---------------------------------------------------------------------------
# The real CLIs do the imports (tests/packaging/fakes hand --import over):
# what they accept and report is part of the behaviour under test.
real_admin_dir=
if cargo build --release -p multis_admin -p multic_admin >"$work/cargo-early.log" 2>&1; then
	real_admin_dir=$(cargo metadata --no-deps --format-version 1 |
		sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release
	pass "the real CLIs build for the init script tests"
elif [[ -n ${PACKAGING_TEST_REQUIRE_REAL:-} ]]; then
	fail "the real CLIs do not build: the init script imports fall back to the fakes"
else
	skip "the real CLIs do not build: the init script imports fall back to the fakes"
fi
# run ROLE ACTION [VAR=VALUE...]: runs the script with sh; sets $rc, $out
# (stdout+stderr). Each role has a sandbox under $work/<role>.
run() {
	local role=$1 action=$2 p=${P[$1]} sb=$work/$1
	shift 2
	out=$(env PATH="$fakes:$PATH" FAKE_STATE="$sb/state" REAL_ADMIN_DIR="$real_admin_dir" \
		"${p}_ADMIN=$fakes/${ADMIN[$role]}" \
		"${p}_CONFIG=$sb/etc/${CONF[$role]}" \
		"${p}_OLD_CONFIG_DIR=$sb/old" \
		"${p}_STATE_DIR=$sb/var/lib" \
		"${p}_LOCK_DIR=$sb/lock" \
		"${p}_FUNCTIONS=$sb/no-functions" \
		"${p}_UID=0" \
		"$@" sh "$initd/$role" "$action" 2>&1)
	rc=$?
}
reset_sandbox() {   # ROLE: module installed, nothing loaded, no config
	local sb=$work/$1
	rm -rf "$sb"
	mkdir -p "$sb/state" "$sb/etc" "$sb/old" "$sb/lock"
	echo "${MOD[$1]}" >"$sb/state/available"
	: >"$sb/state/loaded"
	: >"$sb/state/calls"
}
loaded() { grep -qx "$2" "$work/$1/state/loaded"; }
called() { grep -qF -- "$2" "$work/$1/state/calls"; }
ncalls() { grep -cF -- "$2" "$work/$1/state/calls"; }
first_call() {   # ROLE GREP-ARGS...: line number of the first matching call
	local role=$1
	shift
	grep -n "$@" "$work/$role/state/calls" | head -n 1 | cut -d: -f1
}
expect() {   # DESCRIPTION EXPECTED-RC [GREP-PATTERN-IN-OUTPUT]
	local desc=$1 want=$2 pat=${3:-}
	if [[ $rc != "$want" ]]; then
		fail "$desc (exit $rc, expected $want; output: ${out//$'\n'/ | })"
	elif [[ -n $pat ]] && ! grep -qE -- "$pat" <<<"$out"; then
		fail "$desc (output lacks /$pat/: ${out//$'\n'/ | })"
	else
		pass "$desc"
	fi
}

for role in "${roles[@]}"; do
	p=${P[$role]} mod=${MOD[$role]} sb=$work/$role
	old_prefix=${LEGACY[$role]}
	cfg=$sb/etc/${CONF[$role]}
	reset_sandbox "$role"

	run "$role" bogus
	expect "$role: unknown action -> usage, exit 2" 2 'Usage:'
	run "$role" status
	expect "$role: status while stopped -> exit 3" 3 'stopped'
	run "$role" status "${p}_UID=1000"
	expect "$role: status works for non-root (exit 3 when stopped)" 3 'stopped'
	run "$role" start "${p}_UID=1000"
	expect "$role: start as non-root -> exit 4 with a root message" 4 'root'
	check "$role: non-root start touched nothing" bash -c '! [ -s "$0" ]' "$sb/state/loaded"
	run "$role" stop "${p}_UID=1000"
	expect "$role: stop as non-root -> exit 4" 4 'root'

	# Module missing.
	: >"$sb/state/available"
	run "$role" start
	expect "$role: start without the module installed -> exit 5" 5 "$mod is not installed"
	echo "$mod" >"$sb/state/available"
	run "$role" start "${p}_MODULE=$sb/nowhere/$mod.ko"
	expect "$role: start with ${p}_MODULE naming a missing file -> exit 5" 5 'does not exist'
	run "$role" start "${p}_ADMIN=$sb/nowhere/${ADMIN[$role]}"
	expect "$role: start without the admin CLI -> exit 5" 5 'missing'

	# Module fails to load: exit 1 with the kernel's reason.
	echo "[  1.0] $mod: Unknown symbol nf_register_net_hook (err -2)" >"$sb/state/dmesg"
	run "$role" start FAKE_LOAD_ERROR="Unknown symbol in module"
	expect "$role: module load failure -> exit 1 with modprobe's reason" 1 'Unknown symbol in module'
	check "$role: load failure also shows the kernel log line" grep -q 'kernel: .*nf_register_net_hook' <<<"$out"
	check "$role: load failure leaves no lock file" test ! -e "$sb/lock/$role"
	rm -f "$sb/state/dmesg"

	# First start: imports the old tool's running config (preferred over
	# startup), loads the module, applies the config.
	reset_sandbox "$role"
	old_config "$role" 2 1 >"$sb/old/${old_prefix}_running_config"
	old_config "$role" 1 2 >"$sb/old/${old_prefix}_startup_config"
	run "$role" start
	expect "$role: first start with old config -> exit 0, says it imported" 0 "$role: imported .*from .*${old_prefix}_running_config"
	check "$role: import used ${ADMIN[$role]} --import on the running file" \
		called "$role" "${ADMIN[$role]} --import $sb/old/${old_prefix}_running_config"
	check "$role: imported config is now the current config" cmp -s "$cfg" "$sb/old/${old_prefix}_running_config"
	li=$(first_call "$role" -F -- --import) lm=$(first_call "$role" -xF "modprobe $mod")
	lr=$(first_call "$role" -xF "${ADMIN[$role]} -R")
	check "$role: import came before the module load, -R after it" \
		test "${li:-0}" -gt 0 -a "${lm:-0}" -gt "${li:-0}" -a "${lr:-0}" -gt "${lm:-0}"
	check "$role: module loaded after start" loaded "$role" "$mod"
	check "$role: lock file created" test -e "$sb/lock/$role"
	check "$role: old tool's files left in place" test -f "$sb/old/${old_prefix}_running_config"
	run "$role" status
	expect "$role: status while running -> exit 0 with the entry counts" 0 "running \\($mod loaded, [a-z ]+: 2 in the kernel, 2 in "

	# Second start is harmless.
	run "$role" start
	expect "$role: second start -> exit 0, config applied again" 0 'already loaded'
	check "$role: second start did not load the module again" test "$(ncalls "$role" "modprobe $mod")" -eq 1
	check "$role: second start ran -R again" test "$(ncalls "$role" "${ADMIN[$role]} -R")" -eq 2
	check "$role: second start did not import again" test "$(ncalls "$role" "--import")" -eq 1
	check "$role: config intact after the second start" cmp -s "$cfg" "$sb/old/${old_prefix}_running_config"

	run "$role" reload
	expect "$role: reload while running -> exit 0" 0 'running'
	check "$role: reload re-applied the config without unloading" \
		bash -c '[ "$(grep -c -- " -R" "$0")" -eq 3 ] && ! grep -q "^rmmod" "$0"' "$sb/state/calls"
	run "$role" force-reload
	expect "$role: force-reload while running -> exit 0" 0

	run "$role" stop
	expect "$role: stop -> exit 0" 0 'stopped'
	check "$role: module unloaded" bash -c '! grep -qx "$1" "$0"' "$sb/state/loaded" "$mod"
	check "$role: lock file removed" test ! -e "$sb/lock/$role"
	check "$role: config kept on stop" cmp -s "$cfg" "$sb/old/${old_prefix}_running_config"
	run "$role" status
	expect "$role: status after stop -> exit 3, counts the saved entries" 3 'not loaded; [a-z ]+ saved in .*: 2\)'
	run "$role" stop
	expect "$role: stop while stopped -> exit 0" 0 'not loaded'
	run "$role" reload
	expect "$role: reload while stopped -> exit 7" 7 'not running'
	run "$role" try-restart
	expect "$role: try-restart while stopped -> exit 0, stays stopped" 0
	check "$role: try-restart did not start it" bash -c '! grep -qx "$1" "$0"' "$sb/state/loaded" "$mod"
	run "$role" restart
	expect "$role: restart from stopped -> exit 0, running" 0 'running'
	check "$role: restart loaded the module" loaded "$role" "$mod"
	run "$role" restart
	expect "$role: restart while running -> exit 0" 0 'running'
	check "$role: restart unloaded and reloaded" test "$(ncalls "$role" "rmmod $mod")" -eq 2

	# A stale lock without the module: LSB status 2.
	run "$role" stop
	touch "$sb/lock/$role"
	run "$role" status
	expect "$role: status with a stale lock file -> exit 2" 2 'stopped'
	rm -f "$sb/lock/$role"

	# Exact module-name match: the old tool's module is not ours.
	echo "$old_prefix" >"$sb/state/loaded"
	run "$role" status
	expect "$role: status ignores the old tool's module $old_prefix (exact name match)" 3
	run "$role" start
	expect "$role: start unloads the old tool's module first" 0 "unloading the old tool's module $old_prefix"
	check "$role: old module gone, new one loaded" bash -c \
		'! grep -qx "$1" "$0" && grep -qx "$2" "$0"' "$sb/state/loaded" "$old_prefix" "$mod"

	# rmmod failure is reported, not ignored.
	run "$role" stop FAKE_RMMOD_ERROR="is in use"
	expect "$role: stop when rmmod fails -> exit 1 with the reason" 1 'is in use'
	check "$role: failed stop keeps the lock file" test -e "$sb/lock/$role"
	run "$role" stop

	# Restore failure: the module stays, status counts, stop unloads it.
	run "$role" start FAKE_RESTORE_RC=3
	expect "$role: start when -R fails -> exit 1" 1 'exit status 3'
	check "$role: ... says the module stays loaded and how to stop it" grep -q "stays loaded.*stop' to unload" <<<"$out"
	check "$role: ... and the module is still loaded" loaded "$role" "$mod"
	run "$role" status
	expect "$role: status after a failed restore says how many of the file's entries the kernel has" 0 ": [0-9]+ in the kernel, 2 in "
	run "$role" stop
	expect "$role: stop after a failed restore -> exit 0" 0 'stopped'
	check "$role: ... and unloads the module" bash -c '! grep -qx "$1" "$0"' "$sb/state/loaded" "$mod"

	# A restart that could not load the module again is refused: the
	# running one stays (a DKMS build that failed during an upgrade).
	run "$role" start
	: >"$sb/state/available"
	run "$role" restart
	expect "$role: restart while the module is not installed -> exit 1, not restarted" 1 'not restarting: the loaded'
	check "$role: ... the running module stays loaded" loaded "$role" "$mod"
	run "$role" try-restart
	expect "$role: try-restart (the upgrade's) likewise keeps it" 1 'not restarting'
	check "$role: ... still loaded" loaded "$role" "$mod"
	echo "$mod" >"$sb/state/available"
	run "$role" stop

	# The import happens once: a later empty config is not refilled.
	empty_config "$role" >"$cfg"
	run "$role" start
	expect "$role: start after the config was emptied -> exit 0" 0
	check "$role: no second import once the marker exists" test "$(ncalls "$role" "--import")" -eq 1
	run "$role" stop

	# Only a startup file: it is imported.
	reset_sandbox "$role"
	old_config "$role" 3 4 >"$sb/old/${old_prefix}_startup_config"
	run "$role" start
	expect "$role: only the old startup file -> imported" 0 "${old_prefix}_startup_config"
	check "$role: startup file content is now current" cmp -s "$cfg" "$sb/old/${old_prefix}_startup_config"
	run "$role" status
	expect "$role: status counts the 3 imported entries" 0 ": 3 in the kernel, 3 in "

	# Existing new config with entries wins over old files.
	reset_sandbox "$role"
	old_config "$role" 1 5 >"$cfg"
	old_config "$role" 2 6 >"$sb/old/${old_prefix}_running_config"
	run "$role" start
	expect "$role: new config with entries -> old files not imported" 0 'not importing'
	check "$role: ... and --import was not called" test "$(ncalls "$role" "--import")" -eq 0
	check "$role: ... and the new config is unchanged" cmp -s "$cfg" <(old_config "$role" 1 5)

	# The packaged empty config counts as "no config": import happens.
	reset_sandbox "$role"
	empty_config "$role" >"$cfg"
	old_config "$role" 2 7 >"$sb/old/${old_prefix}_running_config"
	run "$role" start
	expect "$role: packaged empty config + old files -> imported" 0 'imported'

	# An old file the CLI rejects: start still succeeds, says what to do,
	# leaves no marker, and the next start tries again.
	reset_sandbox "$role"
	echo INVALID >"$sb/old/${old_prefix}_running_config"
	run "$role" start
	expect "$role: invalid old config -> start still exit 0, with a warning" 0 "could not import"
	check "$role: ... the warning names the --import command to rerun" grep -q -- "--import $sb/old/${old_prefix}_running_config" <<<"$out"
	check "$role: ... and the module is loaded" loaded "$role" "$mod"
	check "$role: ... and no import marker is written" test ! -e "$sb/var/lib/$role.old-config-checked"
	old_config "$role" 2 3 >"$sb/old/${old_prefix}_running_config"
	run "$role" restart
	expect "$role: the next start retries the failed import, now fixed" 0 "$role: imported "
	check "$role: ... the file has it" test "$(saved_entries_in "$role" "$cfg")" = 2
	check "$role: ... and now the marker is written" test -e "$sb/var/lib/$role.old-config-checked"
	run "$role" stop

	# Nothing to import: the marker says so, and no import is tried.
	reset_sandbox "$role"
	run "$role" start
	check "$role: no old files -> marker written, no --import" \
		bash -c '[ -e "$0" ] && ! grep -q -- --import "$1"' "$sb/var/lib/$role.old-config-checked" "$sb/state/calls"

	# The old tool's module is left running when ours cannot be loaded.
	reset_sandbox "$role"
	: >"$sb/state/available"
	echo "$old_prefix" >"$sb/state/loaded"
	run "$role" start
	expect "$role: start without our module while the old one runs -> exit 5" 5 "$old_prefix stays loaded"
	check "$role: ... the old tool's module is still loaded" loaded "$role" "$old_prefix"

	# VRRP (224.0.0.18), which the old tool took without a flag, comes
	# across; the real CLI's report says so.
	reset_sandbox "$role"
	if [[ $role == multis ]]; then
		printf '{"multi_group_array":[{"group_ip":"224.0.0.18","member_array":["10.0.1.12"]}]}' \
			>"$sb/old/${old_prefix}_running_config"
		vrrp_said='group 224.0.0.18: link-local group \(VRRP\)'
	else
		printf '{"multi_server_info_array":[{"server_ip":"10.0.1.12","group_ip":"224.0.0.18","client_port":0}]}' \
			>"$sb/old/${old_prefix}_running_config"
		vrrp_said='entry 10.0.1.12 port 0 -> 224.0.0.18: link-local group \(VRRP\), imported with --allow-link-local'
	fi
	run "$role" start
	if [[ -n $real_admin_dir ]]; then
		expect "$role: an old VRRP configuration is imported and the report says so" 0 "$role: $vrrp_said"
		if [[ $role == multic ]]; then
			check "$role: ... the VRRP entry is saved with its allowance" grep -q '"allow_link_local":true' "$cfg"
		fi
	else
		skip "$role: VRRP import: needs the real CLIs"
	fi

	# A .ko given by env: insmod instead of modprobe.
	reset_sandbox "$role"
	: >"$sb/state/available"
	mkdir -p "$sb/ko" && : >"$sb/ko/$mod.ko"
	run "$role" start "${p}_MODULE=$sb/ko/$mod.ko"
	expect "$role: ${p}_MODULE=FILE.ko -> insmod, exit 0" 0
	check "$role: insmod used with the given file" called "$role" "insmod $sb/ko/$mod.ko"
	check "$role: modprobe not used" bash -c '! grep -q "^modprobe" "$0"' "$sb/state/calls"
	run "$role" status "${p}_MODULE=$sb/ko/$mod.ko"
	expect "$role: status with ${p}_MODULE -> exit 0" 0 'running'
	run "$role" start "${p}_MODULE=$sb/ko/$mod.ko"
	expect "$role: second start with ${p}_MODULE -> exit 0" 0 'already loaded'
	run "$role" stop "${p}_MODULE=$sb/ko/$mod.ko"
	expect "$role: stop with ${p}_MODULE -> exit 0" 0
	check "$role: module unloaded by name" called "$role" "rmmod $mod"

	# No /var/lock/subsys: works without a lock file.
	reset_sandbox "$role"
	run "$role" start "${p}_LOCK_DIR=$sb/no-lock-dir"
	expect "$role: start without a lock directory -> exit 0" 0
	check "$role: ... and created no lock directory" test ! -e "$sb/no-lock-dir"
done

# ---------------------------------------------------------------------------
# 2. systemd units, DKMS configuration
# ---------------------------------------------------------------------------
for role in "${roles[@]}"; do
	u=packaging/systemd/$role.service
	for line in Type=oneshot RemainAfterExit=yes "ExecStart=/etc/rc.d/init.d/$role start" \
		"ExecStop=/etc/rc.d/init.d/$role stop" "ExecReload=/etc/rc.d/init.d/$role reload" \
		WantedBy=multi-user.target; do
		check "$u: $line" grep -qx "$line" "$u"
	done
	if command -v systemd-analyze >/dev/null; then
		mkdir -p "$work/units"
		sed "s|/etc/rc.d/init.d/$role|$initd/$role|" "$u" >"$work/units/$role.service"
		check "$u: systemd-analyze verify" systemd-analyze verify --man=no "$work/units/$role.service"
	else
		skip "$u: systemd-analyze not available"
	fi

	mod=${MOD[$role]}
	c=packaging/dkms/$mod.dkms.conf
	check "$c: sourced values" bash -c '
		kernelver=6.12.0 kernel_source_dir=/k
		PACKAGE_VERSION=; . "$0"
		[[ $PACKAGE_NAME == "$1" && $PACKAGE_VERSION == @VERSION@ &&
		   ${BUILT_MODULE_NAME[0]} == "$1" && -n ${DEST_MODULE_LOCATION[0]} &&
		   ${MAKE[0]} == "sh ./dkms-make.sh build $1 6.12.0 /k" &&
		   $AUTOINSTALL == yes && $BUILD_EXCLUSIVE_CONFIG == CONFIG_RUST ]]' "$c" "$mod"
	check "$c: CLEAN=\"true\" (deprecated since DKMS 3.1.8, which accepts only true silently)" \
		grep -qx 'CLEAN="true"' "$c"
	check "$u: Documentation=man:${ADMIN[$role]}(8)" grep -qx "Documentation=man:${ADMIN[$role]}(8)" "$u"
	check "$u: a failed start is cleaned up (ExecStopPost runs stop unless the start succeeded)" \
		grep -qF "ExecStopPost=/bin/sh -c '[ \"\$SERVICE_RESULT\" = success ] || exec /etc/rc.d/init.d/$role stop'" "$u"
done
mk=packaging/dkms/dkms-make.sh
check "$mk: parses under dash -n" dash -n "$mk"
mkdir -p "$work/k-norust" "$work/k-oldrust" "$work/modsrc"
echo '# CONFIG_RUST is not set' >"$work/k-norust/.config"
printf 'CONFIG_RUST=y\nCONFIG_RUSTC_VERSION_TEXT="rustc 1.2.3 (000000000 2020-01-01)"\n' >"$work/k-oldrust/.config"
out=$(cd "$work/modsrc" && sh "$repo/$mk" build rust_mcast_server 6.12.0 "$work/k-norust" 2>&1); rc=$?
expect "$mk: kernel without CONFIG_RUST -> refused with a reason" 1 'without CONFIG_RUST=y'
out=$(cd "$work/modsrc" && RUSTC=rustc sh "$repo/$mk" build rust_mcast_server 6.12.0 "$work/k-oldrust" 2>&1); rc=$?
expect "$mk: rustc differing from the kernel's -> refused, naming both" 1 'built with rustc 1.2.3 .*compiler found is rustc|no rustc found'
out=$(sh "$repo/$mk" build 2>&1); rc=$?
expect "$mk: wrong arguments -> usage" 1 'usage'
out=$(cd "$work/modsrc" && sh "$repo/$mk" build rust_mcast_server 6.12.0 "$work/k-norust" stray 2>&1); rc=$?
expect "$mk: an extra argument that is not a make variable -> refused" 1 'not a make variable: stray'

# ---------------------------------------------------------------------------
# 3. RPMs
# ---------------------------------------------------------------------------
rpm_checks() {   # DIR LABEL
	local dir=$1 label=$2 role pkg rpm arch list scripts reqs x
	arch=$(rpm --eval '%{_arch}')
	for role in "${roles[@]}"; do
		pkg=${PKG[$role]} mod=${MOD[$role]} cli=${ADMIN[$role]}
		rpm=$dir/$pkg-$version-1.$arch.rpm
		if [[ ! -f $rpm ]]; then
			fail "$label: $pkg-$version-1.$arch.rpm exists (have: $(cd "$dir" && echo *.rpm))"
			continue
		fi
		pass "$label: $pkg-$version-1.$arch.rpm exists"
		list=$(rpm -qpl "$rpm" 2>/dev/null)
		for x in "/usr/sbin/$cli" "/etc/rc.d/init.d/$role" "/usr/lib/systemd/system/$role.service" \
			"/etc/multicast_proxy/${CONF[$role]}" "/usr/share/bash-completion/completions/$cli" \
			"/usr/src/$mod-$version/dkms.conf" "/usr/src/$mod-$version/dkms-make.sh" \
			"/usr/src/$mod-$version/Kbuild" "/usr/src/$mod-$version/kernel_glue" \
			"/usr/src/$mod-$version/rust_mcast_server" "/usr/src/$mod-$version/rust_mcast_client" \
			"/usr/src/$mod-$version/mcast_shared/src/lib.rs" "/var/lib/multicast_proxy" \
			"/usr/local/sbin/$cli" "/usr/local/sbin/${role}_config_admin"; do
			check "$label: $pkg contains $x" grep -qx -- "$x" <<<"$list"
		done
		check "$label: $pkg contains a man page for $cli" grep -qE "^/usr/share/man/man[1-9]/$cli\\.[1-9]" <<<"$list"
		if [[ -n ${KDIR:-} && -z $rpmdir_arg ]]; then
			check "$label: $pkg contains $mod prebuilt for KDIR's kernel" \
				grep -qE "^/lib/modules/[^/]+/extra/$mod\\.ko$" <<<"$list"
		fi
		check "$label: $pkg has no build output in the DKMS source" \
			bash -c '! grep -E "\\.(o|ko|cmd|mod|mod\\.c)$|/Module\\.symvers$" <<<"$0" | grep -q "^/usr/src"' "$list"
		check "$label: $pkg License is GPL-2.0-only" test "$(rpm -qp --qf '%{LICENSE}' "$rpm")" = GPL-2.0-only
		check "$label: $pkg config is %config(noreplace)" bash -c \
			'rpm -qp --qf "[%{FILEFLAGS:fflags} %{FILENAMES}\n]" "$0" | grep -qx "cn $1"' \
			"$rpm" "/etc/multicast_proxy/${CONF[$role]}"
		check "$label: $pkg declares the config's lock file %ghost" bash -c \
			'rpm -qp --qf "[%{FILEFLAGS:fflags} %{FILENAMES}\n]" "$0" | grep -qx "g $1"' \
			"$rpm" "/etc/multicast_proxy/${CONF[$role]}.lock"
		check "$label: $pkg keeps the old CLI path /usr/local/sbin/$cli as a link to /usr/sbin/$cli" bash -c \
			'rpm -qp --qf "[%{FILENAMES} -> %{FILELINKTOS}\n]" "$0" | grep -qx "/usr/local/sbin/$1 -> /usr/sbin/$1"' \
			"$rpm" "$cli"
		check "$label: $pkg init script and CLI are mode 0755" bash -c \
			'rpm -qp --qf "[%{FILEMODES:perms} %{FILENAMES}\n]" "$0" | grep -qx -- "-rwxr-xr-x $1" &&
			 rpm -qp --qf "[%{FILEMODES:perms} %{FILENAMES}\n]" "$0" | grep -qx -- "-rwxr-xr-x $2"' \
			"$rpm" "/etc/rc.d/init.d/$role" "/usr/sbin/$cli"

		mkdir -p "$work/x/$pkg"
		(cd "$work/x/$pkg" && rpm2cpio "$rpm" | cpio -idm --quiet 2>/dev/null)
		check "$label: $pkg default config is the empty json-c layout, no trailing newline" \
			cmp -s "$work/x/$pkg/etc/multicast_proxy/${CONF[$role]}" <(empty_config "$role")
		check "$label: $pkg dkms.conf carries version $version" \
			grep -qx "PACKAGE_VERSION=\"$version\"" "$work/x/$pkg/usr/src/$mod-$version/dkms.conf"
		check "$label: $pkg packs the init script rendered from the template" \
			cmp -s "$work/x/$pkg/etc/rc.d/init.d/$role" "$initd/$role"

		reqs=$(rpm -qp --requires "$rpm" 2>/dev/null)
		check "$label: $pkg requires kmod" grep -qx kmod <<<"$reqs"
		check "$label: $pkg requires /bin/sh" grep -qx /bin/sh <<<"$reqs"
		check "$label: $pkg recommends dkms" grep -qx dkms <<<"$(rpm -qp --recommends "$rpm" 2>/dev/null)"

		scripts=$(rpm -qp --scripts "$rpm" 2>/dev/null)
		for x in "chkconfig --add $role" "systemctl --no-reload preset $role.service" \
			"systemctl daemon-reload" "dkms add -m $mod -v $version" "dkms install -m $mod -v $version" \
			"chkconfig --del $role" "systemctl --no-reload disable $role.service" \
			"/etc/rc.d/init.d/$role stop" "dkms remove -m $mod -v $version --all" \
			"systemctl try-restart $role.service" "/etc/rc.d/init.d/$role try-restart"; do
			check "$label: $pkg scriptlets run '$x'" grep -qF -- "$x" <<<"$scripts"
		done
		scriptlet_runs "$rpm" "$label: $pkg" "$role" "$mod"
	done

	if command -v rpmlint >/dev/null; then
		local lint
		lint=$(rpmlint -c packaging/rpm/rpmlint.toml "$dir"/*.rpm 2>&1)
		if grep -qE ' 0 errors, ' <<<"$lint"; then
			pass "$label: rpmlint reports no errors ($(grep -oE '[0-9]+ warnings' <<<"$lint"))"
		else
			fail "$label: rpmlint reports errors: $(grep -E ': E: |errors' <<<"$lint" | tr '\n' ' ')"
		fi
	else
		skip "$label: rpmlint not installed"
	fi
}

# Runs the package's scriptlets with fake systemctl/chkconfig/dkms/depmod/
# uname and checks what they called.
scriptlet_runs() {   # RPM LABEL ROLE MODULE
	local rpm=$1 label=$2 role=$3 mod=$4 tag d calls
	d=$work/scriptlets/$role
	mkdir -p "$d/sysv" "$d/systemd"
	for tag in POSTIN PREUN POSTUN POSTTRANS; do
		rpm -qp --qf "%{$tag}" "$rpm" >"$d/$tag.sh" 2>/dev/null
	done
	for x in chkconfig dkms depmod uname; do
		ln -sf "$fakes/logcall" "$d/sysv/$x"
		ln -sf "$fakes/logcall" "$d/systemd/$x"
	done
	ln -sf "$fakes/logcall" "$d/systemd/systemctl"
	for x in lsmod modprobe; do
		ln -sf "$fakes/$x" "$d/sysv/$x"
		ln -sf "$fakes/$x" "$d/systemd/$x"
	done
	for x in grep sed; do
		ln -sf "$(command -v $x)" "$d/sysv/$x"
		ln -sf "$(command -v $x)" "$d/systemd/$x"
	done
	# $1, init flavour, dkms install exit status
	sl() {
		: >"$d/calls"
		out=$(env -i PATH="$d/$2" FAKE_STATE="$d" FAKE_DKMS_INSTALL_RC="${4:-0}" \
			/bin/sh "$d/$1.sh" "$3" 2>&1)
		rc=$?
		calls=$(cat "$d/calls")
	}
	sl POSTIN sysv 1
	check "$label: %post on SysV (no systemctl): chkconfig --add, dkms add + install, exit 0" \
		bash -c '[[ $0 == 0 ]] && grep -qx "chkconfig --add $1" <<<"$2" &&
			grep -q "^dkms add -m $3" <<<"$2" && grep -q "^dkms install -m $3 .* -k 6.12.0-fake" <<<"$2"' \
		"$rc" "$role" "$calls" "$mod"
	sl POSTIN systemd 1
	check "$label: %post with systemd: preset, no chkconfig" \
		bash -c 'grep -qx "systemctl --no-reload preset $1.service" <<<"$0" && ! grep -q chkconfig <<<"$0"' \
		"$calls" "$role"
	sl POSTIN systemd 2
	check "$label: %post on upgrade: no preset (keeps the admin's choice)" \
		bash -c '! grep -q preset <<<"$0"' "$calls"
	sl POSTIN sysv 1 77
	check "$label: %post on a kernel without CONFIG_RUST: says so, exit 0" \
		bash -c '[[ $0 == 0 ]] && grep -q "no CONFIG_RUST" <<<"$1"' "$rc" "$out"
	sl POSTIN sysv 1 10
	check "$label: %post when the DKMS build fails: points at README.dkms, exit 0" \
		bash -c '[[ $0 == 0 ]] && grep -q "README.dkms" <<<"$1"' "$rc" "$out"
	check "$label: ... and says the running module stays and how to restart later" \
		bash -c 'grep -q "keeps running ($1 is not restarted).*dkms install $2/.*service $1 restart" <<<"$0"' "$out" "$role" "$mod"
	# %posttrans: a running module whose successor is not installed stays.
	echo "$mod" >"$d/loaded"; : >"$d/available"
	sl POSTTRANS sysv 0
	check "$label: %posttrans with the new module missing: no restart, says so, exit 0" \
		bash -c '[[ $0 == 0 ]] && ! grep -q restart <<<"$1" && grep -q "not restarted: $3 is not installed" <<<"$2"' \
		"$rc" "$calls" "$out" "$mod"
	echo "$mod" >"$d/available"
	sl POSTTRANS systemd 0
	check "$label: %posttrans with the new module installed: goes on to restart (no refusal)" \
		bash -c 'grep -q "modprobe -n -q $2" <<<"$0" && ! grep -q "not restarted" <<<"$1"' "$calls" "$out" "$mod"
	echo "${LEGACY[$role]}" >"$d/loaded"
	sl POSTTRANS sysv 0
	check "$label: %posttrans after the old tool: tells how to switch over" \
		bash -c 'grep -q "old tool.s module $1 is still running.*service $2 start" <<<"$0"' "$out" "${LEGACY[$role]}" "$role"
	: >"$d/loaded"
	# A host where `chkconfig $role on` made rc links: the unit is enabled.
	if unshare -m true 2>/dev/null && [[ -d /etc/rc3.d ]]; then
		: >"$d/calls"
		out=$(unshare -m --propagation private bash -c '
			mount -t tmpfs none /etc/rc3.d && ln -s ../init.d/$1 /etc/rc3.d/S98$1 &&
			env -i PATH="$2/systemd" FAKE_STATE="$2" FAKE_IS_ENABLED_RC=1 /bin/sh "$2/POSTIN.sh" 2' _ "$role" "$d" 2>&1)
		calls=$(cat "$d/calls")
		check "$label: %post on upgrade of a chkconfig-enabled host with systemd: enables the unit, says so" \
			bash -c 'grep -qx "systemctl --no-reload enable $1.service" <<<"$0" && grep -q "enabled at boot as before" <<<"$2"' \
			"$calls" "$role" "$out"
	else
		skip "$label: %post with chkconfig links: needs unshare -m (root) and /etc/rc3.d"
	fi
	sl PREUN sysv 0
	check "$label: %preun on erase: chkconfig --del, dkms remove, exit 0" \
		bash -c '[[ $0 == 0 ]] && grep -qx "chkconfig --del $1" <<<"$2" && grep -q "^dkms remove -m $3 .*--all" <<<"$2"' \
		"$rc" "$role" "$calls" "$mod"
	sl PREUN systemd 0
	check "$label: %preun on erase with systemd: disable" \
		bash -c 'grep -qx "systemctl --no-reload disable $1.service" <<<"$0"' "$calls" "$role"
	sl PREUN sysv 1
	check "$label: %preun on upgrade: no deregistration, old DKMS version removed" \
		bash -c '! grep -q chkconfig <<<"$0" && grep -q "^dkms remove" <<<"$0"' "$calls"
	sl POSTUN sysv 1
	check "$label: %postun on upgrade: exit 0" test "$rc" = 0
	sl POSTUN sysv 0
	check "$label: %postun on erase: exit 0, no restart" \
		bash -c '[[ $0 == 0 ]] && ! grep -q restart <<<"$1"' "$rc" "$calls"
}

if ! command -v rpmbuild >/dev/null || ! command -v rpm2cpio >/dev/null; then
	skip "RPM checks: rpmbuild/rpm2cpio not installed (apt-get install rpm)"
elif [[ -n $rpmdir_arg ]]; then
	rpm_checks "$(cd "$rpmdir_arg" && pwd)" "RPMs in $rpmdir_arg"
else
	out=$(packaging/rpm/build-rpms.sh 2>&1); rc=$?
	expect "build-rpms.sh without OUTDIR -> usage error" 1 'usage'

	# The CLIs are written concurrently: while they do not build or cannot
	# generate their documentation yet, the real build is a SKIP (a FAIL
	# with PACKAGING_TEST_REQUIRE_REAL=1) and stub CLIs stand in.
	not_ready() {
		if [[ -n ${PACKAGING_TEST_REQUIRE_REAL:-} ]]; then fail "$*"; else skip "$*; checking RPMs built with stub CLIs instead"; fi
	}
	real_ok=0
	if cargo build --release -p multis_admin -p multic_admin >"$work/cargo.log" 2>&1; then
		if out=$(packaging/rpm/build-rpms.sh "$work/rpms" 2>&1); then
			pass "build-rpms.sh builds both RPMs with the real CLIs"
			real_ok=1
			rpm_checks "$work/rpms" "real RPMs"
		elif grep -qE 'build-rpms: error: .*(cargo build|--generate-(man|completions))' <<<"$out"; then
			not_ready "RPM build with the real CLIs: they are not ready ($(grep -m1 'build-rpms: error' <<<"$out"))"
		else
			fail "build-rpms.sh with the real CLIs: $(tail -n 5 <<<"$out" | tr '\n' ' ')"
		fi
	else
		not_ready "RPM build with the real CLIs: 'cargo build --release -p multis_admin -p multic_admin' fails ($(grep -m1 -E '^error' "$work/cargo.log"))"
	fi
	if ((real_ok == 0)) || [[ -n ${PACKAGING_TEST_STUBS:-} ]]; then
		if command -v rustc >/dev/null; then
			mkdir -p "$work/stubcli"
			rustc -O -o "$work/stubcli/multis_admin" tests/packaging/stub_cli.rs 2>"$work/rustc.log" &&
				cp "$work/stubcli/multis_admin" "$work/stubcli/multic_admin"
			if out=$(MCAST_CLI_BINDIR=$work/stubcli packaging/rpm/build-rpms.sh "$work/rpms-stub" 2>&1); then
				pass "build-rpms.sh builds both RPMs (stub CLIs)"
				check "build-rpms.sh also wrote the module source tarball" \
					test -s "$work/rpms-stub/rust_mcast_modules-$version.tar.gz"
				rpm_checks "$work/rpms-stub" "stub-CLI RPMs"
			else
				fail "build-rpms.sh with stub CLIs: $(tail -n 5 <<<"$out" | tr '\n' ' ')"
			fi
		else
			skip "RPM checks with stub CLIs: rustc not found"
		fi
	fi
fi

# ---------------------------------------------------------------------------
# 4. DKMS build of the packaged source (needs KDIR and dkms)
# ---------------------------------------------------------------------------
rpms_for_dkms=${rpmdir_arg:-}
[[ -z $rpms_for_dkms && ${real_ok:-0} == 1 ]] && rpms_for_dkms=$work/rpms
[[ -z $rpms_for_dkms && -d $work/rpms-stub ]] && rpms_for_dkms=$work/rpms-stub
if [[ -z ${KDIR:-} ]]; then
	skip "DKMS build: set KDIR to a CONFIG_RUST kernel build tree to run it"
elif ! command -v dkms >/dev/null; then
	skip "DKMS build: dkms not installed"
elif [[ -z $rpms_for_dkms ]]; then
	skip "DKMS build: no RPMs"
else
	kver=$(cat "$KDIR/include/config/kernel.release" 2>/dev/null || make -s -C "$KDIR" kernelrelease)
	for role in "${roles[@]}"; do
		pkg=${PKG[$role]} mod=${MOD[$role]} root=$work/dkms-$role
		mkdir -p "$root/tree"
		(cd "$root" && rpm2cpio "$rpms_for_dkms/$pkg-$version"-1.*.rpm | cpio -idm --quiet 2>/dev/null)
		dk=(--sourcetree "$root/usr/src" --dkmstree "$root/tree")
		if dkms add -m "$mod" -v "$version" "${dk[@]}" >"$root/log" 2>&1 &&
			dkms build -m "$mod" -v "$version" -k "$kver" --kernelsourcedir "$KDIR" "${dk[@]}" >>"$root/log" 2>&1 &&
			[[ -f $root/tree/$mod/$version/$kver/$(uname -m)/module/$mod.ko ]]; then
			pass "DKMS builds $mod $version from $pkg for $kver"
		else
			fail "DKMS build of $mod from $pkg: $(tail -n 5 "$root/log" | tr '\n' ' ') $(tail -n 5 "$root/tree/$mod/$version/build/make.log" 2>/dev/null | tr '\n' ' ')"
		fi
	done
fi

# ---------------------------------------------------------------------------
# 5. The init scripts in a VM with the real modules and CLIs (opt-in)
# ---------------------------------------------------------------------------
if [[ -z ${PACKAGING_TEST_VM:-} ]]; then
	skip "VM run of the init scripts: set PACKAGING_TEST_VM=1 (with KDIR) to run it (about a minute)"
elif [[ -z ${KDIR:-} ]] || ! command -v qemu-system-x86_64 >/dev/null; then
	fail "VM run of the init scripts: needs KDIR and QEMU (qemu-system-x86_64)"
elif ! cargo build --release -p multis_admin -p multic_admin >"$work/cargo-vm.log" 2>&1; then
	fail "VM run of the init scripts: the CLIs do not build"
else
	vm=$work/vm
	mkdir -p "$vm"
	# The RPMs built above (real CLIs) are installed in the guest when present.
	vm_rpms="" old_rpms=""
	ls "$work"/rpms/multi_server-*.rpm >/dev/null 2>&1 && vm_rpms=$work/rpms
	# The upgrade scenario needs the new RPMs with modules prebuilt for KDIR
	# (section 3 builds them so when KDIR is set) and the old tool's stand-ins.
	if [[ -n $vm_rpms ]] && tests/packaging/old_tool/build-old-rpms.sh "$work/old-rpms" >"$work/old-rpms.log" 2>&1; then
		old_rpms=$work/old-rpms
	else
		fail "VM upgrade scenario: no new RPMs, or the old tool's stand-in RPMs do not build: $(tail -n 3 "$work/old-rpms.log" 2>/dev/null | tr '\n' ' ')"
	fi
	cp -R Kbuild kernel_glue rust_mcast_server rust_mcast_client "$vm/" 2>/dev/null
	mkdir -p "$vm/mcast_shared" && cp -R mcast_shared/src "$vm/mcast_shared/"
	cp packaging/dkms/dkms-make.sh "$vm/"
	kver=$(cat "$KDIR/include/config/kernel.release")
	if (cd "$vm" && sh dkms-make.sh clean && for m in rust_mcast_server rust_mcast_client; do
		sh dkms-make.sh build "$m" "$kver" "$KDIR" || exit 1; done) >"$work/vm-build.log" 2>&1; then
		debug_kernel=0
		grep -q '^CONFIG_DEBUG_KMEMLEAK=y' "$KDIR/.config" && debug_kernel=1
		# The console carries kernel lines too; they start with "[", not PASS/FAIL.
		vmout=$("$repo/tests/vm/boot.sh" "$KDIR" "$work/vm-results" 1800 \
			"MCAST_VM_DEBUG_KERNEL=$debug_kernel bash $repo/tests/packaging/vm_service.sh $vm $vm_rpms $old_rpms" </dev/null 2>&1)
		while IFS= read -r line; do
			case $line in
			PASS:*) pass "${line#PASS: }" ;;
			FAIL:*) fail "${line#FAIL: }" ;;
			esac
		done <<<"$vmout"
		printf '%s\n' "$vmout" > "${PACKAGING_VM_LOG:-/tmp/mcast-packaging-vm.log}"
		grep -q '^VM-SERVICE-DONE' <<<"$vmout" ||
			fail "VM run did not complete: $(tail -n 5 <<<"$vmout" | tr '\n' ' ')"
	else
		fail "VM run: building the modules against KDIR failed: $(tail -n 3 "$work/vm-build.log" | tr '\n' ' ')"
	fi
fi

echo "$passed passed, $failed failed"
((failed == 0))
