// The training lab around the model: data, batches, the optimiser, checkpoints that the
// viewer opens, evaluation.
#include "model_source.h"
#include "open_model.h"
#include "test_errors.h"
#include "trainer.h"
#include "types.h"

#include <doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using es::testing::error_of;
using namespace es::train;

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path p = fs::path(ES_TEST_BINARY_DIR) / ("train_lab_" + name);
  fs::remove_all(p);
  return p;
}

TrainOptions small(const std::string& scheme) {
  TrainOptions o;
  o.model.scheme = scheme;
  o.model.layers = 1;
  o.model.heads = 2;
  o.model.dim = 16;
  o.model.context = 8;
  o.batch = 4;
  o.steps = 5;
  o.threads = 1;
  return o;
}

std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> w;
  for (std::string x; in >> x;) w.push_back(x);
  return w;
}

}  // namespace

TEST_CASE("the toy language keeps its agreements; the sorting task sorts") {
  const std::vector<std::string> w = words_of(toy_text(3000, 4));
  int checked = 0;
  for (std::size_t i = 0; i + 4 < w.size(); ++i) {
    // "the man saw his cup . he was happy": the possessive and the pronoun follow the person.
    const std::string cls = toy_word_class(w[i + 1]);
    if (w[i] == "the" && (cls == "male" || cls == "female") && toy_word_class(w[i + 2]) == "past verb") {
      CHECK(w[i + 3] == (cls == "male" ? "his" : "her"));
      CHECK(w[i + 6] == (cls == "male" ? "he" : "she"));
      ++checked;
    }
    // plural subjects take the plain verb, never "has"
    if (toy_word_class(w[i]) == "plural subject") CHECK(w[i + 1] != "has");
    // colours come before nouns, never last in a sentence
    if (i > 0 && toy_word_class(w[i]) == "colour" && w[i - 1] != "is") CHECK(toy_word_class(w[i + 1]) != "");
  }
  CHECK(checked > 100);
  const std::vector<std::string> all = toy_words();
  const std::set<std::string> vocab(all.begin(), all.end());
  for (const auto& x : w) {
    CAPTURE(x);
    CHECK(vocab.count(x) == 1);
  }
  CHECK(toy_text(50, 1) == toy_text(50, 1));
  CHECK(toy_text(50, 1) != toy_text(50, 2));

  std::istringstream lines(sort_text(200, 9));
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    const auto colon = line.find(':');
    REQUIRE(colon != std::string::npos);
    std::string left = line.substr(0, colon), right = line.substr(colon + 1);
    CHECK(left.size() >= 4);
    CHECK(left.size() <= 8);
    std::sort(left.begin(), left.end());
    CHECK(left == right);
  }
  CHECK(n == 200);
}

TEST_CASE("corpora: tokenizers, sizes and bad files") {
  const Corpus toy = load_corpus("toy", "", 1, 5000);
  CHECK(toy.tokenizer == "classroom");
  CHECK(toy.vocab == static_cast<int>(toy_words().size()));
  CHECK(toy.ids.size() >= 5000);
  const Corpus sort = load_corpus("sort", "", 1, 3000);
  CHECK(sort.tokenizer == "bytes");
  CHECK(sort.vocab == 256);
  const std::string head = sort_text(3, 1);
  for (std::size_t i = 0; i < head.size(); ++i) CHECK(sort.ids[i] == static_cast<unsigned char>(head[i]));
  const fs::path dir = temp_dir("files");
  fs::create_directories(dir);
  std::ofstream(dir / "t.txt") << "héllo wörld";
  const Corpus bytes = load_corpus((dir / "t.txt").string(), "bytes", 1, 0);
  CHECK(bytes.ids.size() == std::string("héllo wörld").size());
  CHECK(bytes.ids[1] == 0xC3);
  std::ofstream(dir / "empty.txt");
  CHECK(error_of([&] { load_corpus((dir / "empty.txt").string(), "bytes", 1, 0); }).find("is empty") != std::string::npos);
  CHECK(error_of([&] { load_corpus((dir / "nope.txt").string(), "bytes", 1, 0); }).find("no such file") != std::string::npos);
  CHECK(error_of([&] { load_corpus(dir.string(), "bytes", 1, 0); }).find("is a folder") != std::string::npos);
  CHECK(error_of([&] { load_corpus("toy", "morse", 1, 0); }).find("gpt2, classroom or bytes") != std::string::npos);
}

TEST_CASE("batches: sequential order is windows kB .. kB+B-1, shuffled visits every window once per epoch") {
  TrainOptions o = small("learned");
  o.batch_order = "sequential";
  Trainer t(o, load_corpus("toy", "", 1, 2000));
  const long long W = t.windows();
  CHECK(W == (static_cast<long long>(t.corpus().ids.size()) - 1) / 8);
  CHECK(t.batch_windows(0) == std::vector<long long>{0, 1, 2, 3});
  CHECK(t.batch_windows(3) == std::vector<long long>{12, 13, 14, 15});
  const long long last = (W - 1) / 4;  // wraps around
  CHECK(t.batch_windows(last + 1)[0] == ((last + 1) * 4) % W);
  o.batch_order = "shuffled";
  Trainer s(o, load_corpus("toy", "", 1, 2000));
  std::set<long long> seen;
  for (long long k = 0; k < W / 4; ++k)
    for (long long w : s.batch_windows(k)) CHECK(seen.insert(w).second);
  CHECK(static_cast<long long>(seen.size()) == W / 4 * 4);
}

TEST_CASE("AdamW's first step is lr * sign(g) after decoupled weight decay; SGD is p - lr g") {
  TrainOptions o = small("alibi");
  o.clip = 0;
  o.lr = 0.01;
  o.weight_decay = 0.1;
  o.schedule = "constant";
  Trainer t(o, load_corpus("toy", "", 1, 2000));
  const std::vector<float> before = t.model().params();
  t.step();
  const std::vector<float>& g = t.model().grads();
  const std::vector<float>& after = t.model().params();
  for (const auto& slot : t.model().tensors())
    for (std::size_t i = slot.offset; i < slot.offset + slot.size; i += 7) {
      // m = (1 - b1) g, v = (1 - b2) g^2, bias-corrected: mhat = g, vhat = g^2.
      const double decayed = before[i] * (1 - (slot.decay ? o.lr * o.weight_decay : 0.0));
      const double expect = decayed - o.lr * g[i] / (std::abs(double(g[i])) + o.eps);
      // m and v are stored in float: the step is lr to ~1e-7 relative.
      CHECK(std::abs(after[i] - expect) < 1e-6 * o.lr + 1e-6 * std::abs(expect));
    }
  o.optimizer = "sgd";
  Trainer s(o, load_corpus("toy", "", 1, 2000));
  const std::vector<float> b2 = s.model().params();
  s.step();
  for (std::size_t i = 0; i < b2.size(); i += 5)
    CHECK(s.model().params()[i] == doctest::Approx(b2[i] - o.lr * s.model().grads()[i]).epsilon(1e-6).scale(1e-7));
}

TEST_CASE("training lowers the loss, is deterministic, and the schedule ends at lr / 10") {
  TrainOptions o = small("rope");
  o.steps = 60;
  o.lr = 3e-3;
  Trainer a(o, load_corpus("toy", "", 1, 5000)), b(o, load_corpus("toy", "", 1, 5000));
  double first = 0, last = 0;
  for (int s = 0; s < 60; ++s) {
    const StepInfo x = a.step();
    b.step();
    if (s < 5) first += x.loss / 5;
    if (s >= 55) last += x.loss / 5;
  }
  CHECK(last < first - 0.5);
  CHECK(a.model().params() == b.model().params());
  CHECK(a.lr_at(0) == doctest::Approx(3e-3));
  CHECK(a.lr_at(59) == doctest::Approx(3e-4));
  o.threads = 2;  // another thread count: same maths, sums in another order
  Trainer c(o, load_corpus("toy", "", 1, 5000));
  for (int s = 0; s < 60; ++s) c.step();
  CHECK(c.log().back().loss == doctest::Approx(a.log().back().loss).epsilon(1e-3));
}

TEST_CASE("a saved checkpoint opens in the viewer with its scheme, tables and tokenizer") {
  for (const std::string scheme : {"learned", "rope", "t5", "alibi", "sinusoidal", "none", "transformer-xl"}) {
    CAPTURE(scheme);
    TrainOptions o = small(scheme);
    o.steps = 0;  // the initial weights
    Trainer t(o, load_corpus("toy", "", 1, 2000));
    const fs::path dir = temp_dir(scheme);
    t.save(dir);
    CHECK(fs::exists(dir / "train_log.csv"));
    const std::unique_ptr<es::ModelSource> m = es::open_model(dir.string());
    CHECK(m->family() == "gpt2");
    CHECK(m->default_scheme().kind == scheme);
    CHECK(m->vocab_size() == t.corpus().vocab);
    const es::TableMap E = m->token_table();
    const auto& slot = t.model().slot("wte.weight");
    for (std::size_t i = 0; i < slot.size; i += 13)
      CHECK(E.data()[i] == t.model().params()[slot.offset + i]);
    REQUIRE(m->tokenizer());
    CHECK(m->tokenizer()->encode("the cat saw his red ball") == t.corpus().tok->encode("the cat saw his red ball"));
    if (scheme == "learned") CHECK(m->position_table().has_value());
    if (scheme == "t5") CHECK(m->scheme_data().bucket_bias_causal.has_value());
    LoadedModel back = load_trained(dir);
    CHECK(back.model.params() == t.model().params());
    CHECK(back.tokenizer == "classroom");
  }
  // bytes: vocab.json + merges.txt without merges; ids are the byte values
  TrainOptions o = small("none");
  o.steps = 0;
  Trainer t(o, load_corpus("sort", "", 1, 2000));
  const fs::path dir = temp_dir("bytes");
  t.save(dir);
  const std::unique_ptr<es::ModelSource> m = es::open_model(dir.string());
  REQUIRE(m->tokenizer());
  const std::string text = "dcba:abcd\n";
  const std::vector<int> ids = m->tokenizer()->encode(text);
  REQUIRE(ids.size() == text.size());
  for (std::size_t i = 0; i < text.size(); ++i) CHECK(ids[i] == static_cast<unsigned char>(text[i]));
}

TEST_CASE("evaluate: mean cross-entropy over non-overlapping windows; a learned table refuses longer ones") {
  TrainOptions o = small("alibi");
  Trainer t(o, load_corpus("toy", "", 1, 2000));
  const std::vector<int> ids(t.corpus().ids.begin(), t.corpus().ids.begin() + 100);
  // By hand: windows of 10 (10 of them), each predicting its 9 next tokens.
  double total = 0;
  for (int w = 0; w < 10; ++w) {
    std::vector<int> in(ids.begin() + w * 10, ids.begin() + w * 10 + 10), tgt(10, -1);
    for (int k = 0; k < 9; ++k) tgt[k] = ids[w * 10 + k + 1];
    total += t.model().step(in.data(), tgt.data(), 1, 10, false);
  }
  CHECK(evaluate(t.model(), ids, 10, 3) == doctest::Approx(total / 10).epsilon(1e-6));
  Trainer l(small("learned"), load_corpus("toy", "", 1, 2000));
  CHECK(error_of([&] { evaluate(l.model(), ids, 9); }).find("learned position table has 8 rows") != std::string::npos);
  CHECK(error_of([&] { evaluate(t.model(), std::vector<int>(ids.begin(), ids.begin() + 5), 10); }).find("fewer than one window") != std::string::npos);
}

TEST_CASE("bad options get clear errors") {
  TrainOptions o = small("learned");
  o.optimizer = "adam";
  CHECK(error_of([&] { validate(o); }).find("adamw or sgd") != std::string::npos);
  o = small("learned");
  o.batch_order = "random";
  CHECK(error_of([&] { validate(o); }).find("shuffled or sequential") != std::string::npos);
  o = small("learned");
  const fs::path dir = temp_dir("short");
  fs::create_directories(dir);
  std::ofstream(dir / "short.txt") << "short";  // 5 tokens: no window of context 8 + 1
  CHECK(error_of([&] { Trainer t(o, load_corpus((dir / "short.txt").string(), "bytes", 1, 0)); }).find("fewer than one window") !=
        std::string::npos);
}
