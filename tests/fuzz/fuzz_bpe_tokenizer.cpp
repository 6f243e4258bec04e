// Fuzz target: GPT-2's byte-level BPE on arbitrary bytes. decode(encode(x)) must give back x
// exactly, with and without special tokens, and every id must be in the vocabulary.
#include "bpe_tokenizer.h"
#include "fuzz_check.h"
#include "types.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

const es::Tokenizer& gpt2() {
  static const std::unique_ptr<es::Tokenizer> tok = [] {
    try {
      return es::load_bpe_tokenizer_dir(es::default_gpt2_tokenizer_dir());
    } catch (const es::Error& e) {
      std::fprintf(stderr, "fuzz_bpe_tokenizer: %s\n", e.what());
      std::exit(2);
    }
  }();
  return *tok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const es::Tokenizer& tok = gpt2();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool special : {false, true}) {
    const std::vector<int> ids = tok.encode(text, special);
    for (int id : ids) ES_FUZZ_CHECK(id >= 0 && id < tok.vocab_size(), "id outside the vocabulary");
    ES_FUZZ_CHECK(ids.size() <= size, "more tokens than bytes");
    ES_FUZZ_CHECK(tok.decode(ids) == text, "decode(encode(x)) != x");
    if (!special)
      for (int id : ids) ES_FUZZ_CHECK(id != 50256, "<|endoftext|> id without allow_special");
    (void)es::escape_token_text(text);
    (void)es::visible_token_text(text);
  }
  return 0;
}
