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
#include "scheme_util.h"

#include <algorithm>

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
        true}},
      &make_deberta, false, &adopt_deberta};
  return info;
}

}  // namespace es
