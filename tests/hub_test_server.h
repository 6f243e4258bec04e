// A small HTTP/1.1 server on 127.0.0.1 that behaves like the Hugging Face hub for the download
// tests: the revision API (commit + file list), resolve URLs answering HEAD and GET with ETag,
// X-Repo-Commit and, for large (LFS) files, a redirect to a storage URL (optionally on another
// host name) with X-Linked-Etag (the sha256) and X-Linked-Size; Range requests (206).
// Errors as the real hub answers them: an anonymous request for a missing or private
// repository gets 401 with X-Error-Code RepoNotFound (404 with a valid token); a gated one 401
// (anonymous) or 403 (a valid token without access) with GatedRepo; a token the hub does not
// know gets 401 "Invalid credentials in Authorization header" on any repository; a missing
// revision or file 404 with RevisionNotFound / EntryNotFound; a renamed repository a 307 to a
// relative Location. The server may live under a path prefix (a mirror at https://host/prefix).
// Faults on demand: a response cut short, a connection reset mid-body, a corrupted body, Range
// ignored, 429 / 503 answers (with Retry-After), slow answers.
// It runs in a thread of the test and stops with it (the socket is closed in the destructor).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace es::testing {

inline std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

class HubTestServer {
 public:
  struct File {
    std::string name, content;
    bool lfs = false;
  };
  struct Repo {
    std::string commit;
    std::vector<File> files;
    bool gated = false;         // needs "Authorization: Bearer good-token"
    bool private_repo = false;  // likewise, and looks missing to anyone else
    std::vector<std::string> listed_only;  // in the file list, but 404 when asked for
    std::vector<std::string> branches = {"main"};  // revisions naming `commit` besides itself
  };
  // Storage faults; Status503 / Status429 answer with that status instead of the body.
  enum class Fault { None, Truncate, Reset, Corrupt, IgnoreRange, Status503, Status429 };

  std::map<std::string, Repo> repos;  // "org/name" -> repo; fill before the first request
  std::map<std::string, std::string> renamed;  // old "org/name" -> new: 307 to the new path
  std::string prefix;                 // the hub lives under this path ("/mirror"), "" at the root
  std::string storage_host = "127.0.0.1";  // host name in LFS redirects ("localhost": another host)
  std::atomic<Fault> fault{Fault::None};
  std::atomic<int> faults_left{0};    // how many storage responses the fault hits
  std::atomic<int> api_status{503};   // the status of API / resolve faults (429, 500, 503, ...)
  std::atomic<int> api_faults_left{0};  // how many API / resolve requests get api_status
  std::string retry_after;            // sent with 429 / 503 when not empty
  std::atomic<int> delay_ms{0};       // every answer waits this long first
  std::atomic<int> body_chunk_ms{0};  // storage bodies are sent in 4 kB pieces this far apart

  HubTestServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0)
      throw std::runtime_error("test server: cannot listen on 127.0.0.1");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~HubTestServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_) + prefix; }
  std::string storage() const { return "http://" + storage_host + ":" + std::to_string(port_); }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return log_;
  }
  void clear_log() {
    std::lock_guard<std::mutex> lock(mutex_);
    log_.clear();
  }
  static std::string etag_of(const File& f) { return f.lfs ? sha256_hex(f.content) : sha256_hex("blob" + f.content).substr(0, 40); }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      reset_ = false;
      handle(c);
      if (reset_) {
        // Close with RST: the client sees "connection reset by peer" mid-body.
        linger l{1, 0};
        ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      }
      ::close(c);
    }
  }

  static void send_all(int c, const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      const ssize_t n = ::send(c, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }

  void reply(int c, int status, const std::string& reason, const std::map<std::string, std::string>& headers,
             const std::string& body, bool head, std::size_t send_body_bytes = std::string::npos, int chunk_ms = 0) {
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms.load()));
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
    bool has_length = false;
    for (const auto& [k, v] : headers) {
      out += k + ": " + v + "\r\n";
      has_length = has_length || k == "Content-Length";
    }
    if (!has_length) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += "Connection: close\r\n\r\n";
    if (head) return send_all(c, out);
    const std::string b = body.substr(0, send_body_bytes);
    if (chunk_ms <= 0) return send_all(c, out + b);
    send_all(c, out);
    for (std::size_t off = 0; off < b.size() && !stop_; off += 4096) {
      send_all(c, b.substr(off, 4096));
      std::this_thread::sleep_for(std::chrono::milliseconds(chunk_ms));
    }
  }

  // A status instead of an answer (rate limit, server trouble), with Retry-After when set.
  void refuse(int c, int status, bool head) {
    std::map<std::string, std::string> h;
    if (!retry_after.empty()) h["Retry-After"] = retry_after;
    reply(c, status, status == 429 ? "Too Many Requests" : "Service Unavailable", h,
          "{\"error\":\"try again later\"}", head);
  }

  const Repo* find_repo(const std::string& name) const {
    const auto it = repos.find(name);
    return it == repos.end() ? nullptr : &it->second;
  }

  void handle(int c) {
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos && req.size() < 65536) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) return;
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      req.append(buf, static_cast<std::size_t>(n));
    }
    const std::string line = req.substr(0, req.find("\r\n"));
    const std::size_t sp1 = line.find(' '), sp2 = line.find(' ', sp1 + 1);
    const std::string method = line.substr(0, sp1);
    std::string path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    // As an HTTP proxy the server gets absolute URLs ("GET http://host/path"): serve the path.
    const bool proxied = path.rfind("http://", 0) == 0;
    if (proxied) {
      const std::size_t slash = path.find('/', 7);
      path = slash == std::string::npos ? "/" : path.substr(slash);
    }
    const auto header = [&](const std::string& name) {
      std::string lower_req = req;
      for (char& ch : lower_req) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      const std::size_t at = lower_req.find("\r\n" + name + ":");
      if (at == std::string::npos) return std::string();
      const std::size_t b = at + 3 + name.size(), e = req.find("\r\n", b);
      std::string v = req.substr(b, e - b);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      return v;
    };
    const std::string auth = header("authorization");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      log_.push_back(std::string(proxied ? "proxied " : "") + method + " " + path +
                     (header("range").empty() ? "" : " range=" + header("range")) + (auth.empty() ? "" : " auth"));
    }
    const bool head = method == "HEAD";
    // The storage behind LFS redirects: no prefix, no token needed.
    if (path.rfind("/cdn/", 0) == 0) return storage(c, path, header("range"), head);
    if (!prefix.empty()) {
      if (path.rfind(prefix + "/", 0) != 0) return reply(c, 404, "Not Found", {}, "", head);
      path = path.substr(prefix.size());
    }
    if (api_faults_left > 0) {
      --api_faults_left;
      return refuse(c, api_status, head);
    }
    // A token the hub does not know: refused everywhere, public repositories too.
    const bool valid_token = auth == "Bearer good-token" || auth == "Bearer other-token";
    if (!auth.empty() && !valid_token)
      return reply(c, 401, "Unauthorized", {{"X-Error-Message", "Invalid credentials in Authorization header"}},
                   "{\"error\":\"Invalid credentials in Authorization header\"}", head);
    const bool api = path.rfind("/api/models/", 0) == 0;
    const std::string rest = api ? path.substr(12) : path.substr(1);
    const std::size_t cut = rest.find(api ? "/revision/" : "/resolve/");
    const std::string name = cut == std::string::npos ? "" : rest.substr(0, cut);
    if (const auto moved = renamed.find(name); moved != renamed.end())
      return reply(c, 307, "Temporary Redirect",
                   {{"Location", prefix + (api ? "/api/models/" : "/") + moved->second + rest.substr(cut)}}, "", head);
    const Repo* repo = find_repo(name);
    const bool allowed = auth == "Bearer good-token";
    if (!repo || (repo->private_repo && !allowed)) {
      // As the hub: anonymous callers cannot tell a missing repository from a private one.
      return reply(c, auth.empty() ? 401 : 404, auth.empty() ? "Unauthorized" : "Not Found",
                   {{"X-Error-Code", "RepoNotFound"}, {"X-Error-Message", "Repository not found"}},
                   "{\"error\":\"Repository not found\"}", head);
    }
    if (repo->gated && !allowed) {
      const std::string m = auth.empty()
                                ? "Access to model " + name + " is restricted. You must have access to it and be authenticated to access it. Please log in."
                                : "Access to model " + name + " is restricted and you are not in the authorized list. Visit " + endpoint() + "/" + name + " to ask for access.";
      return reply(c, auth.empty() ? 401 : 403, auth.empty() ? "Unauthorized" : "Forbidden",
                   {{"X-Error-Code", "GatedRepo"}, {"X-Error-Message", m}}, "{\"error\":\"" + m + "\"}", head);
    }
    const std::string after = rest.substr(cut + (api ? 10 : 9));
    const std::string rev = api ? after : after.substr(0, after.find('/'));
    const bool known_rev = rev == repo->commit || std::count(repo->branches.begin(), repo->branches.end(), rev) > 0;
    if (!known_rev)
      return reply(c, 404, "Not Found", {{"X-Error-Code", "RevisionNotFound"}, {"X-Error-Message", "Invalid rev id: " + rev}}, "{}", head);
    // /api/models/ORG/NAME/revision/REV
    if (api) {
      std::string body = "{\"id\":\"" + name + "\",\"sha\":\"" + repo->commit + "\",\"siblings\":[";
      for (std::size_t i = 0; i < repo->files.size(); ++i)
        body += std::string(i ? "," : "") + "{\"rfilename\":\"" + repo->files[i].name + "\"}";
      for (const std::string& f : repo->listed_only) body += ",{\"rfilename\":\"" + f + "\"}";
      body += "]}";
      return reply(c, 200, "OK", {{"Content-Type", "application/json"}}, body, head);
    }
    // /ORG/NAME/resolve/REV/FILE
    const std::string file = after.substr(after.find('/') + 1);
    for (const File& f : repo->files) {
      if (f.name != file) continue;
      if (f.lfs)
        return reply(c, 302, "Found",
                     {{"Location", storage() + "/cdn/" + sha256_hex(f.content)},
                      {"X-Linked-Etag", "\"" + sha256_hex(f.content) + "\""},
                      {"X-Linked-Size", std::to_string(f.content.size())},
                      {"X-Repo-Commit", repo->commit},
                      {"ETag", "W/\"pointer-" + sha256_hex(f.content).substr(0, 20) + "\""}},
                     "", head);
      return reply(c, 200, "OK", {{"ETag", "\"" + etag_of(f) + "\""}, {"X-Repo-Commit", repo->commit}}, f.content, head);
    }
    reply(c, 404, "Not Found", {{"X-Error-Code", "EntryNotFound"}, {"X-Error-Message", "Entry not found"}}, "", head);
  }

  // /cdn/SHA: the storage behind an LFS redirect, with the faults the tests ask for.
  void storage(int c, const std::string& path, const std::string& range, bool head) {
    const std::string sha = path.substr(5, 64);
    const File* f = nullptr;
    for (const auto& [n, r] : repos)
      for (const File& x : r.files)
        if (x.lfs && sha256_hex(x.content) == sha) f = &x;
    if (!f) return reply(c, 404, "Not Found", {}, "", head);
    std::string body = f->content;
    const Fault fl = faults_left > 0 && !head ? fault.load() : Fault::None;
    if (fl != Fault::None) --faults_left;
    if (fl == Fault::Status503) return refuse(c, 503, head);
    if (fl == Fault::Status429) return refuse(c, 429, head);
    std::size_t from = 0;
    if (!range.empty() && fl != Fault::IgnoreRange && range.rfind("bytes=", 0) == 0) from = std::stoull(range.substr(6));
    if (from >= body.size() && from > 0) return reply(c, 416, "Range Not Satisfiable", {}, "", head);
    if (fl == Fault::Corrupt) body[body.size() / 2] = static_cast<char>(body[body.size() / 2] ^ 0x5A);
    const std::string part = body.substr(from);
    std::map<std::string, std::string> h{{"Content-Type", "application/octet-stream"},
                                         {"Content-Length", std::to_string(part.size())}};
    if (from > 0) h["Content-Range"] = "bytes " + std::to_string(from) + "-" + std::to_string(body.size() - 1) + "/" +
                                       std::to_string(body.size());
    // Truncate: the headers promise everything, a third arrives, the connection closes.
    // Reset: the same, closed with RST.
    const bool cut = fl == Fault::Truncate || fl == Fault::Reset;
    reset_ = fl == Fault::Reset;
    reply(c, from > 0 ? 206 : 200, from > 0 ? "Partial Content" : "OK", h, part, head,
          cut ? part.size() / 3 : std::string::npos, body_chunk_ms.load());
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> log_;
  bool reset_ = false;
};

}  // namespace es::testing
