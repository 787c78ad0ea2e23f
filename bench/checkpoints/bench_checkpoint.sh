#!/bin/sh
# End-to-end figures of one checkpoint, each step in its own process (wall time and peak RSS
# from /usr/bin/time):
#   info; load + two forwards (bench_load --views-only); `run` on TOKENS tokens with two
#   layers' patterns written to HDF5; cached generation, bare and with every layer's pattern
#   captured (bench_generation: a 128-token prompt, NEW new tokens, one interleaved round).
#
#   bench_checkpoint.sh BUILD_DIR MODEL_DIR [DTYPE=bfloat16] [TOKENS=512] [NEW=16]
#
# Checkpoints: make_random_checkpoint.py llama-2-7b DIR (13.5 GB), llama-3-8b DIR (16.1 GB).
set -eu
build=$1 model=$2 dtype=${3:-bfloat16} tokens=${4:-512} new=${5:-16}
cli=$build/app/cli/attnscope-cli
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
measure() {  # label command...
  label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$out/time" "$@" >"$out/stdout" 2>"$out/stderr" || {
    cat "$out/stderr" >&2
    exit 1
  }
  read -r seconds kb <"$out/time"
  printf '%-34s %8.2f s  peak RSS %6.2f GB\n' "$label" "$seconds" "$(echo "$kb / 1048576" | bc -l)"
}
weights=$("$cli" info --model "$model" --json | sed -n 's/.*"params": \([0-9]*\).*/\1/p')
echo "$model: $weights parameters, $dtype, $tokens tokens"
measure "info" "$cli" info --model "$model" --dtype "$dtype"
measure "load + 2 forwards (bench_load)" "$build/bench/runtime/bench_load" "$model" "$tokens" \
  "$dtype" --views-only
sed 's/^/    /' "$out/stdout"
ids=$(awk -v n="$tokens" 'BEGIN { for (i = 0; i < n; i++) printf "%s%d", (i ? "," : ""), (i * 7919) % 32000 }')
measure "run, 2 layers' patterns to HDF5" "$cli" run --model "$model" --dtype "$dtype" \
  --ids "$ids" --capture 'blocks.0.attn.hook_pattern' --capture 'blocks.1.attn.hook_pattern' \
  --out "$out/capture.h5"
measure "generation (bench_generation)" "$build/bench/runtime/bench_generation" 128 "$new" 1 \
  --model "$model" --dtype "$dtype"
sed 's/^/    /' "$out/stdout"
