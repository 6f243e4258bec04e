// The normalisation of a model's first block, applied row by row: LayerNorm, RMSNorm and
// Gemma's RMSNorm with (1 + gamma). Used by checkpoints (DeBERTa normalises its relative
// embeddings) and by the input embedding's optional normed view.
#pragma once

#include "model_source.h"
#include "types.h"

namespace es {

// LayerNorm of each row. x: (n, d); returns (n, d).
MatrixRM layer_norm_rows(const MatrixRM& x, const LayerNormParams& ln);
// gamma = 1, beta = 0: the plain normalisation, for models without learned LayerNorm.
LayerNormParams identity_layer_norm(long long d, float eps = 1e-5f);

}  // namespace es
