// Added tokens, matched as Hugging Face's tokenizers library matches them (added_vocab.h).
#include "added_vocab.h"

#include "hf_steps.h"
#include "unicode_text.h"

#include <nlohmann/json.hpp>

namespace es::hf {

AddedToken added_token_of(const nlohmann::json& a, int id) {
  AddedToken t;
  t.content = a["content"].get<std::string>();
  t.id = id;
  t.special = flag(a, "special", false);
  t.single_word = flag(a, "single_word", false);
  t.lstrip = flag(a, "lstrip", false);
  t.rstrip = flag(a, "rstrip", false);
  t.normalized = flag(a, "normalized", !t.special);
  return t;
}

void AddedVocabulary::Trie::insert(std::string_view s, int token) {
  if (s.empty()) return;
  if (token_at.empty()) token_at.push_back(-1);
  first[static_cast<unsigned char>(s[0])] = true;
  std::int32_t node = 0;
  for (unsigned char c : s) {
    const std::uint64_t key = (static_cast<std::uint64_t>(node) << 8) | c;
    const auto it = edges.find(key);
    if (it != edges.end()) {
      node = it->second;
    } else {
      edges.emplace(key, nodes);
      node = nodes++;
      token_at.push_back(-1);
    }
  }
  if (token_at[static_cast<std::size_t>(node)] < 0) token_at[static_cast<std::size_t>(node)] = token;  // first one wins
}

std::pair<int, std::size_t> AddedVocabulary::Trie::longest(std::string_view text, std::size_t at) const {
  std::pair<int, std::size_t> best{-1, 0};
  if (!first[static_cast<unsigned char>(text[at])]) return best;
  std::int32_t node = 0;
  for (std::size_t k = at; k < text.size(); ++k) {
    const auto it = edges.find((static_cast<std::uint64_t>(node) << 8) | static_cast<unsigned char>(text[k]));
    if (it == edges.end()) break;
    node = it->second;
    if (const int t = token_at[static_cast<std::size_t>(node)]; t >= 0) best = {t, k + 1 - at};
  }
  return best;
}

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const TextNormalizer& normalizer)
    : tokens_(std::move(tokens)) {
  matched_as_.reserve(tokens_.size());
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& t = tokens_[i];
    std::string as = t.normalized && normalizer ? normalizer(t.content) : t.content;
    (t.normalized ? normalized_ : raw_).insert(as, static_cast<int>(i));
    matched_as_.push_back(std::move(as));
  }
}

namespace {

// The code point ending just before `at` / starting at `at` (0 at the ends).
char32_t before(std::string_view s, std::size_t at) {
  if (at == 0) return 0;
  std::size_t b = at - 1;
  while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
  return uni::next_code_point(s, b);
}
char32_t after(std::string_view s, std::size_t at) {
  if (at >= s.size()) return 0;
  return uni::next_code_point(s, at);
}
std::size_t utf8_length_before(std::string_view s, std::size_t at) {
  std::size_t b = at - 1;
  while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
  return at - b;
}

}  // namespace

void AddedVocabulary::split(std::string_view text, const Trie& trie, bool allow_special, std::size_t base,
                            const std::function<void(std::string_view, std::size_t)>& rest,
                            std::vector<int>& out) const {
  std::size_t seg = 0, i = 0;
  while (i < text.size()) {
    const auto [index, length] = trie.longest(text, i);
    if (index < 0) {
      ++i;
      continue;
    }
    const AddedToken& t = tokens_[static_cast<std::size_t>(index)];
    std::size_t s = i, e = i + length;
    i = e;  // a dropped match is passed over too (leftmost-longest, no overlaps)
    if (t.special && !allow_special) continue;
    if (t.single_word && ((s > 0 && uni::is_word_char(before(text, s))) || (e < text.size() && uni::is_word_char(after(text, e)))))
      continue;
    if (t.lstrip)
      while (s > seg && uni::is_white_space(before(text, s))) s -= utf8_length_before(text, s);
    if (t.rstrip)
      while (e < text.size() && uni::is_white_space(after(text, e))) {
        std::size_t k = e;
        uni::next_code_point(text, k);
        e = k;
      }
    if (s > seg) rest(text.substr(seg, s - seg), base + seg);
    out.push_back(t.id);
    seg = i = e;
  }
  if (seg < text.size()) rest(text.substr(seg), base + seg);
}

void AddedVocabulary::encode(std::string_view text, bool allow_special, const TextNormalizer& normalizer,
                             const std::function<void(std::string_view, std::size_t)>& plain,
                             std::vector<int>& out) const {
  const auto normalize_then_split = [&](std::string_view raw, std::size_t offset) {
    if (!normalizer) return split(raw, normalized_, allow_special, offset, plain, out);
    const std::string n = normalizer(raw);
    // Offsets inside a normalised stretch are not the raw text's: its pieces keep the
    // stretch's own start (what the Metaspace "first" rule asks).
    split(n, normalized_, allow_special, offset,
          [&](std::string_view piece, std::size_t at) { plain(piece, at == offset ? offset : offset + 1); }, out);
  };
  split(text, raw_, allow_special, 0, normalize_then_split, out);
}

}  // namespace es::hf
