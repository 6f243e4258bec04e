// A word-level tokenizer for small classroom vocabularies.
//
// Text is lower-cased (ASCII) and split into words (letters, digits, apostrophes) and single
// punctuation characters; whitespace separates and is dropped. A word not in the vocabulary
// becomes the unknown-word token (id 0, "<unk>").
#pragma once

#include "tokenizer.h"

#include <filesystem>
#include <memory>

namespace es {

class WordTokenizer final : public Tokenizer {
 public:
  // words[0] is the unknown-word token. Throws es::Error on duplicates or an empty list.
  explicit WordTokenizer(std::vector<std::string> words);
  std::string name() const override { return "classroom-words"; }
  int vocab_size() const override { return static_cast<int>(words_.size()); }
  std::vector<int> encode(std::string_view text, bool allow_special = false) const override;
  std::string token_bytes(int id) const override;
  std::optional<int> find_token(std::string_view bytes) const override;
  // The words joined by single spaces ("the cat sat ."), unlike the byte concatenation of
  // Tokenizer::decode.
  std::string decode(std::span<const int> ids) const override;
  int unknown_id() const { return 0; }

 private:
  std::vector<std::string> words_;
};

// A word list file (embedscope_words.txt, written by `embedscope-cli train`): one word per line,
// the first the unknown-word token. Throws es::Error for an unreadable, empty or oversized file
// (over 4 MB) or duplicate words.
std::unique_ptr<WordTokenizer> load_word_list_tokenizer(const std::filesystem::path& path);

// The classroom vocabulary: "<unk>", then the, cat, sat, on, a, mat, dog, ... (first v words).
std::vector<std::string> classroom_vocabulary(int v);

}  // namespace es
