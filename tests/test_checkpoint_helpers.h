// Helpers for the checkpoint tests: temporary folders and tiny checkpoints written on the spot.
#pragma once

#include "safetensors.h"
#include "test_errors.h"

#include <doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>
#include <unistd.h>

namespace es::testing {

// A fresh folder under the system temp dir, removed at the end of the scope.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("es_ckpt_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary);
  f << text;
}

// (rows, cols) values v[r][c] = base + r + c / 10, exactly as floats.
inline std::vector<float> ramp(long long rows, long long cols, float base = 0) {
  std::vector<float> v;
  for (long long r = 0; r < rows; ++r)
    for (long long c = 0; c < cols; ++c) v.push_back(base + static_cast<float>(r) + static_cast<float>(c) / 10.0f);
  return v;
}

inline SafetensorsWriteTensor table(const std::string& name, long long rows, long long cols, float base = 0,
                                    SafetensorsDtype dtype = SafetensorsDtype::F32) {
  const std::vector<float> v = ramp(rows, cols, base);
  return make_write_tensor(name, dtype, {rows, cols}, v);
}

inline SafetensorsWriteTensor vec(const std::string& name, std::vector<float> v) {
  const auto n = static_cast<int64_t>(v.size());
  return make_write_tensor(name, SafetensorsDtype::F32, {n}, v);
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace es::testing
