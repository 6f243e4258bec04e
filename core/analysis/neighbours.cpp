// Exact top-k cosine neighbours over a whole table (rules in vocabulary.h).
//
// One pass in float with a proven error bound per row (SIMD kernels in vocabulary_kernels.cpp,
// both cores), then the rows the bound cannot rule out scored exactly in double (the same
// expressions as the index's rescoring), then a k-sized heap. No cache: the table may change
// between calls. For repeated queries on one model, VocabularyIndex keeps the norms and a
// compressed copy and is several times faster.
#include "analysis.h"
#include "vocabulary.h"
#include "vocabulary_kernels.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

namespace es {

namespace detail {

// Order of results: higher score first, then lower id.
static bool better(double sa, int ia, double sb, int ib) { return sa != sb ? sa > sb : ia < ib; }

std::vector<Neighbour> select_top_k(std::span<const int> ids, std::span<const double> scores, int k) {
  struct Item {
    double score;
    int id;
  };
  std::vector<Item> heap;  // heap.front() is the worst kept
  if (k <= 0) return {};
  heap.reserve(static_cast<std::size_t>(k) + 1);
  auto worse = [](const Item& a, const Item& b) { return better(a.score, a.id, b.score, b.id); };
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const double s = scores[i];
    if (std::isnan(s)) continue;
    if (heap.size() < static_cast<std::size_t>(k)) {
      heap.push_back({s, ids[i]});
      std::push_heap(heap.begin(), heap.end(), worse);
    } else if (better(s, ids[i], heap.front().score, heap.front().id)) {
      std::pop_heap(heap.begin(), heap.end(), worse);
      heap.back() = {s, ids[i]};
      std::push_heap(heap.begin(), heap.end(), worse);
    }
  }
  std::sort(heap.begin(), heap.end(), worse);
  std::vector<Neighbour> out;
  out.reserve(heap.size());
  for (const Item& it : heap) out.push_back({it.id, static_cast<float>(it.score)});
  return out;
}

bool float_cosine_bounds(float dot, float sq, float absdot, long long d, double* lo, double* hi) {
  constexpr double u = 1.0 / 16777216.0;  // float's unit roundoff
  const double m = double(d + 8) * u;
  const double g = m / (1.0 - m);
  const double underflow = double(d + 8) * std::ldexp(1.0, -148);
  constexpr double margin = 1e-9;  // the double arithmetic of the bounds and of the exact scores
  const double s2 = sq, dt = dot, a = absdot;
  if (!(s2 >= std::ldexp(1.0, -90)) || !std::isfinite(s2) || !std::isfinite(dt) || !std::isfinite(a)) return false;
  const double e = (g + 2 * u) * a / (1.0 - g) + underflow;
  const double xl = std::sqrt(s2 / (1.0 + g)), xh = std::sqrt(s2 / (1.0 - g));
  const double top = dt + e, bottom = dt - e;
  *hi = (top >= 0 ? top / xl : top / xh) + margin;
  *lo = (bottom >= 0 ? bottom / xh : bottom / xl) - margin;
  return true;
}

double query_norm(std::span<const float> query, long long d) {
  if (static_cast<long long>(query.size()) != d)
    throw Error("neighbour query has " + std::to_string(query.size()) +
                " values but the table rows have " + std::to_string(d));
  const double qn = std::sqrt(fast::dot_double(query.data(), query.data(), query.size()));
  if (!(qn > 0) || !std::isfinite(qn))
    throw Error("neighbour query has zero (or non-finite) norm: its cosine with any row is undefined");
  return qn;
}

}  // namespace detail

std::vector<Neighbour> nearest_neighbours(const TableMap& table, std::span<const float> query,
                                          int k, std::span<const int> exclude) {
  return nearest_neighbours(TableView::of(table), query, k, exclude);
}

namespace {

// Every row's exact cosine (double sums, fast::exact_cosines), then the top k.
std::vector<Neighbour> exact_pass(const TableView& table, std::span<const float> query, double qn, int k,
                                  std::span<const int> exclude) {
  const long long n = table.rows, d = table.cols;
  std::vector<double> scores(static_cast<std::size_t>(n));
  const std::vector<double> qd(query.begin(), query.end());  // exact
  if (table.f32() && table.fd < 0) {
    fast::exact_cosines(table.f32(), static_cast<std::size_t>(n), static_cast<std::size_t>(d), qd.data(), qn,
                        scores.data(), 2);
  } else {
    // Blocks of ~64 kB of widened rows (in L2 while their dots are taken), on both cores; a
    // view with a file reads them with pread (TableView::fd).
    for_each_row_block(table, std::max<long long>(1, (64 << 10) / (4 * d)), 2,
                       [&](long long first, long long count, const float* rows) {
                         fast::exact_cosines(rows, static_cast<std::size_t>(count), static_cast<std::size_t>(d),
                                             qd.data(), qn, scores.data() + first, 1);
                       });
  }
  for (int id : exclude)
    if (id >= 0 && id < n) scores[static_cast<std::size_t>(id)] = std::nan("");
  std::vector<int> ids(static_cast<std::size_t>(n));
  for (Eigen::Index r = 0; r < n; ++r) ids[static_cast<std::size_t>(r)] = static_cast<int>(r);
  return detail::select_top_k(ids, scores, k);
}

}  // namespace

std::vector<Neighbour> nearest_neighbours(const TableView& table, std::span<const float> query, int k,
                                          std::span<const int> exclude) {
  const long long n = table.rows, d = table.cols;
  const double qn = detail::query_norm(query, d);
  if (k <= 0 || n == 0) return {};
  const auto un = static_cast<std::size_t>(n), ud = static_cast<std::size_t>(d);

  // 1. A float pass (a third of the double one's work) with a proven bound on each row's
  // cosine. With qhat = fl(q / |q|) and g = gamma(d + 8) = (d + 8) u / (1 - (d + 8) u),
  // u = 2^-24 (fast::float_scan: at most d + 8 roundings in any sum):
  //   |dot - x.q/|q||  <= E = (g + 2u) absdot / (1 - g) + underflow (d + 8) 2^-148
  //   |x|^2 lies in [sq / (1 + g), sq / (1 - g)]
  // so the cosine lies between the extremes of (dot +- E) / |x| over those ranges. A row too
  // small or too large for float (sq under 2^-90, non-finite) is rescored exactly regardless.
  std::vector<float> qhat(ud);
  for (std::size_t i = 0; i < ud; ++i) qhat[i] = static_cast<float>(double(query[i]) / qn);
  std::vector<float> dot(un), sq(un), ab(un);
  for_each_row_block(table, std::max<long long>(1, (64 << 10) / (4 * d)), 2,
                     [&](long long first, long long count, const float* rows) {
                       const auto f = static_cast<std::size_t>(first);
                       fast::float_scan(rows, static_cast<std::size_t>(count), ud, qhat.data(), dot.data() + f,
                                        sq.data() + f, ab.data() + f);
                     });
  std::vector<char> skip(un, 0);
  for (int id : exclude)
    if (id >= 0 && id < n) skip[static_cast<std::size_t>(id)] = 1;
  std::vector<double> lo(un), hi(un);
  std::vector<char> exact(un, 0);
  std::vector<double> lows;
  lows.reserve(un);
  for (std::size_t r = 0; r < un; ++r) {
    if (skip[r]) continue;
    if (!detail::float_cosine_bounds(dot[r], sq[r], ab[r], d, &lo[r], &hi[r])) {
      exact[r] = 1;
      continue;
    }
    lows.push_back(lo[r]);
  }
  // 2. The k-th best lower bound: at least k rows score at least that, so a row whose upper
  // bound is below it cannot be in the top k. The rest are scored exactly as exact_pass does.
  double threshold = -1e300;
  if (lows.size() > static_cast<std::size_t>(k)) {
    std::nth_element(lows.begin(), lows.begin() + (k - 1), lows.end(), std::greater<double>());
    threshold = lows[static_cast<std::size_t>(k - 1)];
  }
  std::vector<int> ids;
  for (std::size_t r = 0; r < un; ++r)
    if (!skip[r] && (exact[r] || hi[r] >= threshold)) ids.push_back(static_cast<int>(r));
  // Ties or a degenerate table (every row alike): the full exact pass is cheaper than reading
  // thousands of rows one by one.
  if (ids.size() > std::max<std::size_t>(1024, un / 16)) return exact_pass(table, query, qn, k, exclude);
  std::vector<double> scores;
  scores.reserve(ids.size());
  std::vector<float> row(ud);
  for (int id : ids) {
    const float* x = table.f32() && table.fd < 0 ? table.f32() + static_cast<std::size_t>(id) * ud : row.data();
    if (x == row.data()) table.read_rows(id, 1, row.data());
    // The same expressions as fast::exact_cosines (and the index's rescoring): the same bits.
    const double n2 = fast::dot_double(x, x, ud);
    const double dq = fast::dot_double(x, query.data(), ud);
    scores.push_back((n2 > 0 && std::isfinite(n2)) ? dq / (std::sqrt(n2) * qn) : std::nan(""));
  }
  return detail::select_top_k(ids, scores, k);
}

}  // namespace es
