// The lesson: its steps are whole, and every number a step shows matches the engine for two
// models (the classroom model and GPT-2's shapes), computed here independently.
#include "lesson.h"
#include "model_source.h"
#include "open_model.h"
#include "tokenizer.h"
#include "family_fixtures.h"
#include "test_errors.h"

#include <doctest.h>

#include <cmath>
#include <regex>
#include <algorithm>

using namespace es;
using es::testing::error_of;
using es::testing::fixtures;
using es::testing::open_case;
using es::testing::TempDir;

namespace {

std::string commas(long long v) {  // independent of grouped_number
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

double cosine(const MatrixRM& m, int i, int j) {
  double dot = 0, a = 0, b = 0;
  for (long long c = 0; c < m.cols(); ++c) {
    dot += double(m(i, c)) * m(j, c);
    a += double(m(i, c)) * m(i, c);
    b += double(m(j, c)) * m(j, c);
  }
  return dot / std::sqrt(a * b);
}

// The rules of what a sentence may claim given the numbers beside it (see the test below);
// returns the number of sentences checked.
int check_what_it_says(const ModelSource& model, const Analysis& analysis, const std::string& model_name) {
  const ModelSource* m = &model;
  const Analysis* a = &analysis;
  const std::string c_model = model_name;
  int checked = 0;
  const auto v = lesson_values(*a);
  bool repeat = !a->repeats().empty(), differ = false;
  if (repeat) {
    const int i = a->repeats()[0].positions[0], j = a->repeats()[0].positions[1];
    differ = a->embedding().combined.row(i) != a->embedding().combined.row(j);
  }
  for (const LessonStep& s : lesson_steps()) {
    std::vector<std::string> said;
    for (const std::string& t : s.text) said.push_back(fill_placeholders(t, v));
    said.push_back(fill_placeholders(s.try_this, v));
    const std::string instead = lesson_step_instead(s, *a, v);
    if (!instead.empty()) said.push_back(instead);
    for (const std::string& f : said) {
      CAPTURE(s.id);
      CAPTURE(f);
      ++checked;
      CHECK(!std::regex_search(f, std::regex("\\{[a-z_0-9]+\\}")));  // (R_{i-j} is notation, not a placeholder)
      CHECK(f.find("(no repeated token") == std::string::npos);
      if (f.find("no longer equal") != std::string::npos) {
        CHECK(differ);
        CHECK(f.find("after") != std::string::npos);
        CHECK(f.find("1.000 after") == std::string::npos);  // a difference never reads as cosine 1.000
      }
      if (f.find("stay equal") != std::string::npos) {
        CHECK(repeat);
        CHECK(!differ);
        CHECK(!a->scheme().adds_to_input());
      }
      if (f.find("trained table") != std::string::npos || f.find("were learned in training") != std::string::npos)
        CHECK(m->trained());
      if (f.find("row i is added at position i") != std::string::npos) CHECK(m->position_offset() == 0);
      if (f.find("(shown as \u2423)") != std::string::npos) CHECK(c_model != "classroom");
      if (f.find("break into") != std::string::npos) CHECK(m->tokenizer()->encode("tokenizerification").size() > 1);
      if (f.find("the famous answer") != std::string::npos) CHECK(lesson_analogy(*m).queen_rank == 1);
    if (f.find("so that is chance") != std::string::npos) CHECK(!m->trained());
    if (f.find("repeats no token") != std::string::npos || f.find("No token repeats") != std::string::npos)
        CHECK(!repeat);
    }
  }
  // Step 8: the parts it lists add up to the total it states.
  const std::string weights = fill_placeholders(lesson_steps()[static_cast<std::size_t>(find_lesson_step("weights"))].text[0], v);
  {
    CAPTURE(weights);
    const WeightCounts w = input_weight_counts(*m, a->scheme().params());
    long long sum = 0;
    const std::regex part("([0-9][0-9,]*) (token |position |token-type |norm )?weights");
    for (auto it = std::sregex_iterator(weights.begin(), weights.end(), part); it != std::sregex_iterator(); ++it) {
      std::string digits = (*it)[1];
      digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
      sum += std::stoll(digits);
    }
    CHECK(sum == w.total);
    if (w.total != w.token_table) CHECK(weights.find(commas(w.total) + " in all") != std::string::npos);
  }
  // Step 7 names the norm the model has.
  const std::string norm = fill_placeholders(lesson_steps()[static_cast<std::size_t>(find_lesson_step("norm"))].text[0], v);
  const std::optional<LayerNormParams> ln = m->first_layer_norm();
  CAPTURE(norm);
  if (!ln) CHECK(norm.find("applies no norm") != std::string::npos);
  else if (ln->kind == NormKind::LayerNorm) CHECK(norm.find("LayerNorm") != std::string::npos);
  else CHECK(norm.find("RMSNorm") != std::string::npos);
  if (ln && ln->kind == NormKind::RmsNormOnePlus) CHECK(norm.find("1 + a learned weight") != std::string::npos);
  if (ln && !ln->learned) CHECK(norm.find("no learned weights") != std::string::npos);
  // Step 6 says when the token rows were scaled.
  if (m->embedding_scale() != 1.0) CHECK(fill_placeholders(lesson_steps()[static_cast<std::size_t>(find_lesson_step("sum"))].text[0], v).find("sqrt(") != std::string::npos);
  return checked;
}

std::string quoted_for_test(const std::string& visible) { return "\"" + visible + "\""; }

}  // namespace

TEST_CASE("the lesson has its fifteen steps in order, each whole") {
  const auto& steps = lesson_steps();
  REQUIRE(steps.size() == 15);
  const std::vector<std::string> ids = {"tokens", "ids", "lookup", "token_rows", "meaning", "position_rows", "sum", "norm",
                                        "weights", "tying", "sinusoidal", "rope", "alibi", "t5", "side_by_side"};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    CAPTURE(i);
    CHECK(steps[i].id == ids[i]);
    CHECK(!steps[i].title.empty());
    CHECK(steps[i].text.size() >= 2);
    CHECK(steps[i].text.size() <= 3);
    CHECK(!steps[i].try_this.empty());
  }
  // The scheme figures name registry schemes (checked when the asset is read).
  CHECK(steps[10].figure == "scheme_rows");
  CHECK(steps[10].scheme == "sinusoidal");
  CHECK(steps[11].figure == "rotation");
  CHECK(steps[11].scheme == "rope");
  CHECK(steps[12].scheme == "alibi");
  CHECK(steps[13].scheme == "t5");
  for (const LessonStep& s : steps)
    if (!s.scheme.empty()) CHECK(find_scheme(s.scheme) != nullptr);
  CHECK(find_lesson_step("3") == 2);
  CHECK(find_lesson_step("lookup") == 2);
  CHECK(find_lesson_step("16") == -1);
  CHECK(find_lesson_step("nope") == -1);
}

TEST_CASE("every number a step shows comes from the engine, for two models") {
  struct Case {
    std::string model, text;
    std::optional<std::vector<int>> ids;
  };
  // GPT-2's shapes with typed ids (no tokenizer files needed): 464 and 262 repeat.
  const std::vector<Case> cases = {{"classroom", "the cat sat on the mat", std::nullopt},
                                   {"gpt2-untrained", "", std::vector<int>{464, 3797, 3332, 319, 262, 2603, 262}}};
  for (const Case& c : cases) {
    CAPTURE(c.model);
    const std::shared_ptr<const ModelSource> m = open_model(c.model);
    AnalysisInput in;
    in.text = c.text;
    in.ids = c.ids;
    const auto a = analyse(m, in);
    const auto v = lesson_values(*a);
    const long long V = m->vocab_size(), d = m->dim();
    CHECK(v.at("V") == commas(V));
    CHECK(v.at("d") == commas(d));
    CHECK(v.at("n") == std::to_string(a->length()));
    CHECK(v.at("first_id") == std::to_string(a->ids()[0]));
    CHECK(v.at("lookup_reads") == commas(d));
    CHECK(v.at("lookup_macs") == commas(V * d));
    CHECK(v.at("token_weights") == commas(V * d));
    const long long lmax = m->position_table() ? m->position_table()->rows() : 0;
    CHECK(v.at("position_weights") == commas(lmax * d));
    CHECK(v.at("norm_weights") == commas(2 * d));  // both have a LayerNorm: gamma and beta
    CHECK(v.at("total_weights") == commas(V * d + lmax * d + 2 * d));
    REQUIRE(!a->repeats().empty());
    const int i = a->repeats()[0].positions[0], j = a->repeats()[0].positions[1];
    CHECK(v.at("repeat_i") == std::to_string(i));
    CHECK(v.at("repeat_j") == std::to_string(j));
    CHECK(v.at("cos_token") == "1.000");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", cosine(a->embedding().combined, i, j));
    CHECK(v.at("cos_combined") == buf);
    // RoPE's last angle: base^(-(d_head - 2) / d_head) on the model's head width.
    const long long dh = d / std::max(1, m->num_heads());
    std::snprintf(buf, sizeof buf, "%.3g", std::pow(10000.0, -double(dh - 2) / double(dh)));
    CHECK(v.at("rope_theta_last") == buf);
    // Every step's text fills without a stray placeholder.
    for (const LessonStep& s : lesson_steps()) {
      for (const std::string& t : s.text) {
        const std::string f = fill_placeholders(t, v);
        CHECK(f.find('{') == std::string::npos);
      }
      CHECK(lesson_step_instead(s, *a, v).empty());  // learned adds rows: every step applies
    }
  }
  // GPT-2 small: the figure.
  CHECK(commas(50257LL * 768) == "38,597,376");
}

TEST_CASE("a step that does not apply says why and where to look instead") {
  const std::shared_ptr<const ModelSource> m = open_model("classroom");
  AnalysisInput in;
  in.text = "the cat sat on the mat";
  SchemeParams rope;
  rope.kind = "rope";
  in.scheme = rope;
  const auto a = analyse(m, in);
  const auto v = lesson_values(*a);
  const LessonStep& pos = lesson_steps()[static_cast<std::size_t>(find_lesson_step("position_rows"))];
  const std::string instead = lesson_step_instead(pos, *a, v);
  CHECK(instead.find("adds nothing at the input") != std::string::npos);
  CHECK(instead.find("step 12 (RoPE)") != std::string::npos);
  CHECK(v.at("cos_combined") == "1.000");  // RoPE leaves the equal tokens' rows equal
  CHECK(error_of([&] { fill_placeholders("{nope}", v); }).find("no value for {nope}") != std::string::npos);
  CHECK(grouped_number(38597376) == "38,597,376");
  CHECK(grouped_number(64) == "64");
}

// The lesson as a function of (model, scheme, text): every step under every registered scheme,
// for the classroom model and GPT-2's shapes, on a text with a repeat and one without. Written
// as rules of what a sentence may claim given the numbers it stands beside (issue 19):
//   - no placeholder ({name}) left, no "(no repeated token" seam;
//   - "no longer equal" only when the two repeated combined rows differ, "stay equal" only when
//     they are identical, and then only for a scheme that adds nothing at the input;
//   - a cosine shown as 1.000 only for rows whose cosine rounds to it and are equal, never for
//     rows that differ;
//   - "trained" only for a trained checkpoint; "row i is added at position i" only without an
//     offset; "(shown as ␣)" only when the tokenizer's pieces carry spaces; "break into" only
//     when the unknown word does break.
TEST_CASE("every step under every scheme and two models says only what its numbers support") {
  struct Case {
    std::string model, text;
  };
  // gpt2-untrained: "the cat sat on the mat" has no repeated id (" the" 262 vs "the" 1169).
  const std::vector<Case> cases = {{"classroom", "the cat sat on the mat"},
                                   {"classroom", "the cat sat on a mat"},
                                   {"gpt2-untrained", "the cat sat on the mat"},
                                   {"gpt2-untrained", "The cat sat on the mat and the dog"}};
  int checked = 0;
  for (const Case& c : cases) {
    const std::shared_ptr<const ModelSource> m = open_model(c.model);
    for (const SchemeInfo* info : scheme_registry()) {
      CAPTURE(c.model);
      CAPTURE(c.text);
      const std::string scheme_name = info->name;
      CAPTURE(scheme_name);
      AnalysisInput in;
      in.text = c.text;
      in.scheme = info->needs_data ? m->default_scheme() : scheme_defaults(*info);
      if (info->needs_data && m->default_scheme().kind != info->name) continue;  // learned needs the model's table
      std::shared_ptr<const Analysis> a;
      try {
        a = analyse(m, in);
      } catch (const Error& e) {
        FAIL_CHECK(e.what());
        continue;
      }
      const auto v = lesson_values(*a);
      const bool repeat = !a->repeats().empty();
      checked += check_what_it_says(*m, *a, c.model);
      // The sum step names the pair and its outcome whenever there is a pair.
      const std::string sum = fill_placeholders(lesson_steps()[static_cast<std::size_t>(find_lesson_step("sum"))].text[1], v);
      if (repeat) CHECK((sum.find("no longer equal") != std::string::npos || sum.find("stay equal") != std::string::npos ||
                         sum.find("still equal") != std::string::npos));
      // Without a repeat, steps 2, 4 and 6 offer a sentence that has one, and it does.
      if (!repeat) {
        const std::string ids_step = fill_placeholders(lesson_steps()[1].text[1], v);
        const std::size_t at = ids_step.find("Try \"");
        REQUIRE(at != std::string::npos);
        const std::string offered = ids_step.substr(at + 5, ids_step.find('"', at + 5) - at - 5);
        AnalysisInput again;
        again.text = offered;
        again.scheme = in.scheme;
        CHECK(!analyse(m, again)->repeats().empty());
      }
    }
  }
  CHECK(checked > 500);
}

// The same rules for a checkpoint of every family EmbedScope reads (tests/data/families), under
// the family's own scheme and every other registered one, on ids with a repeat (3 at 0 and 3).
TEST_CASE("every step under every scheme says only what its numbers support, for a checkpoint of every family") {
  int checked = 0, models = 0;
  for (const auto& c : fixtures()["cases"]) {
    const std::string name = c["name"].get<std::string>();
    CAPTURE(name);
    TempDir dir;
    const std::shared_ptr<const ModelSource> m = open_case(c, dir);
    ++models;
    for (const SchemeInfo* info : scheme_registry()) {
      if (info->needs_data && m->default_scheme().kind != info->name) continue;
      const std::string scheme_name = info->name;
      CAPTURE(scheme_name);
      AnalysisInput in;
      in.ids = fixtures()["ids"].get<std::vector<int>>();
      in.scheme = info->name == m->default_scheme().kind ? m->default_scheme() : scheme_defaults(*info);
      std::shared_ptr<const Analysis> a;
      try {
        a = analyse(m, in);
      } catch (const Error& e) {
        // A scheme may not fit a tiny model (a head width it cannot rotate): said, not crashed.
        CHECK(std::string(e.what()).size() > 10);
        continue;
      }
      checked += check_what_it_says(*m, *a, name);
      // RoPE's angles on step 11 are this model's when it rotates with its own settings.
      if (info->name == m->default_scheme().kind && info->name == std::string("rope")) {
        const auto v = lesson_values(*a);
        const std::vector<double> f = a->scheme().rotation_frequencies(a->scheme().params().head_dim, a->length());
        REQUIRE(!f.empty());
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.3g", f.back());
        CHECK(v.at("rope_theta_last") == buf);
        CHECK(v.at("rope_setting").find("this model's") != std::string::npos);
      }
    }
  }
  CHECK(models >= 20);
  CHECK(checked > 2000);
}

TEST_CASE("king - man + woman: the nearest rows, computed here by brute force over the table") {
  const std::shared_ptr<const ModelSource> m = open_model("gpt2-untrained");
  const LessonAnalogy& an = lesson_analogy(*m);
  REQUIRE(an.missing.empty());
  REQUIRE(an.ids.size() == 3);
  const std::shared_ptr<const Tokenizer> tok = m->tokenizer();
  CHECK(tok->token_bytes(an.ids[0]) == " king");
  CHECK(tok->token_bytes(an.ids[1]) == " man");
  CHECK(tok->token_bytes(an.ids[2]) == " woman");
  const TableMap E = m->token_table();
  auto unit = [&](int id) {
    Eigen::RowVectorXd r = E.row(id).cast<double>();
    return Eigen::RowVectorXd(r / r.norm());
  };
  const Eigen::RowVectorXd q = unit(an.ids[0]) - unit(an.ids[1]) + unit(an.ids[2]);
  int best = -1;
  double best_c = -2;
  for (long long id = 0; id < E.rows(); ++id) {
    if (id == an.ids[0] || id == an.ids[1] || id == an.ids[2]) continue;
    const Eigen::RowVectorXd r = E.row(id).cast<double>();
    const double c = r.dot(q) / (r.norm() * q.norm());
    if (c > best_c) best_c = c, best = static_cast<int>(id);
  }
  REQUIRE(!an.nearest.empty());
  CHECK(an.nearest[0].first == visible_token_text(tok->token_bytes(best)));
  CHECK(an.nearest[0].second == doctest::Approx(best_c).epsilon(1e-4));
  // The sentence says it is chance: the table is random.
  AnalysisInput in;
  in.text = "the king and the queen";
  const auto v = lesson_values(*analyse(m, in));
  CHECK(v.at("analogy_sentence").find("chance") != std::string::npos);
  CHECK(v.at("analogy_sentence").find(quoted_for_test(an.nearest[0].first)) != std::string::npos);
  // No tokens for the words: said, nothing made up.
  const auto c = lesson_values(*analyse(open_model("classroom"), in));
  CHECK(c.at("analogy_sentence").find("no token of its own") != std::string::npos);
}
