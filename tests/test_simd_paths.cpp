// Every SIMD path the CPU has (portable, AVX2 + FMA, AVX-512) against a double reference: the
// covariance scatter and the neighbour search. The path is forced through es::set_simd_cap,
// so an AVX-512 machine checks all three and an AVX2 machine the two it has.
#include <doctest.h>

#include "analysis.h"
#include "pca_fast.h"
#include "simd.h"
#include "vocabulary.h"
#include "vocabulary_kernels.h"

#include <cmath>
#include <vector>

using namespace es;

namespace {

std::vector<SimdLevel> levels_here() {
  std::vector<SimdLevel> out = {SimdLevel::Portable};
  if (cpu_simd_level() >= SimdLevel::Avx2) out.push_back(SimdLevel::Avx2);
  if (cpu_simd_level() >= SimdLevel::Avx512) out.push_back(SimdLevel::Avx512);
  return out;
}

// Rows with a common offset and columns of different scales (so the centring matters).
MatrixRM table(int n, int d) {
  MatrixRM t(n, d);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < d; ++c) t(r, c) = std::sin(0.37f * r + 1.3f * c) * (1.0f + 0.02f * c) + 0.5f + 0.01f * c;
  return t;
}

struct CapGuard {
  ~CapGuard() { set_simd_cap(SimdLevel::Avx512); }
};

}  // namespace

TEST_CASE("covariance scatter: every path equals the double reference") {
  CapGuard guard;
  for (int d : {5, 47, 48, 50, 100, 130}) {
    // Several 256-row blocks and a partial last one; at d = 130 the work is large enough that
    // the rows are split between two threads (and 130 is no multiple of the 24- and 48-wide tiles).
    const int n = d == 130 ? 4000 : 1500;
    const MatrixRM x = table(n, d);
    std::vector<float> shift(static_cast<size_t>(d));
    for (int c = 0; c < d; ++c) shift[static_cast<size_t>(c)] = 0.5f;
    // Reference in double.
    Eigen::MatrixXd ref = Eigen::MatrixXd::Zero(d, d);
    for (int r = 0; r < n; ++r) {
      const Eigen::VectorXd v = (x.row(r).cast<double>().array() - 0.5).matrix().transpose();
      ref.noalias() += v * v.transpose();
    }
    for (SimdLevel level : levels_here()) {
      set_simd_cap(level);
      CAPTURE(d);
      CAPTURE(simd_level_name(level));
      std::vector<double> C(static_cast<size_t>(d) * d, 0.0), colsum(static_cast<size_t>(d), 0.0);
      std::string kernel;
      fast::scatter_upper(x.data(), n, d, shift.data(), C.data(), colsum.data(), 2, &kernel);
      CHECK(kernel == (level == SimdLevel::Portable ? "openblas" : simd_level_name(level)));
      double worst = 0;
      for (int i = 0; i < d; ++i)
        for (int j = i; j < d; ++j)
          worst = std::max(worst, std::fabs(C[static_cast<size_t>(i) * d + j] - ref(i, j)) / (1.0 + std::fabs(ref(i, j))));
      // Float sums over 256-row blocks (SIMD kernels) or 2048-row blocks (OpenBLAS SSYRK).
      CHECK(worst < (level == SimdLevel::Portable ? 3e-5 : 1e-5));
    }
  }
}

TEST_CASE("PCA ratios and neighbours agree across paths") {
  CapGuard guard;
  const MatrixRM x = table(3000, 64);
  TableMap map(x.data(), x.rows(), x.cols());
  set_simd_cap(SimdLevel::Portable);
  const PcaBasis base = fit_pca(x, 10);
  const std::vector<float> q(x.row(7).data(), x.row(7).data() + 64);
  const std::vector<Neighbour> base_nn = nearest_neighbours(map, q, 10);
  for (SimdLevel level : levels_here()) {
    set_simd_cap(level);
    CAPTURE(simd_level_name(level));
    CHECK(fast::search_kernel_name() == (level == SimdLevel::Portable ? "scalar" : simd_level_name(level)));
    const PcaBasis p = fit_pca(x, 10);
    for (int k = 0; k < 10; ++k)
      CHECK(p.explained_variance_ratio[static_cast<size_t>(k)] ==
            doctest::Approx(base.explained_variance_ratio[static_cast<size_t>(k)]).epsilon(1e-4));
    VocabularyIndex index(map);
    const std::vector<Neighbour> nn = index.nearest(q, 10);
    REQUIRE(nn.size() == base_nn.size());
    for (size_t i = 0; i < nn.size(); ++i) CHECK(nn[i].id == base_nn[i].id);
  }
}

TEST_CASE("the cap never raises the level above the CPU's") {
  CapGuard guard;
  set_simd_cap(SimdLevel::Avx512);
  CHECK(simd_level() == cpu_simd_level());
  set_simd_cap(SimdLevel::Portable);
  CHECK(simd_level() == SimdLevel::Portable);
  CHECK_FALSE(cpu_simd_flags().empty());
}
