#!/usr/bin/env python3
"""Writes position_fixtures.json: reference values for tests/test_scheme_registry.cpp.

Computed with PyTorch the way the transformers library computes them (Debian's python3-torch;
run with /usr/bin/python3). Only needed to regenerate the fixture; the tests read the JSON.

  deberta_log_bucket  [rel, position_buckets, max_relative_positions, bucket]:
                      modeling_deberta_v2.make_log_bucket_position (float32, as there)
  llama3_inv_freq     modeling_rope_utils._compute_llama3_parameters for LLaMA 3.1 8B's
                      rope_scaling (factor 8, low 1, high 4, original 8192), base 500000,
                      head_dim 128
  llama3_s            [offset, S] with S = (2/d) sum_k cos(offset * inv_freq_k) (FACTS.md
                      section 4, u = all ones over the head), float64
  rope_scaling        inv_freq and attention_factor of the other kinds, each case written out as
                      modeling_rope_utils computes it (float64): _compute_linear_scaling_rope_parameters,
                      _compute_dynamic_ntk_parameters (below and past max_position_embeddings),
                      _compute_yarn_parameters (Qwen2.5-style and DeepSeek-V3-style with mscale),
                      _compute_longrope_parameters (short and long factors, Phi-3-style lengths)
"""
import json
import math
import os
import sys

import torch


def make_log_bucket_position(relative_pos, bucket_size, max_position):
    sign = torch.sign(relative_pos)
    mid = bucket_size // 2
    abs_pos = torch.where((relative_pos < mid) & (relative_pos > -mid),
                          torch.tensor(mid - 1).type_as(relative_pos), torch.abs(relative_pos))
    log_pos = torch.ceil(torch.log(abs_pos / mid) / torch.log(torch.tensor((max_position - 1) / mid)) * (mid - 1)) + mid
    return torch.where(abs_pos <= mid, relative_pos.type_as(log_pos), log_pos * sign)


def llama3_inv_freq(base, dim, factor, low, high, orig, dtype):
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype) / dim))
    low_freq_wavelen = orig / low
    high_freq_wavelen = orig / high
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (orig / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * inv_freq_llama / factor + smooth * inv_freq_llama
    is_medium = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium, smoothed, inv_freq_llama)


def default_inv_freq(base, dim):
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).double() / dim))


def dynamic_inv_freq(base, dim, factor, max_pos, seq_len):
    seq_len = seq_len if seq_len > max_pos else max_pos
    base = base * ((factor * seq_len / max_pos) - (factor - 1)) ** (dim / (dim - 2))
    return default_inv_freq(base, dim), 1.0


def yarn_inv_freq(base, dim, factor, orig, beta_fast=32, beta_slow=1, mscale=None, mscale_all_dim=None,
                  attention_factor=None, truncate=True):
    def get_mscale(scale, m=1):
        return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0
    if attention_factor is None:
        if mscale and mscale_all_dim:
            attention_factor = float(get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim))
        else:
            attention_factor = get_mscale(factor)

    def correction_dim(rot):
        return (dim * math.log(orig / (rot * 2 * math.pi))) / (2 * math.log(base))
    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
    pos_freqs = base ** (torch.arange(0, dim, 2).double() / dim)
    extrapolation = 1.0 / pos_freqs
    interpolation = 1.0 / (factor * pos_freqs)
    extra_factor = 1 - ramp.double()
    return interpolation * (1 - extra_factor) + extrapolation * extra_factor, attention_factor


def longrope_inv_freq(base, dim, short, long, max_pos, orig, seq_len):
    factor = max_pos / orig
    attention_factor = 1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(orig))
    ext = torch.tensor(long if seq_len > orig else short, dtype=torch.float64)
    return 1.0 / (ext * base ** (torch.arange(0, dim, 2).double() / dim)), attention_factor


def main():
    out = {}
    rels = [0, 1, -1, 5, 127, -127, 128, -128, 129, -129, 130, 200, -200, 255, 256, 300, 511, -511, 512,
            1000, -1000, 4096, 100000]
    rows = []
    for bucket_size, max_pos in [(256, 512), (256, 1024), (64, 128), (8, 16)]:
        r = torch.tensor(rels, dtype=torch.long)
        b = make_log_bucket_position(r, bucket_size, max_pos).long()
        rows += [[int(x), bucket_size, max_pos, int(y)] for x, y in zip(r, b)]
    out["deberta_log_bucket"] = rows

    cfg = dict(base=500000.0, dim=128, factor=8.0, low=1.0, high=4.0, orig=8192)
    f32 = llama3_inv_freq(cfg["base"], cfg["dim"], cfg["factor"], cfg["low"], cfg["high"], cfg["orig"], torch.float32)
    f64 = llama3_inv_freq(cfg["base"], cfg["dim"], cfg["factor"], cfg["low"], cfg["high"], cfg["orig"], torch.float64)
    out["llama3_inv_freq"] = {"base": cfg["base"], "head_dim": cfg["dim"], "factor": cfg["factor"],
                              "low_freq_factor": cfg["low"], "high_freq_factor": cfg["high"],
                              "original_max_position_embeddings": cfg["orig"],
                              "inv_freq": [float(x) for x in f32]}
    s_rows = []
    for o in [0, 1, 7, 100, 1000, 2500, 4095]:
        s = float((2.0 / cfg["dim"]) * torch.cos(o * f64).sum())
        s_rows.append([o, s])
    out["llama3_s"] = s_rows

    cases = []
    def add(name, scaling, dim, base, seq_len, result):
        inv, af = result
        cases.append({"name": name, "rope_scaling": scaling, "head_dim": dim, "base": base, "seq_len": seq_len,
                      "inv_freq": [float(x) for x in inv], "attention_factor": af})
    add("linear x4", {"rope_type": "linear", "factor": 4.0}, 64, 10000.0, 100,
        (default_inv_freq(10000.0, 64) / 4.0, 1.0))
    for seq in [1000, 4096]:
        add("dynamic x2, %d tokens" % seq, {"rope_type": "dynamic", "factor": 2.0, "max_position_embeddings": 2048},
            128, 10000.0, seq, dynamic_inv_freq(10000.0, 128, 2.0, 2048, seq))
    add("yarn x4 (Qwen2.5)", {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768},
        128, 1000000.0, 100, yarn_inv_freq(1000000.0, 128, 4.0, 32768))
    add("yarn x40 mscale (DeepSeek-V3)", {"rope_type": "yarn", "factor": 40.0, "original_max_position_embeddings": 4096,
                                          "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0},
        64, 10000.0, 100, yarn_inv_freq(10000.0, 64, 40.0, 4096, 32, 1, 1.0, 1.0))
    add("yarn x8, mscale 0.707 only", {"rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 4096,
                                        "mscale": 0.707},
        64, 10000.0, 100, yarn_inv_freq(10000.0, 64, 8.0, 4096, mscale=0.707))
    short = [1.0 + 0.05 * k for k in range(48)]
    long = [1.0 + 0.9 * k for k in range(48)]
    for seq in [3000, 5000]:
        add("longrope, %d tokens (Phi-3 lengths)" % seq,
            {"rope_type": "longrope", "short_factor": short, "long_factor": long,
             "max_position_embeddings": 131072, "original_max_position_embeddings": 4096},
            96, 10000.0, seq, longrope_inv_freq(10000.0, 96, short, long, 131072, 4096, seq))
    out["rope_scaling"] = cases

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "position_fixtures.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path, file=sys.stderr)


if __name__ == "__main__":
    main()
