#!/usr/bin/env bash
# Builds (or reuses) the test kernel: Debian's linux-source-6.12, tinyconfig
# plus patch/kernel-config.fragment, built with the pinned rustc.
# The build is cached under $MCAST_CACHE, keyed by everything it depends on:
# kernel source version, fragment, rustc, bindgen and this script.
# Prints the build directory (usable as KDIR) on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '==> %s\n' "$*" >&2; }
export PATH="$HOME/.cargo/bin:$PATH"
cd "$here"   # so rustup picks rust-toolchain.toml

CACHE=${MCAST_CACHE:-$HOME/.cache/rust-mcast}
FRAGMENT=$here/patch/kernel-config.fragment
TARBALL=$(ls /usr/src/linux-source-6.12.tar.xz)
SRC_VERSION=$(dpkg-query -W -f='${Version}' linux-source-6.12)

key=$( { echo "$SRC_VERSION"; cat "$FRAGMENT"; rustc --version; bindgen --version;
         cat "$0"; } | sha256sum | cut -c1-16)
SRC=$CACHE/src-$SRC_VERSION
OUT=$CACHE/kernel-$key

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
say "kernel: configuring (tinyconfig + $(basename "$FRAGMENT"))"
make -s -C "$SRC" O="$OUT" tinyconfig >/dev/null
"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" "$FRAGMENT" >/dev/null
make -s -C "$SRC" O="$OUT" olddefconfig >/dev/null

# Every option the fragment sets must have survived olddefconfig: CONFIG_RUST
# silently disappears when bindgen or libclang is missing.
lost=()
while IFS= read -r line; do
  [[ $line =~ ^(CONFIG_[A-Z0-9_]+)=(.*)$ ]] || continue
  grep -qx "$line" "$OUT/.config" || lost+=("$line")
done < "$FRAGMENT"
while IFS= read -r line; do
  [[ $line =~ ^#\ (CONFIG_[A-Z0-9_]+)\ is\ not\ set$ ]] || continue
  ! grep -q "^${BASH_REMATCH[1]}=" "$OUT/.config" || lost+=("$line")
done < "$FRAGMENT"
if ((${#lost[@]})); then
  say "kernel: these fragment options did not stick: ${lost[*]}"
  make -s -C "$SRC" O="$OUT" rustavailable >&2 || true
  exit 1
fi

say "kernel: building with make -j$(nproc) (about 5 minutes; log in $OUT/build.log)"
start=$SECONDS
if ! make -C "$SRC" O="$OUT" -j"$(nproc)" >"$OUT/build.log" 2>&1; then
  tail -40 "$OUT/build.log" >&2; exit 1
fi
touch "$OUT/.build-complete"
say "kernel: built in $((SECONDS - start)) s"
echo "$OUT"
