// ALiBi (Press et al. 2022): head h adds -m_h * (i - j) to the logit of query i, key j <= i.
#include "scheme.h"
#include "trainable.h"
#include "scheme_util.h"

namespace es {
namespace {

using namespace scheme_util;

class AlibiScheme final : public PositionScheme {
 public:
  explicit AlibiScheme(SchemeParams p) : p_(std::move(p)), slopes_(alibi_slopes(p_.heads)) {}
  const SchemeParams& params() const override { return p_; }
  PositionEntry entry() const override { return PositionEntry::AttentionBias; }
  std::string describe() const override {
    return "ALiBi (" + std::to_string(p_.heads) + " heads; head " + std::to_string(p_.head) + " slope " +
           fmt_number(slopes_[static_cast<std::size_t>(p_.head - 1)]) + ")";
  }
  std::string where_position_enters() const override {
    return "Inside attention: each head adds -slope x distance to the attention logits, so far keys are "
           "penalised; future keys are masked. Nothing is added at the input: two equal tokens keep identical "
           "input rows.";
  }
  long long trained_weights(long long) const override { return 0; }
  MatrixRM attention_bias(long long n, int head) const override {
    check_interaction_size(n);
    if (head < 0 || head >= p_.heads) throw Error("ALiBi: no head " + std::to_string(head + 1));
    const double m = slopes_[static_cast<std::size_t>(head)];
    MatrixRM s(n, n);
    for (long long i = 0; i < n; ++i)
      for (long long j = 0; j < n; ++j)
        s(i, j) = j <= i ? static_cast<float>(m * static_cast<double>(j - i)) : kMasked;  // -m (i - j), no -0
    return s;
  }
  MatrixRM interaction(long long n, long long) const override { return attention_bias(n, p_.head - 1); }
  std::string interaction_meaning() const override {
    return "the bias -m_h (i - j) added to the logit of query i and key j (future keys masked)";
  }
  std::string repeated_token_story() const override {
    // FACTS.md section 8: a constant shift over the shared keys, which softmax ignores.
    return "Equal tokens keep identical input rows. Over the keys both see, their bias rows differ by a constant, "
           "which softmax ignores: they weigh those keys identically. What differs is the window: the later one "
           "also sees the keys between them.";
  }

 private:
  SchemeParams p_;
  std::vector<double> slopes_;
};

// The lab: -m_h (i - j) on the logits of head h; nothing trained.
template <typename S>
class AlibiTrain final : public TrainablePosition<S> {
 public:
  AlibiTrain(const SchemeParams& p, const TrainShape&) : slopes_(alibi_slopes(p.heads)) {}
  bool has_scores() const override { return true; }
  void scores_forward(const HeadContext<S>& c, S* L) const override {
    const double m = slopes_[static_cast<std::size_t>(c.head)];
    for (int i = 0; i < c.T; ++i)
      for (int j = 0; j <= i; ++j) L[std::size_t(i) * c.T + j] += S(-m * (i - j));
  }

 private:
  std::vector<double> slopes_;
};

std::unique_ptr<PositionScheme> make_alibi(const SchemeParams& p, SchemeData) {
  check_heads(p, "ALiBi");
  SchemeParams q = p;
  q.causal = true;  // ALiBi models are decoders; the bias is defined for j <= i
  return std::make_unique<AlibiScheme>(q);
}

// One head would show only the gentlest slope: a one-head model gets the published 8.
void adopt_alibi(SchemeParams& p) {
  if (p.heads < 2) p.heads = 8, p.head = 1;
}

}  // namespace

const SchemeInfo& alibi_scheme_info() {
  static const SchemeInfo info{
      "alibi", "ALiBi", "A per-head penalty growing with distance on the attention logits (BLOOM, MPT, Falcon-RW)",
      "0", PositionEntry::AttentionBias,
      {{ParamField::Heads, "heads", "heads", "number of heads (slopes 2^(-8h/H) for a power of two)", 1, 4096, true},
       {ParamField::Head, "head", "head", "the head S shows, 1-based", 1, 4096, true}},
      &make_alibi, false, &adopt_alibi, trainable<AlibiTrain>(), nullptr, WeightsCounted::Formula,
      SchemeDataKind::None, nullptr, /*lesson_core=*/true};
  return info;
}

}  // namespace es
