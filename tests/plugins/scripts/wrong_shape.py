# Test plugin: returns [layers + 1, heads].
import numpy as np

ATTNSCOPE_PLUGIN = {
    "name": "wrong_shape", "api_version": 1,
    "metrics": [{"name": "wrong_shape", "function": "score",
                 "hooks": ["blocks.*.attn.hook_pattern"]}],
}


def score(ctx, params):
    return np.zeros((ctx.n_layers + 1, ctx.n_heads))
