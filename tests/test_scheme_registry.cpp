// The scheme registry and the schemes added through it (Transformer-XL, DeBERTa), and RoPE
// scaling, against the published definitions (shared FACTS.md sections 3, 4, 8 and 9) and
// fixtures written by tests/data/make_position_fixtures.py.
#include <doctest.h>

#include "model_config.h"
#include "position/scheme.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <set>
#include <vector>

using namespace es;

namespace {

SchemeParams params(const std::string& kind) {
  SchemeParams p;
  p.kind = kind;
  if (const SchemeInfo* s = find_scheme(kind); s && s->adopt) s->adopt(p);
  return p;
}

nlohmann::json fixtures() {
  std::ifstream f(std::string(ES_TEST_DATA_DIR) + "/position/position_fixtures.json");
  REQUIRE(f.good());
  return nlohmann::json::parse(f);
}

}  // namespace

TEST_CASE("registry: every scheme has a name, a title, a summary, and builds from its defaults") {
  std::set<std::string> names;
  for (const SchemeInfo* s : scheme_registry()) {
    CAPTURE(s->name);
    CHECK(names.insert(s->name).second);
    CHECK(std::string(s->title).size() > 2);
    CHECK(std::string(s->summary).size() > 10);
    CHECK(find_scheme(s->name) == s);
    if (s->needs_data) {
      CHECK_THROWS_AS(make_position_scheme(params(s->name)), Error);
      continue;
    }
    const std::unique_ptr<PositionScheme> scheme = make_position_scheme(params(s->name));
    CHECK(scheme->name() == s->name);
    CHECK(scheme->entry() == s->entry);
    CHECK_FALSE(scheme->interaction_meaning().empty());
    CHECK_FALSE(scheme->repeated_token_story().empty());
    const MatrixRM sm = scheme->interaction(6, 8);
    CHECK(sm.rows() == 6);
    // Only schemes that add rows at the input serve input_rows.
    if (s->entry == PositionEntry::Input) CHECK(scheme->input_rows(3, 8).rows() == 3);
    else CHECK_THROWS_AS(scheme->input_rows(3, 8), Error);
    // Causal schemes mask every key after the query.
    if (scheme->params().causal)
      for (int i = 0; i < 6; ++i)
        for (int j = i + 1; j < 6; ++j) CHECK(std::isnan(sm(i, j)));
  }
  for (const char* n : {"none", "learned", "sinusoidal", "rope", "alibi", "t5", "transformer-xl", "deberta"})
    CHECK(names.count(n) == 1);
  // The lesson's side-by-side step teaches the seven the product names first, in the registry's
  // order; the newer ones (xPos, KERPLE, FIRE) join when there is room.
  std::vector<std::string> core;
  for (const SchemeInfo* s : scheme_registry())
    if (s->lesson_core) core.emplace_back(s->name);
  CHECK(core == std::vector<std::string>{"learned", "sinusoidal", "rope", "alibi", "t5", "transformer-xl", "deberta"});
  CHECK(scheme_names().find("transformer-xl") != std::string::npos);
  try {
    scheme_info("spiral");
    FAIL("an unknown scheme must be refused");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("deberta") != std::string::npos);  // lists the names
  }
}

TEST_CASE("registry: parameters are checked against their ranges") {
  const SchemeInfo& rope = scheme_info("rope");
  SchemeParams p = params("rope");
  for (const ParamSpec& spec : rope.params) {
    if (spec.field == ParamField::RotaryFraction) {
      CHECK_THROWS_AS(set_param(p, spec, 1.5), Error);
      set_param(p, spec, 0.25);
      CHECK(p.rotary_fraction == 0.25);
    }
    if (spec.field == ParamField::Pairs) {
      set_param(p, spec, 1);
      CHECK(p.pairs == RopePairs::HalfSplit);
      CHECK_THROWS_AS(set_param(p, spec, 2), Error);
    }
  }
  SchemeParams a = params("alibi");
  a.heads = 4;
  a.head = 5;
  CHECK_THROWS_AS(make_position_scheme(a), Error);
}

TEST_CASE("ALiBi attention_bias is S for each head; RoPE rotate_qk is the rotation and its inverse") {
  SchemeParams a = params("alibi");
  a.heads = 12;
  const auto alibi = make_position_scheme(a);
  const std::vector<double> slopes = alibi_slopes(12);
  for (int h = 0; h < 12; ++h) {
    const MatrixRM b = alibi->attention_bias(5, h);
    CHECK(b(4, 1) == doctest::Approx(-slopes[h] * 3).epsilon(1e-6));
    CHECK(std::isnan(b(1, 4)));
  }
  CHECK(std::log2(slopes[8]) == doctest::Approx(-0.5));  // FACTS.md: H=12 -> ..., -0.5, -1.5, ...

  SchemeParams r = params("rope");
  r.pairs = RopePairs::HalfSplit;
  const auto rope = make_position_scheme(r);
  MatrixRM x(3, 8);
  for (int i = 0; i < 24; ++i) x(i / 8, i % 8) = std::sin(0.7f * i) + 0.1f;
  MatrixRM y = x;
  rope->rotate_qk(y, 5);
  // Row r is at position 5 + r: the same as rope_rotate of that row.
  for (int row = 0; row < 3; ++row) {
    std::vector<float> v(x.row(row).data(), x.row(row).data() + 8);
    rope_rotate(v, 8, 10000, RopePairs::HalfSplit, 5 + row);
    for (int c = 0; c < 8; ++c) CHECK(y(row, c) == doctest::Approx(v[c]).epsilon(1e-6));
  }
  rope->rotate_qk(y, 5, true);
  CHECK((y - x).cwiseAbs().maxCoeff() < 1e-5f);
}

TEST_CASE("Transformer-XL: R_o = [sin(o w_k) | cos(o w_k)], nothing at the input, S = term (d) with v = 1, W = I") {
  // HF modeling_transfo_xl: inv_freq = 1 / 10000^(arange(0, d, 2) / d); pos_emb = [sin | cos].
  const auto txl = make_position_scheme(params("transformer-xl"));
  CHECK(txl->entry() == PositionEntry::AttentionTerms);
  CHECK_FALSE(txl->adds_to_input());
  CHECK(txl->params().causal);
  const int d = 8;
  const MatrixRM r = txl->relative_embeddings(7, d);
  for (int o = 0; o < 7; ++o)
    for (int k = 0; k < d / 2; ++k) {
      const double w = 1.0 / std::pow(10000.0, 2.0 * k / d);
      CHECK(r(o, k) == doctest::Approx(std::sin(o * w)).epsilon(1e-6));
      CHECK(r(o, k + d / 2) == doctest::Approx(std::cos(o * w)).epsilon(1e-6));
    }
  const MatrixRM s = txl->interaction(6, d);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) {
      if (j > i) {
        CHECK(std::isnan(s(i, j)));
        continue;
      }
      double sum = 0;
      for (int k = 0; k < d / 2; ++k) {
        const double w = 1.0 / std::pow(10000.0, 2.0 * k / d);
        sum += std::sin((i - j) * w) + std::cos((i - j) * w);
      }
      CHECK(s(i, j) == doctest::Approx(sum / d).epsilon(1e-6));
    }
  CHECK(s(3, 3) == doctest::Approx(0.5));  // R_0 = [0 ... 0 | 1 ... 1]
  CHECK_THROWS_AS(txl->relative_embeddings(3, 7), Error);  // [sin | cos] needs an even width
}

TEST_CASE("DeBERTa: log buckets match the reference (position_buckets 256, max_relative_positions 512)") {
  const nlohmann::json fx = fixtures()["deberta_log_bucket"];
  REQUIRE(fx.size() > 10);
  for (const auto& row : fx) {
    CAPTURE(row.dump());
    CHECK(deberta_log_bucket(row[0].get<long long>(), row[1].get<int>(), row[2].get<int>()) == row[3].get<long long>());
  }
  const auto deb = make_position_scheme(params("deberta"));
  CHECK(deb->entry() == PositionEntry::AttentionTerms);
  CHECK_FALSE(deb->adds_to_input());
  CHECK_THROWS_AS(deb->relative_embeddings(4, 8), Error);  // trained weights only
  // Without trained embeddings S is the bucketed relative position i - j (query - key).
  const MatrixRM s = deb->interaction(300, 8);
  CHECK(s(250, 10) == float(deberta_log_bucket(240, 256, 512)));
  CHECK(s(10, 250) == float(deberta_log_bucket(-240, 256, 512)));
  CHECK(s(100, 40) == 60.0f);
}

TEST_CASE("DeBERTa: with trained rel_embeddings, S is the cosine with offset 0's row") {
  SchemeParams p = params("deberta");
  p.buckets = 8;
  p.max_distance = 16;
  SchemeData data;
  data.relative_embeddings = MatrixRM(16, 3);  // (2 * buckets, d)
  for (int r = 0; r < 16; ++r) data.relative_embeddings->row(r) << 1.0f, float(r - 8), 0.5f * float(r % 3);
  const auto deb = make_position_scheme(p, data);
  const MatrixRM s = deb->interaction(12, 3);
  auto row_of = [&](long long rel) { return std::clamp<long long>(deberta_log_bucket(rel, 8, 16) + 8, 0, 15); };
  for (int i = 0; i < 12; i += 3)
    for (int j = 0; j < 12; j += 2) {
      const Eigen::Vector3d e = data.relative_embeddings->row(row_of(i - j)).cast<double>().transpose();
      const Eigen::Vector3d e0 = data.relative_embeddings->row(row_of(0)).cast<double>().transpose();
      CHECK(s(i, j) == doctest::Approx(e.dot(e0) / (e.norm() * e0.norm())).epsilon(1e-5));
    }
  CHECK(deb->relative_embeddings(16, 3).rows() == 16);
}

TEST_CASE("RoPE scaling: llama3 and linear frequencies match the reference; an unknown kind is named, not applied") {
  const nlohmann::json fx = fixtures()["llama3_inv_freq"];
  RopeScaling sc;
  sc.type = "llama3";
  sc.factor = fx["factor"];
  sc.low_freq_factor = fx["low_freq_factor"];
  sc.high_freq_factor = fx["high_freq_factor"];
  sc.original_max_positions = fx["original_max_position_embeddings"];
  const std::vector<double> got = rope_frequencies(fx["head_dim"].get<int>(), fx["base"].get<double>(), sc);
  const std::vector<double> want = fx["inv_freq"].get<std::vector<double>>();
  REQUIRE(got.size() == want.size());
  for (std::size_t k = 0; k < got.size(); ++k) CHECK(got[k] == doctest::Approx(want[k]).epsilon(1e-6));

  // S with and without the scaling differ (by up to ~0.19 at offsets in the thousands).
  SchemeParams p = params("rope");
  p.base = fx["base"];
  p.head_dim = fx["head_dim"];
  p.pairs = RopePairs::HalfSplit;
  const MatrixRM plain = make_position_scheme(p)->interaction(4096, 128);
  p.rope_scaling = sc;
  const auto scaled_scheme = make_position_scheme(p);
  const MatrixRM scaled = scaled_scheme->interaction(4096, 128);
  CHECK((plain - scaled).cwiseAbs().maxCoeff() > 0.05f);
  CHECK(scaled_scheme->describe().find("llama3") != std::string::npos);
  // The reference S at a few offsets.
  const nlohmann::json all = fixtures();  // kept alive: a range-for over fixtures()["..."] would dangle
  for (const auto& row : all["llama3_s"]) {
    const long long o = row[0];
    CHECK(scaled(o, 0) == doctest::Approx(row[1].get<double>()).epsilon(1e-4));
  }

  RopeScaling lin;
  lin.type = "linear";
  lin.factor = 4;
  const std::vector<double> l = rope_frequencies(64, 10000, lin), base = rope_frequencies(64, 10000);
  for (std::size_t k = 0; k < l.size(); ++k) CHECK(l[k] == doctest::Approx(base[k] / 4));

  // A kind EmbedScope does not know is named, not applied.
  RopeScaling other;
  other.type = "mrope";
  other.factor = 4;
  CHECK_FALSE(other.applied());
  const std::vector<double> y = rope_frequencies(64, 10000, other);
  for (std::size_t k = 0; k < y.size(); ++k) CHECK(y[k] == base[k]);
  SchemeParams py = params("rope");
  py.rope_scaling = other;
  const auto sy = make_position_scheme(py);
  CHECK(sy->describe().find("NOT applied") != std::string::npos);
  CHECK(sy->where_position_enters().find("not one EmbedScope applies") != std::string::npos);
}

TEST_CASE("RoPE scaling: linear, dynamic, yarn and longrope read from config.json give the reference frequencies") {
  const nlohmann::json all = fixtures();
  REQUIRE(all["rope_scaling"].size() >= 8);
  for (const nlohmann::json& c : all["rope_scaling"]) {
    const std::string name = c["name"];
    CAPTURE(name);
    // The model's config.json: the lengths at the top level (Phi-3 keeps its original length there).
    nlohmann::json scaling = c["rope_scaling"];
    nlohmann::json config = {{"model_type", "llama"}, {"hidden_size", c["head_dim"].get<int>() * 2},
                             {"num_attention_heads", 2}, {"rope_theta", c["base"]}};
    if (scaling.contains("max_position_embeddings")) {
      config["max_position_embeddings"] = scaling["max_position_embeddings"];
      scaling.erase("max_position_embeddings");
    }
    if (scaling["rope_type"] == "longrope") {
      config["original_max_position_embeddings"] = scaling["original_max_position_embeddings"];
      scaling.erase("original_max_position_embeddings");
    }
    config["rope_scaling"] = scaling;
    const ModelConfig mc = parse_model_config(config.dump(), "config.json");
    const SchemeParams p = scheme_for_config(mc, c["head_dim"].get<int>() * 2);
    REQUIRE(p.rope_scaling.applied());
    const std::vector<double> got = rope_frequencies(c["head_dim"].get<int>(), p.base, p.rope_scaling, c["seq_len"].get<long long>());
    const std::vector<double> want = c["inv_freq"].get<std::vector<double>>();
    REQUIRE(got.size() == want.size());
    for (std::size_t k = 0; k < got.size(); ++k) {
      CAPTURE(k);
      CHECK(got[k] == doctest::Approx(want[k]).epsilon(1e-6));
    }
    CHECK(rope_attention_factor(p.rope_scaling) == doctest::Approx(c["attention_factor"].get<double>()).epsilon(1e-9));
    // The scheme applies the same: S at offset 0 is the attention factor squared.
    const auto scheme = make_position_scheme(p);
    const MatrixRM S = scheme->interaction(c["seq_len"].get<long long>() > 2048 ? 8 : 4, c["head_dim"].get<int>() * 2);
    const double af = c["attention_factor"].get<double>();
    CHECK(S(0, 0) == doctest::Approx(af * af).epsilon(1e-5));
  }
}

TEST_CASE("S over the whole head under partial rotary, and sinusoidal S equals RoPE S at equal width") {
  // FACTS.md section 4: S = (d_r/d_head) S_rotated + (1 - d_r/d_head).
  SchemeParams p = params("rope");
  p.head_dim = 64;
  p.rotary_fraction = 0.25;
  const MatrixRM partial = make_position_scheme(p)->interaction(30, 64);
  p.head_dim = 16;
  p.rotary_fraction = 1.0;
  const MatrixRM full16 = make_position_scheme(p)->interaction(30, 16);
  for (int i = 0; i < 30; i += 4)
    for (int j = 0; j < 30; j += 3) CHECK(partial(i, j) == doctest::Approx(0.25 * full16(i, j) + 0.75).epsilon(1e-5));
  p.head_dim = 0;
  const MatrixRM rope = make_position_scheme(p)->interaction(20, 32);
  const MatrixRM sin = make_position_scheme(params("sinusoidal"))->interaction(20, 32);
  CHECK((rope - sin).cwiseAbs().maxCoeff() < 1e-5f);
}

TEST_CASE("registry: a real-valued parameter far outside int range is set without overflow (fuzz finding)") {
  SchemeParams p = params("rope");
  for (const ParamSpec& spec : scheme_info("rope").params)
    if (spec.field == ParamField::Base) {
      set_param(p, spec, 3.1e10);
      CHECK(p.base == 3.1e10);
    }
  CHECK_NOTHROW(make_position_scheme(p));
}
