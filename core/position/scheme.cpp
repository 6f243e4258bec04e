// The scheme interface's shared parts: default operations, parameters, and the formulas more
// than one scheme uses (shared FACTS.md sections 3, 8 and 9).
#include "scheme.h"
#include "scheme_util.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace es {

std::string_view position_entry_text(PositionEntry e) {
  switch (e) {
    case PositionEntry::Nowhere: return "nowhere";
    case PositionEntry::Input: return "added at the input";
    case PositionEntry::QueryKeyRotation: return "rotates q and k";
    case PositionEntry::AttentionBias: return "adds a bias to the attention logits";
    case PositionEntry::AttentionTerms: return "adds relative terms inside attention";
  }
  return "unknown";
}

// [Default operations] A scheme overrides the ones it has.

MatrixRM PositionScheme::input_rows(long long, long long) const {
  throw Error(describe() + " adds no position rows at the input (" + std::string(position_entry_text(entry())) + ")");
}

void PositionScheme::rotate_qk(Eigen::Ref<MatrixRM>, long long, bool, bool) const {
  throw Error(describe() + " does not rotate queries and keys");
}

MatrixRM PositionScheme::attention_bias(long long, int) const {
  throw Error(describe() + " adds no bias to the attention logits");
}

MatrixRM PositionScheme::relative_embeddings(long long, long long) const {
  throw Error(describe() + " has no relative-position embeddings");
}

// [Parameters]

double get_param(const SchemeParams& p, ParamField f) {
  switch (f) {
    case ParamField::Base: return p.base;
    case ParamField::Layout: return p.layout == SinusoidLayout::Halves ? 1 : 0;
    case ParamField::RotaryFraction: return p.rotary_fraction;
    case ParamField::Pairs: return p.pairs == RopePairs::HalfSplit ? 1 : 0;
    case ParamField::HeadDim: return p.head_dim;
    case ParamField::Heads: return p.heads;
    case ParamField::Head: return p.head;
    case ParamField::Buckets: return p.buckets;
    case ParamField::MaxDistance: return p.max_distance;
    case ParamField::Causal: return p.causal ? 1 : 0;
    case ParamField::ScaleBase: return p.scale_base;
  }
  return 0;
}

void set_param(SchemeParams& p, const ParamSpec& spec, double v) {
  const bool choice = spec.choices[0] != nullptr;
  const double lo = choice ? 0 : spec.min, hi = choice ? 1 : spec.max;
  // head_dim 0 means "the whole width": allowed below the minimum.
  const bool zero_ok = spec.field == ParamField::HeadDim && v == 0;
  if (!std::isfinite(v) || (!zero_ok && (v < lo || v > hi)) || ((spec.integer || choice) && v != std::floor(v)))
    throw Error(std::string("the ") + spec.label + " must be " + (spec.integer || choice ? "a whole number " : "") +
                "between " + scheme_util::fmt_number(lo) + " and " + scheme_util::fmt_number(hi) + " (got " +
                scheme_util::fmt_number(v) + ")");
  // Whole-number fields are in int range by their specs; a real-valued one (base 3e10) is not.
  const int i = spec.integer || choice ? static_cast<int>(v) : 0;
  switch (spec.field) {
    case ParamField::Base: p.base = v; break;
    case ParamField::Layout: p.layout = i ? SinusoidLayout::Halves : SinusoidLayout::Interleaved; break;
    case ParamField::RotaryFraction: p.rotary_fraction = v; break;
    case ParamField::Pairs: p.pairs = i ? RopePairs::HalfSplit : RopePairs::Interleaved; break;
    case ParamField::HeadDim: p.head_dim = i; break;
    case ParamField::Heads: p.heads = i; break;
    case ParamField::Head: p.head = i; break;
    case ParamField::Buckets: p.buckets = i; break;
    case ParamField::MaxDistance: p.max_distance = i; break;
    case ParamField::Causal: p.causal = i != 0; break;
    case ParamField::ScaleBase: p.scale_base = v; break;
  }
}

// [Shared formulas]

int rope_rotary_dims(int head_dim, double rotary_fraction) {
  long long r = std::llround(rotary_fraction * head_dim);
  if (r % 2 != 0) --r;
  if (r < 2)
    throw Error("RoPE: " + scheme_util::fmt_number(rotary_fraction * 100) + "% of a " + std::to_string(head_dim) +
                "-dim head leaves fewer than 2 dims to rotate");
  return static_cast<int>(r);
}

std::vector<double> rope_frequencies(int rotary_dims, double base) {
  std::vector<double> theta(static_cast<std::size_t>(rotary_dims / 2));
  for (int k = 0; k < rotary_dims / 2; ++k) theta[k] = std::pow(base, -2.0 * k / static_cast<double>(rotary_dims));
  return theta;
}

void rope_rotate(std::span<float> x, int rotary_dims, double base, RopePairs pairs, double m) {
  if (rotary_dims < 2 || static_cast<std::size_t>(rotary_dims) > x.size())
    throw Error("RoPE: cannot rotate " + std::to_string(rotary_dims) + " dims of a " + std::to_string(x.size()) +
                "-dim vector");
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
  if (heads < 1 || heads > 4096) throw Error("ALiBi needs between 1 and 4096 heads (got " + std::to_string(heads) + ")");
  // slopes(H) for a power of two H: m_h = 2^(-8h/H), h = 1..H.
  auto power_of_two_slopes = [](int h_count) {
    std::vector<double> s(static_cast<std::size_t>(h_count));
    for (int h = 1; h <= h_count; ++h) s[h - 1] = std::exp2(-8.0 * h / h_count);
    return s;
  };
  int c = 1;
  while (c * 2 <= heads) c *= 2;
  std::vector<double> slopes = power_of_two_slopes(c);
  if (c < heads) {
    const std::vector<double> extra = power_of_two_slopes(2 * c);
    for (std::size_t i = 0; static_cast<int>(slopes.size()) < heads; i += 2) slopes.push_back(extra[i]);
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
    throw Error("T5 buckets: max_distance (" + std::to_string(max_distance) + ") must exceed the exact range (" +
                std::to_string(max_exact) + ")");
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

long long deberta_log_bucket(long long rel, int bucket_size, int max_position) {
  const int mid = bucket_size / 2;
  if (mid < 2 || max_position <= mid + 1)
    throw Error("DeBERTa buckets: max_relative_positions (" + std::to_string(max_position) +
                ") must exceed half the position buckets (" + std::to_string(mid) + ") + 1");
  const long long a = rel < 0 ? -rel : rel;
  if (a <= mid) return rel;
  // HF make_log_bucket_position, in float32 as PyTorch computes it.
  const float ratio = static_cast<float>(a) / static_cast<float>(mid);
  const float den = std::log(static_cast<float>(static_cast<double>(max_position - 1) / mid));
  const float log_pos = std::ceil(std::log(ratio) / den * static_cast<float>(mid - 1)) + static_cast<float>(mid);
  const long long b = static_cast<long long>(log_pos);
  return rel < 0 ? -b : b;
}

std::vector<double> interaction_offset_profile(const MatrixRM& s) {
  const long long n = s.rows();
  std::vector<double> profile(static_cast<std::size_t>(n), std::numeric_limits<double>::quiet_NaN());
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

// [Helpers for the scheme files]

namespace scheme_util {

std::string fmt_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

void check_length(long long n, const char* what) {
  // 1 << 20 positions is far past any model; S would be 4 TiB of floats there.
  constexpr long long kMaxN = 1 << 20;
  if (n < 1 || n > kMaxN)
    throw Error(std::string(what) + ": the sequence length must be between 1 and " + std::to_string(kMaxN) +
                " (got " + std::to_string(n) + ")");
}

void check_interaction_size(long long n) {
  check_length(n, "position-interaction matrix");
  if (n > 23170)
    throw Error("position-interaction matrix: " + std::to_string(n) + " x " + std::to_string(n) +
                " is too large to compute (at most 23170 positions)");
}

void check_dim(long long d, const char* what) {
  if (d < 1 || d > (1 << 16))
    throw Error(std::string(what) + ": the model width d must be between 1 and 65536 (got " + std::to_string(d) + ")");
}

void check_heads(const SchemeParams& p, const char* what) {
  if (p.heads < 1 || p.heads > 4096)
    throw Error(std::string(what) + " needs between 1 and 4096 heads (got " + std::to_string(p.heads) + ")");
  if (p.head < 1 || p.head > p.heads)
    throw Error("the head shown must be between 1 and " + std::to_string(p.heads) + " (got " + std::to_string(p.head) + ")");
}

MatrixRM row_cosines(const MatrixRM& p) {
  const long long n = p.rows();
  Eigen::VectorXd norms(n);
  for (long long i = 0; i < n; ++i) norms[i] = p.row(i).cast<double>().norm();
  MatrixRMd gram(n, n);
  gram.noalias() = p.cast<double>() * p.cast<double>().transpose();
  MatrixRM s(n, n);
  for (long long i = 0; i < n; ++i)
    for (long long j = 0; j < n; ++j) {
      const double den = norms[i] * norms[j];
      s(i, j) = den > 0 ? static_cast<float>(gram(i, j) / den) : kMasked;
    }
  return s;
}

MatrixRM from_offsets(long long n, const std::vector<float>& by_offset) {
  MatrixRM s(n, n);
  for (long long i = 0; i < n; ++i)
    for (long long j = 0; j < n; ++j) s(i, j) = by_offset[static_cast<std::size_t>(i - j + n - 1)];
  return s;
}

void mask_future(MatrixRM& s) {
  for (long long i = 0; i < s.rows(); ++i)
    for (long long j = i + 1; j < s.cols(); ++j) s(i, j) = kMasked;
}

MatrixRM sinusoid_rows(long long count, long long d, double base, SinusoidLayout layout, long long first) {
  MatrixRM p(count, d);  // (count, d) row-major
  const long long pairs = (d + 1) / 2;
  std::vector<double> inv_freq(static_cast<std::size_t>(pairs));
  for (long long i = 0; i < pairs; ++i) inv_freq[i] = std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(d));
  for (long long r = 0; r < count; ++r) {
    const double pos = static_cast<double>(first + r);
    for (long long i = 0; i < pairs; ++i) {
      const double angle = pos * inv_freq[i];
      if (layout == SinusoidLayout::Interleaved) {
        p(r, 2 * i) = static_cast<float>(std::sin(angle));
        if (2 * i + 1 < d) p(r, 2 * i + 1) = static_cast<float>(std::cos(angle));
      } else {
        p(r, i) = static_cast<float>(std::sin(angle));
        p(r, i + d / 2) = static_cast<float>(std::cos(angle));
      }
    }
  }
  return p;
}

}  // namespace scheme_util
}  // namespace es
