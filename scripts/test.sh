#!/usr/bin/env bash
# The README's test command: install what is missing, build (Release), run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# LibTorch's OpenMP threads otherwise spin while idle, which starves parallel tests on 2 cores.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
preset="${ATTNSCOPE_PRESET:-ci}"
cmake --preset "$preset"
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j "$(nproc)"
