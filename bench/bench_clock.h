// Clocks and memory of this process, for embedscope-bench (bench_main.cpp, bench_large.cpp).
#pragma once

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/resource.h>

namespace es::bench {

// Wall time, seconds (steady clock).
inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Process CPU time (user + system, all threads), seconds.
inline double cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// A kB field of /proc/self/status ("VmRSS", "VmHWM"), or -1.
inline long long status_kb(const std::string& field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field + ":", 0) == 0) return std::atoll(line.c_str() + field.size() + 1);
  return -1;
}

}  // namespace es::bench
