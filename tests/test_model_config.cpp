// config.json reading and the family table (model_family.h), against the transformers classes'
// definitions (shared FACTS.md sections 2, 7 and 8), with tiny checkpoints written on the spot.
#include "test_checkpoint_helpers.h"

#include "analysis.h"
#include "checkpoint.h"
#include "embedding.h"
#include "model_config.h"
#include "model_family.h"

#include <cmath>

using namespace es;
using namespace es::testing;

namespace {

std::unique_ptr<ModelSource> open_with(const std::vector<SafetensorsWriteTensor>& tensors, const std::string& config) {
  static std::vector<std::unique_ptr<TempDir>> keep;  // the mapping must outlive the model
  keep.push_back(std::make_unique<TempDir>());
  write_safetensors(*keep.back() / "model.safetensors", tensors);
  if (!config.empty()) write_text(*keep.back() / "config.json", config);
  return open_checkpoint(keep.back()->path);
}

}  // namespace

TEST_CASE("family table: every model_type maps to one family and a registered scheme") {
  for (const FamilyInfo& f : family_table()) {
    CAPTURE(f.family);
    CHECK(find_scheme(f.scheme) != nullptr);
    CHECK_FALSE(f.token.empty());
    for (const char* t : f.model_types) CHECK(find_family(t) == &f);
  }
  CHECK(std::string(find_family("xlm-roberta")->family) == "roberta");
  CHECK(std::string(find_family("camembert")->family) == "roberta");
  CHECK(std::string(find_family("RefinedWebModel")->family) == "falcon");
  CHECK(std::string(find_family("mt5")->family) == "t5");
  CHECK(find_family("mamba") == nullptr);
  CHECK(normalise_family("qwen2") == "qwen2");
  CHECK(normalise_family("unknown") == "");
}

TEST_CASE("config.json: rope_scaling, position_embedding_type, attn_config, DeBERTa keys") {
  const ModelConfig c = parse_model_config(
      R"({"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "rope_theta": 500000.0,
          "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                           "original_max_position_embeddings": 8192, "rope_type": "llama3"}})", "c");
  CHECK(c.rope_scaling.type == "llama3");
  CHECK(c.rope_scaling.factor == 8.0);
  CHECK(c.rope_scaling.original_max_positions == 8192);
  const SchemeParams p = scheme_for_config(c, 64);
  CHECK(p.kind == "rope");
  CHECK(p.rope_scaling.applied());
  CHECK(p.causal);
  // Older configs spell it "type"; "dynamic" is applied (past max_position_embeddings).
  const ModelConfig d = parse_model_config(
      R"({"model_type": "llama", "max_position_embeddings": 2048, "rope_scaling": {"type": "dynamic", "factor": 2.0}})", "d");
  CHECK(d.rope_scaling.type == "dynamic");
  CHECK(d.rope_scaling.applied());
  CHECK(d.rope_scaling.max_positions == 2048);
  CHECK(config_caveats(d).empty());
  // A kind EmbedScope does not apply is read and said.
  const ModelConfig m = parse_model_config(R"({"model_type": "llama", "rope_scaling": {"type": "mrope", "factor": 2.0}})", "m");
  CHECK_FALSE(m.rope_scaling.applied());
  CHECK(config_caveats(m).find("not applied") != std::string::npos);
  // Broken yarn / longrope settings are errors naming the key.
  CHECK_THROWS_AS(parse_model_config(R"({"rope_scaling": {"rope_type": "yarn", "factor": 4, "beta_fast": -1}})", "e"), Error);
  CHECK_THROWS_AS(parse_model_config(R"({"rope_scaling": {"rope_type": "longrope", "short_factor": [1, 2], "long_factor": [1]}})", "e"), Error);
  CHECK_THROWS_AS(parse_model_config(R"({"rope_scaling": {"rope_type": "longrope", "short_factor": [1, "x"], "long_factor": [1, 2]}})", "e"), Error);
  CHECK_THROWS_AS(parse_model_config(R"({"rope_scaling": 3})", "e"), Error);
  CHECK_THROWS_AS(parse_model_config(R"({"rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 4,
                                          "high_freq_factor": 1}})", "e"), Error);

  const ModelConfig rel = parse_model_config(R"({"model_type": "bert", "position_embedding_type": "relative_key"})", "b");
  CHECK(scheme_for_config(rel, 8).kind == "none");
  CHECK(family_position_summary("bert", scheme_for_config(rel, 8)).find("relative") != std::string::npos);
  const ModelConfig mpt = parse_model_config(R"({"model_type": "mpt", "d_model": 8, "n_heads": 2, "attn_config": {"alibi": true}})", "m");
  CHECK(scheme_for_config(mpt, 8).kind == "alibi");
  const ModelConfig mpt_learned = parse_model_config(R"({"model_type": "mpt", "attn_config": {"alibi": false}})", "m");
  CHECK(scheme_for_config(mpt_learned, 8).kind == "learned");
  const ModelConfig falcon = parse_model_config(R"({"model_type": "RefinedWeb", "alibi": false})", "f");
  CHECK(scheme_for_config(falcon, 8).kind == "rope");
  const ModelConfig deb = parse_model_config(
      R"({"model_type": "deberta-v2", "position_buckets": 256, "max_relative_positions": -1,
          "max_position_embeddings": 512, "position_biased_input": false, "norm_rel_ebd": "layer_norm"})", "v3");
  const SchemeParams dp = scheme_for_config(deb, 8);
  CHECK(dp.kind == "deberta");
  CHECK(dp.buckets == 256);
  CHECK(dp.max_distance == 512);  // -1 means max_position_embeddings
  CHECK_FALSE(dp.causal);
  CHECK(config_caveats(deb).empty());
}

TEST_CASE("RoBERTa: token i uses position row i + 2 (padding_idx + 1)") {
  const auto m = open_with({table("roberta.embeddings.word_embeddings.weight", 10, 4),
                            table("roberta.embeddings.position_embeddings.weight", 8, 4, 100),
                            table("roberta.embeddings.token_type_embeddings.weight", 1, 4, 1000)},
                           R"({"model_type": "roberta", "hidden_size": 4, "pad_token_id": 1, "max_position_embeddings": 8})");
  CHECK(m->family() == "roberta");
  CHECK(m->position_offset() == 2);
  const TableMap pos = *m->position_table();
  CHECK(pos.rows() == 6);
  CHECK(pos(0, 0) == 102.0f);  // row 2 of the file's table
  const auto scheme = make_model_scheme(*m);
  const std::vector<int> ids = {3, 4, 3};
  const InputEmbedding e = compute_input_embedding(*m, *scheme, ids);
  // combined = word + token type 0 + position row (i + 2): HF RobertaEmbeddings.
  for (int i = 0; i < 3; ++i)
    CHECK(e.combined(i, 1) == doctest::Approx(float(ids[i]) + 0.1f + 1000.1f + float(100 + i + 2) + 0.1f));
  CHECK_THROWS_AS(compute_input_embedding(*m, *scheme, std::vector<int>(7, 3)), Error);  // 6 usable rows
}

TEST_CASE("MPT with ALiBi opens (no position table), and RMSNorm is labelled and computed") {
  const auto mpt = open_with({table("transformer.wte.weight", 6, 4), vec("transformer.blocks.0.norm_1.weight", {1, 1, 1, 1})},
                             R"({"model_type": "mpt", "d_model": 4, "n_heads": 2, "attn_config": {"alibi": true}})");
  CHECK(mpt->family() == "mpt");
  CHECK(mpt->default_scheme().kind == "alibi");
  CHECK_FALSE(mpt->position_table());

  const auto llama = open_with({table("model.embed_tokens.weight", 6, 4), vec("model.layers.0.input_layernorm.weight", {1, 2, 3, 4})},
                               R"({"model_type": "llama", "hidden_size": 4, "num_attention_heads": 1, "rms_norm_eps": 1e-6})");
  const std::optional<LayerNormParams> ln = llama->first_layer_norm();
  REQUIRE(ln);
  CHECK(ln->kind == NormKind::RmsNorm);
  CHECK(ln->label.find("RMSNorm") != std::string::npos);
  MatrixRM x(1, 4);
  x << 1, 2, 3, 4;
  const MatrixRM y = layer_norm_rows(x, *ln);
  const double rms = std::sqrt((1 + 4 + 9 + 16) / 4.0 + 1e-6);
  for (int c = 0; c < 4; ++c) CHECK(y(0, c) == doctest::Approx(x(0, c) / rms * (c + 1)).epsilon(1e-6));

  // RMSNorm has one weight per dim (no bias): FACTS.md section 8.
  SchemeParams rope;
  rope.kind = "rope";
  CHECK(count_input_weights(6, 0, 4, rope, false, true, 0, 1).layer_norm == 4);
  CHECK(count_input_weights(6, 0, 4, rope, false, true, 0, 2).layer_norm == 8);

  const auto gemma = open_with({table("model.embed_tokens.weight", 6, 4), vec("model.layers.0.input_layernorm.weight", {0, 1, 0, 0})},
                               R"({"model_type": "gemma", "hidden_size": 4, "num_attention_heads": 1})");
  const MatrixRM g = layer_norm_rows(x, *gemma->first_layer_norm());
  CHECK(g(0, 1) == doctest::Approx(2 / std::sqrt(30 / 4.0 + 1e-6) * 2).epsilon(1e-6));  // (1 + weight)
  CHECK(g(0, 0) == doctest::Approx(1 / std::sqrt(30 / 4.0 + 1e-6)).epsilon(1e-6));
}

TEST_CASE("T5: the causal view uses the decoder's bias table and says so") {
  const auto m = open_with({table("shared.weight", 9, 4),
                            table("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", 32, 2, 0),
                            table("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", 32, 2, 500)},
                           R"({"model_type": "t5", "d_model": 4, "num_heads": 2})");
  SchemeParams p = m->default_scheme();
  CHECK_FALSE(p.causal);
  const MatrixRM enc = make_model_scheme(*m, p)->interaction(5, 4);
  CHECK(enc(3, 1) == doctest::Approx(float(t5_relative_bucket(-2, true, 32, 128)) + 0.0f));
  p.causal = true;
  const auto dec_scheme = make_model_scheme(*m, p);
  const MatrixRM dec = dec_scheme->interaction(5, 4);
  CHECK(dec(3, 1) == doctest::Approx(500.0f + float(t5_relative_bucket(-2, false, 32, 128))));
  CHECK(std::isnan(dec(1, 3)));
  CHECK(dec_scheme->where_position_enters().find("decoder") != std::string::npos);
}

TEST_CASE("DeBERTa-v3: rel_embeddings open as the scheme's trained weights, after the encoder LayerNorm") {
  const auto m = open_with({table("deberta.embeddings.word_embeddings.weight", 12, 4),
                            table("deberta.encoder.rel_embeddings.weight", 16, 4),
                            vec("deberta.encoder.LayerNorm.weight", {1, 1, 1, 1}),
                            vec("deberta.encoder.LayerNorm.bias", {0, 0, 0, 0}),
                            vec("deberta.embeddings.LayerNorm.weight", {1, 1, 1, 1}),
                            vec("deberta.embeddings.LayerNorm.bias", {0, 0, 0, 0})},
                           R"({"model_type": "deberta-v2", "hidden_size": 4, "num_attention_heads": 2,
                               "position_buckets": 8, "max_relative_positions": 16, "position_biased_input": false,
                               "norm_rel_ebd": "layer_norm", "relative_attention": true})");
  CHECK(m->family() == "deberta-v2");
  const SchemeParams p = m->default_scheme();
  CHECK(p.kind == "deberta");
  CHECK(p.buckets == 8);
  const SchemeData data = m->scheme_data();
  REQUIRE(data.relative_embeddings);
  CHECK(data.source.find("rel_embeddings") != std::string::npos);
  // ramp rows r + c/10 LayerNorm'd: the same for every row (a shift of a ramp).
  const MatrixRM& rel = *data.relative_embeddings;
  CHECK(std::fabs(rel.row(3).mean()) < 1e-5f);
  const auto scheme = make_model_scheme(*m);
  CHECK(scheme->relative_embeddings(16, 4).rows() == 16);
  const std::optional<LayerNormParams> ln = m->first_layer_norm();
  REQUIRE(ln);
  CHECK(ln->on_input);
  bool listed = false;
  for (const TensorInfo& t : m->tensors()) listed |= t.name == "deberta.encoder.rel_embeddings.weight";
  CHECK(listed);
}
