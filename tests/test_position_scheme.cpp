// Position schemes against shared FACTS.md sections 3 and 4 and their defining properties.
#include <doctest.h>

#include "position/scheme.h"

#include <cmath>
#include <limits>

using namespace es;

namespace {

SchemeParams params(const std::string& kind) {
  SchemeParams p;
  p.kind = kind;
  return p;
}

// Rotates a copy of v at position m.
std::vector<float> rotated(std::vector<float> v, int dr, double base, RopePairs pairs, double m) {
  rope_rotate(v, dr, base, pairs, m);
  return v;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
  return s;
}

}  // namespace

TEST_CASE("sinusoidal rows match the published values (d = 8, base 10000)") {
  auto s = make_position_scheme(params("sinusoidal"));
  const MatrixRM p = s->input_rows(6, 8);
  const double pos1[8] = {0.841471, 0.540302, 0.099833, 0.995004, 0.01, 0.99995, 0.001, 1.0};
  const double pos5[8] = {-0.958924, 0.283662, 0.479426, 0.877583, 0.049979, 0.99875, 0.005, 0.999988};
  for (int c = 0; c < 8; ++c) {
    CHECK(std::fabs(p(1, c) - pos1[c]) < 1e-6);
    CHECK(std::fabs(p(5, c) - pos5[c]) < 1e-6);
  }
  // Position 0: sin 0 = 0, cos 0 = 1 in every pair.
  for (int c = 0; c < 8; ++c) CHECK(p(0, c) == (c % 2 == 0 ? 0.0f : 1.0f));
  CHECK(s->adds_to_input());
  CHECK(s->trained_weights(8) == 0);
  CHECK_FALSE(s->max_positions().has_value());
}

TEST_CASE("sinusoidal [sin | cos] halves is a column permutation of the interleaved layout") {
  SchemeParams h = params("sinusoidal");
  h.layout = SinusoidLayout::Halves;
  const MatrixRM a = make_position_scheme(params("sinusoidal"))->input_rows(20, 16);
  const MatrixRM b = make_position_scheme(h)->input_rows(20, 16);
  for (int pos = 0; pos < 20; ++pos)
    for (int i = 0; i < 8; ++i) {
      CHECK(b(pos, i) == a(pos, 2 * i));
      CHECK(b(pos, i + 8) == a(pos, 2 * i + 1));
    }
  CHECK_THROWS_AS(make_position_scheme(h)->input_rows(3, 7), Error);
}

TEST_CASE("sinusoidal extrapolates and its base is a parameter") {
  SchemeParams p = params("sinusoidal");
  p.base = 500.0;
  const MatrixRM r = make_position_scheme(p)->input_rows(5000, 4);
  CHECK(std::fabs(r(4999, 2) - std::sin(4999.0 / std::pow(500.0, 2.0 / 4))) < 1e-5);
}

TEST_CASE("sinusoidal and RoPE interaction depend on i - j only") {
  for (const char* k : {"sinusoidal", "rope"}) {
    const MatrixRM s = make_position_scheme(params(k))->interaction(40, 64);
    for (int i = 0; i + 5 < 40; ++i)
      for (int j = 0; j + 5 < 40; ++j) CHECK(std::fabs(s(i, j) - s(i + 5, j + 5)) < 1e-5);
    for (int i = 0; i < 40; ++i) CHECK(std::fabs(s(i, i) - 1.0f) < 1e-5);
  }
}

TEST_CASE("RoPE: the rotated score depends only on the offset, for both pair layouts") {
  std::vector<float> q(16), k(16);
  for (int i = 0; i < 16; ++i) {
    q[i] = std::sin(1.3 * i + 0.2);
    k[i] = std::cos(0.7 * i - 1.0);
  }
  for (RopePairs pairs : {RopePairs::Interleaved, RopePairs::HalfSplit}) {
    for (int m = 0; m < 12; ++m)
      for (int n = 0; n < 12; ++n) {
        const double a = dot(rotated(q, 16, 10000, pairs, m), rotated(k, 16, 10000, pairs, n));
        const double b = dot(rotated(q, 16, 10000, pairs, m + 37), rotated(k, 16, 10000, pairs, n + 37));
        CHECK(std::fabs(a - b) < 1e-4);
      }
    // Rotation keeps the norm, and position 0 is the identity.
    CHECK(std::fabs(dot(rotated(q, 16, 10000, pairs, 9), rotated(q, 16, 10000, pairs, 9)) - dot(q, q)) < 1e-4);
    CHECK(rotated(q, 16, 10000, pairs, 0) == q);
  }
}

TEST_CASE("RoPE pair layouts: interleaved rotates (2k, 2k+1), half-split rotates (k, k + d/2)") {
  std::vector<float> e(8, 0.0f);
  e[0] = 1;  // in both layouts dim 0 pairs with theta_0 = 1
  const std::vector<float> a = rotated(e, 8, 10000, RopePairs::Interleaved, 1.0);
  CHECK(std::fabs(a[0] - std::cos(1.0)) < 1e-6);
  CHECK(std::fabs(a[1] - std::sin(1.0)) < 1e-6);
  const std::vector<float> b = rotated(e, 8, 10000, RopePairs::HalfSplit, 1.0);
  CHECK(std::fabs(b[0] - std::cos(1.0)) < 1e-6);
  CHECK(std::fabs(b[4] - std::sin(1.0)) < 1e-6);
  CHECK(b[1] == 0.0f);
}

TEST_CASE("RoPE partial rotation leaves the dims past d_r untouched") {
  CHECK(rope_rotary_dims(64, 0.25) == 16);  // GPT-NeoX / Pythia
  CHECK(rope_rotary_dims(128, 1.0) == 128);
  CHECK_THROWS_AS(rope_rotary_dims(4, 0.1), Error);
  std::vector<float> v(64);
  for (int i = 0; i < 64; ++i) v[i] = float(i + 1);
  const std::vector<float> r = rotated(v, 16, 10000, RopePairs::HalfSplit, 7.0);
  for (int i = 16; i < 64; ++i) CHECK(r[i] == v[i]);
  CHECK(r[0] != v[0]);
}

TEST_CASE("RoPE interaction equals <R_i u, R_j u> / |u|^2 with u = ones over the whole head") {
  // FACTS.md section 4: the pass-through dims count too (partial rotary, Pythia).
  SchemeParams p = params("rope");
  p.base = 500000.0;  // LLaMA 3
  p.head_dim = 64;
  p.rotary_fraction = 0.5;
  p.pairs = RopePairs::HalfSplit;
  const int dr = 32;
  const MatrixRM s = make_position_scheme(p)->interaction(24, 768);
  const std::vector<float> u(64, 1.0f);
  for (int i = 0; i < 24; i += 3)
    for (int j = 0; j < 24; j += 2) {
      const double ref = dot(rotated(u, dr, p.base, p.pairs, i), rotated(u, dr, p.base, p.pairs, j)) / 64;
      CHECK(std::fabs(s(i, j) - ref) < 1e-5);
    }
  // Far apart, the rotated half averages out and the unrotated half stays: S -> 0.5.
  CHECK(s(0, 0) == doctest::Approx(1.0));
}

TEST_CASE("ALiBi slopes match the published log2 values") {
  auto log2s = [](int h) {
    std::vector<double> out;
    for (double m : alibi_slopes(h)) out.push_back(std::log2(m));
    return out;
  };
  const std::vector<double> h8 = log2s(8);
  for (int i = 0; i < 8; ++i) CHECK(h8[i] == doctest::Approx(-(i + 1)).epsilon(1e-12));
  const double h12[] = {-1, -2, -3, -4, -5, -6, -7, -8, -0.5, -1.5, -2.5, -3.5};
  const std::vector<double> got12 = log2s(12);
  REQUIRE(got12.size() == 12);
  for (int i = 0; i < 12; ++i) CHECK(got12[i] == doctest::Approx(h12[i]).epsilon(1e-12));
  const double h6[] = {-2, -4, -6, -8, -1, -3};
  const std::vector<double> got6 = log2s(6);
  REQUIRE(got6.size() == 6);
  for (int i = 0; i < 6; ++i) CHECK(got6[i] == doctest::Approx(h6[i]).epsilon(1e-12));
  CHECK(alibi_slopes(1).size() == 1);
  CHECK(alibi_slopes(1)[0] == doctest::Approx(std::exp2(-8.0)));
  CHECK_THROWS_AS(alibi_slopes(0), Error);
}

TEST_CASE("ALiBi interaction: -m (i - j) on and below the diagonal, the future masked") {
  SchemeParams p = params("alibi");
  p.heads = 12;
  p.head = 9;  // log2 slope -0.5
  const MatrixRM s = make_position_scheme(p)->interaction(10, 64);
  const double m = std::exp2(-0.5);
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j < 10; ++j) {
      if (j > i) CHECK(std::isnan(s(i, j)));
      else CHECK(std::fabs(s(i, j) + m * (i - j)) < 1e-5);
    }
  p.head = 13;
  CHECK_THROWS_AS(make_position_scheme(p), Error);
}

TEST_CASE("T5 buckets match the reference table (32 buckets, max distance 128)") {
  const std::pair<int, int> bidirectional[] = {{-1, 1},   {-7, 7},   {-8, 8},   {-9, 8},   {-12, 9},
                                               {-16, 10}, {-31, 11}, {-32, 12}, {-64, 14}, {-128, 15},
                                               {0, 0},    {1, 17},   {8, 24},   {16, 26},  {32, 28},
                                               {64, 30},  {127, 31}};
  for (const auto& rb : bidirectional) {  // (clang 14 cannot capture a structured binding)
    const int rel = rb.first, bucket = rb.second;
    CAPTURE(rel);
    CHECK(t5_relative_bucket(rel, true, 32, 128) == bucket);
  }
  const std::pair<int, int> causal[] = {{-8, 8},   {-12, 12}, {-16, 16},  {-31, 21},
                                        {-32, 21}, {-64, 26}, {-100, 30}, {-127, 31}};
  for (const auto& rb : causal) {
    const int rel = rb.first, bucket = rb.second;
    CAPTURE(rel);
    CHECK(t5_relative_bucket(rel, false, 32, 128) == bucket);
  }
  for (int rel : {1, 5, 100, 100000}) CHECK(t5_relative_bucket(rel, false, 32, 128) == 0);
  // Far offsets saturate at the last bucket.
  CHECK(t5_relative_bucket(-100000, true, 32, 128) == 15);
  CHECK(t5_relative_bucket(100000, true, 32, 128) == 31);
}

TEST_CASE("T5 interaction is bucket(j - i), or the learned bias of that bucket") {
  SchemeParams p = params("t5");
  p.heads = 2;
  p.head = 2;
  const MatrixRM s = make_position_scheme(p)->interaction(50, 8);
  for (int i = 0; i < 50; i += 7)
    for (int j = 0; j < 50; j += 3) CHECK(s(i, j) == float(t5_relative_bucket(j - i, true, 32, 128)));
  SchemeData data;
  data.bucket_bias = MatrixRM(32, 2);
  for (int b = 0; b < 32; ++b) {
    (*data.bucket_bias)(b, 0) = float(b);
    (*data.bucket_bias)(b, 1) = -0.5f * b;
  }
  const MatrixRM w = make_position_scheme(p, data)->interaction(20, 8);
  CHECK(w(10, 2) == -0.5f * t5_relative_bucket(-8, true, 32, 128));
  CHECK(make_position_scheme(p)->trained_weights(8) == 64);
}

TEST_CASE("learned positions: rows of the table, an error past L_max, cosine interaction") {
  SchemeData data;
  data.learned_table = MatrixRM(6, 4);
  *data.learned_table << 1, 0, 0, 0,  0, 1, 0, 0,  1, 1, 0, 0,  0, 0, 2, 0,  3, 0, 0, 0,  0, 0, 0, -1;
  auto s = make_position_scheme(params("learned"), data);
  CHECK(s->adds_to_input());
  CHECK(s->max_positions() == 6);
  CHECK(s->trained_weights(4) == 24);
  const MatrixRM r = s->input_rows(3, 4);
  CHECK(r(2, 1) == 1.0f);
  try {
    s->input_rows(7, 4);
    FAIL("a learned table must refuse position 6");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("only 6 rows") != std::string::npos);
  }
  CHECK_THROWS_AS(s->interaction(7, 4), Error);
  CHECK_THROWS_AS(s->input_rows(3, 5), Error);
  const MatrixRM c = s->interaction(6, 4);
  CHECK(c(0, 2) == doctest::Approx(1.0 / std::sqrt(2.0)));
  CHECK(c(0, 4) == doctest::Approx(1.0));
  CHECK(c(0, 1) == doctest::Approx(0.0));
  CHECK_THROWS_AS(make_position_scheme(params("learned")), Error);
}

TEST_CASE("schemes that add nothing at the input say so and refuse rows") {
  for (const char* k : {"none", "rope", "alibi", "t5"}) {
    auto s = make_position_scheme(params(k));
    CHECK_FALSE(s->adds_to_input());
    CHECK_THROWS_AS(s->input_rows(4, 8), Error);
    CHECK_FALSE(s->where_position_enters().empty());
  }
  CHECK(make_position_scheme(params("none"))->interaction(3, 4).isZero());
}

TEST_CASE("bad parameters are refused with a message") {
  SchemeParams p = params("rope");
  p.rotary_fraction = 1.5;
  CHECK_THROWS_AS(make_position_scheme(p), Error);
  p = params("sinusoidal");
  p.base = 0;
  CHECK_THROWS_AS(make_position_scheme(p), Error);
  p.base = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(make_position_scheme(p), Error);
  p = params("t5");
  p.buckets = 1;
  CHECK_THROWS_AS(make_position_scheme(p), Error);
  CHECK_THROWS_AS(make_position_scheme(params("sinusoidal"))->interaction(0, 4), Error);
  CHECK_THROWS_AS(make_position_scheme(params("sinusoidal"))->interaction(100000, 4), Error);
}

TEST_CASE("offset profile: constant diagonals for RoPE, mean per offset in general") {
  const MatrixRM s = make_position_scheme(params("rope"))->interaction(16, 32);
  const std::vector<double> prof = interaction_offset_profile(s);
  for (int o = 0; o < 16; ++o) CHECK(prof[o] == doctest::Approx(s(15, 15 - o)).epsilon(1e-6));
  CHECK(prof[0] == doctest::Approx(1.0));
  CHECK(std::string(scheme_info("alibi").name) == "alibi");
  CHECK(std::string(scheme_info("sin").name) == "sinusoidal");
  CHECK(find_scheme("bogus") == nullptr);
  CHECK_THROWS_AS(scheme_info("bogus"), Error);
}
