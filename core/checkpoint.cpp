// Placeholder until the checkpoint loader lands (issue 3): every call reports that.
#include "checkpoint.h"

#include <cstdlib>

namespace es {

std::unique_ptr<ModelSource> open_checkpoint(const std::filesystem::path& path) {
  throw Error("cannot open '" + path.string() + "': the checkpoint loader is not built yet");
}

std::filesystem::path hf_hub_cache_dir() {
  if (const char* c = std::getenv("HF_HUB_CACHE"); c && *c) return c;
  if (const char* h = std::getenv("HF_HOME"); h && *h) return std::filesystem::path(h) / "hub";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : ".") / ".cache" / "huggingface" / "hub";
}

std::vector<CachedModel> list_cached_models() { return {}; }
std::optional<std::filesystem::path> find_cached_model(const std::string&) { return std::nullopt; }

}  // namespace es
