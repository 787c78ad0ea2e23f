# Test plugin: returns integers.
import numpy as np

ATTNSCOPE_PLUGIN = {
    "name": "wrong_dtype", "api_version": 1,
    "metrics": [{"name": "wrong_dtype", "function": "score",
                 "hooks": ["blocks.*.attn.hook_pattern"]}],
}


def score(ctx, params):
    return np.zeros((ctx.n_layers, ctx.n_heads), dtype=np.int64)
