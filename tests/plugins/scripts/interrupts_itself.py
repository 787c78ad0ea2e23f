# Test plugin: sends the process a SIGINT (as Ctrl-C would) and loops without checking; the
# front end's handler, not Python's, must receive it and stop the plugin.
import os
import signal

ATTNSCOPE_PLUGIN = {
    "name": "interrupts_itself", "api_version": 1,
    "metrics": [{"name": "interrupts_itself", "function": "score",
                 "hooks": ["blocks.*.attn.hook_pattern"]}],
}


def score(ctx, params):
    os.kill(os.getpid(), signal.SIGINT)
    while True:
        pass
