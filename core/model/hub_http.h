// The HTTP side of hub downloads (hub_download.cpp): one request through libcurl, retries with
// backoff, relative redirects resolved as RFC 3986 says, and the hub's answers (status,
// X-Error-Code, X-Error-Message) turned into messages a user can act on. Internal to core.
#pragma once

#include "hub_download.h"

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace es::hub_http {

// Spaces, tabs and line ends off both ends; ASCII lower case.
std::string trim(std::string s);
std::string lower(std::string s);

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, last value wins
  std::string body;                            // for small answers
  CURLcode code = CURLE_OK;
  std::string curl_error;
  bool restarted = false;  // a Range request answered 200: the file was emptied and refilled
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

enum class Method { Get, Head };

// One transfer's state, shared with libcurl's callbacks.
struct Transfer {
  const HubDownloadOptions* opt = nullptr;
  std::string token;                 // sent as "Authorization: Bearer ..." (never to another host)
  double metadata_seconds = 10;      // a whole metadata request (HF_HUB_ETAG_TIMEOUT)
  double stall_seconds = 10;         // a download without a byte (HF_HUB_DOWNLOAD_TIMEOUT)
  // Download into a file.
  std::FILE* out = nullptr;
  int write_errno = 0;
  std::uint64_t written = 0;         // bytes of this request's body in the file
  bool ranged = false;               // this request asked for a Range
  std::uint64_t resumed = 0;         // bytes in the file before this request
  // Progress.
  HubProgress* progress = nullptr;
  std::uint64_t base_done = 0;       // bytes of earlier files (and of the resumed part)
  std::chrono::steady_clock::time_point last_report{};
  std::vector<std::pair<double, std::uint64_t>> samples;  // (seconds, done) for the rate
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  Response* response = nullptr;
  long status_seen = 0;              // of the response whose headers came last
  bool cancelled = false;
};

// GET or HEAD of `url`. A GET with t.out set writes the body there (Range from `resume_from`
// when it is > 0; a 200 answer to it empties the file first and streams on); else the body
// goes into Response::body (at most 64 MB).
Response request(Transfer& t, const std::string& url, Method method, bool follow, std::uint64_t resume_from = 0);

// `location` (a redirect's Location header) against the URL it answered: absolute URLs stay,
// "/path" keeps the scheme and host, "path" replaces the last segment. "" when unreadable.
std::string resolve_url(const std::string& base, const std::string& location);

// What a failed transfer (curl error) means, in words a user can act on.
std::string network_problem(const Response& r, const std::string& what, const Transfer& t);

// Whether trying again may help: HTTP 429, 500, 502, 503, 504, or a connection that broke or
// went quiet. `body` also counts a connection refused (the server answered a moment ago).
bool worth_retrying(const Response& r, bool body);
// Seconds to wait before attempt `attempt` (1 = the first retry): the server's Retry-After
// when it gives one (at most 60), else base, 2 base, 4 base, 8 base, 8 base ...
double retry_wait(const Response& r, int attempt, double base);

// What an HTTP error answer means for the user: the hub's X-Error-Code first (RepoNotFound,
// GatedRepo, RevisionNotFound, EntryNotFound), its X-Error-Message shown, then the status.
struct ErrorContext {
  std::string repo, revision, file;  // file "" for the revision listing
  std::string endpoint;
  std::string token_source;          // "" when no token was sent
  int retries = 0;                   // how often the request was retried before this answer
};
std::string hub_error_message(const Response& r, const ErrorContext& c);

}  // namespace es::hub_http
