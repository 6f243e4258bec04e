// The Hugging Face environment variables (hf_env.h).
#include "hf_env.h"

#include "user_dirs.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

namespace es {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultEndpoint = "https://huggingface.co";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

// A timeout in seconds; a value that is not a positive number keeps the default.
double seconds(const char* name, double fallback) {
  const std::string v = env(name);
  if (v.empty()) return fallback;
  char* end = nullptr;
  const double s = std::strtod(v.c_str(), &end);
  return end && *end == '\0' && s > 0 && s < 1e6 ? s : fallback;
}

}  // namespace

fs::path hf_expand_user(const std::string& path) {
  if (path == "~") return home_dir();
  if (path.rfind("~/", 0) == 0) return home_dir() / path.substr(2);
  return path;
}

bool hf_env_true(const char* name) {
  std::string v = env(name);
  for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

HfEnvironment hf_environment() {
  HfEnvironment e;
  const std::string xdg = env("XDG_CACHE_HOME");
  const fs::path cache_home = xdg.empty() ? home_dir() / ".cache" : hf_expand_user(xdg);
  const std::string home = env("HF_HOME");
  e.home = home.empty() ? cache_home / "huggingface" : hf_expand_user(home);
  std::string hub = env("HF_HUB_CACHE");
  if (hub.empty()) hub = env("HUGGINGFACE_HUB_CACHE");
  e.hub_cache = hub.empty() ? e.home / "hub" : hf_expand_user(hub);

  e.endpoint = env("HF_ENDPOINT");
  if (e.endpoint.empty()) e.endpoint = kDefaultEndpoint;
  while (!e.endpoint.empty() && e.endpoint.back() == '/') e.endpoint.pop_back();

  const std::string token_path = env("HF_TOKEN_PATH");
  e.token_path = token_path.empty() ? e.home / "token" : hf_expand_user(token_path);
  for (const char* name : {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"}) {
    const std::string t = trimmed(env(name));
    if (!t.empty()) {
      e.token = t;
      e.token_source = name;
      break;
    }
  }
  if (e.token.empty()) {
    std::ifstream in(e.token_path);
    std::string t;
    if (in && std::getline(in, t) && !trimmed(t).empty()) {
      e.token = trimmed(t);
      e.token_source = e.token_path.string();
    }
  }

  for (const char* name : {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"})
    if (!e.offline && hf_env_true(name)) {
      e.offline = true;
      e.offline_variable = name;
    }
  e.disable_symlinks = hf_env_true("HF_HUB_DISABLE_SYMLINKS");
  e.etag_timeout = seconds("HF_HUB_ETAG_TIMEOUT", 10);
  e.download_timeout = seconds("HF_HUB_DOWNLOAD_TIMEOUT", 10);
  return e;
}

}  // namespace es
