// KERPLE, logarithmic variant (Chi et al. 2022, "KERPLE: Kernelized Relative Positional
// Embedding for Length Extrapolation"): a bias on the attention logit of query i, key j <= i,
//   b_h(i, j) = -r1_h log(1 + r2_h (i - j)),   r1_h, r2_h > 0 learned per head and layer.
// The authors' code keeps both positive by clamping them at 0.01 before use; so does the lab.
// Like ALiBi it only depends on i - j and grows with distance, but logarithmically, and its
// shape is trained. Nothing is added at the input.
#include "scheme.h"
#include "scheme_util.h"
#include "trainable.h"

#include <algorithm>
#include <cmath>

namespace es {
namespace {

using namespace scheme_util;

constexpr double kMinR = 0.01;  // the clamp of the reference code

class KerpleScheme final : public PositionScheme {
 public:
  explicit KerpleScheme(SchemeParams p) : p_(std::move(p)) {}
  const SchemeParams& params() const override { return p_; }
  PositionEntry entry() const override { return PositionEntry::AttentionBias; }
  std::string describe() const override {
    return "KERPLE log (" + std::to_string(p_.heads) + " heads; untrained stand-ins r1 = r2 = 1)";
  }
  std::string where_position_enters() const override {
    return "Inside attention: each head adds -r1 log(1 + r2 (i - j)) to the logit of query i and key j, with r1 and "
           "r2 learned per head. Nothing is added at the input: two equal tokens keep identical input rows.";
  }
  long long trained_weights(long long) const override { return 2LL * p_.heads; }  // per layer
  MatrixRM attention_bias(long long n, int head) const override {
    check_interaction_size(n);
    if (head < 0 || head >= p_.heads) throw Error("KERPLE: no head " + std::to_string(head + 1));
    std::vector<float> by_offset(static_cast<std::size_t>(2 * n - 1), 0.0f);
    for (long long o = 0; o <= n - 1; ++o)  // o = i - j >= 0; the stand-ins r1 = r2 = 1
      by_offset[static_cast<std::size_t>(o + n - 1)] = static_cast<float>(-std::log1p(static_cast<double>(o)));
    MatrixRM s = from_offsets(n, by_offset);
    mask_future(s);
    return s;
  }
  MatrixRM interaction(long long n, long long) const override { return attention_bias(n, p_.head - 1); }
  std::string interaction_meaning() const override {
    return "the bias -r1 log(1 + r2 (i - j)) on the logit, with the untrained stand-ins r1 = r2 = 1 (training "
           "sets both per head): a function of i - j only";
  }
  std::string repeated_token_story() const override {
    return "Equal tokens keep identical input rows. Their bias rows over the keys both see differ by "
           "r1 log((1 + r2 (i' - j)) / (1 + r2 (i - j))), which is not a constant: unlike ALiBi, the later one weighs "
           "those keys differently.";
  }

 private:
  SchemeParams p_;
};

// The lab: per layer r1 (H) and r2 (H), both started at 2 (h + 1) / (H + 1) (spread over (0, 2],
// as the reference code draws them uniformly from (0, 2)).
template <typename S>
class KerpleTrain final : public TrainablePosition<S> {
 public:
  KerpleTrain(const SchemeParams&, const TrainShape& s) : s_(s) {}
  std::vector<SchemeTensor> tensors() const override {
    std::vector<double> start(static_cast<std::size_t>(s_.heads));
    for (int h = 0; h < s_.heads; ++h) start[static_cast<std::size_t>(h)] = 2.0 * (h + 1) / (s_.heads + 1);
    return {{"attn.kerple_r1", {s_.heads}, TensorPlace::PerLayer, false, TensorInit::Constant, 1.0, start},
            {"attn.kerple_r2", {s_.heads}, TensorPlace::PerLayer, false, TensorInit::Constant, 1.0, start}};
  }
  bool has_scores() const override { return true; }
  void scores_forward(const HeadContext<S>& c, S* L) const override {
    const double r1 = std::max<double>(c.w.p(0, c.layer)[c.head], kMinR), r2 = std::max<double>(c.w.p(1, c.layer)[c.head], kMinR);
    for (int i = 0; i < c.T; ++i)
      for (int j = 0; j <= i; ++j) L[std::size_t(i) * c.T + j] += S(-r1 * std::log1p(r2 * (i - j)));
  }
  void scores_backward(const HeadContext<S>& c, const S* dL) const override {
    const double r1raw = c.w.p(0, c.layer)[c.head], r2raw = c.w.p(1, c.layer)[c.head];
    const double r1 = std::max(r1raw, kMinR), r2 = std::max(r2raw, kMinR);
    double g1 = 0, g2 = 0;
    for (int i = 0; i < c.T; ++i)
      for (int j = 0; j <= i; ++j) {
        const double dl = dL[std::size_t(i) * c.T + j], o = i - j;
        g1 += dl * -std::log1p(r2 * o);
        g2 += dl * -r1 * o / (1 + r2 * o);
      }
    if (r1raw > kMinR) c.w.g(0, c.layer)[c.head] += S(g1);  // clamped: no gradient
    if (r2raw > kMinR) c.w.g(1, c.layer)[c.head] += S(g2);
  }

 private:
  TrainShape s_;
};

std::unique_ptr<PositionScheme> make_kerple(const SchemeParams& p, SchemeData) {
  check_heads(p, "KERPLE");
  SchemeParams q = p;
  q.causal = true;  // a decoder's bias, defined for keys j <= i
  return std::make_unique<KerpleScheme>(q);
}

void adopt_kerple(SchemeParams& p) {
  if (p.heads < 2) p.heads = 8, p.head = 1;
}

}  // namespace

const SchemeInfo& kerple_scheme_info() {
  static const SchemeInfo info{
      "kerple", "KERPLE (log)", "A learned logarithmic penalty with distance on the attention logits (Chi et al. 2022)",
      "2 * heads per layer", PositionEntry::AttentionBias,
      {{ParamField::Heads, "heads", "heads", "number of heads", 1, 4096, true},
       {ParamField::Head, "head", "head", "the head S shows, 1-based", 1, 4096, true}},
      &make_kerple, false, &adopt_kerple, trainable<KerpleTrain>(), nullptr, WeightsCounted::InsideAttention};
  return info;
}

}  // namespace es
