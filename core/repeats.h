// Repeated tokens: positions that share one token id, and where their equality ends.
//
// In the token view two equal tokens have identical rows (L2 0, cosine 1). Additive schemes
// make the combined rows differ. RoPE, ALiBi and T5 add nothing at the input, so the combined
// rows stay identical; their divergence lives inside attention, and is reported there:
//   rope   score(i, j) = <R_i x, R_j x> / |x|^2, x = the token row over the rotated dims
//          (1 when the positions are equal; the pair's value depends on j - i only)
//   alibi  bias rows i and j of S for the head shown: max |S[i][k] - S[j][k]| over keys k <= i
//   t5     the same, over every key k < n (or k <= i when causal)
#pragma once

#include "embedding.h"
#include "position_scheme.h"
#include "tokenizer.h"

#include <optional>
#include <string>
#include <vector>

namespace es {

struct RepeatedTokenPair {
  int i = 0, j = 0;                 // positions, i < j
  double token_l2 = 0, token_cos = 1;        // token view: exactly 0 and 1
  double combined_l2 = 0, combined_cos = 1;  // combined view
  std::optional<double> rope_score;          // rope only
  std::optional<double> bias_row_max_diff;   // alibi, t5 only
};

struct RepeatedTokenGroup {
  int id = 0;
  std::string text;                 // token bytes
  std::vector<int> positions;       // ascending, size >= 2
  std::vector<RepeatedTokenPair> pairs;  // every (i, j) from positions, i < j
};

// S is the scheme's interaction matrix for the sequence (only needed for alibi/t5; pass the
// one already computed, or nullptr to compute it here).
std::vector<RepeatedTokenGroup> find_repeated_tokens(const InputEmbedding& emb,
                                                     const PositionScheme& scheme,
                                                     const Tokenizer* tokenizer,
                                                     const MatrixRM* interaction = nullptr);

// The group's token for sentences: its text quoted with spaces made visible ("\"␣the\""), or
// "token #5" when no tokenizer named it (ids typed by hand).
std::string token_label(const RepeatedTokenGroup& group);

// A sentence for showing the idea: the first pair's token text, e.g. "␣the at 1 and 4".
std::string describe_pair(const RepeatedTokenGroup& group, const RepeatedTokenPair& pair);

}  // namespace es
