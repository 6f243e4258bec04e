// Neighbours, analogies and token search over whole tables, against a brute-force reference
// written here (scalar double loop, full sort) and hand-built tables with known answers.
#include "analysis.h"
#include "bpe_tokenizer.h"
#include "vocabulary.h"

#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

using namespace es;

namespace {

MatrixRM random_table(int n, int d, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  MatrixRM m(n, d);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < d; ++c) m(r, c) = nd(gen) + (c % 7 == 0 ? 0.5f : 0.f);  // a shared direction
  return m;
}

struct Ref {
  int id;
  double cos;
};
// Every row scored in double, zero rows and excluded ids dropped, sorted by (cos desc, id asc).
std::vector<Ref> brute_force(const MatrixRM& t, const std::vector<float>& q, const std::vector<int>& exclude) {
  double qn = 0;
  for (float v : q) qn += double(v) * v;
  qn = std::sqrt(qn);
  std::vector<Ref> all;
  for (int r = 0; r < t.rows(); ++r) {
    if (std::find(exclude.begin(), exclude.end(), r) != exclude.end()) continue;
    double dot = 0, nn = 0;
    for (int c = 0; c < t.cols(); ++c) {
      dot += double(t(r, c)) * q[c];
      nn += double(t(r, c)) * t(r, c);
    }
    if (nn == 0) continue;
    all.push_back({r, dot / (std::sqrt(nn) * qn)});
  }
  std::stable_sort(all.begin(), all.end(), [](const Ref& a, const Ref& b) { return a.cos > b.cos; });
  return all;
}

// Same ids in the same order where the reference's scores are apart by more than round-off;
// within a run of near-equal scores (|diff| < 1e-12) any order is fine; cosines within 1e-6.
void check_same(const std::vector<Neighbour>& got, const std::vector<Ref>& ref, int k) {
  const std::size_t want = std::min<std::size_t>(ref.size(), static_cast<std::size_t>(std::max(k, 0)));
  REQUIRE(got.size() == want);
  for (std::size_t i = 0; i < want; ++i) {
    CHECK(got[i].cosine == doctest::Approx(ref[i].cos).epsilon(1e-6));
    if (got[i].id != ref[i].id) {
      CAPTURE(i);
      CHECK(std::abs(ref[i].cos - (std::find_if(ref.begin(), ref.end(), [&](const Ref& r) { return r.id == got[i].id; }))->cos) < 1e-12);
    }
  }
}

std::vector<float> row_of(const MatrixRM& t, int r) { return std::vector<float>(t.row(r).data(), t.row(r).data() + t.cols()); }

}  // namespace

TEST_CASE("neighbours match a brute-force double reference (exact pass and index)") {
  // 8,200: past the 8,192 columns after which the index's integer scan empties its lanes.
  for (int d : {1, 5, 61, 100, 768, 8200}) {
    CAPTURE(d);
    MatrixRM t = random_table(d > 1000 ? 600 : 3000, d, unsigned(d));
    TableMap map(t.data(), t.rows(), t.cols());
    VocabularyIndex index(map);
    for (int qi : {0, 17, int(t.rows()) - 1}) {
      std::vector<float> q = row_of(t, qi);
      for (int k : {1, 10, 50}) {
        std::vector<int> ex = {qi, 5};
        std::vector<Ref> ref = brute_force(t, q, ex);
        check_same(nearest_neighbours(map, q, k, ex), ref, k);
        check_same(index.nearest(q, k, ex), ref, k);
      }
    }
    // A query that is not a row: the analogy-style arbitrary vector.
    std::vector<float> q(d);
    for (int c = 0; c < d; ++c) q[c] = std::sin(0.3f * c) + 0.1f;
    check_same(index.nearest(q, 20), brute_force(t, q, {}), 20);
    check_same(nearest_neighbours(map, q, 20), brute_force(t, q, {}), 20);
  }
}

TEST_CASE("index stays exact on near-ties far below its int8 resolution") {
  // 2000 rows within 1e-4 of one direction: the int8 scan cannot tell them apart, so every
  // one must be rescored and the order must still be the reference's.
  const int n = 2000, d = 64;
  MatrixRM t(n, d);
  std::mt19937 gen(3);
  std::normal_distribution<float> nd(0.f, 1.f);
  RowVectorF base(d);
  for (int c = 0; c < d; ++c) base(c) = nd(gen);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < d; ++c) t(r, c) = base(c) + 1e-4f * nd(gen);
  TableMap map(t.data(), n, d);
  VocabularyIndex index(map);
  std::vector<float> q(base.data(), base.data() + d);
  std::vector<Ref> ref = brute_force(t, q, {});
  check_same(index.nearest(q, 25), ref, 25);
  check_same(nearest_neighbours(map, q, 25), ref, 25);
  CHECK(index.last_candidates() >= 25);
}

TEST_CASE("ties break by lower id; equal rows score identically") {
  MatrixRM t = random_table(50, 12, 4);
  for (int r : {9, 3, 40, 27}) t.row(r) = t.row(11) * 2.0f;  // same direction as row 11
  TableMap map(t.data(), t.rows(), t.cols());
  VocabularyIndex index(map);
  for (auto result : {nearest_neighbours(map, row_of(t, 11), 5), index.nearest(row_of(t, 11), 5)}) {
    REQUIRE(result.size() == 5);
    // rows 3, 9, 27, 40 (= 2 x row 11) and 11 itself all have cosine 1 (to float precision)
    std::vector<int> ids;
    for (auto& n : result) ids.push_back(n.id);
    std::vector<int> top(ids.begin(), ids.end());
    std::sort(top.begin(), top.end());
    CHECK(top == std::vector<int>{3, 9, 11, 27, 40});
    for (auto& n : result) CHECK(n.cosine == doctest::Approx(1.0).epsilon(1e-6));
  }
  // Exactly equal rows: bit-identical scores, so strictly by id.
  MatrixRM e = random_table(30, 8, 5);
  for (int r : {20, 4, 13}) e.row(r) = e.row(0);
  TableMap emap(e.data(), e.rows(), e.cols());
  VocabularyIndex eindex(emap);
  const int ex[1] = {0};
  for (auto result : {nearest_neighbours(emap, row_of(e, 0), 3, ex), eindex.nearest_to_token(0, 3)}) {
    REQUIRE(result.size() == 3);
    CHECK(result[0].id == 4);
    CHECK(result[1].id == 13);
    CHECK(result[2].id == 20);
  }
}

TEST_CASE("zero rows, zero queries, exclusions and k") {
  MatrixRM t = random_table(20, 6, 6);
  t.row(2).setZero();
  t.row(7).setZero();
  TableMap map(t.data(), t.rows(), t.cols());
  VocabularyIndex index(map);
  // A zero row is never returned, even when everything else is excluded or k covers all.
  auto all = nearest_neighbours(map, row_of(t, 0), 100);
  CHECK(all.size() == 18);
  for (auto& n : all) CHECK((n.id != 2 && n.id != 7));
  CHECK(index.nearest(row_of(t, 0), 100).size() == 18);
  std::vector<int> ex;
  for (int i = 0; i < 20; ++i)
    if (i != 2 && i != 7 && i != 13) ex.push_back(i);
  auto one = index.nearest(row_of(t, 0), 5, ex);
  REQUIRE(one.size() == 1);
  CHECK(one[0].id == 13);
  CHECK(nearest_neighbours(map, row_of(t, 0), 0).empty());
  CHECK(index.nearest(row_of(t, 0), -3).empty());
  // ids out of range in `exclude` are ignored
  const int odd[2] = {-1, 1000};
  CHECK(index.nearest(row_of(t, 0), 3, odd).size() == 3);
  std::vector<float> zero(6, 0.f);
  CHECK_THROWS_AS(nearest_neighbours(map, zero, 3), es::Error);
  CHECK_THROWS_AS(index.nearest(zero, 3), es::Error);
  CHECK_THROWS_AS(index.nearest_to_token(2, 3), es::Error);  // zero row has no direction
  CHECK_THROWS_AS(index.nearest(std::vector<float>(5, 1.f), 3), es::Error);
  CHECK_THROWS_AS(index.nearest_to_token(20, 3), es::Error);
  // include_self
  auto self = index.nearest_to_token(4, 1, true);
  REQUIRE(self.size() == 1);
  CHECK(self[0].id == 4);
  CHECK(index.nearest_to_token(4, 1)[0].id != 4);
  CHECK(index.row_norm(3) == doctest::Approx(t.row(3).cast<double>().norm()));
}

TEST_CASE("analogy on a hand-built table: king - man + woman = queen") {
  // axes: royal, male, female, fruit
  MatrixRM t(7, 4);
  t << 1, 1, 0, 0,        // 0 king
       1, 0, 1, 0,        // 1 queen
       0, 2, 0, 0,        // 2 man (norm 2: unit rows make its length irrelevant)
       0, 0, 1, 0,        // 3 woman
       0, 0, 0, 1,        // 4 apple
       0.2f, 0, 1, 0.3f,  // 5 girl-ish
       1, 0.9f, 0, 0.1f;  // 6 prince-ish
  TableMap map(t.data(), 7, 4);
  VocabularyIndex index(map);
  RowVectorF v = index.analogy_vector(0, 2, 3);
  const double s = 1.0 / std::sqrt(2.0);
  CHECK(v(0) == doctest::Approx(s));
  CHECK(v(1) == doctest::Approx(s - 1.0));
  CHECK(v(2) == doctest::Approx(1.0));
  CHECK(v(3) == doctest::Approx(0.0));
  auto res = index.analogy(0, 2, 3, 3);
  REQUIRE(res.size() == 3);
  CHECK(res[0].id == 1);
  // cosine by hand: q = (s, s-1, 1, 0), queen = (1, 0, 1, 0) / sqrt(2)
  const double qn = std::sqrt(s * s + (s - 1) * (s - 1) + 1.0);
  CHECK(res[0].cosine == doctest::Approx((s + 1.0) / (qn * std::sqrt(2.0))).epsilon(1e-6));
  for (auto& n : res) CHECK((n.id != 0 && n.id != 2 && n.id != 3));
  CHECK_THROWS_AS(index.analogy(0, 2, 9, 3), es::Error);
  CHECK(index.analogy(0, 0, 4, 1)[0].id == 5);  // a - a + apple: apple itself excluded, girl-ish has the fruit axis
}

TEST_CASE("token search by text with GPT-2's tokenizer") {
  // Needs GPT-2's tokenizer files (make test fetches them).
  std::shared_ptr<const Tokenizer> tok = default_gpt2_tokenizer();
  REQUIRE(tok);
  // Published GPT-2 ids: " king" 5822, "king" 3364.
  CHECK(find_exact_token(*tok, " king") == 5822);
  CHECK(find_exact_token(*tok, "king") == 3364);
  CHECK(resolve_token(*tok, " king") == 5822);
  CHECK_FALSE(find_exact_token(*tok, "kingdomxyz").has_value());
  try {
    resolve_token(*tok, "kingdom");
    FAIL("kingdom is two tokens at the start of a text");
  } catch (const es::Error& e) {
    std::string m = e.what();
    CHECK(m.find("\"king\" (3364)") != std::string::npos);
    CHECK(m.find("\"dom\"") != std::string::npos);
    CHECK(m.find("leading space") != std::string::npos);  // " kingdom" is one token
  }
  CHECK_THROWS_AS(resolve_token(*tok, ""), es::Error);
  std::vector<int> hits = search_tokens(*tok, "king", 100000);
  REQUIRE(hits.size() > 10);
  CHECK(std::is_sorted(hits.begin(), hits.end()));
  for (int id : hits) CHECK(tok->token_bytes(id).find("king") != std::string::npos);
  CHECK(std::find(hits.begin(), hits.end(), 5822) != hits.end());
  CHECK(std::find(hits.begin(), hits.end(), 3364) != hits.end());
  CHECK(search_tokens(*tok, "king", 3).size() == 3);
}
