// Hugging Face tokenizer.json files of every kind other than byte-level BPE (which has its own
// fast path in bpe_tokenizer.cpp, sharing the added tokens, pre-tokenizer steps and
// post-processors of this pipeline), and BERT's vocab.txt on its own.
//
// A tokenizer.json is a pipeline, applied to each stretch of text between added tokens:
//   normalizer      NFC / NFD / NFKC / NFKD (libutf8proc), Lowercase, StripAccents, Strip,
//                   Prepend, Replace (string or regex), Nmt, Precompiled (SentencePiece's
//                   compiled map, per grapheme cluster), BertNormalizer, Sequence
//   pre_tokenizer   BertPreTokenizer, Whitespace, WhitespaceSplit, Metaspace, Split (string or
//                   regex, every behaviour, invert), Punctuation, Digits, CharDelimiterSplit,
//                   Sequence
//   model           WordPiece (greedy longest match first, "##" continuations, [UNK] for a word
//                   it cannot cover), Unigram (Viterbi over the pieces' log probabilities,
//                   unknown characters fused into one [UNK] or spelled as <0xNN> bytes), BPE on
//                   characters (merges by rank, byte fallback <0xNN>, continuing prefix /
//                   end-of-word suffix, fuse_unk, ignore_merges), WordLevel (whole words, unk)
//   post_processor  TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence:
//                   the special tokens a model adds ([CLS] ... [SEP], <s> ..., ... </s>), applied
//                   only when encode() is asked for special tokens.
// Each step does what Hugging Face's tokenizers library does (checked against the ids of the
// Rust library in tests/test_tokenizer_conformance.cpp and of @huggingface/tokenizers in
// tests/test_tokenizer_kinds.cpp). Added tokens (added_vocab.h) marked special are matched in
// the text only when special tokens are asked for; other added tokens always.
// What is not implemented (UnicodeScripts, a ByteLevel step outside the byte-level BPE layout)
// is reported, never guessed.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "tokenizer.h"

namespace es {

struct HfBuildResult {
  std::unique_ptr<Tokenizer> tokenizer;  // null when a component is not implemented
  std::string unsupported;               // then: which one, in a sentence
};

// From a parsed tokenizer.json (any model type). A broken file throws es::Error naming `file`.
HfBuildResult build_hf_tokenizer(const nlohmann::json& root, const std::filesystem::path& file);

// A tokenizer.json normalizer as a function (hf_steps.h builds them).
using TextNormalizer = std::function<std::string(std::string_view)>;

// BERT's vocab.txt (one token per line, the line number is the id) as the WordPiece pipeline
// BertTokenizer uses: basic tokenizer (clean-up, CJK split, accents stripped and lower-cased
// when do_lower_case), WordPiece, [CLS] ... [SEP]. do_lower_case comes from a
// tokenizer_config.json beside it, else true (BertTokenizer's default). Throws es::Error.
std::unique_ptr<Tokenizer> load_wordpiece_vocab(const std::filesystem::path& vocab_txt);
// The same from the file's text, with do_lower_case given (`file` only names it in messages).
std::unique_ptr<Tokenizer> parse_wordpiece_vocab(std::string_view text, bool lowercase,
                                                 const std::filesystem::path& file);

}  // namespace es
