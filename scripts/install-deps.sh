#!/usr/bin/env bash
# Installs the Debian packages AttnScope builds and tests with, only when missing.
# Non-interactive; needs root (or sudo) the first time on a fresh machine.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev libopenblas0-openmp
  libeigen3-dev libhdf5-dev nlohmann-json3-dev libpcre2-dev
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libgl-dev
  libgtest-dev clang-format ccache
  python3 python3-h5py python3-numpy python3-dev pybind11-dev
  openmpi-bin libopenmpi-dev libyaml-cpp-dev
  xvfb xauth
)
if [ "${1:-}" = "--with-fuzz" ]; then packages+=(clang libclang-rt-14-dev); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing Debian packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
