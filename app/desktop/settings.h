// Settings kept between runs: a small key=value file in the XDG config folder.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace es::ui {

class Settings {
 public:
  // $XDG_CONFIG_HOME/embedscope/settings.ini, else ~/.config/embedscope/settings.ini.
  static std::filesystem::path default_path();
  // A missing or unreadable file gives empty settings (first run); never throws.
  void load(const std::filesystem::path& path);
  // Returns an error message, or "" on success.
  std::string save(const std::filesystem::path& path) const;

  std::optional<std::string> get(const std::string& key) const;
  float get_float(const std::string& key, float fallback) const;
  int get_int(const std::string& key, int fallback) const;
  void set(const std::string& key, const std::string& value) { values_[key] = value; }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace es::ui
