// Transformer-XL's relative encoding (Dai et al. 2019; HF modeling_transfo_xl.py). Score of
// query i and key j:
//   (a) q_i.k_j + (b) q_i.W_kR R_{i-j} + (c) u.k_j + (d) v.W_kR R_{i-j}
// u, v learned per head (r_w_bias, r_r_bias); R the sinusoid of the distance i - j,
// [sin(o w_k) | cos(o w_k)] with w_k = base^(-2k/d) (halves layout). Nothing is added at the
// input. Term (d) is the position-only part; without trained weights S shows it with the
// stand-ins v = (1, ..., 1) and W_kR = I, divided by d.
#include "scheme.h"
#include "trainable.h"

#include <cmath>
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

// The lab (Dai et al. 2019): per layer u, v (heads, d_head) and W_kR (d, d) stored (in, out).
// Score terms of head h, after the content score's scale s = 1/sqrt(d_head):
//   s (u.k_j + (q_i + v).rk_{i-j}),  rk = R W_kR  (T, d), R_o the [sin | cos] sinusoid of o.
// The layer's scratch holds rk and its gradient drk, both (T, d).
template <typename S>
class TransformerXlTrain final : public TrainablePosition<S> {
 public:
  TransformerXlTrain(const SchemeParams& p, const TrainShape& s) : p_(p), s_(s) {
    if (s.dim % 2 != 0)
      throw Error("transformer-xl needs an even dim (its sinusoids come in sin / cos pairs; got " + std::to_string(s.dim) + ")");
  }
  std::vector<SchemeTensor> tensors() const override {
    const int64_t H = s_.heads, dh = s_.dim / s_.heads, d = s_.dim;
    return {{"attn.r_w_bias", {H, dh}, TensorPlace::PerLayer, false, TensorInit::Normal, 0.02, {}},
            {"attn.r_r_bias", {H, dh}, TensorPlace::PerLayer, false, TensorInit::Normal, 0.02, {}},
            {"attn.r_net.weight", {d, d}, TensorPlace::PerLayer, true, TensorInit::Normal, 0.02, {}}};
  }
  void prepare(int T) override { sinusoid_table(rel_, T, s_.dim, p_.base, SinusoidLayout::Halves); }
  bool has_scores() const override { return true; }
  void layer_forward(const LayerContext<S>& c) const override {
    const std::size_t n = std::size_t(c.T) * c.d;
    c.cache->assign(2 * n, S(0));  // [rk | drk]
    gemm_acc(false, false, c.T, c.d, c.d, rel_.data(), c.d, c.w.p(2, c.layer), c.d, S(0), c.cache->data(), c.d);
  }
  void scores_forward(const HeadContext<S>& c, S* L) const override {
    const S scale = S(this->logit_scale(c.dh));
    const S* u = c.w.p(0, c.layer) + std::size_t(c.head) * c.dh;
    const S* v = c.w.p(1, c.layer) + std::size_t(c.head) * c.dh;
    const S* rk = c.cache->data() + std::size_t(c.head) * c.dh;
    for (int i = 0; i < c.T; ++i) {
      const S* q = c.q + std::size_t(i) * c.ld;
      for (int j = 0; j <= i; ++j) {
        const S* k = c.k + std::size_t(j) * c.ld;
        const S* r = rk + std::size_t(i - j) * c.d;
        S s = 0;
        for (int e = 0; e < c.dh; ++e) s += u[e] * k[e] + (q[e] + v[e]) * r[e];
        L[std::size_t(i) * c.T + j] += scale * s;
      }
    }
  }
  void scores_backward(const HeadContext<S>& c, const S* dL) const override {
    const S scale = S(this->logit_scale(c.dh));
    const std::size_t off = std::size_t(c.head) * c.dh;
    const S* u = c.w.p(0, c.layer) + off;
    const S* v = c.w.p(1, c.layer) + off;
    S* du = c.w.g(0, c.layer) + off;
    S* dv = c.w.g(1, c.layer) + off;
    const S* rk = c.cache->data() + off;
    S* drk = c.cache->data() + std::size_t(c.T) * c.d + off;
    for (int i = 0; i < c.T; ++i) {
      const S* q = c.q + std::size_t(i) * c.ld;
      S* dq = c.dq + std::size_t(i) * c.ld;
      for (int j = 0; j <= i; ++j) {
        const S ds = scale * dL[std::size_t(i) * c.T + j];
        if (ds == S(0)) continue;
        const S* k = c.k + std::size_t(j) * c.ld;
        S* dk = c.dk + std::size_t(j) * c.ld;
        const S* r = rk + std::size_t(i - j) * c.d;
        S* dr = drk + std::size_t(i - j) * c.d;
        for (int e = 0; e < c.dh; ++e) {
          dq[e] += ds * r[e];
          dk[e] += ds * u[e];
          du[e] += ds * k[e];
          dv[e] += ds * r[e];
          dr[e] += ds * (q[e] + v[e]);
        }
      }
    }
  }
  void layer_backward(const LayerContext<S>& c) const override {  // dW_kR += R^T drk
    const S* drk = c.cache->data() + std::size_t(c.T) * c.d;
    gemm_acc(true, false, c.d, c.d, c.T, rel_.data(), c.d, drk, c.d, S(1), c.w.g(2, c.layer), c.d);
  }

 private:
  SchemeParams p_;
  TrainShape s_;
  std::vector<S> rel_;  // (T, d): R_o, o = 0 .. T-1
};

std::unique_ptr<PositionScheme> make_transformer_xl(const SchemeParams& p, SchemeData) {
  return std::make_unique<TransformerXlScheme>(p);
}

void adopt_transformer_xl(SchemeParams& p) { p.causal = true; }  // a language model: keys after the query masked

}  // namespace

const SchemeInfo& transformer_xl_scheme_info() {
  static const SchemeInfo info{
      "transformer-xl", "Transformer-XL relative",
      "Sinusoids of the distance i - j inside attention, with learned global biases u and v (Transformer-XL)",
      "2 d + d^2 per layer (u, v, W_kR)", PositionEntry::AttentionTerms,
      {{ParamField::Base, "base", "base", "frequency base of the distance sinusoid (10000)", 1.0001, 1e12, false, true},
       {ParamField::Causal, "causal", "mask", "causal: keys after the query are masked", 0, 1, true, false,
        {"bidirectional", "causal"}}},
      &make_transformer_xl, false, &adopt_transformer_xl, trainable<TransformerXlTrain>(), nullptr,
      WeightsCounted::InsideAttention, SchemeDataKind::None, "T-XL", /*lesson_core=*/true};
  return info;
}

}  // namespace es
