#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the multi_server and multi_client RPMs (and the module source
# tarball they carry for DKMS) into OUTDIR:
#
#   packaging/rpm/build-rpms.sh OUTDIR
#
# Steps: cargo build of multis_admin and multic_admin (release); their man
# pages and shell completions from the hidden --generate-man and
# --generate-completions options; a tarball of the module sources; optionally
# the two modules prebuilt against $KDIR; one staged Source0 per package;
# rpmbuild with a private _topdir (never ~/.rpmmacros); rpmlint if installed.
#
# Output: OUTDIR/multi_server-<version>-<release>.<arch>.rpm,
#         OUTDIR/multi_client-<version>-<release>.<arch>.rpm,
#         OUTDIR/rust_mcast_modules-<version>.tar.gz
# <version> is [workspace.package] version in Cargo.toml.
#
# Environment:
#   KDIR             build tree of a CONFIG_RUST kernel: also build both
#                    modules against it and ship them prebuilt in
#                    /lib/modules/<its release>/extra/ (DKMS still ships)
#   RPM_RELEASE      release number (1)
#   RPM_PACKAGER     Packager tag (Multicast proxy maintainers)
#   RPM_URL          URL tag (none)
#   MCAST_CLI_BINDIR take multis_admin and multic_admin from this directory
#                    instead of building them (binaries built elsewhere,
#                    e.g. cross builds; the host tests use it with stubs)
set -euo pipefail

say() { printf 'build-rpms: %s\n' "$*" >&2; }
die() { printf 'build-rpms: error: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 1 && -n $1 ]] || die "usage: packaging/rpm/build-rpms.sh OUTDIR"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mkdir -p "$1"
outdir=$(cd "$1" && pwd)
cd "$repo"   # rust-toolchain.toml applies to cargo from here
export PATH="$HOME/.cargo/bin:$PATH"

command -v rpmbuild >/dev/null || die "rpmbuild not found (Debian: apt-get install rpm)"

# --- version -----------------------------------------------------------------
version=$(awk '
	/^\[/ { section = $0; next }
	section == "[workspace.package]" && $1 == "version" {
		v = $0; sub(/^[^"]*"/, "", v); sub(/".*$/, "", v); print v; exit
	}' Cargo.toml)
[[ -n $version ]] || die "no version in [workspace.package] of $repo/Cargo.toml"
# RPM versions cannot hold '-': a semver pre-release (2.1.0-rc.1) becomes
# 2.1.0~rc.1, which RPM sorts before 2.1.0.
version=${version//-/\~}
[[ $version =~ ^[0-9A-Za-z.+~_]+$ ]] || die "version '$version' is not usable as an RPM version"
release=${RPM_RELEASE:-1}
say "version $version, release $release"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/build-rpms.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# --- the two CLIs ------------------------------------------------------------
if [[ -n ${MCAST_CLI_BINDIR:-} ]]; then
	bindir=$(cd "$MCAST_CLI_BINDIR" && pwd)
	say "CLIs: using prebuilt binaries from $bindir (MCAST_CLI_BINDIR)"
else
	command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) to build the CLIs"
	say "CLIs: cargo build --release -p multis_admin -p multic_admin"
	cargo build --release -p multis_admin -p multic_admin ||
		die "cargo build of multis_admin and multic_admin failed: both crates must build (and be workspace members) before packaging"
	target_dir=$(cargo metadata --no-deps --format-version 1 |
		sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
	bindir=${target_dir:-$repo/target}/release
fi
for cli in multis_admin multic_admin; do
	[[ -x $bindir/$cli ]] || die "$bindir/$cli is missing or not executable"
done

# Man pages and completions from the CLI's own definition.
# Sets have_zsh / have_fish for the spec.
generate_docs() {   # CLI STAGEDIR
	local cli=$1 stage=$2 gen=$tmp/gen-$1 f
	mkdir -p "$gen/man" "$gen/comp" "$stage/man" "$stage/completions"
	"$bindir/$cli" --generate-man "$gen/man" >/dev/null ||
		die "$cli --generate-man failed"
	"$bindir/$cli" --generate-completions "$gen/comp" >/dev/null ||
		die "$cli --generate-completions failed"
	while IFS= read -r -d '' f; do
		cp "$f" "$stage/man/"
	done < <(find "$gen/man" -type f -name "$cli*.[1-9]" -print0)
	compgen -G "$stage/man/$cli.[1-9]" >/dev/null ||
		die "$cli --generate-man wrote no $cli.<section> page into $gen/man"
	have_zsh=0 have_fish=0
	while IFS= read -r -d '' f; do
		case ${f##*/} in
		*.bash|"$cli")	cp "$f" "$stage/completions/$cli.bash" ;;
		_"$cli")	cp "$f" "$stage/completions/_$cli"; have_zsh=1 ;;
		*.fish)		cp "$f" "$stage/completions/$cli.fish"; have_fish=1 ;;
		esac
	done < <(find "$gen/comp" -type f -print0)
	[[ -f $stage/completions/$cli.bash ]] ||
		die "$cli --generate-completions wrote no bash completion ($cli.bash) into $gen/comp"
}

# --- module sources for DKMS -------------------------------------------------
src_paths=(Kbuild Makefile rust-toolchain.toml rust_mcast_server rust_mcast_client
	kernel_glue mcast_shared/src patch)
existing=()
for p in "${src_paths[@]}"; do [[ -e $p ]] && existing+=("$p"); done
for p in Kbuild rust_mcast_server rust_mcast_client kernel_glue; do
	[[ -e $p ]] || die "module source $p is missing from $repo"
done
is_build_output() {
	case ${1##*/} in
	*.o|*.ko|*.mod|*.mod.c|*.cmd|*.rmeta|*.d|*.a|*.so|Module.symvers|modules.order) return 0 ;;
	esac
	return 1
}
list_sources() {
	if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# tracked and untracked-but-not-ignored files: what a checkout holds
		git -C "$repo" ls-files -z -co --exclude-standard -- "${existing[@]}"
	else
		find "${existing[@]}" -type f -print0
	fi
}
modsrc=$tmp/rust_mcast_modules-$version
mkdir -p "$modsrc"
while IFS= read -r -d '' f; do
	[[ -f $f ]] || continue            # deleted in the worktree
	is_build_output "$f" && continue
	mkdir -p "$modsrc/$(dirname "$f")"
	cp -p "$f" "$modsrc/$f"
done < <(list_sources)
cp packaging/dkms/dkms-make.sh packaging/dkms/README.dkms "$modsrc/"
tar --sort=name --owner=0 --group=0 --numeric-owner -C "$tmp" \
	-czf "$outdir/rust_mcast_modules-$version.tar.gz" "rust_mcast_modules-$version"
say "module sources: $outdir/rust_mcast_modules-$version.tar.gz ($(find "$modsrc" -type f | wc -l) files)"

# --- optional prebuilt modules -------------------------------------------------
prebuilt_kver=
if [[ -n ${KDIR:-} ]]; then
	[[ -d $KDIR ]] || die "KDIR=$KDIR is not a directory"
	if [[ -f $KDIR/include/config/kernel.release ]]; then
		prebuilt_kver=$(<"$KDIR/include/config/kernel.release")
	else
		prebuilt_kver=$(make -s -C "$KDIR" kernelrelease)
	fi
	[[ -n $prebuilt_kver ]] || die "cannot tell the kernel release of KDIR=$KDIR"
	cp -R "$modsrc" "$tmp/kbuild"
	for m in rust_mcast_server rust_mcast_client; do
		say "prebuilt module: $m for $prebuilt_kver"
		(cd "$tmp/kbuild" && sh ./dkms-make.sh build "$m" "$prebuilt_kver" "$KDIR") >&2 ||
			die "building $m against KDIR=$KDIR failed"
	done
fi

# --- one staged Source0 per package, then rpmbuild --------------------------------
top=$tmp/rpmbuild
mkdir -p "$top/SOURCES"
license=packaging/COPYING
for f in LICENSE COPYING; do [[ -f $f ]] && license=$f && break; done

stage_package() {   # NAME SERVICE CLI MODULE CONFIG-KEY CONFIG-FILE
	local name=$1 svc=$2 cli=$3 kmod=$4 key=$5 conf=$6
	local stage=$tmp/stage/$name-$version
	mkdir -p "$stage"/{bin,init.d,systemd,config,dkms,compat}
	install -m 0755 "$bindir/$cli" "$stage/bin/$cli"
	# No debuginfo package (cargo built it, not rpmbuild): ship it stripped.
	if command -v strip >/dev/null; then strip "$stage/bin/$cli"; fi
	generate_docs "$cli" "$stage"
	sh init.d/render.sh "$svc" "$stage/init.d/$svc"
	install -m 0755 packaging/compat/config_admin "$stage/compat/${svc}_config_admin"
	install -m 0644 "packaging/systemd/$svc.service" "$stage/systemd/$svc.service"
	# The empty configuration, laid out as the CLI (and json-c) write it:
	# no trailing newline.
	printf '{\n  "%s":[\n  ]\n}' "$key" >"$stage/config/$conf"
	cp -R "$modsrc/." "$stage/dkms/"
	sed "s/@VERSION@/$version/g" "packaging/dkms/$kmod.dkms.conf" >"$stage/dkms/dkms.conf"
	cp packaging/dkms/README.dkms "$stage/README.dkms"
	cp "$license" "$stage/COPYING"
	if [[ -n $prebuilt_kver ]]; then
		mkdir -p "$stage/kmod"
		cp "$tmp/kbuild/$kmod.ko" "$stage/kmod/$kmod.ko"
	fi
	tar --sort=name --owner=0 --group=0 --numeric-owner -C "$tmp/stage" \
		-czf "$top/SOURCES/$name-$version.tar.gz" "$name-$version"

	local defines=(
		--define "_topdir $top"
		--define "pkg_version $version"
		--define "pkg_release $release"
		--define "packager ${RPM_PACKAGER:-Multicast proxy maintainers}"
		# xz payload: readable by every rpm since RHEL 6 (zstd is not).
		--define "_binary_payload w6.xzdio"
		# Debian's brp-compress says #!/bin/sh but needs bash (read -d).
		--define "__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}"
		--define "have_zsh_completion $have_zsh"
		--define "have_fish_completion $have_fish"
	)
	[[ -n $prebuilt_kver ]] && defines+=(--define "prebuilt_kver $prebuilt_kver")
	[[ -n ${RPM_URL:-} ]] && defines+=(--define "pkg_url $RPM_URL")
	say "rpmbuild $name"
	rpmbuild -bb --quiet "${defines[@]}" "packaging/rpm/$name.spec" >&2 ||
		die "rpmbuild of $name failed"
}

stage_package multi_server multis multis_admin rust_mcast_server multi_group_array multi_server.json
stage_package multi_client multic multic_admin rust_mcast_client multi_server_info_array multi_client.json

rpms=()
while IFS= read -r -d '' f; do
	cp "$f" "$outdir/"
	rpms+=("$outdir/${f##*/}")
done < <(find "$top/RPMS" -name '*.rpm' -print0)
((${#rpms[@]} == 2)) || die "expected 2 RPMs, rpmbuild made ${#rpms[@]}"

# --- rpmlint -------------------------------------------------------------------
if command -v rpmlint >/dev/null; then
	lint=$(rpmlint -c packaging/rpm/rpmlint.toml "${rpms[@]}" 2>&1) || :
	printf '%s\n' "$lint" >&2
	summary=$(printf '%s\n' "$lint" | grep -E '[0-9]+ errors?, [0-9]+ warnings?' | tail -n 1)
	[[ $summary =~ ([0-9]+)\ errors? ]] || die "could not read rpmlint's summary"
	((BASH_REMATCH[1] == 0)) || die "rpmlint reports errors (see above)"
else
	say "rpmlint not installed: skipping the lint"
fi

printf '%s\n' "${rpms[@]}"
