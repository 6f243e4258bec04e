#!/usr/bin/python3
"""Writes tests/data/train/gpt_reference.json: the training lab's model computed by PyTorch.

An independent implementation of the same model (GPT-2's block as in Hugging Face's GPT2Model:
pre-LayerNorm, Conv1D weights stored (in, out), causal mask, GELU tanh, tied head) with every
position scheme written out from its paper's formula here, not from EmbedScope's code:
sinusoidal rows (interleaved sin/cos, base 10000), RoPE (rotate_half over the whole head, base
10000), ALiBi (BLOOM's slopes, -m (i - j)), T5 (causal buckets, shared table), Transformer-XL
(Dai et al. 2019: (q + u).k_j + (q + v).W_kR R_{i-j}, R the [sin | cos] sinusoid of the
distance, W_kR stored (in, out)). Weights are a
fixed formula of the parameter's index so that the C++ test can rebuild them exactly.

Run with Debian's python3-torch:  /usr/bin/python3 tests/data/train/make_train_fixtures.py
"""
import json
import math
import os

import torch

torch.set_default_dtype(torch.float64)

V, LAYERS, H, D, CTX = 11, 2, 2, 8, 6
B, T = 2, 5
BUCKETS, MAXD = 8, 16
INPUTS = [1, 4, 4, 2, 6, 0, 3, 3, 5, 10]
TARGETS = [4, 4, 2, 6, -1, 3, 3, 5, 10, 2]


def value(k, salt):
    """Deterministic parameter values: small, varied, reproducible in C++."""
    return 0.3 * math.sin(0.7 * k + 1.3 * salt) + 0.05 * math.cos(0.11 * k * k + salt)


def tensor_list(scheme):
    t = [("wte.weight", (V, D))]
    if scheme == "learned":
        t.append(("wpe.weight", (CTX, D)))
    for l in range(LAYERS):
        p = f"h.{l}."
        t += [(p + "ln_1.weight", (D,)), (p + "ln_1.bias", (D,)),
              (p + "attn.c_attn.weight", (D, 3 * D)), (p + "attn.c_attn.bias", (3 * D,)),
              (p + "attn.c_proj.weight", (D, D)), (p + "attn.c_proj.bias", (D,))]
        if scheme == "transformer-xl":
            t += [(p + "attn.r_w_bias", (H, D // H)), (p + "attn.r_r_bias", (H, D // H)), (p + "attn.r_net.weight", (D, D))]
        t += [(p + "ln_2.weight", (D,)), (p + "ln_2.bias", (D,)),
              (p + "mlp.c_fc.weight", (D, 4 * D)), (p + "mlp.c_fc.bias", (4 * D,)),
              (p + "mlp.c_proj.weight", (4 * D, D)), (p + "mlp.c_proj.bias", (D,))]
    t += [("ln_f.weight", (D,)), ("ln_f.bias", (D,))]
    if scheme == "t5":
        t.append(("h.0.attn.relative_attention_bias.weight", (BUCKETS, H)))
    return t


def make_params(scheme):
    params = {}
    for salt, (name, shape) in enumerate(tensor_list(scheme)):
        n = math.prod(shape)
        vals = [value(k, salt) for k in range(n)]
        if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
            vals = [1.0 + v for v in vals]
        params[name] = torch.tensor(vals).reshape(shape).requires_grad_(True)
    return params


def sinusoid_rows(n, d):
    out = torch.zeros(n, d)
    for p in range(n):
        for i in range(d // 2):
            w = 1.0 / (10000 ** (2 * i / d))
            out[p, 2 * i] = math.sin(p * w)
            out[p, 2 * i + 1] = math.cos(p * w)
    return out


def txl_rel(n, d):  # R_o for o = 0 .. n-1: [sin(o w_k) | cos(o w_k)], w_k = 10000^(-2k/d)
    out = torch.zeros(n, d)
    for o in range(n):
        for k in range(d // 2):
            w = 1.0 / (10000 ** (2 * k / d))
            out[o, k] = math.sin(o * w)
            out[o, d // 2 + k] = math.cos(o * w)
    return out


def rope(x, positions):  # x (..., T, dh), rotate_half convention
    dh = x.shape[-1]
    inv = torch.tensor([1.0 / (10000 ** (2 * i / dh)) for i in range(dh // 2)])
    ang = torch.outer(torch.tensor(positions, dtype=torch.float64), inv)  # (T, dh/2)
    cos = torch.cat([ang.cos(), ang.cos()], dim=-1)
    sin = torch.cat([ang.sin(), ang.sin()], dim=-1)
    x1, x2 = x[..., : dh // 2], x[..., dh // 2:]
    rot = torch.cat([-x2, x1], dim=-1)
    return x * cos + rot * sin


def alibi_slopes(h):
    def pow2(n):
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start ** i for i in range(n)]
    if math.log2(h).is_integer():
        return pow2(h)
    c = 2 ** math.floor(math.log2(h))
    return pow2(c) + pow2(2 * c)[0::2][: h - c]


def t5_bucket(rel, buckets, maxd):  # causal: rel = key - query <= 0
    n = max(-rel, 0)
    max_exact = buckets // 2
    if n < max_exact:
        return n
    large = max_exact + int(math.log(n / max_exact) / math.log(maxd / max_exact) * (buckets - max_exact))
    return min(large, buckets - 1)


def layernorm(x, g, b):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + 1e-5) * g + b


def gelu(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def forward(scheme, P):
    ids = torch.tensor(INPUTS).reshape(B, T)
    x = P["wte.weight"][ids]
    if scheme == "learned":
        x = x + P["wpe.weight"][:T]
    if scheme == "sinusoidal":
        x = x + sinusoid_rows(T, D)
    dh = D // H
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    bias = torch.zeros(H, T, T)
    if scheme == "alibi":
        s = alibi_slopes(H)
        for h in range(H):
            for i in range(T):
                for j in range(T):
                    bias[h, i, j] = -s[h] * (i - j)
    for l in range(LAYERS):
        p = f"h.{l}."
        h1 = layernorm(x, P[p + "ln_1.weight"], P[p + "ln_1.bias"])
        qkv = h1 @ P[p + "attn.c_attn.weight"] + P[p + "attn.c_attn.bias"]
        q, k, v = qkv.split(D, dim=-1)
        q = q.reshape(B, T, H, dh).transpose(1, 2)
        k = k.reshape(B, T, H, dh).transpose(1, 2)
        v = v.reshape(B, T, H, dh).transpose(1, 2)
        if scheme == "rope":
            q, k = rope(q, range(T)), rope(k, range(T))
        if scheme == "transformer-xl":
            u = P[p + "attn.r_w_bias"].reshape(1, H, 1, dh)
            vb = P[p + "attn.r_r_bias"].reshape(1, H, 1, dh)
            rk = (txl_rel(T, D) @ P[p + "attn.r_net.weight"]).reshape(T, H, dh).transpose(0, 1)  # (H, T, dh)
            ac = (q + u) @ k.transpose(-1, -2)
            bd = torch.zeros(B, H, T, T)
            rows = []
            for i in range(T):
                cols = []
                for j in range(T):
                    cols.append(((q[:, :, i, :] + vb[:, :, 0, :]) * rk[:, max(i - j, 0), :]).sum(-1))
                rows.append(torch.stack(cols, -1))
            bd = torch.stack(rows, -2)
            att = (ac + bd) / math.sqrt(dh)
        else:
            att = q @ k.transpose(-1, -2) / math.sqrt(dh)
        if scheme == "t5":
            tb = torch.zeros(H, T, T)
            table = P["h.0.attn.relative_attention_bias.weight"]
            rows = []
            for h in range(H):
                rows.append(torch.stack([torch.stack([table[t5_bucket(j - i, BUCKETS, MAXD), h] for j in range(T)]) for i in range(T)]))
            att = att + torch.stack(rows)
        else:
            att = att + bias
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + y @ P[p + "attn.c_proj.weight"] + P[p + "attn.c_proj.bias"]
        h2 = layernorm(x, P[p + "ln_2.weight"], P[p + "ln_2.bias"])
        x = x + gelu(h2 @ P[p + "mlp.c_fc.weight"] + P[p + "mlp.c_fc.bias"]) @ P[p + "mlp.c_proj.weight"] + P[p + "mlp.c_proj.bias"]
    xf = layernorm(x, P["ln_f.weight"], P["ln_f.bias"])
    logits = (xf @ P["wte.weight"].T).reshape(B * T, V)
    return torch.nn.functional.cross_entropy(logits, torch.tensor(TARGETS), ignore_index=-1)


def main():
    out = {"vocab": V, "layers": LAYERS, "heads": H, "dim": D, "context": CTX, "batch": B, "length": T,
           "t5_buckets": BUCKETS, "t5_max_distance": MAXD, "inputs": INPUTS, "targets": TARGETS,
           "value": "0.3 sin(0.7 k + 1.3 s) + 0.05 cos(0.11 k^2 + s), k the index in the tensor, s its position in the list; LayerNorm gains 1 + that",
           "schemes": {}}
    for scheme in ["none", "learned", "sinusoidal", "rope", "alibi", "t5", "transformer-xl"]:
        P = make_params(scheme)
        loss = forward(scheme, P)
        loss.backward()
        out["schemes"][scheme] = {
            "tensors": [name for name, _ in tensor_list(scheme)],
            "loss": loss.item(),
            "grads": {name: t.grad.flatten().tolist() for name, t in P.items()},
        }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpt_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
    print("wrote", path)


if __name__ == "__main__":
    main()
