"""An attention edit: a temperature on one head's pattern. Each row p becomes
softmax(log(p) / temperature), which is p ** (1 / temperature) renormalised: above 1 the head
spreads its attention, below 1 it sharpens it. Masked (zero) weights stay zero."""
import numpy as np

ATTNSCOPE_PLUGIN = {
    "name": "attention_temperature",
    "api_version": 1,
    "label": "Attention temperature",
    "edits": [
        {"name": "temperature", "label": "Attention temperature",
         "description": "Rescale one head's attention logits by 1 / temperature.",
         "function": "apply_temperature",
         "parameters": [
             {"name": "temperature", "type": "float", "default": 2.0, "min": 0.01, "max": 100.0,
              "help": "above 1 flattens the head's attention, below 1 sharpens it"},
         ]},
    ],
}


def apply_temperature(pattern, params):
    p = pattern.astype(np.float64)  # [query, key]
    with np.errstate(divide="ignore"):
        logits = np.where(p > 0, np.log(p) / params["temperature"], -np.inf)
    logits -= logits.max(axis=-1, keepdims=True)
    w = np.exp(logits)
    return w / w.sum(axis=-1, keepdims=True)
