"""Reads an AttnScope capture file with h5py alone and compares it with a parity fixture's
expected.safetensors (parsed here with json + numpy, independently of AttnScope).
usage: check_capture_h5py.py CAPTURE.h5 EXPECTED.safetensors"""
import json
import struct
import sys

import h5py
import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    kinds = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + b:8 + n + end], dtype=kinds[e["dtype"]]).reshape(e["shape"])
    return out


capture, expected = sys.argv[1], read_safetensors(sys.argv[2])
with h5py.File(capture, "r") as f:
    assert f.attrs["format"] == "attnscope-capture", dict(f.attrs)
    for b in range(expected["input_ids"].shape[0]):
        run = f["runs"][str(b)]
        assert (run["input_ids"][()] == expected["input_ids"][b]).all()
        hooks = run["hooks"]
        pattern_names = [n for n in expected if n.endswith("hook_pattern")]
        for name in pattern_names + [n for n in expected if n.endswith("hook_resid_post")]:
            diff = np.abs(hooks[name][()] - expected[name][b]).max()
            tol = 1e-4 if name.endswith("pattern") else 1e-4 * np.abs(expected[name][b]).max() + 1e-5
            assert diff <= tol, (name, b, diff)
        diff = np.abs(hooks["logits"][()] - expected["logits"][b]).max()
        assert diff <= 1e-4 * np.abs(expected["logits"][b]).max() + 1e-5, ("logits", diff)
print("ok")
