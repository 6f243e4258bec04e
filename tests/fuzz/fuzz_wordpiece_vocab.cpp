// Fuzz target: BERT vocab.txt files (parse_wordpiece_vocab): any bytes give a tokenizer or an
// es::Error with a message; one that loads encodes a fixed text and the input's first bytes,
// cased and uncased, with every id in range.
#include "fuzz_check.h"
#include "hf_tokenizer.h"
#include "types.h"

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (bool lower : {true, false}) {
    std::unique_ptr<es::Tokenizer> tok;
    try {
      tok = es::parse_wordpiece_vocab(bytes, lower, "vocab.txt");
    } catch (const es::Error& e) {
      ES_FUZZ_CHECK(e.what()[0] != '\0', "an error without a message");
      return 0;
    }
    for (std::string_view sample : {std::string_view("The cat [SEP] sat, unbelievably! \xE4\xB8\xAD"), bytes.substr(0, 128)}) {
      for (bool special : {false, true}) {
        const std::vector<int> ids = tok->encode(sample, special);
        for (int id : ids) ES_FUZZ_CHECK(id >= 0 && id < tok->vocab_size(), "an id outside the vocabulary");
        tok->decode(ids);
      }
    }
  }
  return 0;
}
