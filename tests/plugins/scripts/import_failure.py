# Test plugin: imports a module that does not exist (found when it first runs).
import attnscope_no_such_module

ATTNSCOPE_PLUGIN = {
    "name": "import_failure", "api_version": 1,
    "metrics": [{"name": "import_failure", "function": "score",
                 "hooks": ["blocks.*.attn.hook_pattern"]}],
}


def score(ctx, params):
    return attnscope_no_such_module.score(ctx)
