// The Hugging Face hub cache (FACTS.md section 5):
//
//   <cache>/models--ORG--NAME/            (older single-name repos: models--gpt2)
//       refs/main                         the commit hash the "main" branch pointed to
//       snapshots/<rev>/config.json, model.safetensors, vocab.json, ...   (symlinks into blobs/)
//       blobs/<sha256>
//
// <cache> is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.
#include "checkpoint.h"

#include "model_config.h"
#include "user_dirs.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace es {

namespace fs = std::filesystem;

namespace {

std::string repo_dir_to_name(const std::string& dir_name) {
  std::string name;  // "models--ORG--NAME" -> "ORG/NAME"
  for (std::size_t i = 8; i < dir_name.size(); ++i) {
    if (dir_name.compare(i, 2, "--") == 0) {
      name.push_back('/');
      ++i;
    } else {
      name.push_back(dir_name[i]);
    }
  }
  return name;
}

std::optional<fs::path> snapshot_of(const fs::path& repo) {
  std::error_code ec;
  const fs::path snapshots = repo / "snapshots";
  if (!fs::is_directory(snapshots, ec)) return std::nullopt;
  std::ifstream ref(repo / "refs" / "main");
  std::string rev;
  if (ref && std::getline(ref, rev)) {
    while (!rev.empty() && (rev.back() == '\r' || rev.back() == ' ' || rev.back() == '\n')) rev.pop_back();
    if (!rev.empty() && rev != "." && rev != ".." && rev.find('/') == std::string::npos &&
        fs::is_directory(snapshots / rev, ec))
      return snapshots / rev;
  }
  // No usable refs/main: the most recently written snapshot (ties: the larger name).
  std::optional<fs::path> best;
  fs::file_time_type best_time{};
  for (const fs::directory_entry& e : fs::directory_iterator(snapshots, ec)) {
    if (!e.is_directory(ec)) continue;
    const fs::file_time_type t = e.last_write_time(ec);
    if (!best || t > best_time || (t == best_time && e.path().filename() > best->filename())) {
      best = e.path();
      best_time = t;
    }
  }
  return best;
}

bool plausible_name(const std::string& name) {
  if (name.empty() || name.size() > 256 || name.find("..") != std::string::npos ||
      name.find('\\') != std::string::npos || name.front() == '/' || name.back() == '/')
    return false;
  if (std::count(name.begin(), name.end(), '/') > 1) return false;
  return std::none_of(name.begin(), name.end(), [](char c) { return c == '\0' || c == '\n'; });
}

}  // namespace

fs::path hf_hub_cache_dir() {
  if (const char* c = std::getenv("HF_HUB_CACHE"); c && *c) return c;
  if (const char* h = std::getenv("HF_HOME"); h && *h) return fs::path(h) / "hub";
  return home_dir() / ".cache" / "huggingface" / "hub";
}

uint64_t safetensors_size_in(const fs::path& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (!e.path().filename().string().ends_with(".safetensors")) continue;
    const uintmax_t s = fs::file_size(e.path(), ec);  // follows the snapshot's symlink
    if (!ec) total += s;
  }
  return total;
}

std::vector<CachedModel> list_cached_models() {
  std::vector<CachedModel> out;
  std::error_code ec;
  const fs::path cache = hf_hub_cache_dir();
  for (const fs::directory_entry& e : fs::directory_iterator(cache, ec)) {
    const std::string dir = e.path().filename().string();
    if (dir.rfind("models--", 0) != 0 || dir.size() <= 8 || !e.is_directory(ec)) continue;
    const std::optional<fs::path> snap = snapshot_of(e.path());
    if (!snap) continue;
    CachedModel m;
    m.name = repo_dir_to_name(dir);
    m.snapshot = *snap;
    m.size_bytes = safetensors_size_in(*snap);
    if (fs::is_regular_file(*snap / "config.json", ec)) {
      try {
        const ModelConfig cfg = load_model_config(*snap / "config.json");
        m.family = cfg.family.empty() ? cfg.model_type : cfg.family;
        if (!cfg.family.empty()) m.scheme = scheme_for_config(cfg, cfg.hidden).kind;
      } catch (const Error&) {
        m.family = "(unreadable config.json)";
      }
    }
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const CachedModel& a, const CachedModel& b) { return a.name < b.name; });
  return out;
}

std::optional<fs::path> find_cached_model(const std::string& name) {
  if (!plausible_name(name)) return std::nullopt;
  std::error_code ec;
  const fs::path cache = hf_hub_cache_dir();
  const std::size_t slash = name.find('/');
  if (slash != std::string::npos) {
    const fs::path repo = cache / ("models--" + name.substr(0, slash) + "--" + name.substr(slash + 1));
    if (fs::is_directory(repo, ec)) return snapshot_of(repo);
    // "openai-community/gpt2" was "gpt2" before the hub moved single-name repos into orgs.
    const fs::path old = cache / ("models--" + name.substr(slash + 1));
    if (fs::is_directory(old, ec)) return snapshot_of(old);
    return std::nullopt;
  }
  if (fs::is_directory(cache / ("models--" + name), ec)) return snapshot_of(cache / ("models--" + name));
  std::vector<fs::path> matches;
  const std::string suffix = "--" + name;
  for (const fs::directory_entry& e : fs::directory_iterator(cache, ec)) {
    const std::string dir = e.path().filename().string();
    if (dir.rfind("models--", 0) == 0 && dir.size() > 8 + suffix.size() && dir.ends_with(suffix) &&
        dir.find("--", 8) == dir.size() - suffix.size() && e.is_directory(ec))
      matches.push_back(e.path());
  }
  if (matches.empty()) return std::nullopt;
  if (matches.size() > 1) {
    std::sort(matches.begin(), matches.end());
    std::string list;
    for (const fs::path& p : matches) list += (list.empty() ? "" : ", ") + repo_dir_to_name(p.filename().string());
    throw Error("'" + name + "' matches several cached models (" + list + "): give the full name ORG/NAME");
  }
  return snapshot_of(matches[0]);
}

}  // namespace es
