// fit_pca and PcaBasis::project against independent references: an SVD of the centred rows
// in double (a different algorithm from the covariance eigensolver), and tables whose
// principal axes and variances are known by construction.
#include "analysis.h"
#include "vocabulary.h"

#include <doctest.h>

#include <Eigen/SVD>

#include <cmath>
#include <fstream>
#include <random>

using namespace es;

namespace {

MatrixRM random_table(int n, int d, unsigned seed, float scale_decay = 0.9f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  MatrixRM m(n, d);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < d; ++c) m(r, c) = nd(gen) * std::pow(scale_decay, float(c)) + 0.3f * c;
  return m;
}

struct Reference {
  Eigen::VectorXd variances;  // all of them, decreasing, 1/(n-1)
  Eigen::MatrixXd axes;       // (d, r) columns
  double total = 0;
};

// Singular values of the centred rows: variance_i = s_i^2 / (n - 1).
Reference svd_reference(const MatrixRM& rows) {
  Eigen::MatrixXd x = rows.cast<double>();
  Eigen::RowVectorXd mean = x.colwise().mean();
  x.rowwise() -= mean;
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(x, Eigen::ComputeThinV);
  Reference ref;
  ref.variances = svd.singularValues().array().square() / double(rows.rows() - 1);
  ref.axes = svd.matrixV();
  ref.total = x.array().square().sum() / double(rows.rows() - 1);
  return ref;
}

void check_one(const MatrixRM& rows, int k, PcaMethod method, double tol_ratio) {
  PcaBasis b = fit_pca_method(rows, k, method);
  Reference ref = svd_reference(rows);
  const int kk = std::min<int>({k, int(rows.rows()), int(rows.cols())});
  REQUIRE(b.components.rows() == kk);
  REQUIRE(b.components.cols() == rows.cols());
  REQUIRE(int(b.explained_variance.size()) == kk);
  CHECK(b.fit_rows == rows.rows());
  CHECK(b.total_variance == doctest::Approx(ref.total).epsilon(1e-6));
  for (int i = 0; i < kk; ++i) {
    double rv = i < ref.variances.size() ? ref.variances(i) : 0.0;
    CHECK(b.explained_variance[i] == doctest::Approx(rv).epsilon(1e-5).scale(ref.total));
    CHECK(std::abs(b.explained_variance_ratio[i] - rv / ref.total) < tol_ratio);
    // unit rows, mutually orthogonal
    CHECK(b.components.row(i).cast<double>().norm() == doctest::Approx(1.0).epsilon(1e-5));
    for (int j = 0; j < i; ++j)
      CHECK(std::abs(b.components.row(i).cast<double>().dot(b.components.row(j).cast<double>())) < 1e-5);
  }
  // Subspace check where the spectrum is separated: component i lies in the reference axis i.
  for (int i = 0; i < kk && i + 1 < ref.variances.size(); ++i) {
    double gap = std::min(ref.variances(i) - ref.variances(i + 1),
                          i > 0 ? ref.variances(i - 1) - ref.variances(i) : 1e300);
    if (gap < 1e-2 * ref.total) continue;
    double c = std::abs(b.components.row(i).cast<double>().dot(ref.axes.col(i)));
    CHECK(c == doctest::Approx(1.0).epsilon(1e-4));
  }
}

// Both code paths (fit_pca picks Fast for d >= 32) against the SVD reference.
void check_against_reference(const MatrixRM& rows, int k, double tol_ratio = 1e-4) {
  for (PcaMethod m : {PcaMethod::Auto, PcaMethod::Fast, PcaMethod::Reference}) {
    CAPTURE(int(m));
    check_one(rows, k, m, tol_ratio);
  }
}

}  // namespace

TEST_CASE("PCA matches an SVD reference on random data, n > d") {
  check_against_reference(random_table(500, 24, 1), 24);
  check_against_reference(random_table(300, 10, 2), 3);
}

TEST_CASE("PCA of wider tables (the fast path): all components and a few") {
  MatrixRM rows = random_table(3000, 100, 11, 0.97f);  // spectrum decays: separated axes
  check_against_reference(rows, 100);                 // divide and conquer, every component
  check_against_reference(rows, 5);                   // MRRR, a few components
  // n not a multiple of the kernel's 256-row blocks, d not a multiple of its 48-wide panels
  check_against_reference(random_table(1337, 61, 12, 0.95f), 61);
  check_against_reference(random_table(1337, 61, 12, 0.95f), 7);
}

TEST_CASE("PCA by block Krylov iteration: the leading components and their exact ratios (to 1e-4 and tighter)") {
  // Against the SVD of the centred rows: a decaying spectrum (fast convergence), a gentler one,
  // one with n not a multiple of anything, a table with a large offset, and a flat spectrum
  // (every column the same variance: gaps are tiny and the iteration must keep going until the
  // variances settle).
  check_one(random_table(3000, 100, 11, 0.97f), 5, PcaMethod::Iterative, 1e-5);
  check_one(random_table(3000, 100, 11, 0.995f), 3, PcaMethod::Iterative, 1e-5);
  check_one(random_table(1337, 61, 12, 0.95f), 7, PcaMethod::Iterative, 1e-5);
  MatrixRM offset = random_table(2000, 40, 13);
  offset.array() += 1000.0f;
  check_one(offset, 4, PcaMethod::Iterative, 1e-4);
  check_one(random_table(2000, 64, 5, 1.0f), 3, PcaMethod::Iterative, 1e-4);
  // k near d (the block is all of d) and fewer rows than columns.
  check_one(random_table(400, 20, 6, 0.9f), 18, PcaMethod::Iterative, 1e-5);
  check_one(random_table(30, 50, 7, 0.9f), 5, PcaMethod::Iterative, 1e-5);
  // It says what ran, and it agrees with the exact fast path component by component.
  PcaTiming timing;
  const MatrixRM rows = random_table(3000, 100, 11, 0.97f);
  const PcaBasis it = fit_pca_method(rows, 5, PcaMethod::Iterative, &timing);
  CHECK(timing.path.find("iterative (block Krylov") == 0);
  // A flat spectrum wide enough for the Krylov space to settle without filling d (an untrained
  // table's case): settled, not handed to the exact path.
  PcaTiming flat_timing;
  const MatrixRM flat = random_table(6000, 256, 3, 1.0f);
  check_one(flat, 3, PcaMethod::Iterative, 1e-5);
  fit_pca_method(flat, 3, PcaMethod::Iterative, &flat_timing);
  CHECK_MESSAGE(flat_timing.path.find("did not settle") == std::string::npos, flat_timing.path);
  const PcaBasis exact = fit_pca_method(rows, 5, PcaMethod::Fast);
  for (int i = 0; i < 5; ++i) {
    CHECK(std::abs(it.explained_variance_ratio[i] - exact.explained_variance_ratio[i]) < 1e-5);
    CHECK(std::abs(it.components.row(i).cast<double>().dot(exact.components.row(i).cast<double>())) > 0.9999);
  }
}

TEST_CASE("PCA fast path: a large common offset is removed exactly (mean far from zero)") {
  MatrixRM rows = random_table(2000, 40, 13);
  rows.array() += 1000.0f;  // cancellation test for the shifted single-pass covariance
  check_against_reference(rows, 40);
  // Rows in a pattern with a mean far from any single row (one in four far up): the shift is
  // the streamed mean and the n * ybar * ybar^T correction must leave the exact covariance.
  MatrixRM blocks(1024, 40);
  for (int r = 0; r < 1024; ++r) blocks.row(r) = random_table(1, 40, 100 + r) * 0.01f + RowVectorF::Constant(40, r % 4 == 0 ? 50.0f : -5.0f);
  check_against_reference(blocks, 10);
  // The shift is the mean of evenly spaced sample rows (every second one here): rows that
  // alternate between two levels make that sample all "up": the leftover mean is as large as
  // the spread (a second pass, shifted by the corrected mean) and the result must still be exact.
  MatrixRM alternating(8192, 40);
  for (int r = 0; r < 8192; ++r)
    alternating.row(r) = random_table(1, 40, 5000 + r) * 0.01f + RowVectorF::Constant(40, r % 2 == 0 ? 50.0f : -5.0f);
  check_against_reference(alternating, 10);
}

TEST_CASE("PCA with fewer rows than columns clamps k to n") {
  MatrixRM rows = random_table(7, 20, 3);
  PcaBasis b = fit_pca(rows, 50);
  CHECK(b.components.rows() == 7);
  check_against_reference(rows, 50);
  // n rows centred span at most n - 1 dimensions: the last variance is zero.
  CHECK(b.explained_variance[6] < 1e-9 * b.total_variance);
}

TEST_CASE("PCA of a rank-deficient table and of duplicate rows") {
  // Rows in a 2-D plane of R^6: exactly two non-zero variances.
  std::mt19937 gen(4);
  std::normal_distribution<double> nd(0, 1);
  Eigen::VectorXd u(6), v(6);
  u << 1, 2, 0, -1, 0, 1;
  v << 0, 1, 1, 1, -2, 0;
  MatrixRM rows(200, 6);
  for (int r = 0; r < 200; ++r) rows.row(r) = (3 * nd(gen) * u + nd(gen) * v).transpose().cast<float>();
  check_against_reference(rows, 6);
  PcaBasis b = fit_pca(rows, 6);
  CHECK(b.explained_variance_ratio[0] + b.explained_variance_ratio[1] == doctest::Approx(1.0).epsilon(1e-6));
  for (int i = 2; i < 6; ++i) CHECK(b.explained_variance_ratio[i] < 1e-6);

  MatrixRM dup = random_table(40, 8, 5);
  MatrixRM twice(80, 8);
  twice << dup, dup;
  check_against_reference(twice, 8);
}

TEST_CASE("PCA of a table with known axes and variances") {
  // Rows +-a*e0, +-b*e1 and +-c*e2 (each pair once), n = 6, mean 0:
  // variance along e0 = 2a^2/5, e1 = 2b^2/5, e2 = 2c^2/5.
  MatrixRM rows = MatrixRM::Zero(6, 4);
  rows(0, 0) = 3; rows(1, 0) = -3;
  rows(2, 1) = -2; rows(3, 1) = 2;
  rows(4, 2) = 1; rows(5, 2) = -1;
  PcaBasis b = fit_pca(rows, 3);
  CHECK(b.explained_variance[0] == doctest::Approx(18.0 / 5));
  CHECK(b.explained_variance[1] == doctest::Approx(8.0 / 5));
  CHECK(b.explained_variance[2] == doctest::Approx(2.0 / 5));
  CHECK(b.total_variance == doctest::Approx(28.0 / 5));
  CHECK(b.explained_variance_ratio[0] == doctest::Approx(18.0 / 28));
  // sign convention: the largest-magnitude entry is positive, so components are +e0, +e1, +e2
  for (int i = 0; i < 3; ++i)
    for (int c = 0; c < 4; ++c) CHECK(b.components(i, c) == doctest::Approx(i == c ? 1.0 : 0.0).epsilon(1e-6));
}

TEST_CASE("PCA sign convention: largest-magnitude entry of every component is positive") {
  MatrixRM rows = random_table(200, 12, 6);
  for (float flip : {1.f, -1.f}) {
    PcaBasis b = fit_pca(rows * flip, 12);
    for (int i = 0; i < 12; ++i) {
      Eigen::Index at;
      b.components.row(i).cwiseAbs().maxCoeff(&at);
      CHECK(b.components(i, at) > 0);
    }
  }
  // Negating the data does not change the basis (same covariance).
  PcaBasis p = fit_pca(rows, 5), q = fit_pca(-rows, 5);
  CHECK((p.components - q.components).cwiseAbs().maxCoeff() < 1e-5);
  MatrixRM wide = random_table(500, 64, 9, 0.9f);
  PcaBasis fa = fit_pca_method(wide, 6, PcaMethod::Fast), re = fit_pca_method(wide, 6, PcaMethod::Reference);
  CHECK((fa.components - re.components).cwiseAbs().maxCoeff() < 1e-4);  // same signs too
}

TEST_CASE("projection: (rows - mean) * components^T, consistent with the variances") {
  MatrixRM rows = random_table(400, 16, 7);
  PcaBasis b = fit_pca(rows, 4);
  MatrixRM proj = b.project(rows);
  REQUIRE(proj.rows() == 400);
  REQUIRE(proj.cols() == 4);
  for (int i = 0; i < 4; ++i) {
    Eigen::VectorXd col = proj.col(i).cast<double>();
    CHECK(col.mean() == doctest::Approx(0.0).scale(1.0).epsilon(1e-4));
    double var = (col.array() - col.mean()).square().sum() / 399.0;
    CHECK(var == doctest::Approx(b.explained_variance[i]).epsilon(1e-4));
  }
  // A single arbitrary row, projected by hand.
  MatrixRM one = random_table(1, 16, 8);
  MatrixRM p1 = b.project(one);
  for (int i = 0; i < 4; ++i) {
    double s = 0;
    for (int c = 0; c < 16; ++c) s += (double(one(0, c)) - b.mean(c)) * b.components(i, c);
    CHECK(p1(0, i) == doctest::Approx(s).epsilon(1e-5));
  }
  CHECK_THROWS_AS(b.project(MatrixRM::Zero(2, 15)), es::Error);
}

TEST_CASE("PCA errors") {
  CHECK_THROWS_AS(fit_pca(MatrixRM::Zero(1, 4), 2), es::Error);
  CHECK_THROWS_AS(fit_pca(MatrixRM::Zero(0, 4), 2), es::Error);
  CHECK_THROWS_AS(fit_pca(MatrixRM::Ones(5, 4), 0), es::Error);
  // Constant rows: total variance 0, ratios reported as 0 rather than NaN.
  PcaBasis b = fit_pca(MatrixRM::Ones(5, 3), 2);
  CHECK(b.total_variance == 0);
  CHECK(b.explained_variance_ratio[0] == 0);
  MatrixRM bad = random_table(50, 40, 10);
  bad(3, 7) = std::nanf("");
  CHECK_THROWS_AS(fit_pca_method(bad, 2, PcaMethod::Fast), es::Error);
  CHECK_THROWS_AS(fit_pca_method(bad, 2, PcaMethod::Reference), es::Error);
}

TEST_CASE("PCA basis file round trip") {
  PcaBasis b = fit_pca(random_table(100, 12, 14), 4);
  std::string path = std::string(ES_TEST_BINARY_DIR) + "/pca_basis_roundtrip.bin";
  save_pca_basis(b, path);
  PcaBasis c = load_pca_basis(path);
  CHECK(c.fit_rows == 100);
  CHECK(c.total_variance == b.total_variance);
  CHECK(c.mean == b.mean);
  CHECK(c.components == b.components);
  CHECK(c.explained_variance == b.explained_variance);
  CHECK(c.explained_variance_ratio == b.explained_variance_ratio);
  {
    std::ofstream f(path, std::ios::binary);
    f << "ESPCA1";
  }
  CHECK_THROWS_AS(load_pca_basis(path), es::Error);
  CHECK_THROWS_AS(load_pca_basis(path + ".missing"), es::Error);
}
