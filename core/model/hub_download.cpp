#include "hub_download.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "checkpoint.h"
#include "hf_cache.h"
#include "file_text.h"
#include "types.h"
#include "user_dirs.h"

namespace es {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr const char* kDefaultEndpoint = "https://huggingface.co";
// Index files and tokenizers are small; anything the API answers with past this is not JSON
// we want to hold in memory.
constexpr std::size_t kMaxJsonBytes = std::size_t{64} << 20;

void curl_global() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && (s[b] == ' ' || s[b] == '\t')) ++b;
  return s.substr(b);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}


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

std::string read_token_file() {
  std::vector<fs::path> candidates;
  if (const char* p = std::getenv("HF_TOKEN_PATH"); p && *p) candidates.emplace_back(p);
  if (const char* h = std::getenv("HF_HOME"); h && *h) candidates.push_back(fs::path(h) / "token");
  candidates.push_back(home_dir() / ".cache" / "huggingface" / "token");
  for (const fs::path& p : candidates) {
    std::ifstream in(p);
    std::string t;
    if (in && std::getline(in, t) && !trim(t).empty()) return trim(t);
  }
  return {};
}

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, last value wins
  std::string body;                            // for small answers
  CURLcode code = CURLE_OK;
  std::string curl_error;
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct Transfer {
  const HubDownloadOptions* opt = nullptr;
  std::string token;
  // Download into a file.
  std::FILE* out = nullptr;
  int write_errno = 0;
  std::uint64_t written = 0;
  // Progress.
  HubProgress* progress = nullptr;
  std::uint64_t base_done = 0;  // bytes of earlier files (and of the resumed part)
  std::chrono::steady_clock::time_point last_report{};
  std::vector<std::pair<double, std::uint64_t>> samples;  // (seconds, done) for the rate
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  Response* response = nullptr;
  std::size_t body_limit = kMaxJsonBytes;
  bool cancelled = false;
};

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();  // a new response (after a redirect or 100-continue)
    return size * n;
  }
  const std::size_t colon = line.find(':');
  if (colon != std::string::npos) t->response->headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  return size * n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t bytes = size * n;
  if (t->out) {
    // An error page lands here too; the caller removes it when the status says so.
    if (std::fwrite(data, 1, bytes, t->out) != bytes) {
      t->write_errno = errno ? errno : EIO;
      return 0;  // CURLE_WRITE_ERROR
    }
    t->written += bytes;
    return bytes;
  }
  if (t->response->body.size() + bytes > t->body_limit) return 0;
  t->response->body.append(data, bytes);
  return bytes;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->opt->cancel && t->opt->cancel->load()) {
    t->cancelled = true;
    return 1;
  }
  if (!t->progress || !t->opt->progress) return 0;
  const auto now = std::chrono::steady_clock::now();
  if (now - t->last_report < std::chrono::milliseconds(200) && dlnow != dltotal) return 0;
  t->last_report = now;
  const double sec = std::chrono::duration<double>(now - t->start).count();
  HubProgress& p = *t->progress;
  p.done = t->base_done + static_cast<std::uint64_t>(dlnow);
  t->samples.emplace_back(sec, p.done);
  while (t->samples.size() > 2 && sec - t->samples.front().first > 5.0) t->samples.erase(t->samples.begin());
  const double span = sec - t->samples.front().first;
  p.bytes_per_second = span > 0.2 ? static_cast<double>(p.done - t->samples.front().second) / span : 0.0;
  p.seconds_left = (p.total > p.done && p.bytes_per_second > 0) ? static_cast<double>(p.total - p.done) / p.bytes_per_second : -1;
  t->opt->progress(p);
  return 0;
}

enum class Method { Get, Head };

Response request(Transfer& t, const std::string& url, Method method, bool follow, const std::string& range = "") {
  curl_global();
  Response r;
  t.response = &r;
  CURL* h = curl_easy_init();
  if (!h) throw Error("could not start libcurl");
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> hold(h, curl_easy_cleanup);
  char err[CURL_ERROR_SIZE] = {0};
  curl_slist* hdrs = nullptr;
  if (!t.token.empty()) hdrs = curl_slist_append(hdrs, ("Authorization: Bearer " + t.token).c_str());
  hdrs = curl_slist_append(hdrs, "User-Agent: embedscope");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hold_h(hdrs, curl_slist_free_all);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
  // No byte for stall_seconds: give up (a dead network, a server that stopped sending).
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, std::max(1L, t.opt->stall_seconds));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  if (method == Method::Head) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  if (!range.empty()) curl_easy_setopt(h, CURLOPT_RANGE, range.c_str());
  r.code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  r.curl_error = err[0] ? err : curl_easy_strerror(r.code);
  return r;
}

// What a failed transfer means, in words a user can act on.
std::string network_problem(const Response& r, const std::string& what, const Transfer& t) {
  switch (r.code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return "cannot reach the server for " + what + " (" + r.curl_error +
             "): is the network down? A mirror can be set with HF_ENDPOINT, a proxy with https_proxy";
    case CURLE_OPERATION_TIMEDOUT:
      return "the server stopped sending " + what + " (" + r.curl_error + "); run the download again to resume";
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return "the connection closed before all of " + what + " arrived (" + r.curl_error +
             "); run the download again to resume where it stopped";
    case CURLE_WRITE_ERROR:
      if (t.write_errno == ENOSPC || t.write_errno == EDQUOT)
        return "the disk is full: " + what + " could not be written (" + std::strerror(t.write_errno) +
               "); free some space and run the download again";
      if (t.write_errno) return what + " could not be written: " + std::strerror(t.write_errno);
      return "an answer for " + what + " was larger than expected";
    case CURLE_ABORTED_BY_CALLBACK:
      return "cancelled";
    default:
      return "downloading " + what + " failed: " + r.curl_error;
  }
}

[[noreturn]] void http_problem(const Response& r, const std::string& repo, const std::string& what,
                               const std::string& endpoint, bool had_token) {
  if (r.status == 401 || r.status == 403) {
    const std::string code = r.header("x-error-code");
    std::string msg = repo + " is gated or private (HTTP " + std::to_string(r.status) + (code.empty() ? "" : ", " + code) + "). ";
    if (had_token)
      msg += "The token in use (HF_TOKEN or the token file) has no access to it: open the model's page at " +
             endpoint + "/" + repo + ", accept its conditions with that account, and try again.";
    else
      msg += "Open the model's page at " + endpoint + "/" + repo +
             ", accept its conditions, create an access token in your account settings, and set HF_TOKEN to it.";
    throw Error(msg);
  }
  if (r.status == 404) {
    const std::string code = r.header("x-error-code");
    if (code == "RevisionNotFound") throw Error(repo + " has no revision " + what + " at " + endpoint);
    if (code == "EntryNotFound") throw Error(what + " is listed but missing from " + repo + " (HTTP 404)");
    throw Error("no model " + repo + " at " + endpoint + " (HTTP 404 for " + what +
                "): check the name (ORG/NAME, as on its page)");
  }
  throw Error("the server answered HTTP " + std::to_string(r.status) + " for " + what + " of " + repo);
}

bool is_sha256(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// Replace `at` by a symlink to `target`, atomically (a reader sees the old or the new one).
void place_link(const fs::path& target, const fs::path& at) {
  std::error_code ec;
  fs::create_directories(at.parent_path(), ec);
  const fs::path tmp = at.parent_path() / ("." + at.filename().string() + ".tmp-link");
  fs::remove(tmp, ec);
  fs::create_symlink(target, tmp, ec);
  if (ec) throw Error("cannot create the link " + at.string() + ": " + ec.message());
  fs::rename(tmp, at, ec);
  if (ec) throw Error("cannot place the link " + at.string() + ": " + ec.message());
}

void write_atomically(const fs::path& file, const std::string& text) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const fs::path tmp = file.parent_path() / ("." + file.filename().string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.good()) throw Error("cannot write " + file.string());
  }
  fs::rename(tmp, file, ec);
  if (ec) throw Error("cannot write " + file.string() + ": " + ec.message());
}

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

namespace {

// One download, stage by stage: check the name, list the revision's files, ask each file's
// size and hash (HEAD), fetch each into blobs/ (resuming a partial file), check it, link it
// into the snapshot, and for a sharded model read the index and fetch its shards.
class HubDownload {
 public:
  explicit HubDownload(const HubDownloadOptions& opt) : opt_(opt), repo_(opt.repo) {
    check_names();
    endpoint_ = opt.endpoint;
    if (endpoint_.empty()) {
      const char* e = std::getenv("HF_ENDPOINT");
      endpoint_ = e && *e ? e : kDefaultEndpoint;
    }
    while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
    cache_ = opt.cache.empty() ? hf_hub_cache_dir() : opt.cache;
    t_.opt = &opt;
    t_.token = opt.token;
    if (t_.token.empty()) {
      const char* e = std::getenv("HF_TOKEN");
      t_.token = e && *e ? e : read_token_file();
    }
    t_.progress = &progress_;
  }

  HubDownloadResult run() {
    report("listing files");
    const std::vector<std::string> files = list_revision();
    prepare_folders();
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
    if (opt_.revision != result_.commit) write_atomically(paths_.ref(opt_.revision), result_.commit);
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
    if (opt_.revision.empty() || opt_.revision.find("..") != std::string::npos)
      throw Error("'" + opt_.revision + "' is not a revision");
  }

  void report(const std::string& stage) {
    progress_.stage = stage;
    if (opt_.progress) opt_.progress(progress_);
  }
  void check_cancel() const {
    if (opt_.cancel && opt_.cancel->load()) throw Error("cancelled");
  }

  // 1. The commit the revision names and the files EmbedScope needs of it.
  std::vector<std::string> list_revision() {
    const std::string api =
        endpoint_ + "/api/models/" + url_part(repo_, true) + "/revision/" + url_part(opt_.revision, false);
    Response listing = request(t_, api, Method::Get, true);
    if (listing.code != CURLE_OK) throw Error(network_problem(listing, "the file list of " + repo_, t_));
    if (listing.status != 200) http_problem(listing, repo_, opt_.revision, endpoint_, !t_.token.empty());
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
    paths_ = hf_repo_paths(cache_, repo_);
    snapshot_ = paths_.snapshot(result_.commit);
    std::error_code ec;
    fs::create_directories(paths_.blobs(), ec);
    if (ec) throw Error("cannot create the cache folder " + paths_.blobs().string() + ": " + ec.message());
    fs::create_directories(snapshot_, ec);
    result_.snapshot = snapshot_;
  }

  // 2. A file's size and hash (HEAD), before anything is fetched, so progress knows the total.
  Meta head(const std::string& file) {
    check_cancel();
    Meta m;
    m.file = file;
    m.url = endpoint_ + "/" + url_part(repo_, true) + "/resolve/" + result_.commit + "/" + url_part(file, true);
    Response r = request(t_, m.url, Method::Head, false);
    // Relative redirects (a renamed repository) are followed; others are the file's storage.
    for (int hops = 0; r.code == CURLE_OK && r.status >= 300 && r.status < 400 && hops < 5; ++hops) {
      const std::string loc = r.header("location");
      if (loc.empty() || loc.front() != '/') break;
      m.url = endpoint_ + loc;
      r = request(t_, m.url, Method::Head, false);
    }
    if (r.code != CURLE_OK) throw Error(network_problem(r, file, t_));
    if (r.status >= 400) http_problem(r, repo_, file, endpoint_, !t_.token.empty());
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

  // 3. A file into blobs/<etag>.incomplete, checked, renamed, linked into the snapshot.
  void fetch(const Meta& m, int index, int count) {
    check_cancel();
    progress_.file = m.file;
    progress_.file_index = index;
    progress_.file_count = count;
    const fs::path blob = paths_.blob(m.etag), link = snapshot_ / m.file;
    const fs::path target = hf_snapshot_link_target(m.file, m.etag);
    std::error_code ec;
    if (fs::is_regular_file(blob, ec) && (m.size == 0 || fs::file_size(blob, ec) == m.size)) {
      progress_.done += m.size;
      place_link(target, link);
      result_.files.push_back(m.file);
      return;
    }
    const fs::path part = paths_.incomplete(m.etag);
    std::uint64_t have = 0;
    if (fs::exists(part, ec)) have = fs::file_size(part, ec);
    if (ec) have = 0;
    if (m.size && have > m.size) have = 0;
    have = receive(m, part, have);
    const std::uint64_t got = check_arrived(m, part);
    fs::rename(part, blob, ec);
    if (ec) throw Error("cannot move " + part.string() + " into place: " + ec.message());
    progress_.done = t_.base_done - have + got;
    place_link(target, link);
    result_.files.push_back(m.file);
  }

  // The body into `part`, after the `have` bytes already there (a Range request); returns the
  // bytes that were there when the last request started (0 when the server restarted it).
  std::uint64_t receive(const Meta& m, const fs::path& part, std::uint64_t have) {
    std::error_code ec;
    t_.base_done = progress_.done + have;  // also when all of it is there already
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (m.size && have == m.size) break;  // all there from an earlier run: only the check is left
      std::FILE* out = std::fopen(part.c_str(), have ? "ab" : "wb");
      if (!out) throw Error("cannot write " + part.string() + ": " + std::strerror(errno));
      t_.out = out;
      t_.written = 0;
      t_.write_errno = 0;
      t_.base_done = progress_.done + have;
      t_.samples.clear();
      report("downloading");
      Response r = request(t_, m.url, Method::Get, true, have ? std::to_string(have) + "-" : "");
      const int close_rc = std::fclose(out);
      t_.out = nullptr;
      if (close_rc != 0 && r.code == CURLE_OK) {
        t_.write_errno = errno;
        r.code = CURLE_WRITE_ERROR;
      }
      if (r.code != CURLE_OK) {
        if (t_.cancelled) throw Error("cancelled; what arrived of " + m.file + " is kept and the next download resumes it");
        throw Error(network_problem(r, m.file + " (" + format_bytes(have + t_.written) + " of " + format_bytes(m.size) + ")", t_));
      }
      if (r.status >= 400) {
        // The error page went into the file: drop it, keep nothing half-written.
        if (have == 0) fs::remove(part, ec);
        else fs::resize_file(part, have, ec);
        http_problem(r, repo_, m.file, endpoint_, !t_.token.empty());
      }
      if (have && r.status == 200) {
        // The server ignored the range and sent the whole file after what we had: restart.
        fs::remove(part, ec);
        have = 0;
        continue;
      }
      result_.downloaded += t_.written;
      break;
    }
    return have;
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

  // The shard files model.safetensors.index.json names (each inside the model folder).
  std::set<std::string> shards_in_index() const {
    Json index;
    try {
      std::ifstream in(snapshot_ / "model.safetensors.index.json");
      index = Json::parse(in);
    } catch (const Json::exception&) {
      throw Error("model.safetensors.index.json of " + repo_ + " is not valid JSON");
    }
    std::set<std::string> shards;
    if (index.is_object() && index.contains("weight_map") && index["weight_map"].is_object())
      for (const auto& [k, v] : index["weight_map"].items())
        if (v.is_string()) shards.insert(v.get<std::string>());
    if (shards.empty()) throw Error("model.safetensors.index.json of " + repo_ + " names no shards");
    for (const std::string& shard : shards)
      if (shard.find('/') != std::string::npos || shard.find("..") != std::string::npos)
        throw Error("the index of " + repo_ + " names a shard outside the model folder: " + shard);
    return shards;
  }

  const HubDownloadOptions& opt_;
  const std::string& repo_;
  std::string endpoint_;
  fs::path cache_, snapshot_;
  HfRepoPaths paths_;
  Transfer t_;
  HubProgress progress_;
  HubDownloadResult result_;
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
