// Position schemes: formulas from shared FACTS.md sections 3 and 4.
#include "position_scheme.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace es {

namespace {

constexpr float kMasked = std::numeric_limits<float>::quiet_NaN();

std::string fmt_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

void check_length(long long n, const char* what) {
  // 1 << 20 positions is far past any model; S would be 4 TiB of floats there.
  constexpr long long kMaxN = 1 << 20;
  if (n < 1 || n > kMaxN)
    throw Error(std::string(what) + ": the sequence length must be between 1 and " +
                std::to_string(kMaxN) + " (got " + std::to_string(n) + ")");
}

void check_interaction_size(long long n) {
  check_length(n, "position-interaction matrix");
  // S is (n, n) floats; refuse sizes that would take more than 2 GiB.
  if (n > 23170)
    throw Error("position-interaction matrix: " + std::to_string(n) + " x " + std::to_string(n) +
                " is too large to compute (at most 23170 positions)");
}

void check_dim(long long d, const char* what) {
  if (d < 1 || d > (1 << 16))
    throw Error(std::string(what) + ": the model width d must be between 1 and 65536 (got " +
                std::to_string(d) + ")");
}

// Cosine similarity of every pair of rows of P (n, d); a zero row gives NaN.
MatrixRM row_cosines(const MatrixRM& p) {
  const long long n = p.rows();
  Eigen::VectorXd norms(n);
  for (long long i = 0; i < n; ++i) norms[i] = p.row(i).cast<double>().norm();
  MatrixRMd gram = p.cast<double>() * p.cast<double>().transpose();
  MatrixRM s(n, n);
  for (long long i = 0; i < n; ++i)
    for (long long j = 0; j < n; ++j) {
      const double den = norms[i] * norms[j];
      s(i, j) = den > 0 ? static_cast<float>(gram(i, j) / den) : kMasked;
    }
  return s;
}

// ---------------------------------------------------------------------------------------------
class NoScheme final : public PositionScheme {
 public:
  explicit NoScheme(SchemeParams p) : p_(std::move(p)) {}
  SchemeKind kind() const override { return SchemeKind::None; }
  const SchemeParams& params() const override { return p_; }
  std::string describe() const override { return "No position information"; }
  std::string where_position_enters() const override {
    return "Nowhere: without positions the model sees a bag of tokens; reordering the text "
           "changes nothing it can compute.";
  }
  bool adds_to_input() const override { return false; }
  MatrixRM rows(long long, long long) const override {
    throw Error("the 'none' scheme adds no position rows at the input");
  }
  MatrixRM interaction(long long n, long long) const override {
    check_interaction_size(n);
    return MatrixRM::Zero(n, n);
  }
  long long trained_weights(long long) const override { return 0; }

 private:
  SchemeParams p_;
};

// ---------------------------------------------------------------------------------------------
class LearnedScheme final : public PositionScheme {
 public:
  LearnedScheme(SchemeParams p, MatrixRM table) : p_(std::move(p)), table_(std::move(table)) {}
  SchemeKind kind() const override { return SchemeKind::Learned; }
  const SchemeParams& params() const override { return p_; }
  std::string describe() const override {
    return "Learned absolute positions (table of " + std::to_string(table_.rows()) + " x " +
           std::to_string(table_.cols()) + ")";
  }
  std::string where_position_enters() const override {
    return "Added to the input: row i of a trained table (" + std::to_string(table_.rows()) +
           " rows) is added to the token row at position i.";
  }
  bool adds_to_input() const override { return true; }
  std::optional<long long> max_positions() const override { return table_.rows(); }
  MatrixRM rows(long long n, long long d) const override {
    check_length(n, "learned positions");
    check_range(n);
    if (d != table_.cols())
      throw Error("learned position table is " + std::to_string(table_.cols()) +
                  " wide but the model's token rows are " + std::to_string(d) + " wide");
    return table_.topRows(n);
  }
  MatrixRM interaction(long long n, long long) const override {
    check_interaction_size(n);
    check_range(n);
    return row_cosines(table_.topRows(n));
  }
  long long trained_weights(long long) const override { return table_.rows() * table_.cols(); }

 private:
  void check_range(long long n) const {
    if (n > table_.rows())
      throw Error("the sequence has " + std::to_string(n) +
                  " tokens but the learned position table has only " +
                  std::to_string(table_.rows()) + " rows (positions 0.." +
                  std::to_string(table_.rows() - 1) +
                  "); a learned table cannot extrapolate past its last row");
  }
  SchemeParams p_;
  MatrixRM table_;  // (L_max, d) row-major
};

// ---------------------------------------------------------------------------------------------
class SinusoidalScheme final : public PositionScheme {
 public:
  explicit SinusoidalScheme(SchemeParams p) : p_(std::move(p)) {}
  SchemeKind kind() const override { return SchemeKind::Sinusoidal; }
  const SchemeParams& params() const override { return p_; }
  std::string describe() const override {
    return "Sinusoidal (base " + fmt_number(p_.base) + ", " +
           (p_.layout == SinusoidLayout::Interleaved ? "interleaved sin/cos columns"
                                                     : "[sin | cos] halves") +
           ")";
  }
  std::string where_position_enters() const override {
    return "Added to the input: a fixed pattern of sines and cosines (no trained weights) is "
           "added to the token row at each position.";
  }
  bool adds_to_input() const override { return true; }
  MatrixRM rows(long long n, long long d) const override {
    check_length(n, "sinusoidal positions");
    check_dim(d, "sinusoidal positions");
    // n and d are each in range, but (2^20, 2^16) would be 256 GiB: cap the table at 1 GiB.
    if (n * d > (1LL << 28))
      throw Error("sinusoidal positions: " + std::to_string(n) + " x " + std::to_string(d) +
                  " is too large to compute (at most 268,435,456 values, 1 GiB)");
    if (p_.layout == SinusoidLayout::Halves && d % 2 != 0)
      throw Error("sinusoidal positions in [sin | cos] halves need an even width (got d = " +
                  std::to_string(d) + ")");
    MatrixRM p(n, d);  // (n, d) row-major
    const long long pairs = (d + 1) / 2;
    std::vector<double> inv_freq(pairs);
    for (long long i = 0; i < pairs; ++i)
      inv_freq[i] = std::pow(p_.base, -2.0 * static_cast<double>(i) / static_cast<double>(d));
    for (long long pos = 0; pos < n; ++pos) {
      for (long long i = 0; i < pairs; ++i) {
        const double angle = static_cast<double>(pos) * inv_freq[i];
        if (p_.layout == SinusoidLayout::Interleaved) {
          p(pos, 2 * i) = static_cast<float>(std::sin(angle));
          if (2 * i + 1 < d) p(pos, 2 * i + 1) = static_cast<float>(std::cos(angle));
        } else {
          p(pos, i) = static_cast<float>(std::sin(angle));
          p(pos, i + d / 2) = static_cast<float>(std::cos(angle));
        }
      }
    }
    return p;
  }
  MatrixRM interaction(long long n, long long d) const override {
    check_interaction_size(n);
    return row_cosines(rows(n, d));
  }
  long long trained_weights(long long) const override { return 0; }

 private:
  SchemeParams p_;
};

// ---------------------------------------------------------------------------------------------
class RopeScheme final : public PositionScheme {
 public:
  explicit RopeScheme(SchemeParams p) : p_(std::move(p)) {}
  SchemeKind kind() const override { return SchemeKind::Rope; }
  const SchemeParams& params() const override { return p_; }
  std::string describe() const override {
    std::string width = p_.head_dim > 0 ? "of " + std::to_string(p_.head_dim) + " head dims"
                                        : "of the head dims";
    return "RoPE (base " + fmt_number(p_.base) + ", " + fmt_number(p_.rotary_fraction * 100) +
           "% " + width + ", " +
           (p_.pairs == RopePairs::Interleaved ? "interleaved pairs" : "half-split pairs") + ")";
  }
  std::string where_position_enters() const override {
    return "Inside attention: queries and keys are rotated by an angle proportional to their "
           "position, so q.k depends only on the offset. Nothing is added at the input: two "
           "equal tokens keep identical input rows.";
  }
  bool adds_to_input() const override { return false; }
  MatrixRM rows(long long, long long) const override {
    throw Error("RoPE adds no position rows at the input: it rotates queries and keys inside "
                "attention");
  }
  MatrixRM interaction(long long n, long long d) const override {
    check_interaction_size(n);
    check_dim(d, "RoPE");
    const int head = p_.head_dim > 0 ? p_.head_dim : static_cast<int>(d);
    const int dr = rope_rotary_dims(head, p_.rotary_fraction);
    const std::vector<double> theta = rope_frequencies(dr, p_.base);
    // S depends on i - j only: compute the profile once, then fill the Toeplitz matrix.
    std::vector<float> by_offset(2 * n - 1);
    for (long long o = -(n - 1); o <= n - 1; ++o) {
      double sum = 0;
      for (double t : theta) sum += std::cos(static_cast<double>(o) * t);
      by_offset[o + n - 1] = static_cast<float>(2.0 / dr * sum);
    }
    MatrixRM s(n, n);
    for (long long i = 0; i < n; ++i)
      for (long long j = 0; j < n; ++j) s(i, j) = by_offset[i - j + n - 1];
    return s;
  }
  long long trained_weights(long long) const override { return 0; }

 private:
  SchemeParams p_;
};

// ---------------------------------------------------------------------------------------------
class AlibiScheme final : public PositionScheme {
 public:
  explicit AlibiScheme(SchemeParams p) : p_(std::move(p)), slopes_(alibi_slopes(p_.heads)) {}
  SchemeKind kind() const override { return SchemeKind::Alibi; }
  const SchemeParams& params() const override { return p_; }
  std::string describe() const override {
    return "ALiBi (" + std::to_string(p_.heads) + " heads; head " + std::to_string(p_.head) +
           " slope " + fmt_number(slopes_[p_.head - 1]) + ")";
  }
  std::string where_position_enters() const override {
    return "Inside attention: each head adds -slope x distance to the attention logits, so far "
           "keys are penalised; future keys are masked. Nothing is added at the input: two "
           "equal tokens keep identical input rows.";
  }
  bool adds_to_input() const override { return false; }
  MatrixRM rows(long long, long long) const override {
    throw Error("ALiBi adds no position rows at the input: it biases the attention logits");
  }
  MatrixRM interaction(long long n, long long) const override {
    check_interaction_size(n);
    const double m = slopes_[p_.head - 1];
    MatrixRM s(n, n);
    for (long long i = 0; i < n; ++i)
      for (long long j = 0; j < n; ++j)
        s(i, j) = j <= i ? static_cast<float>(m * static_cast<double>(j - i)) : kMasked;  // -m (i - j), no -0
    return s;
  }
  long long trained_weights(long long) const override { return 0; }

 private:
  SchemeParams p_;
  std::vector<double> slopes_;
};

// ---------------------------------------------------------------------------------------------
class T5Scheme final : public PositionScheme {
 public:
  T5Scheme(SchemeParams p, std::optional<MatrixRM> bias) : p_(std::move(p)), bias_(std::move(bias)) {}
  SchemeKind kind() const override { return SchemeKind::T5; }
  const SchemeParams& params() const override { return p_; }
  std::string describe() const override {
    return "T5 relative buckets (" + std::to_string(p_.buckets) + " buckets, max distance " +
           std::to_string(p_.max_distance) + ", " + (p_.causal ? "causal" : "bidirectional") +
           (bias_ ? ", learned biases of head " + std::to_string(p_.head) : ", bucket indices") + ")";
  }
  std::string where_position_enters() const override {
    return "Inside attention: each (query, key) offset falls into a bucket, and a learned bias "
           "per bucket and head is added to the attention logit. Nothing is added at the "
           "input: two equal tokens keep identical input rows.";
  }
  bool adds_to_input() const override { return false; }
  MatrixRM rows(long long, long long) const override {
    throw Error("T5 adds no position rows at the input: it adds a bucketed bias to the "
                "attention logits");
  }
  MatrixRM interaction(long long n, long long) const override {
    check_interaction_size(n);
    MatrixRM s(n, n);
    std::vector<float> by_offset(2 * n - 1);
    for (long long rel = -(n - 1); rel <= n - 1; ++rel) {
      const int b = t5_relative_bucket(rel, !p_.causal, p_.buckets, p_.max_distance);
      by_offset[rel + n - 1] = bias_ ? (*bias_)(b, p_.head - 1) : static_cast<float>(b);
    }
    for (long long i = 0; i < n; ++i)
      for (long long j = 0; j < n; ++j) s(i, j) = by_offset[j - i + n - 1];
    return s;
  }
  long long trained_weights(long long) const override {
    return static_cast<long long>(p_.buckets) * p_.heads;
  }

 private:
  SchemeParams p_;
  std::optional<MatrixRM> bias_;  // (buckets, heads) row-major
};

}  // namespace

// ---------------------------------------------------------------------------------------------
std::string scheme_kind_name(SchemeKind kind) {
  switch (kind) {
    case SchemeKind::None: return "none";
    case SchemeKind::Learned: return "learned";
    case SchemeKind::Sinusoidal: return "sinusoidal";
    case SchemeKind::Rope: return "rope";
    case SchemeKind::Alibi: return "alibi";
    case SchemeKind::T5: return "t5";
  }
  return "unknown";
}

std::optional<SchemeKind> parse_scheme_kind(std::string_view name) {
  for (SchemeKind k : {SchemeKind::None, SchemeKind::Learned, SchemeKind::Sinusoidal,
                       SchemeKind::Rope, SchemeKind::Alibi, SchemeKind::T5})
    if (name == scheme_kind_name(k)) return k;
  if (name == "sin" || name == "sinusoid") return SchemeKind::Sinusoidal;
  if (name == "absolute") return SchemeKind::Learned;
  return std::nullopt;
}

int rope_rotary_dims(int head_dim, double rotary_fraction) {
  long long r = std::llround(rotary_fraction * head_dim);
  if (r % 2 != 0) --r;
  if (r < 2)
    throw Error("RoPE: " + fmt_number(rotary_fraction * 100) + "% of a " +
                std::to_string(head_dim) + "-dim head leaves fewer than 2 dims to rotate");
  return static_cast<int>(r);
}

std::vector<double> rope_frequencies(int rotary_dims, double base) {
  std::vector<double> theta(rotary_dims / 2);
  for (int k = 0; k < rotary_dims / 2; ++k)
    theta[k] = std::pow(base, -2.0 * k / static_cast<double>(rotary_dims));
  return theta;
}

void rope_rotate(std::span<float> x, int rotary_dims, double base, RopePairs pairs, double m) {
  if (rotary_dims < 2 || static_cast<std::size_t>(rotary_dims) > x.size())
    throw Error("RoPE: cannot rotate " + std::to_string(rotary_dims) + " dims of a " +
                std::to_string(x.size()) + "-dim vector");
  const std::vector<double> theta = rope_frequencies(rotary_dims, base);
  const int half = rotary_dims / 2;
  for (int k = 0; k < half; ++k) {
    const int ia = pairs == RopePairs::Interleaved ? 2 * k : k;
    const int ib = pairs == RopePairs::Interleaved ? 2 * k + 1 : k + half;
    const double c = std::cos(m * theta[k]), s = std::sin(m * theta[k]);
    const double a = x[ia], b = x[ib];
    x[ia] = static_cast<float>(a * c - b * s);
    x[ib] = static_cast<float>(a * s + b * c);
  }
}

std::vector<double> alibi_slopes(int heads) {
  if (heads < 1 || heads > 4096)
    throw Error("ALiBi needs between 1 and 4096 heads (got " + std::to_string(heads) + ")");
  // slopes(H) for a power of two H: m_h = 2^(-8h/H), h = 1..H.
  auto power_of_two_slopes = [](int h_count) {
    std::vector<double> s(h_count);
    for (int h = 1; h <= h_count; ++h) s[h - 1] = std::exp2(-8.0 * h / h_count);
    return s;
  };
  int c = 1;
  while (c * 2 <= heads) c *= 2;
  std::vector<double> slopes = power_of_two_slopes(c);
  if (c < heads) {
    const std::vector<double> extra = power_of_two_slopes(2 * c);
    for (int i = 0; static_cast<int>(slopes.size()) < heads; i += 2) slopes.push_back(extra[i]);
  }
  return slopes;
}

int t5_relative_bucket(long long rel, bool bidirectional, int num_buckets, int max_distance) {
  if (num_buckets < 2 || num_buckets > 1 << 16)
    throw Error("T5 buckets must be between 2 and 65536 (got " + std::to_string(num_buckets) + ")");
  int ret = 0;
  long long n = 0;
  int nb = num_buckets;
  if (bidirectional) {
    nb = num_buckets / 2;
    ret = rel > 0 ? nb : 0;
    n = rel < 0 ? -rel : rel;
  } else {
    n = rel < 0 ? -rel : 0;
  }
  const int max_exact = nb / 2;
  if (max_exact < 1 || max_distance <= max_exact)
    throw Error("T5 buckets: max_distance (" + std::to_string(max_distance) +
                ") must exceed the exact range (" + std::to_string(max_exact) + ")");
  if (n < max_exact) return ret + static_cast<int>(n);
  // As HF does it: log in float32 of a float32 ratio, divided by a Python float that PyTorch
  // rounds to float32, scaled, truncated toward zero.
  const float ratio = static_cast<float>(n) / static_cast<float>(max_exact);
  const float num = std::log(ratio);
  const float den = static_cast<float>(std::log(static_cast<double>(max_distance) / max_exact));
  const float scaled = num / den * static_cast<float>(nb - max_exact);
  long long large = max_exact + static_cast<long long>(scaled);
  large = std::min<long long>(large, nb - 1);
  return ret + static_cast<int>(large);
}

std::unique_ptr<PositionScheme> make_position_scheme(const SchemeParams& p, SchemeData data) {
  if (!(p.base > 1.0) || !std::isfinite(p.base))
    throw Error("the base must be a finite number above 1 (got " + fmt_number(p.base) + ")");
  switch (p.kind) {
    case SchemeKind::None: return std::make_unique<NoScheme>(p);
    case SchemeKind::Learned:
      if (!data.learned_table || data.learned_table->rows() < 1 || data.learned_table->cols() < 1)
        throw Error("learned positions need a trained table: open a model that has one "
                    "(classroom, gpt2-untrained, GPT-2, BERT), or pick a formula scheme");
      return std::make_unique<LearnedScheme>(p, std::move(*data.learned_table));
    case SchemeKind::Sinusoidal: return std::make_unique<SinusoidalScheme>(p);
    case SchemeKind::Rope:
      if (!(p.rotary_fraction > 0.0 && p.rotary_fraction <= 1.0))
        throw Error("the rotary fraction must be in (0, 1] (got " + fmt_number(p.rotary_fraction) + ")");
      if (p.head_dim < 0 || p.head_dim > (1 << 16))
        throw Error("the head width must be between 0 and 65536 (got " + std::to_string(p.head_dim) + ")");
      if (p.head_dim > 0) rope_rotary_dims(p.head_dim, p.rotary_fraction);  // validates
      return std::make_unique<RopeScheme>(p);
    case SchemeKind::Alibi:
      alibi_slopes(p.heads);  // validates the head count
      if (p.head < 1 || p.head > p.heads)
        throw Error("the head shown must be between 1 and " + std::to_string(p.heads) +
                    " (got " + std::to_string(p.head) + ")");
      return std::make_unique<AlibiScheme>(p);
    case SchemeKind::T5: {
      if (p.heads < 1 || p.heads > 4096)
        throw Error("T5 needs between 1 and 4096 heads (got " + std::to_string(p.heads) + ")");
      if (p.head < 1 || p.head > p.heads)
        throw Error("the head shown must be between 1 and " + std::to_string(p.heads) +
                    " (got " + std::to_string(p.head) + ")");
      t5_relative_bucket(p.max_distance, !p.causal, p.buckets, p.max_distance);  // validates
      if (data.t5_bias && (data.t5_bias->rows() != p.buckets || data.t5_bias->cols() != p.heads))
        data.t5_bias.reset();  // the learned biases only fit the model's own bucket settings
      return std::make_unique<T5Scheme>(p, std::move(data.t5_bias));
    }
  }
  throw Error("unknown position scheme");
}

std::vector<double> interaction_offset_profile(const MatrixRM& s) {
  const long long n = s.rows();
  std::vector<double> profile(n, std::numeric_limits<double>::quiet_NaN());
  for (long long o = 0; o < n; ++o) {
    double sum = 0;
    long long count = 0;
    for (long long i = o; i < n; ++i) {
      const float v = s(i, i - o);
      if (std::isfinite(v)) {
        sum += v;
        ++count;
      }
    }
    if (count > 0) profile[o] = sum / static_cast<double>(count);
  }
  return profile;
}

}  // namespace es
