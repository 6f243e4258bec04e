// No position scheme (NoPE): the model is told nothing about order.
#include "scheme.h"
#include "trainable.h"
#include "scheme_util.h"

namespace es {
namespace {

using namespace scheme_util;

class NoScheme final : public PositionScheme {
 public:
  explicit NoScheme(SchemeParams p) : p_(std::move(p)) {}
  const SchemeParams& params() const override { return p_; }
  PositionEntry entry() const override { return PositionEntry::Nowhere; }
  std::string describe() const override {
    if (p_.distance_terms)
      return std::string("No positions at the input; learned distance embeddings inside attention (") +
             (p_.distance_terms == 2 ? "relative_key_query" : "relative_key") + ")";
    return std::string("No position information (") + (p_.causal ? "causal" : "bidirectional") + ")";
  }
  std::string where_position_enters() const override {
    if (p_.distance_terms)  // BERT relative_key(_query): Shaw et al. 2018, Huang et al. 2020
      return std::string("Not at the input: every attention layer adds q_i . r(i - j)") +
             (p_.distance_terms == 2 ? " + k_j . r(i - j)" : "") +
             " to the logit of query i and key j, with r a learned embedding of the distance i - j. The input "
             "rows carry no position; attention does.";
    // FACTS.md section 8: only a bidirectional model without positions is order-blind.
    return p_.causal ? "Nowhere explicitly. A causal model still learns positions: its mask lets position i see "
                       "i + 1 tokens, and that count is enough to infer where it is (Haviv et al. 2022)."
                     : "Nowhere: a bidirectional (encoder) model without positions is order-blind; reordering "
                       "the text changes nothing it can compute.";
  }
  long long trained_weights(long long) const override { return 0; }
  MatrixRM interaction(long long n, long long) const override {
    check_interaction_size(n);
    MatrixRM s = MatrixRM::Zero(n, n);
    if (p_.causal) mask_future(s);
    return s;
  }
  std::string interaction_meaning() const override {
    if (p_.distance_terms)
      return "0: no term depends on position alone; the distance terms multiply a query or a key, so they depend on "
             "the tokens too (block 0's attention shows them)";
    return "0 everywhere: position adds nothing to any attention logit";
  }
  std::string repeated_token_story() const override {
    if (p_.distance_terms)
      return "Equal tokens have identical input rows, but inside attention each adds its own distance terms, "
             "so they score the same keys differently.";
    return p_.causal ? "Equal tokens keep identical rows; only the causal mask sets them apart: the later one "
                       "also sees the keys between them."
                     : "Equal tokens keep identical rows and get identical attention: nothing tells them apart.";
  }

 private:
  SchemeParams p_;
};

// The lab's model without positions: only the causal mask tells order (FACTS.md section 8).
template <typename S>
class NoneTrain final : public TrainablePosition<S> {
 public:
  NoneTrain(const SchemeParams&, const TrainShape&) {}
};

std::unique_ptr<PositionScheme> make_none(const SchemeParams& p, SchemeData) { return std::make_unique<NoScheme>(p); }

}  // namespace

const SchemeInfo& none_scheme_info() {
  static const SchemeInfo info{
      "none", "No positions", "Nothing tells the model where a token is (NoPE)", "0", PositionEntry::Nowhere,
      {{ParamField::Causal, "causal", "mask", "causal: keys after the query are masked", 0, 1, true, false,
        {"bidirectional", "causal"}}},
      &make_none, false, nullptr, trainable<NoneTrain>()};
  return info;
}

}  // namespace es
