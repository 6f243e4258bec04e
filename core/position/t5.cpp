// T5 relative buckets (Raffel et al. 2020; HF _relative_position_bucket): a learned bias per
// bucket of key - query offsets and per head, added to the attention logits.
#include "scheme.h"
#include "trainable.h"
#include "scheme_util.h"

namespace es {
namespace {

using namespace scheme_util;

class T5Scheme final : public PositionScheme {
 public:
  T5Scheme(SchemeParams p, std::optional<MatrixRM> bias, std::string source)
      : p_(std::move(p)), bias_(std::move(bias)), source_(std::move(source)) {}
  const SchemeParams& params() const override { return p_; }
  PositionEntry entry() const override { return PositionEntry::AttentionBias; }
  std::string describe() const override {
    return "T5 relative buckets (" + std::to_string(p_.buckets) + " buckets, max distance " +
           std::to_string(p_.max_distance) + ", " + (p_.causal ? "causal" : "bidirectional") +
           (bias_ ? ", learned biases of head " + std::to_string(p_.head) : ", bucket indices") + ")";
  }
  std::string where_position_enters() const override {
    std::string s = "Inside attention: each (query, key) offset falls into a bucket, and a learned bias per bucket "
                    "and head is added to the attention logit. Nothing is added at the input: two equal tokens keep "
                    "identical input rows.";
    if (!source_.empty()) s += " Biases from " + source_ + ".";
    return s;
  }
  long long trained_weights(long long) const override { return static_cast<long long>(p_.buckets) * p_.heads; }
  MatrixRM attention_bias(long long n, int head) const override {
    check_interaction_size(n);
    if (head < 0 || head >= p_.heads) throw Error("T5: no head " + std::to_string(head + 1));
    std::vector<float> by_offset(static_cast<std::size_t>(2 * n - 1));
    for (long long rel = -(n - 1); rel <= n - 1; ++rel) {  // rel = key - query = j - i
      const int b = t5_relative_bucket(rel, !p_.causal, p_.buckets, p_.max_distance);
      by_offset[static_cast<std::size_t>(n - 1 - rel)] = bias_ ? (*bias_)(b, head) : static_cast<float>(b);
    }
    MatrixRM s = from_offsets(n, by_offset);  // s(i, j) = by_offset[i - j + n - 1]
    if (p_.causal) mask_future(s);
    return s;
  }
  MatrixRM interaction(long long n, long long) const override { return attention_bias(n, p_.head - 1); }
  std::string interaction_meaning() const override {
    return bias_ ? "the learned bias of bucket(j - i) for the head shown, added to the logit"
                 : "the bucket number of j - i (no trained biases loaded: the learned bias is looked up by it)";
  }
  std::string repeated_token_story() const override {
    return "Equal tokens keep identical input rows. They give the same key biases from different buckets, and the "
           "buckets grow logarithmically, so the difference is not a constant: their attention over shared keys can "
           "differ.";
  }

 private:
  SchemeParams p_;
  std::optional<MatrixRM> bias_;  // (buckets, heads) row-major
  std::string source_;
};

// The lab: one (buckets, heads) table shared by every layer (T5 keeps it in block 0), causal
// buckets, looked up by bucket(j - i) and added to the logits (bidirectional buckets and every
// key when the params say so: a T5 encoder's block 0).
template <typename S>
class T5Train final : public TrainablePosition<S> {
 public:
  T5Train(const SchemeParams& p, const TrainShape& s) : p_(p), heads_(s.heads) {
    t5_relative_bucket(p.max_distance, !p.causal, p.buckets, p.max_distance);  // validates
  }
  std::vector<SchemeTensor> tensors() const override {
    return {{"h.0.attn.relative_attention_bias.weight", {p_.buckets, heads_}, TensorPlace::AtEnd, false,
             TensorInit::Normal, 0.02, {}}};
  }
  void prepare(int T) override {
    T_ = T;
    bucket_.assign(std::size_t(T) * T, 0);
    for (int i = 0; i < T; ++i)
      for (int j = 0; j < T; ++j)
        bucket_[std::size_t(i) * T + j] = t5_relative_bucket(j - i, !p_.causal, p_.buckets, p_.max_distance);
  }
  bool has_scores() const override { return true; }
  void scores_forward(const HeadContext<S>& c, S* L) const override {
    const S* table = c.w.p(0);
    for (int i = 0; i < c.T; ++i)
      for (int j = 0; j <= (p_.causal ? i : c.T - 1); ++j)
        L[std::size_t(i) * c.T + j] += table[std::size_t(bucket_[std::size_t(i) * T_ + j]) * heads_ + c.head];
  }
  void scores_backward(const HeadContext<S>& c, const S* dL) const override {
    S* g = c.w.g(0);
    for (int i = 0; i < c.T; ++i)
      for (int j = 0; j <= (p_.causal ? i : c.T - 1); ++j)
        g[std::size_t(bucket_[std::size_t(i) * T_ + j]) * heads_ + c.head] += dL[std::size_t(i) * c.T + j];
  }

 private:
  SchemeParams p_;
  int heads_, T_ = 0;
  std::vector<int> bucket_;  // (T, T), j <= i
};

std::unique_ptr<PositionScheme> make_t5(const SchemeParams& p, SchemeData data) {
  check_heads(p, "T5");
  t5_relative_bucket(p.max_distance, !p.causal, p.buckets, p.max_distance);  // validates
  // T5 has one table per stack: the encoder's for bidirectional buckets, the decoder's for
  // causal ones (FACTS.md section 8).
  if (p.causal) {
    data.bucket_bias = std::move(data.bucket_bias_causal);
    data.source = std::move(data.source_causal);
  }
  if (data.bucket_bias && (data.bucket_bias->rows() != p.buckets || data.bucket_bias->cols() != p.heads)) {
    data.bucket_bias.reset();  // the learned biases only fit the model's own bucket settings
    data.source.clear();
  }
  std::string source = data.bucket_bias ? data.source : std::string();
  return std::make_unique<T5Scheme>(p, std::move(data.bucket_bias), std::move(source));
}

void configure_t5(const SchemeConfig& c, SchemeParams& p) {
  p.buckets = c.t5_buckets;
  p.max_distance = c.t5_max_distance;
}

void adopt_t5(SchemeParams& p) {
  if (p.heads < 2) p.heads = 8, p.head = 1;
  p.buckets = 32;
  p.max_distance = 128;
}

}  // namespace

const SchemeInfo& t5_scheme_info() {
  static const SchemeInfo info{
      "t5", "T5 relative bias", "A learned bias per relative-distance bucket on the attention logits (T5)",
      "buckets * heads", PositionEntry::AttentionBias,
      {{ParamField::Heads, "heads", "heads", "number of heads", 1, 4096, true},
       {ParamField::Head, "head", "head", "the head S shows, 1-based", 1, 4096, true},
       {ParamField::Buckets, "buckets", "buckets", "relative_attention_num_buckets (32)", 2, 65536, true, false, {},
        "relative_attention_num_buckets"},
       {ParamField::MaxDistance, "max-distance", "max distance", "relative_attention_max_distance (128)", 2,
        1 << 30, true, false, {}, "relative_attention_max_distance"},
       {ParamField::Causal, "causal", "buckets", "causal (decoder) or bidirectional (encoder) buckets", 0, 1, true,
        false, {"bidirectional", "causal"}}},
      &make_t5, false, &adopt_t5, trainable<T5Train>(), &configure_t5, WeightsCounted::FirstBlockBias,
      SchemeDataKind::BucketBias, nullptr, /*lesson_core=*/true};
  return info;
}

}  // namespace es
