#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Builds one rust_mcast kernel module from this source tree; DKMS calls it
# (see dkms.conf), and so does packaging/rpm/build-rpms.sh for a prebuilt
# module.
#
#   sh dkms-make.sh build MODULE KERNEL_RELEASE KERNEL_BUILD_DIR [VAR=value...]
#   sh dkms-make.sh clean
#
# A Rust module builds only against a kernel configured with CONFIG_RUST=y,
# and only with exactly the rustc that built that kernel (anything else fails
# with error E0514). The script checks both first and says what is wrong. It
# picks the compiler in this order:
#   1. $RUSTC, if set (passed on to make);
#   2. the rustup toolchain named after the kernel's rustc version
#      (e.g. 1.78.0), if rustup has it installed;
#   3. `rustc` on PATH.
# A kernel built with clang (CONFIG_CC_IS_CLANG) gets LLVM=1.
# The module ends up as ./MODULE.ko, where dkms.conf looks for it.
set -eu

die() {
	echo "dkms-make.sh: $*" >&2
	exit 1
}

clean() {
	find . \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.rmeta' -o -name '*.d' \
		-o -name Module.symvers -o -name modules.order \) -type f -exec rm -f {} +
}

case ${1:-} in
clean)
	clean
	exit 0
	;;
build)
	[ $# -ge 4 ] || die "usage: dkms-make.sh build MODULE KERNEL_RELEASE KERNEL_BUILD_DIR [VAR=value...]"
	module=$2 kver=$3 kdir=$4
	shift 4
	# DKMS appends make variables of its own (CC=clang LD=ld.lld for a
	# kernel built with clang): passed on to make.
	for var in "$@"; do
		case $var in *=*) ;; *) die "not a make variable: $var" ;; esac
	done
	;;
*)
	die "usage: dkms-make.sh {build MODULE KERNEL_RELEASE KERNEL_BUILD_DIR [VAR=value...]|clean}"
	;;
esac

[ -d "$kdir" ] || die "no kernel build tree at $kdir: install the build files (kernel-devel / linux-headers) of kernel $kver"
config=$kdir/.config
[ -f "$config" ] || config=$kdir/include/config/auto.conf
[ -f "$config" ] || die "$kdir has neither .config nor include/config/auto.conf: not a configured kernel build tree"
grep -q '^CONFIG_RUST=y' "$config" ||
	die "kernel $kver was built without CONFIG_RUST=y: $module is a Rust module and cannot be built for it"

llvm=
grep -q '^CONFIG_CC_IS_CLANG=y' "$config" && llvm=LLVM=1

# The rustc that built the kernel, e.g. "rustc 1.78.0 (9b00956e5 2024-04-29)"
# (6.12 and later record it; older kernels only the numeric version).
want=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"$/\1/p' "$config")
want_num=$(sed -n 's/^CONFIG_RUSTC_VERSION=\([0-9]*\)$/\1/p' "$config")
if [ -z "$want" ] && [ -n "$want_num" ]; then
	# major * 100000 + minor * 100 + patch
	want_ver=$((want_num / 100000)).$((want_num / 100 % 1000)).$((want_num % 100))
else
	want_ver=$(printf '%s\n' "$want" | sed -n 's/^rustc \([0-9][0-9.]*\).*/\1/p')
fi

# rustc as the kernel's make will run it: from the kernel tree, where a
# rustup proxy ignores this tree's rust-toolchain.toml.
rustc_version() {
	(cd "$kdir" && RUSTUP_AUTO_INSTALL=0 "$@" --version 2>/dev/null) || :
}
matches() {
	if [ -n "$want" ]; then
		[ "$1" = "$want" ]
	else
		case $1 in "rustc $want_ver"*) return 0 ;; esac
		return 1
	fi
}

rustc_var=
if [ -n "${RUSTC:-}" ]; then
	have=$(rustc_version "$RUSTC")
	rustc_var="RUSTC=$RUSTC"
else
	have=
	if [ -n "$want_ver" ] && command -v rustup >/dev/null 2>&1; then
		have=$(rustc_version env RUSTUP_TOOLCHAIN="$want_ver" rustc)
		if [ -n "$have" ] && matches "$have"; then
			RUSTUP_TOOLCHAIN=$want_ver
			export RUSTUP_TOOLCHAIN
		else
			have=
		fi
	fi
	[ -n "$have" ] || have=$(rustc_version rustc)
fi
[ -n "$have" ] || die "no rustc found (set RUSTC, or install the rustc that built kernel $kver${want:+: $want})"
if [ -n "$want$want_ver" ] && ! matches "$have"; then
	die "kernel $kver was built with ${want:-rustc $want_ver} but the compiler found is $have; a module must be built with exactly the kernel's rustc (error E0514 otherwise). Install that toolchain (e.g. rustup toolchain install $want_ver) or set RUSTC to it."
fi

echo "dkms-make.sh: building $module for $kver with $have${llvm:+ ($llvm)}"
# MCAST_MODULES limits the top-level Kbuild to this one module.
# shellcheck disable=SC2086 # $llvm and $rustc_var are empty or one word
make -C "$kdir" M="$PWD" MCAST_MODULES="$module" $llvm $rustc_var "$@" modules

if [ ! -f "./$module.ko" ]; then
	built=$(find . -name "$module.ko" -type f | head -n 1)
	[ -n "$built" ] || die "the build finished but produced no $module.ko"
	cp "$built" "./$module.ko"
fi
