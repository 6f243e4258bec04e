#include "tokenizer.h"

#include "types.h"
#include "unicode_text.h"

namespace es {

namespace {

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
    const std::size_t len = uni::valid_utf8_length(bytes, i);
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
