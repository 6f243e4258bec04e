#include "token_id_list.h"

#include "types.h"

#include <cctype>
#include <string>

namespace es {

namespace {

bool separator(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view after_ids_prefix(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  if (text.size() - i < 4) return {};
  for (std::size_t k = 0; k < 3; ++k)
    if (std::tolower(static_cast<unsigned char>(text[i + k])) != "ids"[k]) return {};
  if (text[i + 3] != ':') return {};
  return text.substr(i + 4);
}

}  // namespace

std::vector<int> parse_token_id_list(std::string_view text, std::string_view what) {
  std::vector<int> ids;
  std::size_t i = 0;
  while (i < text.size()) {
    if (separator(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && !separator(text[j])) ++j;
    const std::string_view item = text.substr(i, j - i);
    long long v = 0;
    bool ok = item.size() <= 10;
    for (char c : item) {
      if (c < '0' || c > '9') ok = false;
      if (ok) v = v * 10 + (c - '0');
    }
    if (!ok || v >= (1LL << 31)) {
      const std::string shown = item.size() > 40 ? std::string(item.substr(0, 40)) + "..." : std::string(item);
      throw Error(std::string(what) + " takes token ids, whole numbers from 0, separated by spaces or commas (got '" +
                  shown + "')");
    }
    ids.push_back(static_cast<int>(v));
    i = j;
  }
  if (ids.empty()) throw Error(std::string(what) + " has no token ids");
  return ids;
}

bool is_ids_line(std::string_view text) { return after_ids_prefix(text).data() != nullptr; }

std::optional<std::vector<int>> parse_ids_line(std::string_view text) {
  if (!is_ids_line(text)) return std::nullopt;
  return parse_token_id_list(after_ids_prefix(text), "the ids line");
}

}  // namespace es
