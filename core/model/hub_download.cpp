#include "hub_download.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "checkpoint.h"
#include "file_text.h"
#include "hf_cache.h"
#include "hf_env.h"
#include "hub_http.h"
#include "types.h"

namespace es {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace hub_http;

namespace hub_testing {
int (*make_symlink)(const char* target, const char* at) = ::symlink;
}  // namespace hub_testing

namespace {

// Path parts of a URL must not carry spaces or the like; file names here are plain, but a
// revision may hold a '/' (a branch "refs/pr/1"), which the hub wants encoded.
std::string url_part(const std::string& s, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

bool is_sha256(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// A cache folder that cannot be written, said so (read-only mounts, another user's cache).
[[noreturn]] void cannot_write(const fs::path& where, const std::string& why) {
  throw Error("cannot write to the cache at " + where.string() + " (" + why +
              "): set HF_HUB_CACHE (or HF_HOME) to a folder you can write, or make this one writable");
}

// A temporary name beside `file` that no other writer (thread or process) uses at once.
fs::path unique_temp(const fs::path& file) {
  static std::atomic<unsigned> counter{0};
  return file.parent_path() / ("." + file.filename().string() + "." + std::to_string(::getpid()) + "-" +
                               std::to_string(counter++) + ".tmp");
}

void write_atomically(const fs::path& file, const std::string& text) {
  std::error_code ec;
  {
    std::ifstream in(file, std::ios::binary);
    std::string now;
    if (in && std::getline(in, now) && now == text) return;  // already so (also in a read-only cache)
  }
  fs::create_directories(file.parent_path(), ec);
  const fs::path tmp = unique_temp(file);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.good()) cannot_write(file, std::strerror(errno ? errno : EIO));
  }
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    cannot_write(file, ec.message());
  }
}

// An exclusive flock on .locks/models--ORG--NAME/<etag>.lock, as the Python client (filelock)
// takes it; released when this goes away. The lock file stays, as theirs do.
class BlobLock {
 public:
  BlobLock() = default;
  BlobLock(const BlobLock&) = delete;
  BlobLock& operator=(const BlobLock&) = delete;
  BlobLock(BlobLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ~BlobLock() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
      ::close(fd_);
    }
  }
  // Opens the lock file; false when the file system has no flock (then nothing is locked).
  void open(const fs::path& file) {
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) cannot_write(file.parent_path(), std::strerror(errno));
  }
  // true: locked (or locking is not supported there); false: another process holds it.
  bool try_lock() {
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return true;
    return errno != EWOULDBLOCK && errno != EINTR;  // ENOLCK, EOPNOTSUPP: no locks on this file system
  }

 private:
  int fd_ = -1;
};

}  // namespace

std::string normalize_etag(std::string etag) {
  etag = trim(etag);
  if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

std::string sha256_file(const fs::path& file) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) throw Error("cannot read " + file.string() + " to check it: " + std::strerror(errno));
  std::unique_ptr<std::FILE, decltype(&std::fclose)> hold(f, std::fclose);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> hold_ctx(ctx, EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) throw Error("OpenSSL could not start SHA-256");
  std::vector<unsigned char> buf(std::size_t{1} << 20);
  for (;;) {
    const std::size_t n = std::fread(buf.data(), 1, buf.size(), f);
    if (n > 0) EVP_DigestUpdate(ctx, buf.data(), n);
    if (n < buf.size()) {
      if (std::ferror(f)) throw Error("error reading " + file.string() + " to check it");
      break;
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::vector<std::string> hub_files_needed(const std::vector<std::string>& repo_files, const std::string& repo) {
  const std::set<std::string> have(repo_files.begin(), repo_files.end());
  std::vector<std::string> out;
  for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                        "tokenizer.model", "spiece.model", "vocab.json", "merges.txt", "vocab.txt"})
    if (have.count(f)) out.emplace_back(f);
  if (have.count("model.safetensors")) {
    out.emplace_back("model.safetensors");
    return out;
  }
  if (have.count("model.safetensors.index.json")) {
    out.emplace_back("model.safetensors.index.json");  // its shards are added once it is read
    return out;
  }
  std::vector<std::string> single;
  for (const std::string& f : repo_files)
    if (f.find('/') == std::string::npos && f.size() > 12 && f.ends_with(".safetensors")) single.push_back(f);
  if (single.size() == 1) {
    out.push_back(single[0]);
    return out;
  }
  bool torch = false;
  for (const std::string& f : repo_files) torch = torch || f.ends_with(".bin") || f.ends_with(".pt") || f.ends_with(".pth");
  if (single.size() > 1)
    throw Error(repo + " has " + std::to_string(single.size()) +
                " .safetensors files but no model.safetensors.index.json saying which tensor is where");
  throw Error(repo + " has no safetensors weights" +
              std::string(torch ? " (only PyTorch .bin / .pt files, which EmbedScope does not read)" : "") +
              "; pick another model or a revision with model.safetensors");
}

std::pair<std::string, std::string> split_repo_revision(const std::string& spec) {
  const std::size_t at = spec.rfind('@');
  if (at == std::string::npos || at == 0) return {spec, "main"};
  return {spec.substr(0, at), spec.substr(at + 1)};
}

namespace {

// One download, stage by stage: check the name, list the revision's files, ask each file's
// size and hash (HEAD), fetch each into blobs/ (under its lock, resuming a partial file),
// check it, link it into the snapshot, and for a sharded model read the index and fetch its
// shards. Offline (HF_HUB_OFFLINE): the cached snapshot, if it is complete.
class HubDownload {
 public:
  explicit HubDownload(const HubDownloadOptions& opt) : opt_(opt), repo_(opt.repo), env_(hf_environment()) {
    check_names();
    endpoint_ = opt.endpoint.empty() ? env_.endpoint : opt.endpoint;
    while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
    cache_ = opt.cache.empty() ? env_.hub_cache : opt.cache;
    paths_ = hf_repo_paths(cache_, repo_);
    t_.opt = &opt;
    if (opt.anonymous) {
      token_source_.clear();
    } else if (!opt.token.empty()) {
      t_.token = opt.token;
      token_source_ = "the token given";
    } else {
      t_.token = env_.token;
      token_source_ = env_.token_source;
    }
    t_.metadata_seconds = opt.metadata_seconds > 0 ? opt.metadata_seconds : env_.etag_timeout;
    t_.stall_seconds = opt.stall_seconds > 0 ? opt.stall_seconds : env_.download_timeout;
    t_.progress = &progress_;
    symlinks_ = !env_.disable_symlinks;
  }

  HubDownloadResult run() {
    if (env_.offline) return from_cache_offline();
    report("listing files");
    const std::vector<std::string> files = list_revision();
    prepare_folders();
    // The revision's commit is written first, as the Python client does: a download cut short
    // is found (and resumed) by the name it was started with.
    if (opt_.revision != result_.commit) write_atomically(paths_.ref(opt_.revision), result_.commit);
    report("checking what to fetch");
    std::vector<Meta> metas;
    for (const std::string& f : files) metas.push_back(head(f));
    for (const Meta& m : metas) progress_.total += m.size;
    const int count0 = static_cast<int>(metas.size());
    for (int i = 0; i < count0; ++i) fetch(metas[static_cast<std::size_t>(i)], i + 1, count0);
    // A sharded model: the index names the shards; fetch exactly those.
    if (std::find(files.begin(), files.end(), "model.safetensors.index.json") != files.end()) {
      std::vector<Meta> more;
      for (const std::string& shard : shards_in_index()) {
        more.push_back(head(shard));
        progress_.total += more.back().size;
      }
      const int count = count0 + static_cast<int>(more.size());
      for (std::size_t i = 0; i < more.size(); ++i) fetch(more[i], count0 + static_cast<int>(i) + 1, count);
    }
    result_.copied = !symlinks_;
    report("done");
    return result_;
  }

 private:
  struct Meta {
    std::string file, etag, url;
    std::uint64_t size = 0;
  };

  void check_names() const {
    const std::size_t slash = repo_.find('/');
    const bool ok = !repo_.empty() && repo_.size() < 200 && repo_.find("..") == std::string::npos &&
                    std::count(repo_.begin(), repo_.end(), '/') <= 1 && repo_.front() != '/' && repo_.back() != '/' &&
                    std::all_of(repo_.begin(), repo_.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
                    });
    if (!ok || slash == 0) throw Error("'" + repo_ + "' is not a model name: write ORG/NAME (e.g. openai-community/gpt2)");
    const std::string& rev = opt_.revision;
    if (rev.empty() || rev.size() > 200 || rev.find("..") != std::string::npos || rev.front() == '/' ||
        !std::all_of(rev.begin(), rev.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
        }))
      throw Error("'" + rev + "' is not a revision (a branch, tag or commit)");
  }

  void report(const std::string& stage) {
    progress_.stage = stage;
    if (opt_.progress) opt_.progress(progress_);
  }
  void check_cancel() const {
    if (opt_.cancel && opt_.cancel->load()) throw Error("cancelled");
  }

  ErrorContext context(const std::string& file, int retries) const {
    return ErrorContext{repo_, opt_.revision, file, endpoint_, t_.token.empty() ? "" : token_source_, retries};
  }

  // Waits before retry `attempt`, saying why and for how long; a cancel ends the wait.
  void wait_before_retry(const Response& r, int attempt, const std::string& what) {
    const double s = retry_wait(r, attempt, opt_.retry_wait_seconds);
    const std::string why = r.code != CURLE_OK ? r.curl_error : "HTTP " + std::to_string(r.status);
    char wait[32];
    std::snprintf(wait, sizeof wait, "%.3g s", s);
    const std::string line = "retrying " + what + " in " + wait + " (" + why + "; retry " + std::to_string(attempt) +
                             " of " + std::to_string(opt_.retries) + ")";
    result_.retried.push_back(line);
    report(line);
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(s);
    while (std::chrono::steady_clock::now() < until) {
      check_cancel();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // A metadata request, retried while retrying may help. `retries` tells how often it was.
  Response metadata(const std::string& url, Method method, bool follow, const std::string& what, int& retries) {
    for (retries = 0;; ++retries) {
      check_cancel();
      Response r = request(t_, url, method, follow);
      if (t_.cancelled) throw Error("cancelled");
      if (retries >= opt_.retries || !worth_retrying(r, false)) return r;
      wait_before_retry(r, retries + 1, what);
    }
  }

  // A transfer that failed on the network, with how often it was retried.
  std::string network_message(const Response& r, const std::string& what, int retries) const {
    std::string m = network_problem(r, what, t_);
    if (retries) m += " (after " + std::to_string(retries) + (retries == 1 ? " retry)" : " retries)");
    return m;
  }

  [[noreturn]] void fail(const Response& r, const std::string& file, const std::string& what, int retries) const {
    if (r.code != CURLE_OK) throw Error(network_message(r, what, retries));
    throw Error(hub_error_message(r, context(file, retries)));
  }

  // 1. The commit the revision names and the files EmbedScope needs of it.
  std::vector<std::string> list_revision() {
    const std::string api =
        endpoint_ + "/api/models/" + url_part(repo_, true) + "/revision/" + url_part(opt_.revision, false);
    int retries = 0;
    const Response listing = metadata(api, Method::Get, true, "the file list", retries);
    if (listing.code != CURLE_OK || listing.status != 200) {
      if (listing.code != CURLE_OK) {
        // Unreachable, but complete in the cache: say it opens as it is.
        std::string m = network_message(listing, "the file list of " + repo_, retries);
        const std::optional<fs::path> snap = hf_revision_snapshot(paths_.repo, opt_.revision);
        if (snap && !hf_download_unfinished(*snap))
          m += ". " + repo_ + " is complete in the cache already (" + snap->string() + ") and opens without the network";
        throw Error(m);
      }
      fail(listing, "", "the file list of " + repo_, retries);
    }
    Json info;
    try {
      info = Json::parse(listing.body);
    } catch (const Json::exception&) {
      throw Error("the server's file list for " + repo_ + " is not JSON: is " + endpoint_ + " a Hugging Face hub?");
    }
    if (!info.is_object() || !info.contains("sha") || !info["sha"].is_string() || !info.contains("siblings") ||
        !info["siblings"].is_array())
      throw Error("the server's answer for " + repo_ + " has no commit (sha) or file list (siblings)");
    const std::string commit = info["sha"].get<std::string>();
    if (commit.empty() || commit.size() > 80 ||
        !std::all_of(commit.begin(), commit.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }))
      throw Error("the server named an odd commit for " + repo_ + ": '" + commit + "'");
    result_.commit = commit;
    std::vector<std::string> repo_files;
    for (const Json& s : info["siblings"])
      if (s.is_object() && s.contains("rfilename") && s["rfilename"].is_string())
        repo_files.push_back(s["rfilename"].get<std::string>());
    return hub_files_needed(repo_files, repo_);
  }

  void prepare_folders() {
    snapshot_ = paths_.snapshot(result_.commit);
    result_.snapshot = snapshot_;
    std::error_code ec;
    // Nothing is created yet: a complete model in a read-only cache is found without writing.
    if (fs::is_directory(paths_.blobs(), ec) && fs::is_directory(snapshot_, ec)) return;
    fs::create_directories(paths_.blobs(), ec);
    if (ec) cannot_write(paths_.blobs(), ec.message());
    fs::create_directories(snapshot_, ec);
    if (ec) cannot_write(snapshot_, ec.message());
  }

  // 2. A file's size and hash (HEAD), before anything is fetched, so progress knows the total.
  Meta head(const std::string& file) {
    check_cancel();
    Meta m;
    m.file = file;
    m.url = endpoint_ + "/" + url_part(repo_, true) + "/resolve/" + result_.commit + "/" + url_part(file, true);
    int retries = 0;
    Response r = metadata(m.url, Method::Head, false, file, retries);
    // Relative redirects (a renamed repository) are followed, resolved against the URL that
    // answered (an HF_ENDPOINT with a path keeps its host, not its path); an absolute one is
    // the file's storage, whose headers this answer already carries.
    for (int hops = 0; r.code == CURLE_OK && r.status >= 300 && r.status < 400 && hops < 5; ++hops) {
      const std::string loc = r.header("location");
      if (loc.empty() || loc.find("://") != std::string::npos || loc.rfind("//", 0) == 0) break;
      const std::string next = resolve_url(m.url, loc);
      if (next.empty()) throw Error("the server redirected " + file + " to an unreadable address: " + loc);
      m.url = next;
      r = metadata(m.url, Method::Head, false, file, retries);
    }
    if (r.code != CURLE_OK || r.status >= 400) fail(r, file, file, retries);
    m.etag = normalize_etag(!r.header("x-linked-etag").empty() ? r.header("x-linked-etag") : r.header("etag"));
    if (m.etag.empty() || m.etag.find('/') != std::string::npos || m.etag.find("..") != std::string::npos)
      throw Error("the server gave no usable ETag for " + file + " of " + repo_ + "; cannot name its blob");
    const std::string size = !r.header("x-linked-size").empty() ? r.header("x-linked-size") : r.header("content-length");
    try {
      m.size = size.empty() ? 0 : std::stoull(size);
    } catch (const std::exception&) {
      throw Error("the server gave an unreadable size for " + file + ": '" + size + "'");
    }
    return m;
  }

  // Whether the file is in the cache already: its blob, or (where snapshots hold copies) a
  // regular file of the right size in the snapshot.
  bool present(const Meta& m) const {
    std::error_code ec;
    const fs::path blob = paths_.blob(m.etag), in_snapshot = snapshot_ / m.file;
    if (fs::is_regular_file(blob, ec) && (m.size == 0 || fs::file_size(blob, ec) == m.size)) return true;
    return !fs::is_symlink(in_snapshot, ec) && fs::is_regular_file(in_snapshot, ec) &&
           (m.size == 0 || fs::file_size(in_snapshot, ec) == m.size);
  }

  // 3. A file into blobs/<etag>.incomplete, under its lock, checked, renamed, linked.
  void fetch(const Meta& m, int index, int count) {
    check_cancel();
    progress_.file = m.file;
    progress_.file_index = index;
    progress_.file_count = count;
    const std::uint64_t before = progress_.done;
    if (present(m)) {
      progress_.done = before + m.size;
      into_snapshot(m, false);
      result_.files.push_back(m.file);
      return;
    }
    BlobLock lock;
    lock.open(cache_ / ".locks" / hf_repo_folder_name(repo_) / (m.etag + ".lock"));
    for (bool said = false; !lock.try_lock();) {
      if (!said) report("waiting: another program is downloading " + m.file + " into this cache");
      said = true;
      check_cancel();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (present(m)) {  // the other program finished it while this one waited
      progress_.done = before + m.size;
      into_snapshot(m, false);
      result_.files.push_back(m.file);
      return;
    }
    const fs::path part = paths_.incomplete(m.etag);
    std::error_code ec;
    std::uint64_t have = 0;
    if (fs::exists(part, ec)) have = fs::file_size(part, ec);
    if (ec || (m.size && have > m.size)) have = 0;
    receive(m, part, have);
    const std::uint64_t got = check_arrived(m, part);
    fs::rename(part, paths_.blob(m.etag), ec);
    if (ec) cannot_write(part, ec.message());
    progress_.done = before + got;
    into_snapshot(m, true);
    result_.files.push_back(m.file);
  }

  // The body into `part`, after the `have` bytes already there (a Range request). A failure
  // that may pass is retried from where it stopped; the budget starts over when bytes came.
  void receive(const Meta& m, const fs::path& part, std::uint64_t have) {
    std::error_code ec;
    const std::uint64_t before = progress_.done;
    for (int failures = 0;;) {
      if (m.size && have == m.size) return;  // all there from an earlier run: only the check is left
      std::FILE* out = std::fopen(part.c_str(), have ? "ab" : "wb");
      if (!out) cannot_write(part, std::strerror(errno));
      t_.out = out;
      t_.base_done = before + have;
      t_.samples.clear();
      report("downloading");
      Response r = request(t_, m.url, Method::Get, true, have);
      const int close_rc = std::fclose(out);
      t_.out = nullptr;
      if (close_rc != 0 && r.code == CURLE_OK) {
        t_.write_errno = errno;
        r.code = CURLE_WRITE_ERROR;
      }
      result_.downloaded += t_.written;
      if (t_.cancelled) throw Error("cancelled; what arrived of " + m.file + " is kept and the next download resumes it");
      if (r.code == CURLE_OK && r.status < 300) return;  // (a 200 to a Range request restarted the file in place)
      if (r.code == CURLE_WRITE_ERROR) throw Error(network_problem(r, m.file, t_));
      have = fs::exists(part, ec) ? fs::file_size(part, ec) : 0;
      if (t_.written > 0) failures = 0;  // it moved on: a fresh budget
      const std::string what = m.file + " (" + format_bytes(have) + " of " + format_bytes(m.size) + ")";
      if (r.code == CURLE_OK && r.status == 416) {
        // The server cannot serve what follows `have`: the partial file is not its file.
        fs::remove(part, ec);
        have = 0;
      }
      if (failures >= opt_.retries || !(worth_retrying(r, true) || r.status == 416)) fail(r, m.file, what, failures);
      wait_before_retry(r, ++failures, m.file);
    }
  }

  // The size the server announced, and the sha256 when the ETag is one; a bad file is removed.
  std::uint64_t check_arrived(const Meta& m, const fs::path& part) {
    std::error_code ec;
    const std::uint64_t got = fs::file_size(part, ec);
    if (m.size && got != m.size) {
      if (got > m.size) fs::remove(part, ec);
      throw Error(m.file + " arrived with " + std::to_string(got) + " bytes instead of " + std::to_string(m.size) +
                  (got < m.size ? "; run the download again to resume" : "; the partial file was removed"));
    }
    if (is_sha256(m.etag)) {
      report("checking sha256");
      const std::string sum = sha256_file(part);
      if (sum != lower(m.etag)) {
        fs::remove(part, ec);
        throw Error(m.file + " is corrupt: its sha256 is " + sum + " but the hub says " + m.etag +
                    "; it was removed, run the download again");
      }
    }
    return got;
  }

  // snapshots/<commit>/<file>: a relative symlink into blobs/, or where symlinks cannot be
  // made, the file itself (a new blob moved there, an existing one copied). Written through a
  // temporary name and renamed, so a reader sees the old entry or the new one.
  void into_snapshot(const Meta& m, bool new_blob) {
    const fs::path at = snapshot_ / m.file, blob = paths_.blob(m.etag);
    const fs::path target = hf_snapshot_link_target(m.file, m.etag);
    std::error_code ec;
    if (fs::is_symlink(at, ec) && fs::read_symlink(at, ec) == target) return;  // already (read-only caches too)
    if (!fs::is_symlink(at, ec) && fs::is_regular_file(at, ec) && !fs::exists(blob, ec)) return;  // a copy, moved there
    fs::create_directories(at.parent_path(), ec);
    const fs::path tmp = unique_temp(at);
    if (symlinks_) {
      if (hub_testing::make_symlink(target.c_str(), tmp.c_str()) == 0) {
        fs::rename(tmp, at, ec);
        if (ec) {
          fs::remove(tmp, ec);
          cannot_write(at, ec.message());
        }
        return;
      }
      const int e = errno;
      // EPERM (exFAT, FAT), EOPNOTSUPP / ENOSYS (some network and FUSE mounts): no symlinks here.
      if (e != EPERM && e != EOPNOTSUPP && e != ENOSYS) cannot_write(at.parent_path(), std::strerror(e));
      symlinks_ = false;
      report("this file system has no symlinks: snapshot files are copies");
    }
    if (new_blob) fs::rename(blob, tmp, ec);
    else fs::copy_file(blob, tmp, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(tmp, at, ec);
    if (ec) {
      fs::remove(tmp, ec);
      cannot_write(at, ec.message());
    }
  }

  // The shard files model.safetensors.index.json names (each inside the model folder).
  std::set<std::string> shards_in_index() const {
    const std::optional<std::set<std::string>> read = hf_index_shards(snapshot_ / "model.safetensors.index.json");
    if (!read) throw Error("model.safetensors.index.json of " + repo_ + " is not valid JSON");
    const std::set<std::string>& shards = *read;
    if (shards.empty()) throw Error("model.safetensors.index.json of " + repo_ + " names no shards");
    for (const std::string& shard : shards)
      if (shard.find('/') != std::string::npos || shard.find("..") != std::string::npos)
        throw Error("the index of " + repo_ + " names a shard outside the model folder: " + shard);
    return shards;
  }

  // HF_HUB_OFFLINE: no request at all; the cached snapshot of the revision if it is complete.
  HubDownloadResult from_cache_offline() {
    const std::string why = env_.offline_variable + " is set, so nothing is downloaded";
    const std::string name = repo_ + (opt_.revision == "main" ? "" : "@" + opt_.revision);
    const std::optional<fs::path> snap = hf_revision_snapshot(paths_.repo, opt_.revision);
    if (!snap)
      throw Error(why + ", and " + name + " is not in the cache (" + cache_.string() + "): unset " +
                  env_.offline_variable + " to download it");
    if (const std::optional<std::string> unfinished = hf_download_unfinished(*snap))
      throw Error(why + ": " + *unfinished + " (with " + env_.offline_variable + " unset)");
    result_.offline = true;
    result_.snapshot = *snap;
    result_.commit = snap->filename().string();
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(*snap, ec))
      if (!e.path().filename().string().starts_with(".")) result_.files.push_back(e.path().filename().string());
    std::sort(result_.files.begin(), result_.files.end());
    report("done");
    return result_;
  }

  const HubDownloadOptions& opt_;
  const std::string& repo_;
  HfEnvironment env_;
  std::string endpoint_, token_source_;
  fs::path cache_, snapshot_;
  HfRepoPaths paths_;
  Transfer t_;
  HubProgress progress_;
  HubDownloadResult result_;
  bool symlinks_ = true;
};

}  // namespace

HubDownloadResult hub_download(const HubDownloadOptions& opt) { return HubDownload(opt).run(); }

const std::vector<CatalogueModel>& model_catalogue() {
  // Sizes: the safetensors weights plus config and tokenizer files, as on the hub (rounded).
  static const std::vector<CatalogueModel> c = {
      {"openai-community/gpt2", "GPT-2 small: learned absolute positions, byte-level BPE, tied embeddings", 551'000'000},
      {"distilbert/distilgpt2", "DistilGPT-2: GPT-2's tables, distilled into 6 layers", 356'000'000},
      {"EleutherAI/pythia-70m", "Pythia-70m: RoPE on a quarter of each head, no position table", 168'000'000},
      {"HuggingFaceTB/SmolLM-135M", "SmolLM-135M: a LLaMA-style model with RoPE, small enough to explore", 271'000'000},
      {"Qwen/Qwen2-0.5B", "Qwen2-0.5B: RoPE, byte-level BPE with NFC, a 151,936-token vocabulary", 1'000'000'000},
      {"TinyLlama/TinyLlama-1.1B-Chat-v1.0", "TinyLlama: LLaMA 2's SentencePiece tokenizer and RoPE", 2'203'000'000},
      {"google-bert/bert-base-uncased", "BERT base: WordPiece, learned positions plus token types", 441'000'000},
      {"google-t5/t5-small", "T5 small: SentencePiece Unigram, relative position buckets, nothing added at the input", 244'000'000},
      {"bigscience/bloom-560m", "BLOOM-560m: ALiBi (no positions at the input), 250,880 tokens", 1'133'000'000},
  };
  return c;
}

}  // namespace es
