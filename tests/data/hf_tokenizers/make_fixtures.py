#!/usr/bin/python3
"""Writes the tokenizer fixtures of tests/test_tokenizer_kinds.cpp (issue: every real tokenizer).

Step 1 (this script, Debian's python3-sentencepiece): trains two small SentencePiece models on
corpus.txt (a BPE one with byte fallback like LLaMA 2 / Mistral, a Unigram one like T5), and
writes tokenizer.json files of every kind Hugging Face writes, built the way its converters
build them: BPE + byte fallback (with the Prepend/Replace normaliser of LLaMA 2 and with the
Metaspace pre-tokenizer of newer files), Unigram + Metaspace (T5, with NFKC, and as T5's real
files are: with the model's own Precompiled character map), WordPiece (BERT, uncased and cased,
plus vocab.txt alone), byte-level BPE with an NFC normaliser (Qwen2).
spm_reference.json holds sentencepiece's own ids for the two .model files.

Step 2 (make_fixtures.mjs, @huggingface/tokenizers from npm, the tokenizer.json reader of
transformers.js): hf_reference.json, the ids of every tokenizer.json for every case.

Run both:  bash tests/data/hf_tokenizers/make_fixtures.sh
"""
import base64, collections, json, os, re, sys, unicodedata
import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus.txt")

# The cases every tokenizer is checked on: ordinary text, every script of the corpus, text the
# corpus never saw (bytes fallback, unknown pieces), normalisation traps and hostile input.
CASES = [
    "The cat sat on the mat",
    "the cat saw the dog and the bird",
    "",
    " ",
    "   leading and trailing spaces   ",
    "Tabs\tand\nnew lines\r\nand  double  spaces",
    "Unbelievably unbreakable tokenization!",
    "Prices rose 3.7% to $1,234.56 per unit.",
    "Email someone@example.org or visit https://example.com/path?q=1",
    "Café naïve façade résumé Zürich Ångström",
    "Cafe\u0301 composed and decomposed: e\u0301 vs \u00e9",
    "\uFB01ne ligature, \u2460 circled, \uFF21\uFF22 fullwidth, \u00BD half",
    "東京の学生は言葉を数えます。北京的学生学习中文。",
    "서울의 학생들은 단어를 셉니다.",
    "Москва большая. Αθήνα είναι παλιά.",
    "हिन्दी में शब्द गिनते हैं। العربية تكتب من اليمين",
    "Emoji never seen: \U0001F600 \U0001F44D\U0001F3FD and \u2603",
    "UPPER CASE and Mixed Case",
    "Code: for (int i = 0; i < n; ++i) { sum += x[i]; }",
    "zzzzqqqq xylophone wombat 42424242",
    "Control\u0000chars\u0007and\u200bzero\u00a0width",
    "\u0301 a lone combining accent",
    "a" * 150,
    "supercalifragilisticexpialidocious" * 4,
    "The same word: the the the the",
    "Special [CLS] and <s> and </s> written as text",
]


def train(model_type, prefix, vocab, byte_fallback, extra):
    spm.SentencePieceTrainer.train(
        input=CORPUS, model_prefix=prefix, model_type=model_type, vocab_size=vocab,
        character_coverage=1.0, byte_fallback=byte_fallback, num_threads=1, seed_sentencepiece_size=100000,
        shuffle_input_sentence=False, minloglevel=2, **extra)
    return spm.SentencePieceProcessor(model_file=prefix + ".model")


def spm_pieces(sp):
    out = []
    for i in range(sp.get_piece_size()):
        kind = "normal"
        if sp.is_unknown(i): kind = "unk"
        elif sp.is_control(i): kind = "control"
        elif sp.is_byte(i): kind = "byte"
        out.append((sp.id_to_piece(i), sp.get_score(i), kind))
    return out


def added(id_, content, special=True):
    return {"id": id_, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": not special, "special": special}


def bpe_merges(pieces):
    """Merges of an SPM BPE model, the way Hugging Face's converter derives them: every split of
    a piece into two pieces of the vocabulary, ordered by the merged piece's rank, then by the
    ranks of its halves."""
    vocab = {p: i for i, (p, _, k) in enumerate(pieces) if k == "normal"}
    merges = []
    for piece, rank in vocab.items():
        local = []
        for k in range(1, len(piece)):
            a, b = piece[:k], piece[k:]
            if a in vocab and b in vocab:
                local.append((vocab[a], vocab[b], a, b))
        local.sort()
        merges += [(rank, x[0], x[1], x[2], x[3]) for x in local]
    merges.sort()
    return [[m[3], m[4]] for m in merges]


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def llama_json(sp, metaspace):
    pieces = spm_pieces(sp)
    vocab = {p: i for i, (p, _, _) in enumerate(pieces)}
    model = {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
             "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "vocab": vocab,
             "merges": bpe_merges(pieces)}
    j = {"version": "1.0", "truncation": None, "padding": None,
         "added_tokens": [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")],
         "post_processor": {"type": "TemplateProcessing",
                            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
         "model": model}
    if metaspace:  # newer files (Mistral, LLaMA 2 re-saved): Metaspace, first piece only
        j["normalizer"] = None
        j["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}
        j["decoder"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}
    else:  # LLaMA 2's own file
        j["normalizer"] = {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}
        j["pre_tokenizer"] = None
        j["decoder"] = {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    return j


def t5_json(sp):
    pieces = spm_pieces(sp)
    j = {"version": "1.0", "truncation": None, "padding": None,
         "added_tokens": [added(0, "<pad>"), added(1, "</s>"), added(2, "<unk>")],
         "normalizer": {"type": "Sequence", "normalizers": [
             {"type": "NFKC"},
             {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
         "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
             {"type": "WhitespaceSplit"},
             {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}]},
         "post_processor": {"type": "TemplateProcessing",
                            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                            "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}},
         "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
         "model": {"type": "Unigram", "unk_id": 2, "byte_fallback": False,
                   "vocab": [[p, s] for (p, s, _) in pieces]}}
    return j


def is_bert_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def wordpiece_vocab(lowercase):
    """A small BERT-style vocabulary from the corpus: specials, every character (alone and as
    ##), whole words seen at least twice, and frequent word endings."""
    text = open(CORPUS, encoding="utf-8").read()
    if lowercase:
        text = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")
    words = collections.Counter()
    for w in text.split():
        cur = ""
        for ch in w:
            if is_bert_punct(ch) or 0x4E00 <= ord(ch) <= 0x9FFF or 0x3040 <= ord(ch) <= 0x30FF:
                if cur: words[cur] += 1
                words[ch] += 1
                cur = ""
            else:
                cur += ch
        if cur: words[cur] += 1
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = sorted({c for w in words for c in w})
    vocab += chars + ["##" + c for c in chars]
    vocab += sorted(w for w, n in words.items() if n >= 2 and len(w) > 1)
    ends = collections.Counter()
    for w, n in words.items():
        for k in range(2, 5):
            if len(w) > k + 1: ends[w[-k:]] += n
    vocab += ["##" + e for e, n in ends.most_common(60) if "##" + e not in vocab]
    vocab += ["un", "##believ", "##ably", "##break", "##able", "token", "##ization", "##s"]
    seen, out = set(), []
    for v in vocab:
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def proto_fields(buf):
    """The top-level fields of a protobuf message: [(number, wire type, value)], by hand (no
    protobuf module needed)."""
    out, i = [], 0
    def varint():
        nonlocal i
        v, shift = 0, 0
        while True:
            b = buf[i]; i += 1
            v |= (b & 0x7F) << shift; shift += 7
            if b < 0x80: return v
    while i < len(buf):
        key = varint(); num, wt = key >> 3, key & 7
        if wt == 0: out.append((num, wt, varint()))
        elif wt == 1: out.append((num, wt, buf[i:i + 8])); i += 8
        elif wt == 2:
            n = varint(); out.append((num, wt, buf[i:i + n])); i += n
        elif wt == 5: out.append((num, wt, buf[i:i + 4])); i += 4
        else: raise ValueError("wire type %d" % wt)
    return out


def precompiled_charsmap(model_file):
    """normalizer_spec (field 3) -> precompiled_charsmap (field 2) of a SentencePiece model."""
    data = open(model_file, "rb").read()
    spec = [v for n, w, v in proto_fields(data) if n == 3][0]
    return [v for n, w, v in proto_fields(spec) if n == 2][0]


def t5_precompiled_json(sp, model_file):
    """T5's tokenizer.json as Hugging Face's converter writes it: the model's own character map
    (Precompiled), spaces collapsed, Metaspace splitting every word."""
    j = t5_json(sp)
    j["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(precompiled_charsmap(model_file)).decode()},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
    j["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    return j


def bert_json(vocab, lowercase):
    ids = {v: i for i, v in enumerate(vocab)}
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [added(ids[t], t) for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]],
            "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                           "strip_accents": None, "lowercase": lowercase},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                          {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                               "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                        {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                                        {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                               "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [ids["[CLS]"]], "tokens": ["[CLS]"]},
                                                  "[SEP]": {"id": "[SEP]", "ids": [ids["[SEP]"]], "tokens": ["[SEP]"]}}},
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100, "vocab": ids}}


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def qwen_json():
    """Byte-level BPE trained here (300 merges over the corpus' words), with Qwen2's NFC
    normaliser and its Split pattern."""
    b2u = bytes_to_unicode()
    text = unicodedata.normalize("NFC", open(CORPUS, encoding="utf-8").read())
    words = collections.Counter(re.findall(r" ?\w+| ?[^\w\s]+|\s+", text))
    seqs = {w: [b2u[b] for b in w.encode("utf-8")] for w in words}
    vocab = [b2u[b] for b in range(256)]
    merges = []
    for _ in range(300):
        pairs = collections.Counter()
        for w, n in words.items():
            s = seqs[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += n
        if not pairs: break
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        merges.append([a, b])
        vocab.append(a + b)
        for w in seqs:
            s, out, i = seqs[w], [], 0
            while i < len(s):
                if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            seqs[w] = out
    ids = {v: i for i, v in enumerate(vocab)}
    end = len(vocab)
    pattern = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
               r"\s*[\r\n]+|\s+(?!\S)|\s+")
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [added(end, "<|endoftext|>"), added(end + 1, "<|im_start|>"), added(end + 2, "<|im_end|>")],
            "normalizer": {"type": "NFC"},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
            "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                      "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                      "vocab": ids, "merges": merges}}


def main():
    os.makedirs(os.path.join(HERE, "llama"), exist_ok=True)
    for d in ["llama", "mistral", "t5", "t5_precompiled", "bert", "bert_cased", "bert_vocab_only", "qwen2"]:
        os.makedirs(os.path.join(HERE, d), exist_ok=True)
    llama = train("bpe", os.path.join(HERE, "llama", "tokenizer"), 900, True,
                  dict(split_digits=True, add_dummy_prefix=True, remove_extra_whitespaces=False,
                       normalization_rule_name="identity", allow_whitespace_only_pieces=True,
                       unk_id=0, bos_id=1, eos_id=2, pad_id=-1))
    t5 = train("unigram", os.path.join(HERE, "t5", "spiece"), 600, False,
               dict(pad_id=0, eos_id=1, unk_id=2, bos_id=-1, hard_vocab_limit=False))
    for d, ext in [("llama", "tokenizer"), ("t5", "spiece")]:
        os.remove(os.path.join(HERE, d, ext + ".vocab"))
    write_json(os.path.join(HERE, "llama", "tokenizer.json"), llama_json(llama, False))
    write_json(os.path.join(HERE, "mistral", "tokenizer.json"), llama_json(llama, True))
    write_json(os.path.join(HERE, "t5", "tokenizer.json"), t5_json(t5))
    write_json(os.path.join(HERE, "t5_precompiled", "tokenizer.json"),
               t5_precompiled_json(t5, os.path.join(HERE, "t5", "spiece.model")))
    uncased = wordpiece_vocab(True)
    cased = wordpiece_vocab(False)
    write_json(os.path.join(HERE, "bert", "tokenizer.json"), bert_json(uncased, True))
    write_json(os.path.join(HERE, "bert_cased", "tokenizer.json"), bert_json(cased, False))
    with open(os.path.join(HERE, "bert_vocab_only", "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(v + "\n" for v in uncased))
    write_json(os.path.join(HERE, "bert_vocab_only", "tokenizer_config.json"), {"do_lower_case": True})
    write_json(os.path.join(HERE, "qwen2", "tokenizer.json"), qwen_json())

    cases = [{"text_b64": base64.b64encode(c.encode("utf-8")).decode()} for c in CASES]
    write_json(os.path.join(HERE, "cases.json"), cases)
    ref = {}
    for name, sp in [("llama/tokenizer.model", llama), ("t5/spiece.model", t5)]:
        rows = []
        for c in CASES:
            # The model's special tokens: BOS when it has one (LLaMA), else EOS (T5).
            bos = sp.bos_id() >= 0
            rows.append({"ids": sp.encode(c), "ids_special": sp.encode(c, add_bos=bos, add_eos=not bos and sp.eos_id() >= 0),
                         "decoded_b64": base64.b64encode(sp.decode(sp.encode(c)).encode("utf-8")).decode()})
        ref[name] = rows
    write_json(os.path.join(HERE, "spm_reference.json"), ref)


if __name__ == "__main__":
    main()
