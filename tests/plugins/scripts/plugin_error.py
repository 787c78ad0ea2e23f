# Test plugin: reports a problem on purpose with attnscope.PluginError.
from attnscope import PluginError

ATTNSCOPE_PLUGIN = {
    "name": "plugin_error", "api_version": 1,
    "metrics": [{"name": "plugin_error", "function": "score",
                 "hooks": ["blocks.*.attn.hook_pattern"]}],
}


def score(ctx, params):
    raise PluginError("this metric needs at least 1000 tokens")
