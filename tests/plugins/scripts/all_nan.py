# Test plugin: scores no head at all.
import numpy as np

ATTNSCOPE_PLUGIN = {
    "name": "all_nan", "api_version": 1,
    "metrics": [{"name": "all_nan", "function": "score",
                 "hooks": ["blocks.*.attn.hook_pattern"]}],
}


def score(ctx, params):
    return np.full((ctx.n_layers, ctx.n_heads), np.nan)
