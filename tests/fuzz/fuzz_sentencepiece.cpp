// Fuzz target: SentencePiece model files (parse_sentencepiece, through libsentencepiece): any
// bytes give a tokenizer or an es::Error with a message; a model that loads encodes a fixed
// text and the input's first bytes, every id is in range, and decoding does not fail.
#include "fuzz_check.h"
#include "sentencepiece_tokenizer.h"
#include "types.h"

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::unique_ptr<es::Tokenizer> tok;
  try {
    tok = es::parse_sentencepiece(bytes, "");
  } catch (const es::Error& e) {
    ES_FUZZ_CHECK(e.what()[0] != '\0', "an error without a message");
    return 0;
  }
  for (std::string_view sample : {std::string_view("The cat sat on the mat. 123 <s> \xE6\x9D\xB1\n"), bytes.substr(0, 128)}) {
    for (bool special : {false, true}) {
      try {
        const std::vector<int> ids = tok->encode(sample, special);
        for (int id : ids) ES_FUZZ_CHECK(id >= 0 && id < tok->vocab_size(), "an id outside the vocabulary");
        tok->decode(ids);
        for (int id : ids) tok->token_bytes(id);
      } catch (const es::Error& e) {
        ES_FUZZ_CHECK(e.what()[0] != '\0', "an error without a message");
      }
    }
  }
  return 0;
}
