// RoPE's "rope_scaling" kinds (see scheme.h), after Hugging Face transformers'
// modeling_rope_utils.py: _compute_linear_scaling_rope_parameters, _compute_dynamic_ntk_parameters,
// _compute_yarn_parameters, _compute_longrope_parameters, _compute_llama3_parameters. Frequencies
// are theta_k = 1 / base^(2k / d_r), k = 0 .. d_r/2 - 1 (d_r the rotary width) before scaling.
#include "scheme.h"
#include "scheme_util.h"

#include <algorithm>
#include <cmath>

namespace es {

namespace {

bool is(const RopeScaling& sc, const char* kind) { return sc.type == kind; }
bool is_longrope(const RopeScaling& sc) { return is(sc, "longrope") || is(sc, "su"); }

void require(bool ok, const std::string& what) {
  if (!ok) throw Error("RoPE scaling \"" + what);
}

// YaRN's mscale: 0.1 m ln(s) + 1 for s > 1.
double yarn_mscale(double scale, double m) { return scale <= 1 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; }

// The dimension (of d_r) whose wavelength fits `rotations` times into `length` positions.
double yarn_correction_dim(double rotations, int dr, double base, double length) {
  return dr * std::log(length / (rotations * 2 * M_PI)) / (2 * std::log(base));
}

void yarn(std::vector<double>& theta, int dr, double base, const RopeScaling& sc) {
  const double length = sc.original_max_positions;
  double low = yarn_correction_dim(sc.beta_fast, dr, base, length);
  double high = yarn_correction_dim(sc.beta_slow, dr, base, length);
  if (sc.truncate) low = std::floor(low), high = std::ceil(high);
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dr - 1));
  if (low == high) high += 0.001;  // no division by zero
  for (std::size_t k = 0; k < theta.size(); ++k) {
    // HF computes the ramp in float32; the blend weight of pair k, clamped to [0, 1].
    const float ramp = std::clamp(static_cast<float>((static_cast<double>(k) - low) / (high - low)), 0.0f, 1.0f);
    const double extrapolation = 1.0 - ramp;  // weight of the unscaled frequency
    theta[k] = theta[k] / sc.factor * (1 - extrapolation) + theta[k] * extrapolation;
  }
}

}  // namespace

bool RopeScaling::applied() const {
  return is(*this, "linear") || is(*this, "dynamic") || is(*this, "yarn") || is_longrope(*this) || is(*this, "llama3");
}

std::string rope_scaling_kinds() { return "linear, dynamic, yarn, longrope (su), llama3"; }

std::vector<double> rope_frequencies(int rotary_dims, double base, const RopeScaling& sc, long long seq_len) {
  std::vector<double> theta = rope_frequencies(rotary_dims, base);
  if (!sc.applied()) return theta;
  require(sc.factor > 0 && std::isfinite(sc.factor), sc.type + "\": the factor must be a positive number");
  const int dr = rotary_dims;
  if (is(sc, "linear")) {
    for (double& t : theta) t /= sc.factor;  // positions divided by factor
  } else if (is(sc, "dynamic")) {
    // Past the model's length the base grows with the sequence: NTK-aware interpolation.
    const double max = sc.max_positions > 0 ? sc.max_positions : sc.original_max_positions;
    const double n = static_cast<double>(std::max<long long>(seq_len, 0));
    if (n > max && dr > 2) {
      const double grown = base * std::pow(sc.factor * n / max - (sc.factor - 1), dr / (dr - 2.0));
      theta = rope_frequencies(dr, grown);
    }
  } else if (is(sc, "yarn")) {
    require(sc.original_max_positions > 0 && sc.beta_fast > 0 && sc.beta_slow > 0,
            "yarn\": original_max_position_embeddings, beta_fast and beta_slow must be positive");
    yarn(theta, dr, base, sc);
  } else if (is_longrope(sc)) {
    const bool long_seq = seq_len > static_cast<long long>(sc.original_max_positions);
    const std::vector<double>& ext = long_seq ? sc.long_factor : sc.short_factor;
    require(ext.size() == theta.size(), sc.type + "\": " + (long_seq ? "long_factor" : "short_factor") + " has " +
                                            std::to_string(ext.size()) + " values; the rotary width " +
                                            std::to_string(dr) + " needs " + std::to_string(theta.size()));
    for (std::size_t k = 0; k < theta.size(); ++k) {
      require(ext[k] > 0, sc.type + "\": every short_factor and long_factor must be positive");
      theta[k] /= ext[k];
    }
  } else if (is(sc, "llama3")) {
    require(sc.high_freq_factor > sc.low_freq_factor && sc.low_freq_factor > 0 && sc.original_max_positions > 0,
            "llama3\" needs 0 < low_freq_factor < high_freq_factor and a positive original_max_position_embeddings");
    // Long wavelengths slowed by `factor`, short ones kept, a smooth blend between.
    const double low_wavelen = sc.original_max_positions / sc.low_freq_factor;
    const double high_wavelen = sc.original_max_positions / sc.high_freq_factor;
    for (double& t : theta) {
      const double wavelen = 2 * M_PI / t;
      if (wavelen > low_wavelen) {
        t /= sc.factor;
      } else if (wavelen >= high_wavelen) {
        const double smooth = (sc.original_max_positions / wavelen - sc.low_freq_factor) /
                              (sc.high_freq_factor - sc.low_freq_factor);
        t = (1 - smooth) * t / sc.factor + smooth * t;
      }
    }
  }
  return theta;
}

double rope_attention_factor(const RopeScaling& sc) {
  if (sc.attention_factor && (is(sc, "yarn") || is_longrope(sc))) return *sc.attention_factor;
  if (is(sc, "yarn")) {
    if (sc.mscale && sc.mscale_all_dim && *sc.mscale != 0 && *sc.mscale_all_dim != 0)
      return yarn_mscale(sc.factor, *sc.mscale) / yarn_mscale(sc.factor, *sc.mscale_all_dim);
    return yarn_mscale(sc.factor, 1.0);
  }
  if (is_longrope(sc)) {
    if (sc.factor <= 1 || sc.original_max_positions <= 1) return 1.0;
    return std::sqrt(1 + std::log(sc.factor) / std::log(sc.original_max_positions));
  }
  return 1.0;
}

}  // namespace es
