// The classroom word tokenizer and the token-text escapes. Expected ids follow from the
// specification of the vocabulary order ("<unk>" = 0, the, cat, sat, on, a, mat, dog = 1..7)
// and of the splitting rules in word_tokenizer.h; escapes from the rules in tokenizer.h.
#include "word_tokenizer.h"
#include "bpe_tokenizer.h"
#include "types.h"

#include <doctest.h>

#include <set>

using namespace es;

namespace {

using Ids = std::vector<int>;

// The first eight words of the classroom vocabulary, by specification.
const std::vector<std::string> kFirstEight = {"<unk>", "the", "cat", "sat", "on", "a", "mat", "dog"};

}  // namespace

TEST_CASE("classroom vocabulary: fixed start, unique words, clear limits") {
  CHECK(classroom_vocabulary(8) == kFirstEight);
  CHECK(classroom_vocabulary(1) == std::vector<std::string>{"<unk>"});
  // At least 64 words, all distinct, and a prefix of the same list for every size.
  int max_v = 0;
  for (int v = 1;; ++v) {
    try {
      classroom_vocabulary(v);
    } catch (const Error&) {
      max_v = v - 1;
      break;
    }
    REQUIRE(v < 100000);
  }
  CHECK(max_v >= 64);
  const auto all = classroom_vocabulary(max_v);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == all.size());
  for (int v : {8, 20, 64}) {
    const auto part = classroom_vocabulary(v);
    CHECK(std::equal(part.begin(), part.end(), all.begin()));
  }
  CHECK(all[8] == "ran");
  CHECK(all[9] == "big");
  CHECK(all[10] == "red");
  try {
    classroom_vocabulary(max_v + 1);
    FAIL("no error past the maximum");
  } catch (const Error& e) {
    const std::string m = e.what();
    CHECK(m.find("maximum") != std::string::npos);
    CHECK(m.find(std::to_string(max_v)) != std::string::npos);
  }
  CHECK_THROWS_AS(classroom_vocabulary(0), Error);
  CHECK_THROWS_AS(classroom_vocabulary(-3), Error);
}

TEST_CASE("word tokenizer splits, lower-cases and maps unknown words to 0") {
  const WordTokenizer tok(classroom_vocabulary(8));
  CHECK(tok.name() == "classroom-words");
  CHECK(tok.vocab_size() == 8);
  CHECK(tok.unknown_id() == 0);
  CHECK(tok.encode("the cat sat on the mat") == Ids{1, 2, 3, 4, 1, 6});
  CHECK(tok.encode("The Cat SAT on a MAT") == Ids{1, 2, 3, 4, 5, 6});
  // Whitespace of any kind and amount separates and is dropped.
  CHECK(tok.encode("  the\t\tcat\r\n\nsat  ") == Ids{1, 2, 3});
  CHECK(tok.encode("").empty());
  CHECK(tok.encode(" \n\t ").empty());
  // Punctuation: one token per character, here unknown (not in the 8 words).
  CHECK(tok.encode("cat,dog.") == Ids{2, 0, 7, 0});
  CHECK(tok.encode("?!") == Ids{0, 0});
  // Apostrophes and digits belong to words: "dog's" is one (unknown) word.
  CHECK(tok.encode("the dog's mat") == Ids{1, 0, 6});
  CHECK(tok.encode("cat9 a") == Ids{0, 5});
  // A non-ASCII letter stays inside its word instead of splitting it.
  CHECK(tok.encode("caf\xC3\xA9 cat") == Ids{0, 2});
  CHECK(tok.encode("\xC3\x89T\xC3\x89") == Ids{0});
  // allow_special has no meaning here.
  CHECK(tok.encode("<unk> cat", true) == Ids{0, 0, 0, 2});
  // Larger vocabularies know punctuation.
  const WordTokenizer big(classroom_vocabulary(64));
  const Ids ids = big.encode("The dog ran, the cat sat.");
  REQUIRE(ids.size() == 8);
  CHECK(big.token_bytes(ids[3]) == ",");
  CHECK(big.token_bytes(ids[7]) == ".");
  CHECK(big.decode(ids) == "the dog ran , the cat sat .");
}

TEST_CASE("word tokenizer lookups and decode") {
  const WordTokenizer tok(classroom_vocabulary(8));
  CHECK(tok.token_bytes(0) == "<unk>");
  CHECK(tok.token_bytes(7) == "dog");
  CHECK_THROWS_AS(tok.token_bytes(8), Error);
  CHECK_THROWS_AS(tok.token_bytes(-1), Error);
  CHECK(tok.find_token("cat") == std::optional<int>(2));
  CHECK_FALSE(tok.find_token("Cat").has_value());  // exact bytes: vocabulary is lower-case
  CHECK_FALSE(tok.find_token("").has_value());
  const Ids ids = {1, 2, 3, 4, 1, 6};
  CHECK(tok.decode(ids) == "the cat sat on the mat");
  CHECK(tok.decode(Ids{}) == "");
  CHECK(tok.decode(Ids{0, 7}) == "<unk> dog");
  CHECK_THROWS_AS(tok.decode(Ids{1, 99}), Error);
  CHECK(tok.tokens_containing("at", 10) == Ids{2, 3, 6});
  CHECK(tok.tokens_containing("at", 2) == Ids{2, 3});
}

TEST_CASE("word tokenizer rejects empty and duplicate vocabularies") {
  CHECK_THROWS_AS(WordTokenizer(std::vector<std::string>{}), Error);
  try {
    WordTokenizer({"<unk>", "cat", "dog", "cat"});
    FAIL("duplicates accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("cat") != std::string::npos);
  }
  const WordTokenizer own({"<unk>", "hello", "world"});
  CHECK(own.encode("Hello, World") == Ids{1, 0, 2});
}

TEST_CASE("escape_token_text keeps valid UTF-8 and escapes the rest") {
  CHECK(escape_token_text("hello") == "hello");
  CHECK(escape_token_text(" the") == " the");
  CHECK(escape_token_text("") == "");
  CHECK(escape_token_text("\n") == "\\n");
  CHECK(escape_token_text("\t") == "\\t");
  CHECK(escape_token_text("\r\n") == "\\r\\n");
  CHECK(escape_token_text("a\\b") == "a\\\\b");
  CHECK(escape_token_text(std::string("\0", 1)) == "\\x00");
  CHECK(escape_token_text("\x01\x1F\x7F") == "\\x01\\x1F\\x7F");
  CHECK(escape_token_text("caf\xC3\xA9") == "caf\xC3\xA9");          // é
  CHECK(escape_token_text("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");  // 😀
  CHECK(escape_token_text("\xF4\x8F\xBF\xBF") == "\xF4\x8F\xBF\xBF");  // U+10FFFF
  // Invalid UTF-8: each offending byte on its own.
  CHECK(escape_token_text("\xC3") == "\\xC3");                     // half of é
  CHECK(escape_token_text(" \xC3") == " \\xC3");
  CHECK(escape_token_text("\xA9") == "\\xA9");                     // the other half
  CHECK(escape_token_text("\xF0\x9F\x98") == "\\xF0\\x9F\\x98");   // truncated emoji
  CHECK(escape_token_text("\xED\xA0\x80") == "\\xED\\xA0\\x80");   // surrogate D800
  CHECK(escape_token_text("\xC0\xAF") == "\\xC0\\xAF");            // overlong '/'
  CHECK(escape_token_text("\xE0\x80\xAF") == "\\xE0\\x80\\xAF");   // overlong '/'
  CHECK(escape_token_text("\xF4\x90\x80\x80") == "\\xF4\\x90\\x80\\x80");  // > U+10FFFF
  CHECK(escape_token_text("\xFF" "a") == "\\xFFa");
  CHECK(escape_token_text("\xC3\xA9\xC3") == "\xC3\xA9\\xC3");
}

TEST_CASE("visible_token_text shows spaces, newlines and tabs") {
  CHECK(visible_token_text(" the") == "\u2423the");
  CHECK(visible_token_text("  ") == "\u2423\u2423");
  CHECK(visible_token_text("\n\n") == "\u21B5\u21B5");
  CHECK(visible_token_text("\t") == "\u21E5");
  CHECK(visible_token_text("\r\n") == "\\r\u21B5");
  CHECK(visible_token_text(" \xC3") == "\u2423\\xC3");
  CHECK(visible_token_text("a\\b") == "a\\\\b");
  CHECK(visible_token_text("The") == "The");
}

TEST_CASE("escaped GPT-2 tokens never carry raw control bytes") {
  std::shared_ptr<const Tokenizer> tok;
  try {
    tok = default_gpt2_tokenizer();
  } catch (const Error& e) {
    FAIL("GPT-2's tokenizer files are needed here (run scripts/fetch_tokenizer.sh or `make "
         "test`): "
         << e.what());
  }
  int bad = 0;
  for (int id = 0; id < tok->vocab_size(); ++id) {
    for (const std::string& s : {escape_token_text(tok->token_bytes(id)),
                                 visible_token_text(tok->token_bytes(id))}) {
      for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7F) ++bad;
      }
    }
  }
  CHECK(bad == 0);
  CHECK(visible_token_text(tok->token_bytes(262)) == "\u2423the");
  CHECK(visible_token_text(tok->token_bytes(198)) == "\u21B5");
}
