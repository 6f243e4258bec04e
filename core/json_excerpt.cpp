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

}  // namespace es
