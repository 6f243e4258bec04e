// FIRE (Li et al. 2023, "Functional Interpolation for Relative Positions Improves Long Context
// Transformers"): a bias on the logit of query i, key j <= i from a small learned MLP of the
// log-transformed distance, normalised by the query's position:
//   b(i, j) = f(psi(i - j) / psi(max(L, i))),   psi(x) = log(c x + 1)
// f: R -> R^H, one hidden layer of 32 ReLU units (one output per head); c > 0 and the threshold
// L are learned too (the lab clamps them at 0.01 and 1). The normalisation keeps the MLP's input
// in [0, 1] at any length, which is why FIRE generalises past its training length.
#include "scheme.h"
#include "scheme_util.h"
#include "trainable.h"

#include <algorithm>
#include <cmath>

namespace es {
namespace {

using namespace scheme_util;

constexpr int kHidden = 32;
constexpr double kMinC = 0.01, kMinL = 1.0;

double psi(double x, double c) { return std::log1p(c * x); }

class FireScheme final : public PositionScheme {
 public:
  explicit FireScheme(SchemeParams p) : p_(std::move(p)) {}
  const SchemeParams& params() const override { return p_; }
  PositionEntry entry() const override { return PositionEntry::AttentionBias; }
  std::string describe() const override {
    return "FIRE (" + std::to_string(p_.heads) + " heads; an MLP of 32 units; untrained: its input shown)";
  }
  std::string where_position_enters() const override {
    return "Inside attention: a small learned MLP turns the normalised distance psi(i - j) / psi(max(L, i)), "
           "psi(x) = log(c x + 1), into one bias per head on the logit. Nothing is added at the input: two equal "
           "tokens keep identical input rows.";
  }
  long long trained_weights(long long) const override {  // per layer: c, L and the MLP
    return 2 + 2LL * kHidden + static_cast<long long>(kHidden) * p_.heads + p_.heads;
  }
  // Without trained weights: the MLP's input with the stand-ins c = 1, L = 1 (every bias is a
  // learned function of it).
  MatrixRM attention_bias(long long n, int head) const override {
    check_interaction_size(n);
    if (head < 0 || head >= p_.heads) throw Error("FIRE: no head " + std::to_string(head + 1));
    MatrixRM s(n, n);
    for (long long i = 0; i < n; ++i)
      for (long long j = 0; j < n; ++j)
        s(i, j) = j > i ? kMasked
                        : static_cast<float>(psi(double(i - j), 1.0) / psi(std::max<double>(kMinL, double(i)), 1.0));
    return s;
  }
  MatrixRM interaction(long long n, long long) const override { return attention_bias(n, p_.head - 1); }
  std::string interaction_meaning() const override {
    return "the MLP's input psi(i - j) / psi(max(L, i)) with stand-ins c = 1, L = 1 (the trained MLP maps it to one "
           "bias per head): it depends on the query's position too, not on i - j alone";
  }
  std::string repeated_token_story() const override {
    return "Equal tokens keep identical input rows. Their biases come from distances normalised by each query's own "
           "position, so the two weigh the same key differently.";
  }

 private:
  SchemeParams p_;
};

// The lab: per layer c (1), L (1), w1, b1 (32), w2 (32, H), b2 (H). The layer's scratch holds the
// bias table and its gradient, both (H, T, T).
template <typename S>
class FireTrain final : public TrainablePosition<S> {
 public:
  FireTrain(const SchemeParams&, const TrainShape& s) : s_(s) {}
  std::vector<SchemeTensor> tensors() const override {
    const int64_t H = s_.heads;
    return {{"attn.fire_c", {1}, TensorPlace::PerLayer, false, TensorInit::Constant, 1.0, {}},
            {"attn.fire_L", {1}, TensorPlace::PerLayer, false, TensorInit::Constant, double(s_.context), {}},
            {"attn.fire_w1", {kHidden}, TensorPlace::PerLayer, false, TensorInit::Normal, 1.0, {}},
            {"attn.fire_b1", {kHidden}, TensorPlace::PerLayer, false, TensorInit::Constant, 0.0, {}},
            {"attn.fire_w2", {kHidden, H}, TensorPlace::PerLayer, true, TensorInit::Normal, 0.02, {}},
            {"attn.fire_b2", {H}, TensorPlace::PerLayer, false, TensorInit::Constant, 0.0, {}}};
  }
  bool has_scores() const override { return true; }
  void layer_forward(const LayerContext<S>& c) const override {
    const int T = c.T, H = c.heads;
    const std::size_t TT = std::size_t(T) * T;
    c.cache->assign(2 * H * TT, S(0));  // [bias | dbias]
    const Mlp m = mlp(c);
    double a[kHidden];
    for (int i = 0; i < T; ++i)
      for (int j = 0; j <= i; ++j) {
        const double x = input(m, i, j);
        for (int k = 0; k < kHidden; ++k) a[k] = std::max(0.0, double(m.w1[k]) * x + double(m.b1[k]));
        for (int h = 0; h < H; ++h) {
          double o = m.b2[h];
          for (int k = 0; k < kHidden; ++k) o += double(m.w2[k * H + h]) * a[k];
          (*c.cache)[h * TT + std::size_t(i) * T + j] = S(o);
        }
      }
  }
  void scores_forward(const HeadContext<S>& c, S* L) const override {
    const S* b = c.cache->data() + std::size_t(c.head) * c.T * c.T;
    for (int i = 0; i < c.T; ++i)
      for (int j = 0; j <= i; ++j) L[std::size_t(i) * c.T + j] += b[std::size_t(i) * c.T + j];
  }
  void scores_backward(const HeadContext<S>& c, const S* dL) const override {
    const std::size_t TT = std::size_t(c.T) * c.T;
    S* db = c.cache->data() + std::size_t(s_.heads) * TT + c.head * TT;
    for (int i = 0; i < c.T; ++i)
      for (int j = 0; j <= i; ++j) db[std::size_t(i) * c.T + j] += dL[std::size_t(i) * c.T + j];
  }
  void layer_backward(const LayerContext<S>& c) const override {
    const int T = c.T, H = c.heads;
    const std::size_t TT = std::size_t(T) * T;
    const S* dbias = c.cache->data() + H * TT;
    const Mlp m = mlp(c);
    S* gc = c.w.g(0, c.layer);
    S* gL = c.w.g(1, c.layer);
    S* gw1 = c.w.g(2, c.layer);
    S* gb1 = c.w.g(3, c.layer);
    S* gw2 = c.w.g(4, c.layer);
    S* gb2 = c.w.g(5, c.layer);
    double a[kHidden], dz[kHidden];
    for (int i = 0; i < T; ++i)
      for (int j = 0; j <= i; ++j) {
        const double x = input(m, i, j);
        for (int k = 0; k < kHidden; ++k) a[k] = double(m.w1[k]) * x + double(m.b1[k]);
        double da[kHidden] = {};
        for (int h = 0; h < H; ++h) {
          const double g = dbias[h * TT + std::size_t(i) * T + j];
          if (g == 0) continue;
          gb2[h] += S(g);
          for (int k = 0; k < kHidden; ++k) {
            gw2[k * H + h] += S(g * std::max(0.0, a[k]));
            da[k] += g * double(m.w2[k * H + h]);
          }
        }
        double dx = 0;
        for (int k = 0; k < kHidden; ++k) {
          dz[k] = a[k] > 0 ? da[k] : 0.0;
          gw1[k] += S(dz[k] * x);
          gb1[k] += S(dz[k]);
          dx += dz[k] * double(m.w1[k]);
        }
        if (dx == 0) continue;
        // x = N / D, N = psi(i - j), D = psi(m), m = max(L, i).
        const double r = i - j, mm = std::max(m.L, double(i));
        const double N = psi(r, m.c), D = psi(mm, m.c);
        if (m.c_free) gc[0] += S(dx * (r / (1 + m.c * r) * D - N * mm / (1 + m.c * mm)) / (D * D));
        if (m.L_free && m.L > i) gL[0] += S(dx * -N * (m.c / (1 + m.c * mm)) / (D * D));
      }
  }

 private:
  struct Mlp {
    double c, L;
    bool c_free, L_free;  // not clamped
    const S *w1, *b1, *w2, *b2;
  };
  Mlp mlp(const LayerContext<S>& lc) const {
    const double c = lc.w.p(0, lc.layer)[0], L = lc.w.p(1, lc.layer)[0];
    return {std::max(c, kMinC), std::max(L, kMinL), c > kMinC, L > kMinL,
            lc.w.p(2, lc.layer), lc.w.p(3, lc.layer), lc.w.p(4, lc.layer), lc.w.p(5, lc.layer)};
  }
  static double input(const Mlp& m, int i, int j) { return psi(i - j, m.c) / psi(std::max(m.L, double(i)), m.c); }
  TrainShape s_;
};

std::unique_ptr<PositionScheme> make_fire(const SchemeParams& p, SchemeData) {
  check_heads(p, "FIRE");
  SchemeParams q = p;
  q.causal = true;
  return std::make_unique<FireScheme>(q);
}

void adopt_fire(SchemeParams& p) {
  if (p.heads < 2) p.heads = 8, p.head = 1;
}

}  // namespace

const SchemeInfo& fire_scheme_info() {
  static const SchemeInfo info{
      "fire", "FIRE", "A learned MLP of the log distance normalised by the query's position, on the logits (Li et al. 2023)",
      "2 + 32 * (heads + 2) + heads per layer", PositionEntry::AttentionBias,
      {{ParamField::Heads, "heads", "heads", "number of heads", 1, 4096, true},
       {ParamField::Head, "head", "head", "the head S shows, 1-based", 1, 4096, true}},
      &make_fire, false, &adopt_fire, trainable<FireTrain>(), nullptr, WeightsCounted::InsideAttention};
  return info;
}

}  // namespace es
