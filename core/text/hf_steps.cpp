// The text steps of a tokenizer.json pipeline (see hf_tokenizer.h): patterns, normalisers and
// pre-tokenizers. The models and the tokenizer that strings them together are in hf_tokenizer.cpp.
#include "hf_steps.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "bpe_pretokenizer.h"
#include "types.h"
#include "unicode_text.h"

namespace es::hf {

using Json = nlohmann::json;

std::string type_of(const Json& j) {
  if (j.is_object() && j.contains("type") && j["type"].is_string()) return j["type"].get<std::string>();
  return j.is_null() ? "none" : "untyped";
}

bool flag(const Json& j, const char* key, bool fallback) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_boolean()) return fallback;
  return j[key].get<bool>();
}

std::string text_of(const Json& j, const char* key, const std::string& fallback) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return fallback;
  return j[key].get<std::string>();
}

// ---- patterns -------------------------------------------------------------------------------

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  if (pcre2_get_error_message(code, buf, sizeof buf) < 0) return "PCRE2 error " + std::to_string(code);
  return reinterpret_cast<const char*>(buf);
}

// A tokenizer.json pattern: {"String": s} (a literal) or {"Regex": r} (Oniguruma syntax, which
// PCRE2 shares for the patterns tokenizers use; \s spelled out as Unicode White_Space).
class Pattern {
 public:
  Pattern(const Json& j, const std::string& where) {
    if (j.is_object() && j.contains("String") && j["String"].is_string()) {
      literal_ = j["String"].get<std::string>();
      return;
    }
    if (!j.is_object() || !j.contains("Regex") || !j["Regex"].is_string())
      throw Error(where + ": a pattern must be {\"String\": ...} or {\"Regex\": ...}");
    std::string re;
    try {
      re = bpe::spell_out_white_space(j["Regex"].get<std::string>());
    } catch (const Error& e) {
      throw NotImplemented{where + ": " + e.what()};
    }
    int err = 0;
    PCRE2_SIZE at = 0;
    // MATCH_INVALID_UTF: no check of the whole subject at every call (that made a 1 MB text
    // quadratic); JIT as the byte-level fast path has it. MULTILINE: the library's regexes are
    // Oniguruma's Ruby syntax, where ^ and $ match at every line's start and end (DeepSeek V3's
    // "\s+$").
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(re.data()), re.size(),
                                     PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_MULTILINE, &err, &at, nullptr);
    if (!code)
      throw NotImplemented{where + ": PCRE2 cannot compile the pattern at offset " + std::to_string(at) + " (" +
                           pcre2_message(err) + ")"};
    regex_ = std::shared_ptr<pcre2_code>(code, pcre2_code_free);
    jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  }

  // Non-overlapping matches [start, end) in order. An empty match is skipped (the search moves
  // on by one character), as Hugging Face's find_matches does.
  std::vector<std::pair<std::size_t, std::size_t>> find_all(std::string_view text) const {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    if (!regex_) {
      if (literal_.empty()) return out;
      for (std::size_t p = text.find(literal_); p != std::string_view::npos; p = text.find(literal_, p + literal_.size()))
        out.emplace_back(p, p + literal_.size());
      return out;
    }
    pcre2_match_data* md = pcre2_match_data_create_from_pattern(regex_.get(), nullptr);
    if (!md) throw Error("out of memory for a regex match");
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> hold(md, pcre2_match_data_free);
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    std::size_t pos = 0;
    while (pos <= text.size()) {
      const int rc = jit_ ? pcre2_jit_match(regex_.get(), subject, text.size(), pos, 0, md, nullptr)
                          : pcre2_match(regex_.get(), subject, text.size(), pos, 0, md, nullptr);
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) throw Error("a tokenizer pattern failed to match: " + pcre2_message(rc));
      const std::size_t s = ov[0], e = ov[1];
      if (e > s) {
        out.emplace_back(s, e);
        pos = e;
      } else {
        if (s >= text.size()) break;
        std::size_t i = s;
        uni::next_code_point(text, i);
        pos = i;
      }
    }
    return out;
  }

 private:
  std::string literal_;
  std::shared_ptr<pcre2_code> regex_;
  bool jit_ = false;
};

// ---- normalizers ----------------------------------------------------------------------------

std::string base64_decode(const std::string& in) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (unsigned char c : in) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    const auto p = chars.find(static_cast<char>(c));
    if (p == std::string::npos) throw Error("precompiled_charsmap is not base64");
    val = (val << 6) + static_cast<int>(p);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

// SentencePiece's precompiled character map (the "Precompiled" normaliser of T5, mT5, ALBERT,
// XLNet files): a little-endian uint32 trie size, a darts-clone double-array trie of that many
// bytes over UTF-8 inputs, then the replacement strings, each ended by a 0 byte. Applied as
// Hugging Face applies it: per extended grapheme cluster shorter than 6 bytes, the first
// (shortest) prefix the trie knows is replaced by its string; otherwise character by character.
class CharsMap {
 public:
  explicit CharsMap(const std::string& blob) {
    if (blob.size() < 4) throw Error("precompiled_charsmap is too short");
    const std::uint32_t trie_size = static_cast<std::uint32_t>(static_cast<unsigned char>(blob[0])) |
                                    static_cast<std::uint32_t>(static_cast<unsigned char>(blob[1])) << 8 |
                                    static_cast<std::uint32_t>(static_cast<unsigned char>(blob[2])) << 16 |
                                    static_cast<std::uint32_t>(static_cast<unsigned char>(blob[3])) << 24;
    if (trie_size % 4 != 0 || trie_size > blob.size() - 4)
      throw Error("precompiled_charsmap: its trie size does not fit the map");
    units_.resize(trie_size / 4);
    for (std::size_t k = 0; k < units_.size(); ++k) {
      const std::size_t o = 4 + 4 * k;
      units_[k] = static_cast<std::uint32_t>(static_cast<unsigned char>(blob[o])) |
                  static_cast<std::uint32_t>(static_cast<unsigned char>(blob[o + 1])) << 8 |
                  static_cast<std::uint32_t>(static_cast<unsigned char>(blob[o + 2])) << 16 |
                  static_cast<std::uint32_t>(static_cast<unsigned char>(blob[o + 3])) << 24;
    }
    normalized_ = blob.substr(4 + trie_size);
    if (units_.empty()) throw Error("precompiled_charsmap has an empty trie");
  }

  std::string normalize(std::string_view text) const {
    std::string out;
    out.reserve(text.size());
    for (const auto& [b, e] : uni::graphemes(text)) {
      const std::string_view g = text.substr(b, e - b);
      if (g.size() < 6) {
        if (const std::optional<std::string_view> r = transform(g)) {
          out.append(*r);
          continue;
        }
      }
      for (std::size_t i = 0; i < g.size();) {
        const std::size_t at = i;
        uni::next_code_point(g, i);
        const std::string_view part = g.substr(at, i - at);
        if (const std::optional<std::string_view> r = transform(part))
          out.append(*r);
        else
          out.append(part);
      }
    }
    return out;
  }

 private:
  // The replacement of the shortest prefix of `chunk` the trie holds.
  std::optional<std::string_view> transform(std::string_view chunk) const {
    std::size_t pos = 0;
    std::uint32_t unit = units_[0];
    pos ^= offset(unit);
    for (unsigned char c : chunk) {
      if (c == 0) break;
      pos ^= c;
      if (pos >= units_.size()) return std::nullopt;  // a broken map: no match, never a read past it
      unit = units_[pos];
      if ((unit & ((1u << 31) | 0xFFu)) != c) return std::nullopt;
      pos ^= offset(unit);
      if (pos >= units_.size()) return std::nullopt;
      if ((unit >> 8) & 1u) {
        const std::size_t at = units_[pos] & ((1u << 31) - 1);
        if (at >= normalized_.size()) return std::nullopt;
        const std::size_t end = normalized_.find('\0', at);
        return std::string_view(normalized_).substr(at, (end == std::string::npos ? normalized_.size() : end) - at);
      }
    }
    return std::nullopt;
  }
  static std::size_t offset(std::uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }

  std::vector<std::uint32_t> units_;
  std::string normalized_;
};

std::string replace_all(std::string_view text, const Pattern& p, const std::string& content) {
  std::string out;
  std::size_t last = 0;
  for (const auto& [s, e] : p.find_all(text)) {
    out.append(text.substr(last, s - last));
    out += content;
    last = e;
  }
  out.append(text.substr(last));
  return out;
}

std::string bert_normalize(std::string_view text, bool clean, bool chinese, bool strip, bool lower) {
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    const char32_t c = uni::next_code_point(text, i);
    if (clean) {
      // As the Rust library: controls go first (Cc, Cf, Cs, Co but tab, LF and CR, so U+000B,
      // U+000C and U+0085 are removed, not spaces; unassigned code points such as U+FFFF stay
      // and become [UNK]), then whitespace becomes ' '.
      if (c == 0 || c == 0xFFFD) continue;
      if (c != '\t' && c != '\n' && c != '\r' && uni::is_other(c) && !uni::is_unassigned(c)) continue;
      if (c == '\t' || c == '\n' || c == '\r' || c == ' ' || uni::is_white_space(c)) {
        out += ' ';
        continue;
      }
    }
    if (chinese && uni::is_cjk_ideograph(c)) {
      out += ' ';
      out.append(text.substr(start, i - start));
      out += ' ';
      continue;
    }
    out.append(text.substr(start, i - start));
  }
  if (strip) out = uni::strip_accents(out, true);
  if (lower) out = uni::lowercase(out);
  return out;
}

// SentencePiece's nmt rules (Hugging Face's Nmt normalizer): some controls removed, some
// spaces and joiners mapped to ' '.
std::string nmt_normalize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    const char32_t c = uni::next_code_point(text, i);
    if ((c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || c == 0x8F || c == 0x9F)
      continue;
    if (c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x1680 || (c >= 0x200B && c <= 0x200F) ||
        c == 0x2028 || c == 0x2029 || c == 0x2581 || c == 0xFEFF || c == 0xFFFD) {
      out += ' ';
      continue;
    }
    out.append(text.substr(start, i - start));
  }
  return out;
}

std::string strip_white(std::string_view text, bool left, bool right) {
  std::size_t b = 0, e = text.size();
  if (left) {
    while (b < e) {
      std::size_t i = b;
      if (!uni::is_white_space(uni::next_code_point(text, i))) break;
      b = i;
    }
  }
  if (right) {
    while (e > b) {
      std::size_t s = e - 1;
      while (s > b && (static_cast<unsigned char>(text[s]) & 0xC0) == 0x80) --s;
      std::size_t i = s;
      if (!uni::is_white_space(uni::next_code_point(text, i))) break;
      e = s;
    }
  }
  return std::string(text.substr(b, e - b));
}

TextNormalizer make_normalizer(const Json& j) {
  const std::string t = type_of(j);
  if (t == "none") return nullptr;
  if (t == "Sequence") {
    if (!j.contains("normalizers") || !j["normalizers"].is_array()) throw Error("a Sequence normalizer has no list");
    std::vector<TextNormalizer> steps;
    for (const Json& s : j["normalizers"])
      if (TextNormalizer f = make_normalizer(s)) steps.push_back(std::move(f));
    return [steps](std::string_view text) {
      std::string s(text);
      for (const TextNormalizer& f : steps) s = f(s);
      return s;
    };
  }
  if (t == "NFC") return [](std::string_view s) { return uni::normalize(s, uni::Form::NFC); };
  if (t == "NFD") return [](std::string_view s) { return uni::normalize(s, uni::Form::NFD); };
  if (t == "NFKC") return [](std::string_view s) { return uni::normalize(s, uni::Form::NFKC); };
  if (t == "NFKD") return [](std::string_view s) { return uni::normalize(s, uni::Form::NFKD); };
  if (t == "Lowercase") return [](std::string_view s) { return uni::lowercase(s); };
  if (t == "StripAccents") return [](std::string_view s) { return uni::strip_marks(s); };
  if (t == "Nmt") return [](std::string_view s) { return nmt_normalize(s); };
  if (t == "Strip") {
    const bool l = flag(j, "strip_left", true), r = flag(j, "strip_right", true);
    return [l, r](std::string_view s) { return strip_white(s, l, r); };
  }
  if (t == "Prepend") {
    const std::string p = text_of(j, "prepend", "");
    return [p](std::string_view s) { return s.empty() ? std::string() : p + std::string(s); };
  }
  if (t == "Replace") {
    if (!j.contains("pattern")) throw Error("a Replace normalizer has no pattern");
    auto p = std::make_shared<Pattern>(j["pattern"], "Replace normalizer");
    const std::string content = text_of(j, "content", "");
    return [p, content](std::string_view s) { return replace_all(s, *p, content); };
  }
  if (t == "BertNormalizer") {
    const bool clean = flag(j, "clean_text", true), chinese = flag(j, "handle_chinese_chars", true);
    const bool lower = flag(j, "lowercase", true);
    const bool strip = flag(j, "strip_accents", lower);  // null: follows lowercase
    return [=](std::string_view s) { return bert_normalize(s, clean, chinese, strip, lower); };
  }
  if (t == "Precompiled") {
    const std::string blob = base64_decode(text_of(j, "precompiled_charsmap", ""));
    if (blob.empty()) return nullptr;  // an empty map changes nothing
    auto map = std::make_shared<const CharsMap>(blob);
    return [map](std::string_view s) { return map->normalize(s); };
  }
  throw NotImplemented{"tokenizer.json uses a " + t + " normalizer, which EmbedScope does not implement"};
}

// ---- pre-tokenizers -------------------------------------------------------------------------


enum class Behaviour { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

Behaviour behaviour_of(const Json& j, Behaviour fallback) {
  if (j.contains("behavior") && !j["behavior"].is_string())
    throw Error("a Split pre-tokenizer's \"behavior\" is not a string (Removed, Isolated, MergedWithPrevious, "
                "MergedWithNext, Contiguous)");
  const std::string b = text_of(j, "behavior", "");
  if (b.empty()) return fallback;
  if (b == "Removed") return Behaviour::Removed;
  if (b == "Isolated") return Behaviour::Isolated;
  if (b == "MergedWithPrevious") return Behaviour::MergedWithPrevious;
  if (b == "MergedWithNext") return Behaviour::MergedWithNext;
  if (b == "Contiguous") return Behaviour::Contiguous;
  throw Error("unknown split behavior \"" + b + "\"");
}

// Hugging Face's NormalizedString::split: the text as alternating (range, is_match) parts,
// combined as the behaviour says; empty parts dropped.
void split_piece(const Piece& p, const std::vector<std::pair<std::size_t, std::size_t>>& matches, Behaviour how,
                 bool invert, std::vector<Piece>& out) {
  struct Part {
    std::size_t s, e;
    bool match;
  };
  std::vector<Part> parts;
  std::size_t last = 0;
  for (const auto& [s, e] : matches) {
    if (s > last) parts.push_back({last, s, false});
    parts.push_back({s, e, true});
    last = e;
  }
  if (last < p.text.size()) parts.push_back({last, p.text.size(), false});
  if (invert)
    for (Part& q : parts) q.match = !q.match;
  std::vector<std::pair<std::size_t, std::size_t>> keep;
  switch (how) {
    case Behaviour::Removed:
      for (const Part& q : parts)
        if (!q.match) keep.emplace_back(q.s, q.e);
      break;
    case Behaviour::Isolated:
      for (const Part& q : parts) keep.emplace_back(q.s, q.e);
      break;
    case Behaviour::Contiguous: {
      bool prev = false;
      for (const Part& q : parts) {
        if (q.match && prev && !keep.empty())
          keep.back().second = q.e;
        else
          keep.emplace_back(q.s, q.e);
        prev = q.match;
      }
      break;
    }
    case Behaviour::MergedWithPrevious: {
      bool prev = false;
      for (const Part& q : parts) {
        if (q.match && !prev && !keep.empty())
          keep.back().second = q.e;
        else
          keep.emplace_back(q.s, q.e);
        prev = q.match;
      }
      break;
    }
    case Behaviour::MergedWithNext: {
      bool prev = false;  // walking backwards: "the part after was a match"
      std::vector<std::pair<std::size_t, std::size_t>> rev;
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->match && !prev && !rev.empty())
          rev.back().first = it->s;
        else
          rev.emplace_back(it->s, it->e);
        prev = it->match;
      }
      keep.assign(rev.rbegin(), rev.rend());
      break;
    }
  }
  for (const auto& [s, e] : keep)
    if (e > s) out.push_back({p.text.substr(s, e - s), p.offset + s});
}

// Matches of every character for which `pred` holds, one character each.
template <class Pred>
std::vector<std::pair<std::size_t, std::size_t>> char_matches(std::string_view text, Pred pred) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t s = i;
    if (pred(uni::next_code_point(text, i))) out.emplace_back(s, i);
  }
  return out;
}


template <class Fn>
PreTokenizer each_piece(Fn split_one) {
  return [split_one](std::vector<Piece>& pieces) {
    std::vector<Piece> out;
    out.reserve(pieces.size() * 2);
    for (const Piece& p : pieces) split_one(p, out);
    pieces.swap(out);
  };
}


MetaspaceSettings metaspace_settings(const Json& j) {
  MetaspaceSettings m;
  if (j.contains("replacement") && j["replacement"].is_string()) m.replacement = j["replacement"].get<std::string>();
  if (m.replacement.empty()) throw Error("a Metaspace step has an empty replacement");
  const std::string scheme = text_of(j, "prepend_scheme", "");
  if (scheme == "first")
    m.prepend = MetaspaceSettings::First;
  else if (scheme == "never")
    m.prepend = MetaspaceSettings::Never;
  else if (scheme.empty() && !flag(j, "add_prefix_space", true))
    m.prepend = MetaspaceSettings::Never;
  m.split = flag(j, "split", true);
  return m;
}

// Whitespace: \w+|[^\w\s]+ (runs of word characters, runs of other non-space characters).
static void whitespace_pieces(const Piece& p, std::vector<Piece>& out) {
  const std::string& s = p.text;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t next = i;
    const char32_t c = uni::next_code_point(s, next);
    if (uni::is_white_space(c)) {
      i = next;
      continue;
    }
    const bool word = uni::is_word_char(c);
    std::size_t end = next;
    while (end < s.size()) {
      std::size_t k = end;
      const char32_t d = uni::next_code_point(s, k);
      if (uni::is_white_space(d) || uni::is_word_char(d) != word) break;
      end = k;
    }
    out.push_back({s.substr(i, end - i), p.offset + i});
    i = end;
  }
}

// Metaspace: spaces become the replacement (U+2581), one is put in front as the settings say,
// and the piece splits before each replacement when `split`.
static void metaspace_pieces(const MetaspaceSettings& m, const Piece& p, std::vector<Piece>& out) {
  Piece q{std::string(), p.offset};
  for (char c : p.text) {
    if (c == ' ')
      q.text += m.replacement;
    else
      q.text += c;
  }
  const bool starts = q.text.compare(0, m.replacement.size(), m.replacement) == 0;
  if (!starts && (m.prepend == MetaspaceSettings::Always || (m.prepend == MetaspaceSettings::First && p.offset == 0)))
    q.text = m.replacement + q.text;
  if (!m.split) {
    if (!q.text.empty()) out.push_back(std::move(q));
    return;
  }
  std::vector<std::pair<std::size_t, std::size_t>> hits;
  for (std::size_t s = q.text.find(m.replacement); s != std::string::npos;
       s = q.text.find(m.replacement, s + m.replacement.size()))
    hits.emplace_back(s, s + m.replacement.size());
  split_piece(q, hits, Behaviour::MergedWithNext, false, out);
}

PreTokenizer make_pre_tokenizer(const Json& j, std::string& meta_out, const std::string& kind) {
  const std::string t = type_of(j);
  if (t == "none") return nullptr;
  if (t == "Sequence") {
    if (!j.contains("pretokenizers") || !j["pretokenizers"].is_array()) throw Error("a Sequence pre-tokenizer has no list");
    std::vector<PreTokenizer> steps;
    for (const Json& s : j["pretokenizers"])
      if (PreTokenizer f = make_pre_tokenizer(s, meta_out, kind)) steps.push_back(std::move(f));
    return [steps](std::vector<Piece>& pieces) {
      for (const PreTokenizer& f : steps) f(pieces);
    };
  }
  if (t == "WhitespaceSplit") {
    return each_piece([](const Piece& p, std::vector<Piece>& out) {
      split_piece(p, char_matches(p.text, uni::is_white_space), Behaviour::Removed, false, out);
    });
  }
  if (t == "Whitespace") {  // \w+|[^\w\s]+
    return each_piece(whitespace_pieces);
  }
  if (t == "BertPreTokenizer") {
    return each_piece([](const Piece& p, std::vector<Piece>& out) {
      std::vector<Piece> words;
      split_piece(p, char_matches(p.text, uni::is_white_space), Behaviour::Removed, false, words);
      for (const Piece& w : words) split_piece(w, char_matches(w.text, uni::is_punctuation), Behaviour::Isolated, false, out);
    });
  }
  if (t == "Punctuation") {
    const Behaviour how = behaviour_of(j, Behaviour::Isolated);
    return each_piece([how](const Piece& p, std::vector<Piece>& out) {
      split_piece(p, char_matches(p.text, uni::is_punctuation), how, false, out);
    });
  }
  if (t == "Digits") {
    const Behaviour how = flag(j, "individual_digits", false) ? Behaviour::Isolated : Behaviour::Contiguous;
    return each_piece([how](const Piece& p, std::vector<Piece>& out) {
      split_piece(p, char_matches(p.text, uni::is_numeric), how, false, out);
    });
  }
  if (t == "CharDelimiterSplit") {
    const std::string d = text_of(j, "delimiter", "");
    if (d.empty()) throw Error("a CharDelimiterSplit has no delimiter");
    std::size_t k = 0;
    const char32_t dc = uni::next_code_point(d, k);
    return each_piece([dc](const Piece& p, std::vector<Piece>& out) {
      split_piece(p, char_matches(p.text, [dc](char32_t c) { return c == dc; }), Behaviour::Removed, false, out);
    });
  }
  if (t == "Split") {
    if (!j.contains("pattern")) throw Error("a Split pre-tokenizer has no pattern");
    auto pat = std::make_shared<Pattern>(j["pattern"], "Split pre-tokenizer");
    const Behaviour how = behaviour_of(j, Behaviour::Isolated);
    const bool invert = flag(j, "invert", false);
    return each_piece([pat, how, invert](const Piece& p, std::vector<Piece>& out) {
      split_piece(p, pat->find_all(p.text), how, invert, out);
    });
  }
  if (t == "Metaspace") {
    const MetaspaceSettings m = metaspace_settings(j);
    meta_out = m.replacement;
    return each_piece([m](const Piece& p, std::vector<Piece>& out) { metaspace_pieces(m, p, out); });
  }
  if (t == "ByteLevel")
    throw NotImplemented{"tokenizer.json pairs a ByteLevel pre-tokenizer with a " + kind +
                         " model, which EmbedScope does not implement"};
  throw NotImplemented{"tokenizer.json uses a " + t + " pre-tokenizer, which EmbedScope does not implement"};
}

// ---- post-processors ------------------------------------------------------------------------

std::vector<int> post_processor_ids(const Json& pp, bool prefix, const std::function<int(std::string_view)>& id_of,
                                    const std::string& where) {
  // The special tokens a post-processor puts before (prefix) or after the single sequence.
  std::vector<int> ids;
  const std::string t = type_of(pp);
  if (t == "none" || t == "ByteLevel") return ids;
  if (t == "Sequence") {
    if (pp.contains("processors") && pp["processors"].is_array())
      for (const Json& p : pp["processors"]) {
        const std::vector<int> more = post_processor_ids(p, prefix, id_of, where);
        ids.insert(ids.end(), more.begin(), more.end());
      }
    return ids;
  }
  if (t == "BertProcessing" || t == "RobertaProcessing") {
    const Json& tok = pp.value(prefix ? "cls" : "sep", Json());
    if (!tok.is_array() || tok.size() != 2 || !tok[1].is_number_integer())
      throw Error(where + ": " + t + " needs cls and sep as [token, id]");
    ids.push_back(tok[1].get<int>());
    return ids;
  }
  if (t == "TemplateProcessing") {
    const Json& single = pp.value("single", Json());
    const Json& specials = pp.value("special_tokens", Json());
    if (!single.is_array()) throw Error(where + ": TemplateProcessing has no single template");
    bool before = true;
    for (const Json& item : single) {
      if (item.contains("Sequence")) {
        before = false;
        continue;
      }
      if (!item.contains("SpecialToken") || !item["SpecialToken"].contains("id")) continue;
      if (before != prefix) continue;
      const std::string name = item["SpecialToken"]["id"].get<std::string>();
      if (specials.is_object() && specials.contains(name) && specials[name].contains("ids") &&
          specials[name]["ids"].is_array()) {
        for (const Json& x : specials[name]["ids"]) ids.push_back(x.get<int>());
      } else if (const int id = id_of(name); id >= 0) {
        ids.push_back(id);
      } else {
        throw Error(where + ": the template's special token \"" + name + "\" has no id");
      }
    }
    return ids;
  }
  throw NotImplemented{"tokenizer.json uses a " + t + " post-processor, which EmbedScope does not implement"};
}

int byte_of_piece(std::string_view t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
  int v = 0;
  for (std::size_t k = 3; k < 5; ++k) {
    const char c = t[k];
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// ---- decoders -------------------------------------------------------------------------------

namespace {

void byte_fallback(std::vector<std::string>& tokens) {
  std::vector<std::string> out;
  std::string bytes;
  std::size_t count = 0;
  const auto flush = [&] {
    if (!count) return;
    if (uni::sanitize_utf8(bytes) == bytes) {
      out.push_back(bytes);
    } else {
      for (std::size_t k = 0; k < count; ++k) out.emplace_back("\xEF\xBF\xBD");  // one U+FFFD per byte
    }
    bytes.clear();
    count = 0;
  };
  for (std::string& t : tokens) {
    const int b = byte_of_piece(t);
    if (b >= 0) {
      bytes += static_cast<char>(b);
      ++count;
      continue;
    }
    flush();
    out.push_back(std::move(t));
  }
  flush();
  tokens.swap(out);
}

std::string replace_text(const std::string& t, const std::string& from, const std::string& to) {
  if (from.empty()) return t;
  std::string out;
  std::size_t at = 0;
  for (std::size_t p = t.find(from); p != std::string::npos; p = t.find(from, at)) {
    out.append(t, at, p - at);
    out += to;
    at = p + from.size();
  }
  out.append(t, at, std::string::npos);
  return out;
}

}  // namespace

Decoder make_decoder(const Json& j) {
  const std::string t = type_of(j);
  if (t == "none") return nullptr;
  if (t == "Sequence") {
    std::vector<Decoder> steps;
    if (j.contains("decoders") && j["decoders"].is_array())
      for (const Json& d : j["decoders"])
        if (Decoder f = make_decoder(d)) steps.push_back(std::move(f));
    return [steps](std::vector<std::string>& tokens) {
      for (const Decoder& f : steps) f(tokens);
    };
  }
  if (t == "ByteFallback") return byte_fallback;
  if (t == "Fuse")
    return [](std::vector<std::string>& tokens) {
      std::string all;
      for (const std::string& x : tokens) all += x;
      tokens.assign(1, all);
    };
  if (t == "Replace") {
    if (!j.contains("pattern")) throw Error("a Replace decoder has no pattern");
    auto p = std::make_shared<Pattern>(j["pattern"], "Replace decoder");
    const std::string content = text_of(j, "content", "");
    return [p, content](std::vector<std::string>& tokens) {
      for (std::string& x : tokens) x = replace_all(x, *p, content);
    };
  }
  if (t == "Strip") {
    const std::string content = text_of(j, "content", " ");
    const std::size_t start = j.contains("start") && j["start"].is_number_unsigned() ? j["start"].get<std::size_t>() : 0;
    const std::size_t stop = j.contains("stop") && j["stop"].is_number_unsigned() ? j["stop"].get<std::size_t>() : 0;
    return [content, start, stop](std::vector<std::string>& tokens) {
      if (content.empty()) return;
      for (std::string& x : tokens) {
        std::size_t b = 0, e = x.size();
        for (std::size_t k = 0; k < start && x.compare(b, content.size(), content) == 0; ++k) b += content.size();
        for (std::size_t k = 0; k < stop && e >= b + content.size() && x.compare(e - content.size(), content.size(), content) == 0; ++k)
          e -= content.size();
        x = x.substr(b, e - b);
      }
    };
  }
  if (t == "Metaspace") {
    const MetaspaceSettings m = metaspace_settings(j);
    return [m](std::vector<std::string>& tokens) {
      for (std::size_t i = 0; i < tokens.size(); ++i)
        tokens[i] = replace_text(tokens[i], m.replacement, i == 0 && m.prepend != MetaspaceSettings::Never ? "" : " ");
    };
  }
  if (t == "WordPiece") {
    const std::string prefix = text_of(j, "prefix", "##");
    const bool cleanup = flag(j, "cleanup", true);
    return [prefix, cleanup](std::vector<std::string>& tokens) {
      static const std::pair<const char*, const char*> fixes[] = {
          {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"}, {" 'm", "'m"},
          {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        std::string& x = tokens[i];
        if (i != 0) {
          if (!prefix.empty() && x.compare(0, prefix.size(), prefix) == 0) x.erase(0, prefix.size());
          else x = " " + x;
        }
        // The clean-up acts on each token by itself, as the library's does.
        if (cleanup)
          for (const auto& [from, to] : fixes) x = replace_text(x, from, to);
      }
    };
  }
  if (t == "BPEDecoder") {
    const std::string suffix = text_of(j, "suffix", "</w>");
    return [suffix](std::vector<std::string>& tokens) {
      for (std::size_t i = 0; i < tokens.size(); ++i)
        tokens[i] = replace_text(tokens[i], suffix, i + 1 == tokens.size() ? "" : " ");
    };
  }
  throw NotImplemented{"tokenizer.json uses a " + t + " decoder, which EmbedScope does not implement"};
}

// The whole pipeline in a line, for a message that refuses one part of it.
std::string pipeline_of(const Json& root) {
  const auto steps = [&](const char* key, const char* list) {
    const Json& j = root.value(key, Json());
    if (type_of(j) != "Sequence" || !j.contains(list) || !j[list].is_array()) return type_of(j);
    std::string out = "Sequence[";
    for (std::size_t i = 0; i < j[list].size(); ++i) out += (i ? ", " : "") + type_of(j[list][i]);
    return out + "]";
  };
  return "normalizer " + steps("normalizer", "normalizers") + ", pre-tokenizer " + steps("pre_tokenizer", "pretokenizers") +
         ", model " + type_of(root.value("model", Json())) + ", post-processor " + steps("post_processor", "processors") +
         ", decoder " + steps("decoder", "decoders");
}

}  // namespace es::hf
