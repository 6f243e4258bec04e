// Helpers shared by the scheme files (not part of the public face of core/position).
#pragma once

#include "scheme.h"

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

}  // namespace es::scheme_util
