# Test plugin: loops forever without checking, and swallows ordinary exceptions.
ATTNSCOPE_PLUGIN = {
    "name": "ignores_cancel", "api_version": 1,
    "metrics": [{"name": "ignores_cancel", "function": "score",
                 "hooks": ["blocks.*.attn.hook_pattern"]}],
}


def score(ctx, params):
    ctx.progress(0.5)  # the test cancels when it sees this
    n = 0
    while True:
        try:
            n += 1
        except Exception:
            pass
