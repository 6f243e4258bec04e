// The lesson's steps and the numbers they show (see lesson.h).
#include "lesson.h"

#include "position/scheme.h"
#include "repeats.h"
#include "vocabulary.h"
#include "tokenizer.h"

#include "assets.h"
#include "types.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <tuple>

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
      st.presenter = s.value("presenter", std::size_t{0});
      if (st.presenter >= st.text.size())
        throw Error("the lesson asset is broken: step " + st.id + " shows sentence " + std::to_string(st.presenter) +
                    " in presenter mode but has " + std::to_string(st.text.size()));
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

// A cosine that is below 1 written so that it reads below 1: three decimals, or as many as it
// takes (up to 9) when three would round it to 1.000.
std::string cosine_text(double c) {
  std::string t = fixed(c, 3);
  for (int digits = 4; t == "1.000" && c < 1.0 && digits <= 9; ++digits) t = fixed(c, digits);
  return t;
}

// A token's text in quotes as the token chips show it (spaces as \u2423, newlines as \u21b5).
std::string quoted(const std::string& token) { return "\"" + visible_token_text(token) + "\""; }

// Up to and including the first ". " (the whole text when there is none).
std::string first_sentence(const std::string& text) {
  const std::size_t end = text.find(". ");
  return end == std::string::npos ? text : text.substr(0, end + 1);
}

// A word's own token: " word" (BPE and SentencePiece spell a word after a space with it), else
// "word"; nullopt when the word splits.
std::optional<int> word_token(const Tokenizer& tok, const std::string& word) {
  for (const std::string& form : {" " + word, "\xE2\x96\x81" + word, word})
    if (const std::optional<int> id = find_exact_token(tok, form)) return id;
  return std::nullopt;
}

LessonAnalogy compute_analogy(const ModelSource& m) {
  LessonAnalogy out;
  const std::shared_ptr<const Tokenizer> tok = m.tokenizer();
  if (!tok) {
    out.missing = m.name() + " has no tokenizer EmbedScope can read, so its rows for king, man and woman cannot be found";
    return out;
  }
  for (const char* w : {"king", "man", "woman"}) {
    const std::optional<int> id = word_token(*tok, w);
    if (!id || *id >= m.vocab_size()) {
      out.missing = "The vocabulary of " + m.name() + " has no token of its own for \"" + w + "\"";
      out.ids.clear();
      return out;
    }
    out.ids.push_back(*id);
  }
  const TableView table = m.token_table_view();
  RowVectorF q;
  try {
    q = analogy_vector(table, out.ids[0], out.ids[1], out.ids[2]);
  } catch (const Error& e) {
    out.missing = e.what();
    return out;
  }
  const std::vector<Neighbour> top = nearest_neighbours(table, std::span<const float>(q.data(), q.size()), 10, out.ids);
  const std::optional<int> queen = word_token(*tok, "queen");
  for (std::size_t k = 0; k < top.size(); ++k) {
    if (queen && top[k].id == *queen) out.queen_rank = static_cast<int>(k) + 1;
    if (k < 5) out.nearest.push_back({visible_token_text(tok->token_bytes(top[k].id)), top[k].cosine});
  }
  return out;
}

}  // namespace

const LessonAnalogy& lesson_analogy(const ModelSource& m) {
  // One per model: the table's address and shape tell models apart (a name can be reused).
  static std::mutex mu;
  static std::map<std::tuple<const void*, long long, long long, std::string>, std::unique_ptr<LessonAnalogy>> cache;
  const TableView t = m.token_table_view();
  const auto key = std::make_tuple(t.data, t.rows, t.cols, m.name());
  std::lock_guard lock(mu);
  if (cache.size() >= 16 && !cache.count(key)) cache.clear();  // models opened one after another
  std::unique_ptr<LessonAnalogy>& slot = cache[key];
  if (!slot) slot = std::make_unique<LessonAnalogy>(compute_analogy(m));
  return *slot;
}

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
  {
    // Step 3: one-hot rows are all sqrt(2) apart; E's rows need not be.
    std::string s3 = "Any two different one-hot rows are sqrt(2) = 1.414 apart and at right angles, whatever the words: "
                     "one-hot says nothing about which words are alike.";
    int a_pos = -1, b_pos = -1;
    for (long long k = 0; k < n && b_pos < 0; ++k) {
      if (a_pos < 0) a_pos = static_cast<int>(k);
      else if (a.ids()[static_cast<std::size_t>(k)] != a.ids()[static_cast<std::size_t>(a_pos)]) b_pos = static_cast<int>(k);
    }
    if (b_pos >= 0) {
      const double c = row_cosine(e.token, a_pos, b_pos);
      s3 += " The rows of E can be: here " + quoted(a.token_texts()[static_cast<std::size_t>(a_pos)]) + " and " +
            quoted(a.token_texts()[static_cast<std::size_t>(b_pos)]) + " have cosine " + fixed(c, 3) +
            (m.trained() ? "." : " (a random table: an untrained model knows no likeness yet).");
    }
    v["one_hot_sentence"] = s3;
  }
  {
    // The meaning step: king - man + woman, computed in this model's table.
    const LessonAnalogy& an = lesson_analogy(m);
    if (!an.missing.empty() || an.nearest.empty()) {
      v["analogy_sentence"] = (an.missing.empty() ? std::string("Nothing to compute here") : an.missing) +
                              ". Open GPT-2 in the Model view to try it on the real table.";
    } else {
      std::string s5 = "In " + m.name() + ", E[king] - E[man] + E[woman] is nearest to " + quoted(an.nearest[0].first) +
                       " (cosine " + fixed(an.nearest[0].second, 3) + ")";
      if (an.nearest.size() >= 3)
        s5 += ", then " + quoted(an.nearest[1].first) + " and " + quoted(an.nearest[2].first);
      s5 += ".";
      if (!m.trained())
        s5 += " The table is random, so that is chance: word2vec-style tables famously land near queen (Mikolov et al. "
              "2013), and only training can put it there.";
      else if (an.queen_rank == 1)
        s5 += " That is queen, the famous answer: the direction from man to woman is nearly the one from king to queen.";
      else if (an.queen_rank > 1)
        s5 += " Queen is number " + std::to_string(an.queen_rank) + ": close, not first.";
      else
        s5 += " Queen is not among the first ten here: the famous result is word2vec's (Mikolov et al. 2013), and an "
              "input table need not repeat it.";
      v["analogy_sentence"] = s5;
    }
  }
  // ---- Sentences chosen by what the numbers say (the rules the lesson test checks) ----
  const std::shared_ptr<const Tokenizer> tok = m.tokenizer();
  // Step 1: spaces are shown only when this tokenizer's pieces carry them.
  if (!tok) {
    v["spaces_sentence"] = "This model comes without a tokenizer EmbedScope can read, so the text box takes ids directly.";
    v["unknown_word_try"] = "Type ids with a repeat, e.g. \"ids: 1 2 3 1 4\", and follow the repeated id through the steps.";
  } else {
    bool spaces = false;
    for (int id : tok->encode("the cat sat"))
      if (const std::string b = tok->token_bytes(id); b.find(' ') != std::string::npos || b.find("\xE2\x96\x81") != std::string::npos)
        spaces = true;
    v["spaces_sentence"] = spaces ? "Spaces belong to tokens: a word after a space is usually one piece with its space in front (shown as \u2423)."
                                  : "This tokenizer cuts at the spaces and drops them: one word, one token.";
    const std::vector<int> pieces = tok->encode("tokenizerification");
    if (pieces.size() > 1) {
      v["unknown_word_try"] = "Type a word the tokenizer has never seen (say \"tokenizerification\") and watch it break into " +
                              std::to_string(pieces.size()) + " pieces.";
    } else if (pieces.size() == 1) {
      v["unknown_word_try"] = "Type a word its vocabulary lacks (say \"tokenizerification\"): it becomes " +
                              quoted(tok->token_bytes(pieces[0])) + " (id " + std::to_string(pieces[0]) +
                              "), like every unknown word: whole words cannot spell new ones.";
    } else {
      v["unknown_word_try"] = "Type a word the tokenizer has never seen (say \"tokenizerification\") and see what it becomes.";
    }
  }
  // Steps 2, 4 and 6 follow one repeated token; a text without one gets a sentence that has one.
  const std::string suggestion = suggest_repeat_sentence(tok.get());
  const std::string try_repeat = suggestion.empty() ? "" : " Try \"" + suggestion + "\", where this tokenizer repeats a token.";
  // Step 6's formula: what this model adds (BERT adds a token-type row too).
  const bool adds = s.adds_to_input();
  const bool types = m.token_type_table().has_value();
  const double scale = m.embedding_scale();
  const std::string scaled =
      scale != 1.0 ? " (" + m.name() + " first multiplies every token row by " + fixed(scale, 3) + " = sqrt(" +
                         grouped_number(m.dim()) + "); the token rows shown are already multiplied)"
                   : "";
  v["sum_formula"] = adds ? std::string("The model adds the two: combined row i = token row i + position row i") +
                                (types ? " + the token-type row of its segment (type 0 here)" : "") + scaled + "."
                          : "The model adds the two: combined row i = token row i + position row i" +
                                std::string(types ? " + the token-type row of its segment (type 0 here)" : "") + scaled +
                                "; here the position row is zero.";
  v["sum_try"] = adds ? "Switch to RoPE and watch the difference strip vanish: RoPE adds nothing here."
                      : "Switch to learned or sinusoidal positions and watch the two rows part: those add a row per position.";
  if (!a.repeats().empty()) {
    const RepeatedTokenGroup& g = a.repeats().front();
    const int gi = g.positions[0], gj = g.positions[1];
    const std::string what = quoted(a.token_texts()[static_cast<std::size_t>(gi)]);
    const double ct = row_cosine(e.token, gi, gj), cc = row_cosine(e.combined, gi, gj);
    const bool differ = e.combined.row(gi) != e.combined.row(gj);
    v["ids_repeat_sentence"] = "Equal pieces get equal ids: " + what + " is id " + std::to_string(g.id) + " both times.";
    v["token_rows_sentence"] = "The two " + what + " rows (positions " + std::to_string(gi) + " and " + std::to_string(gj) +
                               ") are identical: same id, same row (cosine " + cosine_text(ct) + ").";
    if (differ)
      v["sum_sentence"] = "The two " + what + " rows are no longer equal: cosine " + cosine_text(ct) + " before, " +
                          cosine_text(cc) + " after. The strip below is their difference.";
    else if (!adds)
      v["sum_sentence"] = "The two " + what + " rows stay equal (cosine " + cosine_text(cc) + " before and after): " +
                          (find_scheme(s.name()) ? find_scheme(s.name())->title : s.name()) +
                          " adds nothing at the input. " + first_sentence(s.where_position_enters());
    else
      v["sum_sentence"] = "The two " + what + " rows are still equal after the sum (cosine " + cosine_text(cc) +
                          "): their position rows happen to be the same.";
  } else {
    v["ids_repeat_sentence"] = "Equal pieces get equal ids, but this text repeats no token." + try_repeat;
    v["token_rows_sentence"] = "No token repeats in this text, so no two rows match." + try_repeat;
    v["sum_sentence"] = "With no repeated token there is no equal pair to compare here." + try_repeat;
  }
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
  v["rope_step"] = std::to_string(find_lesson_step("rope") + 1);
  {
    // DeBERTa's log buckets: the model's own settings when it is a DeBERTa, else the published ones.
    const bool own = s.name() == "deberta";
    const int buckets = own ? s.params().buckets : 256;
    const int max_rel = own ? s.params().max_distance : 512;
    v["deberta_mid"] = "+-" + std::to_string(buckets / 2);
    v["deberta_max"] = "+-" + std::to_string(max_rel);
  }
  v["alibi_step"] = std::to_string(find_lesson_step("alibi") + 1);
  v["scheme_where"] = s.where_position_enters();
  const std::optional<long long> table = s.max_positions();
  const int offset = m.position_offset();
  v["position_source"] =
      info && info->counted == WeightsCounted::PositionTable && table
          ? std::string("Here they come from a ") + (m.trained() ? "trained" : "learned-style (random here: this model is untrained)") +
                " table of " + grouped_number(*table) + " rows: " +
                (offset > 0 ? "row i + " + std::to_string(offset) + " is added at position i (its first " +
                                  std::to_string(offset) + " rows are reserved)"
                            : std::string("row i is added at position i")) +
                ", so a text can have at most " + grouped_number(*table) + " tokens."
          : "Here they come from a formula, " + s.describe() + ", so there is no table to train.";
  const WeightCounts w = input_weight_counts(m, s.params());
  v["token_weights"] = grouped_number(w.token_table);
  v["position_weights"] = grouped_number(w.position_table);
  v["norm_weights"] = grouped_number(w.layer_norm);
  v["total_weights"] = grouped_number(w.total);
  {
    const std::string title = info ? info->title : s.name();
    std::string learned = w.position_table > 0 ? "the token table, the position table" : "the token table";
    if (w.scheme_bias > 0) learned += ", " + w.scheme_bias_label;
    learned += w.layer_norm > 0 ? " and the norm's weights" : "";
    v["weights_learned_sentence"] =
        (m.trained() ? "All of them were learned in training: " : "All of them are learned in training (random here, untrained): ") +
        learned + "." +
        (w.position_table == 0 && w.scheme_bias == 0 ? " " + title + " has no position weights at the input: a formula." : "");
  }
  v["norm_label"] = a.norm_label();
  {
    // Step 7: what this model's first norm does (its kind, whether it has weights), or that it has none.
    const std::optional<LayerNormParams> ln = m.first_layer_norm();
    const std::string count = grouped_number(w.layer_norm);
    if (!ln)
      v["norm_sentence"] = m.name() + " applies no norm to these rows before block 0's attention; the figure shows a plain "
                                      "LayerNorm (gain 1, bias 0) for comparison: each row minus its mean, divided by its "
                                      "standard deviation.";
    else if (ln->kind == NormKind::LayerNorm && !ln->learned)
      v["norm_sentence"] = "Before attention each row is normalised: LayerNorm subtracts the row's mean and divides by its "
                           "standard deviation. This one has no learned weights, so that is all it does.";
    else if (ln->kind == NormKind::LayerNorm)
      v["norm_sentence"] = "Before attention each row is normalised: LayerNorm subtracts the row's mean, divides by its "
                           "standard deviation, then multiplies by a learned gain and adds a learned bias (" + count +
                           " weights).";
    else
      v["norm_sentence"] = std::string("Before attention each row is normalised: RMSNorm divides the row by its root mean "
                                       "square (no mean is subtracted), then multiplies it by ") +
                           (ln->kind == NormKind::RmsNormOnePlus ? "1 + a learned weight per column" : "a learned gain") +
                           " (" + count + " weights).";
  }
  {
    // Step 8: every part of the input stage this model has, and their sum.
    std::vector<std::pair<long long, std::string>> parts;
    if (w.position_table) parts.push_back({w.position_table, "position weights"});
    if (w.token_type_table) parts.push_back({w.token_type_table, "token-type weights"});
    if (w.scheme_bias) parts.push_back({w.scheme_bias, "weights in " + w.scheme_bias_label});
    if (w.layer_norm) parts.push_back({w.layer_norm, "norm weights"});
    if (w.projection) parts.push_back({w.projection, "weights in the projection to the hidden size"});
    std::string text = "The input stage of " + m.name() + " has V x d = " + grouped_number(V) + " x " + grouped_number(d) +
                       " = " + grouped_number(w.token_table) + " token weights";
    for (std::size_t k = 0; k < parts.size(); ++k)
      text += std::string(k + 1 == parts.size() ? " and " : ", ") + grouped_number(parts[k].first) + " " + parts[k].second;
    text += parts.empty() ? ", and nothing else." : ": " + grouped_number(w.total) + " in all.";
    v["weights_sentence"] = text;
  }
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
  {
    char setting[160];
    const bool own = !s.rotation_frequencies(dh, static_cast<long long>(e.ids.size())).empty();
    std::snprintf(setting, sizeof setting, "%s base %g, head width %lld, %zu rotating pairs", own ? "this model's" : "plain RoPE's",
                  own ? s.params().base : 10000.0, dh, angles.size());
    v["rope_setting"] = setting;
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
  {
    // "With RoPE, equal tokens keep ...": the scheme's story as one sentence, no seam.
    std::string story = s.repeated_token_story();
    if (!story.empty() && story[0] >= 'A' && story[0] <= 'Z' && !(story.size() > 1 && story[1] >= 'A' && story[1] <= 'Z'))
      story[0] = static_cast<char>(story[0] - 'A' + 'a');
    v["stories"] = "With " + v["scheme_title"] + ", the scheme in use: " + story;
  }
  // T5's buckets: exact for offsets below max_exact (half the buckets of a direction), then
  // logarithmically wider up to max_distance (bidirectional: half the buckets per sign).
  {
    const int buckets = bucketed ? s.params().buckets : 32;
    const bool causal = s.params().causal;
    const int per_side = causal ? buckets : buckets / 2;
    const int exact = per_side / 2;
    const SchemeData data = m.scheme_data();
    if (m.default_scheme().kind == "t5" && data.bucket_bias && data.bucket_bias->rows() > 1) {  // the figure's own
      const MatrixRM& b = *data.bucket_bias;  // (buckets, heads)
      v["t5_sentence"] = "In " + m.name() + " these biases are learned: head 1 adds " + fixed(b(0, 0), 2) +
                         " to the logit of a key at offset 0 and " + fixed(b(b.rows() - 1, 0), 2) +
                         " to one in the last bucket (" + data.source + ").";
    } else {
      v["t5_sentence"] = "No trained T5 is loaded, so the figure colours each offset by its bucket number: cells of one "
                         "colour share one bucket, and a trained model would learn one bias for each.";
    }
    v["t5_try"] = "In the Schemes view (key 4), set the length n to 64 or more: each offset below " + std::to_string(exact) +
                  " has a bucket of its own, farther ones share wider and wider buckets up to " +
                  v["t5_max_distance"] + ".";
  }
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
