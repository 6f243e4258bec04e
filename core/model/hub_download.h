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
// blobs/ and linked into the snapshot: a reader never finds a half-written file. While a
// file is written, .locks/models--ORG--NAME/<etag>.lock is held (flock), the lock the Python
// client takes, so two programs never write one blob.
//
// Failures that may pass (HTTP 429, 500, 502, 503, 504, a reset or silent connection) are
// retried with backoff (1, 2, 4, 8, 8 s, or the server's Retry-After); a broken body resumes
// where it stopped, and its retry budget starts over whenever bytes arrived.
//
// Where symlinks cannot be made (exFAT, some network mounts) or HF_HUB_DISABLE_SYMLINKS is
// set, snapshot files are the files themselves (a new blob is moved there, an existing one
// copied), as the Python client does.
//
// Environment (hf_env.h): HF_ENDPOINT, HF_HUB_CACHE / HUGGINGFACE_HUB_CACHE / HF_HOME /
// XDG_CACHE_HOME, HF_TOKEN / HUGGING_FACE_HUB_TOKEN / HF_TOKEN_PATH, HF_HUB_OFFLINE (nothing
// fetched: a complete cached snapshot is returned, else an error saying so),
// HF_HUB_DISABLE_SYMLINKS, HF_HUB_ETAG_TIMEOUT, HF_HUB_DOWNLOAD_TIMEOUT, and the proxy
// variables (http_proxy, https_proxy, no_proxy), which libcurl reads itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
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
  bool anonymous = false;            // send no token at all (--no-token)
  std::function<void(const HubProgress&)> progress;  // called from the downloading thread
  const std::atomic<bool>* cancel = nullptr;           // set it to stop (es::Error "cancelled")
  double stall_seconds = 0;          // give up when no byte arrives for this long (0: HF_HUB_DOWNLOAD_TIMEOUT, 10)
  double metadata_seconds = 0;       // a listing or HEAD may take this long (0: HF_HUB_ETAG_TIMEOUT, 10)
  int retries = 5;                   // per request, after the first try
  double retry_wait_seconds = 1;     // the first wait; it doubles up to 8 times this
};

struct HubDownloadResult {
  std::filesystem::path snapshot;    // open_checkpoint() opens it
  std::string commit;
  std::vector<std::string> files;    // fetched or already present
  std::uint64_t downloaded = 0;      // bytes that came over the network this time
  std::vector<std::string> retried;  // one line per retry: what failed and how long it waited
  bool offline = false;              // HF_HUB_OFFLINE: taken from the cache, nothing fetched
  bool copied = false;               // snapshot files are copies (no symlinks here)
};

// Throws es::Error with what happened and what to do, read from the hub's X-Error-Code and
// X-Error-Message where it sends them: not found / private / gated (how to get access), an
// invalid token, no such revision or file, rate limits and server errors (after the retries),
// network down, a connection cut short (run it again to resume), a cache folder that cannot
// be written, disk full, a checksum that does not match, offline, cancelled.
HubDownloadResult hub_download(const HubDownloadOptions& options);

// Which of a repository's files EmbedScope needs (top-level names only), in download order.
// Without safetensors weights: es::Error saying what the repository has instead.
std::vector<std::string> hub_files_needed(const std::vector<std::string>& repo_files, const std::string& repo);

// The hub's ETag as a blob name: W/ and quotes removed.
std::string normalize_etag(std::string etag);
// Lower-case hex SHA-256 of a file (OpenSSL).
std::string sha256_file(const std::filesystem::path& file);

// "ORG/NAME@REV" -> {"ORG/NAME", "REV"}; no '@': {spec, "main"}.
std::pair<std::string, std::string> split_repo_revision(const std::string& spec);

namespace hub_testing {
// How snapshot links are made (::symlink); a test replaces it to act as a file system
// without symlinks.
extern int (*make_symlink)(const char* target, const char* at);
}  // namespace hub_testing

// Models worth opening in EmbedScope, with their download size (what hub_download fetches).
struct CatalogueModel {
  const char* repo;
  const char* what;                  // one line: why it is interesting here
  std::uint64_t download_bytes;
};
const std::vector<CatalogueModel>& model_catalogue();

}  // namespace es
