// GPT-2's pre-tokenizer: splits text into the pieces BPE merges within.
//
// Pattern (PCRE2, UTF + UCP, JIT):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// with \s meaning Unicode White_Space (spelled out in the .cpp; PCRE2's own UCP \s would also
// take U+180E). Case-sensitive as in GPT-2 ("'S" is not a contraction). Input need not be valid UTF-8:
// with PCRE2_MATCH_INVALID_UTF an invalid sequence (bad lead or continuation byte, overlong
// form, UTF-16 surrogate such as ED A0 80, code point above U+10FFFF) never matches, and each
// gap of unmatched bytes becomes a piece of its own, so the pieces always tile the input.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

namespace es::bpe {

class Pretokenizer {
 public:
  Pretokenizer();  // compiles the pattern; throws es::Error if PCRE2 refuses it
  ~Pretokenizer();
  Pretokenizer(const Pretokenizer&) = delete;
  Pretokenizer& operator=(const Pretokenizer&) = delete;

  // Appends the pieces of `text` to `pieces`, in order; they concatenate to `text`.
  // Thread-safe (each call has its own match data). Throws es::Error only if PCRE2 itself
  // fails (it has not been seen to: no alternative of the pattern backtracks more than once).
  void split(std::string_view text, std::vector<std::string_view>& pieces) const;

 private:
  struct Code;
  std::unique_ptr<Code> code_;
};

}  // namespace es::bpe
