// TableView (table_view.h): widening BF16 / F16 rows to float, with SIMD where the CPU has it.
#include "table_view.h"

#include "safetensors.h"
#include "simd.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <cpuid.h>
#include <immintrin.h>

namespace es {

namespace {

// BF16 is the top half of a float: a zero-extension and a shift.
__attribute__((target("avx512f"))) std::size_t bf16_avx512(const std::uint16_t* s, std::size_t n, float* d) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i)));
    _mm512_storeu_ps(d + i, _mm512_castsi512_ps(_mm512_slli_epi32(v, 16)));
  }
  return i;
}
__attribute__((target("avx2"))) std::size_t bf16_avx2(const std::uint16_t* s, std::size_t n, float* d) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)));
    _mm256_storeu_ps(d + i, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
  }
  return i;
}
// F16: the hardware conversion (F16C; part of AVX-512F for 512-bit vectors), exact for every
// value including subnormals and infinities; a NaN stays a NaN (signalling ones come out quiet).
__attribute__((target("avx512f"))) std::size_t f16_avx512(const std::uint16_t* s, std::size_t n, float* d) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(d + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i))));
  return i;
}
__attribute__((target("avx2,f16c"))) std::size_t f16_avx2(const std::uint16_t* s, std::size_t n, float* d) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(d + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))));
  return i;
}

bool has_f16c() {
  static const bool yes = [] {  // CPUID leaf 1, ECX bit 29 (GCC and Clang name the feature differently)
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & (1u << 29)) != 0;
  }();
  return yes;
}

}  // namespace

std::string element_type_name(ElementType type) {
  switch (type) {
    case ElementType::F32: return "F32";
    case ElementType::BF16: return "BF16";
    case ElementType::F16: return "F16";
  }
  return "?";
}

namespace fast {

void widen(const void* src, ElementType type, std::size_t count, float* dst) {
  if (type == ElementType::F32) {
    std::memcpy(dst, src, count * sizeof(float));
    return;
  }
  const auto* s = static_cast<const std::uint16_t*>(src);  // 2-byte aligned (checked where views are made)
  const SimdLevel level = simd_level();
  std::size_t i = 0;
  if (type == ElementType::BF16) {
    if (level == SimdLevel::Avx512) i = bf16_avx512(s, count, dst);
    else if (level == SimdLevel::Avx2) i = bf16_avx2(s, count, dst);
    for (; i < count; ++i) dst[i] = bf16_bits_to_float(s[i]);
  } else {
    if (level == SimdLevel::Avx512) i = f16_avx512(s, count, dst);
    else if (level == SimdLevel::Avx2 && has_f16c()) i = f16_avx2(s, count, dst);
    for (; i < count; ++i) dst[i] = f16_bits_to_float(s[i]);
  }
}

}  // namespace fast

void for_each_row_block(const TableView& table, long long block_rows, int threads,
                        const std::function<void(long long, long long, const float*)>& body) {
  const long long n = table.rows;
  if (n <= 0) return;
  block_rows = std::max(1LL, block_rows);
  threads = static_cast<int>(std::clamp<long long>(threads, 1, (n + block_rows - 1) / block_rows));
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto range = [&](long long b, long long e) {
    try {
      std::vector<float> buffer(table.f32() ? 0 : static_cast<std::size_t>(std::min(block_rows, e - b) * table.cols));
      for (long long r = b; r < e; r += block_rows) {
        const long long m = std::min(block_rows, e - r);
        const float* rows = table.f32() ? table.f32() + r * table.cols : buffer.data();
        if (!table.f32()) table.read_rows(r, m, buffer.data());
        body(r, m, rows);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
    }
  };
  const long long chunk = (n + threads - 1) / threads;
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    const long long b = t * chunk, e = std::min(n, b + chunk);
    if (b < e) pool.emplace_back(range, b, e);
  }
  range(0, std::min(n, chunk));
  for (std::thread& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

void TableView::read_rows(long long first, long long count, float* out) const {
  fast::widen(row_ptr(first), type, static_cast<std::size_t>(count) * static_cast<std::size_t>(cols), out);
}

}  // namespace es

#pragma GCC diagnostic pop
