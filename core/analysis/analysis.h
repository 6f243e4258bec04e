// Analyses over rows: PCA, cosine similarity, nearest neighbours, input-stage weight counts.
#pragma once

#include "position/scheme.h"
#include "types.h"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace es {

// A PCA basis fit on some rows; it can project any rows of the same width, so the token,
// position and combined views share one set of axes.
struct PcaBasis {
  RowVectorF mean;                         // (d)
  MatrixRM components;                     // (k, d), unit rows, by decreasing variance
  std::vector<double> explained_variance;  // (k), with the 1/(n-1) convention
  std::vector<double> explained_variance_ratio;  // (k), of the total variance of all d dims
  double total_variance = 0;
  long long fit_rows = 0;
  // (m, d) -> (m, k): (rows - mean) * components^T
  MatrixRM project(const MatrixRM& rows) const;
};

// Exact PCA: rows centred, components ordered by explained variance, deterministic sign
// (each component's largest-magnitude entry is positive). k is clamped to min(n, d).
// Throws es::Error on fewer than 2 rows.
PcaBasis fit_pca(const Eigen::Ref<const MatrixRM>& rows, int k);

double cosine_similarity(std::span<const float> a, std::span<const float> b);
// (n, n) cosine similarities of the rows; a zero row gives NaN against everything.
MatrixRM cosine_similarity_matrix(const MatrixRM& rows);

struct Neighbour {
  int id = 0;
  float cosine = 0;
};
// Exact top-k rows of `table` by cosine similarity with `query`, best first; ids in
// `exclude` are skipped. Ties break by lower id.
std::vector<Neighbour> nearest_neighbours(const TableMap& table, std::span<const float> query,
                                          int k, std::span<const int> exclude = {});

// Trained weights of the input stage (FACTS.md section 1).
// 38597376 -> "38,597,376" (thousands separated by commas), for counts on screen and in text.
std::string grouped_number(long long v);

struct WeightCounts {
  long long token_table = 0;      // V * d
  long long position_table = 0;   // L_max * d (learned); 0 for formulas
  long long scheme_bias = 0;      // a block-0 bias counted with the input (T5: buckets * heads)
  std::string scheme_bias_label;  // what it is ("T5 relative bias (buckets * heads, block 0)")
  long long token_type_table = 0; // BERT
  long long layer_norm = 0;       // 2 * d
  long long projection = 0;       // ALBERT, ELECTRA: E * H (+ H) to the hidden size
  long long total = 0;
  long long tying_saving = 0;     // V * d when the output head reuses the token table
};
// norm_params_per_dim: 2 for LayerNorm (gamma, beta), 1 for RMSNorm (weight only).
WeightCounts count_input_weights(long long vocab, long long max_len, long long dim,
                                 const SchemeParams& scheme, bool tied, bool layer_norm = true,
                                 long long token_types = 0, int norm_params_per_dim = 2);

}  // namespace es
