#pragma once
// The user's home folder, for the cache and config folders EmbedScope uses.

#include <filesystem>

namespace es {

// $HOME when it is set and not empty; otherwise the home folder the password database gives
// for this user (programs started by cron, systemd or `env -i` often have no HOME); otherwise
// the current folder, so that callers always get a usable path.
std::filesystem::path home_dir();

}  // namespace es
