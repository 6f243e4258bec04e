// Exact PCA of a table: the covariance of every row (no sampling, no random projection),
// then a symmetric eigendecomposition.
//
// Two paths give the same answer to float precision:
//   reference  centred rows and covariance in double (Eigen), Eigen's SelfAdjointEigenSolver.
//              Used for narrow tables (d < 32), where it is cheap, and as the benchmark's
//              baseline.
//   fast       covariance by the kernel in pca_fast.cpp (float products, double sums over
//              blocks of 256 rows, worker_threads(), at most two halves), eigenpairs by LAPACK in float (OpenBLAS).
//              The explained-variance ratios agree with the reference to ~1e-7 (float
//              eigensolver error ~ 6e-8 * largest eigenvalue), far inside the 1e-4 goal.
#include "analysis.h"
#include "pca_fast.h"
#include "threads.h"
#include "vocabulary.h"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

namespace es {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Flips each component so that its largest-magnitude entry is positive (ties: the first
// such entry), so a basis fit twice on the same rows is identical.
void fix_signs(MatrixRMd& comps) {  // (k, d)
  for (Eigen::Index r = 0; r < comps.rows(); ++r) {
    Eigen::Index best = 0;
    double best_abs = -1;
    for (Eigen::Index c = 0; c < comps.cols(); ++c) {
      double a = std::abs(comps(r, c));
      if (a > best_abs) { best_abs = a; best = c; }
    }
    if (comps(r, best) < 0) comps.row(r) *= -1.0;
  }
}

// Fills basis from the top eigenpairs. evals: (k) decreasing; comps: (k, d).
void finish_basis(PcaBasis& basis, const std::vector<double>& evals, MatrixRMd& comps) {
  const std::size_t k = evals.size();
  basis.explained_variance.resize(k);
  basis.explained_variance_ratio.resize(k);
  for (std::size_t i = 0; i < k; ++i) {
    double ev = std::max(0.0, evals[i]);  // round-off can give tiny negatives
    basis.explained_variance[i] = ev;
    basis.explained_variance_ratio[i] = basis.total_variance > 0 ? ev / basis.total_variance : 0.0;
  }
  // Unit rows in double before rounding to float (LAPACK's float vectors are unit to ~1e-7).
  for (Eigen::Index r = 0; r < comps.rows(); ++r) {
    double nr = comps.row(r).norm();
    if (nr > 0) comps.row(r) /= nr;
  }
  fix_signs(comps);
  basis.components = comps.cast<float>();
}

PcaBasis fit_reference(const Eigen::Ref<const MatrixRM>& rows, Eigen::Index kk, PcaTiming* timing) {
  const Eigen::Index n = rows.rows(), d = rows.cols();
  auto t0 = std::chrono::steady_clock::now();
  RowVectorD mean = rows.cast<double>().colwise().sum() / static_cast<double>(n);  // (d)
  MatrixRMd centred = rows.cast<double>().rowwise() - mean;                         // (n, d)
  Eigen::MatrixXd cov = (centred.transpose() * centred) / static_cast<double>(n - 1);  // (d, d)
  if (timing) timing->covariance_s = seconds_since(t0);
  auto t1 = std::chrono::steady_clock::now();
  if (!cov.allFinite()) throw Error("PCA: the rows contain NaN or infinite values");
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(cov);
  if (solver.info() != Eigen::Success) throw Error("PCA: the eigen-decomposition did not converge");
  if (timing) {
    timing->eigen_s = seconds_since(t1);
    timing->path = "reference (double covariance + Eigen SelfAdjointEigenSolver)";
  }
  PcaBasis basis;
  basis.fit_rows = n;
  basis.mean = mean.cast<float>();
  basis.total_variance = cov.trace();
  std::vector<double> evals(kk);
  MatrixRMd comps(kk, d);  // (k, d)
  for (Eigen::Index i = 0; i < kk; ++i) {
    evals[i] = solver.eigenvalues()(d - 1 - i);  // ascending in Eigen
    comps.row(i) = solver.eigenvectors().col(d - 1 - i).transpose();
  }
  finish_basis(basis, evals, comps);
  return basis;
}

PcaBasis fit_fast(const Eigen::Ref<const MatrixRM>& rows, Eigen::Index kk, PcaTiming* timing) {
  const Eigen::Index n = rows.rows(), d = rows.cols();
  auto t0 = std::chrono::steady_clock::now();
  // A contiguous copy only when the caller's rows are strided (Ref may have an outer stride).
  MatrixRM copy;
  const float* data = rows.data();
  if (rows.outerStride() != d) {
    copy = rows;
    data = copy.data();
  }
  // Shift by an estimate of the column means, then correct the scatter of the shifted rows
  // exactly by n * ybar * ybar^T, where ybar is the leftover mean (the column sums come free
  // with the scatter). The shift only has to keep that correction small: it cancels a fraction
  // ybar^2 / (var + ybar^2) of a column's scatter, so the float rounding of the scatter grows by
  // a factor 1 + ybar^2 / var. The estimate is the mean of ~4096 rows spread evenly over the
  // table (its error, ~var / 4096 in ybar^2, costs nothing measurable) instead of a pass over
  // all rows (10-15 ms on GPT-2, single-threaded). A column whose correction still cancels more
  // than a tenth of its scatter (|ybar| > a third of its standard deviation: a table with huge
  // offsets or a few extreme rows) gets a second pass shifted by the corrected mean.
  RowVectorD est = RowVectorD::Zero(d);
  {
    const Eigen::Index step = std::max<Eigen::Index>(1, n / 4096);
    Eigen::Index used = 0;
    for (Eigen::Index r = 0; r < n; r += step, ++used) {
      const float* row = data + r * d;
      for (Eigen::Index j = 0; j < d; ++j) est(j) += row[j];
    }
    est /= static_cast<double>(used);
  }
  MatrixRMd scatter;  // (d, d), upper triangle valid
  RowVectorD ybar;    // (d)
  RowVectorF shift;   // (d)
  std::string kernel;
  for (int pass = 0; pass < 2; ++pass) {
    shift = est.cast<float>();
    scatter = MatrixRMd::Zero(d, d);
    RowVectorD colsum = RowVectorD::Zero(d);
    fast::scatter_upper(data, n, d, shift.data(), scatter.data(), colsum.data(), worker_threads(), &kernel);
    ybar = colsum / static_cast<double>(n);
    bool ok = true;
    for (Eigen::Index j = 0; j < d && ok; ++j)
      ok = static_cast<double>(n) * ybar(j) * ybar(j) <= 0.1 * scatter(j, j) || scatter(j, j) == 0;
    if (ok) break;
    est = shift.cast<double>() + ybar;
  }
  PcaBasis basis;
  basis.fit_rows = n;
  basis.mean = (shift.cast<double>() + ybar).cast<float>();
  MatrixRM covf(d, d);  // (d, d) full symmetric, float for LAPACK
  double trace = 0;
  for (Eigen::Index i = 0; i < d; ++i)
    for (Eigen::Index j = i; j < d; ++j) {
      double c = (scatter(i, j) - static_cast<double>(n) * ybar(i) * ybar(j)) / static_cast<double>(n - 1);
      if (i == j) trace += c;
      covf(i, j) = covf(j, i) = static_cast<float>(c);
    }
  if (!std::isfinite(trace) || !covf.allFinite())
    throw Error("PCA: the rows contain NaN or infinite values");
  basis.total_variance = trace;
  if (timing) timing->covariance_s = seconds_since(t0);
  auto t1 = std::chrono::steady_clock::now();
  std::vector<float> valsf(kk);
  MatrixRM vecsf(kk, d);  // (k, d)
  if (!fast::top_eigenpairs(covf.data(), static_cast<int>(d), static_cast<int>(kk), valsf.data(),
                            vecsf.data()))
    throw Error("PCA: LAPACK's symmetric eigensolver failed on the " + std::to_string(d) + " x " +
                std::to_string(d) + " covariance");
  if (timing) {
    timing->eigen_s = seconds_since(t1);
    timing->path = "fast (" + kernel + " covariance + LAPACK float eigensolver)";
  }
  std::vector<double> evals(valsf.begin(), valsf.end());
  MatrixRMd comps = vecsf.cast<double>();
  finish_basis(basis, evals, comps);
  return basis;
}

}  // namespace

PcaBasis fit_pca_method(const Eigen::Ref<const MatrixRM>& rows, int k, PcaMethod method,
                        PcaTiming* timing) {
  const Eigen::Index n = rows.rows(), d = rows.cols();
  if (n < 2)
    throw Error("PCA needs at least 2 rows to estimate a variance; got " + std::to_string(n));
  if (d < 1) throw Error("PCA needs rows with at least one column");
  if (k < 1) throw Error("PCA needs k >= 1 components; got " + std::to_string(k));
  const Eigen::Index kk = std::min<Eigen::Index>({static_cast<Eigen::Index>(k), n, d});
  if (method == PcaMethod::Auto) method = d >= 32 ? PcaMethod::Fast : PcaMethod::Reference;
  return method == PcaMethod::Fast ? fit_fast(rows, kk, timing) : fit_reference(rows, kk, timing);
}

PcaBasis fit_pca(const Eigen::Ref<const MatrixRM>& rows, int k) {
  return fit_pca_method(rows, k, PcaMethod::Auto, nullptr);
}

MatrixRM PcaBasis::project(const MatrixRM& rows) const {
  if (rows.cols() != mean.cols())
    throw Error("cannot project rows of width " + std::to_string(rows.cols()) +
                " with a PCA basis fit on width " + std::to_string(mean.cols()));
  MatrixRMd centred = rows.cast<double>().rowwise() - mean.cast<double>();  // (m, d)
  MatrixRMd out = centred * components.cast<double>().transpose();        // (m, k)
  return out.cast<float>();
}

}  // namespace es
