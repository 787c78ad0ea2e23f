# Test plugin: reports what the context gives it, and that its views are read-only.
import sys

import numpy as np

ATTNSCOPE_PLUGIN = {
    "name": "inspect_context", "api_version": 1,
    "metrics": [{"name": "inspect_context", "function": "score",
                 "hooks": ["blocks.*.attn.hook_pattern", "logits"],
                 "parameters": [
                     {"name": "k", "type": "int", "default": 3, "min": 1, "max": 10},
                     {"name": "scale", "type": "float", "default": 0.5},
                     {"name": "mode", "type": "enum", "default": "a", "choices": ["a", "b"]},
                     {"name": "label", "type": "str", "default": "x"},
                 ]}],
}


def score(ctx, params):
    p = ctx.pattern(0)
    try:
        p[0, 0, 0] = 1.0
        write = "written"
    except ValueError:
        write = "refused"
    try:
        p.setflags(write=True)
        reenable = "allowed"
    except ValueError:
        reenable = "refused"
    ctx.log("inspected")
    details = {
        "write": write, "reenable": reenable,
        "base": type(p.base).__name__, "owndata": bool(p.flags.owndata),
        "dtype": str(p.dtype), "pattern_shape": list(p.shape),
        "logits_shape": list(ctx.activations["logits"].shape),
        "hooks": sorted(ctx.activations), "tokens": list(ctx.tokens),
        "token_strings": list(ctx.token_strings), "config": ctx.config["n_layers"],
        "params": params, "param_types": {k: type(v).__name__ for k, v in params.items()},
        "executable": sys.executable, "version": sys.version,
        "numpy": np.__file__,
    }
    out = np.full((ctx.n_layers, ctx.n_heads), np.nan)
    out[0, 0] = float(p[0, 1, 0])
    return out, details
