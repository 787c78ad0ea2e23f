#!/usr/bin/env bash
# The README's main command: install what is missing, build (Release), and open AttnScope on
# the bundled demo model. Until the desktop GUI lands this runs the CLI on the demo model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)" --target attnscope-cli
cli=build/release/app/cli/attnscope-cli
model=resources/models/demo
if [ ! -f "$model/config.json" ]; then
  echo "demo model missing at $model; regenerate it with: $cli train-demo --out $model" >&2
  exit 1
fi
prompt="${ATTNSCOPE_DEMO_PROMPT:-$(head -n 1 "$model/demo_prompt.txt" 2>/dev/null || echo 'alice red bob blue carol green ? bob')}"
"$cli" info --model "$model"
echo
echo "prompt: $prompt"
"$cli" run --model "$model" --prompt "$prompt" --top-k 5 \
  --capture 'blocks.*.attn.hook_pattern' --out build/release/demo-capture.h5
echo "captured every attention pattern to build/release/demo-capture.h5"
