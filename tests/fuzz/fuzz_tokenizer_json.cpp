// Fuzz target: Hugging Face tokenizer.json reading (parse_tokenizer_json): any bytes give a
// tokenizer, an "unsupported" reason, or an es::Error with a message; a tokenizer that loads
// encodes a fixed text and the input itself without crashing, and decoding gives the text back
// (after the one space add_prefix_space may put in front) for byte-level BPE.
#include "bpe_tokenizer.h"
#include "fuzz_check.h"
#include "types.h"

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  es::TokenizerJsonResult r;
  try {
    r = es::parse_tokenizer_json(text, "tokenizer.json");
  } catch (const es::Error& e) {
    ES_FUZZ_CHECK(e.what()[0] != '\0', "an error without a message");
    return 0;
  }
  if (!r.tokenizer) {
    ES_FUZZ_CHECK(!r.unsupported.empty(), "neither a tokenizer nor a reason");
    return 0;
  }
  const es::Tokenizer& tok = *r.tokenizer;
  // Byte-level BPE without a normaliser loses nothing; other kinds normalise, lower-case or
  // drop what their vocabulary cannot spell, so only their ids are checked.
  const bool lossless = tok.name().rfind("byte-level BPE", 0) == 0 && tok.name().find(" first") == std::string::npos;
  if (lossless) ES_FUZZ_CHECK(tok.vocab_size() >= 256, "a byte-level vocabulary without all 256 bytes");
  for (std::string_view sample : {std::string_view("The cat sat on the mat. 123 'S\n\n"), text.substr(0, 256)}) {
    for (bool special : {false, true}) {
      std::vector<int> ids;
      try {
        ids = tok.encode(sample, special);
      } catch (const es::Error& e) {  // e.g. a WordPiece without [UNK] met a word it cannot spell
        ES_FUZZ_CHECK(!lossless, "byte-level BPE refused a text");
        continue;
      }
      for (int id : ids) ES_FUZZ_CHECK(id >= 0 && id < tok.vocab_size(), "an id outside the vocabulary");
      if (!lossless) {
        tok.decode(ids);
        continue;
      }
      if (!special) {
        const std::string back = tok.decode(ids);
        ES_FUZZ_CHECK(back == sample || back == " " + std::string(sample), "decode(encode(t)) is not t");
      }
    }
  }
  return 0;
}
