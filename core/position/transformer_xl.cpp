// Transformer-XL's relative encoding (Dai et al. 2019; HF modeling_transfo_xl.py). Score of
// query i and key j:
//   (a) q_i.k_j + (b) q_i.W_kR R_{i-j} + (c) u.k_j + (d) v.W_kR R_{i-j}
// u, v learned per head (r_w_bias, r_r_bias); R the sinusoid of the distance i - j,
// [sin(o w_k) | cos(o w_k)] with w_k = base^(-2k/d) (halves layout). Nothing is added at the
// input. Term (d) is the position-only part; without trained weights S shows it with the
// stand-ins v = (1, ..., 1) and W_kR = I, divided by d.
#include "scheme.h"
#include "scheme_util.h"

namespace es {
namespace {

using namespace scheme_util;

class TransformerXlScheme final : public PositionScheme {
 public:
  explicit TransformerXlScheme(SchemeParams p) : p_(std::move(p)) {}
  const SchemeParams& params() const override { return p_; }
  PositionEntry entry() const override { return PositionEntry::AttentionTerms; }
  std::string describe() const override {
    return "Transformer-XL relative (base " + fmt_number(p_.base) + ", " + (p_.causal ? "causal" : "bidirectional") + ")";
  }
  std::string where_position_enters() const override {
    return "Inside attention: the score of query i and key j gains terms built from R_{i-j}, a sinusoid of the "
           "distance, and two learned vectors per head (u, v): q.W R_{i-j} + u.k_j + v.W R_{i-j}. Nothing is added "
           "at the input: two equal tokens keep identical input rows.";
  }
  long long trained_weights(long long d) const override {
    // u and v (heads x d_head each = 2 d) plus W_kR (d x d) per layer; the sinusoid has none.
    return 2 * d + d * d;
  }
  MatrixRM relative_embeddings(long long count, long long d) const override {
    check_length(count, "Transformer-XL relative embeddings");
    check_dim(d, "Transformer-XL relative embeddings");
    if (d % 2 != 0)
      throw Error("Transformer-XL's [sin | cos] relative embeddings need an even width (got d = " + std::to_string(d) + ")");
    if (count * d > (1LL << 28)) throw Error("Transformer-XL relative embeddings: too large to compute");
    return sinusoid_rows(count, d, p_.base, SinusoidLayout::Halves);  // row o = R_o
  }
  MatrixRM interaction(long long n, long long d) const override {
    check_interaction_size(n);
    check_dim(d, "Transformer-XL");
    if (d % 2 != 0)
      throw Error("Transformer-XL's [sin | cos] relative embeddings need an even width (got d = " + std::to_string(d) + ")");
    // Term (d) with v = 1 and W_kR = I: sum over the columns of R_{i-j}, divided by d.
    const MatrixRM r = sinusoid_rows(2 * n - 1, d, p_.base, SinusoidLayout::Halves, -(n - 1));  // offsets -(n-1)..n-1
    std::vector<float> by_offset(static_cast<std::size_t>(2 * n - 1));
    for (long long k = 0; k < 2 * n - 1; ++k)
      by_offset[static_cast<std::size_t>(k)] = static_cast<float>(r.row(k).cast<double>().sum() / static_cast<double>(d));
    MatrixRM s = from_offsets(n, by_offset);  // s(i, j) = term (d) at offset i - j
    if (p_.causal) mask_future(s);
    return s;
  }
  std::string interaction_meaning() const override {
    return "term (d) of the score, v.W_kR R_{i-j}, with untrained stand-ins v = (1, ..., 1) and W_kR = I, divided "
           "by d: a function of i - j only";
  }
  std::string repeated_token_story() const override {
    return "Equal tokens keep identical input rows. Inside attention each query scores a key through R of its own "
           "distance to it, so the two score the same key with different relative terms.";
  }

 private:
  SchemeParams p_;
};

std::unique_ptr<PositionScheme> make(const SchemeParams& p, SchemeData) {
  return std::make_unique<TransformerXlScheme>(p);
}

void adopt(SchemeParams& p) { p.causal = true; }  // a language model: keys after the query masked

}  // namespace

const SchemeInfo& transformer_xl_scheme_info() {
  static const SchemeInfo info{
      "transformer-xl", "Transformer-XL relative",
      "Sinusoids of the distance i - j inside attention, with learned global biases u and v (Transformer-XL)",
      "2 d + d^2 per layer (u, v, W_kR)", PositionEntry::AttentionTerms,
      {{ParamField::Base, "base", "base", "frequency base of the distance sinusoid (10000)", 1.0001, 1e12, false, true},
       {ParamField::Causal, "causal", "mask", "causal: keys after the query are masked", 0, 1, true, false,
        {"bidirectional", "causal"}}},
      &make, false, &adopt};
  return info;
}

}  // namespace es
