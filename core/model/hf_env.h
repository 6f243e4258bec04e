// The Hugging Face environment variables, read the way the Python client (huggingface_hub)
// reads them, so that EmbedScope and a user's Python tools share one cache, one token and one
// mirror. Every path has a leading "~" expanded.
//
//   HF_HOME                 $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface
//   HF_HUB_CACHE            else HUGGINGFACE_HUB_CACHE (the older name), else $HF_HOME/hub
//   HF_ENDPOINT             a mirror (may carry a path prefix: https://host/prefix)
//   HF_TOKEN                else HUGGING_FACE_HUB_TOKEN (the older name), else the token file
//   HF_TOKEN_PATH           the token file, else $HF_HOME/token
//   HF_HUB_OFFLINE          1/ON/YES/TRUE (any case): no network at all; only what is cached
//                           (TRANSFORMERS_OFFLINE counts too, as in the Python client)
//   HF_HUB_DISABLE_SYMLINKS 1/ON/YES/TRUE: snapshot files are copies, never symlinks
//   HF_HUB_ETAG_TIMEOUT     seconds a metadata request may take (default 10)
//   HF_HUB_DOWNLOAD_TIMEOUT seconds a download may go without a byte (default 10)
#pragma once

#include <filesystem>
#include <string>

namespace es {

struct HfEnvironment {
  std::filesystem::path home;        // HF_HOME
  std::filesystem::path hub_cache;   // where models live
  std::string endpoint;              // without a trailing '/'
  std::string token;                 // "" when none
  std::string token_source;          // "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", the token file's path, or ""
  std::filesystem::path token_path;  // the token file looked at
  bool offline = false;
  std::string offline_variable;      // which variable made it offline
  bool disable_symlinks = false;
  double etag_timeout = 10;          // seconds
  double download_timeout = 10;      // seconds
};

// The environment as it is now (read each call; cheap).
HfEnvironment hf_environment();

// "~" and "~/x" expanded to the home folder; anything else unchanged.
std::filesystem::path hf_expand_user(const std::string& path);

// The Python client's reading of a boolean variable: 1, ON, YES, TRUE in any case.
bool hf_env_true(const char* name);

}  // namespace es
