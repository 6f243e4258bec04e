#include "tokenizer.h"

#include "types.h"

namespace es {

namespace {

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode 15, table 3-7: no
// overlong forms, no surrogates D800..DFFF, nothing above U+10FFFF), or 0 if there is none.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = at(i);
  if (b0 < 0x80) return 1;
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if ((at(i + k) & 0xC0) != 0x80) return 0;
  }
  return len;
}

void append_hex_escape(std::string& out, unsigned char b) {
  static const char* digits = "0123456789ABCDEF";
  out += "\\x";
  out += digits[b >> 4];
  out += digits[b & 15];
}

std::string escape(std::string_view bytes, bool visible) {
  std::string out;
  out.reserve(bytes.size() + 8);
  for (std::size_t i = 0; i < bytes.size();) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      ++i;
      if (visible && c == ' ') {
        out += "\u2423";  // ␣ OPEN BOX
      } else if (visible && c == '\n') {
        out += "\u21B5";  // ↵ DOWNWARDS ARROW WITH CORNER LEFTWARDS
      } else if (visible && c == '\t') {
        out += "\u21E5";  // ⇥ RIGHTWARDS ARROW TO BAR
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\\') {
        out += "\\\\";
      } else if (c < 0x20 || c == 0x7F) {
        append_hex_escape(out, c);
      } else {
        out += static_cast<char>(c);
      }
      continue;
    }
    const std::size_t len = utf8_sequence_length(bytes, i);
    if (len == 0) {
      append_hex_escape(out, c);
      ++i;
    } else {
      out.append(bytes.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace

std::string Tokenizer::decode(std::span<const int> ids) const {
  std::string out;
  for (int id : ids) out += token_bytes(id);
  return out;
}

std::vector<int> Tokenizer::tokens_containing(std::string_view needle, std::size_t limit) const {
  std::vector<int> out;
  const int v = vocab_size();
  for (int id = 0; id < v && out.size() < limit; ++id) {
    if (token_bytes(id).find(needle) != std::string::npos) out.push_back(id);
  }
  return out;
}

std::string escape_token_text(std::string_view bytes) { return escape(bytes, false); }

std::string visible_token_text(std::string_view bytes) { return escape(bytes, true); }

}  // namespace es
