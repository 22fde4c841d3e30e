#!/usr/bin/env bash
# Builds (or reuses) a test kernel from Debian's linux-source-6.12, built with
# the pinned rustc. Usage: scripts/build-kernel.sh [lean|debug]
#   lean   tinyconfig + patch/kernel-config.fragment, GCC (make demo, bench)
#   debug  the same + patch/kernel-debug.fragment (KASAN, lockdep, kmemleak,
#          ...), LLVM=1 as KASAN with Rust needs clang in 6.12 (make test)
# The build is cached under $MCAST_CACHE, keyed by everything it depends on:
# kernel source version, fragments, compilers, bindgen and this script.
# Prints the build directory (usable as KDIR) on stdout; modules built against
# a debug kernel need LLVM=1 (scripts/kbuild-flags.sh prints it).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '==> %s\n' "$*" >&2; }
export PATH="$HOME/.cargo/bin:$PATH"
cd "$here"   # so rustup picks rust-toolchain.toml

CACHE=${MCAST_CACHE:-$HOME/.cache/rust-mcast}
FLAVOUR=${1:-debug}
case $FLAVOUR in
  lean) FRAGMENTS=("$here/patch/kernel-config.fragment"); LLVM_FLAG=() ;;
  debug) FRAGMENTS=("$here/patch/kernel-config.fragment" "$here/patch/kernel-debug.fragment")
         LLVM_FLAG=(LLVM=1) ;;
  *) say "usage: $0 [lean|debug]"; exit 2 ;;
esac
TARBALL=$(ls /usr/src/linux-source-6.12.tar.xz)
SRC_VERSION=$(dpkg-query -W -f='${Version}' linux-source-6.12)

compiler() { if ((${#LLVM_FLAG[@]})); then clang --version | head -1; else gcc --version | head -1; fi; }
key=$( { echo "$SRC_VERSION $FLAVOUR"; cat "${FRAGMENTS[@]}"; rustc --version; bindgen --version;
         compiler; cat "$0"; } | sha256sum | cut -c1-16)
SRC=$CACHE/src-$SRC_VERSION
OUT=$CACHE/kernel-$FLAVOUR-$key

if [[ -f $OUT/.build-complete ]]; then
  say "kernel: cached build $OUT"
  echo "$OUT"; exit 0
fi

mkdir -p "$CACHE"
if [[ ! -f $SRC/.extracted ]]; then
  say "kernel: extracting $TARBALL (about 30 s)"
  rm -rf "$SRC" "$SRC.tmp"; mkdir -p "$SRC.tmp"
  tar -xf "$TARBALL" -C "$SRC.tmp" --strip-components=1
  mv "$SRC.tmp" "$SRC"; touch "$SRC/.extracted"
fi

rm -rf "$OUT"; mkdir -p "$OUT"
say "kernel: configuring $FLAVOUR (tinyconfig + ${FRAGMENTS[*]##*/}) ${LLVM_FLAG[*]}"
make -s -C "$SRC" O="$OUT" "${LLVM_FLAG[@]}" tinyconfig >/dev/null
"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" "${FRAGMENTS[@]}" >/dev/null
make -s -C "$SRC" O="$OUT" "${LLVM_FLAG[@]}" olddefconfig >/dev/null

# Every option the fragment sets must have survived olddefconfig: CONFIG_RUST
# silently disappears when bindgen or libclang is missing.
lost=()
while IFS= read -r line; do
  [[ $line =~ ^(CONFIG_[A-Z0-9_]+)=(.*)$ ]] || continue
  grep -qx "$line" "$OUT/.config" || lost+=("$line")
done < <(cat "${FRAGMENTS[@]}")
while IFS= read -r line; do
  [[ $line =~ ^#\ (CONFIG_[A-Z0-9_]+)\ is\ not\ set$ ]] || continue
  ! grep -q "^${BASH_REMATCH[1]}=" "$OUT/.config" || lost+=("$line")
done < <(cat "${FRAGMENTS[@]}")
if ((${#lost[@]})); then
  say "kernel: these fragment options did not stick: ${lost[*]}"
  make -s -C "$SRC" O="$OUT" "${LLVM_FLAG[@]}" rustavailable >&2 || true
  exit 1
fi

say "kernel: building $FLAVOUR with make -j$(nproc) ${LLVM_FLAG[*]} (lean about 6, debug about 12 minutes; log in $OUT/build.log)"
start=$SECONDS
if ! make -C "$SRC" O="$OUT" "${LLVM_FLAG[@]}" -j"$(nproc)" >"$OUT/build.log" 2>&1; then
  tail -40 "$OUT/build.log" >&2; exit 1
fi
touch "$OUT/.build-complete"
say "kernel: built in $((SECONDS - start)) s"
echo "$OUT"
