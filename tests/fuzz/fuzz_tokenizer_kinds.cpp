// Fuzz target: hostile text through every tokenizer kind (tests/data/hf_tokenizers: LLaMA 2,
// Mistral-style, T5 and BERT tokenizer.json, Qwen2's NFC + byte-level BPE, the two SentencePiece
// models, BERT's vocab.txt): normalisers, pre-tokenizers, WordPiece / Unigram / BPE with byte
// fallback on any bytes. Every id is in range and names its bytes; decoding does not fail. The
// byte-fallback tokenizers must give the text back exactly when it is valid UTF-8 without
// specials (LLaMA 2 loses nothing).
#include "bpe_tokenizer.h"
#include "fuzz_check.h"
#include "hf_tokenizer.h"
#include "sentencepiece_tokenizer.h"
#include "types.h"
#include "unicode_text.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Kinds {
  std::vector<std::unique_ptr<es::Tokenizer>> all;
  const es::Tokenizer* llama = nullptr;
  Kinds() {
    const std::filesystem::path dir = std::filesystem::path(ES_FUZZ_DATA_DIR) / "hf_tokenizers";
    for (const char* d : {"llama", "mistral", "t5", "t5_precompiled", "bert", "bert_cased", "qwen2"}) {
      es::TokenizerJsonResult r = es::load_tokenizer_json(dir / d / "tokenizer.json");
      if (!r.tokenizer) __builtin_trap();
      if (std::string(d) == "llama") llama = r.tokenizer.get();
      all.push_back(std::move(r.tokenizer));
    }
    all.push_back(es::load_sentencepiece(dir / "llama" / "tokenizer.model"));
    all.push_back(es::load_sentencepiece(dir / "t5" / "spiece.model"));
    all.push_back(es::load_wordpiece_vocab(dir / "bert_vocab_only" / "vocab.txt"));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Kinds kinds;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& tok : kinds.all) {
    for (bool special : {false, true}) {
      const std::vector<int> ids = tok->encode(text, special);
      for (int id : ids) {
        ES_FUZZ_CHECK(id >= 0 && id < tok->vocab_size(), "an id outside the vocabulary");
        tok->token_bytes(id);
      }
      const std::string back = tok->decode(ids);
      if (tok.get() == kinds.llama && !special && es::uni::sanitize_utf8(text) == text &&
          text.find("<s>") == std::string_view::npos && text.find("</s>") == std::string_view::npos &&
          text.find("<unk>") == std::string_view::npos) {
        // What the reference does (Hugging Face's decoder for this file replaces the
        // metaspace U+2581 by a space): a literal U+2581 in the text comes back as a space.
        std::string want(text);
        for (std::size_t at = want.find("\xE2\x96\x81"); at != std::string::npos; at = want.find("\xE2\x96\x81", at + 1))
          want.replace(at, 3, " ");
        ES_FUZZ_CHECK(back == want, "LLaMA 2's byte-fallback BPE lost text");
      }
    }
  }
  return 0;
}
