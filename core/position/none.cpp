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
    return std::string("No position information (") + (p_.causal ? "causal" : "bidirectional") + ")";
  }
  std::string where_position_enters() const override {
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
    return "0 everywhere: position adds nothing to any attention logit";
  }
  std::string repeated_token_story() const override {
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
