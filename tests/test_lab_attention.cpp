// Block 0 of a checkpoint trained in the lab, as `embedscope-cli attention` and `repeats` show
// it, against PyTorch: tests/data/train/make_train_fixtures.py writes every scheme's block-0
// logits from its own formulas; here the same weights go into a lab checkpoint folder
// (model.safetensors and config.json as Trainer::save writes them), which is opened and analysed.
#include "test_checkpoint_helpers.h"

#include "checkpoint.h"
#include "file_text.h"
#include "gpt.h"
#include "pipeline.h"
#include "position/trainable.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

using namespace es;
using namespace es::testing;

TEST_CASE("block-0 logits of a lab checkpoint equal the model's own forward pass, for every scheme") {
  const nlohmann::json ref = nlohmann::json::parse(
      read_small_file(std::string(ES_TEST_DATA_DIR) + "/train/gpt_reference.json", "the PyTorch reference", 1 << 22));
  const int T = ref["length"];
  const std::vector<int> all = ref["inputs"].get<std::vector<int>>();
  const std::vector<int> ids(all.begin(), all.begin() + T);  // sequence 0
  for (const auto& item : ref["schemes"].items()) {
    const std::string scheme = item.key();
    const auto& r = item.value();
    CAPTURE(scheme);
    train::GptConfig c;
    c.vocab = ref["vocab"];
    c.layers = ref["layers"];
    c.heads = ref["heads"];
    c.dim = ref["dim"];
    c.context = ref["context"];
    c.scheme = scheme;
    const SchemeInfo& info = scheme_info(scheme);
    for (const auto& kv : r["params"].items()) {
      const std::string key = kv.key();
      const auto spec = std::find_if(info.params.begin(), info.params.end(), [&](const ParamSpec& p) { return key == p.cli; });
      REQUIRE(spec != info.params.end());
      set_param(c.position, *spec, kv.value().get<double>());
    }
    const train::Gpt<float> m(c);
    std::vector<SafetensorsWriteTensor> tensors;
    for (std::size_t s = 0; s < m.tensors().size(); ++s) {
      const auto& slot = m.tensors()[s];
      double offset = 0;
      for (const auto& o : ref["offsets"].items())
        if (slot.name.ends_with(o.key())) offset = o.value().get<double>();
      std::vector<float> v(slot.size);
      for (std::size_t k = 0; k < slot.size; ++k)
        v[k] = static_cast<float>(offset + 0.3 * std::sin(0.7 * double(k) + 1.3 * double(s)) +
                                  0.05 * std::cos(0.11 * double(k) * double(k) + double(s)));
      tensors.push_back(make_write_tensor(slot.name, SafetensorsDtype::F32, slot.shape, v));
    }
    nlohmann::json config = {{"model_type", "gpt2"},        {"vocab_size", c.vocab}, {"n_embd", c.dim},
                             {"n_head", c.heads},           {"n_layer", c.layers},   {"n_positions", c.context},
                             {"layer_norm_epsilon", 1e-5},  {"embedscope_position_scheme", scheme},
                             {"embedscope_token_scale", m.token_scale()}};  // as Trainer::save writes it
    SchemeParams sp = c.position;
    sp.kind = scheme;
    write_train_config(sp, config);
    TempDir dir;
    write_safetensors(dir / "model.safetensors", tensors);
    write_text(dir / "config.json", config.dump());
    std::shared_ptr<const ModelSource> model = open_checkpoint(dir.path);
    REQUIRE(model->default_scheme().kind == scheme);
    AnalysisInput in;
    in.ids = ids;
    const std::shared_ptr<const Analysis> a = analyse(model, in);
    CAPTURE(a->block0_note());
    const Block0Attention* b = a->block0();
    REQUIRE(b);
    const nlohmann::json& want = r["block0_logits"];
    REQUIRE(b->logits.size() == want.size());
    double worst = 0;
    for (std::size_t h = 0; h < want.size(); ++h)
      for (int i = 0; i < T; ++i)
        for (int j = 0; j < T; ++j) {
          const float got = b->logits[h](i, j);
          if (want[h][i][j].is_null()) CHECK(std::isnan(got));
          else worst = std::max(worst, std::fabs(double(got) - want[h][i][j].get<double>()));
        }
    CHECK(worst < 2e-5);  // float32 checkpoint and pipeline against float64 PyTorch
    // The repeated id (positions 1 and 2) shares keys 0 and 1: the spread the Repeats view
    // reports is the model's own.
    const std::optional<double> spread = a->block0_pair_spread(1, 2);
    REQUIRE(spread);
    double ref_spread = 0;
    for (std::size_t h = 0; h < want.size(); ++h) {
      const double d0 = want[h][2][0].get<double>() - want[h][1][0].get<double>();
      const double d1 = want[h][2][1].get<double>() - want[h][1][1].get<double>();
      ref_spread = std::max(ref_spread, std::fabs(d1 - d0));
    }
    CHECK(*spread == doctest::Approx(ref_spread).epsilon(1e-3).scale(1e-5));
  }
}
