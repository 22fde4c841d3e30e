#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Writes the SysV init script of one service from the one template both
# share (init.d/mcast-service.in):
#
#   sh init.d/render.sh multis|multic OUTFILE
#
# The two services differ only in the names and the two values below.
set -eu
role=${1:?usage: render.sh multis|multic OUTFILE}
out=${2:?usage: render.sh multis|multic OUTFILE}
case $role in
multis)
	set -- MULTIS rust_mcast_server multi_server multis_admin multi_server.json \
		sending "multicast groups" group_ip -S \
		'^[[:space:]]*[0-9]+([.][0-9]+){3}[[:space:]]*$'
	;;
multic)
	set -- MULTIC rust_mcast_client multi_client multic_admin multi_client.json \
		receiving "server entries" server_ip -L \
		'^Configure Multicast Server [0-9]+:'
	;;
*)
	echo "render.sh: unknown service '$role' (multis or multic)" >&2
	exit 2
	;;
esac
# '|' separates the sed expressions: no value contains it.
sed -e "s|@NAME@|$role|g" -e "s|@PREFIX@|$1|g" -e "s|@MODULE@|$2|g" \
	-e "s|@LEGACY@|$3|g" -e "s|@CLI@|$4|g" -e "s|@CONF@|$5|g" \
	-e "s|@SIDE@|$6|g" -e "s|@ENTRIES@|$7|g" -e "s|@ENTRY_KEY@|$8|g" \
	-e "s|@LIST_OPTION@|$9|g" -e "s|@LISTED_ENTRY_RE@|${10}|g" \
	"$(dirname "$0")/mcast-service.in" >"$out.tmp"
chmod 0755 "$out.tmp"
mv "$out.tmp" "$out"
