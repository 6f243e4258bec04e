// Exact PCA of a table: covariance of the centred rows in double, then a symmetric
// eigendecomposition. Every row is used (no sampling, no random projection).
#include "analysis.h"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <string>

namespace es {

namespace {

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

}  // namespace

PcaBasis fit_pca(const Eigen::Ref<const MatrixRM>& rows, int k) {
  const Eigen::Index n = rows.rows(), d = rows.cols();
  if (n < 2)
    throw Error("PCA needs at least 2 rows to estimate a variance; got " + std::to_string(n));
  if (d < 1) throw Error("PCA needs rows with at least one column");
  if (k < 1) throw Error("PCA needs k >= 1 components; got " + std::to_string(k));
  const Eigen::Index kk = std::min<Eigen::Index>({static_cast<Eigen::Index>(k), n, d});

  RowVectorD mean = rows.cast<double>().colwise().sum() / static_cast<double>(n);  // (d)
  MatrixRMd centred = rows.cast<double>().rowwise() - mean;                         // (n, d)
  Eigen::MatrixXd cov = (centred.transpose() * centred) / static_cast<double>(n - 1);  // (d, d)

  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(cov);
  if (solver.info() != Eigen::Success) throw Error("PCA: the eigen-decomposition did not converge");
  const Eigen::VectorXd& evals = solver.eigenvalues();  // ascending
  const Eigen::MatrixXd& evecs = solver.eigenvectors();  // columns

  PcaBasis basis;
  basis.fit_rows = n;
  basis.mean = mean.cast<float>();
  basis.total_variance = cov.trace();
  MatrixRMd comps(kk, d);
  basis.explained_variance.resize(kk);
  basis.explained_variance_ratio.resize(kk);
  for (Eigen::Index i = 0; i < kk; ++i) {
    Eigen::Index src = d - 1 - i;
    comps.row(i) = evecs.col(src).transpose();
    double ev = std::max(0.0, evals(src));  // round-off can give tiny negatives
    basis.explained_variance[i] = ev;
    basis.explained_variance_ratio[i] = basis.total_variance > 0 ? ev / basis.total_variance : 0.0;
  }
  fix_signs(comps);
  basis.components = comps.cast<float>();
  return basis;
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
