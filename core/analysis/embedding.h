// The input embedding of a sequence: what block 0 of the model receives.
//
//   token     X[i]  = s E[t_i]             (n, d)   s: the model's embedding scale (Gemma: sqrt(d); else 1)
//   position  P[i]  (additive schemes; zeros otherwise)  (n, d)
//   combined  X'[i] = X[i] + P[i]          (n, d)
//             (BERT: + token-type row 0, segment A, as BertEmbeddings adds before its LayerNorm)
//   normed    LayerNorm(X'[i]) (optional, clearly a separate step)  (n, d)
#pragma once

#include "layer_norm.h"
#include "model_source.h"
#include "position/scheme.h"
#include "types.h"

#include <optional>
#include <span>
#include <vector>

namespace es {

enum class EmbeddingView { Token, Position, Combined, Normed };
std::string embedding_view_name(EmbeddingView view);  // "token", "position", "combined", "normed"
std::optional<EmbeddingView> parse_embedding_view(std::string_view name);

struct InputEmbedding {
  std::vector<int> ids;             // (n)
  MatrixRM token;                   // (n, d)
  MatrixRM position;                // (n, d), zeros when the scheme adds nothing
  MatrixRM combined;                // (n, d)
  std::optional<MatrixRM> normed;   // (n, d), when LayerNorm was asked for
  bool position_added = false;      // does the scheme add rows at the input
  std::optional<RowVectorF> token_type_row;  // (d), BERT's segment-A row, included in combined
  const MatrixRM& view(EmbeddingView v) const;  // throws for Normed when absent
};

// Throws es::Error for a sequence past the scheme's range (naming n and L_max), a bad id,
// or a scheme whose rows do not fit the model's width.
InputEmbedding compute_input_embedding(const ModelSource& model, const PositionScheme& scheme,
                                       std::span<const int> ids,
                                       const LayerNormParams* layer_norm = nullptr);


}  // namespace es
