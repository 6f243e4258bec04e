// The schemes added as one file and one registry line each (xPos, KERPLE, FIRE), checked against
// their papers' formulas written out here; and the lab's side of every registry entry: a scheme
// that trains names its config keys and reads back what it wrote.
#include "position/scheme.h"
#include "position/trainable.h"
#include "test_errors.h"

#include <nlohmann/json.hpp>

#include <doctest.h>

#include <cmath>
#include <random>

using namespace es;

namespace {

SchemeParams params_of(const char* kind) {
  SchemeParams p;
  p.kind = kind;
  if (const SchemeInfo* info = find_scheme(kind); info && info->adopt) info->adopt(p);
  return p;
}

}  // namespace

TEST_CASE("xPos: q.k after the transform is zeta^((i-j)/scale_base) cos((i-j) theta) summed, as in torchscale") {
  SchemeParams p = params_of("xpos");
  p.scale_base = 8;  // a short scale, so the decay is visible over 10 positions
  p.head_dim = 8;
  const auto s = make_position_scheme(p);
  const int n = 10, dh = 8;
  std::mt19937 g(3);
  std::normal_distribution<float> nd;
  RowVectorF u(dh), v(dh);
  for (int e = 0; e < dh; ++e) u(e) = nd(g), v(e) = nd(g);
  MatrixRM q(n, dh), k(n, dh);
  for (int r = 0; r < n; ++r) q.row(r) = u, k.row(r) = v;
  s->rotate_qk(q, 0, false, false);
  s->rotate_qk(k, 0, false, true);
  // Reference: pair k of u rotated by (i - j) theta_k against v, times zeta_k^((i - j) / 8).
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) {
      double want = 0;
      for (int kk = 0; kk < dh / 2; ++kk) {
        const double theta = std::pow(10000.0, -2.0 * kk / dh), zeta = (2.0 * kk + 0.4 * dh) / (1.4 * dh);
        const double a = (i - j) * theta, decay = std::pow(zeta, (i - j) / 8.0);
        // <R_i u, R_j v> = (u0 v0 + u1 v1) cos(a) + (u0 v1 - u1 v0) sin(a), a = (i - j) theta_k
        want += decay * ((u(2 * kk) * v(2 * kk) + u(2 * kk + 1) * v(2 * kk + 1)) * std::cos(a) +
                         (u(2 * kk) * v(2 * kk + 1) - u(2 * kk + 1) * v(2 * kk)) * std::sin(a));
      }
      CAPTURE(i);
      CAPTURE(j);
      CHECK(q.row(i).dot(k.row(j)) == doctest::Approx(want).epsilon(1e-4));
    }
  // S: the same with u = v = all ones; masked above the diagonal; decays with distance.
  const MatrixRM S = s->interaction(n, dh);
  CHECK(std::isnan(S(0, 1)));
  MatrixRM ones_q = MatrixRM::Ones(n, dh), ones_k = MatrixRM::Ones(n, dh);
  s->rotate_qk(ones_q, 0, false, false);
  s->rotate_qk(ones_k, 0, false, true);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) CHECK(S(i, j) == doctest::Approx(ones_q.row(i).dot(ones_k.row(j)) / dh).epsilon(1e-4));
  CHECK(S(9, 0) < 0.99);
}

TEST_CASE("KERPLE: -r1 log(1 + r2 (i - j)) with the stand-ins r1 = r2 = 1, masked above the diagonal") {
  const auto s = make_position_scheme(params_of("kerple"));
  const MatrixRM b = s->attention_bias(6, 2);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) {
      if (j > i) CHECK(std::isnan(b(i, j)));
      else CHECK(b(i, j) == doctest::Approx(-std::log(1.0 + (i - j))));
    }
  CHECK(s->trained_weights(64) == 16);  // r1 and r2 for 8 heads
  CHECK(s->entry() == PositionEntry::AttentionBias);
}

TEST_CASE("FIRE: the MLP's input psi(i - j) / psi(max(L, i)) is in [0, 1] and depends on the query, not only i - j") {
  const auto s = make_position_scheme(params_of("fire"));
  const MatrixRM x = s->interaction(12, 16);
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j <= i; ++j) {
      const double want = std::log1p(double(i - j)) / std::log1p(std::max(1.0, double(i)));
      CHECK(x(i, j) == doctest::Approx(want));
      CHECK(x(i, j) >= 0);
      CHECK(x(i, j) <= 1.0 + 1e-6);
    }
  CHECK(x(3, 1) != doctest::Approx(x(10, 8)));  // the same offset, other queries
  CHECK(x(11, 0) == doctest::Approx(1.0));      // the farthest key of any query normalises to 1
}

TEST_CASE("every trainable scheme writes its settings to config.json and reads them back") {
  for (const std::string& name : trainable_scheme_names()) {
    CAPTURE(name);
    const SchemeInfo& info = scheme_info(name);
    SchemeParams p = params_of(name.c_str());
    // Move each setting off its default, inside its range.
    for (const ParamSpec& spec : info.params) {
      if (spec.field == ParamField::Head || spec.field == ParamField::Heads || spec.field == ParamField::HeadDim ||
          spec.field == ParamField::Causal)
        continue;
      const double v = get_param(p, spec.field);
      const double moved = spec.choices[0] ? 1 - v : spec.integer ? v + 2 : v * 1.5;
      set_param(p, spec, std::min(moved, spec.max));
    }
    nlohmann::json j = nlohmann::json::object();
    write_train_config(p, j);
    SchemeParams back;
    back.kind = name;
    read_train_config(j, back);
    for (const ParamSpec& spec : info.params) {
      if (spec.field == ParamField::Head || spec.field == ParamField::Heads || spec.field == ParamField::HeadDim ||
          spec.field == ParamField::Causal)
        continue;
      CAPTURE(spec.cli);
      CHECK(get_param(back, spec.field) == doctest::Approx(get_param(p, spec.field)));
      if (spec.config_key) CHECK(j.contains(spec.config_key));
    }
  }
  // An older lab checkpoint: only the Hugging Face keys.
  SchemeParams rope;
  rope.kind = "rope";
  read_train_config(nlohmann::json{{"rope_theta", 500000.0}}, rope);
  CHECK(rope.base == 500000.0);
}

TEST_CASE("the lab trains every scheme that has a trainable form, and names them when asked for another") {
  const auto names = trainable_scheme_names();
  for (const char* n : {"none", "learned", "sinusoidal", "rope", "alibi", "t5", "transformer-xl", "deberta", "xpos",
                        "kerple", "fire"})
    CHECK(std::find(names.begin(), names.end(), n) != names.end());
  SchemeParams p;
  p.kind = "no-such";
  CHECK(es::testing::error_of([&] { make_trainable_d(p, TrainShape{8, 2, 1, 6}); }).find("runs the schemes") !=
        std::string::npos);
}
