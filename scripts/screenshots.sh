#!/usr/bin/env bash
# Screenshots of the main window on the demo model for docs/screenshots/, taken under Xvfb:
# the app's own --screenshot FILE grabs the window once the first run is shown, then quits.
# Usage: bash scripts/screenshots.sh [BUILD_DIR]   (default build/release; builds `attnscope`)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
if [ ! -d "$build" ]; then cmake --preset release; fi
cmake --build "$build" --target attnscope -j "$(nproc)"
app="$build/app/gui/attnscope"
model="${ATTNSCOPE_SCREENSHOT_MODEL:-resources/models/demo}"
mkdir -p docs/screenshots
# A 1280x800 screen: the window opens at the size of the screen, and the panels must be legible
# there. A throw-away settings folder, so that the shot shows the default layout.
settings="$(mktemp -d)"
trap 'rm -rf "$settings"' EXIT
export XDG_CONFIG_HOME="$settings"
export QT_QPA_PLATFORM=xcb
xvfb-run -a -s "-screen 0 1280x800x24" \
  "$app" --model "$model" --screenshot docs/screenshots/main-window.png
echo "wrote docs/screenshots/main-window.png"
