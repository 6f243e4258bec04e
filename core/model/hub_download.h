// Downloads a model from the Hugging Face hub (or a mirror) into the standard hub cache, so
// EmbedScope and every other tool find it there afterwards (FACTS.md section 5):
//
//   <cache>/models--ORG--NAME/blobs/<etag>              the files, named by their hash
//                            /snapshots/<commit>/FILE   relative symlinks into blobs/
//                            /refs/<revision>           the commit the revision pointed to
//
// Only what EmbedScope reads is fetched: config.json, the tokenizer files, and the safetensors
// weights (model.safetensors, or the index and exactly the shards it names). The protocol is
// the hub's: GET {endpoint}/api/models/{repo}/revision/{revision} lists the files and names the
// commit; HEAD {endpoint}/{repo}/resolve/{commit}/{file} (redirects not followed) gives the
// file's ETag (X-Linked-Etag, the sha256, for large files) and size (X-Linked-Size); GET of the
// same URL (redirects followed) gives the bytes.
//
// Each file is written to blobs/<etag>.incomplete first, resumed from where it stopped with an
// HTTP Range request, checked (size; sha256 for large files), and only then renamed into
// blobs/ and linked into the snapshot: a reader never finds a half-written file.
//
// Environment: HF_ENDPOINT (a mirror), HF_HUB_CACHE / HF_HOME (the cache), HF_TOKEN (else the
// token file $HF_HOME/token, ~/.cache/huggingface/token) for gated and private models, and the
// usual proxy variables (http_proxy, https_proxy, no_proxy), which libcurl reads itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace es {

struct HubProgress {
  std::string file;                 // the file being fetched
  int file_index = 0, file_count = 0;
  std::uint64_t done = 0, total = 0;  // bytes over all files (total 0 while unknown)
  double bytes_per_second = 0;       // over the last few seconds
  double seconds_left = -1;          // -1 while unknown
  std::string stage;                 // "listing files", "downloading", "checking sha256", ...
};

struct HubDownloadOptions {
  std::string repo;                  // "openai-community/gpt2"
  std::string revision = "main";     // a branch, tag or commit
  std::string endpoint;              // "": $HF_ENDPOINT, else the hub
  std::filesystem::path cache;       // "": hf_hub_cache_dir()
  std::string token;                 // "": $HF_TOKEN, else the token file
  std::function<void(const HubProgress&)> progress;  // called from the downloading thread
  const std::atomic<bool>* cancel = nullptr;           // set it to stop (es::Error "cancelled")
  long stall_seconds = 30;           // give up when no byte arrives for this long
};

struct HubDownloadResult {
  std::filesystem::path snapshot;    // open_checkpoint() opens it
  std::string commit;
  std::vector<std::string> files;    // fetched or already present
  std::uint64_t downloaded = 0;      // bytes that came over the network this time
};

// Throws es::Error with what happened and what to do: 401/403 (gated: how to get access),
// 404 (no such model, revision or file), network down, a connection cut short (run it again to
// resume), disk full, a checksum that does not match, cancelled.
HubDownloadResult hub_download(const HubDownloadOptions& options);

// Which of a repository's files EmbedScope needs (top-level names only), in download order.
// Without safetensors weights: es::Error saying what the repository has instead.
std::vector<std::string> hub_files_needed(const std::vector<std::string>& repo_files, const std::string& repo);

// The hub's ETag as a blob name: W/ and quotes removed.
std::string normalize_etag(std::string etag);
// Lower-case hex SHA-256 of a file (OpenSSL).
std::string sha256_file(const std::filesystem::path& file);

// Models worth opening in EmbedScope, with their download size (what hub_download fetches).
struct CatalogueModel {
  const char* repo;
  const char* what;                  // one line: why it is interesting here
  std::uint64_t download_bytes;
};
const std::vector<CatalogueModel>& model_catalogue();

}  // namespace es
