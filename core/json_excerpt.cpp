#include "json_excerpt.h"

#include <utility>
#include <vector>

namespace es {

std::string json_excerpt(const nlohmann::json& value) {
  // Walk at most 64 nodes, at most 16 levels deep, without recursion.
  std::vector<std::pair<const nlohmann::json*, int>> todo{{&value, 0}};
  for (std::size_t seen = 0; !todo.empty(); ++seen) {
    const auto [v, depth] = todo.back();
    todo.pop_back();
    if (depth > 16 || seen + todo.size() > 64)
      return std::string("a large or deeply nested JSON ") + value.type_name();
    if (v->is_structured())
      for (const nlohmann::json& child : *v) {
        if (todo.size() > 64) break;
        todo.emplace_back(&child, depth + 1);
      }
  }
  std::string s = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string json_parse_error(const nlohmann::json::exception& error) {
  std::string what = error.what();
  if (what.rfind("[json.exception.", 0) == 0) {
    const std::size_t close = what.find("] ");
    if (close != std::string::npos) what.erase(0, close + 2);
  }
  const std::string marker = "last read: '";
  if (const std::size_t at = what.find(marker); at != std::string::npos) {
    const std::size_t start = at + marker.size();
    std::size_t end = what.rfind('\'');
    if (end == std::string::npos || end < start) end = what.size();
    if (end - start > 40) what = what.substr(0, start + 37) + "...'";
  }
  if (what.size() > 240) what = what.substr(0, 237) + "...";
  return what;
}

}  // namespace es
