"""Previous-token, duplicate-token and induction head scores, as TransformerLens's
head_detector.py defines them (detect_head with the default "mul" error measure, or "abs").

For each head, A is its attention pattern [query, key] on one prompt and D the detection
pattern of the head type. "mul": A' is a copy of A with column 0 zeroed if exclude_bos and the
diagonal zeroed if exclude_current_token; score = sum(A' * D) / sum(A'). "abs": with
E = |A - D| (same exclusions applied to E), score = 1 - round(sum(E) / n, 3) for n tokens.
The cached pattern is never changed: A' is a copy.
"""
import numpy as np

ATTNSCOPE_PLUGIN = {
    "name": "head_detector",
    "api_version": 1,
    "label": "Head detector (TransformerLens)",
    "description": "TransformerLens's previous-token, duplicate-token and induction scores.",
    # Shared by the three metrics (an entry may still declare its own).
    "parameters": [
        {"name": "exclude_bos", "type": "bool", "default": False,
         "help": "ignore attention to the first token (column 0)"},
        {"name": "exclude_current_token", "type": "bool", "default": False,
         "help": "ignore attention to the query's own token (the diagonal)"},
        {"name": "error_measure", "type": "enum", "default": "mul",
         "choices": ["mul", "abs"],
         "help": "mul: share of attention on the pattern; abs: 1 - mean abs error"},
    ],
    "metrics": [
        {"name": "previous_token", "label": "Previous-token head score (TransformerLens)",
         "description": "How much each query attends to the token just before it.",
         "function": "previous_token_score", "hooks": ["blocks.*.attn.hook_pattern"]},
        {"name": "duplicate_token", "label": "Duplicate-token head score (TransformerLens)",
         "description": "How much each query attends to earlier copies of its own token.",
         "function": "duplicate_token_score", "hooks": ["blocks.*.attn.hook_pattern"]},
        {"name": "induction", "label": "Induction head score (TransformerLens)",
         "description": "How much each query attends to the token after an earlier copy of "
                        "its own token.",
         "function": "induction_score", "hooks": ["blocks.*.attn.hook_pattern"]},
    ],
}


def previous_token_pattern(tokens):
    n = len(tokens)
    d = np.zeros((n, n))
    d[1:, :-1] = np.eye(n - 1)
    return np.tril(d)


def duplicate_token_pattern(tokens):
    t = np.asarray(tokens)
    d = (t[None, :] == t[:, None]).astype(float)
    np.fill_diagonal(d, 0)  # a token always equals itself: not a duplicate
    return np.tril(d)


def induction_pattern(tokens):
    dup = duplicate_token_pattern(tokens)
    shifted = np.roll(dup, 1, axis=1)
    shifted[:, 0] = 0  # the roll brings the last column to the front
    return np.tril(shifted)


def similarity(pattern, detection, exclude_bos, exclude_current_token, error_measure):
    if error_measure == "mul":
        a = np.array(pattern, dtype=np.float64)  # a copy: the capture stays as it was
        if exclude_bos:
            a[:, 0] = 0
        if exclude_current_token:
            np.fill_diagonal(a, 0)
        total = a.sum()
        return (a * detection).sum() / total if total > 0 else np.nan
    e = np.abs(pattern.astype(np.float64) - detection)
    if exclude_bos:
        e[:, 0] = 0
    if exclude_current_token:
        np.fill_diagonal(e, 0)
    return 1 - round(e.sum() / len(e), 3)


def _scores(ctx, params, detection):
    out = np.empty((ctx.n_layers, ctx.n_heads))
    for layer in range(ctx.n_layers):
        ctx.check_cancelled()
        pattern = ctx.pattern(layer)  # [head, query, key], read-only
        for head in range(ctx.n_heads):
            out[layer, head] = similarity(pattern[head], detection, params["exclude_bos"],
                                          params["exclude_current_token"],
                                          params["error_measure"])
        ctx.progress((layer + 1) / ctx.n_layers)
    return out


def previous_token_score(ctx, params):
    return _scores(ctx, params, previous_token_pattern(ctx.tokens))


def duplicate_token_score(ctx, params):
    return _scores(ctx, params, duplicate_token_pattern(ctx.tokens))


def induction_score(ctx, params):
    return _scores(ctx, params, induction_pattern(ctx.tokens))
