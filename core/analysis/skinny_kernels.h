// The products of the iterative PCA (pca.cpp) on a block of float rows, fused so the block is
// read from cache for both: a LLaMA-size table (128,256 x 4,096) times a block of p = k + 8
// directions is "skinny" (p ~ 11), where general GEMMs reach a fraction of the FMA peak.
// No Eigen here, for the reason given in pca_fast.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace es::fast {

// For a block of m rows x (m, d) row-major, directions zt ((p, d) row-major: one direction per
// row) and shift (p):
//   y[r][j]     = x_r . zt_j - shift[j]                 (y: (m, p) row-major, overwritten)
//   acc[j][i]  += sum_r y[r][j] * x_r[i]                (acc: (p, d) row-major, accumulated)
// Products and sums in float (the caller adds acc into double every few blocks).
// With `moments`, also what shifted_moments(x, m, d, moments->shift, ...) adds, taken while
// the rows are in registers for the first directions (AVX-512), so the first pass of the
// iterative PCA reads no row twice for them.
struct BlockMoments {
  const float* shift;  // (d)
  float* colsum;       // (d), added to
  double* squares;     // added to
};
void skinny_block(const float* x, std::size_t m, std::size_t d, const float* zt, std::size_t p,
                  const float* shift, float* y, float* acc, const BlockMoments* moments = nullptr);

// The same for BF16 rows, widened into x ((m, d) floats, written) as they are multiplied (on
// AVX-512 and AVX2; without SIMD widened first by a plain loop).
void skinny_block_bf16(const std::uint16_t* bf16, float* x, std::size_t m, std::size_t d, const float* zt,
                       std::size_t p, const float* shift, float* y, float* acc,
                       const BlockMoments* moments = nullptr);

// Moments of m rows shifted by `shift` (d): colsum[i] += sum_r (x_r[i] - shift[i]) (float),
// *squares += sum_r |x_r - shift|^2 (each row's sum in float, added in double).
void shifted_moments(const float* x, std::size_t m, std::size_t d, const float* shift, float* colsum,
                     double* squares);

// Which path skinny_block() takes on this CPU: "avx512", "avx2" or "scalar".
std::string skinny_kernel_name();

}  // namespace es::fast
