// Checkpoint model sources: each family's tensor names and config keys, dtypes, name variants,
// and broken checkpoints with their messages. Every checkpoint is written by the test itself.
#include "checkpoint.h"
#include "embedding.h"
#include "model_config.h"
#include "test_checkpoint_helpers.h"

#include <cmath>

using namespace es;
using namespace es::testing;

namespace {

const char* kGpt2Config =
    R"({"model_type": "gpt2", "n_embd": 4, "n_positions": 6, "n_head": 2, "n_layer": 1, "vocab_size": 8,
        "layer_norm_epsilon": 1e-05})";

std::vector<SafetensorsWriteTensor> gpt2_tensors(const std::string& prefix) {
  return {table(prefix + "wte.weight", 8, 4), table(prefix + "wpe.weight", 6, 4, 100),
          vec(prefix + "h.0.ln_1.weight", {1, 2, 3, 4}), vec(prefix + "h.0.ln_1.bias", {0.5f, 0, 0, -0.5f}),
          table(prefix + "h.0.attn.c_attn.weight", 4, 12)};
}

// raw little-endian 16-bit patterns as a tensor
SafetensorsWriteTensor raw16(const std::string& name, SafetensorsDtype dt, std::vector<int64_t> shape,
                             const std::vector<uint16_t>& bits) {
  SafetensorsWriteTensor t{name, dt, std::move(shape), {}};
  for (uint16_t b : bits) {
    t.bytes.push_back(static_cast<uint8_t>(b & 0xff));
    t.bytes.push_back(static_cast<uint8_t>(b >> 8));
  }
  return t;
}

}  // namespace

TEST_CASE("GPT-2: both name variants open with their tables, LayerNorm and learned scheme") {
  for (const std::string prefix : {"", "transformer."}) {
    CAPTURE(prefix);
    TempDir dir;
    write_safetensors(dir / "model.safetensors", gpt2_tensors(prefix));
    write_text(dir / "config.json", kGpt2Config);
    const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
    CHECK(m->family() == "gpt2");
    CHECK(m->trained());
    CHECK(m->vocab_size() == 8);
    CHECK(m->dim() == 4);
    CHECK(m->num_heads() == 2);
    CHECK(m->dtype() == "F32");
    const TableMap e = m->token_table();
    CHECK(e.rows() == 8);
    CHECK(e(3, 2) == 3.0f + 2.0f / 10.0f);
    const std::optional<TableMap> p = m->position_table();
    REQUIRE(p);
    CHECK(p->rows() == 6);
    CHECK((*p)(5, 3) == 105.0f + 3.0f / 10.0f);
    const SchemeParams s = m->default_scheme();
    CHECK(s.kind == "learned");
    const std::optional<LayerNormParams> ln = m->first_layer_norm();
    REQUIRE(ln);
    CHECK(ln->gamma(2) == 3.0f);
    CHECK(ln->beta(3) == -0.5f);
    CHECK(ln->eps == doctest::Approx(1e-5));
    CHECK(contains(ln->label, "inside block 0"));
    CHECK(contains(ln->label, "not to the input"));
    CHECK(m->tied_embeddings());
    CHECK(m->tokenizer() == nullptr);  // no files beside it, and 8 rows cannot serve GPT-2's ids
    CHECK(contains(m->label(), "added to the token rows at the input"));
    CHECK(m->size_bytes() == std::filesystem::file_size(dir / "model.safetensors"));
    const std::vector<TensorInfo> ts = m->tensors();
    REQUIRE(ts.size() >= 2);
    CHECK(ts[0].role == "token table");
    CHECK(ts[0].name == prefix + "wte.weight");
    CHECK(ts[0].shape == std::vector<int64_t>{8, 4});
    CHECK(ts[1].name == prefix + "wpe.weight");

    MatrixRM rows;
    const std::vector<int> ids = {5, 5, 0};
    m->gather_token_rows(ids, rows);
    REQUIRE(rows.rows() == 3);
    CHECK(rows(0, 1) == 5.0f + 1.0f / 10.0f);
    CHECK(rows.row(0) == rows.row(1));  // equal tokens, equal rows
    const std::vector<int> bad = {1, 8};
    CHECK_THROWS_WITH_AS(m->gather_token_rows(bad, rows), doctest::Contains("outside the vocabulary"), Error);
  }
}

TEST_CASE("a single .safetensors file opens by its path; config.json is read beside it") {
  TempDir dir;
  write_safetensors(dir / "weights.safetensors", gpt2_tensors(""));
  write_text(dir / "config.json", kGpt2Config);
  const std::unique_ptr<ModelSource> m = open_checkpoint(dir / "weights.safetensors");
  CHECK(m->family() == "gpt2");
  CHECK(m->num_heads() == 2);
  // A folder whose only weights file has another name also opens.
  CHECK(open_checkpoint(dir.path)->vocab_size() == 8);
}

TEST_CASE("F16 and BF16 token tables: exact values from their bit patterns, lazily converted") {
  // F16: 1, -2, 0.333251953125, 2^-24, 65504, 0.5.  BF16: 1, 3.140625, -123.5, 0, -1, 2.
  const std::vector<float> f16_expected = {1, -2, 0.333251953125f, std::ldexp(1.0f, -24), 65504, 0.5f};
  const std::vector<float> bf16_expected = {1, 3.140625f, -123.5f, 0, -1, 2};
  for (const bool bf : {false, true}) {
    CAPTURE(bf);
    TempDir dir;
    const SafetensorsDtype dt = bf ? SafetensorsDtype::BF16 : SafetensorsDtype::F16;
    const std::vector<uint16_t> bits = bf ? std::vector<uint16_t>{0x3f80, 0x4049, 0xc2f7, 0x0000, 0xbf80, 0x4000}
                                          : std::vector<uint16_t>{0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff, 0x3800};
    write_safetensors(dir / "model.safetensors",
                      {raw16("model.embed_tokens.weight", dt, {3, 2}, bits)});
    write_text(dir / "config.json", R"({"model_type": "llama", "hidden_size": 2, "num_attention_heads": 1})");
    const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
    CHECK(m->dtype() == (bf ? "BF16" : "F16"));
    const std::vector<float>& want = bf ? bf16_expected : f16_expected;
    // gather first (reads only the rows asked for), then the whole converted table
    MatrixRM rows;
    const std::vector<int> ids = {2, 0};
    m->gather_token_rows(ids, rows);
    CHECK(rows(0, 0) == want[4]);
    CHECK(rows(0, 1) == want[5]);
    CHECK(rows(1, 1) == want[1]);
    const TableMap e = m->token_table();
    for (int i = 0; i < 6; ++i) CHECK(e(i / 2, i % 2) == want[static_cast<std::size_t>(i)]);
    CHECK(m->token_table().data() == e.data());  // converted once, then reused
  }
}

TEST_CASE("sharded checkpoint: the token table may sit in any shard") {
  TempDir dir;
  std::vector<SafetensorsWriteTensor> t = gpt2_tensors("transformer.");
  write_safetensors(dir / "model-00001-of-00002.safetensors", {t[1], t[2], t[3]});
  write_safetensors(dir / "model-00002-of-00002.safetensors", {t[0], t[4]});
  write_text(dir / "config.json", kGpt2Config);
  const std::string index =
      R"({"metadata": {"total_size": 0}, "weight_map": {
          "transformer.wpe.weight": "model-00001-of-00002.safetensors",
          "transformer.h.0.ln_1.weight": "model-00001-of-00002.safetensors",
          "transformer.h.0.ln_1.bias": "model-00001-of-00002.safetensors",
          "transformer.wte.weight": "model-00002-of-00002.safetensors",
          "transformer.h.0.attn.c_attn.weight": "model-00002-of-00002.safetensors"}})";
  write_text(dir / "model.safetensors.index.json", index);
  const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
  CHECK(m->token_table()(7, 3) == 7.0f + 3.0f / 10.0f);
  CHECK((*m->position_table())(0, 0) == 100.0f);
  CHECK(m->first_layer_norm()->gamma(0) == 1.0f);
  CHECK(m->size_bytes() == std::filesystem::file_size(dir / "model-00001-of-00002.safetensors") +
                               std::filesystem::file_size(dir / "model-00002-of-00002.safetensors"));
  // The index file itself is also a valid path.
  CHECK(open_checkpoint(dir / "model.safetensors.index.json")->vocab_size() == 8);

  SUBCASE("an index that names a tensor's shard wrongly") {
    std::string wrong = index;
    const std::string from = R"("transformer.wte.weight": "model-00002)";
    wrong.replace(wrong.find(from), from.size(), R"("transformer.wte.weight": "model-00001)");
    write_text(dir / "model.safetensors.index.json", wrong);
    CHECK(contains(error_of([&] { open_checkpoint(dir.path); }), "puts tensor 'transformer.wte.weight'"));
  }
  SUBCASE("a missing shard") {
    std::filesystem::remove(dir / "model-00002-of-00002.safetensors");
    CHECK(contains(error_of([&] { open_checkpoint(dir.path); }), "is missing"));
  }
  SUBCASE("a shard name that leaves the folder") {
    write_text(dir / "model.safetensors.index.json", R"({"weight_map": {"a": "../x.safetensors"}})");
    CHECK(contains(error_of([&] { open_checkpoint(dir.path); }), "not a file name in the same folder"));
  }
}

TEST_CASE("BERT: token-type rows and embedding LayerNorm; both name variants") {
  for (const std::string prefix : {"bert.", ""}) {
    CAPTURE(prefix);
    TempDir dir;
    write_safetensors(dir / "model.safetensors",
                      {table(prefix + "embeddings.word_embeddings.weight", 10, 4),
                       table(prefix + "embeddings.position_embeddings.weight", 6, 4, 50),
                       table(prefix + "embeddings.token_type_embeddings.weight", 2, 4, 90),
                       vec(prefix + "embeddings.LayerNorm.weight", {1, 1, 2, 2}),
                       vec(prefix + "embeddings.LayerNorm.bias", {0, 0, 1, 1})});
    write_text(dir / "config.json",
               R"({"model_type": "bert", "hidden_size": 4, "max_position_embeddings": 6, "type_vocab_size": 2,
                   "num_attention_heads": 2, "layer_norm_eps": 1e-12, "vocab_size": 10})");
    const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
    CHECK(m->family() == "bert");
    CHECK(m->default_scheme().kind == "learned");
    CHECK(m->position_table()->rows() == 6);
    const std::optional<TableMap> tt = m->token_type_table();
    REQUIRE(tt);
    CHECK(tt->rows() == 2);
    CHECK((*tt)(1, 0) == 91.0f);
    const std::optional<LayerNormParams> ln = m->first_layer_norm();
    REQUIRE(ln);
    CHECK(ln->eps == doctest::Approx(1e-12));
    CHECK(ln->gamma(3) == 2.0f);
    CHECK(contains(ln->label, "token-type"));
    CHECK(contains(m->label(), "token-type row, then LayerNorm"));
    // BertEmbeddings: word + position + token-type (segment A = row 0), then LayerNorm.
    const std::vector<int> ids = {3, 7, 3};
    const InputEmbedding e = compute_input_embedding(*m, *make_model_scheme(*m), ids, &*ln);
    REQUIRE(e.token_type_row);
    for (int i = 0; i < 3; ++i) {
      const RowVectorF ref = m->token_table().row(ids[i]) + m->position_table()->row(i) + tt->row(0);
      CHECK(e.combined.row(i).isApprox(ref));
    }
    CHECK(e.normed->row(0).isApprox(layer_norm_rows(e.combined, *ln).row(0)));
  }
}

TEST_CASE("RoPE families: base, rotary fraction, half-split pairs, head width, nothing added at the input") {
  struct Case {
    const char* config;
    const char* token_name;
    const char* extra;  // another tensor in the file, "" for none
    double base;
    double fraction;
    int head_dim;
    bool tied;
    const char* family;
  };
  const Case cases[] = {
      {R"({"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "rope_theta": 500000.0})",
       "model.embed_tokens.weight", "lm_head.weight", 500000, 1.0, 4, false, "llama"},
      {R"({"model_type": "mistral", "hidden_size": 8, "num_attention_heads": 4})", "model.embed_tokens.weight", "",
       10000, 1.0, 2, false, "mistral"},
      {R"({"model_type": "qwen2", "hidden_size": 8, "num_attention_heads": 2, "rope_theta": 1000000.0,
           "tie_word_embeddings": true})",
       "model.embed_tokens.weight", "", 1000000, 1.0, 4, true, "qwen2"},
      {R"({"model_type": "gpt_neox", "hidden_size": 8, "num_attention_heads": 2, "rotary_pct": 0.25,
           "rotary_emb_base": 10000})",
       "gpt_neox.embed_in.weight", "embed_out.weight", 10000, 0.25, 4, false, "gpt_neox"},
      {R"({"model_type": "gpt_neox", "hidden_size": 8, "num_attention_heads": 1, "partial_rotary_factor": 0.5,
           "rope_theta": 20000})",
       "gpt_neox.embed_in.weight", "", 20000, 0.5, 8, false, "gpt_neox"},
      {R"({"model_type": "gpt_neox", "hidden_size": 8, "num_attention_heads": 2})", "gpt_neox.embed_in.weight", "",
       10000, 0.25, 4, false, "gpt_neox"},  // GPT-NeoX default: a quarter of each head
      {R"({"model_type": "falcon", "hidden_size": 8, "num_attention_heads": 2, "alibi": false})",
       "transformer.word_embeddings.weight", "", 10000, 1.0, 4, true, "falcon"},
      {R"({"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "head_dim": 2})",
       "model.embed_tokens.weight", "", 10000, 1.0, 2, false, "llama"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.config);
    TempDir dir;
    std::vector<SafetensorsWriteTensor> ts = {table(c.token_name, 5, 8)};
    if (*c.extra) ts.push_back(table(c.extra, 5, 8));
    write_safetensors(dir / "model.safetensors", ts);
    write_text(dir / "config.json", c.config);
    const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
    CHECK(m->family() == c.family);
    const SchemeParams s = m->default_scheme();
    CHECK(s.kind == "rope");
    CHECK(s.base == doctest::Approx(c.base));
    CHECK(s.rotary_fraction == doctest::Approx(c.fraction));
    CHECK(s.pairs == RopePairs::HalfSplit);
    CHECK(s.head_dim == c.head_dim);
    CHECK(m->tied_embeddings() == c.tied);
    CHECK_FALSE(m->position_table());
    CHECK(contains(m->label(), "no positions added at the input"));
    const std::vector<TensorInfo> ts_info = m->tensors();
    REQUIRE(ts_info.size() >= 2);
    CHECK(ts_info[1].role == "position table");
    CHECK(contains(ts_info[1].name, "RoPE rotates q and k"));
  }
}

TEST_CASE("ALiBi families: BLOOM (with its embedding LayerNorm) and Falcon with alibi: true") {
  for (const std::string prefix : {"", "transformer."}) {
    TempDir dir;
    write_safetensors(dir / "model.safetensors",
                      {table(prefix + "word_embeddings.weight", 7, 6), vec(prefix + "word_embeddings_layernorm.weight", {1, 2, 3, 4, 5, 6}),
                       vec(prefix + "word_embeddings_layernorm.bias", {0, 0, 0, 0, 0, 1})});
    write_text(dir / "config.json", R"({"model_type": "bloom", "n_embed": 6, "n_head": 6, "layer_norm_epsilon": 1e-5})");
    const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
    CHECK(m->family() == "bloom");
    const SchemeParams s = m->default_scheme();
    CHECK(s.kind == "alibi");
    CHECK(s.heads == 6);
    CHECK(m->num_heads() == 6);
    const std::optional<LayerNormParams> ln = m->first_layer_norm();
    REQUIRE(ln);
    CHECK(ln->gamma(5) == 6.0f);
    CHECK(ln->beta(5) == 1.0f);
    CHECK(contains(ln->label, "right after the lookup"));
    CHECK(contains(m->label(), "ALiBi"));
    CHECK_FALSE(m->position_table());
  }
  TempDir dir;
  write_safetensors(dir / "model.safetensors", {table("transformer.word_embeddings.weight", 7, 8)});
  write_text(dir / "config.json", R"({"model_type": "falcon", "hidden_size": 8, "num_attention_heads": 12, "alibi": true})");
  const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
  CHECK(m->default_scheme().kind == "alibi");
  CHECK(m->default_scheme().heads == 12);
}

TEST_CASE("T5: bucket settings from config.json and layer-0 bucket biases") {
  TempDir dir;
  write_safetensors(dir / "model.safetensors",
                    {table("shared.weight", 9, 4), table("encoder.embed_tokens.weight", 9, 4),
                     table("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", 16, 3, -8)});
  write_text(dir / "config.json",
             R"({"model_type": "t5", "d_model": 4, "num_heads": 3, "relative_attention_num_buckets": 16,
                 "relative_attention_max_distance": 64, "vocab_size": 9})");
  const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
  CHECK(m->family() == "t5");
  const SchemeParams s = m->default_scheme();
  CHECK(s.kind == "t5");
  CHECK(s.buckets == 16);
  CHECK(s.max_distance == 64);
  CHECK(s.heads == 3);
  CHECK_FALSE(s.causal);  // the encoder's buckets are bidirectional
  const std::optional<MatrixRM> bias = m->scheme_data().bucket_bias;
  REQUIRE(bias);
  CHECK(bias->rows() == 16);
  CHECK(bias->cols() == 3);
  CHECK((*bias)(15, 2) == -8.0f + 15.0f + 2.0f / 10.0f);
  CHECK(contains(m->label(), "no positions added at the input: T5 relative bias adds a bias to the attention logits"));
  bool listed = false;
  for (const TensorInfo& t : m->tensors()) listed |= t.name == "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";
  CHECK(listed);

  SUBCASE("defaults when config.json omits the bucket keys") {
    write_safetensors(dir / "model.safetensors", {table("shared.weight", 9, 4)});
    write_text(dir / "config.json", R"({"model_type": "t5", "d_model": 4, "num_heads": 8})");
    const SchemeParams d = open_checkpoint(dir.path)->default_scheme();
    CHECK(d.buckets == 32);
    CHECK(d.max_distance == 128);
    CHECK(d.heads == 8);
  }
  SUBCASE("a bias whose rows disagree with the bucket count") {
    write_text(dir / "config.json", R"({"model_type": "t5", "d_model": 4, "num_heads": 3})");
    CHECK(contains(error_of([&] { open_checkpoint(dir.path); }), "32 buckets"));
  }
}

TEST_CASE("no config.json: the family is guessed from tensor names and the label says so") {
  TempDir dir;
  write_safetensors(dir / "model.safetensors", gpt2_tensors("transformer."));
  const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
  CHECK(m->family() == "gpt2");
  CHECK(contains(m->label(), "no config.json"));
  CHECK(m->default_scheme().kind == "learned");
}

TEST_CASE("config.json parsing: keys, types and ranges") {
  const ModelConfig c = parse_model_config(
      R"({"model_type": "gpt_neox", "hidden_size": 512, "num_attention_heads": 8, "rotary_pct": 0.25,
          "rotary_emb_base": 10000, "max_position_embeddings": 2048, "tie_word_embeddings": false,
          "layer_norm_eps": 1e-5, "vocab_size": 50304, "rope_scaling": null})",
      "c.json");
  CHECK(c.family == "gpt_neox");
  CHECK(c.hidden == 512);
  CHECK(c.heads == 8);
  CHECK(c.max_positions == 2048);
  CHECK(c.vocab == 50304);
  CHECK(*c.rotary_fraction == 0.25);
  CHECK(*c.rope_theta == 10000);
  CHECK(*c.tie_word_embeddings == false);
  CHECK(contains(error_of([] { parse_model_config("{", "c.json"); }), "not valid JSON"));
  CHECK(contains(error_of([] { parse_model_config("[]", "c.json"); }), "not an object"));
  CHECK(contains(error_of([] { parse_model_config(R"({"hidden_size": -4})", "c.json"); }), "out of range"));
  CHECK(contains(error_of([] { parse_model_config(R"({"hidden_size": "big"})", "c.json"); }), "not a non-negative integer"));
  CHECK(contains(error_of([] { parse_model_config(R"({"rope_theta": 0})", "c.json"); }), "positive"));
  CHECK(contains(error_of([] { parse_model_config(R"({"rotary_pct": 1.5})", "c.json"); }), "(0, 1]"));
  CHECK(contains(error_of([] { parse_model_config(R"({"alibi": "yes"})", "c.json"); }), "true or false"));
  CHECK(contains(error_of([] { parse_model_config(R"({"relative_attention_num_buckets": 1})", "c.json"); }), "at least 2"));
}
