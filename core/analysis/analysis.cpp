// Cosine similarity and input-stage weight counts. (PCA: pca.cpp; neighbours: neighbours.cpp.)
#include "analysis.h"

#include <algorithm>

#include <cmath>
#include <limits>

namespace es {

double cosine_similarity(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size())
    throw Error("cosine similarity of vectors of different widths (" + std::to_string(a.size()) +
                " and " + std::to_string(b.size()) + ")");
  double dot = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  const double den = std::sqrt(na) * std::sqrt(nb);
  return den > 0 ? dot / den : std::numeric_limits<double>::quiet_NaN();
}

MatrixRM cosine_similarity_matrix(const MatrixRM& rows) {
  const MatrixRMd x = rows.cast<double>();
  const Eigen::VectorXd norms = x.rowwise().norm();
  MatrixRMd gram(x.rows(), x.rows());
  gram.noalias() = x * x.transpose();
  MatrixRM s(x.rows(), x.rows());
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (Eigen::Index j = 0; j < x.rows(); ++j) {
      const double den = norms[i] * norms[j];
      s(i, j) = den > 0 ? static_cast<float>(gram(i, j) / den) : std::numeric_limits<float>::quiet_NaN();
    }
  return s;
}

WeightCounts count_input_weights(long long vocab, long long max_len, long long dim,
                                 const SchemeParams& scheme, bool tied, bool layer_norm,
                                 long long token_types, int norm_params_per_dim) {
  constexpr long long kLimit = 1LL << 40;  // 10^12 weights: far past any real model
  if (vocab < 1 || dim < 1 || max_len < 0 || token_types < 0 || vocab > kLimit ||
      dim > kLimit || max_len > kLimit || token_types > kLimit || vocab > kLimit / dim ||
      max_len > kLimit / dim)
    throw Error("weight counts need V >= 1, d >= 1, L_max >= 0 and products below 10^12");
  WeightCounts c;
  c.token_table = vocab * dim;
  // The position table belongs to the model (its rows are counted only when they are used);
  // a scheme's own trained weights come from the scheme.
  const SchemeWeightCount own = scheme_weight_count(scheme, dim, max_len);
  c.position_table = own.position_table;
  c.scheme_bias = own.block_bias;
  c.scheme_bias_label = own.label;
  c.token_type_table = token_types * dim;
  c.layer_norm = layer_norm ? std::clamp(norm_params_per_dim, 1, 2) * dim : 0;
  c.total = c.token_table + c.position_table + c.scheme_bias + c.token_type_table + c.layer_norm;
  c.tying_saving = tied ? vocab * dim : 0;
  return c;
}

std::string grouped_number(long long v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (v < 0 ? "-" : "") + out;
}

}  // namespace es
