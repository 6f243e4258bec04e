// Every SIMD path the CPU has (portable, AVX2 + FMA, AVX-512) against a double reference: the
// covariance scatter and the neighbour search. The path is forced through es::set_simd_cap,
// so an AVX-512 machine checks all three and an AVX2 machine the two it has.
#include <doctest.h>

#include "analysis.h"
#include "pca_fast.h"
#include "simd.h"
#include "vocabulary.h"
#include "vocabulary_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
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

TEST_CASE("neighbour scan: integer sums exact on every path, and the stated bound holds") {
  CapGuard guard;
  std::mt19937 gen(11);
  std::uniform_int_distribution<int> cd(-127, 127), qd(-16383, 16383);
  // Widths around the SIMD steps (16 / 32 / 64 columns) and across the 8,192-column chunks
  // in which the int32 lanes are emptied; the extreme rows (every code +-127 against every
  // query code +-16383) are where a lane would overflow.
  for (std::size_t d : {1u, 15u, 31u, 33u, 100u, 8191u, 8192u, 8193u, 20000u}) {
    CAPTURE(d);
    const std::size_t n = 4;
    std::vector<std::int8_t> codes(n * d);
    std::vector<std::int16_t> q(d);
    for (std::size_t i = 0; i < d; ++i) {
      codes[i] = 127;
      codes[d + i] = -127;
      codes[2 * d + i] = static_cast<std::int8_t>(cd(gen));
      codes[3 * d + i] = static_cast<std::int8_t>(i % 2 ? 127 : -127);
      q[i] = static_cast<std::int16_t>(i % 3 == 2 ? qd(gen) : 16383);
    }
    const std::vector<float> scales(n, 1.0f);
    for (SimdLevel level : levels_here()) {
      set_simd_cap(level);
      CAPTURE(simd_level_name(level));
      std::vector<float> got(n);
      fast::approx_scores(codes.data(), scales.data(), n, d, q.data(), 1.0, got.data(), 1);
      for (std::size_t r = 0; r < n; ++r) {
        long long ref = 0;
        for (std::size_t i = 0; i < d; ++i) ref += static_cast<long long>(codes[r * d + i]) * q[i];
        CHECK(got[r] == static_cast<float>(double(ref)));
      }
    }
  }

  // The bound of VocabularyIndex::nearest: |u_r . qhat - approx_r| <= 0.5 scale_r |qhat|_1 +
  // scale_r |code_r|_1 max|qhat - qscale qcodes| (+ float round-off), checked row by row
  // against the cosine in double, on rows with one large entry (coarse codes) and plain ones.
  for (std::size_t d : {7u, 64u, 768u, 9000u}) {
    CAPTURE(d);
    const std::size_t n = 300;
    std::normal_distribution<float> nd(0.f, 1.f);
    std::vector<float> x(n * d), qv(d);
    for (std::size_t i = 0; i < n * d; ++i) x[i] = nd(gen);
    for (std::size_t r = 0; r < n; r += 3) x[r * d + r % d] = 40.f;
    for (std::size_t i = 0; i < d; ++i) qv[i] = nd(gen) + (i == 1 % d ? 25.f : 0.f);
    double qn = 0;
    for (float v : qv) qn += double(v) * v;
    qn = std::sqrt(qn);
    std::vector<float> qhat(d);
    double l1 = 0;
    for (std::size_t i = 0; i < d; ++i) {
      qhat[i] = static_cast<float>(qv[i] / qn);
      l1 += std::abs(double(qhat[i]));
    }
    for (SimdLevel level : levels_here()) {
      set_simd_cap(level);
      CAPTURE(simd_level_name(level));
      std::vector<std::int8_t> codes(n * d);
      std::vector<float> scales(n), approx(n);
      std::vector<double> norms(n);
      std::vector<std::uint32_t> cl1(n);
      fast::build_codes(x.data(), n, d, codes.data(), scales.data(), norms.data(), cl1.data(), 2);
      std::vector<std::int16_t> qc(d);
      double qerr = 0;
      const double qscale = fast::quantize_query(qhat.data(), d, qc.data(), &qerr);
      CHECK(qerr <= qscale * 0.5 * (1 + 1e-9));
      fast::approx_scores(codes.data(), scales.data(), n, d, qc.data(), qscale, approx.data(), 2);
      double worst = 0;
      for (std::size_t r = 0; r < n; ++r) {
        long long sum = 0;
        for (std::size_t i = 0; i < d; ++i) sum += std::abs(int(codes[r * d + i]));
        REQUIRE(cl1[r] == static_cast<std::uint32_t>(sum));
        double dot = 0;
        for (std::size_t i = 0; i < d; ++i) dot += double(x[r * d + i]) * double(qv[i]);
        const double cosine = dot / (norms[r] * qn);
        const double bound = double(scales[r]) * (0.5 * l1 * (1 + 1e-3) + qerr * (1 + 1e-6) * cl1[r]) + 1e-4;
        const double err = std::abs(cosine - double(approx[r]));
        CHECK(err <= bound);
        worst = std::max(worst, err / bound);
      }
      // The bound is not so loose that it would pass anything: some row uses a fair share of it.
      CHECK(worst > 0.02);
    }
  }
}
