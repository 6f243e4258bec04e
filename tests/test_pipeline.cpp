// The pipeline entry point (pipeline.h): one call from text to every result, each checked
// against the step it comes from, computed here independently.
#include <doctest.h>

#include "pipeline.h"

#include <cmath>

using namespace es;

TEST_CASE("analyse: text to ids, rows, repeats, S and a shared PCA basis, versioned") {
  std::shared_ptr<const ModelSource> m = make_classroom_model();
  AnalysisInput in;
  in.text = "the cat sat on the mat";
  const std::shared_ptr<const Analysis> a = analyse(m, in);
  const std::vector<int> ids = m->tokenizer()->encode(in.text);
  CHECK(a->ids() == ids);
  CHECK(a->length() == 6);
  CHECK(a->token_texts()[1] == "cat");
  // Token rows are table rows; combined = token + the learned table's first rows.
  const TableMap E = m->token_table(), P = *m->position_table();
  for (int i = 0; i < 6; ++i)
    for (int c = 0; c < 4; ++c) {
      CHECK(a->embedding().token(i, c) == E(ids[i], c));
      CHECK(a->embedding().combined(i, c) == doctest::Approx(E(ids[i], c) + P(i, c)));
    }
  // The normed rows: plain LayerNorm (the classroom model has gamma 1, beta 0).
  const RowVectorD x = a->embedding().combined.row(2).cast<double>();
  const double mean = x.mean(), var = (x.array() - mean).square().mean();
  CHECK(a->embedding().normed->coeff(2, 0) == doctest::Approx((x[0] - mean) / std::sqrt(var + 1e-5)).epsilon(1e-5));
  REQUIRE(a->repeats().size() == 1);
  CHECK(a->repeats()[0].positions == std::vector<int>{0, 4});
  CHECK(a->repeat_group_of(4) == 0);
  CHECK(a->repeat_group_of(1) == -1);
  CHECK(a->distinct_ids().size() == 5);
  const MatrixRM s = a->scheme().interaction(6, 4);
  CHECK((a->interaction() - s).cwiseAbs().maxCoeff() == 0.0f);
  // One basis, projections of the three row kinds on it.
  REQUIRE(a->pca());
  const auto& pr = a->projections();
  const MatrixRM ref = a->pca()->project(a->embedding().combined);
  CHECK((pr[2] - ref).cwiseAbs().maxCoeff() < 1e-6f);
  const MatrixRM diff = a->pair_differences(0, 4);
  CHECK(diff.row(0).cwiseAbs().maxCoeff() == 0.0f);  // equal tokens: identical token rows
  CHECK((diff.row(1) - (P.row(4) - P.row(0))).cwiseAbs().maxCoeff() < 1e-6f);
  // Another analysis gets a new version.
  in.scheme = SchemeParams{};
  in.scheme->kind = "rope";
  const std::shared_ptr<const Analysis> b = analyse(m, in);
  CHECK(b->version() != a->version());
  CHECK(b->embedding().combined == b->embedding().token);  // RoPE adds nothing at the input
  // The whole token table projected in blocks equals the basis applied to it.
  const std::vector<float> all = project_table(E, *a->pca());
  const MatrixRM direct = a->pca()->project(MatrixRM(E));
  for (long long r = 0; r < E.rows(); ++r)
    for (long long k = 0; k < direct.cols(); ++k)
      CHECK(all[static_cast<size_t>(r * direct.cols() + k)] == doctest::Approx(direct(r, k)).epsilon(1e-5));
}

TEST_CASE("analyse: typed ids, and clear errors") {
  std::shared_ptr<const ModelSource> m = make_classroom_model();
  AnalysisInput in;
  in.text = "ids: 1 2 3 1";
  const auto a = analyse(m, in);
  CHECK(a->ids() == std::vector<int>{1, 2, 3, 1});
  in.text = "";
  CHECK_THROWS_AS(analyse(m, in), Error);
  in.text = "the cat sat on the mat the cat";  // 8 tokens, table of 6
  CHECK_THROWS_WITH_AS(analyse(m, in), doctest::Contains("covers only 6"), Error);
  in.scheme = SchemeParams{};
  in.scheme->kind = "sinusoidal";
  CHECK(analyse(m, in)->length() == 8);  // the same text under a scheme without a table
  in.ids = std::vector<int>{0, 99};
  CHECK_THROWS_WITH_AS(analyse(m, in), doctest::Contains("outside the vocabulary"), Error);
  CHECK(default_ids_line(*m) == "ids: 1 2 3 1 4");
}
