# Writes every assets/* file (but README.md) into one C++ file as raw string constants, looked
# up by name with es::embedded_asset (core/assets.h). Run at build time; re-run when an asset
# changes.
file(GLOB assets ${ASSET_DIR}/*)
list(SORT assets)
set(body "// Generated from assets/ by cmake/embed_assets.cmake. Do not edit.\n#include \"assets.h\"\nnamespace es {\nnamespace {\nstruct EmbeddedAsset { const char* name; const char* text; };\nconst EmbeddedAsset kAssets[] = {\n")
foreach(path ${assets})
  get_filename_component(name ${path} NAME)
  if(name STREQUAL "README.md")
    continue()
  endif()
  file(READ ${path} text)
  string(APPEND body "  {\"${name}\", R\"es_asset(${text})es_asset\"},\n")
endforeach()
string(APPEND body "};\n}  // namespace\nstd::string_view embedded_asset(std::string_view name) {\n  for (const EmbeddedAsset& a : kAssets)\n    if (name == a.name) return a.text;\n  return {};\n}\n}  // namespace es\n")
file(WRITE ${OUT} "${body}")
