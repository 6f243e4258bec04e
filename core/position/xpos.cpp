// xPos (Sun et al. 2022, "A Length-Extrapolatable Transformer"; torchscale's XPOS): RoPE's
// rotation with an exponential decay per pair. Head width d_h, pairs (2k, 2k+1) interleaved,
// theta_k = base^(-2k/d_h), zeta_k = (2k + 0.4 d_h) / (1.4 d_h) (k = 0 .. d_h/2 - 1):
//   query at position t:  rotated by t theta_k, scaled by zeta_k^( (t - c) / scale_base)
//   key   at position t:  rotated by t theta_k, scaled by zeta_k^(-(t - c) / scale_base)
// c = ceil(n / 2) centres the exponents in the lab as torchscale does (the views use c = 0); it
// cancels in q.k, which carries
// zeta_k^((i - j) / scale_base) cos((i - j) theta_k): RoPE's offset-only score times a decay
// with distance (zeta_k < 1 for every pair, strongest on the fast pairs). Nothing is trained.
#include "scheme.h"
#include "scheme_util.h"
#include "trainable.h"

#include <cmath>

namespace es {
namespace {

using namespace scheme_util;

std::vector<double> xpos_zeta(int dh) {
  std::vector<double> z(static_cast<std::size_t>(dh / 2));
  for (int k = 0; k < dh / 2; ++k) z[static_cast<std::size_t>(k)] = (2.0 * k + 0.4 * dh) / (1.4 * dh);
  return z;
}

void check_head(int dh) {
  if (dh < 2 || dh % 2 != 0)
    throw Error("xPos rotates pairs: the head width must be even and at least 2 (got " + std::to_string(dh) + ")");
}

class XposScheme final : public PositionScheme {
 public:
  explicit XposScheme(SchemeParams p) : p_(std::move(p)) {}
  const SchemeParams& params() const override { return p_; }
  PositionEntry entry() const override { return PositionEntry::QueryKeyRotation; }
  std::string describe() const override {
    return "xPos (base " + fmt_number(p_.base) + ", scale base " + fmt_number(p_.scale_base) + ", " +
           (p_.head_dim > 0 ? std::to_string(p_.head_dim) + "-dim heads" : "the whole width as one head") + ")";
  }
  std::string where_position_enters() const override {
    return "Inside attention: queries and keys are rotated as in RoPE, and scaled per pair by zeta^(+t/scale_base) "
           "(queries) and zeta^(-t/scale_base) (keys), so q.k gains a decay with distance. Nothing is added at the "
           "input: two equal tokens keep identical input rows.";
  }
  long long trained_weights(long long) const override { return 0; }
  void rotate_qk(Eigen::Ref<MatrixRM> x, long long pos0, bool inverse, bool key) const override {
    const int dh = static_cast<int>(x.cols());
    check_head(dh);
    // Exponents from position 0, not centred: a query and a key rotated in separate calls (one
    // row each) still meet with zeta^((i - j)/scale_base). In float that holds to positions of
    // about 30 scale bases (zeta^(-t/scale_base) stays below 1e38).
    const std::vector<double> theta = rope_frequencies(dh, p_.base), zeta = xpos_zeta(dh);
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      const double t = static_cast<double>(pos0 + r);
      float* row = x.row(r).data();
      for (int k = 0; k < dh / 2; ++k) {
        const double sc = std::pow(zeta[k], (key ? -1.0 : 1.0) * t / p_.scale_base);
        const double c = std::cos(t * theta[k]), s = (inverse ? -1.0 : 1.0) * std::sin(t * theta[k]);
        const double a = row[2 * k], b = row[2 * k + 1];
        row[2 * k] = static_cast<float>(sc * (a * c - b * s));
        row[2 * k + 1] = static_cast<float>(sc * (a * s + b * c));
      }
    }
  }
  std::vector<double> rotation_frequencies(long long d_head, long long) const override {
    return rope_frequencies(p_.head_dim > 0 ? p_.head_dim : static_cast<int>(d_head), p_.base);
  }
  MatrixRM interaction(long long n, long long d) const override {
    check_interaction_size(n);
    check_dim(d, "xPos");
    const int dh = p_.head_dim > 0 ? p_.head_dim : static_cast<int>(d);
    check_head(dh);
    // <q_i, k_j> / |u|^2 for u = all ones: (2/d_h) sum_k zeta_k^((i-j)/scale_base) cos((i-j) theta_k).
    const std::vector<double> theta = rope_frequencies(dh, p_.base), zeta = xpos_zeta(dh);
    std::vector<float> by_offset(static_cast<std::size_t>(2 * n - 1));
    for (long long o = -(n - 1); o <= n - 1; ++o) {
      double sum = 0;
      for (std::size_t k = 0; k < theta.size(); ++k)
        sum += std::pow(zeta[k], static_cast<double>(o) / p_.scale_base) * std::cos(static_cast<double>(o) * theta[k]);
      by_offset[static_cast<std::size_t>(o + n - 1)] = static_cast<float>(2.0 / dh * sum);
    }
    MatrixRM s = from_offsets(n, by_offset);
    if (p_.causal) mask_future(s);
    return s;
  }
  std::string interaction_meaning() const override {
    return "<q_i, k_j> / |u|^2 for u = all ones = (2/d_head) sum_k zeta_k^((i - j)/scale_base) cos((i - j) theta_k): "
           "RoPE's curve times a decay with distance, a function of i - j only";
  }
  std::string repeated_token_story() const override {
    return "Equal tokens keep identical input rows. Inside attention their queries and keys are rotated and scaled by "
           "their positions, so a score between them depends on the offset only, and shrinks with it.";
  }

 private:
  SchemeParams p_;
};

// The lab: the rotation and decay on each head's q and k rows; the backward pass applies the
// transpose (the same decay, the rotation by -angle: each pair's scale commutes with its rotation).
template <typename S>
class XposTrain final : public TrainablePosition<S> {
 public:
  XposTrain(const SchemeParams& p, const TrainShape& s) : p_(p), dh_(s.dim / s.heads) {
    check_head(dh_);
    theta_ = rope_frequencies(dh_, p.base);
    zeta_ = xpos_zeta(dh_);
  }
  void prepare(int T) override {
    const std::size_t half = std::size_t(dh_ / 2);
    const double centre = std::ceil(T / 2.0);
    cos_.assign(std::size_t(T) * half, S(0));
    sin_.assign(std::size_t(T) * half, S(0));
    up_.assign(std::size_t(T) * half, S(0));
    for (int t = 0; t < T; ++t)
      for (std::size_t k = 0; k < half; ++k) {
        cos_[t * half + k] = S(std::cos(t * theta_[k]));
        sin_[t * half + k] = S(std::sin(t * theta_[k]));
        up_[t * half + k] = S(std::pow(zeta_[k], (t - centre) / p_.scale_base));
      }
  }
  bool rotates() const override { return true; }
  void rotate(S* row, int t, bool key, bool transpose) const override {
    const std::size_t half = std::size_t(dh_ / 2), at = std::size_t(t) * half;
    for (std::size_t k = 0; k < half; ++k) {
      const S sc = key ? S(1) / up_[at + k] : up_[at + k];
      const S c = cos_[at + k] * sc, s = (transpose ? -sin_[at + k] : sin_[at + k]) * sc;
      const S a = row[2 * k], b = row[2 * k + 1];
      row[2 * k] = a * c - b * s;
      row[2 * k + 1] = a * s + b * c;
    }
  }

 private:
  SchemeParams p_;
  int dh_;
  std::vector<double> theta_, zeta_;
  std::vector<S> cos_, sin_, up_;  // (T, d_h / 2); up: zeta^((t - c) / scale_base)
};

std::unique_ptr<PositionScheme> make_xpos(const SchemeParams& p, SchemeData) {
  if (p.head_dim > 0) check_head(p.head_dim);
  SchemeParams q = p;
  q.causal = true;  // xPos is a decoder's scheme (its decay is defined for keys before the query)
  return std::make_unique<XposScheme>(q);
}

}  // namespace

const SchemeInfo& xpos_scheme_info() {
  static const SchemeInfo info{
      "xpos", "xPos", "RoPE's rotation with a per-pair decay with distance (Sun et al. 2022, torchscale)", "0",
      PositionEntry::QueryKeyRotation,
      {{ParamField::Base, "base", "base", "frequency base of the rotation (10000)", 1.0001, 1e12, false, true, {},
        "rope_theta"},
       {ParamField::ScaleBase, "scale-base", "scale base", "length scale of the decay (512)", 1, 1e9, false, true, {},
        "xpos_scale_base"},
       {ParamField::HeadDim, "head-dim", "head width", "width of one head (0: the whole d)", 2, 65536, true, false}},
      &make_xpos, false, nullptr, trainable<XposTrain>()};
  return info;
}

}  // namespace es
