"""Reads a circuit's HDF5 edge table with h5py alone and checks it against the JSON export."""
import json
import sys

import h5py
import numpy as np

h5_path, json_path = sys.argv[1], sys.argv[2]
with open(json_path) as f:
    exported = json.load(f)["edges"]
with h5py.File(h5_path, "r") as f:
    g = f["results/circuits/circuit"]
    nodes = g["nodes"].asstr()[()]
    sender, receiver = g["sender"][()], g["receiver"][()]
    port, score, kept = g["port"][()], g["score"][()], g["kept"][()]
    assert g["score"].dtype == np.float32 and port.dtype == np.dtype("S1")
    assert len(sender) == len(exported), (len(sender), len(exported))
    for s, r, p, value, k in zip(sender, receiver, port, score, kept):
        p = p.decode()
        name = f"{nodes[s]}->{nodes[r]}" + ("" if p == "-" else f"<{p}>")
        entry = exported[name]
        if entry["score"] is None:
            assert np.isnan(value), name
        else:
            assert np.float32(entry["score"]) == value, (name, entry, value)
        assert bool(k) == entry["in_graph"], name
    assert int(g.attrs["layers"]) == 2 and g.attrs["method"] == "eap-ig"
    assert json.loads(g.attrs["parameters"])["steps"] == 5
print("ok")
