#!/usr/bin/env bash
# The README's main command: install what is missing, build (Release), and open AttnScope on
# the bundled demo model. With a display ($DISPLAY or $WAYLAND_DISPLAY) this opens the desktop
# window; without one it prints the headless equivalent (`attnscope --headless`: the demo
# prompt, its predictions and the head atlas as a table) and says how to get the window.
set -euo pipefail
cd "$(dirname "$0")/.."
# LibTorch's OpenMP threads otherwise spin while idle and slow everything on a busy machine.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)" --target attnscope attnscope-cli
app=build/release/app/gui/attnscope
model=resources/models/demo
if [ ! -f "$model/config.json" ]; then
  echo "demo model missing at $model; regenerate it with:" >&2
  echo "  build/release/app/cli/attnscope-cli train-demo --out $model" >&2
  exit 1
fi
args=(--model "$model")
[ -n "${ATTNSCOPE_DEMO_PROMPT:-}" ] && args+=(--prompt "$ATTNSCOPE_DEMO_PROMPT")
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec "$app" "${args[@]}"
fi
"$app" --headless "${args[@]}"
echo
echo "== held-out accuracy of the demo model"
build/release/app/cli/attnscope-cli eval-demo --model "$model"
echo
echo "No display found (\$DISPLAY and \$WAYLAND_DISPLAY are unset), so this was the headless run."
echo "For the window, run this script from a desktop session, or over SSH with X forwarding"
echo "(ssh -X), or take a screenshot without a display: bash scripts/screenshots.sh"
