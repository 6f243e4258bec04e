// SIMD kernels of skinny_block (skinny_kernels.h).
//
// Per row, 2 d p multiply-adds: p dots (x_r . zt_j) and p scaled additions of x_r into acc.
// Dots: 4 rows x C directions at a time (AVX-512: C <= 4, 16 zmm sums; AVX2: C <= 3, 12 ymm),
// so each loaded vector of x or zt feeds several FMAs. Additions: 8 rows at a time, the 8
// vectors of x held in registers while each direction's slice of acc is loaded once, gets 8
// FMAs and is stored once. A d that is not a multiple of the vector width uses masked loads
// (AVX-512) or a scalar tail (AVX2).
#include "skinny_kernels.h"

#include "simd.h"

#include <algorithm>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

namespace es::fast {

namespace {

void skinny_scalar(const float* x, std::size_t m, std::size_t d, const float* zt, std::size_t p,
                   const float* shift, float* y, float* acc) {
  for (std::size_t r = 0; r < m; ++r) {
    const float* xr = x + r * d;
    for (std::size_t j = 0; j < p; ++j) {
      const float* z = zt + j * d;
      float s = 0;
      for (std::size_t i = 0; i < d; ++i) s += xr[i] * z[i];
      y[r * p + j] = s - shift[j];
    }
    for (std::size_t j = 0; j < p; ++j) {
      const float c = y[r * p + j];
      float* a = acc + j * d;
      for (std::size_t i = 0; i < d; ++i) a[i] += c * xr[i];
    }
  }
}

// ---- AVX-512 ----

// y for R rows (R <= 4) and C directions starting at j0.
template <int R, int C>
__attribute__((target("avx512f"))) void dots512(const float* x, std::size_t d, const float* zt, std::size_t j0,
                                                std::size_t p, const float* shift, float* y) {
  __m512 s[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) s[r][c] = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    __m512 xv[R];
    for (int r = 0; r < R; ++r) xv[r] = _mm512_loadu_ps(x + r * d + i);
    for (int c = 0; c < C; ++c) {
      const __m512 zv = _mm512_loadu_ps(zt + (j0 + c) * d + i);
      for (int r = 0; r < R; ++r) s[r][c] = _mm512_fmadd_ps(xv[r], zv, s[r][c]);
    }
  }
  if (i < d) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (d - i)) - 1);
    __m512 xv[R];
    for (int r = 0; r < R; ++r) xv[r] = _mm512_maskz_loadu_ps(mask, x + r * d + i);
    for (int c = 0; c < C; ++c) {
      const __m512 zv = _mm512_maskz_loadu_ps(mask, zt + (j0 + c) * d + i);
      for (int r = 0; r < R; ++r) s[r][c] = _mm512_fmadd_ps(xv[r], zv, s[r][c]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) y[r * p + j0 + c] = _mm512_reduce_add_ps(s[r][c]) - shift[j0 + c];
}

template <int R>
__attribute__((target("avx512f"))) void dot_rows512(const float* x, std::size_t d, const float* zt, std::size_t p,
                                                    const float* shift, float* y) {
  std::size_t j = 0;
  for (; j + 4 <= p; j += 4) dots512<R, 4>(x, d, zt, j, p, shift, y);
  switch (p - j) {
    case 3: dots512<R, 3>(x, d, zt, j, p, shift, y); break;
    case 2: dots512<R, 2>(x, d, zt, j, p, shift, y); break;
    case 1: dots512<R, 1>(x, d, zt, j, p, shift, y); break;
    default: break;
  }
}

// acc[j] += sum of y[r][j] x_r over 8 rows (rows past m: weight 0, pointer to row 0).
__attribute__((target("avx512f"))) void add_rows512(const float* const* xr, const float* w, std::size_t d,
                                                    std::size_t p, float* acc) {
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    __m512 xv[8];
    for (int r = 0; r < 8; ++r) xv[r] = _mm512_loadu_ps(xr[r] + i);
    for (std::size_t j = 0; j < p; ++j) {
      float* a = acc + j * d + i;
      __m512 s = _mm512_loadu_ps(a);
      for (int r = 0; r < 8; ++r) s = _mm512_fmadd_ps(xv[r], _mm512_set1_ps(w[j * 8 + r]), s);
      _mm512_storeu_ps(a, s);
    }
  }
  if (i < d) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (d - i)) - 1);
    __m512 xv[8];
    for (int r = 0; r < 8; ++r) xv[r] = _mm512_maskz_loadu_ps(mask, xr[r] + i);
    for (std::size_t j = 0; j < p; ++j) {
      float* a = acc + j * d + i;
      __m512 s = _mm512_maskz_loadu_ps(mask, a);
      for (int r = 0; r < 8; ++r) s = _mm512_fmadd_ps(xv[r], _mm512_set1_ps(w[j * 8 + r]), s);
      _mm512_mask_storeu_ps(a, mask, s);
    }
  }
}

// ---- AVX2 + FMA ----

template <int R, int C>
__attribute__((target("avx2,fma"))) void dots256(const float* x, std::size_t d, const float* zt, std::size_t j0,
                                                 std::size_t p, const float* shift, float* y) {
  __m256 s[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) s[r][c] = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    for (int c = 0; c < C; ++c) {
      const __m256 zv = _mm256_loadu_ps(zt + (j0 + c) * d + i);
      for (int r = 0; r < R; ++r) s[r][c] = _mm256_fmadd_ps(_mm256_loadu_ps(x + r * d + i), zv, s[r][c]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) {
      alignas(32) float lanes[8];
      _mm256_store_ps(lanes, s[r][c]);
      float t = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
      for (std::size_t k = i; k < d; ++k) t += x[r * d + k] * zt[(j0 + c) * d + k];
      y[r * p + j0 + c] = t - shift[j0 + c];
    }
}

template <int R>
__attribute__((target("avx2,fma"))) void dot_rows256(const float* x, std::size_t d, const float* zt, std::size_t p,
                                                     const float* shift, float* y) {
  std::size_t j = 0;
  for (; j + 3 <= p; j += 3) dots256<R, 3>(x, d, zt, j, p, shift, y);
  switch (p - j) {
    case 2: dots256<R, 2>(x, d, zt, j, p, shift, y); break;
    case 1: dots256<R, 1>(x, d, zt, j, p, shift, y); break;
    default: break;
  }
}

__attribute__((target("avx2,fma"))) void add_rows256(const float* const* xr, const float* w, std::size_t d,
                                                     std::size_t p, float* acc) {
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    __m256 xv[8];
    for (int r = 0; r < 8; ++r) xv[r] = _mm256_loadu_ps(xr[r] + i);
    for (std::size_t j = 0; j < p; ++j) {
      float* a = acc + j * d + i;
      __m256 s = _mm256_loadu_ps(a);
      for (int r = 0; r < 8; ++r) s = _mm256_fmadd_ps(xv[r], _mm256_set1_ps(w[j * 8 + r]), s);
      _mm256_storeu_ps(a, s);
    }
  }
  for (; i < d; ++i)
    for (std::size_t j = 0; j < p; ++j) {
      float s = acc[j * d + i];
      for (int r = 0; r < 8; ++r) s += xr[r][i] * w[j * 8 + r];
      acc[j * d + i] = s;
    }
}

enum class SkinnyPath { Avx512, Avx2, Scalar };
SkinnyPath skinny_path() {
  switch (simd_level()) {
    case SimdLevel::Avx512: return SkinnyPath::Avx512;
    case SimdLevel::Avx2: return SkinnyPath::Avx2;
    case SimdLevel::Portable: break;
  }
  return SkinnyPath::Scalar;
}

}  // namespace

std::string skinny_kernel_name() {
  switch (skinny_path()) {
    case SkinnyPath::Avx512: return "avx512";
    case SkinnyPath::Avx2: return "avx2";
    default: return "scalar";
  }
}

void skinny_block(const float* x, std::size_t m, std::size_t d, const float* zt, std::size_t p,
                  const float* shift, float* y, float* acc) {
  const SkinnyPath path = skinny_path();
  if (path == SkinnyPath::Scalar || p == 0) {
    skinny_scalar(x, m, d, zt, p, shift, y, acc);
    return;
  }
  const bool wide = path == SkinnyPath::Avx512;
  // Dots, 4 rows at a time.
  std::size_t r = 0;
  for (; r + 4 <= m; r += 4)
    wide ? dot_rows512<4>(x + r * d, d, zt, p, shift, y + r * p) : dot_rows256<4>(x + r * d, d, zt, p, shift, y + r * p);
  for (; r < m; ++r)
    wide ? dot_rows512<1>(x + r * d, d, zt, p, shift, y + r * p) : dot_rows256<1>(x + r * d, d, zt, p, shift, y + r * p);
  // Additions, 8 rows at a time; weights transposed to (p, 8) so each direction's 8 are together.
  float w[64 * 8];
  for (std::size_t r0 = 0; r0 < m; r0 += 8) {
    const float* xr[8];
    for (std::size_t jb = 0; jb < p; jb += 64) {
      const std::size_t pc = std::min<std::size_t>(64, p - jb);
      for (int k = 0; k < 8; ++k) {
        const std::size_t row = r0 + static_cast<std::size_t>(k);
        xr[k] = row < m ? x + row * d : x;
        for (std::size_t j = 0; j < pc; ++j) w[j * 8 + static_cast<std::size_t>(k)] = row < m ? y[row * p + jb + j] : 0.0f;
      }
      wide ? add_rows512(xr, w, d, pc, acc + jb * d) : add_rows256(xr, w, d, pc, acc + jb * d);
    }
  }
}

}  // namespace es::fast

#pragma GCC diagnostic pop
