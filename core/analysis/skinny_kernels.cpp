// SIMD kernels of skinny_block (skinny_kernels.h).
//
// Per row, 2 d p multiply-adds: p dots (x_r . zt_j) and p scaled additions of x_r into acc.
// Dots: R rows x C directions at a time (AVX-512: 4 x 4, 16 zmm sums; AVX2: 3 x 4, 12 ymm),
// so each loaded vector of x or zt feeds several FMAs. Additions: 8 rows at a time, the 8
// vectors of x held in registers while each direction's slice of acc is loaded once, gets 8
// FMAs and is stored once. A d that is not a multiple of the vector width uses masked loads
// (AVX-512) or a scalar tail (AVX2).
#include "skinny_kernels.h"

#include "simd.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

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

// y for R rows (R <= 4) and C directions starting at j0. With bf16 (not null), x is read
// from those BF16 rows instead and written out widened (x is then the buffer that the other
// directions and the additions read): the first group of directions widens while it
// multiplies, so the wait for the table's bytes overlaps the arithmetic.
template <int R, int C>
__attribute__((target("avx512f,avx512bw"))) void dots512(float* x, const std::uint16_t* bf16, std::size_t d,
                                                          const float* zt, std::size_t j0, std::size_t p,
                                                          const float* shift, float* y, const BlockMoments* mo) {
  __m512 s[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) s[r][c] = _mm512_setzero_ps();
  __m512 q[R];  // the moments' squares, one sum per row
  for (int r = 0; r < R; ++r) q[r] = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    __m512 xv[R];
    if (bf16) {
      for (int r = 0; r < R; ++r) {
        const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bf16 + r * d + i));
        xv[r] = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
        _mm512_storeu_ps(x + r * d + i, xv[r]);
      }
    } else {
      for (int r = 0; r < R; ++r) xv[r] = _mm512_loadu_ps(x + r * d + i);
    }
    if (mo) {  // while the rows are in registers: colsum += sum_r (x_r - m), q_r += |x_r - m|^2
      const __m512 mv = _mm512_loadu_ps(mo->shift + i);
      __m512 cs = _mm512_loadu_ps(mo->colsum + i);
      for (int r = 0; r < R; ++r) {
        const __m512 c = _mm512_sub_ps(xv[r], mv);
        cs = _mm512_add_ps(cs, c);
        q[r] = _mm512_fmadd_ps(c, c, q[r]);
      }
      _mm512_storeu_ps(mo->colsum + i, cs);
    }
    for (int c = 0; c < C; ++c) {
      const __m512 zv = _mm512_loadu_ps(zt + (j0 + c) * d + i);
      for (int r = 0; r < R; ++r) s[r][c] = _mm512_fmadd_ps(xv[r], zv, s[r][c]);
    }
  }
  if (i < d) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (d - i)) - 1);
    __m512 xv[R];
    for (int r = 0; r < R; ++r) {
      if (bf16) {
        const __m256i h = _mm512_castsi512_si256(_mm512_maskz_loadu_epi16(static_cast<__mmask32>(mask), bf16 + r * d + i));
        xv[r] = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
        _mm512_mask_storeu_ps(x + r * d + i, mask, xv[r]);
      } else {
        xv[r] = _mm512_maskz_loadu_ps(mask, x + r * d + i);
      }
    }
    if (mo) {
      const __m512 mv = _mm512_maskz_loadu_ps(mask, mo->shift + i);
      __m512 cs = _mm512_maskz_loadu_ps(mask, mo->colsum + i);
      for (int r = 0; r < R; ++r) {
        const __m512 c = _mm512_sub_ps(xv[r], mv);  // 0 in the lanes past d
        cs = _mm512_add_ps(cs, c);
        q[r] = _mm512_fmadd_ps(c, c, q[r]);
      }
      _mm512_mask_storeu_ps(mo->colsum + i, mask, cs);
    }
    for (int c = 0; c < C; ++c) {
      const __m512 zv = _mm512_maskz_loadu_ps(mask, zt + (j0 + c) * d + i);
      for (int r = 0; r < R; ++r) s[r][c] = _mm512_fmadd_ps(xv[r], zv, s[r][c]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) y[r * p + j0 + c] = _mm512_reduce_add_ps(s[r][c]) - shift[j0 + c];
  if (mo)
    for (int r = 0; r < R; ++r) *mo->squares += double(_mm512_reduce_add_ps(q[r]));
}

// The first group of directions widens BF16 rows and takes the moments (mo, may be null).
template <int R>
__attribute__((target("avx512f,avx512bw"))) void dot_rows512(float* x, const std::uint16_t* bf16, std::size_t d,
                                                              const float* zt, std::size_t p, const float* shift,
                                                              float* y, const BlockMoments* mo) {
  std::size_t j = 0;
  for (; j + 4 <= p; j += 4, bf16 = nullptr, mo = nullptr) dots512<R, 4>(x, bf16, d, zt, j, p, shift, y, mo);
  switch (p - j) {
    case 3: dots512<R, 3>(x, bf16, d, zt, j, p, shift, y, mo); break;
    case 2: dots512<R, 2>(x, bf16, d, zt, j, p, shift, y, mo); break;
    case 1: dots512<R, 1>(x, bf16, d, zt, j, p, shift, y, mo); break;
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
      // two chains of four FMAs (not one of eight), so the FMA latency overlaps
      float* a = acc + j * d + i;
      const float* wj = w + j * 8;
      __m512 s = _mm512_fmadd_ps(xv[0], _mm512_set1_ps(wj[0]), _mm512_loadu_ps(a));
      __m512 t = _mm512_mul_ps(xv[4], _mm512_set1_ps(wj[4]));
      s = _mm512_fmadd_ps(xv[1], _mm512_set1_ps(wj[1]), s);
      t = _mm512_fmadd_ps(xv[5], _mm512_set1_ps(wj[5]), t);
      s = _mm512_fmadd_ps(xv[2], _mm512_set1_ps(wj[2]), s);
      t = _mm512_fmadd_ps(xv[6], _mm512_set1_ps(wj[6]), t);
      s = _mm512_fmadd_ps(xv[3], _mm512_set1_ps(wj[3]), s);
      t = _mm512_fmadd_ps(xv[7], _mm512_set1_ps(wj[7]), t);
      _mm512_storeu_ps(a, _mm512_add_ps(s, t));
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
__attribute__((target("avx2,fma"))) void dots256(float* x, const std::uint16_t* bf16, std::size_t d, const float* zt,
                                                 std::size_t j0, std::size_t p, const float* shift, float* y) {
  __m256 s[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) s[r][c] = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    __m256 xv[R];  // R x C sums + R rows + one direction: at most the 16 ymm registers
    if (bf16) {
      for (int r = 0; r < R; ++r) {
        const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bf16 + r * d + i));
        xv[r] = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
        _mm256_storeu_ps(x + r * d + i, xv[r]);
      }
    } else {
      for (int r = 0; r < R; ++r) xv[r] = _mm256_loadu_ps(x + r * d + i);
    }
    for (int c = 0; c < C; ++c) {
      const __m256 zv = _mm256_loadu_ps(zt + (j0 + c) * d + i);
      for (int r = 0; r < R; ++r) s[r][c] = _mm256_fmadd_ps(xv[r], zv, s[r][c]);
    }
  }
  if (bf16)
    for (int r = 0; r < R; ++r)
      for (std::size_t k = i; k < d; ++k) {
        const std::uint32_t u = std::uint32_t(bf16[r * d + k]) << 16;
        std::memcpy(x + r * d + k, &u, 4);
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
__attribute__((target("avx2,fma"))) void dot_rows256(float* x, const std::uint16_t* bf16, std::size_t d, const float* zt,
                                                     std::size_t p, const float* shift, float* y) {
  std::size_t j = 0;
  for (; j + 4 <= p; j += 4, bf16 = nullptr) dots256<R, 4>(x, bf16, d, zt, j, p, shift, y);
  switch (p - j) {
    case 3: dots256<R, 3>(x, bf16, d, zt, j, p, shift, y); break;
    case 2: dots256<R, 2>(x, bf16, d, zt, j, p, shift, y); break;
    case 1: dots256<R, 1>(x, bf16, d, zt, j, p, shift, y); break;
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
      const float* wj = w + j * 8;
      __m256 s = _mm256_fmadd_ps(xv[0], _mm256_set1_ps(wj[0]), _mm256_loadu_ps(a));
      __m256 t = _mm256_mul_ps(xv[4], _mm256_set1_ps(wj[4]));
      s = _mm256_fmadd_ps(xv[1], _mm256_set1_ps(wj[1]), s);
      t = _mm256_fmadd_ps(xv[5], _mm256_set1_ps(wj[5]), t);
      s = _mm256_fmadd_ps(xv[2], _mm256_set1_ps(wj[2]), s);
      t = _mm256_fmadd_ps(xv[6], _mm256_set1_ps(wj[6]), t);
      s = _mm256_fmadd_ps(xv[3], _mm256_set1_ps(wj[3]), s);
      t = _mm256_fmadd_ps(xv[7], _mm256_set1_ps(wj[7]), t);
      _mm256_storeu_ps(a, _mm256_add_ps(s, t));
    }
  }
  for (; i < d; ++i)
    for (std::size_t j = 0; j < p; ++j) {
      float s = acc[j * d + i];
      for (int r = 0; r < 8; ++r) s += xr[r][i] * w[j * 8 + r];
      acc[j * d + i] = s;
    }
}

__attribute__((target("avx512f"))) void moments512(const float* x, std::size_t m, std::size_t d, const float* shift,
                                                   float* colsum, double* squares) {
  for (std::size_t r = 0; r < m; ++r) {
    const float* row = x + r * d;
    __m512 q = _mm512_setzero_ps();
    std::size_t i = 0;
    for (; i + 16 <= d; i += 16) {
      const __m512 c = _mm512_sub_ps(_mm512_loadu_ps(row + i), _mm512_loadu_ps(shift + i));
      _mm512_storeu_ps(colsum + i, _mm512_add_ps(_mm512_loadu_ps(colsum + i), c));
      q = _mm512_fmadd_ps(c, c, q);
    }
    double sq = _mm512_reduce_add_ps(q);
    for (; i < d; ++i) {
      const float c = row[i] - shift[i];
      colsum[i] += c;
      sq += double(c) * c;
    }
    *squares += sq;
  }
}
__attribute__((target("avx2,fma"))) void moments256(const float* x, std::size_t m, std::size_t d, const float* shift,
                                                    float* colsum, double* squares) {
  for (std::size_t r = 0; r < m; ++r) {
    const float* row = x + r * d;
    __m256 q = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 8 <= d; i += 8) {
      const __m256 c = _mm256_sub_ps(_mm256_loadu_ps(row + i), _mm256_loadu_ps(shift + i));
      _mm256_storeu_ps(colsum + i, _mm256_add_ps(_mm256_loadu_ps(colsum + i), c));
      q = _mm256_fmadd_ps(c, c, q);
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, q);
    double sq = 0;
    for (float l : lanes) sq += l;
    for (; i < d; ++i) {
      const float c = row[i] - shift[i];
      colsum[i] += c;
      sq += double(c) * c;
    }
    *squares += sq;
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

namespace {

// x is only written when bf16 is given (SIMD paths only).
void skinny_block_impl(float* x, const std::uint16_t* bf16, std::size_t m, std::size_t d, const float* zt,
                       std::size_t p, const float* shift, float* y, float* acc, const BlockMoments* mo) {
  const SkinnyPath path = skinny_path();
  if (path == SkinnyPath::Scalar || p == 0) {
    skinny_scalar(x, m, d, zt, p, shift, y, acc);
    if (mo) shifted_moments(x, m, d, mo->shift, mo->colsum, mo->squares);
    return;
  }
  const bool wide = path == SkinnyPath::Avx512;
  // Dots, 4 rows at a time (AVX-512) or 3 (AVX2: 3 x 4 sums, 3 rows and a direction fill its
  // 16 registers).
  std::size_t r = 0;
  if (wide) {
    for (; r + 4 <= m; r += 4) dot_rows512<4>(x + r * d, bf16 ? bf16 + r * d : nullptr, d, zt, p, shift, y + r * p, mo);
    for (; r < m; ++r) dot_rows512<1>(x + r * d, bf16 ? bf16 + r * d : nullptr, d, zt, p, shift, y + r * p, mo);
  } else {
    for (; r + 3 <= m; r += 3) dot_rows256<3>(x + r * d, bf16 ? bf16 + r * d : nullptr, d, zt, p, shift, y + r * p);
    for (; r + 2 <= m; r += 2) dot_rows256<2>(x + r * d, bf16 ? bf16 + r * d : nullptr, d, zt, p, shift, y + r * p);
    for (; r < m; ++r) dot_rows256<1>(x + r * d, bf16 ? bf16 + r * d : nullptr, d, zt, p, shift, y + r * p);
    // AVX2's 16 registers are full with the dots: the moments read the widened rows after.
    if (mo) moments256(x, m, d, mo->shift, mo->colsum, mo->squares);
  }
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

}  // namespace

std::string skinny_kernel_name() {
  switch (skinny_path()) {
    case SkinnyPath::Avx512: return "avx512";
    case SkinnyPath::Avx2: return "avx2";
    default: return "scalar";
  }
}

void shifted_moments(const float* x, std::size_t m, std::size_t d, const float* shift, float* colsum,
                     double* squares) {
  switch (skinny_path()) {
    case SkinnyPath::Avx512: moments512(x, m, d, shift, colsum, squares); return;
    case SkinnyPath::Avx2: moments256(x, m, d, shift, colsum, squares); return;
    case SkinnyPath::Scalar: break;
  }
  for (std::size_t r = 0; r < m; ++r) {
    double sq = 0;
    for (std::size_t i = 0; i < d; ++i) {
      const float c = x[r * d + i] - shift[i];
      colsum[i] += c;
      sq += double(c) * c;
    }
    *squares += sq;
  }
}

void skinny_block(const float* x, std::size_t m, std::size_t d, const float* zt, std::size_t p,
                  const float* shift, float* y, float* acc, const BlockMoments* moments) {
  skinny_block_impl(const_cast<float*>(x), nullptr, m, d, zt, p, shift, y, acc, moments);
}

void skinny_block_bf16(const std::uint16_t* bf16, float* x, std::size_t m, std::size_t d, const float* zt,
                       std::size_t p, const float* shift, float* y, float* acc, const BlockMoments* moments) {
  if (skinny_path() == SkinnyPath::Scalar || p == 0) {
    for (std::size_t i = 0; i < m * d; ++i) {
      const std::uint32_t u = std::uint32_t(bf16[i]) << 16;
      std::memcpy(x + i, &u, 4);
    }
    skinny_block(x, m, d, zt, p, shift, y, acc, moments);
    return;
  }
  skinny_block_impl(x, bf16, m, d, zt, p, shift, y, acc, moments);
}

}  // namespace es::fast

#pragma GCC diagnostic pop
