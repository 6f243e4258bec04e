// The Hugging Face hub cache, in one place for both directions: where the downloader writes
// (hub_download.cpp) and where models are found and listed (open_model, the Model view, the
// CLI's `cached`). The layout (FACTS.md section 5), shared with the Python and JavaScript
// clients:
//
//   <cache>/models--ORG--NAME/            (older single-name repos: models--gpt2)
//       refs/<revision>                   the commit a branch or tag pointed to ("main")
//       snapshots/<commit>/<file>         symlinks into blobs/ (../../blobs/<etag>; one more
//                                         ".." per folder inside the repository)
//       blobs/<etag>                      the file's bytes; <etag>.incomplete while it arrives
//
// <cache> is $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub (hf_env.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace es {

std::filesystem::path hf_hub_cache_dir();

// "ORG/NAME" <-> "models--ORG--NAME" ("gpt2" <-> "models--gpt2").
std::string hf_repo_folder_name(const std::string& repo);
// The repository name of a cache folder; nullopt for anything not "models--...".
std::optional<std::string> hf_repo_of_folder(const std::string& folder);

// The paths of one repository inside a cache.
struct HfRepoPaths {
  std::filesystem::path repo;  // <cache>/models--ORG--NAME
  std::filesystem::path blobs() const { return repo / "blobs"; }
  std::filesystem::path blob(const std::string& etag) const { return blobs() / etag; }
  std::filesystem::path incomplete(const std::string& etag) const { return blobs() / (etag + ".incomplete"); }
  std::filesystem::path snapshots() const { return repo / "snapshots"; }
  std::filesystem::path snapshot(const std::string& commit) const { return snapshots() / commit; }
  std::filesystem::path ref(const std::string& revision) const { return repo / "refs" / revision; }
};
HfRepoPaths hf_repo_paths(const std::filesystem::path& cache, const std::string& repo);
// What snapshots/<commit>/<file> points at: "../../blobs/<etag>", one more ".." for each folder
// in `file` ("onnx/model.onnx" -> "../../../blobs/<etag>").
std::filesystem::path hf_snapshot_link_target(const std::string& file, const std::string& etag);

// The snapshot a repository folder opens as: the one refs/main names, else the most recently
// written one (ties: the larger name).
std::optional<std::filesystem::path> hf_current_snapshot(const std::filesystem::path& repo_folder);
// The snapshot of one revision: snapshots/<revision> when it is a commit there, else the one
// refs/<revision> names; nullopt when neither is cached.
std::optional<std::filesystem::path> hf_revision_snapshot(const std::filesystem::path& repo_folder,
                                                          const std::string& revision);
// The shard files model.safetensors.index.json names in its weight_map (as written: the
// caller checks them); nullopt when the file cannot be read or is not such JSON.
std::optional<std::set<std::string>> hf_index_shards(const std::filesystem::path& index_json);
// For a snapshot folder inside a hub cache whose download did not finish (no weights, or an
// index naming shards that are not there): what is missing, how much of it arrived, and how to
// resume. nullopt for a complete snapshot or a folder outside a hub cache.
std::optional<std::string> hf_download_unfinished(const std::filesystem::path& snapshot);

struct CachedModel {
  std::string name;                 // "openai-community/gpt2"
  std::filesystem::path snapshot;   // .../models--openai-community--gpt2/snapshots/<rev>
  uint64_t size_bytes = 0;          // weights on disk
  std::string family;               // from config.json "model_type", or "" if unknown
  std::string scheme;               // "learned", "rope", ...
  bool unfinished = false;          // its download stopped before the weights were all there
};
std::vector<CachedModel> list_cached_models();
// "gpt2" or "openai-community/gpt2" -> its current snapshot folder, if cached; "ORG/NAME@REV"
// -> the snapshot of that revision (a branch, tag or commit; es::Error when the model is cached
// but not at that revision).
// A name without an organisation matches models--NAME first, then models--ORG--NAME when only
// one ORG has it (several: es::Error listing them). Names with "..", or path separators beyond
// the one "/", are never looked up.
std::optional<std::filesystem::path> find_cached_model(const std::string& name);

}  // namespace es
