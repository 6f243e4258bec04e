#!/usr/bin/env python3
"""Writes attention_fixtures.json: block-0 attention logits of four tiny checkpoints, for
tests/test_attention.cpp. Run with Debian's python3-torch (/usr/bin/python3); the tests only
read the JSON.

Every weight is a formula, so the C++ test writes the same checkpoint without a binary
fixture: value(seed, i) = 0.25 * sin(0.61 * i + seed) for the i-th element (row-major) of a
tensor, rounded to float32; norm weights are 1 + 0.1 * value, norm biases 0.1 * value.

The logits follow the transformers implementations step by step:
  gpt2      x = wte[ids] + wpe[:n]; h = ln_1(x); q, k = split(h @ c_attn.weight + bias)
  llama     h = RMSNorm(wte[ids]); q = h q_proj^T, k = h k_proj^T (grouped-query: 2 heads,
            1 key head); rotate_half RoPE (base 10000) on q and k
  gpt_neox  h = LayerNorm(embed_in[ids]); qkv viewed (n, H, 3 dh): q = [:dh], k = [dh:2dh];
            rotate_half RoPE on the first rotary_pct * dh dims
  bloom     h = input_layernorm(word_embeddings_layernorm(E[ids])); qkv as NeoX; ALiBi bias
            -m_h (i - j) (Press et al.; BLOOM's own code adds m_h * j, which differs by a
            constant per query, so the softmax is the same)
then logits = q_h k_h^T / sqrt(dh) (+ bias), keys after the query masked (null in the JSON).
"""
import json
import math
import os

import torch

F = torch.float32


def value(seed, shape):
    n = 1
    for s in shape:
        n *= s
    v = torch.tensor([0.25 * math.sin(0.61 * i + seed) for i in range(n)], dtype=torch.float64).to(F)
    return v.reshape(shape)


def norm_w(seed, d):
    return (1 + 0.1 * value(seed, (d,)).double()).to(F)


def norm_b(seed, d):
    return (0.1 * value(seed, (d,)).double()).to(F)


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope(x, base):  # x (n, dh_rot)
    n, dr = x.shape
    inv_freq = 1.0 / (base ** (torch.arange(0, dr, 2, dtype=torch.int64).float() / dr))
    t = torch.arange(n, dtype=torch.float32)
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return x * emb.cos() + rotate_half(x) * emb.sin()


def alibi_slopes(h):
    return [2 ** (-8 * (i + 1) / h) for i in range(h)]


def finish(q_heads, k_heads, dh, bias=None):
    out = []
    for hh, (q, k) in enumerate(zip(q_heads, k_heads)):
        l = (q @ k.T) / math.sqrt(dh)
        if bias is not None:
            l = l + bias[hh]
        n = l.shape[0]
        rows = [[float(l[i, j]) if j <= i else None for j in range(n)] for i in range(n)]
        out.append(rows)
    return out


def main():
    ids = [3, 5, 7, 3, 9, 1]
    n = len(ids)
    V, d, H = 11, 8, 2
    dh = d // H
    fx = {"ids": ids, "vocab": V, "dim": d, "heads": H, "models": {}}

    # GPT-2
    wte, wpe = value(1, (V, d)), value(2, (n, d))
    g, b = norm_w(3, d), norm_b(4, d)
    W, B = value(5, (d, 3 * d)), value(6, (3 * d,))
    x = wte[ids] + wpe[:n]
    h = layer_norm(x, g, b, 1e-5)
    qkv = h @ W + B
    q, k = qkv[:, :d], qkv[:, d:2 * d]
    fx["models"]["gpt2"] = finish([q[:, i * dh:(i + 1) * dh] for i in range(H)],
                                  [k[:, i * dh:(i + 1) * dh] for i in range(H)], dh)

    # LLaMA, grouped-query: 2 query heads, 1 key head
    E = value(1, (V, d))
    g = norm_w(3, d)
    Wq, Wk = value(5, (H * dh, d)), value(6, (1 * dh, d))
    h = rms_norm(E[ids], g, 1e-6)
    q, k = h @ Wq.T, h @ Wk.T
    qh = [rope(q[:, i * dh:(i + 1) * dh], 10000.0) for i in range(H)]
    kh = [rope(k, 10000.0)] * H
    fx["models"]["llama"] = finish(qh, kh, dh)

    # GPT-NeoX, rotary_pct 0.5
    E = value(1, (V, d))
    g, b = norm_w(3, d), norm_b(4, d)
    W, B = value(5, (3 * d, d)), value(6, (3 * d,))
    h = layer_norm(E[ids], g, b, 1e-5)
    qkv = (h @ W.T + B).view(n, H, 3 * dh)
    q, k = qkv[..., :dh], qkv[..., dh:2 * dh]
    rot = 2

    def neox_rope(x):
        return torch.cat((rope(x[:, :rot], 10000.0), x[:, rot:]), dim=-1)

    fx["models"]["gpt_neox"] = finish([neox_rope(q[:, i]) for i in range(H)], [neox_rope(k[:, i]) for i in range(H)], dh)

    # BLOOM
    E = value(1, (V, d))
    g0, b0 = norm_w(3, d), norm_b(4, d)
    g1, b1 = norm_w(7, d), norm_b(8, d)
    W, B = value(5, (3 * d, d)), value(6, (3 * d,))
    h = layer_norm(layer_norm(E[ids], g0, b0, 1e-5), g1, b1, 1e-5)
    qkv = (h @ W.T + B).view(n, H, 3, dh)
    q, k = qkv[:, :, 0], qkv[:, :, 1]
    slopes = alibi_slopes(H)
    bias = [torch.tensor([[-m * (i - j) for j in range(n)] for i in range(n)], dtype=F) for m in slopes]
    fx["models"]["bloom"] = finish([q[:, i] for i in range(H)], [k[:, i] for i in range(H)], dh, bias)

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "attention_fixtures.json")
    with open(path, "w") as f:
        json.dump(fx, f)
        f.write("\n")


if __name__ == "__main__":
    main()
