#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the stand-ins of the old tool's packages (multi_server-1.1-1 and
# multi_client-1.1-1, see old_tool.spec) into OUTDIR, for the upgrade test:
#   tests/packaging/old_tool/build-old-rpms.sh OUTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-old-rpms.sh OUTDIR}
mkdir -p "$out"
top=$(mktemp -d)
trap 'rm -rf "$top"' EXIT
for pair in server:multis client:multic; do
	rpmbuild -bb --quiet --define "_topdir $top" --define "side ${pair%%:*}" \
		--define "svc ${pair##*:}" "$here/old_tool.spec" >&2
done
find "$top/RPMS" -name '*.rpm' -exec cp {} "$out/" \;
ls "$out"/multi_server-1.1-1.*.rpm "$out"/multi_client-1.1-1.*.rpm
