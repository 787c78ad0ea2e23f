# Test plugin: declares a hook no model has (line 7).
ATTNSCOPE_PLUGIN = {
    "name": "unknown_hook", "api_version": 1,
    "metrics": [{"name": "unknown_hook", "function": "score",
                 "hooks": [
                     "blocks.*.attn.hook_pattern",
                     "blocks.*.attn.hook_telepathy",
                 ]}],
}


def score(ctx, params):
    raise AssertionError("never called: the hook check comes first")
