// Exact top-k cosine neighbours over a whole table.
//
// Rules: a table row with zero norm (or a non-finite cosine) has no defined direction and is
// never returned; a query with zero norm is an error. Ties break by lower id. k is clamped to
// the number of eligible rows.
#include "analysis.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace es {

std::vector<Neighbour> nearest_neighbours(const TableMap& table, std::span<const float> query,
                                          int k, std::span<const int> exclude) {
  const Eigen::Index n = table.rows(), d = table.cols();
  if (static_cast<Eigen::Index>(query.size()) != d)
    throw Error("neighbour query has " + std::to_string(query.size()) +
                " values but the table rows have " + std::to_string(d));
  if (k <= 0) return {};
  double qn = 0;
  for (float v : query) qn += double(v) * v;
  qn = std::sqrt(qn);
  if (!(qn > 0) || !std::isfinite(qn))
    throw Error("neighbour query has zero (or non-finite) norm: its cosine with any row is undefined");

  std::vector<char> skip(static_cast<size_t>(n), 0);
  for (int id : exclude)
    if (id >= 0 && id < n) skip[static_cast<size_t>(id)] = 1;

  std::vector<Neighbour> all;
  all.reserve(static_cast<size_t>(n));
  for (Eigen::Index r = 0; r < n; ++r) {
    if (skip[static_cast<size_t>(r)]) continue;
    double dot = 0, rn = 0;
    for (Eigen::Index c = 0; c < d; ++c) {
      double v = table(r, c);
      dot += v * query[static_cast<size_t>(c)];
      rn += v * v;
    }
    if (!(rn > 0)) continue;
    double cs = dot / (std::sqrt(rn) * qn);
    if (!std::isfinite(cs)) continue;
    all.push_back({static_cast<int>(r), static_cast<float>(cs)});
  }
  auto better = [](const Neighbour& a, const Neighbour& b) {
    return a.cosine != b.cosine ? a.cosine > b.cosine : a.id < b.id;
  };
  size_t kk = std::min(all.size(), static_cast<size_t>(k));
  std::partial_sort(all.begin(), all.begin() + static_cast<long>(kk), all.end(), better);
  all.resize(kk);
  return all;
}

}  // namespace es
