// Block 0's real attention logits for a sentence, from a checkpoint's own weights.
//
//   h        = the rows block 0 attends with: the model's first norm applied to the input
//              (GPT-2 ln_1, LLaMA/NeoX input_layernorm; BLOOM: its embedding LayerNorm, then
//              h.0.input_layernorm)                                  (n, d)
//   q, k     = h W_q + b_q, h W_k + b_k, cut into heads               (n, d_head) per head
//   RoPE     q and k rotated by position (the scheme's rotate_qk)
//   logits   q k^T / sqrt(d_head)  (+ the ALiBi / T5 bias of the head)  (n, n) per head,
//            keys after the query masked (NaN) in causal models
//
// A checkpoint trained in the lab (it holds the scheme's own block-0 tensors: Transformer-XL's
// u, v and W_kR, DeBERTa's rel_embeddings, KERPLE's r1 and r2, FIRE's MLP, T5's table) is scored
// by the scheme's own forward pass (core/position/trainable.h), the code the model trained with:
// its scale (DeBERTa: 1/sqrt(3 d_head)) and every score term.
//
// The layouts of the q/k weights come from the family table (QkLayout). Only the model's own
// scheme is applied to its own weights; any other choice gets the token-row proxy instead.
#pragma once

#include "embedding.h"
#include "model_source.h"
#include "position/scheme.h"

#include <optional>
#include <string>
#include <vector>

namespace es {

struct Block0Attention {
  int heads = 0;
  int kv_heads = 0;
  int head_dim = 0;
  std::vector<MatrixRM> logits;  // heads x (n, n), NaN where masked
  std::string source;            // which tensors, after which norm
};

// nullopt (and the reason in `why`) when the model has no readable block-0 q/k weights, the
// scheme is not the model's own, or the sequence is too long for this view.
std::optional<Block0Attention> block0_attention(const ModelSource& model, const PositionScheme& scheme,
                                                const InputEmbedding& embedding, std::string* why = nullptr);

// For positions i < j of one head: over the keys both queries see, d_k = L[j][k] - L[i][k];
// returns max d_k - min d_k (0: a constant shift, which softmax ignores: both weigh those
// keys identically). NaN when they share fewer than two keys (one key tells nothing).
double logit_row_spread(const MatrixRM& logits, int i, int j);

}  // namespace es
