#!/usr/bin/env bash
# Installs everything the build, the VM tests and the demo need on a fresh
# Debian 12 machine. Idempotent: every step checks before it acts.
set -euo pipefail
say() { printf '==> %s\n' "$*" >&2; }

APT_PACKAGES=(
  # kernel build
  linux-source-6.12 build-essential bc flex bison libelf-dev libssl-dev cpio
  libclang-dev xz-utils kmod dwarves
  # the KASAN test kernel is built with LLVM=1 (6.12: KASAN with Rust needs clang)
  clang lld llvm
  # VM runner (tests/vm/boot.sh: QEMU; the guest runs the host's programs)
  qemu-system-x86 busybox-static hostname
  # guest userspace used by the tests and the demo
  iproute2 nftables iputils-ping tcpdump socat iperf ssmping keepalived aria2 procps ethtool
  # make bench: the plot (tests/bench/report.py)
  python3-matplotlib
  util-linux dkms shellcheck
  # packaging
  rpm rpmlint
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  say "apt: installing ${missing[*]} (a few minutes on a fresh machine)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # keepalived's package starts a daemon on the host: we only run it in the VM.
  systemctl disable --now keepalived >/dev/null 2>&1 || true
else
  say "apt: all packages present"
fi

TOOLCHAIN=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$(dirname "$0")/../rust-toolchain.toml")
if ! rustup component list --toolchain "$TOOLCHAIN" --installed 2>/dev/null | grep -q rust-src; then
  say "rustup: installing $TOOLCHAIN with rust-src"
  rustup toolchain install "$TOOLCHAIN" --profile minimal -c rust-src -c clippy -c rustfmt >/dev/null
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! bindgen --version 2>/dev/null | grep -q '0.72.1'; then
  say "cargo: installing bindgen-cli 0.72.1 (about 80 s)"
  cargo +"$TOOLCHAIN" install --locked --quiet bindgen-cli@0.72.1
fi

say "dependencies ready"
