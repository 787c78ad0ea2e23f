# Test plugin: an exception three frames deep in the user's code.
ATTNSCOPE_PLUGIN = {
    "name": "raises", "api_version": 1,
    "metrics": [{"name": "raises", "function": "score",
                 "hooks": ["blocks.*.attn.hook_pattern"]}],
}


def helper(values):
    return values["missing key"]


def score(ctx, params):
    return helper({})
