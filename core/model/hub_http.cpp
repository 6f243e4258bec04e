// The HTTP side of hub downloads (hub_http.h).
#include "hub_http.h"

#include "types.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace es::hub_http {

namespace {

// Index files, file lists and error pages are small; anything past this is not an answer we
// want to hold in memory.
constexpr std::size_t kMaxBodyBytes = std::size_t{64} << 20;

void curl_global() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();  // a new response (after a redirect or 100-continue)
    const std::size_t sp = line.find(' ');
    t->status_seen = sp == std::string::npos ? 0 : std::strtol(line.c_str() + sp + 1, nullptr, 10);
    return size * n;
  }
  const std::size_t colon = line.find(':');
  if (colon != std::string::npos) t->response->headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  return size * n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t bytes = size * n;
  // Only a success goes into the file; an error page is kept as the answer's body.
  if (t->out && t->status_seen < 300) {
    if (t->written == 0 && t->ranged && t->status_seen == 200 && !t->response->restarted) {
      // The server ignored the Range and sends the whole file: empty the file and keep the stream.
      if (std::fflush(t->out) != 0 || ::ftruncate(::fileno(t->out), 0) != 0) {
        t->write_errno = errno ? errno : EIO;
        return 0;
      }
      t->response->restarted = true;
      t->base_done = t->base_done >= t->resumed ? t->base_done - t->resumed : 0;
      t->resumed = 0;
    }
    if (std::fwrite(data, 1, bytes, t->out) != bytes) {
      t->write_errno = errno ? errno : EIO;
      return 0;  // CURLE_WRITE_ERROR
    }
    t->written += bytes;
    return bytes;
  }
  if (t->response->body.size() + bytes > kMaxBodyBytes) return 0;
  t->response->body.append(data, bytes);
  return bytes;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->opt->cancel && t->opt->cancel->load()) {
    t->cancelled = true;
    return 1;
  }
  if (!t->progress || !t->opt->progress || !t->out) return 0;
  const auto now = std::chrono::steady_clock::now();
  if (now - t->last_report < std::chrono::milliseconds(200) && dlnow != dltotal) return 0;
  t->last_report = now;
  const double sec = std::chrono::duration<double>(now - t->start).count();
  HubProgress& p = *t->progress;
  p.done = t->base_done + t->written;
  t->samples.emplace_back(sec, p.done);
  while (t->samples.size() > 2 && sec - t->samples.front().first > 5.0) t->samples.erase(t->samples.begin());
  const double span = sec - t->samples.front().first;
  p.bytes_per_second = span > 0.2 && p.done >= t->samples.front().second
                           ? static_cast<double>(p.done - t->samples.front().second) / span
                           : 0.0;
  p.seconds_left = (p.total > p.done && p.bytes_per_second > 0) ? static_cast<double>(p.total - p.done) / p.bytes_per_second : -1;
  t->opt->progress(p);
  return 0;
}

// The server's words for an error: X-Error-Message, else the "error" of a JSON body.
std::string server_words(const Response& r) {
  std::string m = r.header("x-error-message");
  if (m.empty() && !r.body.empty() && r.body.size() < 4096) {
    try {
      const nlohmann::json j = nlohmann::json::parse(r.body);
      if (j.is_object() && j.contains("error") && j["error"].is_string()) m = j["error"].get<std::string>();
    } catch (const nlohmann::json::exception&) {
    }
  }
  // One line, printable, not a novel.
  std::string out;
  for (char c : m) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (out.size() > 300) out = out.substr(0, 300) + "...";
  return out;
}

}  // namespace

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

Response request(Transfer& t, const std::string& url, Method method, bool follow, std::uint64_t resume_from) {
  curl_global();
  Response r;
  t.response = &r;
  t.status_seen = 0;
  t.written = 0;
  t.write_errno = 0;
  t.ranged = resume_from > 0;
  t.resumed = resume_from;
  CURL* h = curl_easy_init();
  if (!h) throw Error("could not start libcurl");
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> hold(h, curl_easy_cleanup);
  char err[CURL_ERROR_SIZE] = {0};
  curl_slist* hdrs = nullptr;
  // libcurl sends a header set here only to the host of `url`, never after a redirect to
  // another host (the storage behind an LFS file gets no token).
  if (!t.token.empty()) hdrs = curl_slist_append(hdrs, ("Authorization: Bearer " + t.token).c_str());
  hdrs = curl_slist_append(hdrs, "User-Agent: embedscope");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hold_h(hdrs, curl_slist_free_all);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (t.out) {
    // A download: connecting may take HF_HUB_DOWNLOAD_TIMEOUT, and so may a pause between bytes.
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(t.stall_seconds * 1000));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, std::max(1L, std::lround(t.stall_seconds)));
  } else {
    // Metadata: the whole request within HF_HUB_ETAG_TIMEOUT.
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(t.metadata_seconds * 1000));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(t.metadata_seconds * 1000));
  }
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  if (method == Method::Head) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  const std::string range = std::to_string(resume_from) + "-";
  if (resume_from > 0) curl_easy_setopt(h, CURLOPT_RANGE, range.c_str());
  r.code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  r.curl_error = err[0] ? err : curl_easy_strerror(r.code);
  t.response = nullptr;
  return r;
}

std::string resolve_url(const std::string& base, const std::string& location) {
  curl_global();
  CURLU* u = curl_url();
  if (!u) return {};
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> hold(u, curl_url_cleanup);
  if (curl_url_set(u, CURLUPART_URL, base.c_str(), 0) != CURLUE_OK) return {};
  // With a URL already set, a relative one is resolved against it (RFC 3986, section 5).
  if (curl_url_set(u, CURLUPART_URL, location.c_str(), 0) != CURLUE_OK) return {};
  char* out = nullptr;
  if (curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK || !out) return {};
  std::string s(out);
  curl_free(out);
  return s;
}

std::string network_problem(const Response& r, const std::string& what, const Transfer& t) {
  switch (r.code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return "cannot reach the server for " + what + " (" + r.curl_error +
             "): is the network down? A mirror can be set with HF_ENDPOINT, a proxy with https_proxy";
    case CURLE_OPERATION_TIMEDOUT:
      return "the server stopped answering for " + what + " (" + r.curl_error +
             "; HF_HUB_ETAG_TIMEOUT and HF_HUB_DOWNLOAD_TIMEOUT set how long to wait); run the download again to resume";
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
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

bool worth_retrying(const Response& r, bool body) {
  switch (r.code) {
    case CURLE_OK:
      return r.status == 429 || r.status == 500 || r.status == 502 || r.status == 503 || r.status == 504;
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    case CURLE_COULDNT_CONNECT:
      return body;
    default:
      return false;
  }
}

double retry_wait(const Response& r, int attempt, double base) {
  const std::string after = r.header("retry-after");
  if (!after.empty() && std::all_of(after.begin(), after.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return std::min(60.0, std::strtod(after.c_str(), nullptr));
  return base * std::min(8.0, std::pow(2.0, std::max(0, attempt - 1)));
}

std::string hub_error_message(const Response& r, const ErrorContext& c) {
  const std::string code = r.header("x-error-code");
  const std::string words = server_words(r);
  const std::string said = words.empty() ? "" : " The server says: \"" + words + "\"";
  const std::string status = "HTTP " + std::to_string(r.status) + (code.empty() ? "" : ", " + code);
  const std::string page = c.endpoint + "/" + c.repo;
  const std::string what = c.file.empty() ? "the file list of " + c.repo : c.file + " of " + c.repo;
  const bool token = !c.token_source.empty();
  const std::string token_words = token ? "your token (from " + c.token_source + ")" : "";
  const std::string retried = c.retries ? " after " + std::to_string(c.retries) + (c.retries == 1 ? " retry" : " retries") : "";
  if (code == "RevisionNotFound")
    return c.repo + " has no revision '" + c.revision + "' at " + c.endpoint + " (" + status +
           "): check the branch, tag or commit name on " + page + "." + said;
  if (code == "EntryNotFound")
    return c.file + " is listed but missing from " + c.repo + " at revision " + c.revision + " (" + status + ")." + said;
  if (code == "GatedRepo") {
    if (token)
      return c.repo + " is gated and the account of " + token_words + " has no access to it yet (" + status +
             "): open " + page + ", ask for access with that account, and run the download again once it is granted." + said;
    return c.repo + " is gated (" + status + "): open " + page +
           ", accept its conditions, create an access token in your account settings, and set HF_TOKEN to it "
           "(or save it in the token file)." + said;
  }
  if (words == "Access to this resource is disabled.")
    return c.repo + " has been disabled on " + c.endpoint + " (" + status + "): it cannot be downloaded." + said;
  if (r.status == 401 && token && code != "RepoNotFound")
    return token_words + " is invalid (" + status + "): create a new one in your account settings and set HF_TOKEN "
           "to it, or download public models without one (--no-token)." + said;
  if (code == "RepoNotFound" || r.status == 401 || (r.status == 404 && c.file.empty())) {
    std::string m = c.repo + ": not found, or private or gated (" + status + "): check the name (ORG/NAME, as on its page at " +
                    page + "); ";
    m += token ? "if it is private or gated, make sure the account of " + token_words + " has access to it."
               : "if it is private or gated, sign in there, accept its conditions, and set HF_TOKEN to an access token.";
    return m + said;
  }
  if (r.status == 403)
    return "the server refused " + what + " (" + status + "): " +
           (token ? "make sure " + token_words + " may read this repository (a fine-grained token needs read access to it)."
                  : "it may need an access token: set HF_TOKEN.") + said;
  if (r.status == 404)
    return what + " was not found (" + status + ")." + said;
  if (r.status == 429)
    return "the server kept refusing requests for " + what + " as too many (" + status + ")" + retried +
           ": wait a few minutes and run the download again (what arrived is kept)" +
           (token ? "." : "; a token (HF_TOKEN) raises the limit.") + said;
  if (r.status >= 500)
    return "the server had a problem with " + what + " (" + status + ")" + retried +
           ": try again later; what arrived is kept and the next download resumes it." + said;
  if (r.status == 416)
    return "the server could not resume " + what + " (" + status + "): run the download again; it starts that file over." + said;
  return "the server answered " + status + " for " + what + "." + said;
}

}  // namespace es::hub_http
