// The lesson's steps and the numbers they show (see lesson.h).
#include "lesson.h"

#include "position/scheme.h"

#include "assets.h"
#include "types.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

namespace es {

namespace {

std::vector<LessonStep> parse_steps() {
  const std::string_view text = embedded_asset("lesson.json");
  if (text.empty()) throw Error("the lesson asset (assets/lesson.json) is missing from this build");
  std::vector<LessonStep> out;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    for (const auto& s : j.at("steps")) {
      LessonStep st;
      st.id = s.at("id").get<std::string>();
      st.title = s.at("title").get<std::string>();
      st.text = s.at("text").get<std::vector<std::string>>();
      st.try_this = s.at("try").get<std::string>();
      st.figure = s.at("figure").get<std::string>();
      st.scheme = s.value("scheme", std::string());
      if (!st.scheme.empty() && !find_scheme(st.scheme))
        throw Error("the lesson asset is broken: step " + st.id + " names the scheme '" + st.scheme +
                    "', which is not one of " + scheme_names());
      st.needs = s.value("needs", std::string());
      st.instead = s.value("instead", std::string());
      out.push_back(std::move(st));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("the lesson asset is broken: ") + e.what());
  }
  return out;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

double row_cosine(const MatrixRM& m, long long i, long long j) {
  const double a = m.row(i).cast<double>().norm(), b = m.row(j).cast<double>().norm();
  if (a == 0 || b == 0) return 0;
  return m.row(i).cast<double>().dot(m.row(j).cast<double>()) / (a * b);
}

}  // namespace

const std::vector<LessonStep>& lesson_steps() {
  static const std::vector<LessonStep> steps = parse_steps();
  return steps;
}

int find_lesson_step(std::string_view s) {
  const auto& steps = lesson_steps();
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos && s.size() < 4) {
    const int k = std::stoi(std::string(s));
    return k >= 1 && k <= static_cast<int>(steps.size()) ? k - 1 : -1;
  }
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].id == s) return static_cast<int>(i);
  return -1;
}

std::map<std::string, std::string> lesson_values(const Analysis& a) {
  const ModelSource& m = *a.model();
  const PositionScheme& s = a.scheme();
  const InputEmbedding& e = a.embedding();
  const long long V = m.vocab_size(), d = m.dim(), n = a.length();
  std::map<std::string, std::string> v;
  v["text"] = a.text();
  v["n"] = grouped_number(n);
  v["V"] = grouped_number(V);
  v["d"] = grouped_number(d);
  v["model"] = m.name();
  v["first_id"] = n > 0 ? std::to_string(a.ids()[0]) : "-";
  v["lookup_reads"] = grouped_number(d);       // indexing reads the row
  v["lookup_macs"] = grouped_number(V * d);    // one-hot (1 x V) times E (V x d)
  if (!a.repeats().empty()) {
    const RepeatedTokenGroup& g = a.repeats().front();
    const int i = g.positions[0], j = g.positions[1];
    v["repeat_text"] = a.token_texts()[static_cast<std::size_t>(i)];
    v["repeat_id"] = std::to_string(g.id);
    v["repeat_i"] = std::to_string(i);
    v["repeat_j"] = std::to_string(j);
    v["cos_token"] = fixed(row_cosine(e.token, i, j), 3);
    v["cos_combined"] = fixed(row_cosine(e.combined, i, j), 3);
  } else {
    for (const char* k : {"repeat_text", "repeat_id", "repeat_i", "repeat_j", "cos_token", "cos_combined"})
      v[k] = "(no repeated token in this text)";
  }
  const SchemeInfo* info = find_scheme(s.name());
  v["scheme_title"] = info ? info->title : s.name();
  v["scheme_where"] = s.where_position_enters();
  const std::optional<long long> table = s.max_positions();
  v["position_source"] = info && info->counted == WeightsCounted::PositionTable && table
                             ? "Here they come from a trained table of " + grouped_number(*table) +
                                   " rows: row i is added at position i, so a text can have at most " +
                                   grouped_number(*table) + " tokens."
                             : "Here they come from a formula, " + s.describe() + ", so there is no table to train.";
  const WeightCounts w = input_weight_counts(m, s.params());
  v["token_weights"] = grouped_number(w.token_table);
  v["position_weights"] = grouped_number(w.position_table);
  v["norm_weights"] = grouped_number(w.layer_norm);
  v["total_weights"] = grouped_number(w.total);
  v["norm_label"] = a.norm_label();
  v["tying_text"] = m.tied_embeddings()
                        ? m.name() + " ties them: its head is E itself, which saves V x d = " + grouped_number(w.tying_saving) +
                              " weights."
                        : m.name() + " has a separate head: another V x d = " + grouped_number(V * d) + " weights.";
  // RoPE on this model's head width (d / heads, or d): the angles of the scheme in use when it
  // rotates (its base, rotary share and scaling), else of plain RoPE (base 10000, full rotary).
  const int heads = m.num_heads() > 0 ? m.num_heads() : 1;
  const long long dh = s.params().head_dim > 0 ? s.params().head_dim : d % heads == 0 ? d / heads : d;
  std::vector<double> angles = s.rotation_frequencies(dh, static_cast<long long>(e.ids.size()));
  if (angles.empty() && dh >= 2) {
    SchemeParams rope;
    rope.kind = "rope";
    rope.head_dim = static_cast<int>(dh);
    angles = make_position_scheme(rope)->rotation_frequencies(dh, static_cast<long long>(e.ids.size()));
  }
  char theta[32];
  std::snprintf(theta, sizeof theta, "%.3g", angles.empty() ? 1.0 : angles.front());
  v["rope_theta0"] = theta;
  v["rope_head_width"] = std::to_string(dh);
  v["rope_rotary_pairs"] = std::to_string(angles.size());
  std::snprintf(theta, sizeof theta, "%.3g", angles.empty() ? 1.0 : angles.back());
  v["rope_theta_last"] = theta;
  // ALiBi's slopes for the model's heads; a one-head model (the classroom) shows the 8 of the
  // paper's example instead, since one slope cannot show near- and far-looking heads.
  const int aheads = m.num_heads() >= 2 ? m.num_heads() : 8;
  const std::vector<double> slopes = alibi_slopes(aheads);
  std::string sl;
  for (std::size_t k = 0; k < slopes.size() && k < 4; ++k) sl += (k ? ", " : "") + fixed(slopes[k], 4);
  if (slopes.size() > 4) sl += ", ...";
  v["alibi_slopes"] = sl;
  v["alibi_heads"] = std::to_string(aheads);
  const bool bucketed = info && info->data == SchemeDataKind::BucketBias;  // the model's own T5 settings
  v["t5_buckets"] = std::to_string(bucketed ? s.params().buckets : 32);
  v["t5_max_distance"] = std::to_string(bucketed ? s.params().max_distance : 128);
  v["stories"] = v["scheme_title"] + ": " + s.repeated_token_story();
  return v;
}

std::string fill_placeholders(std::string_view text, const std::map<std::string, std::string>& values) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t open = text.find('{', at);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find('}', open);
    if (close == std::string_view::npos) throw Error("lesson text: a '{' without '}' in: " + std::string(text));
    out.append(text.substr(at, open - at));
    const std::string key(text.substr(open + 1, close - open - 1));
    const auto it = values.find(key);
    if (it == values.end()) throw Error("lesson text: no value for {" + key + "}");
    out += it->second;
    at = close + 1;
  }
  out.append(text.substr(std::min(at, text.size())));
  return out;
}

std::string lesson_step_instead(const LessonStep& step, const Analysis& a, const std::map<std::string, std::string>& values) {
  if (step.needs == "input_rows" && !a.scheme().adds_to_input()) return fill_placeholders(step.instead, values);
  return "";
}

}  // namespace es
