// GPT-2 byte-level BPE against reference implementations we did not write: the ids in
// tests/data/tokenizer/gpt2_fixtures.json come from gpt-3-encoder@1.1.4 and @dqbd/tiktoken
// (see make_fixtures.js there), plus published facts (shared FACTS.md section 5: " the" =
// 262, "The" = 464, "<|endoftext|>" = 50256, V = 50257). Also: lossless round trip on any
// bytes (invalid UTF-8 included), loading both file-name pairs, and clear errors for broken
// files. The GPT-2 files must be present (`make test` fetches them); tests fail, not skip,
// when they are not.
#include "bpe_tokenizer.h"
#include "tokenizer_fixtures.h"
#include "bpe_merge.h"
#include "types.h"

#include <doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_map>

using namespace es;
using namespace es::testing;
namespace fs = std::filesystem;

namespace {

// A fresh temporary folder, removed at the end of the scope.
struct TempDir {
  fs::path path;
  explicit TempDir(const char* tag) {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("es_test_tok_" + std::string(tag) + "_" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A small byte-level vocabulary: the 256 byte tokens (id = byte) and merges given as token
// strings, e.g. {"Ġ", "t"}. Written in GPT-2's token-string form with the byte table.
struct TinyFiles {
  std::string vocab_json;
  std::string merges_txt;
};

TinyFiles tiny_files(const std::vector<std::pair<std::string, std::string>>& merges) {
  nlohmann::json j = nlohmann::json::object();
  int next = 0;
  for (int b = 0; b < 256; ++b) j[bpe::bytes_to_token_string(std::string(1, char(b)))] = next++;
  std::string m = "#version: 0.2\n";
  for (const auto& [l, r] : merges) {
    if (!j.contains(l + r)) j[l + r] = next++;
    m += l + " " + r + "\n";
  }
  return {j.dump(), m};
}

}  // namespace

TEST_CASE("published GPT-2 facts") {
  const auto tok = gpt2();
  CHECK(tok->name() == "gpt2-bpe");
  CHECK(tok->vocab_size() == 50257);
  CHECK(tok->encode(" the") == std::vector<int>{262});
  CHECK(tok->encode("The") == std::vector<int>{464});
  CHECK(tok->token_bytes(262) == " the");
  CHECK(tok->token_bytes(464) == "The");
  CHECK(tok->token_bytes(50256) == "<|endoftext|>");
  CHECK(tok->find_token(" the") == std::optional<int>(262));
  CHECK(tok->find_token("\n") == std::optional<int>(198));  // "Ċ" in encoder.json
  CHECK(tok->find_token(" ") == std::optional<int>(220));   // "Ġ"
  CHECK_FALSE(tok->find_token("no such token at all").has_value());
  CHECK_THROWS_AS(tok->token_bytes(50257), Error);
  CHECK_THROWS_AS(tok->token_bytes(-1), Error);
  const std::vector<int> bad = {262, 99999};
  CHECK_THROWS_AS(tok->decode(bad), Error);
}

TEST_CASE("byte-to-unicode table matches GPT-2's") {
  // encoder.py's bytes_to_unicode: printable Latin-1 stands for itself, the rest from U+0100.
  CHECK(bpe::byte_to_unicode('A') == U'A');
  CHECK(bpe::byte_to_unicode(0x00) == U'\u0100');
  CHECK(bpe::byte_to_unicode('\n') == U'\u010A');  // Ċ
  CHECK(bpe::byte_to_unicode(' ') == U'\u0120');   // Ġ
  CHECK(bpe::byte_to_unicode(0x7F) == U'\u0121');
  CHECK(bpe::byte_to_unicode(0xA0) == U'\u0142');
  CHECK(bpe::byte_to_unicode(0xAD) == U'\u0143');  // the last one
  CHECK(bpe::byte_to_unicode(0xFF) == U'\u00FF');
  for (int b = 0; b < 256; ++b) CHECK(bpe::unicode_to_byte(bpe::byte_to_unicode(b)) == b);
  CHECK(bpe::unicode_to_byte(U'\u0144') == -1);
  std::string bytes;
  CHECK(bpe::token_string_to_bytes("\xC4\xA0the", bytes));  // "Ġthe"
  CHECK(bytes == " the");
  CHECK_FALSE(bpe::token_string_to_bytes("\xE2\x82\xAC", bytes));  // € is not in the table
}

TEST_CASE("every reference fixture gives exactly the reference ids") {
  const auto tok = gpt2();
  const auto& all = fixtures();
  REQUIRE(all.size() >= 60);
  int mismatches = 0;
  for (const auto& f : all) {
    const std::vector<int> got = tok->encode(f.text);
    if (got != f.ids) {
      ++mismatches;
      MESSAGE("fixture \"" << f.name << "\" (" << escape_token_text(f.text) << ")\n  expected "
                           << ids_str(f.ids) << "\n  got      " << ids_str(got));
    }
    // allow_special changes nothing for text without "<|endoftext|>".
    if (f.text.find("<|endoftext|>") == std::string::npos) CHECK(tok->encode(f.text, true) == got);
  }
  CHECK(mismatches == 0);
}

TEST_CASE("decode(encode(t)) == t on the fixtures") {
  const auto tok = gpt2();
  for (const auto& f : fixtures()) {
    CHECK_MESSAGE(tok->decode(tok->encode(f.text)) == f.text, f.name);
    CHECK_MESSAGE(tok->decode(f.ids) == f.text, f.name);
  }
}

TEST_CASE("<|endoftext|> is one token only with allow_special") {
  const auto tok = gpt2();
  CHECK(tok->encode("<|endoftext|>", true) == std::vector<int>{50256});
  // As plain text it is "<", "|", "endoftext", "|", ">" pieces (reference fixture).
  CHECK(tok->encode("<|endoftext|>", false) == std::vector<int>{27, 91, 437, 1659, 5239, 91, 29});
  CHECK(tok->encode("a<|endoftext|>b", true) == std::vector<int>{64, 50256, 65});
  CHECK(tok->encode("<|endoftext|><|endoftext|>", true) == std::vector<int>{50256, 50256});
  // Text around the special token is encoded as if the token were a boundary of the text.
  const std::string left = " hello  ", right = "  world's";
  std::vector<int> expect = tok->encode(left);
  expect.push_back(50256);
  for (int id : tok->encode(right)) expect.push_back(id);
  CHECK(tok->encode(left + "<|endoftext|>" + right, true) == expect);
  CHECK(tok->decode(tok->encode(left + "<|endoftext|>" + right, true)) ==
        left + "<|endoftext|>" + right);
  // Half a special token is plain text either way.
  CHECK(tok->encode("<|endoftext|", true) == tok->encode("<|endoftext|", false));
}

TEST_CASE("invalid UTF-8: each gap is its own piece, bytes survive") {
  const auto tok = gpt2();
  const int ff = *tok->find_token("\xFF");
  // The gap between two valid runs is encoded alone: pieces never cross it.
  CHECK(tok->encode("hello\xFF world") == [&] {
    std::vector<int> v = tok->encode("hello");
    v.push_back(ff);
    for (int id : tok->encode(" world")) v.push_back(id);
    return v;
  }());
  const std::vector<std::string> nasty = {
      "\xED\xA0\x80",              // UTF-16 surrogate D800 written as UTF-8
      "a\xED\xBF\xBF b",           // DFFF
      "\xC0\x80",                  // overlong NUL
      "\xE0\x80\xAF",              // overlong '/'
      "\xF4\x90\x80\x80",          // above U+10FFFF
      "\xF8\x88\x80\x80\x80",      // 5-byte form
      "caf\xC3",                   // truncated at the end
      "\xC3 \xA9",                 // split by a space
      "\x80\x80\x80 the",          // stray continuation bytes
      std::string("\0\0 a\0", 6),  // NULs are valid UTF-8
  };
  for (const auto& s : nasty) {
    const auto ids = tok->encode(s);
    CHECK_MESSAGE(tok->decode(ids) == s, escape_token_text(s));
    for (int id : ids) CHECK((id >= 0 && id < 50257));
  }
  // The surrogate bytes are not one character: they stay the same bytes, never U+FFFD.
  CHECK(tok->decode(tok->encode("x\xED\xA0\x80y")) == "x\xED\xA0\x80y");
}

TEST_CASE("round trip on seeded random byte strings, valid and invalid UTF-8") {
  const auto tok = gpt2();
  // Fragments chosen to hit every branch of the pattern and the gaps between them.
  const std::vector<std::string> frags = {
      " ", "  ", "\t", "\n", "\r\n", "a", "Z", "the", " the", "'s", "'S", "'ll", "'", "1",
      "2024", ".", "!!", "\xC3\xA9", "e\xCC\x81", "\xE6\x97\xA5", "\xF0\x9F\x98\x80",
      "\xE2\x80\x8D", "\xC2\x85", "\xEF\xBB\xBF", "\xED\xA0\x80", "\xC0\xAF", "\xFF",
      "\x80", "\xF0\x9F", "\xE6\x97", "<|endoftext|>", std::string(1, '\0'), "\x7F"};
  std::mt19937 rng(20240607);
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      if (rng() % 4 == 0) {
        s += static_cast<char>(rng() & 0xFF);  // any byte at all
      } else {
        s += frags[rng() % frags.size()];
      }
    }
    const bool special = rng() % 2;
    const auto ids = tok->encode(s, special);
    const std::string back = tok->decode(ids);
    if (back != s) {
      FAIL("round trip lost bytes on " << escape_token_text(s) << " (allow_special "
                                       << special << ")");
    }
  }
}

TEST_CASE("huge and hostile inputs finish and round-trip") {
  const auto tok = gpt2();
  const std::size_t n = 1'000'000;
  std::mt19937 rng(7);
  std::string mixed;
  while (mixed.size() < n) mixed += static_cast<char>(rng() & 0xFF);
  const std::vector<std::pair<std::string, std::string>> inputs = {
      {"spaces", std::string(n, ' ')},
      {"spaces then a word", std::string(n, ' ') + "word"},
      {"newlines", std::string(n, '\n')},
      {"digits", std::string(n, '7')},
      {"letters", std::string(n, 'a')},
      {"apostrophes", std::string(n, '\'')},
      {"random bytes", mixed},
  };
  for (const auto& input : inputs) {  // (clang 14 cannot capture a structured binding)
    const std::string& name = input.first;
    const std::string& text = input.second;
    const auto t0 = std::chrono::steady_clock::now();
    const auto ids = tok->encode(text);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    MESSAGE(name << ": " << text.size() << " bytes -> " << ids.size() << " tokens in " << s
                 << " s");
    CHECK_MESSAGE(tok->decode(ids) == text, name);
  }
}

TEST_CASE("GPT-2 merges rank after the merges that make their parts") {
  // merge_heap equals GPT-2's procedure only under this property; check it on the real file.
  const std::string data = read_text(default_gpt2_tokenizer_dir() / "vocab.bpe");
  std::istringstream in(data);
  std::string line;
  std::unordered_map<std::string, int> made_at;  // token string -> rank of its first merge
  int rank = 0, violations = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with("#version")) continue;
    const auto sp = line.find(' ');
    REQUIRE(sp != std::string::npos);
    const std::string l = line.substr(0, sp), r = line.substr(sp + 1);
    for (const auto* part : {&l, &r}) {
      const auto it = made_at.find(*part);
      if (it != made_at.end() && it->second >= rank) ++violations;
    }
    made_at.emplace(l + r, rank);
    ++rank;
  }
  CHECK(rank == 50000);
  CHECK(violations == 0);
}

TEST_CASE("merge_heap equals merge_naive (GPT-2's procedure)") {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    // A random BPE trained in order over a 4-letter alphabet: each merge joins two tokens
    // that already exist, so every merge ranks after the merges that made its parts.
    const int alphabet = 4;
    int next_id = alphabet;
    std::vector<std::pair<int, int>> pairs;
    bpe::PairRanks ranks;
    const int merges = 1 + static_cast<int>(rng() % 30);
    for (int r = 0; r < merges; ++r) {
      const int a = static_cast<int>(rng() % next_id), b = static_cast<int>(rng() % next_id);
      if (ranks.insert(a, b, static_cast<std::uint32_t>(r), next_id)) ++next_id;
    }
    for (int k = 0; k < 20; ++k) {
      std::vector<int> ids(rng() % 200);
      for (int& id : ids) id = static_cast<int>(rng() % alphabet);
      std::vector<int> a = ids, b = ids;
      bpe::merge_naive(ranks, a);
      bpe::merge_heap(ranks, b);
      REQUIRE(a == b);
    }
  }
  // And on GPT-2 itself: a long piece gives what its halves' pattern says it should.
  const auto tok = gpt2();
  std::string letters;
  for (int i = 0; i < 300; ++i) letters += "abcdefghijklmnopqrstuvwxyz"[(i * 7 + i / 5) % 26];
  const auto ids = tok->encode(letters);  // one 300-byte piece: the heap path
  CHECK(tok->decode(ids) == letters);
  CHECK(ids.size() < letters.size());
}

TEST_CASE("loads Hugging Face file names (vocab.json + merges.txt)") {
  const auto tok = gpt2();
  TempDir dir("hf");
  const fs::path src = default_gpt2_tokenizer_dir();
  CHECK_FALSE(has_bpe_tokenizer_files(dir.path));
  CHECK_THROWS_AS(load_bpe_tokenizer_dir(dir.path), Error);
  fs::copy_file(src / "encoder.json", dir.path / "vocab.json");
  // HF's merges.txt: same lines; write it with a trailing blank line and CRLF endings to
  // check both are accepted.
  std::string merges = read_text(src / "vocab.bpe");
  std::string crlf;
  for (char c : merges) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  write_text(dir.path / "merges.txt", crlf + "\r\n");
  CHECK(has_bpe_tokenizer_files(dir.path));
  const auto hf = load_bpe_tokenizer_dir(dir.path);
  REQUIRE(hf->vocab_size() == 50257);
  for (const auto& f : fixtures()) CHECK_MESSAGE(hf->encode(f.text) == f.ids, f.name);
  CHECK(hf->encode("<|endoftext|>", true) == std::vector<int>{50256});
}

TEST_CASE("a tiny hand-made vocabulary merges in rank order") {
  TempDir dir("tiny");
  // "Ġ" is the table's space. Ranks: (a,b)=0, (Ġ,ab)=1, (b,c)=2, (ab,c)=3.
  const auto files = tiny_files({{"a", "b"}, {"\xC4\xA0", "ab"}, {"b", "c"}, {"ab", "c"}});
  write_text(dir.path / "encoder.json", files.vocab_json);
  write_text(dir.path / "vocab.bpe", files.merges_txt);
  const auto tok = load_bpe_tokenizer_dir(dir.path);
  CHECK(tok->vocab_size() == 260);
  const int ab = *tok->find_token("ab"), sab = *tok->find_token(" ab");
  const int bc = *tok->find_token("bc"), abc = *tok->find_token("abc");
  CHECK(tok->encode("abc") == std::vector<int>{abc});  // (a,b) first, then (ab,c)
  CHECK(tok->encode("bc") == std::vector<int>{bc});
  CHECK(tok->encode(" abc") == std::vector<int>{sab, 'c'});  // (Ġ,ab) outranks (ab,c)
  CHECK(tok->encode("abab") == std::vector<int>{ab, ab});
  CHECK(tok->encode("x") == std::vector<int>{'x'});
  // No "<|endoftext|>" in this vocabulary: allow_special changes nothing.
  CHECK(tok->encode("<|endoftext|>", true) == tok->encode("<|endoftext|>", false));
}

TEST_CASE("broken tokenizer files give es::Error naming the file and the problem") {
  TempDir dir("broken");
  const fs::path vocab = dir.path / "encoder.json", merges = dir.path / "vocab.bpe";
  const auto good = tiny_files({{"a", "b"}, {"ab", "c"}});
  auto message = [&] {
    try {
      load_bpe_tokenizer(vocab, merges);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  auto contains = [](const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
  };

  // Missing files.
  std::string m = message();
  CHECK(contains(m, "encoder.json"));
  write_text(vocab, good.vocab_json);
  m = message();
  CHECK(contains(m, "vocab.bpe"));
  write_text(merges, good.merges_txt);
  CHECK(message() == "(no error)");

  // Broken JSON, and JSON of the wrong shape.
  write_text(vocab, good.vocab_json.substr(0, good.vocab_json.size() / 2));
  m = message();
  CHECK(contains(m, "encoder.json"));
  CHECK(contains(m, "JSON"));
  write_text(vocab, "[1, 2, 3]");
  CHECK(contains(message(), "encoder.json"));
  write_text(vocab, "{\"a\": \"zero\"}");
  CHECK(contains(message(), "not an integer"));

  // Ids out of range or given twice.
  auto j = nlohmann::json::parse(good.vocab_json);
  j["ab"] = 5000;
  write_text(vocab, j.dump());
  m = message();
  CHECK(contains(m, "encoder.json"));
  CHECK(contains(m, "5000"));
  j = nlohmann::json::parse(good.vocab_json);
  j["ab"] = 7;
  write_text(vocab, j.dump());
  m = message();
  CHECK(contains(m, "encoder.json"));
  CHECK(contains(m, "id 7"));
  // A byte without a token.
  j = nlohmann::json::parse(good.vocab_json);
  j["zz"] = j["a"];  // keeps the ids 0..V-1, but byte 'a' has no token any more
  j.erase("a");
  write_text(vocab, j.dump());
  m = message();
  CHECK(contains(m, "encoder.json"));
  CHECK(contains(m, "byte 0x61"));
  write_text(vocab, good.vocab_json);

  // Merges: a line that is not two tokens, a part or a result missing from the vocabulary.
  write_text(merges, "#version: 0.2\na b\nab c d\n");
  m = message();
  CHECK(contains(m, "vocab.bpe"));
  CHECK(contains(m, "line 3"));
  CHECK(contains(m, "two tokens"));
  write_text(merges, "#version: 0.2\na b\nabc\n");
  CHECK(contains(message(), "line 3"));
  write_text(merges, "a b\nxyz c\n");
  m = message();
  CHECK(contains(m, "line 2"));
  CHECK(contains(m, "xyz"));
  CHECK(contains(m, "not in the vocabulary"));
  write_text(merges, "a b\nb c\n");  // "bc" is not a token
  m = message();
  CHECK(contains(m, "line 2"));
  CHECK(contains(m, "bc"));
  write_text(merges, "#version: 0.2\n");
  CHECK(contains(message(), "no merges"));
}

TEST_CASE("default tokenizer: shared, and a clear message when the files are missing") {
  const auto a = gpt2();
  const auto b = default_gpt2_tokenizer();
  CHECK(a.get() == b.get());  // loaded once
  const char* old = std::getenv("EMBEDSCOPE_TOKENIZER_DIR");
  const std::string saved = old ? old : "";
  setenv("EMBEDSCOPE_TOKENIZER_DIR", "/nonexistent/es-tokenizer", 1);
  CHECK(default_gpt2_tokenizer_dir() == fs::path("/nonexistent/es-tokenizer"));
  CHECK_FALSE(has_bpe_tokenizer_files(default_gpt2_tokenizer_dir()));
  // The cached tokenizer is still returned: the folder is only read once.
  CHECK(default_gpt2_tokenizer().get() == a.get());
  if (old) {
    setenv("EMBEDSCOPE_TOKENIZER_DIR", saved.c_str(), 1);
  } else {
    unsetenv("EMBEDSCOPE_TOKENIZER_DIR");
  }
}

TEST_CASE("encode from several threads at once gives the reference ids") {
  const auto tok = gpt2();
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (const auto& f : fixtures()) {
          if (tok->encode(f.text) != f.ids) ++failures[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == std::vector<int>(4, 0));
}

TEST_CASE("tokens_containing lists ids in order") {
  const auto tok = gpt2();
  // 256.. are the first merges: " t", " a", "he", "in", "re", "on", " the" (262).
  CHECK(tok->tokens_containing(" the", 1) == std::vector<int>{262});
  const auto some = tok->tokens_containing("the", 50);
  REQUIRE(some.size() == 50);
  for (std::size_t i = 0; i < some.size(); ++i) {
    CHECK(tok->token_bytes(some[i]).find("the") != std::string::npos);
    if (i) CHECK(some[i - 1] < some[i]);
  }
  CHECK(tok->tokens_containing("\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 10).empty());
}

TEST_CASE("throughput on about 1 MB of mixed English (printed, not asserted)") {
  const auto tok = gpt2();
  std::string text;
  for (const auto& f : fixtures()) {
    if (f.name == "paragraph" || f.name.starts_with("code") || f.name.starts_with("contractions"))
      text += f.text + "\n";
  }
  std::string mb;
  while (mb.size() < (1u << 20)) mb += text;
  tok->encode(mb);  // warm the piece cache, as in an interactive session
  const auto t0 = std::chrono::steady_clock::now();
  const auto ids = tok->encode(mb);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("GPT-2 BPE: " << mb.size() / 1e6 << " MB -> " << ids.size() << " tokens in " << s
                        << " s = " << mb.size() / 1e6 / s << " MB/s");
  CHECK(tok->decode(ids) == mb);
}
