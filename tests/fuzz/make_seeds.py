#!/usr/bin/python3
"""Binary seed inputs for the fuzz targets (safetensors files), written at run time so that
no opaque blob is committed. Text seeds live in tests/fuzz/corpus/<target>/.

    make_seeds.py OUT_DIR     writes OUT_DIR/safetensors/*.safetensors, OUT_DIR/checkpoint/..., and
                              copies of the tokenizer fixtures (tests/data/hf_tokenizers) as seeds
"""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hostile"))
import make_corpus as mc  # noqa: E402


def seeds():
    t = mc.table
    return {
        "gpt2-f32": mc.checkpoint(mc.gpt2_tiny(), metadata={"format": "pt"}),
        "gpt2-f16": mc.checkpoint(mc.gpt2_tiny(dtype="F16")),
        "gpt2-bf16": mc.checkpoint(mc.gpt2_tiny(dtype="BF16")),
        "f64": mc.checkpoint([("x", "F64", [2, 3], t(2, 3))]),
        "mixed": mc.checkpoint([("a", "F32", [3], t(1, 3)), ("b", "F16", [2, 2], t(2, 2)),
                                ("empty", "F32", [0, 4], []), ("scalar", "F32", [], [1.5])]),
        "int-dtypes": mc.header_file({
            "i8": {"dtype": "I8", "shape": [4], "data_offsets": [0, 4]},
            "u16": {"dtype": "U16", "shape": [2], "data_offsets": [4, 8]},
            "i64": {"dtype": "I64", "shape": [1], "data_offsets": [8, 16]},
            "b": {"dtype": "BOOL", "shape": [2], "data_offsets": [16, 18]}}, bytes(range(18))),
        "unpadded": mc.header_file({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}},
                                   struct.pack("<f", 2.0), pad=False),
        "empty-header": mc.header_file({}),
        "overflow": mc.header_file({"w": {"dtype": "F32", "shape": [1 << 32, 1 << 32, 16], "data_offsets": [0, 0]}}),
        "overlap": mc.header_file({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                                   "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}}, bytes(8)),
    }


def main(argv):
    t = mc.table
    extra = {  # whole models for the checkpoint target, one per family's names
        "bert": mc.checkpoint([("embeddings.word_embeddings.weight", "F32", [6, 4], t(6, 4)),
                               ("embeddings.position_embeddings.weight", "F32", [5, 4], t(5, 4)),
                               ("embeddings.token_type_embeddings.weight", "F32", [2, 4], t(2, 4)),
                               ("embeddings.LayerNorm.weight", "F32", [4], t(1, 4)),
                               ("embeddings.LayerNorm.bias", "F32", [4], t(1, 4))]),
        "llama-bf16": mc.checkpoint([("model.embed_tokens.weight", "BF16", [6, 8], t(6, 8))]),
        "t5": mc.checkpoint([("shared.weight", "F32", [6, 4], t(6, 4)),
                             ("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", "F32",
                              [32, 2], t(32, 2))]),
        "gpt2-ln": mc.checkpoint(mc.gpt2_tiny() + [("h.0.ln_1.weight", "F64", [4], t(1, 4)),
                                                   ("h.0.ln_1.bias", "F16", [4], t(1, 4))]),
    }
    # Tokenizer seeds: the committed fixtures of tests/data/hf_tokenizers, copied.
    hf = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "hf_tokenizers")
    copies = {"sentencepiece": ["llama/tokenizer.model", "t5/spiece.model"],
              "tokenizer_json": [d + "/tokenizer.json" for d in ["llama", "mistral", "t5", "t5_precompiled", "bert", "bert_cased", "qwen2"]],
              "wordpiece_vocab": ["bert_vocab_only/vocab.txt"]}
    for target, files in copies.items():
        out = os.path.join(argv[1], target)
        os.makedirs(out, exist_ok=True)
        for f in files:
            with open(os.path.join(hf, f), "rb") as src, open(os.path.join(out, f.replace("/", "-")), "wb") as dst:
                dst.write(src.read())
    import base64, json
    out = os.path.join(argv[1], "tokenizer_kinds")
    os.makedirs(out, exist_ok=True)
    for i, c in enumerate(json.load(open(os.path.join(hf, "cases.json")))):
        with open(os.path.join(out, "case%02d" % i), "wb") as f:
            f.write(base64.b64decode(c["text_b64"]))
    for target, items in (("safetensors", seeds()), ("checkpoint", {**seeds(), **extra})):
        out = os.path.join(argv[1], target)
        os.makedirs(out, exist_ok=True)
        for name, data in items.items():
            with open(os.path.join(out, name + ".safetensors"), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
