// Fast building blocks of the exact PCA (pca.cpp): the covariance of a large float table and
// the symmetric eigenproblem. No Eigen here: the kernels in pca_fast.cpp are compiled with
// per-function target attributes, and a TU that mixes those with Eigen templates risks an
// ODR clash (an AVX-512 copy of an inline template chosen by the linker for everyone).
#pragma once

#include <cstddef>
#include <string>

namespace es::fast {

// Accumulates the scatter of rows [r0, r1) of a (n, d) row-major float table about `shift`:
//   C[i][j] += sum_r (x[r][i] - shift[i]) (x[r][j] - shift[j])   for i <= j (upper triangle)
//   colsum[j] += sum_r (x[r][j] - shift[j])
// C: (d, d) row-major double; colsum: (d) double. Products are formed in float and summed in
// float over blocks of 256 rows, each block's sums then added in double.
// Splits the rows over `threads` threads (worker_threads()) when the work is large. `kernel` receives the name of the
// code path used ("avx512", "avx2", "openblas"; es::simd_level() decides, set_force_portable_scatter overrides).
void scatter_upper(const float* x, std::size_t n, std::size_t d, const float* shift,
                   double* C, double* colsum, int threads, std::string* kernel = nullptr);

// Which covariance path scatter_upper() takes on this CPU.
std::string scatter_kernel_name();
// Forces the portable OpenBLAS path (for comparisons in the benchmark and tests).
void set_force_portable_scatter(bool force);

// Top-k eigenpairs of a symmetric (d, d) row-major float matrix A (overwritten), by
// LAPACK (OpenBLAS). values: (k) decreasing; vectors: (k, d) row-major, unit rows.
// Returns false when LAPACK reports a failure.
bool top_eigenpairs(float* A, int d, int k, float* values, float* vectors);
// Same in double: (d, d) in, (k) and (k, d) out.
bool top_eigenpairs_double(double* A, int d, int k, double* values, double* vectors);

// Limits OpenBLAS to `n` threads (it is linked into embedscope_core).
void set_blas_threads(int n);

// The machine's own float matrix-multiply throughput: the best of a few OpenBLAS SGEMMs of
// (m x m) by (m x m), in GFLOP/s (2 m^3 flops each). The benchmark reports kernels as a
// fraction of it.
double measure_sgemm_gflops(int m = 1536, int reps = 3);

}  // namespace es::fast
