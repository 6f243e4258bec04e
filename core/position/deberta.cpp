// DeBERTa's disentangled attention (He et al. 2021; HF modeling_deberta_v2.py). Score =
// content-to-content + content-to-position + position-to-content, scaled by 1/sqrt(3 d_head):
//   c2c  q_i . k_j
//   c2p  q_i . K_r[idx(delta(i, j))]      K_r = rel_embeddings W_k (shared projections)
//   p2c  k_j . Q_r[idx(-delta(i, j))]     Q_r = rel_embeddings W_q
// delta(i, j) = log-bucketed i - j (make_log_bucket_position: exact within +-mid, mid =
// position_buckets / 2, log-spaced out to max_relative_positions);
// idx(b) = clamp(b + position_buckets, 0, 2 position_buckets - 1) into rel_embeddings
// (2 position_buckets, d), LayerNorm'd when norm_rel_ebd is "layer_norm". Nothing is added at
// the input in v3 (position_biased_input false).
#include "scheme.h"
#include "trainable.h"
#include "scheme_util.h"

#include <algorithm>
#include <cmath>

namespace es {
namespace {

using namespace scheme_util;

class DebertaScheme final : public PositionScheme {
 public:
  DebertaScheme(SchemeParams p, std::optional<MatrixRM> rel, std::string source)
      : p_(std::move(p)), rel_(std::move(rel)), source_(std::move(source)) {}
  const SchemeParams& params() const override { return p_; }
  PositionEntry entry() const override { return PositionEntry::AttentionTerms; }
  std::string describe() const override {
    return "DeBERTa disentangled (" + std::to_string(p_.buckets) + " position buckets, max relative position " +
           std::to_string(p_.max_distance) + (rel_ ? ", trained rel_embeddings" : ", bucket indices") + ")";
  }
  std::string where_position_enters() const override {
    std::string s = "Inside attention: besides content-to-content, the score adds content-to-position and "
                    "position-to-content terms built from embeddings of the bucketed offset i - j, and is scaled by "
                    "1/sqrt(3 d_head). Nothing is added at the input: two equal tokens keep identical input rows.";
    if (!source_.empty()) s += " Relative embeddings from " + source_ + ".";
    return s;
  }
  long long trained_weights(long long d) const override { return 2LL * p_.buckets * d; }
  // Row b + buckets holds bucketed offset b; count must not exceed the table.
  MatrixRM relative_embeddings(long long count, long long d) const override {
    if (!rel_)
      throw Error("DeBERTa's relative embeddings are trained weights: open a DeBERTa-v2/v3 checkpoint to have them");
    if (d != rel_->cols())
      throw Error("DeBERTa rel_embeddings are " + std::to_string(rel_->cols()) + " wide, not " + std::to_string(d));
    if (count < 1 || count > rel_->rows())
      throw Error("DeBERTa rel_embeddings have " + std::to_string(rel_->rows()) + " rows (asked for " +
                  std::to_string(count) + ")");
    return rel_->topRows(count);
  }
  // Index into rel_embeddings of query i, key j (HF c2p_pos).
  long long row_of(long long rel) const {
    const long long b = deberta_log_bucket(rel, p_.buckets, p_.max_distance);
    return std::clamp<long long>(b + p_.buckets, 0, 2LL * p_.buckets - 1);
  }
  MatrixRM interaction(long long n, long long) const override {
    check_interaction_size(n);
    std::vector<float> by_offset(static_cast<std::size_t>(2 * n - 1));
    if (rel_) {
      // Cosine of the embedding of offset i - j with that of offset 0.
      const long long zero = row_of(0);
      if (zero >= rel_->rows()) throw Error("DeBERTa rel_embeddings are too short for the bucket settings");
      const Eigen::VectorXd e0 = rel_->row(zero).cast<double>().transpose();
      for (long long o = -(n - 1); o <= n - 1; ++o) {
        const long long r = std::min<long long>(row_of(o), rel_->rows() - 1);
        const Eigen::VectorXd e = rel_->row(r).cast<double>().transpose();
        const double den = e.norm() * e0.norm();
        by_offset[static_cast<std::size_t>(o + n - 1)] = den > 0 ? static_cast<float>(e.dot(e0) / den) : kMasked;
      }
    } else {
      for (long long o = -(n - 1); o <= n - 1; ++o)
        by_offset[static_cast<std::size_t>(o + n - 1)] =
            static_cast<float>(deberta_log_bucket(o, p_.buckets, p_.max_distance));
    }
    MatrixRM s = from_offsets(n, by_offset);  // s(i, j) at offset i - j
    if (p_.causal) mask_future(s);
    return s;
  }
  std::string interaction_meaning() const override {
    return rel_ ? "cosine of the relative embedding that query i uses for key j (bucketed i - j) with the one for "
                  "offset 0"
                : "the log-bucketed relative position i - j (no trained rel_embeddings loaded)";
  }
  std::string repeated_token_story() const override {
    return "Equal tokens keep identical input rows. Their content-to-position and position-to-content terms use "
           "the embeddings of different offsets, so they score the same key differently.";
  }

 private:
  SchemeParams p_;
  std::optional<MatrixRM> rel_;  // (2 * buckets, d) row-major, LayerNorm'd when the model does
  std::string source_;
};

std::unique_ptr<PositionScheme> make_deberta(const SchemeParams& p, SchemeData data) {
  if (p.buckets < 4 || p.buckets % 2 != 0)
    throw Error("DeBERTa: position buckets must be an even number of at least 4 (got " + std::to_string(p.buckets) + ")");
  deberta_log_bucket(0, p.buckets, p.max_distance);  // validates
  std::string source = data.relative_embeddings ? data.source : std::string();
  return std::make_unique<DebertaScheme>(p, std::move(data.relative_embeddings), std::move(source));
}

// The lab (HF DebertaV2 with share_att_key, pos_att_type c2p|p2c, norm_rel_ebd none):
// rel_embeddings (2 span, d) trained, span = position_buckets; in every layer the block's own
// q and k projections map them to K_r = rel W_k + b_k and Q_r = rel W_q + b_q (each (2 span, d));
// with s = 1/sqrt(3 d_head) the score terms of head h are
//   s (q_i . K_r[idx(i, j)] + k_j . Q_r[idx(i, j)]),  idx(i, j) = clamp(bucket(i - j) + span)
// (bucket is odd, so p2c's index clamp(-bucket(j - i) + span) is the same row). The layer's
// scratch holds [K_r | Q_r | dK_r | dQ_r].
template <typename S>
class DebertaTrain final : public TrainablePosition<S> {
 public:
  DebertaTrain(const SchemeParams& p, const TrainShape& s) : p_(p), s_(s) {
    if (p.buckets < 4 || p.buckets % 2 != 0)
      throw Error("DeBERTa: position buckets must be an even number of at least 4 (got " + std::to_string(p.buckets) + ")");
    deberta_log_bucket(0, p.buckets, p.max_distance);  // validates
  }
  std::vector<SchemeTensor> tensors() const override {
    return {{"rel_embeddings.weight", {2LL * p_.buckets, s_.dim}, TensorPlace::AtEnd, true, TensorInit::Normal, 0.02, {}}};
  }
  void prepare(int T) override {
    T_ = T;
    row_.assign(std::size_t(T) * T, 0);
    for (int i = 0; i < T; ++i)
      for (int j = 0; j < T; ++j)
        row_[std::size_t(i) * T + j] = static_cast<int>(
            std::clamp<long long>(deberta_log_bucket(i - j, p_.buckets, p_.max_distance) + p_.buckets, 0, 2LL * p_.buckets - 1));
  }
  double logit_scale(int dh) const override { return 1.0 / std::sqrt(3.0 * dh); }
  bool has_scores() const override { return true; }
  void layer_forward(const LayerContext<S>& c) const override {
    const int R2 = 2 * p_.buckets, d = c.d;
    const std::size_t n = std::size_t(R2) * d;
    c.cache->assign(4 * n, S(0));
    S* kr = c.cache->data();
    S* qr = kr + n;
    for (int r = 0; r < R2; ++r)
      for (int e = 0; e < d; ++e) qr[std::size_t(r) * d + e] = c.qkv_bias[e], kr[std::size_t(r) * d + e] = c.qkv_bias[d + e];
    gemm_acc(false, false, R2, d, d, c.w.p(0), d, c.qkv_weight, 3 * d, S(1), qr, d);
    gemm_acc(false, false, R2, d, d, c.w.p(0), d, c.qkv_weight + d, 3 * d, S(1), kr, d);
  }
  void scores_forward(const HeadContext<S>& c, S* L) const override {
    const S scale = S(logit_scale(c.dh));
    const std::size_t n = std::size_t(2 * p_.buckets) * c.d, off = std::size_t(c.head) * c.dh;
    const S* kr = c.cache->data() + off;
    const S* qr = c.cache->data() + n + off;
    for (int i = 0; i < c.T; ++i) {
      const S* q = c.q + std::size_t(i) * c.ld;
      for (int j = 0; j <= (p_.causal ? i : c.T - 1); ++j) {
        const S* k = c.k + std::size_t(j) * c.ld;
        const std::size_t r = std::size_t(row_[std::size_t(i) * T_ + j]) * c.d;
        S s = 0;
        for (int e = 0; e < c.dh; ++e) s += q[e] * kr[r + e] + k[e] * qr[r + e];
        L[std::size_t(i) * c.T + j] += scale * s;
      }
    }
  }
  void scores_backward(const HeadContext<S>& c, const S* dL) const override {
    const S scale = S(logit_scale(c.dh));
    const std::size_t n = std::size_t(2 * p_.buckets) * c.d, off = std::size_t(c.head) * c.dh;
    const S* kr = c.cache->data() + off;
    const S* qr = c.cache->data() + n + off;
    S* dkr = c.cache->data() + 2 * n + off;
    S* dqr = c.cache->data() + 3 * n + off;
    for (int i = 0; i < c.T; ++i) {
      const S* q = c.q + std::size_t(i) * c.ld;
      S* dq = c.dq + std::size_t(i) * c.ld;
      for (int j = 0; j <= (p_.causal ? i : c.T - 1); ++j) {
        const S ds = scale * dL[std::size_t(i) * c.T + j];
        if (ds == S(0)) continue;
        const S* k = c.k + std::size_t(j) * c.ld;
        S* dk = c.dk + std::size_t(j) * c.ld;
        const std::size_t r = std::size_t(row_[std::size_t(i) * T_ + j]) * c.d;
        for (int e = 0; e < c.dh; ++e) {
          dq[e] += ds * kr[r + e];
          dkr[r + e] += ds * q[e];
          dk[e] += ds * qr[r + e];
          dqr[r + e] += ds * k[e];
        }
      }
    }
  }
  // K_r = rel W_k + b_k, Q_r = rel W_q + b_q: dW += rel^T dX, db += column sums, drel += dX W^T.
  void layer_backward(const LayerContext<S>& c) const override {
    const int R2 = 2 * p_.buckets, d = c.d;
    const std::size_t n = std::size_t(R2) * d;
    const S* dkr = c.cache->data() + 2 * n;
    const S* dqr = c.cache->data() + 3 * n;
    const S* rel = c.w.p(0);
    gemm_acc(true, false, d, d, R2, rel, d, dqr, d, S(1), c.qkv_weight_grad, 3 * d);
    gemm_acc(true, false, d, d, R2, rel, d, dkr, d, S(1), c.qkv_weight_grad + d, 3 * d);
    for (int r = 0; r < R2; ++r)
      for (int e = 0; e < d; ++e)
        c.qkv_bias_grad[e] += dqr[std::size_t(r) * d + e], c.qkv_bias_grad[d + e] += dkr[std::size_t(r) * d + e];
    gemm_acc(false, true, R2, d, d, dqr, d, c.qkv_weight, 3 * d, S(1), c.w.g(0), d);
    gemm_acc(false, true, R2, d, d, dkr, d, c.qkv_weight + d, 3 * d, S(1), c.w.g(0), d);
  }

 private:
  SchemeParams p_;
  TrainShape s_;
  int T_ = 0;
  std::vector<int> row_;  // (T, T): the rel_embeddings row of (i, j)
};

// position_buckets (256) and max_relative_positions (-1: max_position_embeddings, else 512).
void configure_deberta(const SchemeConfig& c, SchemeParams& p) {
  p.buckets = c.position_buckets > 0 ? c.position_buckets : 256;
  p.max_distance = static_cast<int>(std::min<long long>(
      c.max_relative_positions > 0 ? c.max_relative_positions : (c.max_positions > 0 ? c.max_positions : 512), 1 << 30));
}

void adopt_deberta(SchemeParams& p) {
  p.buckets = 256;
  p.max_distance = 512;
  p.causal = false;  // an encoder
}

}  // namespace

const SchemeInfo& deberta_scheme_info() {
  static const SchemeInfo info{
      "deberta", "DeBERTa disentangled",
      "Content-to-position and position-to-content terms of log-bucketed offsets inside attention (DeBERTa-v3)",
      "2 * buckets * d", PositionEntry::AttentionTerms,
      {{ParamField::Buckets, "buckets", "position buckets", "position_buckets (256)", 4, 65536, true},
       {ParamField::MaxDistance, "max-distance", "max relative position", "max_relative_positions (512)", 4, 1 << 30,
        true},
       // An encoder's scheme (bidirectional by default); --causal masks the keys after the query
       // as for every other scheme, so the help and the UI offer it.
       {ParamField::Causal, "causal", "mask", "causal: keys after the query are masked", 0, 1, true, false,
        {"bidirectional", "causal"}}},
      &make_deberta, false, &adopt_deberta, trainable<DebertaTrain>(), &configure_deberta,
      WeightsCounted::InsideAttention, SchemeDataKind::RelativeEmbeddings, nullptr, /*lesson_core=*/true};
  return info;
}

}  // namespace es
