// SIMD kernels of the vocabulary search; see vocabulary_kernels.h.
//
// A neighbour query over GPT-2's table reads 50257 x 768 floats = 154 MB, which takes ~3.5 ms
// at this machine's memory bandwidth however fast the arithmetic is. The index therefore
// scans int8 codes of the unit rows (38.6 MB) with a proven error bound and rescores only the
// rows the bound cannot rule out (vocabulary.cpp).
#include "vocabulary_kernels.h"

#include "simd.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

// GCC 12's AVX-512 headers trip -Wuninitialized on their own "undefined" helper values.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

namespace es::fast {

namespace {

enum class Path { Avx512, Avx2, Scalar };

// The CPU's best path, capped by es::simd_level() ($ES_SIMD, tests, the benchmark).
Path cpu_path() {
  switch (simd_level()) {
    case SimdLevel::Avx512: return Path::Avx512;
    case SimdLevel::Avx2: return Path::Avx2;
    case SimdLevel::Portable: break;
  }
  return Path::Scalar;
}

double dot_scalar(const float* a, const float* b, std::size_t d) {
  double s = 0;
  for (std::size_t i = 0; i < d; ++i) s += double(a[i]) * double(b[i]);
  return s;
}

__attribute__((target("avx512f"))) double dot_avx512(const float* a, const float* b, std::size_t d) {
  __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd(), s2 = _mm512_setzero_pd(),
          s3 = _mm512_setzero_pd();
  std::size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    s0 = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm256_loadu_ps(a + i)), _mm512_cvtps_pd(_mm256_loadu_ps(b + i)), s0);
    s1 = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm256_loadu_ps(a + i + 8)), _mm512_cvtps_pd(_mm256_loadu_ps(b + i + 8)), s1);
    s2 = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm256_loadu_ps(a + i + 16)), _mm512_cvtps_pd(_mm256_loadu_ps(b + i + 16)), s2);
    s3 = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm256_loadu_ps(a + i + 24)), _mm512_cvtps_pd(_mm256_loadu_ps(b + i + 24)), s3);
  }
  for (; i + 8 <= d; i += 8)
    s0 = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm256_loadu_ps(a + i)), _mm512_cvtps_pd(_mm256_loadu_ps(b + i)), s0);
  double s = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)));
  for (; i < d; ++i) s += double(a[i]) * double(b[i]);
  return s;
}

__attribute__((target("avx2,fma"))) double dot_avx2(const float* a, const float* b, std::size_t d) {
  __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd(), s2 = _mm256_setzero_pd(),
          s3 = _mm256_setzero_pd();
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    s0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + i)), _mm256_cvtps_pd(_mm_loadu_ps(b + i)), s0);
    s1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + i + 4)), _mm256_cvtps_pd(_mm_loadu_ps(b + i + 4)), s1);
    s2 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + i + 8)), _mm256_cvtps_pd(_mm_loadu_ps(b + i + 8)), s2);
    s3 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + i + 12)), _mm256_cvtps_pd(_mm_loadu_ps(b + i + 12)), s3);
  }
  __m256d s = _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3));
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, s);
  double r = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < d; ++i) r += double(a[i]) * double(b[i]);
  return r;
}

// |a|^2 and a . q in one read of a, each summed exactly as dot_double sums it (the same
// lanes, the same order), so the scores equal those of two dot_double calls bit for bit. qd is
// q widened to double (exact), once per query.
void dot2_scalar(const float* a, const double* qd, std::size_t d, double* aa, double* aq) {
  double s = 0, t = 0;
  for (std::size_t i = 0; i < d; ++i) {
    s += double(a[i]) * double(a[i]);
    t += double(a[i]) * qd[i];
  }
  *aa = s;
  *aq = t;
}

__attribute__((target("avx512f"))) void dot2_avx512(const float* a, const double* qd, std::size_t d, double* aa,
                                                    double* aq) {
  __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd(), s2 = _mm512_setzero_pd(), s3 = _mm512_setzero_pd();
  __m512d t0 = _mm512_setzero_pd(), t1 = _mm512_setzero_pd(), t2 = _mm512_setzero_pd(), t3 = _mm512_setzero_pd();
  std::size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    const __m512d x0 = _mm512_cvtps_pd(_mm256_loadu_ps(a + i)), x1 = _mm512_cvtps_pd(_mm256_loadu_ps(a + i + 8)),
                  x2 = _mm512_cvtps_pd(_mm256_loadu_ps(a + i + 16)), x3 = _mm512_cvtps_pd(_mm256_loadu_ps(a + i + 24));
    s0 = _mm512_fmadd_pd(x0, x0, s0);
    s1 = _mm512_fmadd_pd(x1, x1, s1);
    s2 = _mm512_fmadd_pd(x2, x2, s2);
    s3 = _mm512_fmadd_pd(x3, x3, s3);
    t0 = _mm512_fmadd_pd(x0, _mm512_loadu_pd(qd + i), t0);
    t1 = _mm512_fmadd_pd(x1, _mm512_loadu_pd(qd + i + 8), t1);
    t2 = _mm512_fmadd_pd(x2, _mm512_loadu_pd(qd + i + 16), t2);
    t3 = _mm512_fmadd_pd(x3, _mm512_loadu_pd(qd + i + 24), t3);
  }
  for (; i + 8 <= d; i += 8) {
    const __m512d x0 = _mm512_cvtps_pd(_mm256_loadu_ps(a + i));
    s0 = _mm512_fmadd_pd(x0, x0, s0);
    t0 = _mm512_fmadd_pd(x0, _mm512_loadu_pd(qd + i), t0);
  }
  double s = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)));
  double t = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(t0, t1), _mm512_add_pd(t2, t3)));
  for (; i < d; ++i) {
    s += double(a[i]) * double(a[i]);
    t += double(a[i]) * qd[i];
  }
  *aa = s;
  *aq = t;
}

__attribute__((target("avx2,fma"))) void dot2_avx2(const float* a, const double* qd, std::size_t d, double* aa,
                                                   double* aq) {
  __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd(), s2 = _mm256_setzero_pd(), s3 = _mm256_setzero_pd();
  __m256d t0 = _mm256_setzero_pd(), t1 = _mm256_setzero_pd(), t2 = _mm256_setzero_pd(), t3 = _mm256_setzero_pd();
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    const __m256d x0 = _mm256_cvtps_pd(_mm_loadu_ps(a + i)), x1 = _mm256_cvtps_pd(_mm_loadu_ps(a + i + 4)),
                  x2 = _mm256_cvtps_pd(_mm_loadu_ps(a + i + 8)), x3 = _mm256_cvtps_pd(_mm_loadu_ps(a + i + 12));
    s0 = _mm256_fmadd_pd(x0, x0, s0);
    s1 = _mm256_fmadd_pd(x1, x1, s1);
    s2 = _mm256_fmadd_pd(x2, x2, s2);
    s3 = _mm256_fmadd_pd(x3, x3, s3);
    t0 = _mm256_fmadd_pd(x0, _mm256_loadu_pd(qd + i), t0);
    t1 = _mm256_fmadd_pd(x1, _mm256_loadu_pd(qd + i + 4), t1);
    t2 = _mm256_fmadd_pd(x2, _mm256_loadu_pd(qd + i + 8), t2);
    t3 = _mm256_fmadd_pd(x3, _mm256_loadu_pd(qd + i + 12), t3);
  }
  alignas(32) double ls[4], lt[4];
  _mm256_store_pd(ls, _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)));
  _mm256_store_pd(lt, _mm256_add_pd(_mm256_add_pd(t0, t1), _mm256_add_pd(t2, t3)));
  double s = (ls[0] + ls[1]) + (ls[2] + ls[3]), t = (lt[0] + lt[1]) + (lt[2] + lt[3]);
  for (; i < d; ++i) {
    s += double(a[i]) * double(a[i]);
    t += double(a[i]) * qd[i];
  }
  *aa = s;
  *aq = t;
}

// sum_i c[i] * q[i] in integers. The SIMD paths multiply int16 pairs into int32 lanes
// (vpmaddwd); a lane takes two products of at most 127 * 16383 per step, so chunks of 8,192
// columns keep every lane under 2^31 before it is added into the int64 total.
constexpr std::size_t kIntChunk = 8192;

std::int64_t idot_scalar(const std::int8_t* c, const std::int16_t* q, std::size_t d) {
  std::int64_t s = 0;
  for (std::size_t i = 0; i < d; ++i) s += std::int64_t(c[i]) * q[i];
  return s;
}

__attribute__((target("avx512f,avx512bw"))) std::int64_t idot_avx512(const std::int8_t* c, const std::int16_t* q,
                                                                      std::size_t d) {
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i + 32 <= d) {
    const std::size_t end = std::min(d, i + kIntChunk);
    __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();
    for (; i + 64 <= end; i += 64) {
      const __m512i v = _mm512_loadu_si512(c + i);
      a0 = _mm512_add_epi32(a0, _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm512_castsi512_si256(v)), _mm512_loadu_si512(q + i)));
      a1 = _mm512_add_epi32(a1, _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64(v, 1)),
                                                   _mm512_loadu_si512(q + i + 32)));
    }
    for (; i + 32 <= end; i += 32)
      a0 = _mm512_add_epi32(a0, _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + i))),
                                                   _mm512_loadu_si512(q + i)));
    // Each lane is under 2^31 and so is their sum of 16 halves: widen before adding them.
    total += _mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(a0)),
                                                      _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(a0, 1))));
    total += _mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(a1)),
                                                      _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(a1, 1))));
  }
  return total + idot_scalar(c + i, q + i, d - i);
}

__attribute__((target("avx2"))) std::int64_t idot_avx2(const std::int8_t* c, const std::int16_t* q, std::size_t d) {
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i + 16 <= d) {
    const std::size_t end = std::min(d, i + kIntChunk);
    __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
    for (; i + 32 <= end; i += 32) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + i));
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(v)),
                                                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i))));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1)),
                                                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i + 16))));
    }
    for (; i + 16 <= end; i += 16)
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c + i))),
                                                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i))));
    alignas(32) std::int32_t lanes[16];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), a0);
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes + 8), a1);
    for (std::int32_t l : lanes) total += l;
  }
  return total + idot_scalar(c + i, q + i, d - i);
}

// max |x_i| and the codes round(clamp(x_i * inv, -127, 127)) (nearest even, as the scalar
// loop's 1.5 * 2^23 trick rounds) of one row.
__attribute__((target("avx512f"))) float maxabs_avx512(const float* x, std::size_t d) {
  __m512 m = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
  float r = _mm512_reduce_max_ps(m);
  for (; i < d; ++i) r = std::max(r, std::abs(x[i]));
  return r;
}
__attribute__((target("avx512f"))) std::size_t quantize_avx512(const float* x, std::size_t d, float inv, std::int8_t* code) {
  const __m512 s = _mm512_set1_ps(inv), hi = _mm512_set1_ps(127.0f), lo = _mm512_set1_ps(-127.0f);
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    const __m512 v = _mm512_max_ps(lo, _mm512_min_ps(hi, _mm512_mul_ps(_mm512_loadu_ps(x + i), s)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(code + i), _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(v)));
  }
  return i;
}
__attribute__((target("avx2,fma"))) float maxabs_avx2(const float* x, std::size_t d) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float r = 0;
  for (float l : lanes) r = std::max(r, l);
  for (; i < d; ++i) r = std::max(r, std::abs(x[i]));
  return r;
}
__attribute__((target("avx2,fma"))) std::size_t quantize_avx2(const float* x, std::size_t d, float inv, std::int8_t* code) {
  const __m256 s = _mm256_set1_ps(inv), hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-127.0f);
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    const __m256 v = _mm256_max_ps(lo, _mm256_min_ps(hi, _mm256_mul_ps(_mm256_loadu_ps(x + i), s)));
    const __m256i q = _mm256_cvtps_epi32(v);  // in [-127, 127]: the packs below cannot saturate
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(code + i), _mm_packs_epi16(w, w));
  }
  return i;
}

// Runs body(r0, r1) over [0, n) on up to `threads` threads (this one included).
template <class Body>
void parallel_rows(std::size_t n, int threads, std::size_t min_rows_per_thread, Body body) {
  if (threads < 2 || n < 2 * min_rows_per_thread) {
    body(std::size_t(0), n);
    return;
  }
  const std::size_t half = n / 2;
  std::thread worker([&] { body(half, n); });
  body(std::size_t(0), half);
  worker.join();
}

}  // namespace

std::string search_kernel_name() {
  switch (cpu_path()) {
    case Path::Avx512: return "avx512";
    case Path::Avx2: return "avx2";
    default: return "scalar";
  }
}

double dot_double(const float* a, const float* b, std::size_t d) {
  switch (cpu_path()) {
    case Path::Avx512: return dot_avx512(a, b, d);
    case Path::Avx2: return dot_avx2(a, b, d);
    default: return dot_scalar(a, b, d);
  }
}

void exact_cosines(const float* x, std::size_t n, std::size_t d, const double* qd, double qnorm,
                   double* out, int threads) {
  const Path path = cpu_path();
  parallel_rows(n, threads, 4096, [&](std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r) {
      const float* row = x + r * d;
      double n2 = 0, dot = 0;  // = dot_double(row, row, d) and dot_double(row, q, d), bit for bit
      if (path == Path::Avx512) dot2_avx512(row, qd, d, &n2, &dot);
      else if (path == Path::Avx2) dot2_avx2(row, qd, d, &n2, &dot);
      else dot2_scalar(row, qd, d, &n2, &dot);
      out[r] = (n2 > 0 && std::isfinite(n2)) ? dot / (std::sqrt(n2) * qnorm)
                                             : std::numeric_limits<double>::quiet_NaN();
    }
  });
}

void build_codes(const float* x, std::size_t n, std::size_t d, std::int8_t* codes, float* scales,
                 double* norms, std::uint32_t* code_l1, int threads) {
  parallel_rows(n, threads, 1024, [&](std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r) {
      const float* row = x + r * d;
      std::int8_t* code = codes + r * d;
      const double n2 = dot_double(row, row, d);
      const double nr = std::sqrt(n2);
      norms[r] = nr;
      if (!(n2 > 0) || !std::isfinite(n2)) {
        scales[r] = 0;
        code_l1[r] = 0;
        std::fill(code, code + d, std::int8_t(0));
        continue;
      }
      const Path path = cpu_path();
      const float maxabs = path == Path::Avx512 ? maxabs_avx512(row, d)
                           : path == Path::Avx2 ? maxabs_avx2(row, d)
                                                : [&] {
                                                    float m = 0;
                                                    for (std::size_t i = 0; i < d; ++i) m = std::max(m, std::abs(row[i]));
                                                    return m;
                                                  }();
      const double scale = double(maxabs) / nr / 127.0;  // of the unit row
      scales[r] = static_cast<float>(scale);
      // |row[i] * inv - code| <= 0.5 + ~3e-5 (float products and the clamp at +-127), which the
      // search's bound allows for with its (1 + 1e-3) factor.
      const float inv = static_cast<float>(1.0 / (nr * double(scales[r])));
      std::size_t i = path == Path::Avx512 ? quantize_avx512(row, d, inv, code)
                      : path == Path::Avx2 ? quantize_avx2(row, d, inv, code)
                                           : 0;
      constexpr float kRound = 12582912.0f;  // adding and subtracting 1.5 * 2^23 rounds to nearest even
      for (; i < d; ++i) {
        float v = row[i] * inv;
        v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
        code[i] = static_cast<std::int8_t>(static_cast<int>((v + kRound) - kRound));
      }
      std::uint32_t l1 = 0;  // the row is in cache; at most 127 * d
      for (std::size_t j = 0; j < d; ++j) l1 += static_cast<std::uint32_t>(code[j] < 0 ? -code[j] : code[j]);
      code_l1[r] = l1;
    }
  });
}

double quantize_query(const float* qhat, std::size_t d, std::int16_t* qcodes, double* max_err) {
  double m = 0;
  for (std::size_t i = 0; i < d; ++i) m = std::max(m, std::abs(double(qhat[i])));
  *max_err = 0;
  if (!(m > 0) || !std::isfinite(m)) {
    std::fill(qcodes, qcodes + d, std::int16_t(0));
    *max_err = m;
    return 0;
  }
  const double qscale = m / 16383.0;
  for (std::size_t i = 0; i < d; ++i) {
    const double v = std::clamp(std::nearbyint(double(qhat[i]) / qscale), -16383.0, 16383.0);
    qcodes[i] = static_cast<std::int16_t>(v);
    *max_err = std::max(*max_err, std::abs(double(qhat[i]) - qscale * v));
  }
  return qscale;
}

void approx_scores(const std::int8_t* codes, const float* scales, std::size_t n, std::size_t d,
                   const std::int16_t* qcodes, double qscale, float* approx, int threads) {
  const Path p = cpu_path();
  parallel_rows(n, threads, 8192, [&](std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r) {
      const std::int8_t* c = codes + r * d;
      const std::int64_t s = p == Path::Avx512 ? idot_avx512(c, qcodes, d)
                             : p == Path::Avx2 ? idot_avx2(c, qcodes, d)
                                               : idot_scalar(c, qcodes, d);
      approx[r] = static_cast<float>(double(scales[r]) * qscale * double(s));
    }
  });
}

}  // namespace es::fast

#pragma GCC diagnostic pop
