# shellcheck shell=bash disable=SC2154 # rc and out are the sourcing script's
# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the VM parts of the packaging tests (vm_service.sh,
# vm_upgrade.sh): their PASS:/FAIL: lines, which test_packaging.sh counts.
# JUDGE_LABEL names the part ("vm", "vm upgrade").
ok() { echo "PASS: $JUDGE_LABEL: $*"; }
no() { echo "FAIL: $JUDGE_LABEL: $*"; }
# t DESCRIPTION EXPECTED-RC [PATTERN]: judges the last run ($rc, $out).
t() {
	if [[ $rc != "$2" ]]; then
		no "$1 (exit $rc, expected $2: ${out//$'\n'/ | })"
	elif [[ -n ${3:-} ]] && ! grep -qE -- "$3" <<<"$out"; then
		no "$1 (no /$3/ in: ${out//$'\n'/ | })"
	else
		ok "$1"
	fi
}
