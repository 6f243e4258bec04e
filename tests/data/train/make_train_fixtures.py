#!/usr/bin/python3
"""Writes tests/data/train/gpt_reference.json: the training lab's model computed by PyTorch.

An independent implementation of the same model (GPT-2's block as in Hugging Face's GPT2Model:
pre-LayerNorm, Conv1D weights stored (in, out), causal mask, GELU tanh, tied head) with every
position scheme written out from its paper's formula here, not from EmbedScope's code:
sinusoidal rows (interleaved sin/cos, base 10000, added to the token rows times sqrt(d) as the
paper does), RoPE (rotate_half over the whole head, base
10000), ALiBi (BLOOM's slopes, -m (i - j)), T5 (causal buckets, shared table), Transformer-XL
(Dai et al. 2019: (q + u).k_j + (q + v).W_kR R_{i-j}, R the [sin | cos] sinusoid of the
distance, W_kR stored (in, out)), DeBERTa (HF DebertaV2 disentangled attention: log buckets,
share_att_key, c2p and p2c gathered as HF gathers them, 1/sqrt(3 d_head)). Weights are a
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
DEB_BUCKETS, DEB_MAXD = 4, 8  # DeBERTa: mid 2, so offsets 3 and 4 fall in log buckets
XPOS_SCALE_BASE = 4.0         # small, so that the decay over 5 positions is far from 1
FIRE_HIDDEN = 32
# Tensors whose values start at an offset (LayerNorm gains at 1; KERPLE's r1, r2 and FIRE's c
# positive; FIRE's threshold L near 4, so that max(L, i) takes both branches over 5 positions).
OFFSETS = {"ln_1.weight": 1.0, "ln_2.weight": 1.0, "ln_f.weight": 1.0, "attn.kerple_r1": 1.0,
           "attn.kerple_r2": 1.0, "attn.fire_c": 1.0, "attn.fire_L": 4.0}
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
        if scheme == "kerple":
            t += [(p + "attn.kerple_r1", (H,)), (p + "attn.kerple_r2", (H,))]
        if scheme == "fire":
            t += [(p + "attn.fire_c", (1,)), (p + "attn.fire_L", (1,)), (p + "attn.fire_w1", (FIRE_HIDDEN,)),
                  (p + "attn.fire_b1", (FIRE_HIDDEN,)), (p + "attn.fire_w2", (FIRE_HIDDEN, H)), (p + "attn.fire_b2", (H,))]
        t += [(p + "ln_2.weight", (D,)), (p + "ln_2.bias", (D,)),
              (p + "mlp.c_fc.weight", (D, 4 * D)), (p + "mlp.c_fc.bias", (4 * D,)),
              (p + "mlp.c_proj.weight", (4 * D, D)), (p + "mlp.c_proj.bias", (D,))]
    t += [("ln_f.weight", (D,)), ("ln_f.bias", (D,))]
    if scheme == "t5":
        t.append(("h.0.attn.relative_attention_bias.weight", (BUCKETS, H)))
    if scheme == "deberta":
        t.append(("rel_embeddings.weight", (2 * DEB_BUCKETS, D)))
    return t


def make_params(scheme):
    params = {}
    for salt, (name, shape) in enumerate(tensor_list(scheme)):
        n = math.prod(shape)
        off = next((o for suffix, o in OFFSETS.items() if name.endswith(suffix)), 0.0)
        vals = [off + value(k, salt) for k in range(n)]
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


def xpos(x, key):
    """torchscale's XPOS on x (..., T, dh): rotate_every_two pairs, decay scale^(+-power)."""
    dh = x.shape[-1]
    scale = (torch.arange(0, dh, 2).double() + 0.4 * dh) / (1.4 * dh)
    min_pos = -T // 2
    power = torch.arange(min_pos, min_pos + T).double() / XPOS_SCALE_BASE
    sc = scale[None, :] ** power[:, None]                                   # (T, dh/2)
    if key:
        sc = 1.0 / sc
    inv_freq = 1.0 / (10000 ** (torch.arange(0, dh // 2).double() / (dh // 2)))
    ang = torch.arange(T).double()[:, None] * inv_freq[None, :]
    sin = torch.repeat_interleave(ang.sin() * sc, 2, dim=-1)
    cos = torch.repeat_interleave(ang.cos() * sc, 2, dim=-1)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    rot = torch.stack((-x2, x1), dim=-1).flatten(-2)
    return x * cos + rot * sin


def kerple_bias(r1, r2):
    """KERPLE log: -r1 log(1 + r2 (i - j)), r1 and r2 clamped at 0.01 as the reference code does."""
    r1, r2 = r1.clamp(min=0.01), r2.clamp(min=0.01)
    pos = torch.arange(T).double()
    dist = (pos[:, None] - pos[None, :]).clamp(min=0)
    return -r1[:, None, None] * torch.log(1 + r2[:, None, None] * dist[None])   # (H, T, T)


def fire_bias(c, L, w1, b1, w2, b2):
    """FIRE: MLP(psi(i - j) / psi(max(L, i))), psi(x) = log(c x + 1); c >= 0.01 and L >= 1."""
    c, L = c.clamp(min=0.01)[0], L.clamp(min=1.0)[0]
    pos = torch.arange(T).double()
    dist = (pos[:, None] - pos[None, :]).clamp(min=0)
    m = torch.maximum(pos[:, None].expand(T, T), L)
    x = torch.log(c * dist + 1) / torch.log(c * m + 1)
    hidden = torch.relu(x[..., None] * w1 + b1)                              # (T, T, 32)
    return (hidden @ w2 + b2).permute(2, 0, 1)                               # (H, T, T)


def deberta_log_bucket(rel, bucket_size, max_position):
    """HF make_log_bucket_position, elementwise on a tensor of query - key offsets."""
    sign = torch.sign(rel)
    mid = bucket_size // 2
    abs_pos = torch.where((rel < mid) & (rel > -mid), torch.tensor(mid - 1).type_as(rel), torch.abs(rel))
    log_pos = torch.ceil(torch.log(abs_pos / mid) / torch.log(torch.tensor((max_position - 1) / mid)) * (mid - 1)) + mid
    return torch.where(abs_pos <= mid, rel.type_as(log_pos), log_pos * sign).long()


def deberta_scores(q, k, rel_emb, w, b):
    """HF DebertaV2 disentangled_attention_bias with share_att_key, c2p|p2c (gathers as HF does)."""
    dh = D // H
    span = DEB_BUCKETS
    pos = torch.arange(T)
    relative_pos = deberta_log_bucket((pos[:, None] - pos[None, :]).double(), DEB_BUCKETS, DEB_MAXD)  # (q, k)
    pos_query = (rel_emb @ w[:, :D] + b[:D]).reshape(2 * span, H, dh).transpose(0, 1)      # (H, 2span, dh)
    pos_key = (rel_emb @ w[:, D:2 * D] + b[D:2 * D]).reshape(2 * span, H, dh).transpose(0, 1)
    scale = math.sqrt(dh * 3)
    att = q @ k.transpose(-1, -2) / scale
    c2p = q @ pos_key.transpose(-1, -2)                                  # (B, H, T, 2span)
    c2p_pos = torch.clamp(relative_pos + span, 0, 2 * span - 1)
    c2p = torch.gather(c2p, -1, c2p_pos.expand(B, H, T, T))
    p2c = k @ pos_query.transpose(-1, -2)                                # (B, H, T keys, 2span)
    p2c_pos = torch.clamp(-relative_pos + span, 0, 2 * span - 1)
    p2c = torch.gather(p2c, -1, p2c_pos.expand(B, H, T, T)).transpose(-1, -2)
    return att + (c2p + p2c) / scale


def layernorm(x, g, b):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + 1e-5) * g + b


def gelu(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def forward(scheme, P, block0=None):
    """Mean cross-entropy; block0 (a list), if given, receives block 0's logits of sequence 0,
    (H, T, T) with the masked keys as None: what `embedscope-cli attention` must print."""
    ids = torch.tensor(INPUTS).reshape(B, T)
    x = P["wte.weight"][ids]
    if scheme == "learned":
        x = x + P["wpe.weight"][:T]
    if scheme == "sinusoidal":
        # Vaswani et al. 2017, section 3.4: the embedding weights times sqrt(d_model), then the sinusoids.
        x = x * math.sqrt(D) + sinusoid_rows(T, D)
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
        if scheme == "xpos":
            q, k = xpos(q, False), xpos(k, True)
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
        elif scheme == "deberta":
            att = deberta_scores(q, k, P["rel_embeddings.weight"], P[p + "attn.c_attn.weight"], P[p + "attn.c_attn.bias"])
        else:
            att = q @ k.transpose(-1, -2) / math.sqrt(dh)
        if scheme == "t5":
            tb = torch.zeros(H, T, T)
            table = P["h.0.attn.relative_attention_bias.weight"]
            rows = []
            for h in range(H):
                rows.append(torch.stack([torch.stack([table[t5_bucket(j - i, BUCKETS, MAXD), h] for j in range(T)]) for i in range(T)]))
            att = att + torch.stack(rows)
        elif scheme == "kerple":
            att = att + kerple_bias(P[p + "attn.kerple_r1"], P[p + "attn.kerple_r2"])
        elif scheme == "fire":
            att = att + fire_bias(*(P[p + "attn.fire_" + n] for n in ["c", "L", "w1", "b1", "w2", "b2"]))
        else:
            att = att + bias
        if l == 0 and block0 is not None:
            block0.extend([[[att[0, h, i, j].item() if j <= i else None for j in range(T)] for i in range(T)]
                           for h in range(H)])
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
           "value": "0.3 sin(0.7 k + 1.3 s) + 0.05 cos(0.11 k^2 + s), k the index in the tensor, s its position in the list; plus the offset of the tensor's name suffix",
           "offsets": OFFSETS,
           "schemes": {}}
    for scheme in ["none", "learned", "sinusoidal", "rope", "alibi", "t5", "transformer-xl", "deberta", "xpos",
                   "kerple", "fire"]:
        P = make_params(scheme)
        block0 = []
        loss = forward(scheme, P, block0)
        loss.backward()
        out["schemes"][scheme] = {
            "tensors": [name for name, _ in tensor_list(scheme)],
            "loss": loss.item(),
            "block0_logits": block0,
            "params": {"buckets": DEB_BUCKETS, "max-distance": DEB_MAXD} if scheme == "deberta"
            else {"scale-base": XPOS_SCALE_BASE} if scheme == "xpos"
            else {"buckets": BUCKETS, "max-distance": MAXD} if scheme == "t5" else {},
            "grads": {name: t.grad.flatten().tolist() for name, t in P.items()},
        }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpt_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
    print("wrote", path)


if __name__ == "__main__":
    main()
