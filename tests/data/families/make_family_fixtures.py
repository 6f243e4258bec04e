#!/usr/bin/env python3
"""Writes family_fixtures.json: one tiny checkpoint per model family, written the way Hugging
Face names its tensors, with what EmbedScope must read from it (family, scheme, norm, offset,
embedding scale, causal flag), the rows block 0 receives and block 0's attention logits, for
tests/test_families.cpp. Run with Debian's python3-torch (/usr/bin/python3); the tests only read
the JSON.

Every weight is a formula, so the C++ test writes the same checkpoint from the JSON's tensor
list: value(seed, i) = 0.25 * sin(0.61 * i + seed) for the i-th element (row-major); "norm_w"
tensors are 1 + 0.1 * value, "norm_b" tensors 0.1 * value.

Each forward pass below is written from the transformers modeling file of that model_type
(the input stage and block 0's attention up to the logits), independently of EmbedScope's code:
  opt          embed_tokens + embed_positions[i + 2]; self_attn_layer_norm; q_proj, k_proj (+bias)
  bart         embed_tokens * sqrt(d_model) (scale_embedding) + embed_positions[i + 2];
               layernorm_embedding; q_proj, k_proj (+bias) (post-LN: no norm before attention)
  mbart        as bart, then layer 0's self_attn_layer_norm before attention (pre-LN)
  distilbert   word + position; LayerNorm (eps 1e-12); q_lin, k_lin (+bias)
  albert       word + token type 0 + position at embedding_size; LayerNorm;
               embedding_hidden_mapping_in; query, key (+bias)
  electra      as albert with embeddings_project
  bert         word + token type 0 + position; LayerNorm; query, key (+bias); and with
               position_embedding_type relative_key(_query): no position rows, distance terms
               q_i . r(i - j) (+ k_j . r(i - j)) from distance_embedding inside attention
  gptj         ln_1; q_proj, k_proj; "rotate every two" RoPE on rotary_dim dims of each head
  codegen      ln_1; qkv_proj in 4 chunks of [q | v | k]; RoPE as GPT-J
  phi          LayerNorm; q_proj, k_proj (+bias); per-head q/k LayerNorm (qk_layernorm);
               rotate_half RoPE on partial_rotary_factor of each head
  stablelm     LayerNorm; q_proj, k_proj (+bias); rotate_half RoPE on 25% of each head
  starcoder2   LayerNorm (norm_epsilon); q_proj, k_proj (+bias); RoPE; sliding window
  phi3         RMSNorm; qkv_proj rows [q | k | v]; RoPE
  qwen3        RMSNorm; q_proj, k_proj; per-head RMSNorm of q and k (q_norm, k_norm); RoPE
  gemma2       rows * sqrt(d); (1 + w) RMSNorm; RoPE; logits * query_pre_attn_scalar^-1/2,
               soft-capped c tanh(l / c); sliding window
  gemma3_text  rows * sqrt(d); (1 + w) RMSNorm; per-head (1 + w) q/k norms; RoPE with
               rope_local_base_freq (layer 0 is local), no scaling; query_pre_attn_scalar
  olmo         LayerNorm without weights; q_proj, k_proj clamped to +-clip_qkv; RoPE
  olmo2        no norm before attention; RMSNorm of all of q and of all of k; RoPE
  gpt_oss      RMSNorm; q_proj, k_proj (+bias); RoPE (the softmax's sink logit is not a logit of a key)
then logits = q_h k_h^T * scale (+ nothing: none of these add a bias), masked keys null.
deepseek_v3 has only the input stage (its latent attention is refused by name).
"""
import json
import math
import os

import torch

F = torch.float32
IDS = [3, 5, 7, 3, 9, 1]
N = len(IDS)
V = 11


class Case:
    def __init__(self, name, config):
        self.name = name
        self.config = config
        self.tensors = []

    def t(self, name, seed, shape, kind="value"):
        self.tensors.append({"name": name, "seed": seed, "shape": list(shape), "kind": kind})
        n = 1
        for s in shape:
            n *= s
        v = torch.tensor([0.25 * math.sin(0.61 * i + seed) for i in range(n)], dtype=torch.float64).to(F)
        if kind == "norm_w":
            v = (1 + 0.1 * v.double()).to(F)
        elif kind == "norm_b":
            v = (0.1 * v.double()).to(F)
        return v.reshape(shape)


def layer_norm(x, w, b, eps):
    d = x.shape[-1]
    if w is None:
        w = torch.ones(d, dtype=F)
    if b is None:
        b = torch.zeros(d, dtype=F)
    return torch.nn.functional.layer_norm(x, (d,), w, b, eps)


def rms_norm(x, w, eps, one_plus=False):
    xf = x.double()
    y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return (y * ((1 + w.double()) if one_plus else w.double())).to(F)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def inv_freq(dr, base):
    return 1.0 / (base ** (torch.arange(0, dr, 2, dtype=torch.float64) / dr))


def rope_half(x, dr, base):
    """rotate_half RoPE on the first dr dims of each row of x (n, dh)."""
    t = torch.arange(x.shape[0], dtype=torch.float64)
    fr = torch.outer(t, inv_freq(dr, base))
    emb = torch.cat((fr, fr), dim=-1)
    xr = x[:, :dr].double()
    out = xr * emb.cos() + rotate_half(xr) * emb.sin()
    return torch.cat((out.to(F), x[:, dr:]), dim=-1)


def rope_every_two(x, dr, base):
    """GPT-J's rotate_every_two on the first dr dims: pairs (2i, 2i + 1)."""
    t = torch.arange(x.shape[0], dtype=torch.float64)
    fr = torch.outer(t, inv_freq(dr, base))
    sin = torch.repeat_interleave(fr.sin(), 2, dim=-1)
    cos = torch.repeat_interleave(fr.cos(), 2, dim=-1)
    xr = x[:, :dr].double()
    x1, x2 = xr[:, ::2], xr[:, 1::2]
    rot = torch.stack((-x2, x1), dim=-1).flatten(-2)
    out = xr * cos + rot * sin
    return torch.cat((out.to(F), x[:, dr:]), dim=-1)


def heads_of(x, h, dh):
    return [x[:, i * dh:(i + 1) * dh] for i in range(h)]


def logits(qh, kh, scale, causal, window=0, softcap=0.0):
    out = []
    for q, k in zip(qh, kh):
        l = (q.double() @ k.double().T) * scale
        if softcap:
            l = softcap * torch.tanh(l / softcap)
        rows = []
        for i in range(N):
            row = []
            for j in range(N):
                masked = (causal and j > i) or (window and i - j >= window)
                row.append(None if masked else float(l[i, j]))
            rows.append(row)
        out.append(rows)
    return out


def grouped(kh, heads):
    g = heads // len(kh)
    return [kh[i // g] for i in range(heads)]


def finish(case, expect, combined, normed, attn_logits):
    expect["combined"] = combined.tolist()
    expect["normed"] = normed.tolist() if normed is not None else None
    expect["logits"] = attn_logits
    return {"name": case.name, "config": case.config, "tensors": case.tensors, "expect": expect}


def opt():
    c = Case("opt", {"model_type": "opt", "hidden_size": 8, "num_attention_heads": 2, "max_position_embeddings": 6,
                     "word_embed_proj_dim": 8, "do_layer_norm_before": True, "vocab_size": V})
    E = c.t("model.decoder.embed_tokens.weight", 1, (V, 8))
    P = c.t("model.decoder.embed_positions.weight", 2, (N + 2, 8))
    g, b = c.t("model.decoder.layers.0.self_attn_layer_norm.weight", 3, (8,), "norm_w"), \
        c.t("model.decoder.layers.0.self_attn_layer_norm.bias", 4, (8,), "norm_b")
    Wq, bq = c.t("model.decoder.layers.0.self_attn.q_proj.weight", 5, (8, 8)), c.t("model.decoder.layers.0.self_attn.q_proj.bias", 6, (8,))
    Wk, bk = c.t("model.decoder.layers.0.self_attn.k_proj.weight", 7, (8, 8)), c.t("model.decoder.layers.0.self_attn.k_proj.bias", 8, (8,))
    x = E[IDS] + P[2:N + 2]
    h = layer_norm(x, g, b, 1e-5)
    q, k = h @ Wq.T + bq, h @ Wk.T + bk
    return finish(c, {"family": "opt", "scheme": "learned", "norm": "LayerNorm", "eps": 1e-5, "offset": 2, "scale": 1.0,
                      "causal": True, "norm_on_input": False},
                  x, h, logits(heads_of(q, 2, 4), heads_of(k, 2, 4), 0.5, True))


def bart(pre_ln):
    name = "mbart" if pre_ln else "bart"
    scale = not pre_ln  # one of each: BART with scale_embedding, mBART without
    p = "model." if pre_ln else ""  # BART saved without the model. prefix (it once opened as T5)
    c = Case(name, {"model_type": name, "d_model": 8, "encoder_attention_heads": 2, "max_position_embeddings": 6,
                    "scale_embedding": scale, "vocab_size": V})
    E = c.t(p + "shared.weight", 1, (V, 8))
    P = c.t(p + "encoder.embed_positions.weight", 2, (N + 2, 8))
    g, b = c.t(p + "encoder.layernorm_embedding.weight", 3, (8,), "norm_w"), c.t(p + "encoder.layernorm_embedding.bias", 4, (8,), "norm_b")
    Wq, bq = c.t(p + "encoder.layers.0.self_attn.q_proj.weight", 5, (8, 8)), c.t(p + "encoder.layers.0.self_attn.q_proj.bias", 6, (8,))
    Wk, bk = c.t(p + "encoder.layers.0.self_attn.k_proj.weight", 7, (8, 8)), c.t(p + "encoder.layers.0.self_attn.k_proj.bias", 8, (8,))
    s = math.sqrt(8) if scale else 1.0
    x = E[IDS] * s + P[2:N + 2]
    normed = layer_norm(x, g, b, 1e-5)
    h = normed
    if pre_ln:
        g1, b1 = c.t(p + "encoder.layers.0.self_attn_layer_norm.weight", 9, (8,), "norm_w"), \
            c.t(p + "encoder.layers.0.self_attn_layer_norm.bias", 10, (8,), "norm_b")
        h = layer_norm(normed, g1, b1, 1e-5)
    q, k = h @ Wq.T + bq, h @ Wk.T + bk
    return finish(c, {"family": name, "scheme": "learned", "norm": "LayerNorm", "eps": 1e-5, "offset": 2, "scale": s,
                      "causal": False, "norm_on_input": True},
                  x, normed, logits(heads_of(q, 2, 4), heads_of(k, 2, 4), 0.5, False))


def distilbert():
    c = Case("distilbert", {"model_type": "distilbert", "dim": 8, "n_heads": 2, "max_position_embeddings": 6, "vocab_size": V})
    pre = "distilbert."
    E = c.t(pre + "embeddings.word_embeddings.weight", 1, (V, 8))
    P = c.t(pre + "embeddings.position_embeddings.weight", 2, (N, 8))
    g, b = c.t(pre + "embeddings.LayerNorm.weight", 3, (8,), "norm_w"), c.t(pre + "embeddings.LayerNorm.bias", 4, (8,), "norm_b")
    a = pre + "transformer.layer.0.attention."
    Wq, bq = c.t(a + "q_lin.weight", 5, (8, 8)), c.t(a + "q_lin.bias", 6, (8,))
    Wk, bk = c.t(a + "k_lin.weight", 7, (8, 8)), c.t(a + "k_lin.bias", 8, (8,))
    x = E[IDS] + P[:N]
    h = layer_norm(x, g, b, 1e-12)
    q, k = h @ Wq.T + bq, h @ Wk.T + bk
    return finish(c, {"family": "distilbert", "scheme": "learned", "norm": "LayerNorm", "eps": 1e-12, "offset": 0,
                      "scale": 1.0, "causal": False, "norm_on_input": True},
                  x, h, logits(heads_of(q, 2, 4), heads_of(k, 2, 4), 0.5, False))


def bert_like(name):
    factorised = name in ("albert", "electra")
    e = 4 if factorised else 8
    cfg = {"model_type": name, "hidden_size": 8, "num_attention_heads": 2, "max_position_embeddings": 6,
           "type_vocab_size": 2, "vocab_size": V, "layer_norm_eps": 1e-12}
    if factorised:
        cfg["embedding_size"] = e
    c = Case(name, cfg)
    pre = name + "."
    E = c.t(pre + "embeddings.word_embeddings.weight", 1, (V, e))
    P = c.t(pre + "embeddings.position_embeddings.weight", 2, (N, e))
    T = c.t(pre + "embeddings.token_type_embeddings.weight", 11, (2, e))
    g, b = c.t(pre + "embeddings.LayerNorm.weight", 3, (e,), "norm_w"), c.t(pre + "embeddings.LayerNorm.bias", 4, (e,), "norm_b")
    x = E[IDS] + T[0] + P[:N]
    normed = layer_norm(x, g, b, 1e-12)
    h = normed
    if name == "albert":
        Wp, bp = c.t("albert.encoder.embedding_hidden_mapping_in.weight", 12, (8, e)), \
            c.t("albert.encoder.embedding_hidden_mapping_in.bias", 13, (8,))
        h = normed @ Wp.T + bp
        a = "albert.encoder.albert_layer_groups.0.albert_layers.0.attention."
    elif name == "electra":
        Wp, bp = c.t("electra.embeddings_project.weight", 12, (8, e)), c.t("electra.embeddings_project.bias", 13, (8,))
        h = normed @ Wp.T + bp
        a = "electra.encoder.layer.0.attention.self."
    else:
        a = "bert.encoder.layer.0.attention.self."
    Wq, bq = c.t(a + "query.weight", 5, (8, 8)), c.t(a + "query.bias", 6, (8,))
    Wk, bk = c.t(a + "key.weight", 7, (8, 8)), c.t(a + "key.bias", 8, (8,))
    q, k = h @ Wq.T + bq, h @ Wk.T + bk
    return finish(c, {"family": name, "scheme": "learned", "norm": "LayerNorm", "eps": 1e-12, "offset": 0, "scale": 1.0,
                      "causal": False, "norm_on_input": True},
                  x, normed, logits(heads_of(q, 2, 4), heads_of(k, 2, 4), 0.5, False))


def bert_relative(kind):
    """BERT with position_embedding_type relative_key(_query): nothing added at the input; inside
    attention q_i . r(i - j) (and k_j . r(i - j)), r = distance_embedding[i - j + L - 1]."""
    L = 8
    name = "bert_" + kind
    c = Case(name, {"model_type": "bert", "hidden_size": 8, "num_attention_heads": 2, "max_position_embeddings": L,
                    "type_vocab_size": 2, "vocab_size": V, "layer_norm_eps": 1e-12, "position_embedding_type": kind})
    E = c.t("bert.embeddings.word_embeddings.weight", 1, (V, 8))
    c.t("bert.embeddings.position_embeddings.weight", 2, (L, 8))  # present in the file, not added
    T = c.t("bert.embeddings.token_type_embeddings.weight", 11, (2, 8))
    g, b = c.t("bert.embeddings.LayerNorm.weight", 3, (8,), "norm_w"), c.t("bert.embeddings.LayerNorm.bias", 4, (8,), "norm_b")
    a = "bert.encoder.layer.0.attention.self."
    Wq, bq = c.t(a + "query.weight", 5, (8, 8)), c.t(a + "query.bias", 6, (8,))
    Wk, bk = c.t(a + "key.weight", 7, (8, 8)), c.t(a + "key.bias", 8, (8,))
    R = c.t(a + "distance_embedding.weight", 14, (2 * L - 1, 4))
    x = E[IDS] + T[0]
    h = layer_norm(x, g, b, 1e-12)
    q, k = h @ Wq.T + bq, h @ Wk.T + bk
    dist = torch.arange(N).view(-1, 1) - torch.arange(N).view(1, -1)
    pe = R[dist + L - 1]  # (N, N, 4)
    out = []
    for qh, kh in zip(heads_of(q, 2, 4), heads_of(k, 2, 4)):
        s = qh.double() @ kh.double().T + torch.einsum("ld,lrd->lr", qh.double(), pe.double())
        if kind == "relative_key_query":
            s = s + torch.einsum("rd,lrd->lr", kh.double(), pe.double())
        s = s / math.sqrt(4)
        out.append([[float(s[i, j]) for j in range(N)] for i in range(N)])
    return finish(c, {"family": "bert", "scheme": "none", "norm": "LayerNorm", "eps": 1e-12, "offset": 0, "scale": 1.0,
                      "causal": False, "norm_on_input": True},
                  x, h, out)


def gptj(codegen):
    name = "codegen" if codegen else "gptj"
    d, H = 16, (4 if codegen else 2)
    dh = d // H
    rot = 4
    c = Case(name, {"model_type": name, "n_embd": d, "n_head": H, "rotary_dim": rot, "n_positions": 64,
                    "layer_norm_epsilon": 1e-5, "vocab_size": V})
    E = c.t("transformer.wte.weight", 1, (V, d))
    g, b = c.t("transformer.h.0.ln_1.weight", 3, (d,), "norm_w"), c.t("transformer.h.0.ln_1.bias", 4, (d,), "norm_b")
    h = layer_norm(E[IDS], g, b, 1e-5)
    if codegen:
        W = c.t("transformer.h.0.attn.qkv_proj.weight", 5, (3 * d, d))
        qkv = (h @ W.T).reshape(N, 4, -1)  # mp_num = 4
        local = d // 4
        qq, vv, kk = torch.split(qkv, local, dim=-1)  # CodeGen's order: query, value, key
        q, k = qq.reshape(N, d), kk.reshape(N, d)
    else:
        Wq, Wk = c.t("transformer.h.0.attn.q_proj.weight", 5, (d, d)), c.t("transformer.h.0.attn.k_proj.weight", 7, (d, d))
        q, k = h @ Wq.T, h @ Wk.T
    qh = [rope_every_two(x, rot, 10000.0) for x in heads_of(q, H, dh)]
    kh = [rope_every_two(x, rot, 10000.0) for x in heads_of(k, H, dh)]
    return finish(c, {"family": name, "scheme": "rope", "norm": "LayerNorm", "eps": 1e-5, "offset": 0, "scale": 1.0,
                      "causal": True, "norm_on_input": False, "rotary_dims": rot, "pairs": "interleaved"},
                  E[IDS], h, logits(qh, kh, 1 / math.sqrt(dh), True))


def layer_norm_decoder(name, fraction, qk_ln=False, window=0):
    d, H, dh = 16, 2, 8
    cfg = {"model_type": name, "hidden_size": d, "num_attention_heads": H, "num_key_value_heads": H,
           "partial_rotary_factor": fraction, "rope_theta": 10000.0, "vocab_size": V}
    cfg["norm_epsilon" if name == "starcoder2" else "layer_norm_eps"] = 1e-5
    if name == "phi":
        cfg["qk_layernorm"] = qk_ln
    if name == "stablelm":
        cfg["use_qkv_bias"] = True
    if window:
        cfg["sliding_window"] = window
    c = Case(name, cfg)
    E = c.t("model.embed_tokens.weight", 1, (V, d))
    g, b = c.t("model.layers.0.input_layernorm.weight", 3, (d,), "norm_w"), c.t("model.layers.0.input_layernorm.bias", 4, (d,), "norm_b")
    a = "model.layers.0.self_attn."
    Wq, bq = c.t(a + "q_proj.weight", 5, (d, d)), c.t(a + "q_proj.bias", 6, (d,))
    Wk, bk = c.t(a + "k_proj.weight", 7, (d, d)), c.t(a + "k_proj.bias", 8, (d,))
    h = layer_norm(E[IDS], g, b, 1e-5)
    qh, kh = heads_of(h @ Wq.T + bq, H, dh), heads_of(h @ Wk.T + bk, H, dh)
    if qk_ln:
        gq, bq2 = c.t(a + "q_layernorm.weight", 9, (dh,), "norm_w"), c.t(a + "q_layernorm.bias", 10, (dh,), "norm_b")
        gk, bk2 = c.t(a + "k_layernorm.weight", 11, (dh,), "norm_w"), c.t(a + "k_layernorm.bias", 12, (dh,), "norm_b")
        qh = [layer_norm(x, gq, bq2, 1e-5) for x in qh]
        kh = [layer_norm(x, gk, bk2, 1e-5) for x in kh]
    dr = int(fraction * dh)
    qh = [rope_half(x, dr, 10000.0) for x in qh]
    kh = [rope_half(x, dr, 10000.0) for x in kh]
    return finish(c, {"family": name, "scheme": "rope", "norm": "LayerNorm", "eps": 1e-5, "offset": 0, "scale": 1.0,
                      "causal": True, "norm_on_input": False, "rotary_dims": dr, "pairs": "half"},
                  E[IDS], h, logits(qh, kh, 1 / math.sqrt(dh), True, window))


def rms_decoder(name):
    d, H, KV, dh = 8, 2, 1, 4
    cfg = {"model_type": name, "hidden_size": d, "num_attention_heads": H, "num_key_value_heads": KV, "head_dim": dh,
           "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "vocab_size": V}
    gemma = name.startswith("gemma")
    scale = 1 / math.sqrt(dh)
    softcap, window, base = 0.0, 0, 10000.0
    if name == "gemma2":
        cfg.update({"query_pre_attn_scalar": 2, "attn_logit_softcapping": 1.0, "sliding_window": 3})
        scale, softcap, window = 1 / math.sqrt(2), 1.0, 3
    if name == "gemma3_text":
        # layer 0 is a local layer: rope_local_base_freq, no rope_scaling (that is the global layers')
        cfg.update({"query_pre_attn_scalar": 2, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
                    "sliding_window": 512, "rope_scaling": {"rope_type": "linear", "factor": 8.0}})
        scale = 1 / math.sqrt(2)
    if name == "olmo":
        cfg.update({"clip_qkv": 0.3, "layer_norm_eps": 1e-5})
        del cfg["rms_norm_eps"]
    if name == "gpt_oss":
        cfg.update({"rms_norm_eps": 1e-5, "sliding_window": 128, "attention_bias": True})
    c = Case(name, cfg)
    E = c.t("model.embed_tokens.weight", 1, (V, d))
    emb_scale = float(torch.tensor(math.sqrt(d), dtype=F)) if gemma else 1.0
    x = E[IDS] * emb_scale
    a = "model.layers.0.self_attn."
    eps = 1e-5 if name == "gpt_oss" else 1e-6
    if name == "olmo":
        h = layer_norm(x, None, None, 1e-5)
        norm = "LayerNorm"
    elif name == "olmo2":
        h = x  # OLMo 2 normalises after attention, not before
        norm = None
    else:
        g = c.t("model.layers.0.input_layernorm.weight", 3, (d,), "norm_w")
        h = rms_norm(x, g, eps, one_plus=gemma)
        norm = "RmsNormOnePlus" if gemma else "RmsNorm"
    if name == "phi3":
        W = c.t(a + "qkv_proj.weight", 5, (H * dh + 2 * KV * dh, d))
        qkv = h @ W.T
        q, k = qkv[:, :H * dh], qkv[:, H * dh:H * dh + KV * dh]
    else:
        Wq, Wk = c.t(a + "q_proj.weight", 5, (H * dh, d)), c.t(a + "k_proj.weight", 7, (KV * dh, d))
        q, k = h @ Wq.T, h @ Wk.T
        if name == "gpt_oss":
            q = q + c.t(a + "q_proj.bias", 6, (H * dh,))
            k = k + c.t(a + "k_proj.bias", 8, (KV * dh,))
    if name == "olmo":
        q, k = q.clamp(-0.3, 0.3), k.clamp(-0.3, 0.3)
    if name == "olmo2":
        gq, gk = c.t(a + "q_norm.weight", 9, (H * dh,), "norm_w"), c.t(a + "k_norm.weight", 11, (KV * dh,), "norm_w")
        q, k = rms_norm(q, gq, eps), rms_norm(k, gk, eps)
    qh, kh = heads_of(q, H, dh), heads_of(k, KV, dh)
    if name in ("qwen3", "gemma3_text"):
        gq, gk = c.t(a + "q_norm.weight", 9, (dh,), "norm_w"), c.t(a + "k_norm.weight", 11, (dh,), "norm_w")
        qh = [rms_norm(t, gq, eps, one_plus=gemma) for t in qh]
        kh = [rms_norm(t, gk, eps, one_plus=gemma) for t in kh]
    qh = [rope_half(t, dh, base) for t in qh]
    kh = grouped([rope_half(t, dh, base) for t in kh], H)
    family = "gemma3" if name == "gemma3_text" else name
    return finish(c, {"family": family, "scheme": "rope", "norm": norm, "eps": 1e-5 if name in ("olmo", "gpt_oss") else 1e-6,
                      "offset": 0, "scale": emb_scale, "causal": True, "norm_on_input": False, "rotary_dims": dh,
                      "pairs": "half", "base": base},
                  x, h if norm else None, logits(qh, kh, scale, True, window, softcap))


def deepseek():
    d = 8
    c = Case("deepseek_v3", {"model_type": "deepseek_v3", "hidden_size": d, "num_attention_heads": 2,
                             "qk_rope_head_dim": 4, "qk_nope_head_dim": 4, "rms_norm_eps": 1e-6, "vocab_size": V})
    E = c.t("model.embed_tokens.weight", 1, (V, d))
    g = c.t("model.layers.0.input_layernorm.weight", 3, (d,), "norm_w")
    h = rms_norm(E[IDS], g, 1e-6)
    return finish(c, {"family": "deepseek_v3", "scheme": "rope", "norm": "RmsNorm", "eps": 1e-6, "offset": 0, "scale": 1.0,
                      "causal": True, "norm_on_input": False, "refused": "latent attention"},
                  E[IDS], h, None)


def main():
    cases = [opt(), bart(False), bart(True), distilbert(), bert_like("bert"), bert_like("albert"), bert_like("electra"),
             bert_relative("relative_key"), bert_relative("relative_key_query"),
             gptj(False), gptj(True), layer_norm_decoder("phi", 0.5, qk_ln=True), layer_norm_decoder("stablelm", 0.25),
             layer_norm_decoder("starcoder2", 1.0, window=4), rms_decoder("phi3"), rms_decoder("qwen3"),
             rms_decoder("gemma2"), rms_decoder("gemma3_text"), rms_decoder("olmo"), rms_decoder("olmo2"),
             rms_decoder("gpt_oss"), deepseek()]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "family_fixtures.json")
    with open(path, "w") as f:
        json.dump({"ids": IDS, "vocab": V, "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
