// TableView (table_view.h): widening BF16 / F16 rows to float, with SIMD where the CPU has it.
#include "table_view.h"

#include "safetensors.h"
#include "simd.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

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
      if (table.fd >= 0) {
        // From the file: ~1 MB of stored rows per pread (small reads cost more per byte), then
        // handed out a block at a time, F32 as read, BF16 / F16 widened.
        const long long span = std::max(block_rows, ((1LL << 20) / static_cast<long long>(std::max<std::size_t>(1, table.row_bytes()))) /
                                                        block_rows * block_rows);
        const long long have = std::min(span, e - b);
        std::vector<float> raw(static_cast<std::size_t>((have * static_cast<long long>(table.row_bytes()) + 3) / 4));
        std::vector<float> buffer(table.f32() ? 0 : static_cast<std::size_t>(std::min(block_rows, have) * table.cols));
        for (long long s = b; s < e; s += span) {
          const long long ms = std::min(span, e - s);
          const std::uint8_t* bytes = table.fetch_rows(s, ms, reinterpret_cast<std::uint8_t*>(raw.data()));
          for (long long r = s; r < s + ms; r += block_rows) {
            const long long m = std::min(block_rows, s + ms - r);
            const std::uint8_t* src = bytes + static_cast<std::size_t>(r - s) * table.row_bytes();
            if (table.f32()) {
              body(r, m, reinterpret_cast<const float*>(src));
            } else {
              fast::widen(src, table.type, static_cast<std::size_t>(m * table.cols), buffer.data());
              body(r, m, buffer.data());
            }
          }
        }
        return;
      }
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

const std::uint8_t* TableView::fetch_rows(long long first, long long count, std::uint8_t* buf) const {
  if (fd < 0 || count <= 0) return row_ptr(first);
  const std::size_t want = static_cast<std::size_t>(count) * row_bytes();
  const auto at = static_cast<off_t>(file_offset + static_cast<std::uint64_t>(first) * row_bytes());
  std::size_t got = 0;
  while (got < want) {
    const ssize_t n = ::pread(fd, buf + got, want - got, at + static_cast<off_t>(got));
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return row_ptr(first);  // the file changed or cannot be read: the mapping is the truth
    }
  }
  return buf;
}

void TableView::read_rows(long long first, long long count, float* out) const {
  const std::size_t values = static_cast<std::size_t>(count) * static_cast<std::size_t>(cols);
  if (fd >= 0 && count > 0) {
    if (type == ElementType::F32) {  // straight into out
      const std::uint8_t* src = fetch_rows(first, count, reinterpret_cast<std::uint8_t*>(out));
      if (src != reinterpret_cast<const std::uint8_t*>(out)) std::memcpy(out, src, values * sizeof(float));
      return;
    }
    // Two-byte rows: into the back half of out, then widened forwards (each float written
    // lies at or before the pair of bytes it comes from, which is read first).
    std::uint8_t* back = reinterpret_cast<std::uint8_t*>(out) + values * 2;
    const std::uint8_t* src = fetch_rows(first, count, back);
    if (src == back) {
      fast::widen(src, type, values, out);  // the SIMD paths load a vector before storing it
      return;
    }
  }
  fast::widen(row_ptr(first), type, values, out);
}

}  // namespace es

#pragma GCC diagnostic pop
