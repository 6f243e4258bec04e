#include "simd.h"

#include <atomic>
#include <cstdlib>
#include <string_view>

namespace es {

namespace {

SimdLevel parse_cap(const char* text) {
  if (!text) return SimdLevel::Avx512;
  const std::string_view s(text);
  if (s == "portable" || s == "scalar") return SimdLevel::Portable;
  if (s == "avx2") return SimdLevel::Avx2;
  return SimdLevel::Avx512;
}

std::atomic<int>& cap() {
  static std::atomic<int> c{static_cast<int>(parse_cap(std::getenv("ES_SIMD")))};
  return c;
}

}  // namespace

SimdLevel cpu_simd_level() {
  static const SimdLevel level = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) return SimdLevel::Avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::Avx2;
    return SimdLevel::Portable;
  }();
  return level;
}

SimdLevel simd_level() {
  const int c = cap().load(std::memory_order_relaxed);
  const int cpu = static_cast<int>(cpu_simd_level());
  return static_cast<SimdLevel>(c < cpu ? c : cpu);
}

void set_simd_cap(SimdLevel level) { cap().store(static_cast<int>(level), std::memory_order_relaxed); }

std::string simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::Avx512: return "avx512";
    case SimdLevel::Avx2: return "avx2";
    case SimdLevel::Portable: break;
  }
  return "portable";
}

std::string cpu_simd_flags() {
  __builtin_cpu_init();
  std::string out;
  auto add = [&](const char* name, bool on) {
    if (on) out += (out.empty() ? "" : " ") + std::string(name);
  };
  add("sse4.2", __builtin_cpu_supports("sse4.2"));
  add("avx", __builtin_cpu_supports("avx"));
  add("avx2", __builtin_cpu_supports("avx2"));
  add("fma", __builtin_cpu_supports("fma"));
  add("avx512f", __builtin_cpu_supports("avx512f"));
  add("avx512bw", __builtin_cpu_supports("avx512bw"));
  return out.empty() ? "none of sse4.2/avx/avx2/fma/avx512" : out;
}

}  // namespace es
