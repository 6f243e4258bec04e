// SIMD kernels of the vocabulary search (vocabulary.cpp). No Eigen in this header or its .cpp,
// for the same reason as pca_fast.h: the AVX-512 / AVX2 functions carry target attributes
// and are chosen at run time; the default build stays portable x86-64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace es::fast {

// sum_i a[i] * b[i], products and sums in double. The same function computes every "exact"
// cosine (dots and row norms), so equal rows always get bit-identical scores.
double dot_double(const float* a, const float* b, std::size_t d);

// Exact cosine of every row of a (n, d) table with q: out[r] = x_r.q / (|x_r| |q|), or NaN for
// a row with zero or non-finite norm; qd is q widened to double, qnorm = |q|. Both sums of a
// row are taken in one read of it, each bit for bit as dot_double takes it. Uses `threads`
// threads.
void exact_cosines(const float* x, std::size_t n, std::size_t d, const double* qd, double qnorm,
                   double* out, int threads);

// Builds the int8 codes of the unit rows: u = x_r / |x_r|, scale_r = max|u| / 127,
// codes[r][i] = round(u_i / scale_r), and code_l1[r] = sum_i |codes[r][i]|. norms[r] = |x_r|
// (double, by dot_double); a row with zero or non-finite norm gets scale 0 and codes 0.
void build_codes(const float* x, std::size_t n, std::size_t d, std::int8_t* codes, float* scales,
                 double* norms, std::uint32_t* code_l1, int threads);

// The query side of a scan: qcodes[i] = round(qhat[i] / qscale) in [-16383, 16383] with
// qscale = max|qhat| / 16383 (0 and all-zero codes for a zero query); returns qscale and sets
// *max_err = max_i |qhat[i] - qscale * qcodes[i]| (<= qscale / 2), computed in double.
double quantize_query(const float* qhat, std::size_t d, std::int16_t* qcodes, double* max_err);

// approx[r] = scale_r * qscale * sum_i codes[r][i] * qcodes[i], the sum exact in integers (so
// every code path gives the same value). Against the cosine u_r . qhat it errs by at most
// 0.5 * scale_r * |qhat|_1 (the row's rounding) + scale_r * code_l1[r] * max_err (the query's)
// plus float round-off (vocabulary.cpp adds a margin for both).
void approx_scores(const std::int8_t* codes, const float* scales, std::size_t n, std::size_t d,
                   const std::int16_t* qcodes, double qscale, float* approx, int threads);

// Which code path the kernels take on this CPU: "avx512", "avx2" or "scalar".
std::string search_kernel_name();

}  // namespace es::fast
