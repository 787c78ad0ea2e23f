#!/usr/bin/env python3
"""Writes a random-weight checkpoint in a real model's shape, in Hugging Face layout
(config.json + model.safetensors, or shards + model.safetensors.index.json), for load and
memory benchmarks. Standard library only (no numpy or torch on the bench machines).

  make_random_checkpoint.py SHAPE OUT_DIR [--dtype F32|BF16] [--shard-gb N] [--layers N]

SHAPE: gpt2-small, llama-2-7b, llama-3-8b. Values are random with magnitudes of about 0.01
(random mantissas under a fixed exponent), so forwards stay finite; they are not meant to be
meaningful. Writing is bound by the disk: about 1 GB/s here.
"""
import argparse
import json
import os
import struct
import sys

SHAPES = {
    "gpt2-small": {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 50257,
        "n_positions": 1024, "n_embd": 768, "n_layer": 12, "n_head": 12,
        "torch_dtype": "float32",
    },
    "llama-2-7b": {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 32000,
        "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
        "num_attention_heads": 32, "num_key_value_heads": 32, "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
    },
    "llama-3-8b": {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256,
        "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
        "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 8192,
        "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
    },
}


def gpt2_tensors(c):
    d, v, p, m = c["n_embd"], c["vocab_size"], c["n_positions"], 4 * c["n_embd"]
    yield "wte.weight", [v, d]
    yield "wpe.weight", [p, d]
    for l in range(c["n_layer"]):
        h = f"h.{l}."
        yield h + "ln_1.weight", [d]
        yield h + "ln_1.bias", [d]
        yield h + "attn.c_attn.weight", [d, 3 * d]  # Conv1D: [in, out]
        yield h + "attn.c_attn.bias", [3 * d]
        yield h + "attn.c_proj.weight", [d, d]
        yield h + "attn.c_proj.bias", [d]
        yield h + "ln_2.weight", [d]
        yield h + "ln_2.bias", [d]
        yield h + "mlp.c_fc.weight", [d, m]
        yield h + "mlp.c_fc.bias", [m]
        yield h + "mlp.c_proj.weight", [m, d]
        yield h + "mlp.c_proj.bias", [d]
    yield "ln_f.weight", [d]
    yield "ln_f.bias", [d]


def llama_tensors(c):
    d, v, m = c["hidden_size"], c["vocab_size"], c["intermediate_size"]
    hd = d // c["num_attention_heads"]
    kv = c["num_key_value_heads"] * hd
    yield "model.embed_tokens.weight", [v, d]
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}."
        yield p + "input_layernorm.weight", [d]
        yield p + "self_attn.q_proj.weight", [d, d]
        yield p + "self_attn.k_proj.weight", [kv, d]
        yield p + "self_attn.v_proj.weight", [kv, d]
        yield p + "self_attn.o_proj.weight", [d, d]
        yield p + "post_attention_layernorm.weight", [d]
        yield p + "mlp.gate_proj.weight", [m, d]
        yield p + "mlp.up_proj.weight", [m, d]
        yield p + "mlp.down_proj.weight", [d, m]
    yield "model.norm.weight", [d]
    yield "lm_head.weight", [v, d]


def random_bytes(count, elem):
    """Random values of magnitude ~2^-7: random bytes with the top exponent bits fixed."""
    buf = bytearray(os.urandom(count * elem))
    # The last byte of each little-endian element holds the sign and the top 7 exponent bits.
    table = bytes((b & 0x80) | 0x3C for b in range(256))
    buf[elem - 1::elem] = bytes(buf[elem - 1::elem]).translate(table)
    return buf


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def write_file(path, entries, dtype, elem):
    # Hugging Face's save_file orders a file's tensors by name (within one dtype): q/k/v are
    # then not stored in fused order (k, o, q, v) while gate, up are. Loaders see real layouts.
    entries = sorted(entries)
    header, offset = {}, 0
    for name, shape in entries:
        size = numel(shape) * elem
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)  # data region 8-byte aligned, as HF writes it
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for name, shape in entries:
            n = numel(shape)
            chunk = 1 << 24  # elements per write: bounded memory for 7B shapes
            for start in range(0, n, chunk):
                f.write(random_bytes(min(chunk, n - start), elem))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("shape", choices=sorted(SHAPES))
    parser.add_argument("out")
    parser.add_argument("--dtype", choices=["F32", "BF16"])
    parser.add_argument("--shard-gb", type=float, default=5.0)
    parser.add_argument("--layers", type=int, help="fewer layers than the real model")
    args = parser.parse_args()

    config = dict(SHAPES[args.shape])
    gpt2 = config["architectures"][0] == "GPT2LMHeadModel"
    if args.layers:
        config["n_layer" if gpt2 else "num_hidden_layers"] = args.layers
    dtype = args.dtype or ("F32" if config["torch_dtype"] == "float32" else "BF16")
    config["torch_dtype"] = "float32" if dtype == "F32" else "bfloat16"
    elem = 4 if dtype == "F32" else 2
    tensors = list((gpt2_tensors if gpt2 else llama_tensors)(config))

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    limit = int(args.shard_gb * 1e9)
    shards, current, size = [], [], 0
    for name, shape in tensors:
        bytes_ = numel(shape) * elem
        if current and size + bytes_ > limit:
            shards.append(current)
            current, size = [], 0
        current.append((name, shape))
        size += bytes_
    shards.append(current)
    if len(shards) == 1:
        write_file(os.path.join(args.out, "model.safetensors"), shards[0], dtype, elem)
    else:
        weight_map = {}
        for i, shard in enumerate(shards):
            file = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
            write_file(os.path.join(args.out, file), shard, dtype, elem)
            weight_map.update({name: file for name, _ in shard})
            print(f"wrote {file}", file=sys.stderr)
        with open(os.path.join(args.out, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {}, "weight_map": weight_map}, f, indent=2)
    total = sum(numel(s) for _, s in tensors) * elem
    print(f"{args.out}: {args.shape}, {dtype}, {total / 1e9:.2f} GB in {len(shards)} file(s)")


if __name__ == "__main__":
    main()
