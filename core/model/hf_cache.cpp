// The Hugging Face hub cache: layout, listing and lookup (hf_cache.h).
#include "hf_cache.h"

#include "checkpoint.h"

#include "hf_env.h"
#include "model_config.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>

#include "file_text.h"

namespace es {

namespace fs = std::filesystem;

namespace {

bool plausible_name(const std::string& name) {
  if (name.empty() || name.size() > 256 || name.find("..") != std::string::npos ||
      name.find('\\') != std::string::npos || name.front() == '/' || name.back() == '/')
    return false;
  if (std::count(name.begin(), name.end(), '/') > 1) return false;
  return std::none_of(name.begin(), name.end(), [](char c) { return c == '\0' || c == '\n'; });
}

}  // namespace

std::string hf_repo_folder_name(const std::string& repo) {
  std::string folder = "models--";
  for (char c : repo) folder += c == '/' ? std::string("--") : std::string(1, c);
  return folder;
}

std::optional<std::string> hf_repo_of_folder(const std::string& folder) {
  if (folder.rfind("models--", 0) != 0 || folder.size() <= 8) return std::nullopt;
  std::string name;
  for (std::size_t i = 8; i < folder.size(); ++i) {
    if (folder.compare(i, 2, "--") == 0) {
      name.push_back('/');
      ++i;
    } else {
      name.push_back(folder[i]);
    }
  }
  return name;
}

HfRepoPaths hf_repo_paths(const fs::path& cache, const std::string& repo) {
  return HfRepoPaths{cache / hf_repo_folder_name(repo)};
}

fs::path hf_snapshot_link_target(const std::string& file, const std::string& etag) {
  fs::path up = fs::path("..") / "..";
  for (char c : file)
    if (c == '/') up /= "..";
  return up / "blobs" / etag;
}

std::optional<fs::path> hf_current_snapshot(const fs::path& repo) {
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

fs::path hf_hub_cache_dir() { return hf_environment().hub_cache; }

std::optional<fs::path> hf_revision_snapshot(const fs::path& repo, const std::string& revision) {
  std::error_code ec;
  if (revision.empty() || revision.find("..") != std::string::npos || revision.front() == '/') return std::nullopt;
  if (revision.find('/') == std::string::npos && fs::is_directory(repo / "snapshots" / revision, ec))
    return repo / "snapshots" / revision;
  std::ifstream ref(repo / "refs" / revision);
  std::string commit;
  if (!ref || !std::getline(ref, commit)) return std::nullopt;
  while (!commit.empty() && (commit.back() == '\r' || commit.back() == ' ' || commit.back() == '\n')) commit.pop_back();
  if (commit.empty() || commit == "." || commit == ".." || commit.find('/') != std::string::npos ||
      !fs::is_directory(repo / "snapshots" / commit, ec))
    return std::nullopt;
  return repo / "snapshots" / commit;
}

std::optional<std::set<std::string>> hf_index_shards(const fs::path& index_json) {
  try {
    std::ifstream in(index_json);
    if (!in) return std::nullopt;
    const nlohmann::json index = nlohmann::json::parse(in);
    std::set<std::string> shards;
    if (index.is_object() && index.contains("weight_map") && index["weight_map"].is_object())
      for (const auto& [k, v] : index["weight_map"].items())
        if (v.is_string()) shards.insert(v.get<std::string>());
    return shards;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::optional<std::string> hf_download_unfinished(const fs::path& snapshot) {
  std::error_code ec;
  const fs::path repo = snapshot.parent_path().parent_path();
  if (snapshot.parent_path().filename() != "snapshots" || !fs::is_directory(repo / "blobs", ec)) return std::nullopt;
  const std::optional<std::string> name = hf_repo_of_folder(repo.filename().string());
  if (!name) return std::nullopt;
  std::vector<std::string> missing;
  if (fs::exists(snapshot / "model.safetensors", ec)) return std::nullopt;
  bool torch = false, single = false;
  for (const fs::directory_entry& e : fs::directory_iterator(snapshot, ec)) {
    const std::string n = e.path().filename().string();
    torch = torch || n.ends_with(".bin") || n.ends_with(".pt") || n.ends_with(".pth");
    single = single || (n.ends_with(".safetensors") && fs::exists(e.path(), ec));
  }
  if (fs::exists(snapshot / "model.safetensors.index.json", ec)) {
    const std::optional<std::set<std::string>> shards = hf_index_shards(snapshot / "model.safetensors.index.json");
    if (!shards) return std::nullopt;  // the checkpoint reader says what is wrong with it
    for (const std::string& s : *shards)
      if (s.find('/') == std::string::npos && s.find("..") == std::string::npos && !fs::exists(snapshot / s, ec))
        missing.push_back(s);
    if (missing.empty()) return std::nullopt;
  } else if (single || torch || !fs::exists(snapshot / "config.json", ec)) {
    return std::nullopt;  // weights of another kind, or not a folder a download started
  } else {
    missing.push_back("the weights");
  }
  std::uint64_t arrived = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(repo / "blobs", ec))
    if (e.path().filename().string().ends_with(".incomplete")) arrived += e.file_size(ec);
  std::string list;
  for (std::size_t i = 0; i < missing.size() && i < 3; ++i) list += (i ? ", " : "") + missing[i];
  if (missing.size() > 3) list += " and " + std::to_string(missing.size() - 3) + " more";
  // The name that resumes it: REPO when main is this commit, else REPO@COMMIT.
  const std::string commit = snapshot.filename().string();
  const std::optional<fs::path> main = hf_revision_snapshot(repo, "main");
  const std::string again = main && main->filename() == commit ? *name : *name + "@" + commit;
  return "the download of " + *name + " did not finish: " + list + (missing.size() == 1 && list != "the weights" ? " is" : " are") +
         " missing" + (arrived ? " (" + format_bytes(arrived) + " arrived and is kept)" : "") +
         "; run `embedscope-cli download " + again + "` (or the Download tab) again to resume";
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
    const std::optional<std::string> repo = hf_repo_of_folder(e.path().filename().string());
    if (!repo || !e.is_directory(ec)) continue;
    const std::optional<fs::path> snap = hf_current_snapshot(e.path());
    if (!snap) continue;
    CachedModel m;
    m.name = *repo;
    m.snapshot = *snap;
    m.size_bytes = safetensors_size_in(*snap);
    m.unfinished = hf_download_unfinished(*snap).has_value();
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

namespace {

std::optional<fs::path> find_cached_repo(const std::string& name);

}  // namespace

std::optional<fs::path> find_cached_model(const std::string& spec) {
  const std::size_t at = spec.rfind('@');
  if (at == std::string::npos || at == 0) {
    const std::optional<fs::path> repo = find_cached_repo(spec);
    return repo ? hf_current_snapshot(*repo) : std::nullopt;
  }
  const std::string name = spec.substr(0, at), revision = spec.substr(at + 1);
  const std::optional<fs::path> repo = find_cached_repo(name);
  if (!repo) return std::nullopt;
  if (std::optional<fs::path> snap = hf_revision_snapshot(*repo, revision)) return snap;
  std::string have;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(*repo / "refs", ec))
    if (e.is_regular_file(ec)) have += (have.empty() ? "" : ", ") + fs::relative(e.path(), *repo / "refs", ec).string();
  throw Error(name + " is in the cache, but not at revision '" + revision + "'" +
              (have.empty() ? "" : " (cached: " + have + ")") + ": run `embedscope-cli download " + name +
              " --revision " + revision + "` to fetch it");
}

namespace {

// The repository folder of a cached model name.
std::optional<fs::path> find_cached_repo(const std::string& name) {
  if (!plausible_name(name)) return std::nullopt;
  std::error_code ec;
  const fs::path cache = hf_hub_cache_dir();
  const std::size_t slash = name.find('/');
  if (slash != std::string::npos) {
    const fs::path repo = cache / hf_repo_folder_name(name);
    if (fs::is_directory(repo, ec)) return repo;
    // "openai-community/gpt2" was "gpt2" before the hub moved single-name repos into orgs.
    const fs::path old = cache / hf_repo_folder_name(name.substr(slash + 1));
    if (fs::is_directory(old, ec)) return old;
    return std::nullopt;
  }
  if (fs::is_directory(cache / hf_repo_folder_name(name), ec)) return cache / hf_repo_folder_name(name);
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
    for (const fs::path& p : matches) list += (list.empty() ? "" : ", ") + hf_repo_of_folder(p.filename().string()).value_or("?");
    throw Error("'" + name + "' matches several cached models (" + list + "): give the full name ORG/NAME");
  }
  return matches[0];
}

}  // namespace

}  // namespace es
