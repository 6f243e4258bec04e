// Helpers shared by the scheme files (not part of the public face of core/position).
#pragma once

#include "scheme.h"

#include <cblas.h>

#include <cmath>
#include <limits>
#include <string>

namespace es::scheme_util {

inline constexpr float kMasked = std::numeric_limits<float>::quiet_NaN();

std::string fmt_number(double v);  // shortest round-trip-ish text ("10000", "0.25")
// 1 <= n <= 2^20 positions.
void check_length(long long n, const char* what);
// Also: S of (n, n) floats at most 2 GiB.
void check_interaction_size(long long n);
// 1 <= d <= 65536.
void check_dim(long long d, const char* what);
// 1 <= head <= heads (1-based), 1 <= heads <= 4096.
void check_heads(const SchemeParams& p, const char* what);
// Cosine similarity of every pair of rows of p (n, d) -> (n, n); a zero row gives NaN.
MatrixRM row_cosines(const MatrixRM& p);
// A Toeplitz (n, n) matrix: s(i, j) = by_offset[(i - j) + n - 1].
MatrixRM from_offsets(long long n, const std::vector<float>& by_offset);
// Sets s(i, j) = NaN for j > i.
void mask_future(MatrixRM& s);
// Sinusoid of each distance: (count, d), row r = [sin(r w_k) | cos(r w_k)] (halves) or
// interleaved, w_k = base^(-2k/d). Shared by sinusoidal and Transformer-XL.
MatrixRM sinusoid_rows(long long count, long long d, double base, SinusoidLayout layout,
                       long long first = 0);

// The same sinusoids in the lab's scalar type, computed in double: out (count, d) row-major.
template <typename S>
void sinusoid_table(std::vector<S>& out, long long count, int d, double base, SinusoidLayout layout) {
  out.assign(static_cast<std::size_t>(count) * d, S(0));
  for (long long t = 0; t < count; ++t)
    for (int k = 0; k < d / 2; ++k) {
      const double a = static_cast<double>(t) * std::pow(base, -2.0 * k / d);
      const int ia = layout == SinusoidLayout::Interleaved ? 2 * k : k;
      const int ib = layout == SinusoidLayout::Interleaved ? 2 * k + 1 : k + d / 2;
      out[static_cast<std::size_t>(t) * d + ia] = S(std::sin(a));
      out[static_cast<std::size_t>(t) * d + ib] = S(std::cos(a));
    }
}

// Row-major C (M x N) = op(A) op(B) + beta C, op(X) = X or X^T (BLAS, both scalar types): the
// trainable schemes' projections of relative embeddings.
inline void gemm_acc(bool ta, bool tb, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                     float beta, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B,
              ldb, beta, C, ldc);
}
inline void gemm_acc(bool ta, bool tb, int M, int N, int K, const double* A, int lda, const double* B, int ldb,
                     double beta, double* C, int ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0, A, lda, B,
              ldb, beta, C, ldc);
}

}  // namespace es::scheme_util
