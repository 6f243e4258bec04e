// Internal to the tokenizer.json readers (hf_tokenizer.cpp, bpe_tokenizer.cpp): the added
// tokens of a tokenizer.json, matched the way Hugging Face's tokenizers library matches them
// (its AddedVocabulary). Not a public header of core.
//
//   1. Tokens with "normalized": false are found in the raw text.
//   2. Each stretch between them is normalised, and tokens with "normalized": true (their own
//      content normalised too) are found in that.
//   3. What is left goes to the pre-tokenizer and the model.
// Matching is leftmost-longest, one pass over the text with a byte trie, however many tokens
// there are (Gemma 3 has 6,415). A match is dropped when it is a special token and special
// tokens are not asked for (they are then read as text), or "single_word" and it touches a
// word character; "lstrip" / "rstrip" take the whitespace beside it along.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hf_tokenizer.h"

namespace es::hf {

struct AddedToken {
  std::string content;
  int id = 0;
  bool special = false, single_word = false, lstrip = false, rstrip = false, normalized = false;
};

// One entry of tokenizer.json's added_tokens (id and content checked by the caller);
// "normalized" defaults to the opposite of "special", as the library's does.
AddedToken added_token_of(const nlohmann::json& entry, int id);

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `normalizer` (may be null) normalises the content of tokens marked "normalized".
  AddedVocabulary(std::vector<AddedToken> tokens, const TextNormalizer& normalizer);

  // Ids of the tokens found go to `out` in order; each stretch of text between them goes,
  // normalised, to `plain(text, offset of the stretch in the raw text)`.
  void encode(std::string_view text, bool allow_special, const TextNormalizer& normalizer,
              const std::function<void(std::string_view, std::size_t)>& plain, std::vector<int>& out) const;

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  bool empty() const { return tokens_.empty(); }

 private:
  // A byte trie: edges in one hash map, and the bytes that start any token for a quick "no".
  struct Trie {
    std::array<bool, 256> first{};
    std::unordered_map<std::uint64_t, std::int32_t> edges;  // (node << 8 | byte) -> node
    std::vector<std::int32_t> token_at;                      // node -> index in tokens_, or -1
    std::int32_t nodes = 1;
    void insert(std::string_view s, int token);
    // The longest token starting at `at`: {index, length}; index -1 when none.
    std::pair<int, std::size_t> longest(std::string_view text, std::size_t at) const;
  };
  // Splits `text` with one trie; matches (kept ones) become ids, the rest goes to `rest`.
  void split(std::string_view text, const Trie& trie, bool allow_special, std::size_t base,
             const std::function<void(std::string_view, std::size_t)>& rest, std::vector<int>& out) const;

  std::vector<AddedToken> tokens_;
  std::vector<std::string> matched_as_;  // the content each is matched as (normalised or not)
  Trie raw_, normalized_;
};

}  // namespace es::hf
