// The project's own data files (assets/), embedded at build time by cmake/embed_assets.cmake.
#pragma once

#include <string_view>

namespace es {

// The text of assets/NAME ("classroom_words.txt", "scheme_presets.json", ...); empty when no
// such asset exists. Valid for the whole run.
std::string_view embedded_asset(std::string_view name);

}  // namespace es
