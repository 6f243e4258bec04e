// Conformance with Hugging Face's tokenizers library itself (the Rust implementation): every
// tokenizer.json in tests/data/hf_tokenizers — the kinds make_fixtures.py writes and the files
// make_released_like.py builds the way released models' files are built (LLaMA 3 / 3.1, DeepSeek
// V3, gpt-4o- and gpt-3.5-style, Gemma 3 with 1,200 added tokens, BERT variants) — on ordinary
// text in many scripts, hostile text and every added token inside text, without and with the
// model's special tokens. The reference ids come from make_rust_reference.mjs
// (rust_reference.json); nothing here needs node.
#include "bpe_tokenizer.h"
#include "tokenizer_fixtures.h"

#include <doctest.h>
#include <nlohmann/json.hpp>

#include <sstream>

using namespace es;
using namespace es::testing;
namespace fs = std::filesystem;

namespace {

const nlohmann::json& reference() {
  static const nlohmann::json j =
      nlohmann::json::parse(read_text(fs::path(ES_TEST_DATA_DIR) / "hf_tokenizers" / "rust_reference.json"));
  return j;
}

std::string ids_text(const std::vector<int>& ids) {
  std::ostringstream s;
  for (std::size_t i = 0; i < ids.size() && i < 40; ++i) s << (i ? "," : "") << ids[i];
  if (ids.size() > 40) s << ",... (" << ids.size() << ")";
  return s.str();
}

std::string printable(const std::string& t) {
  std::string out;
  for (unsigned char c : t.substr(0, 80)) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("every tokenizer.json gives the Rust library's ids, with and without special tokens") {
  const nlohmann::json& files = reference().at("files");
  REQUIRE(files.size() >= 13);
  for (auto entry = files.begin(); entry != files.end(); ++entry) {
    const std::string name = entry.key();  // (no structured binding: doctest's macros capture it in lambdas)
    const nlohmann::json& cases = entry.value();
    CAPTURE(name);
    const TokenizerJsonResult r = load_tokenizer_json(fs::path(ES_TEST_DATA_DIR) / "hf_tokenizers" / name);
    CHECK_MESSAGE(r.tokenizer, name << " refused: " << r.unsupported);
    if (!r.tokenizer) continue;
    int wrong = 0, shown = 0;
    for (const nlohmann::json& c : cases) {
      const std::string text = base64_decode(c.at("text_b64").get<std::string>());
      for (bool special : {false, true}) {
        const std::vector<int> want = c.at(special ? "ids_special" : "ids").get<std::vector<int>>();
        const std::vector<int> got = r.tokenizer->encode(text, special);
        if (got == want) continue;
        ++wrong;
        if (shown++ < 6)
          MESSAGE(name << (special ? " --special" : "") << " on \"" << printable(text) << "\": Rust [" << ids_text(want)
                       << "], EmbedScope [" << ids_text(got) << "]");
      }
    }
    CHECK_MESSAGE(wrong == 0, name << ": " << wrong << " of " << 2 * cases.size() << " encodings differ");
  }
}

TEST_CASE("decoding gives the Rust library's text back, per tokenizer kind") {
  // Decoders: ByteLevel, Metaspace, WordPiece (with its clean-up), ByteFallback + Fuse + Replace
  // + Strip, on the ids with special tokens. Counted per file, shown for the first few.
  const nlohmann::json& files = reference().at("files");
  for (auto entry = files.begin(); entry != files.end(); ++entry) {
    const std::string name = entry.key();
    const nlohmann::json& cases = entry.value();
    CAPTURE(name);
    const TokenizerJsonResult r = load_tokenizer_json(fs::path(ES_TEST_DATA_DIR) / "hf_tokenizers" / name);
    if (!r.tokenizer) continue;  // the ids test names it
    int wrong = 0, shown = 0;
    for (const nlohmann::json& c : cases) {
      const std::vector<int> ids = c.at("ids_special").get<std::vector<int>>();
      const std::string want = base64_decode(c.at("decoded_b64").get<std::string>());
      const std::string got = r.tokenizer->decode(ids);
      if (got == want) continue;
      ++wrong;
      if (shown++ < 4) MESSAGE(name << ": Rust \"" << printable(want) << "\", EmbedScope \"" << printable(got) << "\"");
    }
    CHECK_MESSAGE(wrong == 0, name << ": " << wrong << " of " << cases.size() << " decodings differ");
  }
}

TEST_CASE("invalid UTF-8 through a byte-level file with a normaliser: U+FFFD first, never an exception (fuzz finding)") {
  // "\n\x95" reached Qwen2's NFC unsanitised once the normaliser moved into the byte-level
  // reader; the library never sees such text (it takes valid strings), so invalid bytes are
  // read as U+FFFD, as the other readers do.
  const TokenizerJsonResult r = load_tokenizer_json(fs::path(ES_TEST_DATA_DIR) / "hf_tokenizers" / "qwen2" / "tokenizer.json");
  REQUIRE(r.tokenizer);
  CHECK(r.tokenizer->encode("\n\x95", false) == r.tokenizer->encode("\n\xEF\xBF\xBD", false));
  // Without a normaliser every byte is kept (GPT-2's byte-level files lose nothing).
  const TokenizerJsonResult g = load_tokenizer_json(fs::path(ES_TEST_DATA_DIR) / "hf_tokenizers" / "llama3" / "tokenizer.json");
  REQUIRE(g.tokenizer);
  CHECK(g.tokenizer->decode(g.tokenizer->encode("a\x95z", false)) == "a\x95z");
}
