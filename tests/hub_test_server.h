// A small HTTP/1.1 server on 127.0.0.1 that behaves like the Hugging Face hub for the download
// tests: the revision API (commit + file list), resolve URLs answering HEAD and GET with ETag,
// X-Repo-Commit and, for large (LFS) files, a redirect to a storage URL with X-Linked-Etag (the
// sha256) and X-Linked-Size; Range requests (206); 401 / 403 for a gated repository; 404 with
// X-Error-Code. Faults on demand: a response cut short, a corrupted body, Range ignored.
// It runs in a thread of the test and stops with it (the socket is closed in the destructor).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
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
    bool gated = false;  // needs "Authorization: Bearer good-token"
    std::vector<std::string> listed_only;  // in the file list, but 404 when asked for
  };
  enum class Fault { None, Truncate, Corrupt, IgnoreRange };

  std::map<std::string, Repo> repos;  // "org/name" -> repo; fill before the first request
  std::atomic<Fault> fault{Fault::None};
  std::atomic<int> faults_left{0};    // how many storage responses the fault hits

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
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
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
      handle(c);
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

  static void reply(int c, int status, const std::string& reason, const std::map<std::string, std::string>& headers,
                    const std::string& body, bool head, std::size_t send_body_bytes = std::string::npos) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
    bool has_length = false;
    for (const auto& [k, v] : headers) {
      out += k + ": " + v + "\r\n";
      has_length = has_length || k == "Content-Length";
    }
    if (!has_length) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += "Connection: close\r\n\r\n";
    if (!head) out += body.substr(0, send_body_bytes);
    send_all(c, out);
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
    {
      std::lock_guard<std::mutex> lock(mutex_);
      log_.push_back(std::string(proxied ? "proxied " : "") + method + " " + path +
                     (header("range").empty() ? "" : " range=" + header("range")));
    }
    const bool head = method == "HEAD";
    const std::string auth = header("authorization");
    const auto access = [&](const Repo& r) -> int {
      if (!r.gated || auth == "Bearer good-token") return 0;
      return auth.empty() ? 401 : 403;
    };
    const auto deny = [&](int status) {
      reply(c, status, status == 401 ? "Unauthorized" : "Forbidden", {{"X-Error-Code", "GatedRepo"}},
            "{\"error\":\"Access to this model is restricted\"}", head);
    };
    // /api/models/ORG/NAME/revision/REV
    if (path.rfind("/api/models/", 0) == 0) {
      const std::string rest = path.substr(12);
      const std::size_t r = rest.find("/revision/");
      const Repo* repo = r == std::string::npos ? nullptr : find_repo(rest.substr(0, r));
      if (!repo) return reply(c, 404, "Not Found", {{"X-Error-Code", "RepoNotFound"}}, "{}", head);
      if (const int a = access(*repo)) return deny(a);
      const std::string rev = rest.substr(r + 10);
      if (rev != "main" && rev != repo->commit)
        return reply(c, 404, "Not Found", {{"X-Error-Code", "RevisionNotFound"}}, "{}", head);
      std::string body = "{\"id\":\"" + rest.substr(0, r) + "\",\"sha\":\"" + repo->commit + "\",\"siblings\":[";
      for (std::size_t i = 0; i < repo->files.size(); ++i)
        body += std::string(i ? "," : "") + "{\"rfilename\":\"" + repo->files[i].name + "\"}";
      for (const std::string& f : repo->listed_only) body += ",{\"rfilename\":\"" + f + "\"}";
      body += "]}";
      return reply(c, 200, "OK", {{"Content-Type", "application/json"}}, body, head);
    }
    // /cdn/SHA: the storage behind an LFS redirect.
    if (path.rfind("/cdn/", 0) == 0) {
      const std::string sha = path.substr(5, 64);
      const File* f = nullptr;
      for (const auto& [n, r] : repos)
        for (const File& x : r.files)
          if (x.lfs && sha256_hex(x.content) == sha) f = &x;
      if (!f) return reply(c, 404, "Not Found", {}, "", head);
      std::string body = f->content;
      const Fault fl = faults_left > 0 && !head ? fault.load() : Fault::None;
      if (fl != Fault::None) --faults_left;
      std::size_t from = 0;
      const std::string range = header("range");
      if (!range.empty() && fl != Fault::IgnoreRange && range.rfind("bytes=", 0) == 0) from = std::stoull(range.substr(6));
      if (from > body.size()) return reply(c, 416, "Range Not Satisfiable", {}, "", head);
      if (fl == Fault::Corrupt) body[body.size() / 2] = static_cast<char>(body[body.size() / 2] ^ 0x5A);
      const std::string part = body.substr(from);
      std::map<std::string, std::string> h{{"Content-Type", "application/octet-stream"},
                                           {"Content-Length", std::to_string(part.size())}};
      if (from > 0) h["Content-Range"] = "bytes " + std::to_string(from) + "-" + std::to_string(body.size() - 1) + "/" +
                                         std::to_string(body.size());
      // Truncate: the headers promise everything, a third arrives, the connection closes.
      return reply(c, from > 0 ? 206 : 200, from > 0 ? "Partial Content" : "OK", h, part, head,
                   fl == Fault::Truncate ? part.size() / 3 : std::string::npos);
    }
    // /ORG/NAME/resolve/REV/FILE
    const std::size_t res = path.find("/resolve/");
    const Repo* repo = res == std::string::npos ? nullptr : find_repo(path.substr(1, res - 1));
    if (!repo) return reply(c, 404, "Not Found", {{"X-Error-Code", "RepoNotFound"}}, "", head);
    if (const int a = access(*repo)) return deny(a);
    const std::string rest = path.substr(res + 9);
    const std::string rev = rest.substr(0, rest.find('/')), name = rest.substr(rest.find('/') + 1);
    if (rev != "main" && rev != repo->commit)
      return reply(c, 404, "Not Found", {{"X-Error-Code", "RevisionNotFound"}}, "", head);
    for (const File& f : repo->files) {
      if (f.name != name) continue;
      if (f.lfs)
        return reply(c, 302, "Found",
                     {{"Location", endpoint() + "/cdn/" + sha256_hex(f.content)},
                      {"X-Linked-Etag", "\"" + sha256_hex(f.content) + "\""},
                      {"X-Linked-Size", std::to_string(f.content.size())},
                      {"X-Repo-Commit", repo->commit},
                      {"ETag", "W/\"pointer-" + sha256_hex(f.content).substr(0, 20) + "\""}},
                     "", head);
      return reply(c, 200, "OK", {{"ETag", "\"" + etag_of(f) + "\""}, {"X-Repo-Commit", repo->commit}}, f.content, head);
    }
    reply(c, 404, "Not Found", {{"X-Error-Code", "EntryNotFound"}}, "", head);
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> log_;
};

}  // namespace es::testing
