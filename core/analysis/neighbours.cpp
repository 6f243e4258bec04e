// Exact top-k cosine neighbours over a whole table (rules in vocabulary.h).
//
// One pass: each row's dot with the query and its squared norm, in double (SIMD kernels in
// vocabulary_kernels.cpp, both cores), then a k-sized heap. No cache: the table may change
// between calls. For repeated queries on one model, VocabularyIndex keeps the norms and a
// compressed copy and is several times faster.
#include "analysis.h"
#include "vocabulary.h"
#include "vocabulary_kernels.h"

#include <algorithm>
#include <cmath>
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

std::vector<Neighbour> nearest_neighbours(const TableView& table, std::span<const float> query, int k,
                                          std::span<const int> exclude) {
  const long long n = table.rows, d = table.cols;
  const double qn = detail::query_norm(query, d);
  if (k <= 0 || n == 0) return {};
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

}  // namespace es
