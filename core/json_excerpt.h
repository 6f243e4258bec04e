// A JSON value quoted in an error message about a hostile or broken file.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace es {

// Short (at most 60 characters), and never dump()ed when large or deep: dump() recurses once
// per nesting level, and a value nested 100,000 deep (found by the hostile corpus) overflowed
// the stack. Such values are only named by their type ("a large or deeply nested JSON array").
std::string json_excerpt(const nlohmann::json& value);

// nlohmann's parse error in words for a status line: without the "[json.exception...]" tag,
// with the text it quotes ("last read: '...'", which can be a megabyte-long string in a
// hostile file) cut to 40 characters, and at most 240 characters in all.
std::string json_parse_error(const nlohmann::json::exception& error);

}  // namespace es
