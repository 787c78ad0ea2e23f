# Test plugin: loops until cancelled, checking cooperatively.
ATTNSCOPE_PLUGIN = {
    "name": "loops_until_cancelled", "api_version": 1,
    "metrics": [{"name": "loops_until_cancelled", "function": "score",
                 "hooks": ["blocks.*.attn.hook_pattern"]}],
}


def score(ctx, params):
    ctx.progress(0.5)  # the test cancels when it sees this
    while True:
        ctx.check_cancelled()
