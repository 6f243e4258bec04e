#!/usr/bin/python3
"""The hostile-input corpus: broken and odd model files, tokenizer folders and texts.

Everything is generated here from a description (no opaque blobs in git). Uses only the Python
standard library (Debian's /usr/bin/python3).

    make_corpus.py OUT_DIR          writes the files and prints one line per case

Each case says which embedscope-cli command to run on which file and what must happen:
  expect "fail": exit status 1 or 2, exactly one non-empty line on stderr, mentioning `mention`
                 when given (the words a student needs to understand the problem);
  expect "ok":   exit status 0, stdout containing every string in `stdout_has`.
run_hostile.py runs them (tests/program_hostile.sh registers it with CTest).
"""

import json
import math
import os
import struct
import sys

# ---------------------------------------------------------------- safetensors writing

DTYPES = {"F32": ("<f", 4), "F16": ("<e", 2), "F64": ("<d", 8)}


def tensor_bytes(dtype, values):
    fmt, size = DTYPES[dtype]
    return b"".join(struct.pack(fmt, v) for v in values)


def bf16_bytes(values):
    out = b""
    for v in values:
        bits = struct.unpack("<I", struct.pack("<f", v))[0]
        out += struct.pack("<H", bits >> 16)  # truncation is exact for the values used here
    return out


def header_file(header, data=b"", pad=True):
    """A safetensors file from a header (dict, or raw JSON text/bytes) and a data section."""
    if isinstance(header, (dict, list)):
        text = json.dumps(header, separators=(",", ":")).encode()
    elif isinstance(header, str):
        text = header.encode("utf-8", "surrogatepass")
    else:
        text = header
    if pad:
        text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def checkpoint(tensors, metadata=None):
    """A valid file from [(name, dtype, shape, values)], data laid out in order."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, values in tensors:
        raw = bf16_bytes(values) if dtype == "BF16" else tensor_bytes(dtype, values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    return header_file(header, data)


def table(rows, cols, scale=0.1, offset=0.0):
    return [offset + scale * math.sin(1.0 + 0.37 * i + 0.91 * j) for i in range(rows) for j in range(cols)]


def gpt2_tiny(vocab=8, positions=4, dim=4, token_values=None, wpe_cols=None, dtype="F32"):
    """A tiny GPT-2 checkpoint: wte (vocab, dim), wpe (positions, wpe_cols or dim)."""
    pc = wpe_cols or dim
    return [
        ("wte.weight", dtype, [vocab, dim], token_values if token_values is not None else table(vocab, dim)),
        ("wpe.weight", dtype, [positions, pc], table(positions, pc, 0.05)),
    ]


def nested(depth, open_="[", close="]"):
    return open_ * depth + close * depth


# ---------------------------------------------------------------- tokenizer folders

BYTE_PRINTABLE = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))


def byte_to_unicode():
    """GPT-2's reversible byte -> printable character table (its published construction)."""
    bs = list(BYTE_PRINTABLE)
    cs = list(bs)
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def small_bpe_vocab():
    """A vocabulary of the 256 single bytes plus a few merges ("h"+"i", "Ġ"+"t")."""
    b2u = byte_to_unicode()
    vocab = {b2u[b]: i for i, b in enumerate(range(256))}
    merges = ["h i", "\u0120 t"]
    for m in merges:
        vocab[m.replace(" ", "")] = len(vocab)
    return vocab, merges


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))


def readable_anyway(path):
    """Why a mode-000 file can still be read here, or "" when it really cannot be."""
    try:
        with open(path, "rb") as f:
            f.read(1)
    except OSError:
        return ""
    who = "root" if os.geteuid() == 0 else "uid %d" % os.geteuid()
    return "%s can read a mode-000 file on this file system" % who


def tokenizer_folder(root, name, vocab_text, merges_text, model=None):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    write(os.path.join(d, "model.safetensors"), model or checkpoint(gpt2_tiny(vocab=258, positions=8)))
    write(os.path.join(d, "config.json"), json.dumps({"model_type": "gpt2", "n_embd": 4, "n_positions": 8}))
    if vocab_text is not None:
        write(os.path.join(d, "vocab.json"), vocab_text)
    if merges_text is not None:
        write(os.path.join(d, "merges.txt"), merges_text)
    return d


# ---------------------------------------------------------------- the cases

def model_cases(out):
    """(name, file bytes or None for special handling, expect, mention, stdout_has)."""
    big_n = 1 << 40
    F = "F32"
    ok = table(2, 2)
    two_by_two = tensor_bytes(F, ok)
    cases = [
        # -- the file itself
        ("empty", b"", "fail", "empty"),
        ("three-bytes", b"abc", "fail", "truncated"),
        ("truncated-header", header_file({"wte.weight": {"dtype": F, "shape": [2, 2], "data_offsets": [0, 16]}},
                                         two_by_two)[:20], "fail", "past the end"),
        ("header-past-end", struct.pack("<Q", 1000) + b"{}", "fail", "past the end"),
        ("header-over-limit", struct.pack("<Q", 100_000_001) + b"{}" + b" " * 64, "fail", "100,000,000"),
        ("header-length-2^40", struct.pack("<Q", big_n) + b"{}", "fail", "100,000,000"),
        ("header-length-max-u64", b"\xff" * 8 + b"{}", "fail", "100,000,000"),
        # -- the JSON
        ("json-invalid", header_file('{"wte.weight": {"dtype": "F32", '), "fail", "JSON"),
        ("json-not-object-array", header_file("[1, 2, 3]"), "fail", "not an object"),
        ("json-not-object-string", header_file('"hello"'), "fail", "not an object"),
        ("json-null", header_file("null"), "fail", "not an object"),
        ("json-nested-100000-arrays", header_file(nested(100_000)), "fail", "not an object"),
        ("json-nested-100000-objects", header_file('{"a":' * 100_000 + "1" + "}" * 100_000), "fail", None),
        ("json-nested-entry", header_file('{"wte.weight":' + nested(100_000) + "}"), "fail", "wte.weight"),
        ("json-nested-metadata", header_file('{"__metadata__":{"k":' + nested(100_000) + "}}"), "fail",
         "nests deeper"),
        ("json-nested-too-deep-unclosed", header_file("[" * 200_000), "fail", "JSON"),
        ("json-invalid-utf8-name", header_file(b'{"w\xff\xfe": {}}'), "fail", "JSON"),
        ("json-huge-string-then-garbage", header_file('{"' + "a" * 1_000_000 + "\x01"), "fail", "JSON"),
        ("json-metadata-not-strings", header_file({"__metadata__": {"k": 3}}), "fail", "__metadata__"),
        ("json-empty-object", header_file({}), "fail", "token table"),
        # -- the tensor table
        ("unknown-dtype", header_file({"wte.weight": {"dtype": "F99", "shape": [2, 2], "data_offsets": [0, 16]}},
                                      two_by_two), "fail", "dtype"),
        ("dtype-not-string", header_file({"wte.weight": {"dtype": 4, "shape": [2, 2], "data_offsets": [0, 16]}},
                                         two_by_two), "fail", "dtype"),
        ("shape-overflow-64-bits", header_file({"wte.weight": {"dtype": F, "shape": [1 << 32, 1 << 32, 16],
                                                               "data_offsets": [0, 16]}}, two_by_two),
         "fail", "overflow"),
        ("shape-bytes-overflow", header_file({"wte.weight": {"dtype": "F64", "shape": [1 << 62, 4],
                                                             "data_offsets": [0, 16]}}, two_by_two), "fail",
         "overflow"),
        ("shape-negative", header_file({"wte.weight": {"dtype": F, "shape": [-2, 2], "data_offsets": [0, 16]}},
                                       two_by_two), "fail", "non-negative"),
        ("shape-non-integer", header_file({"wte.weight": {"dtype": F, "shape": [2.5, 2], "data_offsets": [0, 16]}},
                                          two_by_two), "fail", "non-negative integer"),
        ("shape-string", header_file({"wte.weight": {"dtype": F, "shape": ["2", 2], "data_offsets": [0, 16]}},
                                     two_by_two), "fail", "non-negative integer"),
        ("shape-huge-number", header_file('{"wte.weight":{"dtype":"F32","shape":[1e400,2],"data_offsets":[0,16]}}',
                                          two_by_two), "fail", None),
        ("offsets-out-of-range", header_file({"wte.weight": {"dtype": F, "shape": [2, 2],
                                                             "data_offsets": [0, 1_000_000]}}, two_by_two),
         "fail", "outside"),
        ("offsets-reversed", header_file({"wte.weight": {"dtype": F, "shape": [2, 2], "data_offsets": [16, 0]}},
                                         two_by_two), "fail", "reversed"),
        ("offsets-overlapping", header_file({
            "wte.weight": {"dtype": F, "shape": [2, 2], "data_offsets": [0, 16]},
            "wpe.weight": {"dtype": F, "shape": [2, 2], "data_offsets": [8, 24]}}, two_by_two + two_by_two),
         "fail", "overlap"),
        ("offsets-size-mismatch", header_file({"wte.weight": {"dtype": F, "shape": [2, 2], "data_offsets": [0, 12]}},
                                              two_by_two), "fail", "shape x dtype"),
        ("offsets-negative", header_file({"wte.weight": {"dtype": F, "shape": [2, 2], "data_offsets": [-16, 0]}},
                                         two_by_two), "fail", "data_offsets"),
        ("offsets-three", header_file({"wte.weight": {"dtype": F, "shape": [2, 2], "data_offsets": [0, 8, 16]}},
                                      two_by_two), "fail", "data_offsets"),
        # -- the model built from a valid file
        ("token-table-rank-1", checkpoint([("wte.weight", F, [16], table(4, 4)),
                                           ("wpe.weight", F, [4, 4], table(4, 4))]), "fail", "token table"),
        ("token-table-int", header_file(
            {"wte.weight": {"dtype": "I32", "shape": [2, 2], "data_offsets": [0, 16]},
             "wpe.weight": {"dtype": F, "shape": [2, 2], "data_offsets": [16, 32]}}, two_by_two * 2),
         "fail", "I32"),
        ("token-table-zero-rows", checkpoint([("wte.weight", F, [0, 4], []),
                                              ("wpe.weight", F, [4, 4], table(4, 4))]), "fail", "token table"),
        ("widths-differ", checkpoint(gpt2_tiny(wpe_cols=3)), "fail", "width"),
        ("no-position-table", checkpoint([("wte.weight", F, [8, 4], table(8, 4))]), "fail", "position table"),
    ]
    return cases


def ok_model_cases():
    """Legitimate files with odd numbers: they open and print their cells."""
    nan_inf = table(8, 4)
    nan_inf[0] = float("nan")
    nan_inf[1] = float("inf")
    nan_inf[2] = float("-inf")
    return [
        ("nan-inf-f32", checkpoint(gpt2_tiny(token_values=nan_inf)), ["nan", "inf", "-inf"]),
        ("nan-inf-f16", checkpoint(gpt2_tiny(token_values=nan_inf, dtype="F16")), ["nan", "inf", "-inf"]),
        ("nan-inf-bf16", checkpoint(gpt2_tiny(token_values=nan_inf, dtype="BF16")), ["nan", "inf", "-inf"]),
        ("valid-tiny-gpt2", checkpoint(gpt2_tiny(), metadata={"format": "pt"}), []),
    ]


def texts():
    """(name, bytes). 1,000,000 characters and the usual troublemakers."""
    return [
        ("empty", b""),
        ("whitespace", b" \t\n  \r\n\t   "),
        ("invalid-utf8", b"caf\xc3 \xff\xfe tea \x80\x80 \xf8\x88\x80\x80\x80"),
        ("lone-surrogates", "a \ud800 b \udfff c".encode("utf-8", "surrogatepass")),
        ("control-chars", bytes(range(0, 32)) + b"\x7f the cat \x00 sat"),
        ("million-chars", ("the cat sat on the mat. " * 41667)[:1_000_000].encode()),
        ("million-one-char", b"a" * 1_000_000),
        ("million-spaces", b" " * 1_000_000),
        ("million-newlines", b"\n" * 1_000_000),
        ("special-token", b"<|endoftext|>the<|endoftext|>"),
        ("seven-words", b"the cat sat on the mat dog"),
        ("the-2000", b"the " * 2000),
    ]


def build(out):
    """Writes the corpus under `out`; returns the cases as dicts."""
    os.makedirs(out, exist_ok=True)
    cases = []

    def case(name, args, expect, mention=None, stdout_has=(), note=""):
        cases.append({"name": name, "args": args, "expect": expect, "mention": mention,
                      "stdout_has": list(stdout_has), "note": note})

    models = os.path.join(out, "models")
    for name, data, expect, mention in model_cases(out):
        path = os.path.join(models, name + ".safetensors")
        write(path, data)
        case("info " + name, ["info", "--model", path], expect, mention)
        case("embed " + name, ["embed", "--model", path, "--ids", "0"], expect, mention)
    for name, data, stdout_has in ok_model_cases():
        path = os.path.join(models, name + ".safetensors")
        write(path, data)
        case("info " + name, ["info", "--model", path], "ok")
        case("embed " + name, ["embed", "--model", path, "--ids", "0,1,2", "--view", "token"], "ok",
             stdout_has=stdout_has)
        case("embed json " + name, ["embed", "--model", path, "--ids", "0", "--view", "token", "--format", "json"],
             "ok", stdout_has=["null"] if stdout_has else [])
    # A sequence longer than the model's position table (4 rows).
    tiny = os.path.join(models, "valid-tiny-gpt2.safetensors")
    case("embed past the position table", ["embed", "--model", tiny, "--ids", "0,1,2,3,4"], "fail", "4")
    case("embed bad token id", ["embed", "--model", tiny, "--ids", "8"], "fail", "8")

    # A folder where a file is expected, and a file where a folder is expected.
    folder = os.path.join(models, "folder.safetensors")
    os.makedirs(folder, exist_ok=True)
    case("info folder as model", ["info", "--model", folder], "fail", None)
    case("tokens folder as text file", ["tokens", "--text-file", folder], "fail", None)
    case("embed missing model", ["embed", "--model", os.path.join(models, "no-such-file.safetensors"),
                                 "--ids", "0"], "fail", "not a model")
    # A FIFO where a model is expected: opening it must not wait for a writer forever.
    fifo = os.path.join(models, "fifo.safetensors")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    case("info fifo as model", ["info", "--model", fifo], "fail", None)
    # An unreadable file. Whether a mode-000 file really cannot be read depends on who runs the
    # tests and where: root (or a process with CAP_DAC_OVERRIDE) reads it anyway, and some file
    # systems ignore modes. So the case is decided by trying to read it: when that works the case
    # proves nothing and the runner reports it as skipped, not as passed or failed.
    unreadable = os.path.join(models, "unreadable.safetensors")
    write(unreadable, checkpoint(gpt2_tiny()))
    os.chmod(unreadable, 0)
    note = readable_anyway(unreadable)
    case("info unreadable", ["info", "--model", unreadable], "fail", "ermission", note=note)
    text_unreadable = os.path.join(out, "texts", "unreadable.txt")
    write(text_unreadable, b"the cat")
    os.chmod(text_unreadable, 0)
    case("tokens unreadable text", ["tokens", "--text-file", text_unreadable], "fail", "ermission", note=readable_anyway(text_unreadable))

    # config.json beside the weights: broken, non-object, deeply nested values.
    for name, text, mention in [
        ("config-invalid", '{"model_type": "gpt2",', "JSON"),
        ("config-array", "[1, 2]", "not an object"),
        ("config-nested-value", '{"model_type": "gpt2", "n_embd": ' + nested(100_000) + "}", "n_embd"),
        ("config-negative-width", '{"model_type": "gpt2", "n_embd": -4}', "n_embd"),
        ("config-huge-width", '{"model_type": "gpt2", "n_embd": 1e300}', "n_embd"),
        ("config-width-2^63", '{"model_type": "gpt2", "n_embd": 9223372036854775808}', "n_embd"),
        ("config-width-differs", '{"model_type": "gpt2", "n_embd": 5}', "width"),
        ("config-rope-theta-zero", '{"model_type": "llama", "rope_theta": 0}', "RoPE"),
        ("config-heads-string", '{"model_type": "gpt2", "n_head": "twelve"}', "n_head"),
    ]:
        d = os.path.join(out, "folders", name)
        write(os.path.join(d, "model.safetensors"), checkpoint(gpt2_tiny()))
        write(os.path.join(d, "config.json"), text)
        case("info " + name, ["info", "--model", d], "fail", mention)

    # Tokenizer folders beside a valid model.
    vocab, merges = small_bpe_vocab()
    good_vocab = json.dumps(vocab)
    good_merges = "#version: 0.2\n" + "\n".join(merges) + "\n"
    tok_root = os.path.join(out, "folders")
    for name, v, m, mention in [
        ("tokenizer-vocab-invalid-json", '{"a": 0,', good_merges, "vocab.json"),
        ("tokenizer-vocab-array", "[1, 2, 3]", good_merges, "vocab.json"),
        ("tokenizer-vocab-id-string", '{"a": "zero"}', good_merges, "vocab.json"),
        ("tokenizer-vocab-id-negative", json.dumps({"a": -1, "b": 1}), good_merges, "vocab.json"),
        ("tokenizer-vocab-id-huge", json.dumps({"a": 1 << 40, "b": 1}), good_merges, "vocab.json"),
        ("tokenizer-vocab-nested", '{"a": ' + nested(100_000) + "}", good_merges, "vocab.json"),
        ("tokenizer-vocab-empty-file", "", good_merges, "vocab.json"),
        ("tokenizer-merges-one-word", good_vocab, "#version: 0.2\nhi\n", "merges.txt"),
        ("tokenizer-merges-unknown-token", good_vocab, "#version: 0.2\nq z\n", "merges.txt"),
        ("tokenizer-merges-binary", good_vocab, b"\x00\xff\xfe garbage \x80\n\x01 \x02\n", "merges.txt"),
        ("tokenizer-missing-merges", good_vocab, None, None),
    ]:
        d = tokenizer_folder(tok_root, name, v, m)
        case("tokens " + name, ["tokens", "--model", d, "--text", "hi there"], "fail", mention)
    # tokenizer.json beside a valid model (no vocab.json / merges.txt): broken ones are errors
    # naming the file; kinds EmbedScope does not implement leave the model without a tokenizer
    # and say why; a good one is used.
    tj_good = {"model": {"type": "BPE", "vocab": vocab, "merges": merges},
               "pre_tokenizer": {"type": "ByteLevel", "use_regex": True},
               "added_tokens": [{"id": len(vocab), "content": "<|endoftext|>", "special": True}]}

    def tj(**changes):
        t = json.loads(json.dumps(tj_good))
        for k, v in changes.items():
            if k == "model_type":
                t["model"]["type"] = v
            else:
                t[k] = v
        return json.dumps(t)
    for name, text, expect, mention in [
        ("tokjson-invalid", '{"model": {"type": "BPE", "vocab": ', "fail", "tokenizer.json"),
        ("tokjson-empty", "", "fail", "tokenizer.json"),
        ("tokjson-array", "[]", "fail", "model"),
        ("tokjson-nested", '{"model": ' + nested(100_000) + "}", "fail", "tokenizer.json"),
        ("tokjson-merges-not-list", tj_good and json.dumps({**tj_good, "model": {**tj_good["model"], "merges": 5}}),
         "fail", "merges"),
        ("tokjson-added-bad-id", tj(added_tokens=[{"id": -1, "content": "x"}]), "fail", "added_tokens"),
        ("tokjson-added-huge-id", tj(added_tokens=[{"id": 1 << 40, "content": "x"}]), "fail", "added_tokens"),
        ("tokjson-split-bad-regex", tj(pre_tokenizer={"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "use_regex": False}]}), "fail", "split pattern"),
        ("tokjson-wordpiece", tj(model_type="WordPiece"), "fail", "WordPiece"),
        ("tokjson-unigram", tj(model_type="Unigram"), "fail", "Unigram"),
        # A BPE on characters behind Metaspace is a kind EmbedScope reads now (SentencePiece-style).
        ("tokjson-metaspace", tj(pre_tokenizer={"type": "Metaspace"}), "ok", None),
        ("tokjson-unicode-scripts", tj(pre_tokenizer={"type": "UnicodeScripts"}), "fail", "UnicodeScripts"),
        ("tokjson-good", tj(), "ok", None),
    ]:
        d = os.path.join(out, "folders", name)
        write(os.path.join(d, "model.safetensors"), checkpoint(gpt2_tiny(vocab=len(vocab) + 1, positions=8)))
        write(os.path.join(d, "config.json"), json.dumps({"model_type": "gpt2", "n_embd": 4, "n_positions": 8}))
        write(os.path.join(d, "tokenizer.json"), text)
        if expect == "ok":
            case("tokens " + name, ["tokens", "--model", d, "--special", "--text", "hi<|endoftext|>"], "ok",
                 stdout_has=["hi", str(len(vocab))])
        else:
            case("tokens " + name, ["tokens", "--model", d, "--text", "hi there"], "fail", mention)
            # The model itself still opens where the tokenizer is only unsupported.
            if mention in ("WordPiece", "Unigram", "UnicodeScripts", "split pattern"):
                case("info " + name, ["info", "--model", d], "ok", stdout_has=[mention])
    d = os.path.join(out, "folders", "config-nested-deep")
    write(os.path.join(d, "model.safetensors"), checkpoint(gpt2_tiny()))
    write(os.path.join(d, "config.json"), '{"a":' * 100_000 + "1" + "}" * 100_000)
    case("info config-nested-deep (unknown keys)", ["info", "--model", d], "ok")
    d = tokenizer_folder(tok_root, "tokenizer-valid-small", good_vocab, good_merges)
    case("tokens tokenizer-valid-small", ["tokens", "--model", d, "--text", "hi there"], "ok", stdout_has=["hi"])

    # Texts.
    tdir = os.path.join(out, "texts")
    for name, data in texts():
        path = os.path.join(tdir, name + ".txt")
        write(path, data)
        case("tokens " + name, ["tokens", "--text-file", path], "ok")
        case("tokens classroom " + name, ["tokens", "--tokenizer", "classroom", "--text-file", path], "ok")
    t = lambda n: os.path.join(tdir, n + ".txt")
    case("tokens special", ["tokens", "--special", "--text-file", t("special-token")], "ok", stdout_has=["50256"])
    case("embed empty text", ["embed", "--text-file", t("empty")], "fail", "no tokens")
    case("embed whitespace text", ["embed", "--text-file", t("whitespace")], "fail", "no tokens")
    case("embed invalid utf8", ["embed", "--model", "classroom:L=64", "--text-file", t("invalid-utf8")], "ok")
    case("embed control chars", ["embed", "--model", "classroom:L=64", "--text-file", t("control-chars")], "ok")
    case("embed past classroom table", ["embed", "--text-file", t("seven-words")], "fail", "6")
    case("embed million chars", ["embed", "--text-file", t("million-chars")], "fail", None)
    case("embed million chars rope", ["embed", "--scheme", "rope", "--text-file", t("million-chars")],
         "fail", "65536")
    case("embed million chars gpt2-untrained", ["embed", "--model", "gpt2-untrained",
                                                "--text-file", t("million-chars")], "fail", "1024")
    case("repeats million chars rope", ["repeats", "--scheme", "rope", "--text-file", t("million-chars")],
         "fail", "shorten")
    case("repeats 2000 times the", ["repeats", "--scheme", "rope", "--text-file", t("the-2000")], "fail", "pairs")
    case("repeats million chars alibi", ["repeats", "--scheme", "alibi", "--text-file", t("million-chars")],
         "fail", "tokens")
    case("interaction n 1000000", ["interaction", "--scheme", "alibi", "--n", "1000000"], "fail", "23170")
    case("positions n huge", ["positions", "--scheme", "sinusoidal", "--n", "1048576", "--dim", "65536"],
         "fail", None)
    case("text and text-file", ["tokens", "--text", "a", "--text-file", t("empty")], "fail", "not both")
    return cases


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: make_corpus.py OUT_DIR\n")
        return 2
    for c in build(argv[1]):
        print(c["expect"], c["name"], sep="\t")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
