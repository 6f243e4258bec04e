// Covariance kernel and LAPACK eigensolver calls behind fit_pca (see pca_fast.h).
//
// The covariance of GPT-2's token table (50257 x 768) is ~1.5e10 multiply-adds: the kernel
// decides most of the PCA time. The default build is portable x86-64, so the AVX-512 and
// AVX2 + FMA kernels are compiled with function target attributes and chosen at run time
// (es::simd_level()); other CPUs use OpenBLAS's SSYRK. Both SIMD kernels work on blocks of 256
// rows, shifted by the column means estimate, products in float, sums added into double per
// block. AVX-512 packs a block in panels of 48 columns and multiplies 8 x 48 tiles (24 zmm
// accumulators). AVX2 multiplies 4 x 24 tiles (12 ymm accumulators, which with 3 loads and a
// broadcast fill the 16 ymm registers) from 4-row A micro-panels and 24-column B micro-panels,
// packed four rows at a time, with the next block prefetched during the multiply and each
// tile's C lines prefetched before its loop; it sums into column strips of C (struct Strips).
#include "pca_fast.h"

#include "simd.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

// GCC 12's AVX-512 headers trip -Wuninitialized on their own "undefined" helper values.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

extern "C" {
// LAPACK (Fortran interface, provided by OpenBLAS).
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info);
void ssyevr_(const char* jobz, const char* range, const char* uplo, const int* n, float* a,
             const int* lda, const float* vl, const float* vu, const int* il, const int* iu,
             const float* abstol, int* m, float* w, float* z, const int* ldz, int* isuppz,
             float* work, const int* lwork, int* iwork, const int* liwork, int* info);
void ssytrd_(const char* uplo, const int* n, float* a, const int* lda, float* d, float* e, float* tau,
             float* work, const int* lwork, int* info);
void sstedc_(const char* compz, const int* n, float* d, float* e, float* z, const int* ldz, float* work,
             const int* lwork, int* iwork, const int* liwork, int* info);
void slarft_(const char* direct, const char* storev, const int* n, const int* k, const float* v,
             const int* ldv, const float* tau, float* t, const int* ldt);
void slarfb_(const char* side, const char* trans, const char* direct, const char* storev, const int* m,
             const int* n, const int* k, const float* v, const int* ldv, const float* t, const int* ldt,
             float* c, const int* ldc, float* work, const int* ldwork);
void openblas_set_num_threads(int num_threads);
}

namespace es::fast {

namespace {

constexpr std::size_t kBlockRows = 256;  // rows summed in float before adding into double
constexpr std::size_t kPanel = 48;       // packed panel width: 3 AVX-512 vectors
constexpr std::size_t kTile = 8;         // rows of C per micro-kernel call
// AVX2 micro-panel strides in floats: a panel's rows plus one cache line, so that the packer's
// stores for one table row (one per micro-panel) do not all fall into one L1 set.
constexpr std::size_t kAStride = kBlockRows * 4 + 16;
constexpr std::size_t kBStride = kBlockRows * 24 + 16;

bool g_force_portable = false;

// Packs rows [r0, r0 + rb) minus shift into panels: pack[p][r][c] = x[r0 + r][48p + c] - shift,
// zero past d. Adds the column sums of the shifted rows to colsum.
void pack_block(const float* x, std::size_t d, std::size_t r0, std::size_t rb, const float* shift,
                float* pack, double* colsum, float* colsum_f) {
  const std::size_t panels = (d + kPanel - 1) / kPanel;
  std::fill(colsum_f, colsum_f + d, 0.0f);
  for (std::size_t r = 0; r < rb; ++r) {
    const float* src = x + (r0 + r) * d;
    for (std::size_t p = 0; p < panels; ++p) {
      float* dst = pack + (p * kBlockRows + r) * kPanel;
      const std::size_t c0 = p * kPanel, cn = std::min(kPanel, d - c0);
      for (std::size_t c = 0; c < cn; ++c) {
        float v = src[c0 + c] - shift[c0 + c];
        dst[c] = v;
        colsum_f[c0 + c] += v;
      }
      for (std::size_t c = cn; c < kPanel; ++c) dst[c] = 0.0f;
    }
  }
  for (std::size_t j = 0; j < d; ++j) colsum[j] += colsum_f[j];
}

// AVX2 packing of rows [r0, r0 + rb) minus shift straight from the table (one pass, no
// intermediate block): apack[s][r][4] holds columns 4s .. 4s + 3 (the A micro-panels, stride
// kAStride), bpack[t][r][24] columns 24t .. 24t + 23 (the B micro-panels, stride kBStride),
// zero past d and, up to the next multiple of 4, past rb. `width` is a multiple of 48. Four rows
// at a time, so that every A store fills a whole cache line (one line per row and micro-panel
// made the packer store-bound: 14 ms of GPT-2's covariance). Adds the column sums to colsum.
__attribute__((target("avx2,fma"))) void pack_block_avx2(const float* x, std::size_t d, std::size_t r0,
                                                         std::size_t rb, const float* shift, std::size_t width,
                                                         float* apack, float* bpack, float* rows4,
                                                         float* colsum_f, double* colsum) {
  std::fill(colsum_f, colsum_f + width, 0.0f);
  const std::size_t dv = d / 8 * 8;
  for (std::size_t r = 0; r < rb; r += 4) {
    // rows4[m][width]: row r + m shifted, zero-padded; zero rows past rb.
    for (std::size_t m = 0; m < 4; ++m) {
      float* row = rows4 + m * width;
      if (r + m >= rb) {
        std::fill(row, row + width, 0.0f);
        continue;
      }
      const float* src = x + (r0 + r + m) * d;
      for (std::size_t c = 0; c < dv; c += 8) {
        const __m256 v = _mm256_sub_ps(_mm256_loadu_ps(src + c), _mm256_loadu_ps(shift + c));
        _mm256_storeu_ps(row + c, v);
        _mm256_storeu_ps(colsum_f + c, _mm256_add_ps(_mm256_loadu_ps(colsum_f + c), v));
      }
      for (std::size_t c = dv; c < d; ++c) {
        row[c] = src[c] - shift[c];
        colsum_f[c] += row[c];
      }
      std::fill(row + d, row + width, 0.0f);
    }
    for (std::size_t c = 0; c < width; c += 8) {
      const __m256 v0 = _mm256_loadu_ps(rows4 + c), v1 = _mm256_loadu_ps(rows4 + width + c);
      const __m256 v2 = _mm256_loadu_ps(rows4 + 2 * width + c), v3 = _mm256_loadu_ps(rows4 + 3 * width + c);
      float* b = bpack + (c / 24) * kBStride + r * 24 + c % 24;
      _mm256_storeu_ps(b, v0), _mm256_storeu_ps(b + 24, v1), _mm256_storeu_ps(b + 48, v2), _mm256_storeu_ps(b + 72, v3);
      float* a0 = apack + (c / 4) * kAStride + r * 4;  // columns c .. c + 3 of the four rows
      float* a1 = a0 + kAStride;                      // columns c + 4 .. c + 7
      _mm256_storeu_ps(a0, _mm256_permute2f128_ps(v0, v1, 0x20));
      _mm256_storeu_ps(a0 + 8, _mm256_permute2f128_ps(v2, v3, 0x20));
      _mm256_storeu_ps(a1, _mm256_permute2f128_ps(v0, v1, 0x31));
      _mm256_storeu_ps(a1 + 8, _mm256_permute2f128_ps(v2, v3, 0x31));
    }
  }
  for (std::size_t j = 0; j < d; ++j) colsum[j] += colsum_f[j];
}

// C[i0 + m][j0 + c] += sum_r A[r][m] * B[r][c] for m < 8, c < 48; A and B are packed panels
// (row stride 48). Float accumulators in registers, added to C in double.
__attribute__((target("avx512f"))) void micro_8x48(const float* A, const float* B, std::size_t kc,
                                                   double* C, std::size_t ldc, std::size_t mrows,
                                                   std::size_t ncols) {
  __m512 acc[kTile][3];
  for (std::size_t m = 0; m < kTile; ++m)
    for (int t = 0; t < 3; ++t) acc[m][t] = _mm512_setzero_ps();
  for (std::size_t r = 0; r < kc; ++r) {
    const float* b = B + r * kPanel;
    const float* a = A + r * kPanel;
    __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16), b2 = _mm512_loadu_ps(b + 32);
#pragma GCC unroll 8
    for (std::size_t m = 0; m < kTile; ++m) {
      __m512 av = _mm512_set1_ps(a[m]);
      acc[m][0] = _mm512_fmadd_ps(av, b0, acc[m][0]);
      acc[m][1] = _mm512_fmadd_ps(av, b1, acc[m][1]);
      acc[m][2] = _mm512_fmadd_ps(av, b2, acc[m][2]);
    }
  }
  if (ncols == kPanel) {
    for (std::size_t m = 0; m < mrows; ++m) {
      double* c = C + m * ldc;
      for (int t = 0; t < 3; ++t) {
        __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(acc[m][t]));
        __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[m][t]), 1)));
        _mm512_storeu_pd(c + 16 * t, _mm512_add_pd(_mm512_loadu_pd(c + 16 * t), lo));
        _mm512_storeu_pd(c + 16 * t + 8, _mm512_add_pd(_mm512_loadu_pd(c + 16 * t + 8), hi));
      }
    }
  } else {
    alignas(64) float tmp[kPanel];
    for (std::size_t m = 0; m < mrows; ++m) {
      for (int t = 0; t < 3; ++t) _mm512_store_ps(tmp + 16 * t, acc[m][t]);
      for (std::size_t c = 0; c < ncols; ++c) C[m * ldc + c] += tmp[c];
    }
  }
}

// C[m][c] += sum_r A[r][m] * B[r][c] for m < 4, c < 24 (rows of stride ldc); B packed with row
// stride 48, A with row stride lda (4: the micro-panels of scatter_simd_range, so one cache
// line of A serves four rows). Float accumulators, added to C in double.
__attribute__((target("avx2,fma"))) void micro_4x24(const float* A, std::size_t lda, const float* B, std::size_t ldb, std::size_t kc,
                                                    double* C, std::size_t ldc, std::size_t mrows, std::size_t ncols) {
  // Twelve named accumulators: an array indexed after the loop would live on the stack, and
  // GCC then stores every accumulator on every row (a third of the speed).
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  __m256 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  // C's lines are wanted only at the end: asking for them now hides their latency behind the
  // loop (measured: 84% -> 97% of the FMA peak once A streams from L2 as well).
  for (std::size_t m = 0; m < mrows; ++m)
    for (std::size_t t = 0; t < ncols; t += 8) _mm_prefetch(reinterpret_cast<const char*>(C + m * ldc + t), _MM_HINT_T0);
#pragma GCC unroll 2
  for (std::size_t r = 0; r < kc; ++r) {
    const float* b = B + r * ldb;
    const float* a = A + r * lda;
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), b2 = _mm256_loadu_ps(b + 16);
    __m256 av = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(av, b0, c00), c01 = _mm256_fmadd_ps(av, b1, c01), c02 = _mm256_fmadd_ps(av, b2, c02);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10), c11 = _mm256_fmadd_ps(av, b1, c11), c12 = _mm256_fmadd_ps(av, b2, c12);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20), c21 = _mm256_fmadd_ps(av, b1, c21), c22 = _mm256_fmadd_ps(av, b2, c22);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30), c31 = _mm256_fmadd_ps(av, b1, c31), c32 = _mm256_fmadd_ps(av, b2, c32);
  }
  alignas(32) float tmp[4][24];
  _mm256_store_ps(tmp[0], c00), _mm256_store_ps(tmp[0] + 8, c01), _mm256_store_ps(tmp[0] + 16, c02);
  _mm256_store_ps(tmp[1], c10), _mm256_store_ps(tmp[1] + 8, c11), _mm256_store_ps(tmp[1] + 16, c12);
  _mm256_store_ps(tmp[2], c20), _mm256_store_ps(tmp[2] + 8, c21), _mm256_store_ps(tmp[2] + 16, c22);
  _mm256_store_ps(tmp[3], c30), _mm256_store_ps(tmp[3] + 8, c31), _mm256_store_ps(tmp[3] + 16, c32);
  for (std::size_t m = 0; m < mrows; ++m) {
    double* c = C + m * ldc;
    if (ncols == 24) {
      for (int t = 0; t < 24; t += 4)
        _mm256_storeu_pd(c + t, _mm256_add_pd(_mm256_loadu_pd(c + t), _mm256_cvtps_pd(_mm_load_ps(tmp[m] + t))));
    } else {
      for (std::size_t j = 0; j < ncols; ++j) c[j] += tmp[m][j];
    }
  }
}

// AVX2 sums live in column strips of C, 24 columns each, stored tile after tile:
// strip t holds rows 0 .. min(d, 24 t + 24) - 1 (the rows that reach its upper triangle) as
// [row][24] doubles. Consecutive tiles are then consecutive in memory, which the prefetcher
// streams (C's own rows are 6 KB apart), and the strips hold only the upper triangle (2.4 MB
// for GPT-2 rather than 4.7).
struct Strips {
  std::size_t d = 0, count = 0;
  std::vector<std::size_t> offset;  // (count + 1) offsets in doubles
  Strips(std::size_t d_) : d(d_), count((d_ + 23) / 24), offset(count + 1, 0) {
    for (std::size_t t = 0; t < count; ++t) offset[t + 1] = offset[t] + rows(t) * 24;
  }
  std::size_t rows(std::size_t t) const { return std::min(d, 24 * t + 24); }
  std::size_t size() const { return offset[count]; }
};

// Rows [r0, r1) into the strips cs (AVX2, 4 x 24 tiles).
void scatter_avx2_range(const float* x, std::size_t d, std::size_t r0, std::size_t r1, const float* shift,
                        const Strips& strips, double* cs, double* colsum) {
  // A in 4-row micro-panels and B in 24-column micro-panels, each contiguous, so one B
  // micro-panel (256 x 24 floats, 24 KB) stays in L1 while the A micro-panels stream past.
  const std::size_t width = (d + kPanel - 1) / kPanel * kPanel;
  std::vector<float> apack(width / 4 * kAStride), bpack(width / 24 * kBStride), rows4(4 * width), colsum_f(width);
  for (std::size_t b0 = r0; b0 < r1; b0 += kBlockRows) {
    const std::size_t rb = std::min(kBlockRows, r1 - b0);
    pack_block_avx2(x, d, b0, rb, shift, width, apack.data(), bpack.data(), rows4.data(), colsum_f.data(), colsum);
    // The next block's rows are fetched into L2 a few lines per tile while this block is
    // multiplied, so the packer reads them from cache rather than memory.
    const char* pf = reinterpret_cast<const char*>(x + std::min(r1, b0 + rb) * d);
    const char* const pf_end = reinterpret_cast<const char*>(x + std::min(r1, b0 + rb + kBlockRows) * d);
    // For each B micro-panel, every A micro-panel that reaches the upper triangle.
    for (std::size_t t = 0; t < strips.count; ++t) {
      const float* B = bpack.data() + t * kBStride;
      const std::size_t nc = std::min<std::size_t>(24, d - 24 * t);
      for (std::size_t i0 = 0; i0 < strips.rows(t); i0 += 4) {
        for (int l = 0; l < 4 && pf < pf_end; ++l, pf += 64) _mm_prefetch(pf, _MM_HINT_T1);
        micro_4x24(apack.data() + (i0 / 4) * kAStride, 4, B, 24, rb, cs + strips.offset[t] + i0 * 24, 24,
                   std::min<std::size_t>(4, d - i0), nc);
      }
    }
  }
}

// Rows [r0, r1) into C (upper triangle, plus the lower half of diagonal panel blocks), with
// the AVX-512 8 x 48 tile.
void scatter_avx512_range(const float* x, std::size_t d, std::size_t r0, std::size_t r1, const float* shift,
                          double* C, double* colsum) {
  const std::size_t panels = (d + kPanel - 1) / kPanel;
  std::vector<float> pack(panels * kBlockRows * kPanel), colsum_f(d);
  for (std::size_t b0 = r0; b0 < r1; b0 += kBlockRows) {
    const std::size_t rb = std::min(kBlockRows, r1 - b0);
    pack_block(x, d, b0, rb, shift, pack.data(), colsum, colsum_f.data());
    for (std::size_t pj = 0; pj < panels; ++pj) {
      const float* B = pack.data() + pj * kBlockRows * kPanel;
      const std::size_t j0 = pj * kPanel, ncols = std::min(kPanel, d - j0);
      for (std::size_t pi = 0; pi <= pj; ++pi) {
        const float* Ap = pack.data() + pi * kBlockRows * kPanel;
        for (std::size_t oi = 0; oi < kPanel; oi += kTile) {
          const std::size_t i0 = pi * kPanel + oi;
          if (i0 >= d) break;
          const std::size_t mrows = std::min(kTile, d - i0);
          micro_8x48(Ap + oi, B, rb, C + i0 * d + j0, d, mrows, ncols);
        }
      }
    }
  }
}

// Portable path: centred blocks through OpenBLAS SSYRK (threads are OpenBLAS's own).
void scatter_openblas(const float* x, std::size_t n, std::size_t d, const float* shift, double* C,
                      double* colsum) {
  const std::size_t block = 2048;
  std::vector<float> buf(block * d), cf(d * d);
  for (std::size_t b0 = 0; b0 < n; b0 += block) {
    const std::size_t rb = std::min(block, n - b0);
    for (std::size_t r = 0; r < rb; ++r) {
      const float* src = x + (b0 + r) * d;
      float* dst = buf.data() + r * d;
      for (std::size_t j = 0; j < d; ++j) {
        dst[j] = src[j] - shift[j];
        colsum[j] += dst[j];
      }
    }
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(d), static_cast<int>(rb),
                1.0f, buf.data(), static_cast<int>(d), 0.0f, cf.data(), static_cast<int>(d));
    for (std::size_t i = 0; i < d; ++i)
      for (std::size_t j = i; j < d; ++j) C[i * d + j] += cf[i * d + j];
  }
}

}  // namespace

std::string scatter_kernel_name() {
  if (g_force_portable) return "openblas";
  switch (simd_level()) {
    case SimdLevel::Avx512: return "avx512";
    case SimdLevel::Avx2: return "avx2";
    case SimdLevel::Portable: break;
  }
  return "openblas";
}

void set_force_portable_scatter(bool force) { g_force_portable = force; }

void set_blas_threads(int n) { openblas_set_num_threads(std::max(1, n)); }

void scatter_upper(const float* x, std::size_t n, std::size_t d, const float* shift, double* C,
                   double* colsum, int threads, std::string* kernel) {
  const std::string name = scatter_kernel_name();
  if (kernel) *kernel = name;
  if (n == 0 || d == 0) return;
  if (name == "openblas") {
    scatter_openblas(x, n, d, shift, C, colsum);
    return;
  }
  // Split the rows between two threads; each has its own sums, added at the end.
  const bool split = threads > 1 && n >= 4 * kBlockRows && n * d * d >= (std::size_t(1) << 26);
  const std::size_t half = split ? (n / 2 + kBlockRows - 1) / kBlockRows * kBlockRows : n;
  std::vector<double> colsum2(d, 0.0);
  if (name == "avx2") {
    const Strips strips(d);
    std::vector<double> cs1(strips.size(), 0.0), cs2(split ? strips.size() : 0, 0.0);
    std::thread worker;
    if (split)
      worker = std::thread([&] { scatter_avx2_range(x, d, half, n, shift, strips, cs2.data(), colsum2.data()); });
    scatter_avx2_range(x, d, 0, half, shift, strips, cs1.data(), colsum);
    if (split) worker.join();
    for (std::size_t t = 0; t < strips.count; ++t)
      for (std::size_t i = 0; i < strips.rows(t); ++i)
        for (std::size_t c = std::max(i, 24 * t); c < std::min(d, 24 * t + 24); ++c) {
          const std::size_t at = strips.offset[t] + i * 24 + (c - 24 * t);
          C[i * d + c] += cs1[at] + (split ? cs2[at] : 0.0);
        }
  } else {
    std::vector<double> C2(split ? d * d : 0, 0.0);
    std::thread worker;
    if (split) worker = std::thread([&] { scatter_avx512_range(x, d, half, n, shift, C2.data(), colsum2.data()); });
    scatter_avx512_range(x, d, 0, half, shift, C, colsum);
    if (split) {
      worker.join();
      for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = i; j < d; ++j) C[i * d + j] += C2[i * d + j];
    }
  }
  for (std::size_t j = 0; j < d; ++j) colsum[j] += colsum2[j];
}

double measure_sgemm_gflops(int m, int reps) {
  std::vector<float> a(std::size_t(m) * m), b(std::size_t(m) * m), c(std::size_t(m) * m);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = float(i % 97) * 0.01f;
    b[i] = float(i % 89) * 0.01f;
  }
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0f, a.data(), m, b.data(), m, 0.0f, c.data(), m);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return 2.0 * double(m) * m * m / best / 1e9;
}

bool top_eigenpairs(float* A, int d, int k, float* values, float* vectors) {
  int info = 0;
  if (k * 4 >= d) {
    // Divide and conquer, as LAPACK's SSYEVD does it (tridiagonal reduction, SSTEDC, back-
    // transformation), except that the back-transformation applies the reflectors in blocks of
    // 64 (SSYEVD's SORMTR uses 32: 13 ms against 9.5 ms for GPT-2's 768 x 768, where the
    // eigensolver is a fifth of the PCA) and only to the k eigenvectors wanted.
    std::vector<float> diag(d), off(d), tau(d);
    int lwork = -1;
    float wq = 0;
    ssytrd_("L", &d, A, &d, diag.data(), off.data(), tau.data(), &wq, &lwork, &info);
    if (info != 0) return false;
    lwork = static_cast<int>(wq) + 1;
    std::vector<float> work(lwork);
    ssytrd_("L", &d, A, &d, diag.data(), off.data(), tau.data(), work.data(), &lwork, &info);
    if (info != 0) return false;
    std::vector<float> z(std::size_t(d) * d);  // column-major eigenvectors of the tridiagonal, ascending
    int liwork = -1, iwq = 0;
    lwork = -1;
    sstedc_("I", &d, diag.data(), off.data(), z.data(), &d, &wq, &lwork, &iwq, &liwork, &info);
    if (info != 0) return false;
    lwork = static_cast<int>(wq) + 1;
    liwork = iwq;
    work.assign(lwork, 0.0f);
    std::vector<int> iwork(liwork);
    sstedc_("I", &d, diag.data(), off.data(), z.data(), &d, work.data(), &lwork, iwork.data(), &liwork, &info);
    if (info != 0) return false;
    // Z := Q Z on the k largest (the last k columns). Q = H(1) ... H(d-1); H(i)'s vector is
    // column i of A below the subdiagonal (unit first entry implied), acting on rows 2..d.
    float* zk = z.data() + std::size_t(d - k) * d;
    if (d > 1) {
      constexpr int nb = 64;
      const int m = d - 1, nref = d - 1;
      std::vector<float> t(nb * nb), w(std::size_t(k) * nb);
      for (int i = (nref - 1) / nb * nb; i >= 0; i -= nb) {
        const int ib = std::min(nb, nref - i), mi = m - i;
        const float* v = A + 1 + i + std::size_t(i) * d;  // A(i + 2, i + 1), 1-based
        slarft_("F", "C", &mi, &ib, v, &d, tau.data() + i, t.data(), &nb);
        slarfb_("L", "N", "F", "C", &mi, &k, &ib, v, &d, t.data(), &nb, zk + 1 + i, &d, w.data(), &k);
      }
    }
    for (int i = 0; i < k; ++i) {
      values[i] = diag[d - 1 - i];
      std::memcpy(vectors + std::size_t(i) * d, zk + std::size_t(k - 1 - i) * d, sizeof(float) * d);
    }
    return true;
  }
  // A few components: MRRR computes only the k wanted eigenpairs.
  const int il = d - k + 1, iu = d;
  const float vl = 0, vu = 0, abstol = 0;
  int m = 0, lwork = -1, liwork = -1, iwq = 0;
  float wq = 0;
  std::vector<float> w(d), z(std::size_t(d) * k);
  std::vector<int> isuppz(2 * std::size_t(k));
  ssyevr_("V", "I", "L", &d, A, &d, &vl, &vu, &il, &iu, &abstol, &m, w.data(), z.data(), &d,
          isuppz.data(), &wq, &lwork, &iwq, &liwork, &info);
  if (info != 0) return false;
  lwork = static_cast<int>(wq) + 1;
  liwork = iwq;
  std::vector<float> work(lwork);
  std::vector<int> iwork(liwork);
  ssyevr_("V", "I", "L", &d, A, &d, &vl, &vu, &il, &iu, &abstol, &m, w.data(), z.data(), &d,
          isuppz.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  if (info != 0 || m != k) return false;
  for (int i = 0; i < k; ++i) {
    values[i] = w[k - 1 - i];
    std::memcpy(vectors + std::size_t(i) * d, z.data() + std::size_t(k - 1 - i) * d, sizeof(float) * d);
  }
  return true;
}

bool top_eigenpairs_double(double* A, int d, int k, double* values, double* vectors) {
  int info = 0, lwork = -1, liwork = -1, iwq = 0;
  double wq = 0;
  std::vector<double> w(d);
  dsyevd_("V", "L", &d, A, &d, w.data(), &wq, &lwork, &iwq, &liwork, &info);
  if (info != 0) return false;
  lwork = static_cast<int>(wq) + 1;
  liwork = iwq;
  std::vector<double> work(lwork);
  std::vector<int> iwork(liwork);
  dsyevd_("V", "L", &d, A, &d, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  if (info != 0) return false;
  for (int i = 0; i < k; ++i) {
    values[i] = w[d - 1 - i];
    std::memcpy(vectors + std::size_t(i) * d, A + std::size_t(d - 1 - i) * d, sizeof(double) * d);
  }
  return true;
}

}  // namespace es::fast

#pragma GCC diagnostic pop
