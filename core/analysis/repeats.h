// Repeated tokens: positions that share one token id, and where their equality ends.
//
// In the token view two equal tokens have identical rows (L2 0, cosine 1). Additive schemes
// make the combined rows differ. Other schemes add nothing at the input, so the combined
// rows stay identical; their divergence lives inside attention, and is reported there:
//   rotation (RoPE)  <R_i x, R_j x> / |x|^2 with x the TOKEN ROW (a proxy: real q and k are
//                    projections of the normed row), per head over the whole head; 1 at equal
//                    positions, a function of j - i only
//   bias (ALiBi, T5) over the keys both queries see, d_k = S[j][k] - S[i][k]: its mean (the
//                    shift) and its spread max - min. Spread 0 (ALiBi): a constant shift, which
//                    softmax ignores, so both weigh those keys identically
//   causal models    the later query also sees j - i more keys (the window)
#pragma once

#include "embedding.h"
#include "position/scheme.h"
#include "tokenizer.h"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace es {

struct RepeatedTokenPair {
  int i = 0, j = 0;                 // positions, i < j
  double token_l2 = 0, token_cos = 1;        // token view: exactly 0 and 1
  double combined_l2 = 0, combined_cos = 1;  // combined view
  std::optional<double> rope_self_score;     // schemes that rotate q and k: the token-row proxy
  std::optional<double> bias_shift;          // attention-bias schemes: mean of S[j][k] - S[i][k]
  std::optional<double> bias_shift_spread;   // ... and max - min over the shared keys (two or more)
  std::optional<int> window_extra_keys;      // causal models: keys the later query alone sees
};

struct RepeatedTokenGroup {
  int id = 0;
  std::string text;                 // token bytes
  std::vector<int> positions;       // ascending, size >= 2
  std::vector<RepeatedTokenPair> pairs;  // every (i, j) from positions, i < j
};

// Two rows i < j of a (query, key) matrix (S, or real attention logits), over the keys both
// see (finite in both rows): d_k = M[j][k] - M[i][k]. shift = mean of d_k; spread = max - min,
// NaN with fewer than two shared keys (over one key any two rows weigh it alike). Spread 0 is
// a constant shift, which softmax ignores (ALiBi, FACTS.md section 8). Both NaN: no shared key.
struct RowShift {
  double shift = std::nan("");
  double spread = std::nan("");
};
RowShift row_shift(const MatrixRM& rows, int i, int j);

// S is the scheme's interaction matrix for the sequence (only needed for alibi/t5; pass the
// one already computed, or nullptr to compute it here).
std::vector<RepeatedTokenGroup> find_repeated_tokens(const InputEmbedding& emb,
                                                     const PositionScheme& scheme,
                                                     const Tokenizer* tokenizer,
                                                     const MatrixRM* interaction = nullptr);

// A short sentence in which `tokenizer` gives some id twice, for suggestions on screen (GPT-2
// splits "the cat sat on the mat" into "the"(1169) and " the"(262): no repeat there). Tries a
// few candidates and returns the first that repeats; "" when none does (or no tokenizer).
std::string suggest_repeat_sentence(const Tokenizer* tokenizer);
// The sentence the program opens on (assets/sentences.json: "the cat sat on the mat").
std::string default_sentence();

// The group's token for sentences: its text quoted with spaces made visible ("\"␣the\""), or
// "token #5" when no tokenizer named it (ids typed by hand).
std::string token_label(const RepeatedTokenGroup& group);

// A sentence for showing the idea: the first pair's token text, e.g. "␣the at 1 and 4".
std::string describe_pair(const RepeatedTokenGroup& group, const RepeatedTokenPair& pair);

}  // namespace es
