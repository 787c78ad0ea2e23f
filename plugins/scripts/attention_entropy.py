"""Per-head attention entropy: for every query row q of a head's pattern, the Shannon entropy
-sum_k p[q, k] log p[q, k] (nats, 0 log 0 = 0), averaged over the rows. With "normalize", each
row's entropy is divided by log(q + 1), its maximum under a causal mask (row 0 counts as 0), so
that 0 means attention on one token and 1 uniform attention."""
import numpy as np

ATTNSCOPE_PLUGIN = {
    "name": "attention_entropy",
    "api_version": 1,
    "label": "Attention entropy",
    "metrics": [
        {"name": "attention_entropy", "label": "Attention entropy (mean over queries)",
         "description": "Mean row entropy of each head's attention: low for heads that attend "
                        "to one token, high for heads that spread their attention.",
         "function": "entropy", "hooks": ["blocks.*.attn.hook_pattern"],
         "parameters": [
             {"name": "normalize", "type": "bool", "default": False,
              "help": "divide each row's entropy by log(q + 1)"},
         ]},
    ],
}


def entropy(ctx, params):
    out = np.empty((ctx.n_layers, ctx.n_heads))
    for layer in range(ctx.n_layers):
        p = ctx.pattern(layer).astype(np.float64)  # [head, query, key]
        with np.errstate(divide="ignore", invalid="ignore"):
            rows = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=-1)  # [head, query]
            if params["normalize"]:
                bound = np.log(np.arange(p.shape[1]) + 1.0)
                rows = np.where(bound > 0, rows / bound, 0.0)
        out[layer] = rows.mean(axis=-1)
    return out, {"tokens": len(ctx.tokens)}
