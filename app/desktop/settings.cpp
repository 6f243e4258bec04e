#include "settings.h"
#include "user_dirs.h"

#include <cstdlib>
#include <fstream>

namespace es::ui {

std::filesystem::path Settings::default_path() {
  std::filesystem::path base;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) base = x;
  else base = es::home_dir() / ".config";
  return base / "embedscope" / "settings.ini";
}

// Values are single lines; newlines in the text are stored escaped as \n (and \ as \\).
static std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\\') out += "\\\\";
    else out += c;
  }
  return out;
}

static std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[i + 1] == 'n' ? '\n' : s[i + 1];
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

void Settings::load(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    values_[line.substr(0, eq)] = unescape(line.substr(eq + 1));
  }
}

std::string Settings::save(const std::filesystem::path& path) const {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) return "cannot write settings to " + tmp.string();
    out << "# embedscope settings (written by the program)\n";
    for (const auto& [k, v] : values_) out << k << '=' << escape(v) << '\n';
    if (!out) return "cannot write settings to " + tmp.string();
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return "cannot save settings to " + path.string() + ": " + ec.message();
  return "";
}

std::optional<std::string> Settings::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

float Settings::get_float(const std::string& key, float fallback) const {
  auto v = get(key);
  if (!v) return fallback;
  char* end = nullptr;
  float f = std::strtof(v->c_str(), &end);
  return (end && *end == '\0' && !v->empty()) ? f : fallback;
}

int Settings::get_int(const std::string& key, int fallback) const {
  auto v = get(key);
  if (!v) return fallback;
  char* end = nullptr;
  long x = std::strtol(v->c_str(), &end, 10);
  return (end && *end == '\0' && !v->empty()) ? static_cast<int>(x) : fallback;
}

}  // namespace es::ui
