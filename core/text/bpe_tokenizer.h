// GPT-2 byte-level BPE.
//
// Files: encoder.json + vocab.bpe (OpenAI's names) or vocab.json + merges.txt (Hugging Face's
// names for the same data). encoder.json / vocab.json: JSON object token-string -> id, where
// the token string is the byte-to-unicode mapping of the token's bytes. vocab.bpe /
// merges.txt: optional "#version" first line, then one merge "a b" per line, in rank order.
// Pre-tokenization regex (PCRE2, UTF + UCP):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
#pragma once

#include "tokenizer.h"

namespace es {

// Loads a byte-level BPE tokenizer. Throws es::Error naming the file and the problem.
std::unique_ptr<Tokenizer> load_bpe_tokenizer(const std::filesystem::path& vocab_json,
                                              const std::filesystem::path& merges);
// A Hugging Face tokenizer.json. Byte-level BPE ones load (GPT-2, Pythia / GPT-NeoX, Qwen2,
// LLaMA 3, BLOOM): model.vocab and model.merges ("a b" strings or [a, b] pairs), added_tokens
// (matched whole when encode's allow_special is set), the split pattern of a Split
// pre-tokenizer (else GPT-2's), and a normaliser run first (Qwen2's NFC). Every other kind
// (WordPiece, Unigram, BPE with byte fallback or Metaspace) is read by hf_tokenizer.h; a
// component neither implements comes back as a null tokenizer with the reason in `unsupported`.
// A broken file (invalid JSON, bad vocab or merges) throws es::Error naming the file.
struct TokenizerJsonResult {
  std::unique_ptr<Tokenizer> tokenizer;
  std::string unsupported;
};
TokenizerJsonResult load_tokenizer_json(const std::filesystem::path& file);
// The same from the file's text; `file` only names it in messages.
TokenizerJsonResult parse_tokenizer_json(std::string_view text, const std::filesystem::path& file);

// Loads from a folder holding either vocab.json + merges.txt or encoder.json + vocab.bpe.
std::unique_ptr<Tokenizer> load_bpe_tokenizer_dir(const std::filesystem::path& dir);
// True when `dir` holds one of the two file pairs.
bool has_bpe_tokenizer_files(const std::filesystem::path& dir);

// Where `make run` / `make test` put GPT-2's tokenizer files:
// $EMBEDSCOPE_TOKENIZER_DIR, else ${XDG_CACHE_HOME:-~/.cache}/embedscope/gpt2-tokenizer.
std::filesystem::path default_gpt2_tokenizer_dir();
// GPT-2's tokenizer from that folder; the error says to run `make run` when it is missing.
std::shared_ptr<const Tokenizer> default_gpt2_tokenizer();

}  // namespace es
