// Tokenizers: text -> ids, ids -> bytes.
//
// Kinds: byte-level BPE (bpe_tokenizer.h: GPT-2, and tokenizer.json files of that kind), every
// other tokenizer.json kind and BERT's vocab.txt (hf_tokenizer.h: WordPiece, Unigram, BPE with
// byte fallback), SentencePiece models (sentencepiece_tokenizer.h, through libsentencepiece), and
// a word-level tokenizer for small classroom vocabularies (word_tokenizer.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace es {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::string name() const = 0;  // "gpt2-bpe", "classroom-words"
  virtual int vocab_size() const = 0;
  // Text to ids. With allow_special, special tokens written in the text (GPT-2:
  // "<|endoftext|>", BERT: "[SEP]") become their single id, and the tokens the model adds around
  // a text are added (BERT: [CLS] ... [SEP]; LLaMA: <s> ...; T5: ... </s>); otherwise the text
  // is all plain text and nothing is added.
  virtual std::vector<int> encode(std::string_view text, bool allow_special = false) const = 0;
  // The exact bytes a token stands for (GPT-2: raw bytes, possibly a partial UTF-8 sequence).
  // Throws es::Error for an id outside [0, vocab_size).
  virtual std::string token_bytes(int id) const = 0;
  // The id of a token whose bytes are exactly `bytes`, if there is one.
  virtual std::optional<int> find_token(std::string_view bytes) const = 0;
  // True for the model's special tokens (<|endoftext|>, [CLS], <s>, <unk>, ...): the ones a
  // template adds or that stand for no text. Chips and the CLI mark them.
  virtual bool is_special(int /*id*/) const { return false; }

  // The text of the ids. BPE: the concatenated bytes, so decode(encode(t)) == t for every
  // input. Word tokenizer: the words joined by single spaces.
  virtual std::string decode(std::span<const int> ids) const;
  // Ids of tokens whose bytes contain `needle`, in id order, at most `limit`.
  std::vector<int> tokens_containing(std::string_view needle, std::size_t limit) const;
};

// Token bytes made printable for a terminal or a chip: valid UTF-8 stays as it is; "\n",
// "\t", "\r", "\\" and other control or invalid bytes become escapes (\n, \t, \r, \\, \xNN).
std::string escape_token_text(std::string_view bytes);
// For a token chip a student reads: like escape_token_text, but a space is shown as "␣"
// (U+2423) so a leading space is visible, a newline as "↵" (U+21B5) alone, and a tab as "⇥"
// (U+21E5). Other controls and invalid bytes stay escapes (\r, \xNN), so " the" reads "␣the",
// "\n\n" reads "↵↵", and a token holding half of "é" (0xC3) reads "\xC3".
std::string visible_token_text(std::string_view bytes);

}  // namespace es
