// The training lab's model: every gradient against central finite differences, for every
// scheme, in double; the forward pass against an independent re-computation of GPT-2's block.
#include "gpt.h"
#include "test_errors.h"
#include "file_text.h"
#include "types.h"

#include <nlohmann/json.hpp>

#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using es::train::Gpt;
using es::train::GptConfig;
using es::testing::error_of;

namespace {

GptConfig tiny(const std::string& scheme) {
  GptConfig c;
  c.vocab = 7;
  c.layers = 2;
  c.heads = 2;
  c.dim = 8;
  c.context = 6;
  c.scheme = scheme;
  c.position.buckets = 8;
  c.position.max_distance = 16;
  return c;
}

// Every parameter moved off its initial value (unit gains and zero biases hide mistakes).
void scramble(Gpt<double>& m, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> nd(0.0, 0.3);
  for (double& p : m.params()) p += nd(g);
}

}  // namespace

TEST_CASE("gradients agree with central finite differences for every scheme") {
  // Every parameter of every scheme against central differences, on one thread; the two-thread
  // run (the batch split between workers) must give the same loss and gradient to rounding.
  const std::vector<int> in = {1, 4, 4, 2, 6, 0, 3, 3, 5, 1};
  const std::vector<int> tgt = {4, 4, 2, 6, -1, 3, 3, 5, 1, 2};  // one unscored position
  for (const std::string& scheme : es::train::trainable_schemes()) {
    CAPTURE(scheme);
    Gpt<double> m(tiny(scheme));
    m.init(11);
    scramble(m, 5);
    m.set_threads(1);
    const double loss = m.step(in.data(), tgt.data(), 2, 5, true);
    CHECK(std::isfinite(loss));
    const std::vector<double> grad = m.grads();
    double worst = 0;
    std::size_t checked = 0;
    for (const auto& slot : m.tensors()) {
      for (std::size_t i = 0; i < slot.size; ++i) {
        double& p = m.params()[slot.offset + i];
        const double keep = p, h = 1e-5;
        p = keep + h;
        const double up = m.step(in.data(), tgt.data(), 2, 5, false);
        p = keep - h;
        const double down = m.step(in.data(), tgt.data(), 2, 5, false);
        p = keep;
        const double fd = (up - down) / (2 * h);
        const double g = grad[slot.offset + i];
        const double err = std::abs(fd - g) / std::max(1e-3, std::abs(fd) + std::abs(g));
        if (err > worst) worst = err;
        if (err > 1e-5) {
          CAPTURE(slot.name);
          CAPTURE(i);
          CHECK(g == doctest::Approx(fd).epsilon(1e-5));
        }
        ++checked;
      }
    }
    CHECK(checked == m.params().size());
    CHECK(worst < 1e-5);

    Gpt<double> two(tiny(scheme));
    two.init(11);
    scramble(two, 5);
    two.set_threads(2);
    CHECK(two.step(in.data(), tgt.data(), 2, 5, true) == doctest::Approx(loss).epsilon(1e-12));
    const std::vector<double> grad2 = two.grads();
    REQUIRE(grad2.size() == grad.size());
    double apart = 0;
    for (std::size_t i = 0; i < grad.size(); ++i)
      apart = std::max(apart, std::abs(grad2[i] - grad[i]) / std::max(1e-8, std::abs(grad[i])));
    CHECK(apart < 1e-9);
  }
}

TEST_CASE("the scheme decides what is trained and where position enters") {
  CHECK_NOTHROW(Gpt<float>(tiny("learned")).slot("wpe.weight"));
  CHECK_THROWS(Gpt<float>(tiny("rope")).slot("wpe.weight"));
  Gpt<float> with_t5(tiny("t5"));
  CHECK(with_t5.slot("h.0.attn.relative_attention_bias.weight").shape == std::vector<int64_t>{8, 2});
  // Without position information one causal layer sees the earlier tokens as a set: swapping
  // the first two cannot change what the last position predicts. (Two layers can tell: the
  // mask makes the first position's state differ.)
  GptConfig one = tiny("none");
  one.layers = 1;
  Gpt<double> none(one);
  scramble(none, 3);
  std::vector<int> a = {1, 2, 3}, b = {2, 1, 3}, t = {-1, -1, 4};
  CHECK(none.step(a.data(), t.data(), 1, 3, false) == doctest::Approx(none.step(b.data(), t.data(), 1, 3, false)).epsilon(1e-12));
  // With learned positions it can.
  one.scheme = "learned";
  Gpt<double> learned(one);
  scramble(learned, 3);
  CHECK(std::abs(learned.step(a.data(), t.data(), 1, 3, false) - learned.step(b.data(), t.data(), 1, 3, false)) > 1e-6);
}

TEST_CASE("lengths past a learned table are refused; the formula schemes extrapolate") {
  std::vector<int> ids(2 * 9, 1), tgt(2 * 9, 2);
  Gpt<float> learned(tiny("learned"));
  CHECK(error_of([&] { learned.step(ids.data(), tgt.data(), 2, 9, false); }).find("table has 6 rows") != std::string::npos);
  for (const char* s : {"none", "sinusoidal", "rope", "alibi", "t5", "transformer-xl"}) {
    Gpt<float> m(tiny(s));
    CHECK(std::isfinite(m.step(ids.data(), tgt.data(), 2, 9, false)));
  }
}

TEST_CASE("bad sizes and ids get clear errors") {
  GptConfig c = tiny("rope");
  c.dim = 6;
  c.heads = 2;  // head width 3: odd
  CHECK(error_of([&] { Gpt<float> m(c); }).find("must be even") != std::string::npos);
  c = tiny("learned");
  c.dim = 10;
  c.heads = 4;
  CHECK(error_of([&] { Gpt<float> m(c); }).find("multiple of heads") != std::string::npos);
  c = tiny("xl");
  CHECK(error_of([&] { Gpt<float> m(c); }).find("runs the schemes") != std::string::npos);
  Gpt<float> m(tiny("learned"));
  std::vector<int> ids = {1, 9}, t = {2, 3};
  CHECK(error_of([&] { m.step(ids.data(), t.data(), 1, 2, false); }).find("outside the vocabulary") != std::string::npos);
}

TEST_CASE("an untrained model predicts close to uniformly; float and double agree") {
  GptConfig c = tiny("alibi");
  c.vocab = 50;
  Gpt<float> f(c);
  Gpt<double> d(c);
  f.init(7);
  d.init(7);
  std::vector<int> ids(12), tgt(12);
  for (int i = 0; i < 12; ++i) ids[i] = (i * 7) % 50, tgt[i] = (i * 11 + 3) % 50;
  const double lf = f.step(ids.data(), tgt.data(), 2, 6, true), ld = d.step(ids.data(), tgt.data(), 2, 6, true);
  CHECK(ld == doctest::Approx(std::log(50.0)).epsilon(0.02));  // N(0, 0.02) weights: near-uniform logits
  CHECK(lf == doctest::Approx(ld).epsilon(1e-5));
  for (std::size_t i = 0; i < d.grads().size(); ++i) CHECK(f.grads()[i] == doctest::Approx(d.grads()[i]).epsilon(1e-3).scale(1e-6));
}

TEST_CASE("loss and gradients equal PyTorch's for every scheme (tests/data/train/gpt_reference.json)") {
  const std::string text = es::read_small_file(std::string(ES_TEST_DATA_DIR) + "/train/gpt_reference.json", "the PyTorch reference", 1 << 22);
  const auto ref = nlohmann::json::parse(text);
  const std::vector<int> in = ref["inputs"].get<std::vector<int>>(), tgt = ref["targets"].get<std::vector<int>>();
  for (const auto& item : ref["schemes"].items()) {  // (clang 14 cannot capture a structured binding)
    const std::string scheme = item.key();
    const auto& r = item.value();
    CAPTURE(scheme);
    GptConfig c;
    c.vocab = ref["vocab"];
    c.layers = ref["layers"];
    c.heads = ref["heads"];
    c.dim = ref["dim"];
    c.context = ref["context"];
    c.scheme = scheme;
    for (const auto& kv : r["params"].items()) {  // the scheme's own settings, by their CLI names
      const es::SchemeInfo& info = es::scheme_info(scheme);
      const std::string key = kv.key();
      const auto spec = std::find_if(info.params.begin(), info.params.end(), [&](const es::ParamSpec& p) { return key == p.cli; });
      REQUIRE(spec != info.params.end());
      es::set_param(c.position, *spec, kv.value().get<double>());
    }
    Gpt<double> m(c);
    const auto names = r["tensors"].get<std::vector<std::string>>();
    REQUIRE(names.size() == m.tensors().size());
    for (std::size_t s = 0; s < names.size(); ++s) {
      const auto& slot = m.tensors()[s];
      REQUIRE(slot.name == names[s]);
      double offset = 0;
      for (const auto& [suffix, o] : ref["offsets"].items())
        if (slot.name.ends_with(suffix)) offset = o.get<double>();
      for (std::size_t k = 0; k < slot.size; ++k)
        m.params()[slot.offset + k] = offset + 0.3 * std::sin(0.7 * double(k) + 1.3 * double(s)) +
                                      0.05 * std::cos(0.11 * double(k) * double(k) + double(s));
    }
    const double loss = m.step(in.data(), tgt.data(), ref["batch"], ref["length"], true);
    // Every scheme computes its tables in the model's scalar type (double here).
    const double tol = 1e-10;
    CHECK(loss == doctest::Approx(r["loss"].get<double>()).epsilon(tol));
    double worst = 0;
    for (const auto& slot : m.tensors()) {
      const auto g = r["grads"][slot.name].get<std::vector<double>>();
      REQUIRE(g.size() == slot.size);
      for (std::size_t k = 0; k < slot.size; ++k) worst = std::max(worst, std::abs(m.grads()[slot.offset + k] - g[k]));
    }
    CHECK(worst < 10 * tol);
  }
}
