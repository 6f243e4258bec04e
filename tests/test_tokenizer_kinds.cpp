// Every tokenizer kind besides GPT-2's byte-level BPE, id for id against reference
// implementations EmbedScope did not write (tests/data/hf_tokenizers, made by make_fixtures.sh):
//   tokenizer.json files  ids of @huggingface/tokenizers (the reader of transformers.js)
//   SentencePiece models  ids of Debian's python3-sentencepiece (the library's own Python API)
// Kinds: LLaMA 2 (BPE + byte fallback, Prepend/Replace), Mistral-style (Metaspace "first"), T5
// (Unigram, NFKC, WhitespaceSplit + Metaspace), BERT uncased and cased (BertNormalizer,
// BertPreTokenizer, WordPiece, [CLS] ... [SEP]), BERT's vocab.txt alone, Qwen2 (byte-level BPE
// with NFC), and the two .model files; plus hostile cases for each parser.
#include "bpe_tokenizer.h"
#include "hf_tokenizer.h"
#include "sentencepiece_tokenizer.h"
#include "test_errors.h"
#include "tokenizer_fixtures.h"
#include "unicode_text.h"

#include <doctest.h>
#include <nlohmann/json.hpp>

#include <random>

using namespace es;
using namespace es::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kDir = fs::path(ES_TEST_DATA_DIR) / "hf_tokenizers";

std::string b64decode(const std::string& in) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (unsigned char c : in) {
    const auto p = chars.find(static_cast<char>(c));
    if (p == std::string::npos) break;
    val = (val << 6) + static_cast<int>(p);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

const std::vector<std::string>& cases() {
  static const std::vector<std::string> c = [] {
    std::vector<std::string> out;
    for (const json& j : json::parse(read_text(kDir / "cases.json"))) out.push_back(b64decode(j["text_b64"]));
    return out;
  }();
  return c;
}

const json& hf_reference() {
  static const json j = json::parse(read_text(kDir / "hf_reference.json"));
  return j;
}
const json& spm_reference() {
  static const json j = json::parse(read_text(kDir / "spm_reference.json"));
  return j;
}

std::unique_ptr<Tokenizer> json_tokenizer(const std::string& dir) {
  TokenizerJsonResult r = load_tokenizer_json(kDir / dir / "tokenizer.json");
  INFO(r.unsupported);
  REQUIRE(r.tokenizer);
  return std::move(r.tokenizer);
}

std::vector<int> ids_of(const json& j) { return j.get<std::vector<int>>(); }

bool writes_special_text(const std::string& text) {
  for (const char* s : {"[CLS]", "[SEP]", "<s>", "</s>", "<unk>", "<pad>", "<|endoftext|>"})
    if (text.find(s) != std::string::npos) return true;
  return false;
}

// Every case: plain ids (cases that write a special token's text are left out: the reference
// always matches them) and ids with the model's special tokens.
void check_against_hf(const Tokenizer& t, const std::string& key, bool check_decode) {
  const json& ref = hf_reference().at(key);
  REQUIRE(ref.size() == cases().size());
  int checked = 0;
  for (std::size_t i = 0; i < cases().size(); ++i) {
    const std::string& text = cases()[i];
    INFO(key << " case " << i << ": \"" << escape_token_text(text) << "\"");
    if (!writes_special_text(text)) {
      CHECK(t.encode(text, false) == ids_of(ref[i]["ids"]));
      ++checked;
      if (check_decode) CHECK(t.decode(ids_of(ref[i]["ids"])) == b64decode(ref[i]["decoded_b64"]));
    }
    CHECK(t.encode(text, true) == ids_of(ref[i]["ids_special"]));
  }
  CHECK(checked >= 20);
}

}  // namespace

TEST_CASE("LLaMA 2 tokenizer.json (BPE, byte fallback, Prepend + Replace) gives the reference ids") {
  auto t = json_tokenizer("llama");
  CHECK(t->name() == "BPE with byte fallback (tokenizer.json)");
  check_against_hf(*t, "llama/tokenizer.json", true);
  // Emoji the corpus never saw are spelled as UTF-8 bytes <0xF0> <0x9F> <0x98> <0x80>.
  const std::vector<int> ids = t->encode("\U0001F600", false);
  REQUIRE(ids.size() == 5);  // "▁" then four bytes
  CHECK(t->token_bytes(ids[1]) == "\xF0");
  CHECK(t->decode(ids) == "\U0001F600");
  CHECK(t->is_special(1));   // <s>
  CHECK(!t->is_special(ids[0]));
  CHECK(t->token_bytes(t->encode("the", false).back()).find(' ') != std::string::npos);  // ▁ shown as a space
}

TEST_CASE("Mistral-style tokenizer.json (Metaspace, prepend first) gives the reference ids") {
  auto t = json_tokenizer("mistral");
  check_against_hf(*t, "mistral/tokenizer.json", false);
}

TEST_CASE("T5-style tokenizer.json (Unigram, NFKC, WhitespaceSplit + Metaspace) gives the reference ids") {
  auto t = json_tokenizer("t5");
  CHECK(t->name() == "Unigram (tokenizer.json)");
  check_against_hf(*t, "t5/tokenizer.json", false);
}

TEST_CASE("T5's own tokenizer.json (Precompiled character map) gives SentencePiece's ids") {
  // The reference is the SentencePiece library on the model the map was taken from: the map is
  // its nmt_nfkc normaliser, compiled. Hugging Face's pipeline around it (spaces collapsed,
  // Metaspace on every word) matches SentencePiece except at the ends of the text (SentencePiece
  // strips leading and trailing whitespace; a trailing space becomes a lone "▁" there), so cases
  // that start or end with whitespace are left out, as are special-token texts.
  auto t = json_tokenizer("t5_precompiled");
  const json& ref = spm_reference().at("t5/spiece.model");
  int checked = 0;
  for (std::size_t i = 0; i < cases().size(); ++i) {
    const std::string& text = cases()[i];
    if (text.empty() || writes_special_text(text) || uni::is_white_space(static_cast<unsigned char>(text.front())) ||
        uni::is_white_space(static_cast<unsigned char>(text.back())))
      continue;
    INFO("case " << i << ": \"" << escape_token_text(text) << "\"");
    CHECK(t->encode(text, false) == ids_of(ref[i]["ids"]));
    ++checked;
  }
  CHECK(checked >= 18);
  // What the map does: NFKC-style folding (the ﬁ ligature, fullwidth letters, a circled digit).
  CHECK(t->encode("\xEF\xAC\x81ne", false) == t->encode("fine", false));
  CHECK(t->encode("\xEF\xBC\xA1", false) == t->encode("A", false));
}

TEST_CASE("BERT tokenizer.json, uncased and cased (WordPiece) gives the reference ids") {
  auto u = json_tokenizer("bert");
  CHECK(u->name() == "WordPiece (tokenizer.json)");
  check_against_hf(*u, "bert/tokenizer.json", false);
  auto c = json_tokenizer("bert_cased");
  check_against_hf(*c, "bert_cased/tokenizer.json", false);
  // [CLS] text [SEP] only when asked.
  const std::vector<int> with = u->encode("the cat", true);
  REQUIRE(with.size() >= 3);
  CHECK(u->token_bytes(with.front()) == "[CLS]");
  CHECK(u->token_bytes(with.back()) == "[SEP]");
  CHECK(u->is_special(with.front()));
  // Continuation pieces keep their "##"; decoding joins them.
  CHECK(u->decode(u->encode("unbelievably", false)) == "unbelievably");
}

TEST_CASE("BERT's vocab.txt alone reads as the uncased tokenizer.json does") {
  auto t = load_wordpiece_vocab(kDir / "bert_vocab_only" / "vocab.txt");
  CHECK(t->name() == "WordPiece (vocab.txt, uncased)");
  check_against_hf(*t, "bert/tokenizer.json", false);
}

TEST_CASE("Qwen2-style tokenizer.json (byte-level BPE with NFC first) gives the reference ids") {
  auto t = json_tokenizer("qwen2");
  CHECK(t->name().find("NFC") != std::string::npos);
  check_against_hf(*t, "qwen2/tokenizer.json", true);
  // NFC matters: decomposed é (e + U+0301) gives the ids of the composed one.
  CHECK(t->encode("Cafe\xCC\x81", false) == t->encode("Caf\xC3\xA9", false));
}

TEST_CASE("SentencePiece models give the library's own ids (LLaMA-style BPE, T5-style Unigram)") {
  for (const char* name : {"llama/tokenizer.model", "t5/spiece.model"}) {
    auto t = load_sentencepiece(kDir / name);
    const json& ref = spm_reference().at(name);
    for (std::size_t i = 0; i < cases().size(); ++i) {
      const std::string& text = cases()[i];
      INFO(name << " case " << i << ": \"" << escape_token_text(text) << "\"");
      CHECK(t->encode(text, false) == ids_of(ref[i]["ids"]));
      if (!writes_special_text(text)) CHECK(t->encode(text, true) == ids_of(ref[i]["ids_special"]));
      CHECK(t->decode(ids_of(ref[i]["ids"])) == b64decode(ref[i]["decoded_b64"]));
    }
  }
  auto llama = load_sentencepiece(kDir / "llama/tokenizer.model");
  CHECK(llama->encode("hi", true).front() == 1);  // BOS for LLaMA
  auto t5 = load_sentencepiece(kDir / "t5/spiece.model");
  CHECK(t5->encode("hi", true).back() == 1);  // EOS for T5
  // Byte pieces stand for their byte.
  const std::optional<int> b = llama->find_token("\xF0");
  REQUIRE(b);
  CHECK(llama->token_bytes(*b) == "\xF0");
}

TEST_CASE("Unicode helpers agree with the Unicode definitions") {
  CHECK(uni::normalize("e\xCC\x81", uni::Form::NFC) == "\xC3\xA9");
  CHECK(uni::normalize("\xC3\xA9", uni::Form::NFD) == "e\xCC\x81");
  CHECK(uni::normalize("\xEF\xAC\x81", uni::Form::NFKC) == "fi");   // ﬁ ligature
  CHECK(uni::normalize("\xE2\x91\xA0", uni::Form::NFKD) == "1");    // ①
  CHECK(uni::lowercase("\xC4\xB0stanbul ABC") == "i\xCC\x87stanbul abc");
  CHECK(uni::lowercase("\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3") == "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82");  // ΟΔΟΣ -> οδος
  CHECK(uni::strip_accents("Z\xC3\xBCrich", true) == "Zurich");
  CHECK(uni::sanitize_utf8("a\xFF\xFE" "b") == "a\xEF\xBF\xBD" "b");
  CHECK(uni::is_punctuation(U'\u3002'));
  CHECK(!uni::is_punctuation(U'a'));
  CHECK(uni::is_cjk_ideograph(U'\u4E2D'));
}

TEST_CASE("hostile tokenizer.json files of the new kinds: a clear error or a named gap, never a crash") {
  const auto parse = [](const std::string& text) { return parse_tokenizer_json(text, "hostile/tokenizer.json"); };
  // Broken: messages name the file and the problem.
  {
    // No [UNK] in the vocabulary: it loads (Hugging Face does too), and only a word it cannot
    // spell is refused, saying why.
    TokenizerJsonResult wp = parse(R"({"model":{"type":"WordPiece","vocab":{"a":0}}})");
    REQUIRE(wp.tokenizer);
    CHECK(wp.tokenizer->encode("a", false) == std::vector<int>{0});
    CHECK_THROWS_WITH_AS(wp.tokenizer->encode("b", false), doctest::Contains("unknown token"), Error);
  }
  CHECK_THROWS_WITH_AS(parse(R"({"model":{"type":"WordPiece","vocab":{"[UNK]":"zero"}}})"),
                       doctest::Contains("not an integer"), Error);
  CHECK_THROWS_WITH_AS(parse(R"({"model":{"type":"Unigram","vocab":[["a"]]}})"),
                       doctest::Contains("not [piece, score]"), Error);
  CHECK_THROWS_WITH_AS(parse(R"({"model":{"type":"Unigram","vocab":[]}})"), doctest::Contains("empty"), Error);
  CHECK_THROWS_WITH_AS(parse(R"({"model":{"type":"Unigram","vocab":[["a",0]],"unk_id":7}})"),
                       doctest::Contains("unk_id"), Error);
  CHECK_THROWS_WITH_AS(parse(R"({"model":{"type":"BPE","byte_fallback":true,"vocab":{"a":0},"merges":["a b"]}})"),
                       doctest::Contains("not in the vocabulary"), Error);
  CHECK_THROWS_WITH_AS(parse(R"({"model":{"type":"BPE","byte_fallback":true,"vocab":{"a":99999999999}},"merges":[]})"),
                       doctest::Contains("outside"), Error);
  CHECK_THROWS_WITH_AS(
      parse(R"({"model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[UNK]":0}},"post_processor":{"type":"BertProcessing","cls":["[CLS]"],"sep":1}})"),
      doctest::Contains("cls and sep"), Error);
  // Not implemented: a null tokenizer and the reason, so the folder still opens on ids.
  TokenizerJsonResult r = parse(R"({"pre_tokenizer":{"type":"UnicodeScripts"},"model":{"type":"WordLevel","vocab":{"a":0}}})");
  CHECK(!r.tokenizer);
  CHECK(r.unsupported.find("UnicodeScripts") != std::string::npos);
  // WordLevel without its unk token in the vocabulary: a word it lacks is an error, as in the
  // Rust library, not a silent gap.
  r = parse(R"({"pre_tokenizer":{"type":"Whitespace"},"model":{"type":"WordLevel","vocab":{"a":0},"unk_token":"[UNK]"}})");
  REQUIRE(r.tokenizer);
  CHECK(r.tokenizer->encode("a a", false) == std::vector<int>{0, 0});
  CHECK_THROWS_WITH_AS(r.tokenizer->encode("a b", false), doctest::Contains("unk token \"[UNK]\""), Error);
  CHECK_THROWS_WITH_AS(
      parse(R"({"normalizer":{"type":"Precompiled","precompiled_charsmap":"AAAAAAAA////"},"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0]]}})"),
      doctest::Contains("precompiled_charsmap"), Error);
  CHECK_THROWS_WITH_AS(
      parse(R"({"normalizer":{"type":"Precompiled","precompiled_charsmap":"not base64!"},"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0]]}})"),
      doctest::Contains("base64"), Error);
  r = parse(R"({"pre_tokenizer":{"type":"UnicodeScripts"},"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0]]}})");
  CHECK(!r.tokenizer);
  CHECK(r.unsupported.find("UnicodeScripts") != std::string::npos);
  r = parse(R"({"pre_tokenizer":{"type":"Split","pattern":{"Regex":"(?<!"},"behavior":"Isolated"},"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0]]}})");
  CHECK(!r.tokenizer);
  CHECK(r.unsupported.find("PCRE2") != std::string::npos);
  // Odd text on a good tokenizer: invalid UTF-8, a huge word, NULs, an empty regex match.
  auto bert = json_tokenizer("bert");
  CHECK(!bert->encode(std::string("\xFF\xC3(\0x", 5), false).empty());
  CHECK(bert->encode(std::string(5000, 'a'), false).size() == 1);  // longer than 100 characters: one [UNK]
  r = parse(R"({"pre_tokenizer":{"type":"Split","pattern":{"Regex":"x*"},"behavior":"Removed"},"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["a",-1]]}})");
  REQUIRE(r.tokenizer);
  CHECK(r.tokenizer->encode("axxa", false) == std::vector<int>{1, 1});
  CHECK(r.tokenizer->encode("b", false) == std::vector<int>{0});
}

TEST_CASE("hostile SentencePiece and vocab.txt files") {
  CHECK_THROWS_WITH_AS(parse_sentencepiece("not a model at all", "x/tokenizer.model"),
                       doctest::Contains("not a SentencePiece model"), Error);
  CHECK_THROWS_AS(parse_sentencepiece("", "x/tokenizer.model"), Error);
  std::string model = read_text(kDir / "llama/tokenizer.model");
  model.resize(model.size() / 2);  // truncated
  CHECK_THROWS_WITH_AS(parse_sentencepiece(model, "x/tokenizer.model"), doctest::Contains("x/tokenizer.model"), Error);
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / ("es_test_vocabtxt_" + std::to_string(rd()));
  fs::create_directories(dir);
  write_text(dir / "vocab.txt", "");
  CHECK_THROWS_WITH_AS(load_wordpiece_vocab(dir / "vocab.txt"), doctest::Contains("empty"), Error);
  write_text(dir / "vocab.txt", "a\nb\n");
  CHECK_THROWS_WITH_AS(load_wordpiece_vocab(dir / "vocab.txt"), doctest::Contains("[UNK]"), Error);
  write_text(dir / "vocab.txt", "[UNK]\nThe\n");
  write_text(dir / "tokenizer_config.json", "{\"do_lower_case\": false}");
  auto cased = load_wordpiece_vocab(dir / "vocab.txt");
  CHECK(cased->encode("The the", false) == std::vector<int>{1, 0});
  write_text(dir / "tokenizer_config.json", "{broken");
  CHECK_THROWS_WITH_AS(load_wordpiece_vocab(dir / "vocab.txt"), doctest::Contains("tokenizer_config.json"), Error);
  std::error_code ec;
  fs::remove_all(dir, ec);
}
