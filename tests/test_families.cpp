// Every model family EmbedScope reads, on a tiny checkpoint written the way Hugging Face names
// its tensors, against an independent PyTorch forward pass of that family
// (tests/data/families/make_family_fixtures.py): what the family is (scheme, norm kind and eps,
// position offset, embedding scale, causal flag, rotary share and pairs), the rows block 0
// receives, and block 0's attention logits. Families that cannot be read right are refused by
// name; tensor names that several families write are not guessed.
#include "family_fixtures.h"
#include "test_checkpoint_helpers.h"

#include "checkpoint.h"
#include "model_config.h"
#include "model_family.h"
#include "pipeline.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

using namespace es;
using namespace es::testing;

namespace {

double worst_difference(const MatrixRM& got, const Json& want) {
  REQUIRE(static_cast<std::size_t>(got.rows()) == want.size());
  double worst = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    REQUIRE(static_cast<std::size_t>(got.cols()) == want[i].size());
    for (std::size_t j = 0; j < want[i].size(); ++j)
      worst = std::max(worst, std::fabs(double(got(long(i), long(j))) - want[i][j].get<double>()));
  }
  return worst;
}

const char* norm_name(NormKind k) {
  switch (k) {
    case NormKind::LayerNorm: return "LayerNorm";
    case NormKind::RmsNorm: return "RmsNorm";
    case NormKind::RmsNormOnePlus: return "RmsNormOnePlus";
  }
  return "";
}

void check_case(const Json& c) {
  const std::string name = c["name"].get<std::string>();
  const Json& want = c["expect"];
  CAPTURE(name);
  TempDir dir;
  const std::shared_ptr<const ModelSource> m = open_case(c, dir);
  CAPTURE(m->label());
  CHECK(m->family() == want["family"].get<std::string>());
  const SchemeParams sp = m->default_scheme();
  CHECK(sp.kind == want["scheme"].get<std::string>());
  CHECK(sp.causal == want["causal"].get<bool>());
  CHECK(m->position_offset() == want["offset"].get<int>());
  CHECK(m->embedding_scale() == doctest::Approx(want["scale"].get<double>()).epsilon(1e-7));
  if (want.contains("rotary_dims")) {
    CHECK(rope_rotary_dims(sp.head_dim, sp.rotary_fraction) == want["rotary_dims"].get<int>());
    CHECK((sp.pairs == RopePairs::Interleaved ? "interleaved" : "half") == want["pairs"].get<std::string>());
  }
  if (want.contains("base")) CHECK(sp.base == want["base"].get<double>());
  const std::optional<LayerNormParams> norm = m->first_layer_norm();
  if (want["norm"].is_null()) {
    CHECK_FALSE(norm.has_value());
  } else {
    REQUIRE(norm.has_value());
    CHECK(norm_name(norm->kind) == want["norm"].get<std::string>());
    CHECK(double(norm->eps) == doctest::Approx(want["eps"].get<double>()).epsilon(1e-6));
    CHECK(norm->on_input == want["norm_on_input"].get<bool>());
  }

  AnalysisInput in;
  in.ids = fixtures()["ids"].get<std::vector<int>>();
  const std::shared_ptr<const Analysis> a = analyse(m, in);
  // The rows block 0 receives: token rows (scaled), position rows (from the family's offset), sum.
  CHECK(worst_difference(a->embedding().combined, want["combined"]) < 2e-6);
  if (!want["normed"].is_null()) {
    REQUIRE(a->embedding().normed.has_value());
    CHECK(worst_difference(*a->embedding().normed, want["normed"]) < 5e-6);
  }
  const Block0Attention* b = a->block0();
  CAPTURE(a->block0_note());
  if (want.contains("refused")) {
    CHECK(b == nullptr);
    CHECK(contains(a->block0_note(), want["refused"].get<std::string>()));
    return;
  }
  REQUIRE(b);
  const Json& logits = want["logits"];
  REQUIRE(b->logits.size() == logits.size());
  double worst = 0;
  int masked_wrong = 0;
  for (std::size_t h = 0; h < logits.size(); ++h)
    for (std::size_t i = 0; i < logits[h].size(); ++i)
      for (std::size_t j = 0; j < logits[h][i].size(); ++j) {
        const float got = b->logits[h](long(i), long(j));
        if (logits[h][i][j].is_null())
          masked_wrong += !std::isnan(got);
        else if (std::isnan(got))
          ++masked_wrong;
        else
          worst = std::max(worst, std::fabs(double(got) - logits[h][i][j].get<double>()));
      }
  CHECK(masked_wrong == 0);
  CHECK(worst < 5e-6);
}

}  // namespace

TEST_CASE("families: every fixture opens as its family, with block 0's rows and logits as PyTorch computes them") {
  const Json& cases = fixtures()["cases"];
  CHECK(cases.size() >= 20);
  for (const Json& c : cases) check_case(c);
}

TEST_CASE("families: every model_type of a fixture is in the family table, and every fixture family is tested") {
  for (const Json& c : fixtures()["cases"]) {
    const std::string type = c["config"]["model_type"].get<std::string>();
    CAPTURE(type);
    CHECK(find_family(type) != nullptr);
  }
}

TEST_CASE("families: a model_type EmbedScope does not know is refused by name, not guessed") {
  const Json& c = fixture("qwen3");
  TempDir dir;
  Json cfg = c["config"];
  cfg["model_type"] = "exaone";
  write_safetensors(dir / "model.safetensors", tensors_of(c));
  write_text(dir / "config.json", cfg.dump());
  const std::string e = error_of([&] { open_checkpoint(dir.path); });
  CHECK(contains(e, "model_type 'exaone'"));
  CHECK(contains(e, "not a family EmbedScope reads"));
  CHECK(contains(e, "qwen3"));  // the list of what it reads
}

TEST_CASE("families: without config.json, names several families write are refused; unique ones are read") {
  SUBCASE("model.embed_tokens.weight: LLaMA, Gemma, Phi, ... read it differently") {
    TempDir dir;
    const std::string e = error_of([&] { open_case(fixture("qwen3"), dir, false); });
    CHECK(contains(e, "Gemma"));
    CHECK(contains(e, "config.json"));
  }
  SUBCASE("BART without the model. prefix is not T5, and asks for config.json (BART or mBART)") {
    TempDir dir;
    const std::string e = error_of([&] { open_case(fixture("bart"), dir, false); });
    CHECK(contains(e, "BART and mBART"));
  }
  SUBCASE("unprefixed BERT names: RoBERTa writes them too") {
    TempDir dir;
    write_safetensors(dir / "model.safetensors", {table("embeddings.word_embeddings.weight", 9, 4),
                                                  table("embeddings.position_embeddings.weight", 6, 4)});
    CHECK(contains(error_of([&] { open_checkpoint(dir.path); }), "RoBERTa"));
  }
  for (const char* name : {"opt", "gptj", "codegen", "distilbert", "albert", "electra"}) {
    CAPTURE(name);
    TempDir dir;
    const Json& c = fixture(name);
    const std::shared_ptr<const ModelSource> m = open_case(c, dir, false);
    CHECK(m->family() == c["expect"]["family"].get<std::string>());
    CHECK(contains(m->label(), "only"));  // "tensor names that only X writes"
  }
  SUBCASE("GPT-J's transformer.wte.weight is not read as GPT-2 (which also has wpe)") {
    TempDir dir;
    CHECK(open_case(fixture("gptj"), dir, false)->family() == "gptj");
  }
}

TEST_CASE("families: BERT with relative_key(_query) is not called order-blind") {
  for (const char* name : {"bert_relative_key", "bert_relative_key_query"}) {
    CAPTURE(name);
    TempDir dir;
    const std::shared_ptr<const ModelSource> m = open_case(fixture(name), dir);
    const std::unique_ptr<PositionScheme> s = make_model_scheme(*m);
    CHECK(s->params().distance_terms == (std::string(name).ends_with("query") ? 2 : 1));
    CHECK_FALSE(contains(s->where_position_enters(), "order-blind"));
    CHECK(contains(s->where_position_enters(), "r(i - j)"));
    CHECK_FALSE(contains(s->interaction_meaning(), "0 everywhere"));
    CHECK_FALSE(contains(s->repeated_token_story(), "identical attention"));
    CHECK(contains(s->repeated_token_story(), "differently"));
  }
  CHECK(contains(error_of([] { parse_model_config(R"({"position_embedding_type": "rotary"})", "c.json"); }),
                 "relative_key_query"));
}

TEST_CASE("families: OPT-350m's projected token rows are refused by name") {
  const Json& c = fixture("opt");
  TempDir dir;
  Json cfg = c["config"];
  cfg["word_embed_proj_dim"] = 4;
  write_safetensors(dir / "model.safetensors", tensors_of(c));
  write_text(dir / "config.json", cfg.dump());
  const std::string e = error_of([&] { open_checkpoint(dir.path); });
  CHECK(contains(e, "project_in"));
  CHECK(contains(e, "OPT-350m"));
}

TEST_CASE("families: Gemma's sqrt(d) is rounded to the table's dtype, as the model computes it") {
  const Json& c = fixture("gemma2");
  TempDir dir;
  std::vector<SafetensorsWriteTensor> ts = tensors_of(c);
  // The same table stored as BF16, at width 12: sqrt(12) = 3.4641 is 3.46875 in bfloat16.
  std::vector<float> e(11 * 12);
  for (std::size_t i = 0; i < e.size(); ++i) e[i] = static_cast<float>(0.25 * std::sin(0.61 * double(i) + 1));
  ts[0] = make_write_tensor("model.embed_tokens.weight", SafetensorsDtype::BF16, {11, 12}, e);
  ts.resize(1);
  write_safetensors(dir / "model.safetensors", ts);
  write_text(dir / "config.json", R"({"model_type": "gemma2", "hidden_size": 12, "num_attention_heads": 2})");
  const std::shared_ptr<const ModelSource> m = open_checkpoint(dir.path);
  CHECK(m->embedding_scale() == 3.46875);
  CHECK(contains(m->label(), "sqrt(12)"));
}

TEST_CASE("families: config keys of the new families are read and checked") {
  const ModelConfig g = parse_model_config(
      R"({"model_type": "gemma3", "text_config": {"model_type": "gemma3_text", "hidden_size": 64, "num_attention_heads": 4,
          "head_dim": 16, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "query_pre_attn_scalar": 16}})",
      "c.json");
  CHECK(g.family == "gemma3");
  CHECK(g.hidden == 64);
  CHECK(*g.query_pre_attn_scalar == 16);
  CHECK(scheme_for_config(g, 64).base == 10000.0);  // layer 0 is a local layer
  const ModelConfig j = parse_model_config(R"({"model_type": "gptj", "n_embd": 64, "n_head": 4, "rotary_dim": 4})", "c.json");
  const SchemeParams p = scheme_for_config(j, 64);
  CHECK(p.pairs == RopePairs::Interleaved);
  CHECK(rope_rotary_dims(p.head_dim, p.rotary_fraction) == 4);
  CHECK(contains(error_of([] { parse_model_config(R"({"attn_logit_softcapping": 0})", "c.json"); }), "positive"));
  CHECK(contains(error_of([] { parse_model_config(R"({"scale_embedding": "yes"})", "c.json"); }), "true or false"));
}
