# Test plugin: a syntax error on line 8.
ATTNSCOPE_PLUGIN = {
    "name": "syntax_error", "api_version": 1,
    "metrics": [{"name": "syntax_error", "function": "score",
                 "hooks": ["blocks.*.attn.hook_pattern"]}],
}

def score(ctx, params) return 0
