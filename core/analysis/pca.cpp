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
#include "skinny_kernels.h"
#include "table_view.h"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <random>
#include <functional>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
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

int row_threads() { return std::max(1, std::min(worker_threads(), 8)); }

// work(begin, end, t) on consecutive row ranges, one per worker thread (at most 8).
void for_row_chunks(Eigen::Index n, const std::function<void(Eigen::Index, Eigen::Index, int)>& work) {
  const int threads = row_threads();
  std::vector<std::thread> pool;
  const Eigen::Index chunk = (n + threads - 1) / threads;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  for (int t = 0; t < threads; ++t) {
    const Eigen::Index b = t * chunk, e = std::min(n, b + chunk);
    if (b < e)
      pool.emplace_back([&, b, e, t] {
        try {
          work(b, e, t);
        } catch (...) {
          std::lock_guard<std::mutex> lock(failure_mutex);
          if (!failure) failure = std::current_exception();
        }
      });
  }
  for (std::thread& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

void check_cancel(const PcaControl* control) {
  if (control && control->cancel && control->cancel->load(std::memory_order_relaxed))
    throw Error("PCA cancelled");
}

// The mean of up to 4096 rows spread evenly over the table (the shift of the first pass).
RowVectorD sample_mean(const TableView& t) {
  const Eigen::Index n = t.rows, d = t.cols;
  const Eigen::Index step = std::max<Eigen::Index>(1, n / 4096);
  RowVectorD est = RowVectorD::Zero(d);
  RowVectorF row(d);
  Eigen::Index used = 0;
  for (Eigen::Index r = 0; r < n; r += step, ++used) {
    t.read_rows(r, 1, row.data());
    est += row.cast<double>();
  }
  return est / static_cast<double>(used);
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

PcaBasis fit_fast(const TableView& t, Eigen::Index kk, PcaTiming* timing, const PcaControl* control) {
  const Eigen::Index n = t.rows, d = t.cols;
  auto t0 = std::chrono::steady_clock::now();
  // Shift by an estimate of the column means, then correct the scatter of the shifted rows
  // exactly by n * ybar * ybar^T, where ybar is the leftover mean (the column sums come free
  // with the scatter). The shift only has to keep that correction small: it cancels a fraction
  // ybar^2 / (var + ybar^2) of a column's scatter, so the float rounding of the scatter grows by
  // a factor 1 + ybar^2 / var. The estimate is the mean of ~4096 rows spread evenly over the
  // table (its error, ~var / 4096 in ybar^2, costs nothing measurable) instead of a pass over
  // all rows (10-15 ms on GPT-2, single-threaded). A column whose correction still cancels more
  // than a tenth of its scatter (|ybar| > a third of its standard deviation: a table with huge
  // offsets or a few extreme rows) gets a second pass shifted by the corrected mean.
  //
  // A F32 table without progress to report goes to the kernel in one call (it splits the rows
  // over two threads itself). Otherwise each worker thread takes a range of rows and its own
  // scatter, and gives the kernel chunks of its rows (BF16 / F16 widened to float first, at
  // most 64 MB a chunk), with progress and cancel between them; the scatters are added once at
  // the end. (Chunks through the two-thread call would add a d x d merge per chunk: 27 s
  // instead of 9 s for a 128,256 x 4,096 BF16 table.)
  RowVectorD est = sample_mean(t);
  const bool whole = t.f32() && !control;
  const int threads = whole ? 1 : row_threads();
  const Eigen::Index chunk = std::clamp<Eigen::Index>((Eigen::Index(64) << 20) / (4 * d), 256, 8192);
  auto scatter_all = [&](const RowVectorF& shift, MatrixRMd& scatter, RowVectorD& colsum, std::string& kernel, int pass) {
    if (whole) {
      fast::scatter_upper(t.f32(), static_cast<std::size_t>(n), static_cast<std::size_t>(d), shift.data(), scatter.data(),
                          colsum.data(), worker_threads(), &kernel);
      return;
    }
    std::vector<MatrixRMd> scatters(static_cast<std::size_t>(threads));
    std::vector<RowVectorD> colsums(static_cast<std::size_t>(threads));
    std::atomic<long long> rows_done{0};
    std::mutex kernel_mutex;
    for_row_chunks(n, [&](Eigen::Index b, Eigen::Index e, int th) {
      MatrixRMd& own = th == 0 ? scatter : scatters[static_cast<std::size_t>(th)];
      RowVectorD& own_sum = th == 0 ? colsum : colsums[static_cast<std::size_t>(th)];
      if (th != 0) {
        own = MatrixRMd::Zero(d, d);
        own_sum = RowVectorD::Zero(d);
      }
      MatrixRM widened(t.f32() ? 0 : std::min(chunk, e - b), d);
      std::string name;
      for (Eigen::Index r = b; r < e; r += chunk) {
        const Eigen::Index m = std::min(chunk, e - r);
        const float* x = t.f32() ? t.f32() + r * d : widened.data();
        if (!t.f32()) t.read_rows(r, m, widened.data());
        fast::scatter_upper(x, static_cast<std::size_t>(m), static_cast<std::size_t>(d), shift.data(), own.data(),
                            own_sum.data(), 1, &name);
        rows_done.fetch_add(m);
        check_cancel(control);
        if (th == 0 && control && control->progress)
          control->progress(0.9 * (pass == 0 ? 1.0 : 0.5) * static_cast<double>(rows_done.load()) / static_cast<double>(n));
      }
      std::lock_guard<std::mutex> lock(kernel_mutex);
      kernel = name;
    });
    for (int th = 1; th < threads; ++th)
      if (scatters[static_cast<std::size_t>(th)].size()) {
        scatter += scatters[static_cast<std::size_t>(th)];
        colsum += colsums[static_cast<std::size_t>(th)];
      }
  };
  MatrixRMd scatter;  // (d, d), upper triangle valid
  RowVectorD ybar;    // (d)
  RowVectorF shift;   // (d)
  std::string kernel;
  for (int pass = 0; pass < 2; ++pass) {
    shift = est.cast<float>();
    scatter = MatrixRMd::Zero(d, d);
    RowVectorD colsum = RowVectorD::Zero(d);
    scatter_all(shift, scatter, colsum, kernel, pass);
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

// ---- the leading components by block Krylov iteration --------------------------------------
//
// For tables too large to form a d x d covariance quickly (LLaMA-size: 128,256 x 4,096): a
// random block of p = k + 8 directions and the blocks the centred rows' Gram operator A makes of
// it (A Z, A^2 Z, ...: each a product with the rows and one with their transpose, both from one
// read of each block of rows, rows split over the worker threads), orthonormalised together;
// after every block the Rayleigh-Ritz values of the whole space (the exact variances along its
// directions, from all rows) are compared with the round before, and the iteration stops when
// none of the leading k moved by more than 1e-8 of the total variance (so their
// explained-variance ratios are settled far inside 1e-4). If they have not settled when the
// space would exceed d or after 60 blocks, the exact path runs instead (and says so).
//
// The table is read in place in its own element type (F32, BF16, F16: TableView), a block of
// rows at a time widened to float in a per-thread buffer that stays in cache for both
// products (fast::skinny_block). The first pass also gives the exact mean and total
// variance: it centres on an estimate of the mean (a sample of rows), and the products are
// corrected for the estimate's small error afterwards, so no pass is spent on the mean alone.
// Deterministic: the random block has a fixed seed.

// One pass: y (n, p) = (X - 1 s) Z and acc (d, p) = X^T y, for a shift s (d) and directions Z
// (d, p); with `moments`, also the column sums of X - 1 s and the sum of its squares.
struct PassResult {
  MatrixRM y;          // (n, p)
  MatrixRMd xty;       // (d, p)
  RowVectorD colsum;   // (d), only with moments
  double squares = 0;  // only with moments
};
PassResult skinny_pass(const TableView& t, const RowVectorF& s, const MatrixRMd& z, bool moments,
                       const PcaControl* control, double done, double share) {
  const Eigen::Index n = t.rows, d = t.cols, p = z.cols();
  PassResult out;
  out.y.resize(n, p);
  const MatrixRM zt = z.transpose().cast<float>();  // (p, d)
  const RowVectorF shift = (s.cast<double>() * z).cast<float>();  // (p)
  const int threads = row_threads();
  std::vector<MatrixRMd> parts(static_cast<std::size_t>(threads));
  std::vector<RowVectorD> sums(static_cast<std::size_t>(threads));
  std::vector<double> squares(static_cast<std::size_t>(threads), 0.0);
  // Rows per block: ~128 kB of floats, in L2 for the second product, and a multiple of the 8
  // rows the additions take at a time (at d = 8,192 the 128 kB held 4, and half of the
  // additions' multiply-adds were by rows of weight 0).
  const Eigen::Index rows_per_block =
      std::max<Eigen::Index>(8, (128 << 10) / (4 * std::max<Eigen::Index>(1, d))) / 8 * 8;
  std::atomic<long long> rows_done{0};
  // BF16 rows are widened inside the SIMD multiply (the wait for the table's bytes overlaps the
  // arithmetic); without SIMD, and for F16, by TableView::read_rows first.
  const bool fused_bf16 = t.type == ElementType::BF16 && fast::skinny_kernel_name() != "scalar";
  for_row_chunks(n, [&](Eigen::Index b, Eigen::Index e, int th) {
    MatrixRM acc = MatrixRM::Zero(p, d);  // (p, d): acc^T of X^T y
    MatrixRMd& part = parts[static_cast<std::size_t>(th)];
    part = MatrixRMd::Zero(p, d);
    RowVectorD& colsum = sums[static_cast<std::size_t>(th)];
    colsum = RowVectorD::Zero(d);
    double sq = 0;
    // F32 rows in place unless the view has a file (then read into `widened`, as are
    // BF16 / F16 rows); BF16 bytes read from the file go to `raw` first.
    const bool in_place = t.f32() && t.fd < 0;
    MatrixRM widened(in_place ? 0 : rows_per_block, d);
    std::vector<std::uint16_t> raw(fused_bf16 && t.fd >= 0 ? static_cast<std::size_t>(rows_per_block * d) : 0);
    RowVectorF bsum(d);
    int blocks = 0;
    for (Eigen::Index r = b; r < e; r += rows_per_block) {
      const Eigen::Index m = std::min(rows_per_block, e - r);
      const float* x = in_place ? t.f32() + r * d : widened.data();
      if (moments) bsum.setZero();
      const fast::BlockMoments mo{s.data(), bsum.data(), &sq};
      const fast::BlockMoments* mp = moments ? &mo : nullptr;
      if (fused_bf16) {  // widened while multiplied
        const std::uint8_t* bytes = t.fetch_rows(r, m, reinterpret_cast<std::uint8_t*>(raw.data()));
        fast::skinny_block_bf16(reinterpret_cast<const std::uint16_t*>(bytes), widened.data(),
                                static_cast<std::size_t>(m), static_cast<std::size_t>(d), zt.data(),
                                static_cast<std::size_t>(p), shift.data(), out.y.row(r).data(), acc.data(), mp);
      } else {
        if (!in_place) t.read_rows(r, m, widened.data());
        fast::skinny_block(x, static_cast<std::size_t>(m), static_cast<std::size_t>(d), zt.data(),
                           static_cast<std::size_t>(p), shift.data(), out.y.row(r).data(), acc.data(), mp);
      }
      if (moments) colsum += bsum.cast<double>();
      if (++blocks == 32) {  // float sums over at most 32 blocks, then into double
        part += acc.cast<double>();
        acc.setZero();
        blocks = 0;
        if (th == 0) {
          check_cancel(control);
          if (control && control->progress)
            control->progress(done + share * static_cast<double>(rows_done.load()) / static_cast<double>(n));
        }
      }
      rows_done.fetch_add(m, std::memory_order_relaxed);
    }
    part += acc.cast<double>();
    squares[static_cast<std::size_t>(th)] = sq;
  });
  check_cancel(control);
  out.xty = MatrixRMd::Zero(d, p);
  for (const MatrixRMd& part : parts)
    if (part.size()) out.xty += part.transpose();
  if (moments) {
    out.colsum = RowVectorD::Zero(d);
    for (const RowVectorD& c : sums)
      if (c.size()) out.colsum += c;
    for (double q : squares) out.squares += q;
  }
  return out;
}

// An orthonormal basis of the columns of a (rows, p), in double.
MatrixRMd orthonormal(const MatrixRMd& a) {
  Eigen::HouseholderQR<MatrixRMd> qr(a);
  return qr.householderQ() * MatrixRMd::Identity(a.rows(), a.cols());
}

PcaBasis fit_iterative(const TableView& t, Eigen::Index kk, PcaTiming* timing, const PcaControl* control) {
  const auto t0 = std::chrono::steady_clock::now();
  const Eigen::Index n = t.rows, d = t.cols;
  const Eigen::Index p = std::min<Eigen::Index>(d, kk + 8);
  std::mt19937_64 rng(20261203);
  std::normal_distribution<double> normal(0.0, 1.0);
  MatrixRMd z0(d, p);
  for (Eigen::Index i = 0; i < d; ++i)
    for (Eigen::Index j = 0; j < p; ++j) z0(i, j) = normal(rng);
  std::vector<MatrixRMd> zs{orthonormal(z0)};  // the blocks of K, (d, p) each, orthonormal together

  // First pass, shifted by the sample mean s: y_s = (X - 1 s) Z0, X^T y_s, and the moments.
  const RowVectorD s = sample_mean(t);
  PassResult first = skinny_pass(t, s.cast<float>(), zs[0], true, control, 0.0, 0.2);
  const RowVectorD delta = first.colsum / static_cast<double>(n);  // mean - s
  const RowVectorD mean = s + delta;
  const double ss = first.squares - static_cast<double>(n) * delta.squaredNorm();
  if (!std::isfinite(ss) || !first.xty.allFinite()) throw Error("PCA: the rows contain NaN or infinite values");
  PcaBasis basis;
  basis.fit_rows = n;
  basis.mean = mean.cast<float>();
  basis.total_variance = std::max(0.0, ss) / static_cast<double>(n - 1);

  // Block Krylov: K = [Z0, A Z0, A^2 Z0, ...] (A = Xc^T Xc), each block orthonormalised
  // against the ones before, so the leading variances converge with the square root of the
  // spectral gap rather than the gap itself (plain subspace iteration needed 60+ rounds on an
  // untrained table's flat spectrum). Y_j = Xc Z_j is kept: the Rayleigh-Ritz matrix is
  // [Y_0 .. Y_j]^T [Y_0 .. Y_j] / (n - 1), updated a block at a time.
  //
  // When to stop: A Z_j is known for every block so far (it is what the pass computed), so A
  // times any Ritz vector u = K c is known without another pass, and with it the residual
  // r = A u / (n - 1) - theta u. Some variance lies within |r| of theta, and within
  // |r|^2 / gap when the other variances are at least `gap` away (gap taken from the
  // neighbouring Ritz values). The iteration stops when that bound is below 1e-6 of the total
  // variance for each of the leading k (their ratios then sit 100 times inside 1e-4), or when
  // none of them moved by more than 1e-8 of the total since the round before.
  std::vector<MatrixRM> ys;    // Xc Z_j, (n, p) each
  std::vector<MatrixRMd> azs;  // A Z_j, (d, p) each
  MatrixRMd gram;              // (m, m)
  std::vector<double> prev(static_cast<std::size_t>(kk), -1.0), ritz(static_cast<std::size_t>(kk));
  double worst_bound = 0;
  Eigen::SelfAdjointEigenSolver<MatrixRMd> eig;
  int rounds = 0;
  const int max_rounds = static_cast<int>(std::max<Eigen::Index>(1, std::min<Eigen::Index>(60, d / p)));
  const RowVectorF mean_f = mean.cast<float>();
  const double scale = 1.0 / static_cast<double>(n - 1);
  for (;; ++rounds) {
    PassResult pass = rounds == 0 ? std::move(first)
                                  : skinny_pass(t, mean_f, zs.back(), false, control,
                                                std::min(0.9, 0.2 + 0.15 * (rounds - 1)), 0.15);
    // Centred on the exact mean: with c = mean - shift (delta in the first pass, the float
    // rounding of the mean after), y_c = y - 1 (c Z) and Xc^T y_c = X^T y - n mean^T (c Z)
    // - mean^T colsum(y_c).
    const RowVectorD c = rounds == 0 ? delta : RowVectorD(mean - mean_f.cast<double>());
    const RowVectorD cz = c * zs.back();  // (p)
    // (y stays in float: a double copy of each (n, p) block cost more in page faults than the
    // products below. Sums and products are taken in double.)
    MatrixRM yc = std::move(pass.y);
    yc.rowwise() -= cz.cast<float>();
    MatrixRMd next = pass.xty - static_cast<double>(n) * mean.transpose() * cz;
    azs.emplace_back();  // filled below, with the column sums of yc
    ys.push_back(std::move(yc));
    const Eigen::Index m = p * static_cast<Eigen::Index>(ys.size());
    // The new column of blocks of the Rayleigh-Ritz matrix, Y_j^T Y_last / (n - 1) for every j,
    // and colsum(Y_last): rows split over the threads, 256 at a time widened to double.
    const Eigen::Index nb = static_cast<Eigen::Index>(ys.size());
    std::vector<MatrixRMd> partial(static_cast<std::size_t>(row_threads()), MatrixRMd::Zero(m + 1, p));
    for_row_chunks(n, [&](Eigen::Index b, Eigen::Index e, int th) {
      MatrixRMd& out = partial[static_cast<std::size_t>(th)];
      MatrixRMd last, other;
      for (Eigen::Index r = b; r < e; r += 256) {
        const Eigen::Index rows = std::min<Eigen::Index>(256, e - r);
        last = ys.back().middleRows(r, rows).cast<double>();
        for (Eigen::Index j = 0; j < nb; ++j) {
          other = ys[static_cast<std::size_t>(j)].middleRows(r, rows).cast<double>();
          out.middleRows(j * p, p).noalias() += other.transpose() * last;
        }
        out.row(m) += last.colwise().sum();
      }
    });
    MatrixRMd column = MatrixRMd::Zero(m + 1, p);
    for (const MatrixRMd& part : partial) column += part;
    const RowVectorD ysum = column.row(m);
    next -= mean.transpose() * ysum;
    azs.back() = next;
    MatrixRMd grown = MatrixRMd::Zero(m, m);
    if (gram.size()) grown.topLeftCorner(m - p, m - p) = gram;
    for (Eigen::Index j = 0; j < nb; ++j) {
      const MatrixRMd block = column.middleRows(j * p, p) * scale;  // (p, p)
      grown.block(j * p, m - p, p, p) = block;
      grown.block(m - p, j * p, p, p) = block.transpose();
    }
    gram = std::move(grown);
    eig.compute(gram);
    if (eig.info() != Eigen::Success) throw Error("PCA: the small eigenproblem of the iteration failed");
    double moved = 0;
    for (Eigen::Index i = 0; i < kk; ++i) {
      ritz[static_cast<std::size_t>(i)] = eig.eigenvalues()(m - 1 - i);
      moved = std::max(moved, std::abs(ritz[static_cast<std::size_t>(i)] - prev[static_cast<std::size_t>(i)]));
    }
    prev = ritz;
    // Residual bounds of the leading k.
    worst_bound = 0;
    for (Eigen::Index i = 0; i < kk; ++i) {
      const Eigen::Index col = m - 1 - i;
      const double theta = eig.eigenvalues()(col);
      RowVectorD au = RowVectorD::Zero(d), u = RowVectorD::Zero(d);
      for (std::size_t j = 0; j < zs.size(); ++j) {
        const auto cj = eig.eigenvectors().col(col).segment(static_cast<Eigen::Index>(j) * p, p);
        au += (azs[j] * cj).transpose() * scale;
        u += (zs[j] * cj).transpose();
      }
      const double r = (au - theta * u).norm();
      double gap = std::numeric_limits<double>::infinity();
      if (col + 1 < m) gap = std::min(gap, eig.eigenvalues()(col + 1) - theta);
      if (col > 0) gap = std::min(gap, theta - eig.eigenvalues()(col - 1));
      const double bound = gap > 0 ? std::min(r, r * r / gap) : r;
      worst_bound = std::max(worst_bound, bound);
    }
    if (rounds > 0 && (worst_bound <= 1e-6 * basis.total_variance || moved <= 1e-8 * basis.total_variance)) break;
    if (rounds + 1 >= max_rounds || m + p > d) {
      // Not settled before the space filled d or the rounds ran out: the exact path (its
      // covariance is cheap exactly when d is small enough to fill).
      PcaBasis exact = fit_fast(t, kk, timing, control);
      if (timing) timing->path = "iterative did not settle in " + std::to_string(rounds + 1) + " blocks; " + timing->path;
      return exact;
    }
    // The next block: A Z_j = Xc^T Y_j, made orthogonal to every block so far (twice, for
    // rounding), then orthonormal.
    for (int twice = 0; twice < 2; ++twice)
      for (const MatrixRMd& zj : zs) next -= zj * (zj.transpose() * next);
    zs.push_back(orthonormal(next));
  }
  // Components: K times the Ritz vectors, largest first.
  const Eigen::Index m = gram.rows();
  MatrixRMd comps = MatrixRMd::Zero(kk, d);
  for (Eigen::Index i = 0; i < kk; ++i)
    for (std::size_t j = 0; j < zs.size(); ++j)
      comps.row(i) += (zs[j] * eig.eigenvectors().col(m - 1 - i).segment(static_cast<Eigen::Index>(j) * p, p)).transpose();
  if (timing) {
    timing->covariance_s = seconds_since(t0);
    timing->eigen_s = 0;
    char bound[32];
    std::snprintf(bound, sizeof bound, "%.1e", basis.total_variance > 0 ? worst_bound / basis.total_variance : 0.0);
    timing->path = "iterative (block Krylov, " + std::to_string(rounds + 1) + " passes, block " + std::to_string(p) +
                   ", " + element_type_name(t.type) + " in place, " + fast::skinny_kernel_name() +
                   "; ratio error bound " + bound + ")";
  }
  if (control && control->progress) control->progress(1.0);
  finish_basis(basis, ritz, comps);
  return basis;
}

}  // namespace

PcaBasis fit_pca_view(const TableView& table, int k, PcaMethod method, PcaTiming* timing,
                      const PcaControl* control) {
  const Eigen::Index n = table.rows, d = table.cols;
  if (n < 2)
    throw Error("PCA needs at least 2 rows to estimate a variance; got " + std::to_string(n));
  if (d < 1) throw Error("PCA needs rows with at least one column");
  if (k < 1) throw Error("PCA needs k >= 1 components; got " + std::to_string(k));
  const Eigen::Index kk = std::min<Eigen::Index>({static_cast<Eigen::Index>(k), n, d});
  if (method == PcaMethod::Auto) method = d >= 32 ? PcaMethod::Fast : PcaMethod::Reference;
  if (method == PcaMethod::Iterative) return fit_iterative(table, kk, timing, control);
  if (method == PcaMethod::Fast) return fit_fast(table, kk, timing, control);
  if (table.f32()) return fit_reference(TableMap(table.f32(), n, d), kk, timing);
  MatrixRM rows(n, d);
  table.read_rows(0, n, rows.data());
  return fit_reference(rows, kk, timing);
}

PcaBasis fit_pca_method(const Eigen::Ref<const MatrixRM>& rows, int k, PcaMethod method,
                        PcaTiming* timing) {
  if (rows.rows() > 0 && rows.outerStride() != rows.cols()) {
    const MatrixRM copy = rows;  // contiguous rows for the kernels
    return fit_pca_view(TableView::of(TableMap(copy.data(), copy.rows(), copy.cols())), k, method, timing);
  }
  return fit_pca_view({rows.data(), ElementType::F32, static_cast<long long>(rows.rows()), static_cast<long long>(rows.cols())},
                      k, method, timing);
}

PcaMethod leading_components_method(long long cols, int k) {
  return cols >= 1024 && k <= 64 ? PcaMethod::Iterative : PcaMethod::Auto;
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
