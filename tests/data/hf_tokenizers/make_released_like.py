#!/usr/bin/python3
"""Writes tokenizer.json files built the way released models' files are built, from the small
vocabularies make_fixtures.py trained (released files are too large, and their licences vary):

  llama3/       byte-level BPE, "ignore_merges": true, LLaMA 3's Split regex then ByteLevel
                without its own regex, post-processor Sequence[ByteLevel, TemplateProcessing]
                adding <|begin_of_text|> (LLaMA 3.1's layout), 256 reserved special tokens
  deepseek_v3/  byte-level BPE, a Sequence of three Split steps (digits, CJK, the rest) and ByteLevel
  gpt4o/        byte-level BPE, o200k's regex as Split with behavior Removed and invert true
  gpt35/        byte-level BPE, cl100k's regex as Split with behavior Removed and invert true
  gemma3/       BPE with byte fallback, a Replace normaliser, no pre-tokenizer, 1,200 added tokens
                (unused slots, HTML tags, whitespace runs; lstrip / rstrip / single_word /
                normalized variants), post-processor TemplateProcessing with <bos>
  bert_strip/   BERT with strip_accents true and handle_chinese_chars false, [MASK] lstrip
  bert_pipeline/ BERT's WordPiece behind a Sequence of NFD, StripAccents, Lowercase, Strip,
                Replace and WhitespaceSplit, Punctuation (Contiguous), Digits, CharDelimiterSplit,
                with BertProcessing
  wordlevel/    a WordLevel model (whole words, [UNK]) behind NFKC + Lowercase, Whitespace and
                Digits (one digit each), with TemplateProcessing [CLS] ... [SEP]
  roberta/      byte-level BPE with ByteLevel add_prefix_space and its own regex, RobertaProcessing,
                <mask> with lstrip

The ids they give are written by make_rust_reference.mjs (the Rust library). Tests never run
this; make_fixtures.sh runs it after make_fixtures.py.
"""
import copy, json, os

HERE = os.path.dirname(os.path.abspath(__file__))


def load(d):
    with open(os.path.join(HERE, d, "tokenizer.json"), encoding="utf-8") as f:
        return json.load(f)


def write(d, obj):
    os.makedirs(os.path.join(HERE, d), exist_ok=True)
    with open(os.path.join(HERE, d, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


B2U = bytes_to_unicode()


def byte_level(text):
    return "".join(B2U[b] for b in text.encode("utf-8"))


def added(id_, content, special=True, lstrip=False, rstrip=False, single_word=False, normalized=None):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": (not special) if normalized is None else normalized, "special": special}


def split(regex, behavior="Isolated", invert=False):
    return {"type": "Split", "pattern": {"Regex": regex}, "behavior": behavior, "invert": invert}


BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}

LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
          r"\s*[\r\n]+|\s+(?!\S)|\s+")
CL100K = LLAMA3
O200K = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
         r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
         r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
DEEPSEEK = [
    split(r"\p{N}{1,3}"),
    split(r"[一-龥぀-ゟ゠-ヿ]+"),
    split(r"[\r\n]|\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-Ֆ]+|\s?[!-/:-~！-／：-～‘-‟　-。]+|"
          r"\s+$|[^\r\n\s\p{L}\p{N}]+|\p{L}+|\s+"),
]

# Whole words the BPE merges never build, for "ignore_merges": a pre-token in the vocabulary
# is one id even when the merges would split it.
WHOLE_WORDS = [" nhiều", " unbreakable", " tokenization", " Zürich", " 東京", " façade", "Hello", " world",
               " Ångström", " résumé", " 123", "...", " \n"]


def with_whole_words(j):
    vocab = j["model"]["vocab"]
    for w in WHOLE_WORDS:
        t = byte_level(w)
        if t not in vocab:
            vocab[t] = len(vocab)
    return j


def specials_after(j, names, special=True):
    base = max(j["model"]["vocab"].values()) + 1
    base = max([base] + [a["id"] + 1 for a in j["added_tokens"]])
    for i, n in enumerate(names):
        j["added_tokens"].append(added(base + i, n, special))
    return {n: base + i for i, n in enumerate(names)}


def template(bos, bos_id):
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}}}


def byte_level_base():
    j = load("qwen2")
    j["normalizer"] = None
    j["added_tokens"] = []
    j["model"]["unk_token"] = None
    return j


def llama3():
    j = with_whole_words(byte_level_base())
    j["model"]["ignore_merges"] = True
    names = ["<|begin_of_text|>", "<|end_of_text|>"] + [f"<|reserved_special_token_{i}|>" for i in range(250)] + \
            ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|python_tag|>"]
    ids = specials_after(j, names)
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [split(LLAMA3), BYTE_LEVEL]}
    j["post_processor"] = {"type": "Sequence", "processors": [
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        template("<|begin_of_text|>", ids["<|begin_of_text|>"])]}
    j["decoder"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    return j


def deepseek_v3():
    j = byte_level_base()
    ids = specials_after(j, ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>", "<｜User｜>", "<｜Assistant｜>"])
    specials_after(j, ["<think>", "</think>"], special=False)
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": DEEPSEEK + [BYTE_LEVEL]}
    j["post_processor"] = template("<｜begin▁of▁sentence｜>", ids["<｜begin▁of▁sentence｜>"])
    return j


def tiktoken_style(regex, names):
    j = byte_level_base()
    specials_after(j, names)
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [split(regex, "Removed", True), BYTE_LEVEL]}
    j["post_processor"] = dict(BYTE_LEVEL)
    return j


def gemma3():
    j = load("llama")
    j["normalizer"] = {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}
    j["pre_tokenizer"] = None
    j["decoder"] = {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                                                      {"type": "ByteFallback"}, {"type": "Fuse"}]}
    next_id = max(j["model"]["vocab"].values()) + 1
    extra = []

    def add(content, **kw):
        # A content the model's vocabulary has keeps that id (as in released files; the
        # library would give it that id whatever the file says).
        nonlocal next_id
        if content in j["model"]["vocab"]:
            extra.append(added(j["model"]["vocab"][content], content, **kw))
            return j["model"]["vocab"][content]
        extra.append(added(next_id, content, **kw))
        next_id += 1
        return next_id - 1

    bos = [a for a in j["added_tokens"] if a["content"] == "<s>"][0]["id"]
    add("<mask>", lstrip=True)
    add("<start_of_turn>")
    add("<end_of_turn>")
    add("<start_of_image>")
    add("[@BOS@]")
    for i in range(1000):
        add(f"<unused{i}>", special=False, normalized=False)
    for tag in ["table", "tr", "td", "th", "thead", "tbody", "h1", "h2", "h3", "p", "div", "span", "a", "b", "i",
                "ul", "ol", "li", "code", "pre", "blockquote", "em", "strong", "br", "img", "sup", "sub"]:
        add(f"<{tag}>", special=False, normalized=False)
        add(f"</{tag}>", special=False, normalized=False)
    for n in range(2, 32):
        add("\n" * n, special=False, normalized=False)
    for n in range(2, 31):
        add("▁" * n, special=False, normalized=True)
        add("\t" * n, special=False, normalized=False)
    add("<word>", special=False, single_word=True)
    add("<right>", special=False, rstrip=True)
    j["added_tokens"] += extra
    j["post_processor"] = template("<s>", bos)
    return j


def bert_strip():
    j = load("bert")
    j["normalizer"]["strip_accents"] = True
    j["normalizer"]["handle_chinese_chars"] = False
    for a in j["added_tokens"]:
        if a["content"] == "[MASK]":
            a["lstrip"] = True
    return j


def bert_pipeline():
    j = load("bert")
    j["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"},
        {"type": "Strip", "strip_left": True, "strip_right": True},
        {"type": "Replace", "pattern": {"String": "``"}, "content": "\""}]}
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "WhitespaceSplit"}, {"type": "Punctuation", "behavior": "Contiguous"},
        {"type": "Digits", "individual_digits": False}, {"type": "CharDelimiterSplit", "delimiter": "-"}]}
    ids = {a["content"]: a["id"] for a in j["added_tokens"]}
    j["post_processor"] = {"type": "BertProcessing", "sep": ["[SEP]", ids["[SEP]"]], "cls": ["[CLS]", ids["[CLS]"]]}
    return j


def wordlevel():
    import collections, re
    with open(os.path.join(HERE, "corpus.txt"), encoding="utf-8") as f:
        words = collections.Counter(w.lower() for w in re.findall(r"\w+|[^\w\s]", f.read()))
    vocab = {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "[PAD]": 3}
    for w, _ in words.most_common(400):
        if w not in vocab and not w.isdigit():
            vocab[w] = len(vocab)
    for d in "0123456789":
        vocab.setdefault(d, len(vocab))
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [added(i, t) for t, i in vocab.items() if t.startswith("[")],
            "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"},
                                                                     {"type": "Digits", "individual_digits": True}]},
            "post_processor": template_cls_sep(vocab["[CLS]"], vocab["[SEP]"]),
            "decoder": None,
            "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}}


def template_cls_sep(cls, sep):
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [cls], "tokens": ["[CLS]"]},
                               "[SEP]": {"id": "[SEP]", "ids": [sep], "tokens": ["[SEP]"]}}}


def roberta():
    j = byte_level_base()
    ids = specials_after(j, ["<s>", "<pad>", "</s>", "<unk>"])
    base = max(ids.values()) + 1
    j["added_tokens"].append(added(base, "<mask>", True, lstrip=True))
    j["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    j["post_processor"] = {"type": "RobertaProcessing", "sep": ["</s>", ids["</s>"]], "cls": ["<s>", ids["<s>"]],
                           "trim_offsets": True, "add_prefix_space": True}
    j["decoder"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    return j


def main():
    write("llama3", llama3())
    write("deepseek_v3", deepseek_v3())
    write("gpt4o", tiktoken_style(O200K, ["<|endoftext|>", "<|endofprompt|>"]))
    write("gpt35", tiktoken_style(CL100K, ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>"]))
    write("gemma3", gemma3())
    write("bert_strip", bert_strip())
    write("bert_pipeline", bert_pipeline())
    write("wordlevel", wordlevel())
    write("roberta", roberta())


if __name__ == "__main__":
    main()
