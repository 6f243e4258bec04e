// Sinusoidal positions (Vaswani et al. 2017): PE[pos, 2i] = sin(pos / base^(2i/d)),
// PE[pos, 2i+1] = cos(pos / base^(2i/d)); or the same frequencies as [sin | cos] halves.
#include "scheme.h"
#include "trainable.h"

#include <cmath>
#include "scheme_util.h"

namespace es {
namespace {

using namespace scheme_util;

class SinusoidalScheme final : public PositionScheme {
 public:
  explicit SinusoidalScheme(SchemeParams p) : p_(std::move(p)) {}
  const SchemeParams& params() const override { return p_; }
  PositionEntry entry() const override { return PositionEntry::Input; }
  std::string describe() const override {
    return "Sinusoidal (base " + fmt_number(p_.base) + ", " +
           (p_.layout == SinusoidLayout::Interleaved ? "interleaved sin/cos columns" : "[sin | cos] halves") + ")";
  }
  std::string where_position_enters() const override {
    return "Added to the input: a fixed pattern of sines and cosines (no trained weights) is added to the token "
           "row at each position.";
  }
  long long trained_weights(long long) const override { return 0; }
  MatrixRM input_rows(long long n, long long d) const override {
    check_length(n, "sinusoidal positions");
    check_dim(d, "sinusoidal positions");
    // n and d are each in range, but (2^20, 2^16) would be 256 GiB: cap the table at 1 GiB.
    if (n * d > (1LL << 28))
      throw Error("sinusoidal positions: " + std::to_string(n) + " x " + std::to_string(d) +
                  " is too large to compute (at most 268,435,456 values, 1 GiB)");
    if (p_.layout == SinusoidLayout::Halves && d % 2 != 0)
      throw Error("sinusoidal positions in [sin | cos] halves need an even width (got d = " + std::to_string(d) + ")");
    return sinusoid_rows(n, d, p_.base, p_.layout);
  }
  MatrixRM interaction(long long n, long long d) const override {
    check_interaction_size(n);
    MatrixRM s = row_cosines(input_rows(n, d));
    if (p_.causal) mask_future(s);
    return s;
  }
  std::string interaction_meaning() const override {
    return "cosine similarity of position rows i and j = (2/d) sum_k cos((i - j) w_k): it depends on i - j only, "
           "and equals RoPE's S at the same width and base";
  }
  std::string repeated_token_story() const override {
    return "Equal tokens share a token row; adding sinusoid rows i and j makes their combined rows differ.";
  }

 private:
  SchemeParams p_;
};

// The lab: the same rows, in the model's scalar type, added at the input.
template <typename S>
class SinusoidalTrain final : public TrainablePosition<S> {
 public:
  SinusoidalTrain(const SchemeParams& p, const TrainShape& s) : p_(p), d_(s.dim) {
    if (d_ % 2 != 0) throw Error("sinusoidal positions need an even dim (sin / cos pairs; got " + std::to_string(d_) + ")");
  }
  void prepare(int T) override { sinusoid_table(rows_, T, d_, p_.base, p_.layout); }
  bool adds_input() const override { return true; }
  void input_forward(S* x, int T, const SchemeWeights<S>&) const override {
    for (std::size_t i = 0; i < std::size_t(T) * d_; ++i) x[i] += rows_[i];
  }
  // The paper's recipe: token rows of unit size, times sqrt(d), so that they and the sinusoids
  // (entries of size ~0.7) are of one scale.
  double token_scale(int d) const override { return std::sqrt(double(d)); }
  double token_init_sd(int d) const override { return 1.0 / std::sqrt(double(d)); }
  std::string recipe() const override {
    return "token rows x sqrt(d), table started at N(0, 1/d) (Vaswani et al. 2017)";
  }

 private:
  SchemeParams p_;
  int d_;
  std::vector<S> rows_;  // (T, d)
};

std::unique_ptr<PositionScheme> make_sinusoidal(const SchemeParams& p, SchemeData) {
  return std::make_unique<SinusoidalScheme>(p);
}

}  // namespace

const SchemeInfo& sinusoidal_scheme_info() {
  static const SchemeInfo info{
      "sinusoidal", "Sinusoidal", "Fixed sines and cosines added at the input (the 2017 Transformer)", "0",
      PositionEntry::Input,
      {{ParamField::Base, "base", "base", "frequency base (10000 in the paper)", 1.0001, 1e12, false, true, {},
        "rope_theta"},
       {ParamField::Layout, "layout", "layout", "column order: interleaved (sin, cos) pairs or [sin | cos] halves",
        0, 1, true, false, {"interleaved", "halves"}},
       {ParamField::Causal, "causal", "mask", "causal: keys after the query are masked", 0, 1, true, false,
        {"bidirectional", "causal"}}},
      &make_sinusoidal, false, nullptr, trainable<SinusoidalTrain>(), nullptr, WeightsCounted::Formula,
      SchemeDataKind::None, nullptr, /*lesson_core=*/true};
  return info;
}

}  // namespace es
