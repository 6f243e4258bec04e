// Built-in models, the input embedding, LayerNorm, repeated tokens and weight counts.
#include <doctest.h>

#include "analysis.h"
#include "open_model.h"
#include "bpe_tokenizer.h"
#include "embedding.h"
#include "model_source.h"
#include "repeats.h"

#include <algorithm>
#include <cmath>

using namespace es;

namespace {
std::vector<int> classroom_ids(const ModelSource& m, const char* text) {
  return m.tokenizer()->encode(text);
}
}  // namespace

TEST_CASE("SeededNormal: reproducible N(0, 1)") {
  SeededNormal a(7), b(7), c(8);
  double sum = 0, sum2 = 0;
  const int n = 400000;
  bool differs = false, same = true;
  for (int i = 0; i < n; ++i) {
    const double x = a.next();
    same &= x == b.next();
    differs |= x != c.next();
    sum += x;
    sum2 += x * x;
  }
  CHECK_MESSAGE(same, "the same seed must give the same stream");
  CHECK(differs);
  CHECK(std::fabs(sum / n) < 0.01);            // standard error 0.0016
  CHECK(std::fabs(sum2 / n - 1.0) < 0.01);     // standard error 0.0022
}

TEST_CASE("SeededNormal: the same numbers on every platform (golden values)") {
  // Written by an independent Python implementation of splitmix64 seeding, xoshiro256** and
  // Box-Muller (cos then sin); std::normal_distribution would differ between libraries.
  SeededNormal b(1234);
  CHECK(b.next_u64() == 840842556444225107ULL);
  SeededNormal a(42);
  const double golden[] = {-1.6132237513849157, 1.5344873235334193, 0.78169204505734879, -0.40019349432348478};
  for (double g : golden) CHECK(a.next() == doctest::Approx(g).epsilon(1e-12));
}

TEST_CASE("classroom model: the classic lesson's shapes, seeded, labelled with its seed") {
  auto m = make_classroom_model();
  CHECK(m->vocab_size() == 8);
  CHECK(m->dim() == 4);
  REQUIRE(m->position_table());
  CHECK(m->position_table()->rows() == 6);
  CHECK(m->label().find("seed 42") != std::string::npos);
  CHECK_FALSE(m->trained());
  auto again = make_classroom_model();
  CHECK(MatrixRM(m->token_table()) == MatrixRM(again->token_table()));
  ClassroomOptions o;
  o.seed = 43;
  CHECK(MatrixRM(make_classroom_model(o)->token_table()) != MatrixRM(m->token_table()));
  o.vocab = 20;
  o.max_len = 16;
  o.dim = 12;
  auto big = make_classroom_model(o);
  CHECK(big->token_table().rows() == 20);
  CHECK(big->token_table().cols() == 12);
  CHECK(open_model("classroom:V=20,L=16,d=12,seed=43")->token_table().isApprox(big->token_table()));
  CHECK_THROWS_AS(open_model("classroom:V=x"), Error);
  CHECK_THROWS_AS(open_model("classroom:colour=3"), Error);
  CHECK_THROWS_AS(open_model("no-such-model-anywhere"), Error);
}

TEST_CASE("input embedding: token rows are table lookups, combined = token + position") {
  auto m = make_classroom_model();
  auto scheme = make_model_scheme(*m);
  const std::vector<int> ids = classroom_ids(*m, "the cat sat on the mat");
  REQUIRE(ids.size() == 6);
  CHECK(ids[0] == ids[4]);
  const InputEmbedding e = compute_input_embedding(*m, *scheme, ids);
  const TableMap E = m->token_table();
  const TableMap P = *m->position_table();
  for (int i = 0; i < 6; ++i) {
    // The lookup equals onehot(t) @ E.
    RowVectorF onehot = RowVectorF::Zero(E.rows());
    onehot[ids[i]] = 1;
    const RowVectorF via_product = onehot * E;
    CHECK(e.token.row(i) == via_product);
    CHECK(e.position.row(i) == P.row(i));
    CHECK(e.combined.row(i) == E.row(ids[i]) + P.row(i));
  }
  CHECK(e.token.row(0) == e.token.row(4));
  CHECK(e.combined.row(0) != e.combined.row(4));
  CHECK(e.position_added);
  CHECK_FALSE(e.normed.has_value());
  CHECK_THROWS_AS(e.view(EmbeddingView::Normed), Error);
}

TEST_CASE("input embedding refuses a sequence past the learned table, an empty one, a bad id") {
  auto m = make_classroom_model();
  auto scheme = make_model_scheme(*m);
  const std::vector<int> seven = classroom_ids(*m, "the cat sat on the mat today");
  REQUIRE(seven.size() == 7);
  try {
    compute_input_embedding(*m, *scheme, seven);
    FAIL("must refuse 7 tokens with L_max 6");
  } catch (const Error& err) {
    CHECK(std::string(err.what()).find("7 tokens") != std::string::npos);
  }
  // A formula scheme extrapolates: the same sentence works with sinusoidal positions.
  SchemeParams sin;
  sin.kind = "sinusoidal";
  CHECK(compute_input_embedding(*m, *make_model_scheme(*m, sin), seven).combined.rows() == 7);
  CHECK_THROWS_AS(compute_input_embedding(*m, *scheme, std::vector<int>{}), Error);
  CHECK_THROWS_AS(compute_input_embedding(*m, *scheme, std::vector<int>{1, 8}), Error);
  CHECK_THROWS_AS(compute_input_embedding(*m, *scheme, std::vector<int>{-1}), Error);
}

TEST_CASE("LayerNorm: gamma * (x - mean) / sqrt(biased var + eps) + beta") {
  MatrixRM x(2, 4);
  x << 1, 2, 3, 4,  -1, 0, 0, 5;
  LayerNormParams ln;
  ln.gamma = RowVectorF(4);
  ln.gamma << 1, 2, 0.5f, 1;
  ln.beta = RowVectorF(4);
  ln.beta << 0, 0.1f, 0, -1;
  ln.eps = 1e-5f;
  const MatrixRM y = layer_norm_rows(x, ln);
  // Row 0: mean 2.5, biased variance 1.25.
  const double inv = 1.0 / std::sqrt(1.25 + 1e-5);
  CHECK(y(0, 0) == doctest::Approx(-1.5 * inv));
  CHECK(y(0, 1) == doctest::Approx(2 * -0.5 * inv + 0.1));
  CHECK(y(0, 2) == doctest::Approx(0.5 * 0.5 * inv));
  CHECK(y(0, 3) == doctest::Approx(1.5 * inv - 1));
  const MatrixRM z = layer_norm_rows(x, identity_layer_norm(4));
  for (int i = 0; i < 2; ++i) {
    CHECK(std::fabs(z.row(i).mean()) < 1e-6);
    CHECK(z.row(i).squaredNorm() / 4 == doctest::Approx(1.0).epsilon(1e-4));
  }
  CHECK_THROWS_AS(layer_norm_rows(x, identity_layer_norm(3)), Error);
}

TEST_CASE("repeated tokens: identical token rows, diverging combined rows (learned)") {
  auto m = make_classroom_model();
  auto scheme = make_model_scheme(*m);
  const std::vector<int> ids = classroom_ids(*m, "the cat sat on the mat");
  const InputEmbedding e = compute_input_embedding(*m, *scheme, ids);
  const auto groups = find_repeated_tokens(e, *scheme, m->tokenizer().get());
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].text == "the");
  CHECK(groups[0].positions == std::vector<int>{0, 4});
  REQUIRE(groups[0].pairs.size() == 1);
  const RepeatedTokenPair& p = groups[0].pairs[0];
  CHECK(p.token_l2 == 0.0);
  CHECK(p.token_cos == doctest::Approx(1.0).epsilon(1e-12));
  const TableMap P = *m->position_table();
  // Equal token rows cancel: the combined difference is the position difference.
  CHECK(p.combined_l2 == doctest::Approx((P.row(0) - P.row(4)).cast<double>().norm()).epsilon(1e-6));
  CHECK(p.combined_l2 > 0.1);
  CHECK(p.combined_cos < 0.999);
  CHECK_FALSE(p.rope_self_score.has_value());
  CHECK(describe_pair(groups[0], p).find("0 and 4") != std::string::npos);
}

TEST_CASE("repeated tokens under RoPE: rows stay identical, the rotated score tells them apart") {
  auto m = make_classroom_model();
  SchemeParams rope;
  rope.kind = "rope";
  auto scheme = make_model_scheme(*m, rope);
  const std::vector<int> ids = classroom_ids(*m, "the cat sat on the mat");
  const InputEmbedding e = compute_input_embedding(*m, *scheme, ids);
  const auto groups = find_repeated_tokens(e, *scheme, m->tokenizer().get());
  REQUIRE(groups.size() == 1);
  const RepeatedTokenPair& p = groups[0].pairs[0];
  CHECK(p.combined_l2 == 0.0);
  CHECK(p.combined_cos == doctest::Approx(1.0));
  REQUIRE(p.rope_self_score.has_value());
  // d = 4, interleaved pairs: score = sum_k (x_2k^2 + x_2k+1^2) cos(4 theta_k) / |x|^2.
  const RowVectorF x = e.token.row(0);
  const double t0 = 1.0, t1 = std::pow(10000.0, -0.5);
  const double ref = ((x[0] * x[0] + x[1] * x[1]) * std::cos(4 * t0) +
                      (x[2] * x[2] + x[3] * x[3]) * std::cos(4 * t1)) / x.cast<double>().squaredNorm();
  CHECK(*p.rope_self_score == doctest::Approx(ref).epsilon(1e-5));
  CHECK(*p.rope_self_score < 0.999);
}

TEST_CASE("repeated tokens under ALiBi: a constant shift over the shared keys, and a wider window") {
  // FACTS.md section 8: over keys k <= i the bias rows of queries i < j differ by m (j - i),
  // a constant, so softmax weighs those keys identically; the later query sees j - i more keys.
  auto m = make_classroom_model();
  const std::vector<int> ids = classroom_ids(*m, "cat the sat on the mat");  // "the" at 1 and 4
  SchemeParams alibi;
  alibi.kind = "alibi";
  alibi.heads = 8;
  alibi.head = 2;
  auto sa = make_model_scheme(*m, alibi);
  const InputEmbedding e = compute_input_embedding(*m, *sa, ids);
  const auto ga = find_repeated_tokens(e, *sa, nullptr);
  REQUIRE(ga.size() == 1);
  const RepeatedTokenPair& p = ga[0].pairs[0];
  CHECK(p.i == 1);
  CHECK(p.j == 4);
  CHECK(p.combined_l2 == 0.0);
  CHECK(*p.bias_shift == doctest::Approx(-std::exp2(-2.0) * 3).epsilon(1e-6));
  CHECK(*p.bias_shift_spread == 0.0);
  CHECK(*p.window_extra_keys == 3);
  // The softmax of the two bias rows over the shared keys (k <= 1) is the same distribution.
  const MatrixRM s = sa->interaction(6, 4);
  const double z1 = std::exp(s(1, 0)) + std::exp(s(1, 1)), z4 = std::exp(s(4, 0)) + std::exp(s(4, 1));
  CHECK(std::exp(s(1, 0)) / z1 == doctest::Approx(std::exp(s(4, 0)) / z4).epsilon(1e-6));
  CHECK(sa->repeated_token_story().find("softmax ignores") != std::string::npos);
}

TEST_CASE("repeated tokens under T5: the bias rows differ by more than a constant") {
  auto m = make_classroom_model();
  const std::vector<int> ids = classroom_ids(*m, "cat the sat on the mat");
  SchemeParams t5;
  t5.kind = "t5";
  auto st = make_model_scheme(*m, t5);
  const auto gt = find_repeated_tokens(compute_input_embedding(*m, *st, ids), *st, nullptr);
  REQUIRE(gt.size() == 1);
  // Bidirectional: every key k = 0..5 is shared; d_k = bucket(k - 4) - bucket(k - 1).
  double lo = 1e9, hi = -1e9, sum = 0;
  for (int k = 0; k < 6; ++k) {
    const double dk = double(t5_relative_bucket(k - 4, true, 32, 128)) - t5_relative_bucket(k - 1, true, 32, 128);
    lo = std::min(lo, dk), hi = std::max(hi, dk), sum += dk;
  }
  CHECK(*gt[0].pairs[0].bias_shift == doctest::Approx(sum / 6));
  CHECK(*gt[0].pairs[0].bias_shift_spread == doctest::Approx(hi - lo));
  CHECK(hi - lo > 0);
  CHECK_FALSE(gt[0].pairs[0].window_extra_keys.has_value());
}

TEST_CASE("weight counts of the input stage") {
  SchemeParams learned;
  learned.kind = "learned";
  const WeightCounts c = count_input_weights(8, 6, 4, learned, false);
  CHECK(c.token_table == 32);
  CHECK(c.position_table == 24);
  CHECK(c.layer_norm == 8);
  CHECK(c.total == 64);
  CHECK(c.tying_saving == 0);
  const WeightCounts g = count_input_weights(50257, 1024, 768, learned, true);
  CHECK(g.tying_saving == 38597376);
  CHECK(g.position_table == 786432);
  SchemeParams rope;
  rope.kind = "rope";
  CHECK(count_input_weights(8, 6, 4, rope, false).total == 40);
  SchemeParams t5;
  t5.kind = "t5";
  t5.heads = 8;
  CHECK(count_input_weights(8, 6, 4, t5, false).scheme_bias == 256);
  CHECK_THROWS_AS(count_input_weights(0, 6, 4, rope, false), Error);
  CHECK_THROWS_AS(count_input_weights(1LL << 40, 6, 1LL << 30, rope, false), Error);
}

TEST_CASE("cosine similarity") {
  const float a[] = {1, 0, 0}, b[] = {1, 1, 0}, z[] = {0, 0, 0};
  CHECK(cosine_similarity(a, b) == doctest::Approx(1 / std::sqrt(2.0)));
  CHECK(std::isnan(cosine_similarity(a, z)));
  MatrixRM rows(2, 3);
  rows << 1, 0, 0, 1, 1, 0;
  CHECK(cosine_similarity_matrix(rows)(0, 1) == doctest::Approx(1 / std::sqrt(2.0)));
}

TEST_CASE("gpt2-untrained: GPT-2 small's shapes and initialiser, clearly untrained") {
  auto m = make_gpt2_untrained_model();
  CHECK(m->vocab_size() == 50257);
  CHECK(m->dim() == 768);
  CHECK(m->position_table()->rows() == 1024);
  CHECK(m->num_heads() == 12);
  CHECK_FALSE(m->trained());
  CHECK(m->label().find("UNTRAINED") != std::string::npos);
  const TableMap e = m->token_table();
  const double std_tok = std::sqrt(e.cast<double>().array().square().mean());
  CHECK(std_tok == doctest::Approx(0.02).epsilon(0.01));
  const TableMap p = *m->position_table();
  CHECK(std::sqrt(p.cast<double>().array().square().mean()) == doctest::Approx(0.01).epsilon(0.01));
  CHECK(std::fabs(e.cast<double>().mean()) < 1e-4);
  // Fixed seed: the same numbers every time.
  auto again = make_gpt2_untrained_model();
  CHECK(again->token_table().row(12345) == e.row(12345));
  CHECK(m->tokenizer()->encode(" the") == std::vector<int>{262});
}

TEST_CASE("suggested sentences repeat an id under the model's own tokenizer") {
  auto m = make_classroom_model();
  const std::string s = suggest_repeat_sentence(m->tokenizer().get());
  REQUIRE_FALSE(s.empty());
  std::vector<int> ids = m->tokenizer()->encode(s);
  std::sort(ids.begin(), ids.end());
  CHECK(std::adjacent_find(ids.begin(), ids.end()) != ids.end());
  CHECK(suggest_repeat_sentence(nullptr).empty());
  // GPT-2: "the cat sat on the mat" is "the"(1169) ... " the"(262), no repeat (FACTS.md section 8).
  if (std::shared_ptr<const Tokenizer> gpt2 = default_gpt2_tokenizer()) {
    const std::string g = suggest_repeat_sentence(gpt2.get());
    CHECK(g != "the cat sat on the mat");
    std::vector<int> gi = gpt2->encode(g);
    std::sort(gi.begin(), gi.end());
    CHECK(std::adjacent_find(gi.begin(), gi.end()) != gi.end());
  }
}
