// Fuzz target: the classroom word tokenizer on arbitrary bytes. Checked against a separate
// count of the pieces the header promises (words of letters, digits, apostrophes and non-ASCII
// bytes; single punctuation bytes; whitespace dropped), and re-encoding decoded known words
// must give the same ids.
#include "fuzz_check.h"
#include "types.h"
#include "word_tokenizer.h"

#include <cctype>
#include <cstdint>
#include <string_view>

namespace {

bool reference_word_byte(unsigned char c) { return std::isalnum(c) || c == '\'' || c >= 0x80; }
bool reference_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::size_t reference_piece_count(std::string_view s) {
  std::size_t n = 0;
  bool in_word = false;
  for (unsigned char c : s) {
    if (reference_word_byte(c)) {
      if (!in_word) ++n;
      in_word = true;
    } else {
      in_word = false;
      if (!reference_space(c)) ++n;
    }
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const es::WordTokenizer full(es::classroom_vocabulary(100));
  static const es::WordTokenizer small(es::classroom_vocabulary(8));
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const es::WordTokenizer* tok : {&full, &small}) {
    const std::vector<int> ids = tok->encode(text);
    ES_FUZZ_CHECK(ids.size() == reference_piece_count(text), "piece count differs from the reference split");
    bool any_unknown = false;
    for (int id : ids) {
      ES_FUZZ_CHECK(id >= 0 && id < tok->vocab_size(), "id outside the vocabulary");
      if (id == tok->unknown_id()) any_unknown = true;
    }
    const std::string decoded = tok->decode(ids);
    if (!any_unknown) ES_FUZZ_CHECK(tok->encode(decoded) == ids, "encode(decode(ids)) != ids");
  }
  return 0;
}
