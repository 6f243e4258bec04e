#include "word_tokenizer.h"

#include "file_text.h"

#include <string>
#include <string_view>
#include <vector>
#include <unordered_set>

#include "assets.h"
#include "types.h"

namespace es {

namespace {

// Simple words a teacher can build sentences from (assets/classroom_words.txt, one a line, in
// id order); the first eight make "the cat sat on a mat" and "the dog sat on the mat" work
// with the smallest vocabularies.
const std::vector<std::string>& classroom_words() {
  static const std::vector<std::string> words = [] {
    std::vector<std::string> out;
    const std::string_view text = embedded_asset("classroom_words.txt");
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      if (end > start) out.emplace_back(text.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }();
  return words;
}

bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Letters, digits, apostrophes; any byte of a non-ASCII character also counts, so "café"
// stays one (unknown) word instead of splitting around the "é".
bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '\'' || c >= 0x80;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

WordTokenizer::WordTokenizer(std::vector<std::string> words) : words_(std::move(words)) {
  if (words_.empty()) throw Error("a word vocabulary needs at least the unknown-word token");
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < words_.size(); ++i) {
    if (!seen.insert(words_[i]).second) {
      throw Error("the word vocabulary lists \"" + escape_token_text(words_[i]) +
                  "\" twice (again at position " + std::to_string(i) + ")");
    }
  }
}

std::vector<int> WordTokenizer::encode(std::string_view text, bool /*allow_special*/) const {
  std::vector<int> out;
  const auto lookup = [&](std::string_view piece) {
    out.push_back(find_token(ascii_lower(piece)).value_or(unknown_id()));
  };
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (is_space(c)) {
      ++i;
    } else if (is_word_byte(c)) {
      std::size_t j = i;
      while (j < text.size() && is_word_byte(static_cast<unsigned char>(text[j]))) ++j;
      lookup(text.substr(i, j - i));
      i = j;
    } else {
      lookup(text.substr(i, 1));
      ++i;
    }
  }
  return out;
}

std::string WordTokenizer::token_bytes(int id) const {
  if (id < 0 || id >= vocab_size()) {
    throw Error("token id " + std::to_string(id) + " is outside this vocabulary (0.." +
                std::to_string(vocab_size() - 1) + ")");
  }
  return words_[static_cast<std::size_t>(id)];
}

std::optional<int> WordTokenizer::find_token(std::string_view bytes) const {
  // Vocabularies here hold tens of words; a linear scan is simpler than a second index.
  for (std::size_t i = 0; i < words_.size(); ++i) {
    if (words_[i] == bytes) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::string WordTokenizer::decode(std::span<const int> ids) const {
  std::string out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ' ';
    out += token_bytes(ids[i]);
  }
  return out;
}

std::unique_ptr<WordTokenizer> load_word_list_tokenizer(const std::filesystem::path& path) {
  const std::string text = read_small_file(path, "word list", std::uintmax_t{4} << 20);
  std::vector<std::string> words;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string w = text.substr(at, end - at);
    if (!w.empty() && w.back() == '\r') w.pop_back();
    if (!w.empty()) words.push_back(std::move(w));
    at = end + 1;
  }
  if (words.empty()) throw Error(path.string() + " holds no words");
  return std::make_unique<WordTokenizer>(std::move(words));
}

std::vector<std::string> classroom_vocabulary(int v) {
  const std::vector<std::string>& words = classroom_words();
  const int kMax = static_cast<int>(words.size());
  if (v < 1 || v > kMax) {
    throw Error("a classroom vocabulary has 1 to " + std::to_string(kMax) + " words (maximum " +
                std::to_string(kMax) + "), not " + std::to_string(v));
  }
  return std::vector<std::string>(words.begin(), words.begin() + v);
}

}  // namespace es
