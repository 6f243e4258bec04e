#include "bpe_pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

#include "types.h"

namespace es::bpe {

namespace {

// GPT-2's pattern (encoder.py) with \s spelled out as Unicode's White_Space list
// (PropList.txt): under UCP, PCRE2's \s also takes U+180E MONGOLIAN VOWEL SEPARATOR (through
// \h), which has not been White_Space since Unicode 6.3; GPT-2's Python `regex` and
// tiktoken do not treat it as space (reference fixture "mongolian vowel separator").
#define ES_WS "\\t-\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"
constexpr const char* kPattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" ES_WS "\\p{L}\\p{N}]+"
    "|[" ES_WS "]+(?![^" ES_WS "])|[" ES_WS "]+";

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  if (pcre2_get_error_message(code, buf, sizeof buf) < 0) return "PCRE2 error " + std::to_string(code);
  return reinterpret_cast<const char*>(buf);
}

}  // namespace

struct Pretokenizer::Code {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Code() { pcre2_code_free(code); }
};

Pretokenizer::Pretokenizer() : code_(std::make_unique<Code>()) { compile(kPattern, "GPT-2 pre-tokenizer"); }

Pretokenizer::Pretokenizer(std::string_view pattern, std::string_view source)
    : code_(std::make_unique<Code>()) {
  compile(spell_out_white_space(pattern), source);
}

void Pretokenizer::compile(const std::string& pattern, std::string_view source) {
  int err = 0;
  PCRE2_SIZE err_offset = 0;
  code_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                              PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_MULTILINE, &err,
                              &err_offset, nullptr);
  if (!code_->code) {
    throw Error(std::string(source) + ": PCRE2 could not compile the split pattern at offset " +
                std::to_string(err_offset) + ": " + pcre2_message(err));
  }
  // JIT is an optimisation: without it (e.g. a PCRE2 built without JIT) the interpreter
  // gives the same matches, only slower.
  code_->jit = pcre2_jit_compile(code_->code, PCRE2_JIT_COMPLETE) == 0;
}

std::string spell_out_white_space(std::string_view pattern) {
  // Walks the pattern once, knowing whether it is inside a character class. A class nested in
  // a class ("[^(\\s|[.,!?])]", BLOOM's split, in Oniguruma's syntax that Hugging Face's
  // tokenizers use) means the union of the two; PCRE2 would read its inner '[' as a literal and
  // close the class at the first ']', so the inner brackets are dropped. A negated inner class
  // cannot be flattened that way and is refused.
  std::string out;
  out.reserve(pattern.size() + 64);
  int depth = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[i + 1];
      ++i;
      if (e == 's') {
        out += depth > 0 ? std::string(ES_WS) : "[" ES_WS "]";
      } else if (e == 'S') {
        if (depth > 0) throw Error("the split pattern uses \\S inside a character class, which EmbedScope cannot spell out");
        out += "[^" ES_WS "]";
      } else {
        out += c;
        out += e;
      }
      continue;
    }
    if (c == '[') {
      if (depth > 0 && i + 1 < pattern.size() && pattern[i + 1] == ':') {  // [:alpha:]
        const std::size_t end = pattern.find(":]", i + 2);
        if (end == std::string_view::npos) throw Error("the split pattern has an unclosed [: in a character class");
        out.append(pattern.substr(i, end + 2 - i));
        i = end + 1;
        continue;
      }
      if (depth > 0) {
        if (i + 1 < pattern.size() && pattern[i + 1] == '^')
          throw Error("the split pattern nests a negated character class, which EmbedScope cannot rewrite for PCRE2");
        ++depth;
        continue;  // the inner class joins the outer one
      }
      depth = 1;
      out += c;
      // A ']' right after '[' or '[^' is a literal, not the end of the class.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') {
        out += "\\]";
        ++i;
      }
      continue;
    }
    if (c == ']' && depth > 0) {
      if (--depth > 0) continue;  // end of an inner class
    }
    out += c;
  }
  if (depth > 0) throw Error("the split pattern has an unclosed character class");
  return out;
}

Pretokenizer::~Pretokenizer() = default;

void Pretokenizer::split(std::string_view text, std::vector<std::string_view>& pieces) const {
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_->code, nullptr);
  if (!md) throw Error("BPE pre-tokenizer: out of memory for PCRE2 match data");
  struct Free {
    pcre2_match_data* md;
    ~Free() { pcre2_match_data_free(md); }
  } free_md{md};

  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  const PCRE2_SIZE n = text.size();
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  PCRE2_SIZE pos = 0;
  while (pos < n) {
    const int rc = code_->jit ? pcre2_jit_match(code_->code, subject, n, pos, 0, md, nullptr)
                              : pcre2_match(code_->code, subject, n, pos, 0, md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) {
      pieces.push_back(text.substr(pos));  // only invalid UTF-8 is left
      return;
    }
    if (rc < 0) {
      throw Error("BPE pre-tokenizer: PCRE2 failed at byte " + std::to_string(pos) + ": " +
                  pcre2_message(rc));
    }
    const PCRE2_SIZE start = ov[0], end = ov[1];
    if (start > pos) pieces.push_back(text.substr(pos, start - pos));  // invalid bytes
    if (end <= start) {
      // Every alternative consumes at least one character, so this cannot happen; guard
      // against an endless loop all the same by handing the rest over as one piece.
      pieces.push_back(text.substr(start));
      return;
    }
    pieces.push_back(text.substr(start, end - start));
    pos = end;
  }
}

#undef ES_WS

}  // namespace es::bpe
