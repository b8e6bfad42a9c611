#!/usr/bin/env bash
# Installs the Debian packages rawgpu's build and tests need. Idempotent: asks apt only when
# something is missing. Run as root (or with sudo available).
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git
  # libraries
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libpci-dev pci.ids libdrm-dev
  libzstd-dev linux-libc-dev libmsgpack-cxx-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev strace
  # amdgcn code objects for tests, libFuzzer
  clang lld libclang-rt-14-dev clang-19 lld-19
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
