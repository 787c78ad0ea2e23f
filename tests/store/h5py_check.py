"""Reads a capture written by store_tests with h5py alone and checks it against values the
script computes itself. Usage: h5py_check.py CAPTURE.h5 ; exit status 0 = all checks pass."""
import json
import sys

import h5py
import numpy as np


def pattern(heads, tokens, offset):
    # Same formula as the C++ test: value(i) = sin(0.37 * i + offset) over the flat index.
    return np.sin(0.37 * np.arange(heads * tokens * tokens, dtype=np.float64) + offset).reshape(
        heads, tokens, tokens).astype(np.float32)


def main(path):
    failures = []

    def check(condition, what):
        if not condition:
            failures.append(what)

    with h5py.File(path, "r") as f:
        check(f.attrs["format"] == "attnscope-capture", "root format attribute")
        check(int(f.attrs["format_version"]) == 1, "root format_version attribute")
        check(f["model"].attrs["architecture"] == "GPT2LMHeadModel", "model architecture")
        check(json.loads(f["model"].attrs["config_json"])["n_head"] == 4, "model config JSON")

        run = f["runs/0"]
        check(run.attrs["prompt"] == "héllo wörld", "prompt attribute")
        check(json.loads(run.attrs["interventions"])[0]["kind"] == "ablate", "interventions JSON")
        check(int(run.attrs["generation_step"]) == -1, "generation_step")
        ids = run["input_ids"][()]
        check(ids.dtype == np.int64 and list(ids) == [1000 + 7 * t for t in range(5)], "input_ids")
        tokens = [t.decode("utf-8") for t in run["tokens"][()]]
        check(tokens[1] == "\u00e9t\u20ac1", "tokens are UTF-8: %r" % tokens)
        offsets = run["offsets"][()]
        check(offsets.shape == (5, 2) and offsets.dtype == np.int64, "offsets shape")
        check(all(offsets[t, 1] - offsets[t, 0] == len(tokens[t].encode("utf-8"))
                  for t in range(5)), "offsets spans")

        # Three lines, as in docs/capture-format.md.
        f32 = f["runs/0/hooks/blocks.0.attn.hook_pattern"]
        head = f32[2]  # reads one head
        check(f32.dtype == np.float32 and f32.shape == (4, 5, 5), "float32 pattern dtype/shape")
        check(np.array_equal(head, pattern(4, 5, 0.0)[2]), "float32 pattern values")

        f16 = f["runs/1/hooks/blocks.0.attn.hook_pattern"]
        check(f16.dtype == np.float16, "float16 dtype is %s" % f16.dtype)
        check(np.array_equal(f16[()], pattern(4, 5, 1.0).astype(np.float16)), "float16 values")

        lse = f["runs/1/hooks/blocks.1.attn.hook_pattern_lse"]
        check(lse.dtype == np.float32 and abs(lse.attrs["scale"] - 0.125) < 1e-9, "lse scale")
        check(float(lse.attrs["softcap"]) == 0.0, "lse softcap")

        scores = f["results/sink_mass/0/scores"]
        check(scores.shape == (2, 4) and np.allclose(scores[()], np.arange(8).reshape(2, 4) / 8),
              "score table")
        check(json.loads(scores.attrs["params"])["sink_tokens"] == 1, "score params")

    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
