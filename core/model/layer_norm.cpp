#include "layer_norm.h"

#include <cmath>
#include <string>

namespace es {

MatrixRM layer_norm_rows(const MatrixRM& x, const LayerNormParams& ln) {
  const long long d = x.cols();
  if (ln.gamma.size() != d || ln.beta.size() != d)
    throw Error("LayerNorm parameters are " + std::to_string(ln.gamma.size()) +
                " wide but the rows are " + std::to_string(d) + " wide");
  MatrixRM y(x.rows(), d);  // (n, d)
  if (ln.kind != NormKind::LayerNorm) {
    // RMSNorm (LLaMA, T5, Gemma): no mean subtracted, no bias.
    const bool one_plus = ln.kind == NormKind::RmsNormOnePlus;
    for (long long i = 0; i < x.rows(); ++i) {
      const RowVectorD row = x.row(i).cast<double>();
      const double inv = 1.0 / std::sqrt(row.squaredNorm() / static_cast<double>(d) + static_cast<double>(ln.eps));
      for (long long c = 0; c < d; ++c)
        y(i, c) = static_cast<float>(row[c] * inv * (one_plus ? 1.0 + ln.gamma[c] : ln.gamma[c]));
    }
    return y;
  }
  for (long long i = 0; i < x.rows(); ++i) {
    const RowVectorD row = x.row(i).cast<double>();
    const double mean = row.mean();
    const double var = (row.array() - mean).square().mean();  // biased, 1/d
    const double inv = 1.0 / std::sqrt(var + static_cast<double>(ln.eps));
    for (long long c = 0; c < d; ++c)
      y(i, c) = static_cast<float>(ln.gamma[c] * (row[c] - mean) * inv + ln.beta[c]);
  }
  return y;
}

LayerNormParams identity_layer_norm(long long d, float eps) {
  LayerNormParams ln;
  ln.gamma = RowVectorF::Ones(d);
  ln.beta = RowVectorF::Zero(d);
  ln.eps = eps;
  ln.label = "LayerNorm with gamma 1, beta 0";
  return ln;
}

}  // namespace es
