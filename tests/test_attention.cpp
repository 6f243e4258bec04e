// Block 0's real attention logits against PyTorch, on four tiny checkpoints whose weights are
// formulas (tests/data/attention/make_attention_fixtures.py writes the reference logits).
#include "test_checkpoint_helpers.h"

#include "checkpoint.h"
#include "pipeline.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

using namespace es;
using namespace es::testing;

namespace {

std::vector<float> value(int seed, long long count) {
  std::vector<float> v(static_cast<std::size_t>(count));
  for (long long i = 0; i < count; ++i) v[static_cast<std::size_t>(i)] = static_cast<float>(0.25 * std::sin(0.61 * double(i) + seed));
  return v;
}
SafetensorsWriteTensor mat(const std::string& name, int seed, long long rows, long long cols) {
  return make_write_tensor(name, SafetensorsDtype::F32, {rows, cols}, value(seed, rows * cols));
}
SafetensorsWriteTensor vec1(const std::string& name, int seed, long long n) {
  return make_write_tensor(name, SafetensorsDtype::F32, {n}, value(seed, n));
}
SafetensorsWriteTensor norm_w(const std::string& name, int seed, long long n) {
  std::vector<float> v = value(seed, n);
  for (float& x : v) x = static_cast<float>(1 + 0.1 * double(x));
  return make_write_tensor(name, SafetensorsDtype::F32, {n}, v);
}
SafetensorsWriteTensor norm_b(const std::string& name, int seed, long long n) {
  std::vector<float> v = value(seed, n);
  for (float& x : v) x = static_cast<float>(0.1 * double(x));
  return make_write_tensor(name, SafetensorsDtype::F32, {n}, v);
}

void check_against(const std::string& family, const std::vector<SafetensorsWriteTensor>& tensors,
                   const std::string& config) {
  std::ifstream f(std::string(ES_TEST_DATA_DIR) + "/attention/attention_fixtures.json");
  REQUIRE(f.good());
  const nlohmann::json fx = nlohmann::json::parse(f);
  TempDir dir;
  write_safetensors(dir / "model.safetensors", tensors);
  write_text(dir / "config.json", config);
  std::shared_ptr<const ModelSource> m = open_checkpoint(dir.path);
  AnalysisInput in;
  in.ids = fx["ids"].get<std::vector<int>>();
  const std::shared_ptr<const Analysis> a = analyse(m, in);
  const Block0Attention* b = a->block0();
  CAPTURE(family);
  CAPTURE(a->block0_note());
  REQUIRE(b);
  const nlohmann::json& want = fx["models"][family];
  REQUIRE(b->logits.size() == want.size());
  double worst = 0;
  for (std::size_t h = 0; h < want.size(); ++h)
    for (std::size_t i = 0; i < want[h].size(); ++i)
      for (std::size_t j = 0; j < want[h][i].size(); ++j) {
        const float got = b->logits[h](static_cast<long long>(i), static_cast<long long>(j));
        if (want[h][i][j].is_null()) {
          CHECK(std::isnan(got));
        } else {
          worst = std::max(worst, std::fabs(double(got) - want[h][i][j].get<double>()));
        }
      }
  CHECK(worst < 2e-6);
  // Positions 0 and 3 hold the same id (3) but share only key 0: no spread to report. Rows 1
  // and 4 share keys 0 and 1: the spread is computed from the fixture's own logits.
  CHECK_FALSE(a->block0_pair_spread(0, 3).has_value());
  const std::optional<double> spread = a->block0_pair_spread(1, 4);
  REQUIRE(spread);
  double ref = 0;
  for (std::size_t h = 0; h < want.size(); ++h) {
    const double d0 = want[h][4][0].get<double>() - want[h][1][0].get<double>();
    const double d1 = want[h][4][1].get<double>() - want[h][1][1].get<double>();
    ref = std::max(ref, std::fabs(d1 - d0));
  }
  CHECK(*spread == doctest::Approx(ref).epsilon(1e-4));
}

}  // namespace

TEST_CASE("block-0 attention: GPT-2 (ln_1, fused c_attn, learned positions)") {
  check_against("gpt2",
                {mat("wte.weight", 1, 11, 8), mat("wpe.weight", 2, 6, 8), norm_w("h.0.ln_1.weight", 3, 8),
                 norm_b("h.0.ln_1.bias", 4, 8), mat("h.0.attn.c_attn.weight", 5, 8, 24), vec1("h.0.attn.c_attn.bias", 6, 24)},
                R"({"model_type": "gpt2", "n_embd": 8, "n_head": 2, "n_positions": 6, "vocab_size": 11})");
}

TEST_CASE("block-0 attention: LLaMA (RMSNorm, q_proj/k_proj, grouped-query, RoPE)") {
  check_against("llama",
                {mat("model.embed_tokens.weight", 1, 11, 8), norm_w("model.layers.0.input_layernorm.weight", 3, 8),
                 mat("model.layers.0.self_attn.q_proj.weight", 5, 8, 8), mat("model.layers.0.self_attn.k_proj.weight", 6, 4, 8)},
                R"({"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "num_key_value_heads": 1,
                    "rms_norm_eps": 1e-6, "rope_theta": 10000.0})");
}

TEST_CASE("block-0 attention: GPT-NeoX (fused per head, partial rotary)") {
  check_against("gpt_neox",
                {mat("gpt_neox.embed_in.weight", 1, 11, 8), norm_w("gpt_neox.layers.0.input_layernorm.weight", 3, 8),
                 norm_b("gpt_neox.layers.0.input_layernorm.bias", 4, 8),
                 mat("gpt_neox.layers.0.attention.query_key_value.weight", 5, 24, 8),
                 vec1("gpt_neox.layers.0.attention.query_key_value.bias", 6, 24)},
                R"({"model_type": "gpt_neox", "hidden_size": 8, "num_attention_heads": 2, "rotary_pct": 0.5,
                    "layer_norm_eps": 1e-5})");
}

TEST_CASE("block-0 attention: BLOOM (two LayerNorms, fused per head, ALiBi)") {
  check_against("bloom",
                {mat("word_embeddings.weight", 1, 11, 8), norm_w("word_embeddings_layernorm.weight", 3, 8),
                 norm_b("word_embeddings_layernorm.bias", 4, 8), norm_w("h.0.input_layernorm.weight", 7, 8),
                 norm_b("h.0.input_layernorm.bias", 8, 8), mat("h.0.self_attention.query_key_value.weight", 5, 24, 8),
                 vec1("h.0.self_attention.query_key_value.bias", 6, 24)},
                R"({"model_type": "bloom", "n_embed": 8, "n_head": 2, "layer_norm_epsilon": 1e-5})");
}

TEST_CASE("block-0 attention: none for generated models or another scheme, with the reason") {
  std::shared_ptr<const ModelSource> m = make_classroom_model();
  AnalysisInput in;
  in.text = "the cat sat on the mat";
  const auto a = analyse(m, in);
  CHECK(a->block0() == nullptr);
  CHECK_FALSE(a->block0_note().empty());
  CHECK_FALSE(a->block0_pair_spread(0, 4).has_value());
  MatrixRM l(3, 3);
  l << 0, NAN, NAN, 1, 2, NAN, 5, 6, 9;
  CHECK(logit_row_spread(l, 1, 2) == doctest::Approx(0.0));  // 5-1 = 4, 6-2 = 4: a constant shift
  l(2, 1) = 7;
  CHECK(logit_row_spread(l, 1, 2) == doctest::Approx(1.0));
}
