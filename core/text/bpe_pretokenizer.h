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
  Pretokenizer();  // GPT-2's pattern; throws es::Error if PCRE2 refuses it
  // Another model's split pattern (tokenizer.json's Split Regex: Qwen2, LLaMA 3, BLOOM), in the
  // syntax of Rust's fancy-regex / Python's regex, which PCRE2 shares for these patterns. \s and
  // \S are spelled out as Unicode White_Space as for GPT-2's. Throws es::Error naming
  // `source` when PCRE2 refuses the pattern.
  Pretokenizer(std::string_view pattern, std::string_view source);
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
  void compile(const std::string& pattern, std::string_view source);
};

// `pattern` with every \s and \S (outside and inside character classes) replaced by the
// explicit Unicode White_Space set (PCRE2's UCP \s also takes U+180E). \S inside a class has no
// such spelling and is refused (es::Error); no known tokenizer uses it.
std::string spell_out_white_space(std::string_view pattern);

}  // namespace es::bpe
