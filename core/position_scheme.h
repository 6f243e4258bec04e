// Position schemes: how a model tells position 3 from position 7.
//
// One interface for every scheme in shared FACTS.md section 3. Each answers: does it add rows
// at the input; its rows P (n, d) if so; its position-interaction matrix S (n, n) (FACTS.md
// section 4); how many trained weights it has; and what happens past its range.
//
//   none        nothing; S is all zeros (position cannot shape attention at all)
//   learned     P = the first n rows of a learned table (L_max, d); past L_max: an error
//   sinusoidal  PE[pos, 2i] = sin(pos / base^(2i/d)), PE[pos, 2i+1] = cos(...); or [sin|cos]
//   rope        rotates q and k by m * theta_k, theta_k = base^(-2k/d_r); adds nothing
//   alibi       bias -m_h * (i - j) on attention logits, future masked; adds nothing
//   t5          learned bias per relative-position bucket; adds nothing
#pragma once

#include "types.h"

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace es {

enum class SchemeKind { None, Learned, Sinusoidal, Rope, Alibi, T5 };
enum class SinusoidLayout { Interleaved, Halves };  // (sin, cos) pairs, or [sin... | cos...]
enum class RopePairs { Interleaved, HalfSplit };    // (2k, 2k+1) Meta/RoFormer; (k, k+d_r/2) HF/NeoX

std::string scheme_kind_name(SchemeKind kind);  // "none", "learned", "sinusoidal", "rope", "alibi", "t5"
std::optional<SchemeKind> parse_scheme_kind(std::string_view name);

// Every parameter a user of real models changes. Defaults are the published ones.
struct SchemeParams {
  SchemeKind kind = SchemeKind::Learned;
  double base = 10000.0;                           // sinusoidal, rope
  SinusoidLayout layout = SinusoidLayout::Interleaved;
  double rotary_fraction = 1.0;                    // rope: d_r = fraction of the head width
  RopePairs pairs = RopePairs::Interleaved;
  int head_dim = 0;                                // rope: head width (0: the whole d)
  int heads = 8;                                   // alibi, t5
  int head = 1;                                    // alibi, t5: head shown, 1-based
  int buckets = 32;                                // t5
  int max_distance = 128;                          // t5
  bool causal = false;                             // t5: unidirectional buckets
};

// Rotary width for a head of width head_dim: round(fraction * head_dim), made even.
int rope_rotary_dims(int head_dim, double rotary_fraction);
// theta_k = base^(-2k/d_r), k = 0 .. d_r/2 - 1.
std::vector<double> rope_frequencies(int rotary_dims, double base);
// Rotates x (length >= rotary_dims) in place as RoPE does at position m.
void rope_rotate(std::span<float> x, int rotary_dims, double base, RopePairs pairs, double m);
// ALiBi slopes for H heads, FACTS.md section 3 (any H >= 1, powers of two or not).
std::vector<double> alibi_slopes(int heads);
// HF T5 _relative_position_bucket for rel = key_pos - query_pos (float32 log, as HF does).
int t5_relative_bucket(long long rel, bool bidirectional, int num_buckets, int max_distance);

class PositionScheme {
 public:
  virtual ~PositionScheme() = default;
  virtual SchemeKind kind() const = 0;
  virtual const SchemeParams& params() const = 0;
  std::string name() const { return scheme_kind_name(kind()); }
  // One line with the parameters, e.g. "RoPE (base 10000, 100% of 64 dims, interleaved pairs)".
  virtual std::string describe() const = 0;
  // An honest caption: where position enters the model.
  virtual std::string where_position_enters() const = 0;
  virtual bool adds_to_input() const = 0;
  // Largest sequence length the scheme covers (learned: L_max); nullopt: formulas extrapolate.
  virtual std::optional<long long> max_positions() const { return std::nullopt; }
  // The rows added at the input. (n, d). Throws es::Error if the scheme adds nothing, or
  // past its range, or for a d it cannot serve (learned table of another width, odd d).
  virtual MatrixRM rows(long long n, long long d) const = 0;
  // Position-interaction matrix S (n, n), FACTS.md section 4. Masked cells are NaN.
  // d: model width (sinusoidal, rope: the rotary width comes from params; learned: its table).
  virtual MatrixRM interaction(long long n, long long d) const = 0;
  // Trained weights of the scheme itself for model width d (learned: L_max * d).
  virtual long long trained_weights(long long d) const = 0;
};

// Optional data a scheme may hold: a learned position table (L_max, d) and learned T5
// bucket biases (buckets, heads). The table is copied.
struct SchemeData {
  std::optional<MatrixRM> learned_table;  // (L_max, d) row-major
  std::optional<MatrixRM> t5_bias;        // (buckets, heads) row-major
};

// Throws es::Error on parameters that make no sense (base <= 0, heads < 1, head out of
// 1..heads, buckets < 2, rotary fraction outside (0, 1], learned without a table).
std::unique_ptr<PositionScheme> make_position_scheme(const SchemeParams& params,
                                                     SchemeData data = {});

// Mean of S along each offset: profile[o] = mean of S[i][i - o] over valid i, o = 0..n-1
// (query after key). For shift-invariant schemes every diagonal is constant.
std::vector<double> interaction_offset_profile(const MatrixRM& s);

}  // namespace es
