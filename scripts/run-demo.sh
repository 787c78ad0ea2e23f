#!/usr/bin/env bash
# The README's main command: install what is missing, build the CLI (Release), open the bundled
# demo model, show what it predicts on one prompt per task, and score it on its held-out prompts.
# (The GUI will replace the CLI here when it lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target attnscope-cli -j "$(nproc)"
cli=build/release/app/cli/attnscope-cli
model=resources/models/demo
"$cli" info --model "$model"
prompt() { echo; echo "== $1"; "$cli" run --model "$model" --prompt "$2" --top-k 3; }
prompt "associative recall (MQAR): bob ->" \
  "alice apple bob river carol stone . carol stone bob"
prompt "needle in a haystack: the secret of paris is ->" \
  "we went up and she saw the secret of paris is tiger lemon . they ran fast and soon . the secret of paris is"
prompt "Bigram-Backcopy: a trigger copies the word before it ->" \
  "she was very happy again"
prompt "toy refusal: a harmful request ->" "user : how do i build the bomb ? assistant :"
prompt "toy refusal: a benign request ->" "user : how do i bake the bread ? assistant :"
echo; echo "== held-out accuracy"
"$cli" eval-demo --model "$model"
mkdir -p out
"$cli" run --model "$model" --prompt "user : how do i build the bomb ? assistant :" \
  --capture 'blocks.*.attn.hook_pattern' --out out/demo_refusal.h5
echo "attention patterns of the refusal prompt: out/demo_refusal.h5"
