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

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "position_fixtures.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path, file=sys.stderr)


if __name__ == "__main__":
    main()
