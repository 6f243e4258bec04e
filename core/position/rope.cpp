// RoPE (Su et al. 2021): queries and keys rotated pairwise by m * theta_k, theta_k =
// base^(-2k/d_r); dims past d_r pass through. Optional "rope_scaling" (FACTS.md section 8).
#include "scheme.h"
#include "trainable.h"
#include "scheme_util.h"

#include <cmath>

namespace es {
namespace {

using namespace scheme_util;

class RopeScheme final : public PositionScheme {
 public:
  explicit RopeScheme(SchemeParams p) : p_(std::move(p)) {}
  const SchemeParams& params() const override { return p_; }
  PositionEntry entry() const override { return PositionEntry::QueryKeyRotation; }
  std::string describe() const override {
    std::string width = p_.head_dim > 0 ? "of " + std::to_string(p_.head_dim) + " head dims" : "of the head dims";
    std::string s = "RoPE (base " + fmt_number(p_.base) + ", " + fmt_number(p_.rotary_fraction * 100) + "% " + width +
                    ", " + (p_.pairs == RopePairs::Interleaved ? "interleaved pairs" : "half-split pairs");
    const RopeScaling& sc = p_.rope_scaling;
    if (!sc.type.empty()) {
      s += sc.applied() ? ", " + sc.type + " scaling x" + fmt_number(sc.factor)
                        : ", " + sc.type + " scaling NOT applied";
      const double af = sc.applied() ? rope_attention_factor(sc) : 1.0;
      if (af != 1.0) s += ", attention factor " + fmt_number(af);
    }
    return s + ")";
  }
  std::string where_position_enters() const override {
    std::string s = "Inside attention: queries and keys are rotated by an angle proportional to their position, so "
                    "q.k depends only on the offset. Nothing is added at the input: two equal tokens keep identical "
                    "input rows.";
    const RopeScaling& sc = p_.rope_scaling;
    if (!sc.type.empty() && !sc.applied())
      s += " The checkpoint's \"" + sc.type + "\" rope_scaling is not one EmbedScope applies (" +
           rope_scaling_kinds() + "): S shows unscaled RoPE.";
    else if (!sc.type.empty())
      s += " Its \"" + sc.type + "\" rope_scaling is applied to the frequencies" +
           (rope_attention_factor(sc) != 1.0 ? std::string(" and scales cos and sin by ") +
                                                   fmt_number(rope_attention_factor(sc))
                                             : std::string()) +
           ".";
    return s;
  }
  long long trained_weights(long long) const override { return 0; }

  void rotate_qk(Eigen::Ref<MatrixRM> x, long long pos0, bool inverse, bool) const override {
    const int head = static_cast<int>(x.cols());
    const int dr = rope_rotary_dims(head, p_.rotary_fraction);
    const std::vector<double> theta = rope_frequencies(dr, p_.base, p_.rope_scaling, pos0 + x.rows());
    const double af = rope_attention_factor(p_.rope_scaling);  // on cos and sin (rotated dims only)
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      const double m = static_cast<double>(pos0 + r) * (inverse ? -1.0 : 1.0);
      float* row = x.row(r).data();
      for (int k = 0; k < dr / 2; ++k) {
        const int ia = p_.pairs == RopePairs::Interleaved ? 2 * k : k;
        const int ib = p_.pairs == RopePairs::Interleaved ? 2 * k + 1 : k + dr / 2;
        const double c = af * std::cos(m * theta[k]), s = af * std::sin(m * theta[k]);
        const double a = row[ia], b = row[ib];
        row[ia] = static_cast<float>(a * c - b * s);
        row[ib] = static_cast<float>(a * s + b * c);
      }
    }
  }

  std::vector<double> rotation_frequencies(long long d_head, long long n) const override {
    const int head = p_.head_dim > 0 ? p_.head_dim : static_cast<int>(d_head);
    return rope_frequencies(rope_rotary_dims(head, p_.rotary_fraction), p_.base, p_.rope_scaling, n);
  }

  MatrixRM interaction(long long n, long long d) const override {
    check_interaction_size(n);
    check_dim(d, "RoPE");
    // FACTS.md section 4: u = all ones over the whole head (rotated and pass-through dims):
    // S = (2/d_head) sum_k cos((i - j) theta_k) + (1 - d_r/d_head), a function of i - j only.
    const int head = p_.head_dim > 0 ? p_.head_dim : static_cast<int>(d);
    const int dr = rope_rotary_dims(head, p_.rotary_fraction);
    const std::vector<double> theta = rope_frequencies(dr, p_.base, p_.rope_scaling, n);
    const double af = rope_attention_factor(p_.rope_scaling), pass_through = 1.0 - static_cast<double>(dr) / head;
    std::vector<float> by_offset(static_cast<std::size_t>(2 * n - 1));
    for (long long o = -(n - 1); o <= n - 1; ++o) {
      double sum = 0;
      for (double t : theta) sum += std::cos(static_cast<double>(o) * t);
      by_offset[static_cast<std::size_t>(o + n - 1)] = static_cast<float>(af * af * 2.0 / head * sum + pass_through);
    }
    MatrixRM s = from_offsets(n, by_offset);
    if (p_.causal) mask_future(s);
    return s;
  }
  std::string interaction_meaning() const override {
    return "<R_i u, R_j u> / |u|^2 for u = all ones over the head = (2/d_head) sum_k cos((i - j) theta_k) + "
           "the unrotated share (1 - d_r/d_head): it depends on i - j only, and at full rotary equals "
           "sinusoidal S at the same width and base";
  }
  std::string repeated_token_story() const override {
    return "Equal tokens keep identical input rows. Inside attention their queries and keys are rotated by "
           "different angles, so a score between them depends on the offset j - i only.";
  }

 private:
  SchemeParams p_;
};

// The lab: q and k rows of each head rotated at their position (with the scheme's pairs, rotary
// share and scaling); the backward pass rotates the gradients back (the transpose).
template <typename S>
class RopeTrain final : public TrainablePosition<S> {
 public:
  RopeTrain(const SchemeParams& p, const TrainShape& s) : p_(p), dh_(s.dim / s.heads) {
    if (dh_ % 2 != 0)
      throw Error("RoPE rotates pairs: the head width dim / heads (" + std::to_string(dh_) + ") must be even");
    dr_ = rope_rotary_dims(dh_, p.rotary_fraction);
    rope_frequencies(dr_, p.base, p.rope_scaling, s.context);  // validates the scaling
  }
  void prepare(int T) override {
    const std::vector<double> theta_ = rope_frequencies(dr_, p_.base, p_.rope_scaling, T);
    const double af = rope_attention_factor(p_.rope_scaling);
    const std::size_t half = std::size_t(dr_ / 2);
    cos_.assign(std::size_t(T) * half, S(1));
    sin_.assign(std::size_t(T) * half, S(0));
    for (int t = 0; t < T; ++t)
      for (std::size_t k = 0; k < half; ++k) {
        cos_[t * half + k] = S(af * std::cos(t * theta_[k]));
        sin_[t * half + k] = S(af * std::sin(t * theta_[k]));
      }
  }
  bool rotates() const override { return true; }
  void rotate(S* row, int t, bool, bool transpose) const override {
    const int half = dr_ / 2;
    const S* c = cos_.data() + std::size_t(t) * half;
    const S* s = sin_.data() + std::size_t(t) * half;
    const bool inter = p_.pairs == RopePairs::Interleaved;
    for (int k = 0; k < half; ++k) {
      const int ia = inter ? 2 * k : k, ib = inter ? 2 * k + 1 : k + half;
      const S a = row[ia], b = row[ib], sn = transpose ? -s[k] : s[k];
      row[ia] = a * c[k] - b * sn;
      row[ib] = a * sn + b * c[k];
    }
  }

 private:
  SchemeParams p_;
  int dh_, dr_ = 0;
  std::vector<S> cos_, sin_;  // (T, d_r / 2), times the scaling's attention factor
};

// rope_theta (10000), the rotary share (the family's default), the family's pairs (rotate_half
// halves, or GPT-J's interleaved pairs), rope_scaling, the head width.
void configure_rope(const SchemeConfig& c, SchemeParams& p) {
  p.base = c.rope_theta.value_or(10000.0);
  p.rotary_fraction = c.rotary_fraction.value_or(c.default_rotary_fraction);
  p.pairs = c.interleaved_pairs ? RopePairs::Interleaved : RopePairs::HalfSplit;
  p.rope_scaling = c.rope_scaling;
  if (c.head_dim > 0) p.head_dim = c.head_dim;
  else if (c.heads > 0 && c.dim > 0 && c.dim % c.heads == 0) p.head_dim = static_cast<int>(c.dim / c.heads);
  else p.head_dim = 0;  // unknown head count: the whole width
}

std::unique_ptr<PositionScheme> make_rope(const SchemeParams& p, SchemeData) {
  if (p.head_dim > 0) rope_rotary_dims(p.head_dim, p.rotary_fraction);  // validates
  // The scaling's settings are checked where a rotary width is known.
  if (p.head_dim > 0) rope_frequencies(rope_rotary_dims(p.head_dim, p.rotary_fraction), p.base, p.rope_scaling);
  return std::make_unique<RopeScheme>(p);
}

}  // namespace

const SchemeInfo& rope_scheme_info() {
  static const SchemeInfo info{
      "rope", "RoPE", "Rotates q and k by position inside attention (LLaMA, Mistral, Qwen2, Pythia)", "0",
      PositionEntry::QueryKeyRotation,
      {{ParamField::Base, "base", "base", "rope_theta: 10000 (LLaMA 2), 500000 (LLaMA 3), 1000000 (Qwen2)", 1.0001,
        1e12, false, true, {}, "rope_theta"},
       {ParamField::RotaryFraction, "rotary-fraction", "rotary fraction",
        "share of each head's dims that rotate (Pythia: 0.25)", 1e-9, 1, false, false, {}, "partial_rotary_factor"},
       {ParamField::Pairs, "pairs", "pairs", "interleaved (2k, 2k+1) as Meta's code, or half (k, k + d_r/2) as HF",
        0, 1, true, false, {"interleaved", "half"}},
       {ParamField::HeadDim, "head-dim", "head width", "width of one head (0: the whole d)", 2, 65536, true, false},
       {ParamField::Causal, "causal", "mask", "causal: keys after the query are masked", 0, 1, true, false,
        {"bidirectional", "causal"}}},
      &make_rope, false, nullptr, trainable<RopeTrain>(), &configure_rope, WeightsCounted::Formula,
      SchemeDataKind::None, nullptr, /*lesson_core=*/true};
  return info;
}

}  // namespace es
