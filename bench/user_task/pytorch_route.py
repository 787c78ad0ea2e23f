#!/usr/bin/env python3
"""The user task the PyTorch way, for bench_user_task to time against attnscope-cli.

"Capture every attention pattern of a prompt to an HDF5 file" with PyTorch eager, forward hooks
and h5py, as a researcher without AttnScope writes it: a GPT-2 module with Hugging Face's eager
attention (scores, causal mask, float32 softmax, patterns @ v) and Conv1D layout
(x @ W + b with W stored [in, out]), weights read from model.safetensors and copied into the
module's parameters as `from_pretrained` does, logits over every position as GPT2LMHeadModel
gives them, one hook per layer keeping the pattern, and one HDF5 dataset per layer, flushed and
fsynced as AttnScope's store is.

    pytorch_route.py MODEL_DIR OUT.h5 ID,ID,...

Needs python3-torch, python3-numpy and python3-h5py. Runs on CPU with one thread per core, as
attnscope-cli does (Debian's PyTorch starts with one).
"""
import json
import math
import os
import struct
import sys
import warnings

import h5py
import numpy as np
import torch
from torch import nn

DTYPES = {"F32": np.float32, "F16": np.float16}


def read_safetensors(path):
    """name -> tensor for every tensor of a safetensors file (mapped, then viewed)."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = data[begin:end].view(DTYPES[entry["dtype"]]).reshape(entry["shape"])
        with warnings.catch_warnings():  # read-only: only ever copied from
            warnings.simplefilter("ignore", UserWarning)
            tensors[name] = torch.from_numpy(array)
    return tensors


class Pattern(nn.Module):
    """An identity module: the point the hooks attach to, as TransformerLens's hook_pattern."""

    def forward(self, x):
        return x


class Block(nn.Module):
    def __init__(self, d, heads, d_mlp, eps):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d, eps=eps)
        self.c_attn_w = nn.Parameter(torch.empty(d, 3 * d))
        self.c_attn_b = nn.Parameter(torch.empty(3 * d))
        self.c_proj_w = nn.Parameter(torch.empty(d, d))
        self.c_proj_b = nn.Parameter(torch.empty(d))
        self.ln_2 = nn.LayerNorm(d, eps=eps)
        self.fc_w = nn.Parameter(torch.empty(d, d_mlp))
        self.fc_b = nn.Parameter(torch.empty(d_mlp))
        self.mlp_proj_w = nn.Parameter(torch.empty(d_mlp, d))
        self.mlp_proj_b = nn.Parameter(torch.empty(d))
        self.pattern = Pattern()

    def forward(self, x):
        b, t, d = x.shape
        hd = d // self.heads
        qkv = torch.addmm(self.c_attn_b, self.ln_1(x).view(-1, d), self.c_attn_w).view(b, t, 3 * d)
        q, k, v = (y.view(b, t, self.heads, hd).transpose(1, 2) for y in qkv.split(d, dim=2))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd)
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        scores = torch.where(causal, scores, torch.finfo(scores.dtype).min)
        pattern = self.pattern(torch.softmax(scores, dim=-1, dtype=torch.float32))
        z = torch.matmul(pattern, v).transpose(1, 2).reshape(b * t, d)
        x = x + torch.addmm(self.c_proj_b, z, self.c_proj_w).view(b, t, d)
        h = torch.addmm(self.fc_b, self.ln_2(x).view(-1, d), self.fc_w)
        h = nn.functional.gelu(h, approximate="tanh")
        return x + torch.addmm(self.mlp_proj_b, h, self.mlp_proj_w).view(b, t, d)


class Gpt2(nn.Module):
    def __init__(self, config):
        super().__init__()
        d, heads = config["n_embd"], config["n_head"]
        d_mlp = config.get("n_inner") or 4 * d
        eps = config.get("layer_norm_epsilon", 1e-5)
        self.wte = nn.Parameter(torch.empty(config["vocab_size"], d))
        self.wpe = nn.Parameter(torch.empty(config["n_positions"], d))
        self.h = nn.ModuleList(Block(d, heads, d_mlp, eps) for _ in range(config["n_layer"]))
        self.ln_f = nn.LayerNorm(d, eps=eps)

    # Parameter of a block -> its tensor name under h.{i}. in Hugging Face's GPT-2 files.
    BLOCK_TENSORS = {
        "ln_1.weight": "ln_1.weight",
        "ln_1.bias": "ln_1.bias",
        "c_attn_w": "attn.c_attn.weight",
        "c_attn_b": "attn.c_attn.bias",
        "c_proj_w": "attn.c_proj.weight",
        "c_proj_b": "attn.c_proj.bias",
        "ln_2.weight": "ln_2.weight",
        "ln_2.bias": "ln_2.bias",
        "fc_w": "mlp.c_fc.weight",
        "fc_b": "mlp.c_fc.bias",
        "mlp_proj_w": "mlp.c_proj.weight",
        "mlp_proj_b": "mlp.c_proj.bias",
    }

    def load(self, tensors):
        """Copies the file's tensors into the parameters, as from_pretrained does."""
        prefix = "transformer." if "transformer.wte.weight" in tensors else ""
        names = {"wte": "wte.weight", "wpe": "wpe.weight"}
        names.update({"ln_f.weight": "ln_f.weight", "ln_f.bias": "ln_f.bias"})
        for i in range(len(self.h)):
            for param, name in self.BLOCK_TENSORS.items():
                names[f"h.{i}.{param}"] = f"h.{i}.{name}"
        params = dict(self.named_parameters())
        for param, name in names.items():
            params[param].data.copy_(tensors[prefix + name])
        self.lm_head = tensors["lm_head.weight"].clone() if "lm_head.weight" in tensors else None

    def forward(self, ids):
        x = self.wte[ids] + self.wpe[: ids.shape[1]]
        for block in self.h:
            x = block(x)
        unembed = self.wte if self.lm_head is None else self.lm_head
        return self.ln_f(x) @ unembed.t()  # every position, as GPT2LMHeadModel


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    model_dir, out_path, id_list = sys.argv[1:]
    torch.set_num_threads(os.cpu_count())
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    model = Gpt2(config)
    model.load(read_safetensors(os.path.join(model_dir, "model.safetensors")))
    model.eval()

    patterns = {}
    for layer, block in enumerate(model.h):
        name = f"blocks.{layer}.attn.hook_pattern"
        block.pattern.register_forward_hook(
            lambda module, inputs, output, name=name: patterns.__setitem__(name, output.detach())
        )
    ids = torch.tensor([[int(i) for i in id_list.split(",")]], dtype=torch.long)
    with torch.no_grad():
        logits = model(ids)

    with h5py.File(out_path, "w") as f:
        for name, pattern in patterns.items():
            f.create_dataset(name, data=pattern.numpy())
        f.attrs["top_token"] = int(logits[0, -1].argmax())
        f.flush()
        os.fsync(f.id.get_vfd_handle())


if __name__ == "__main__":
    main()
