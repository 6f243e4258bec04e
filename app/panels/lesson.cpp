// Lesson view (key 8): a guided walk from text to the first layer's input, one step at a time.
//
// The steps' words come from assets/lesson.json through core (lesson.h), their numbers from
// the loaded model (lesson_values); each step draws one live figure from AppState's analysis.
// Next / previous: arrow keys, PageDown / PageUp (presentation clickers), Space, the buttons;
// a step counter with a jump list. Animations (the lookup, the sum, RoPE's rotation) run at the
// display's frame rate and can be replayed and paused; "reduced motion" jumps to their end.
#include "audit.h"
#include "colors.h"
#include "heatmap.h"
#include "lesson.h"
#include "panel.h"
#include "widgets.h"

#include <GLFW/glfw3.h>

#include <chrono>
#include <cmath>

namespace es::ui {
namespace {

constexpr double kAnimSeconds = 2.5;

// The figure a step shows, in presenter mode and out of it alike: its own; when the step does
// not apply to the scheme in use (`instead`: step 6 under a scheme that adds nothing at the
// input), the schemes side by side for step 6's position rows (still, not animated) and none
// for another step.
struct Shown {
  std::string figure, scheme;
  bool animated;
};
Shown shown_figure(const LessonStep& s, const std::string& instead) {
  if (instead.empty()) return {s.figure, s.scheme, true};
  if (s.figure == "position_rows") return {"side_by_side", "", false};
  return {"", "", false};
}

class LessonPanel final : public Panel {
 public:
  const char* name() const override { return "lesson"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Lesson; }

  void set_option(const std::string& key, const std::string& value) override {
    if (key == "step") {
      const int k = find_lesson_step(value);
      if (k < 0) throw Error("lesson.step: no step '" + value + "' (1-" + std::to_string(lesson_steps().size()) + " or an id)");
      go(k);
    } else if (key == "reduced_motion") {
      reduced_motion_ = value == "1" || value == "true";
    } else if (key == "end") {  // screenshots: every animation at its end state
      end_state_ = value == "1" || value == "true";
    } else {
      throw Error("unknown option lesson." + key + " (step, reduced_motion, end)");
    }
  }
  bool animating() const override {
    return animated(lesson_steps()[static_cast<std::size_t>(step_)].figure) && !paused_ && progress() < 1.0f;
  }
  std::vector<std::pair<std::string, std::string>> options() const override {
    return {{"reduced_motion", reduced_motion_ ? "1" : "0"}};
  }

  void draw(AppState& state, ImVec2 size) override {
    const auto& steps = lesson_steps();
    const float em = ImGui::GetFontSize();
    keys();
    const LessonStep& s = steps[static_cast<std::size_t>(step_)];
    const std::map<std::string, std::string> values = lesson_values(state.analysis());
    values_ = &values;  // for the figures (the RoPE figure draws the angle the text states)
    // Presenter mode: the figure and one caption line (the title and the step's point: the
    // sentence the asset names, e.g. step 6's "no longer equal").
    if (state.presenter) {
      const std::string first = s.text.empty() ? "" : fill_placeholders(s.text[std::min(s.presenter, s.text.size() - 1)], values);
      ImGui::PushFont(fonts().large);
      ImGui::TextWrapped("%d/%d  %s", step_ + 1, static_cast<int>(steps.size()), s.title.c_str());
      ImGui::PopFont();
      const std::string instead_p = lesson_step_instead(s, state.analysis(), values);
      wrapped_text(instead_p.empty() ? ImGui::GetColorU32(ImGuiCol_Text) : kWarn, instead_p.empty() ? first : instead_p);
      const Shown f = shown_figure(s, instead_p);
      const ImVec2 at = ImGui::GetCursorScreenPos(), room = ImGui::GetContentRegionAvail();
      if (!f.figure.empty()) audit_key(("lesson figure: " + f.figure).c_str(), at, ImVec2(at.x + room.x, at.y + room.y));
      ImGui::BeginChild("figure", room, false, ImGuiWindowFlags_NoScrollbar);
      if (!f.figure.empty()) figure(state, f.figure, f.scheme, ImGui::GetContentRegionAvail(), f.animated ? progress() : 1.0f);
      ImGui::EndChild();
      return;
    }
    // Navigation row: previous, the counter with a jump list, next, replay / pause, reduced motion.
    if (ImGui::ArrowButton("##prev", ImGuiDir_Left)) go(step_ - 1);
    ImGui::SameLine();
    char counter[32];
    std::snprintf(counter, sizeof counter, "Step %d / %d", step_ + 1, static_cast<int>(steps.size()));
    ImGui::SetNextItemWidth(em * 8);
    if (ImGui::BeginCombo("##jump", counter)) {
      for (int k = 0; k < static_cast<int>(steps.size()); ++k)
        if (ImGui::Selectable((std::to_string(k + 1) + "  " + steps[static_cast<std::size_t>(k)].title).c_str(), k == step_))
          go(k);
      ImGui::EndCombo();
    }
    ImGui::SameLine();
    if (ImGui::ArrowButton("##next", ImGuiDir_Right)) go(step_ + 1);
    if (animated(s.figure)) {
      ImGui::SameLine();
      if (ImGui::Button("Replay")) go(step_);
      ImGui::SameLine();
      if (ImGui::Button(paused_ ? "Play" : "Pause")) toggle_pause();
    }
    ImGui::SameLine();
    ImGui::Checkbox("reduced motion", &reduced_motion_);
    ImGui::SameLine();
    one_line_text(ImGui::GetColorU32(ImGuiCol_TextDisabled), "  arrows / PageUp / PageDown step through");  // cut with ... when narrow
    // Title, sentences and what to try in a column at the left, the figure beside it (on a
    // narrow window: above it), so the figure gets the height of the screen.
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    // Side by side by the panel's whole width: the scrollbar the one-column layout brings must
    // not keep it in one column (at 1280x720 x2 a checkpoint's step 1 stayed in one column, its
    // figure pushed out of view).
    const float panel_w = avail.x + (ImGui::GetScrollMaxY() > 0.0f ? ImGui::GetStyle().ScrollbarSize : 0.0f);
    const bool side = panel_w > em * 36;
    const std::string instead = lesson_step_instead(s, state.analysis(), values);
    const Shown shown = shown_figure(s, instead);
    // The maps side by side (step 15, and step 6 under a scheme that adds nothing at the input)
    // are seven figures in a row: their text column may narrow to 12 ems (16 for the others).
    const bool wide_figure = shown.figure == "side_by_side";
    const float text_w = side ? std::clamp(avail.x * 0.32f, em * (wide_figure ? 12.0f : 16.0f), em * 28) : avail.x;
    if (side) ImGui::BeginChild("words", ImVec2(text_w, avail.y), false);
    ImGui::PushFont(fonts().large);
    ImGui::TextWrapped("%d. %s", step_ + 1, s.title.c_str());
    ImGui::PopFont();
    try {
      if (!instead.empty()) {
        wrapped_text(kWarn, instead);
      } else {
        for (const std::string& t : s.text) {
          ImGui::TextWrapped("%s", fill_placeholders(t, values).c_str());
          ImGui::Spacing();
        }
      }
      wrapped_text(kAccent, "Try this: " + fill_placeholders(s.try_this, values));
    } catch (const std::exception& e) {
      wrapped_text(kWarn, e.what());
    }
    if (side) {
      ImGui::EndChild();
      ImGui::SameLine(0, em);
    }
    const ImVec2 area = ImGui::GetContentRegionAvail();
    if (area.y < em * 4 || area.x < em * 8) {
      audit_key_missing(("lesson figure: " + s.figure).c_str());
      return;
    }
    audit_key(("lesson figure: " + s.figure).c_str(), ImGui::GetCursorScreenPos(),
              ImVec2(ImGui::GetCursorScreenPos().x + area.x, ImGui::GetCursorScreenPos().y + area.y));
    ImGui::BeginChild("figure", area, false, ImGuiWindowFlags_NoScrollbar);
    const float t = progress();
    if (!shown.figure.empty()) figure(state, shown.figure, shown.scheme, ImGui::GetContentRegionAvail(), shown.animated ? t : 1.0f);
    ImGui::EndChild();
    (void)size;
  }

 private:
  void keys() {
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput) return;
    if (ImGui::IsKeyPressed(GLFW_KEY_RIGHT) || ImGui::IsKeyPressed(GLFW_KEY_PAGE_DOWN) || ImGui::IsKeyPressed(GLFW_KEY_SPACE))
      go(step_ + 1);
    if (ImGui::IsKeyPressed(GLFW_KEY_LEFT) || ImGui::IsKeyPressed(GLFW_KEY_PAGE_UP)) go(step_ - 1);
  }
  void go(int k) {
    step_ = std::clamp(k, 0, static_cast<int>(lesson_steps().size()) - 1);
    start_ = std::chrono::steady_clock::now();
    paused_ = false;
    paused_at_ = 0;
  }
  void toggle_pause() {
    if (!paused_) {
      paused_at_ = progress();
      paused_ = true;
    } else {
      // resume where it stopped
      start_ = std::chrono::steady_clock::now() -
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(paused_at_ * kAnimSeconds));
      paused_ = false;
    }
  }
  float progress() const {
    if (end_state_ || reduced_motion_) return 1.0f;
    if (paused_) return paused_at_;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    return static_cast<float>(std::clamp(s / kAnimSeconds, 0.0, 1.0));
  }
  static bool animated(const std::string& f) { return f == "lookup" || f == "sum" || f == "rotation"; }

  // The scheme's place in the registry (a heatmap version salt).
  static uint64_t scheme_index(const SchemeInfo& info) {
    const auto& all = scheme_registry();
    return static_cast<uint64_t>(std::find(all.begin(), all.end(), &info) - all.begin());
  }

  // Smooth 0..1 over [a, b] of t.
  static float phase(float t, float a, float b) {
    const float x = std::clamp((t - a) / (b - a), 0.0f, 1.0f);
    return x * x * (3 - 2 * x);
  }

  void heatmap(Heatmap& map, const char* id, const MatrixRM& m, const std::string& title, ImVec2 size, const AppState& state,
               float range, bool labels, uint64_t version_salt, const std::string& short_title = "", float label_width = 0) {
    HeatmapSpec spec;
    spec.short_title = short_title;
    spec.label_width = labels ? label_width : 0.0f;
    spec.values = m.data();
    spec.rows = m.rows();
    spec.cols = m.cols();
    spec.version = state.version() * 64 + version_salt;
    spec.range = range;
    spec.title = title;
    spec.col_count = std::min<long long>(m.cols(), 24);
    spec.show_labels = labels;
    spec.row_noun = "token";
    spec.row_label = [&state](long long r) { return row_label(state, r); };
    spec.row_label_colour = [&state](long long r) { return token_colour(state, state.ids()[static_cast<std::size_t>(r)]); };
    if (!state.repeats().empty())
      for (int p : state.repeats().front().positions)
        spec.marks.push_back({p, token_colour(state, state.repeats().front().id), "repeat"});
    map.draw(id, spec, size);
  }

  // f: the figure; scheme: the registry scheme a scheme figure draws (scheme_rows, rotation,
  // scheme_bias), from the step in assets/lesson.json.
  void figure(AppState& state, const std::string& f, const std::string& scheme, ImVec2 area, float t) {
    const float em = ImGui::GetFontSize();
    const InputEmbedding& e = state.embedding();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    if (f == "tokens" || f == "ids") {
      // Large chips (their "pos N · id K" caption in the body size, smaller than the token it
      // names) when all of them fit the figure, else the Tokens view's size: a checkpoint's
      // three rows of scheme controls at 1280x720 x2 left room for two rows of large chips.
      const float gap_x = ImGui::GetStyle().ItemSpacing.x, gap_y = ImGui::GetStyle().ItemSpacing.y;
      const auto height_of = [&](bool large) {
        ImFont* font = large ? fonts().large : fonts().regular;
        float x = 0, rows = 1;
        for (int i = 0; i < state.length(); ++i) {
          const float w = token_chip_width(state, i, large);
          if (x > 0 && x + w > area.x) rows += 1, x = 0;
          x += w + gap_x;
        }
        const float chip = token_chip_height(large) + (f == "ids" ? font->FontSize + gap_y : 0.0f);
        return rows * (chip + gap_y);
      };
      const bool large = height_of(true) <= area.y;
      for (int i = 0; i < state.length(); ++i) {
        if (i > 0) {  // wrap the chips at the figure's edge
          ImGui::SameLine();
          if (ImGui::GetContentRegionAvail().x < token_chip_width(state, i, large)) ImGui::NewLine();
        }
        ImGui::BeginGroup();
        token_chip(state, i, large);
        if (f == "ids") {
          const std::string id = "id " + std::to_string(state.ids()[static_cast<std::size_t>(i)]);
          if (large) ImGui::PushFont(fonts().large);
          ImGui::TextColored(ImColor(token_colour(state, state.ids()[static_cast<std::size_t>(i)])), "%s", id.c_str());
          if (large) ImGui::PopFont();
        }
        ImGui::EndGroup();
      }
      return;
    }
    if (f == "lookup") return lookup(state, area, t);
    const float range = std::max({max_abs(e.token.data(), e.token.size()), max_abs(e.position.data(), e.position.size()),
                                  max_abs(e.combined.data(), e.combined.size()), 1e-6f});
    if (f == "token_rows") return heatmap(maps_[0], "tok", e.token, "token rows E[id]  (n x d)", area, state, range, true, 1);
    if (f == "position_rows") return heatmap(maps_[1], "pos", e.position, "position rows P  (n x d)", area, state, range, true, 2);
    if (f == "norm") {
      if (!e.normed) return;
      const float w = (area.x - em) / 2;
      const ImVec2 origin = ImGui::GetCursorScreenPos();
      heatmap(maps_[0], "comb", e.combined, "combined rows", ImVec2(w, area.y), state, range, true, 3);
      ImGui::SetCursorScreenPos(ImVec2(origin.x + w + em, origin.y));  // the widget ends on a new line
      const float r2 = max_abs(e.normed->data(), e.normed->size());
      heatmap(maps_[1], "normed", *e.normed, "after the norm", ImVec2(w, area.y), state,
              std::max(r2, 1e-6f), false, 4);
      return;
    }
    if (f == "sum") return sum(state, area, t, range);
    if (f == "weights" || f == "tying") return weights(state, f == "tying");
    if (f == "scheme_rows") {
      // The rows a formula scheme adds at the input, for positions 0-63.
      const SchemeInfo& info = scheme_info(scheme);
      SchemeParams p = scheme_defaults(info);
      // The model's width when it shows the waves (at least 32, even), else 64 for the picture.
      const long long md = state.model().dim();
      const long long n = 64, d = md >= 32 && md % 2 == 0 ? std::min<long long>(md, 128) : 64;
      static_matrix_ = info.make(p, SchemeData{})->input_rows(n, d);
      HeatmapSpec spec;
      spec.values = static_matrix_.data();
      spec.rows = n;
      spec.cols = d;
      spec.version = 1000 + static_cast<uint64_t>(d) * 64 + scheme_index(info);
      spec.range = std::max(1e-6f, max_abs(static_matrix_.data(), static_matrix_.size()));
      spec.title = std::string(info.title) + " rows for positions 0-63, d = " + std::to_string(d);
      spec.show_values = false;
      spec.row_noun = "position";
      spec.row_label = [](long long r) { return std::to_string(r); };
      maps_[2].draw("rows", spec, area);
      return;
    }
    if (f == "rotation") return rope(area, t);
    if (f == "scheme_bias") {
      // A scheme's position term inside attention, head 1, for 16 queries and keys (causal).
      // The model's own trained scheme when it is this one (T5's learned biases), else the
      // scheme's published defaults, causal.
      const SchemeInfo& info = scheme_info(scheme);
      const bool own = state.model().default_scheme().kind == info.name;
      SchemeParams p = own ? state.model().default_scheme() : scheme_defaults(info);
      if (!own) p.causal = true;
      if (!own) p.heads = state.model().num_heads() > 0 ? state.model().num_heads() : 8;
      p.head = 1;
      const std::unique_ptr<PositionScheme> made = own ? make_model_scheme(state.model(), p) : info.make(p, SchemeData{});
      static_matrix_ = made->interaction(16, 64);
      HeatmapSpec spec;
      spec.values = static_matrix_.data();
      spec.rows = 16;
      spec.cols = 16;
      spec.version = 2000 + static_cast<uint64_t>(p.heads) * 64 + scheme_index(info) + (own ? state.version() * 8192 : 0);
      spec.range = std::max(1e-6f, max_abs(static_matrix_.data(), static_matrix_.size()));
      // T5 without its trained table colours bucket numbers, not biases: the title says which.
      const bool buckets_only = info.data == SchemeDataKind::BucketBias && !(own && state.model().scheme_data().bucket_bias);
      spec.title = std::string(info.title) + (buckets_only ? ": the bucket number of j - i, query i by key j"
                                                           : ", head 1 of " + std::to_string(p.heads) + ": query i by key j");
      spec.row_noun = "query";
      spec.col_noun = "key";
      spec.row_label = [](long long r) { return std::to_string(r); };
      spec.square_cells = true;
      spec.short_title = std::string(info.title) + (buckets_only ? ": bucket numbers" : "");
      wrapped_text(kMuted, "S: " + made->interaction_meaning());
      area.y -= ImGui::GetItemRectSize().y + ImGui::GetStyle().ItemSpacing.y;
      maps_[3].draw("bias", spec, area);
      return;
    }
    if (f == "side_by_side") return side_by_side(state, area);
    if (f == "analogy") return analogy(state, area);
    (void)dl;
  }

  // The one-hot row slides to the id, E's row lights up, and moves out as the token row.
  void lookup(AppState& state, ImVec2 area, float t) {
    const float em = ImGui::GetFontSize();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const int pos = std::clamp(state.selected_position, 0, state.length() - 1);
    const int id = state.ids()[static_cast<std::size_t>(pos)];
    const long long V = state.model().vocab_size(), d = state.model().dim();
    const long long cols = std::min<long long>(d, 12);
    // The sentence as chips, wrapping onto more lines rather than running off the figure:
    // clicking one selects its token (and moves the 1).
    const float chips_top = ImGui::GetCursorScreenPos().y;
    const float right = ImGui::GetCursorScreenPos().x + area.x;
    // The chips' height when they wrap at the figure's edge (a 60-token text took 9 rows of
    // chips and pushed the one-hot figure off the bottom).
    float chips_h = 0;
    {
      const float gap = ImGui::GetStyle().ItemSpacing.x, chip_h = token_chip_height(false);
      float x = 0;
      int rows = 1;
      for (int i = 0; i < state.length(); ++i) {
        const float w = token_chip_width(state, i, false);
        if (i > 0 && x + gap + w > area.x) ++rows, x = 0;
        x += (x > 0 ? gap : 0.0f) + w;
      }
      chips_h = static_cast<float>(rows) * (chip_h + ImGui::GetStyle().ItemSpacing.y);
    }
    if (area.y < em * 16 || chips_h > area.y * 0.4f) {
      // Too little height for chips and the figure (a projector's scale, a long text): one line
      // naming the token; the chips of the Tokens view (or the text box) choose another.
      one_line_text(kMuted, "token \"" + visible_token_text(state.token_texts()[static_cast<std::size_t>(pos)]) +
                                "\" at position " + std::to_string(pos) + ", id " + std::to_string(id) +
                                " (click a token in the Tokens view to choose another)");
    } else {
      for (int i = 0; i < state.length(); ++i) {
        if (i > 0) {
          const float next_x = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x;
          if (next_x + ImGui::GetItemRectSize().x <= right) ImGui::SameLine();
        }
        token_chip(state, i, false);
      }
    }
    ImGui::Dummy(ImVec2(1, em * 0.5f));
    area.y -= ImGui::GetCursorScreenPos().y - chips_top;
    // A window of vocabulary rows around the id: up to 12 (all of them for small tables), as
    // many as fit with the title above and the result line below at a readable cell size.
    // (the title line 1.4 em, the rows and the result row below them 1.5 em further, at the
    // smallest cell, 0.8 em)
    const long long fit = std::max(3LL, static_cast<long long>((area.y - em * 3.2f) / (em * 0.8f)) - 1);
    const long long shown = std::min<long long>({V, 12, fit});
    const long long first = std::clamp<long long>(id - shown / 2, 0, V - shown);
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float cell = std::max(em * 0.8f, std::min((area.y - em * 4) / float(shown + 2), (area.x - em * 14) / float(cols + 3)));
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), muted = kMuted;
    // Digits and row numbers no taller than a cell (at the smallest cells, 0.8 em, full-size
    // digits ran into the next row's).
    const float digit_size = std::min(em, cell * 0.9f);
    // The one-hot row (vertical here: one cell per vocabulary row).
    const float hx = p0.x;
    dl->AddText(ImVec2(hx, p0.y), text, "one-hot");
    const float slide = phase(t, 0.0f, 0.45f);  // the 1 travels from the first shown row to the id
    const float one_at = float(first) + slide * float(id - first);
    for (long long r = 0; r < shown; ++r) {
      const ImVec2 a(hx, p0.y + em * 1.4f + float(r) * cell), b(a.x + cell, a.y + cell - 2);
      dl->AddRect(a, b, muted);
      const bool here = std::abs(float(first + r) - one_at) < 0.5f;
      const char* digit = here ? "1" : "0";
      const float dw = ImGui::GetFont()->CalcTextSizeA(digit_size, FLT_MAX, 0, digit).x;
      dl->AddText(ImGui::GetFont(), digit_size, ImVec2(a.x + cell * 0.5f - dw / 2, a.y + (cell - digit_size) / 2),
                  here ? kAccent : muted, digit);
    }
    // E: the shown rows, the id's row lighting up.
    const float ex = hx + cell * 1.5f + em * 2.5f;
    // Only the rows shown, read from the table as stored (a BF16 table is not converted).
    const TableView table = state.model().token_table_view();
    MatrixRM E(shown, d);
    table.read_rows(first, shown, E.data());
    RowVectorF own(d);
    table.read_rows(id, 1, own.data());
    const float range = std::max(1e-6f, max_abs(own.data(), d));
    const std::string rows = std::to_string(first) + "-" + std::to_string(first + shown - 1);
    const std::string title = longest_fitting({"E (rows " + rows + " of " + std::to_string(V) + ", first " + std::to_string(cols) +
                                                   " of " + std::to_string(d) + " dims)",
                                               "E (rows " + rows + ", " + std::to_string(cols) + " of " + std::to_string(d) + " dims)",
                                               "E rows " + rows},
                                              p0.x + area.x - ex);
    dl->AddText(ImVec2(ex, p0.y), text, title.c_str());
    const float light = phase(t, 0.45f, 0.7f);
    for (long long r = 0; r < shown; ++r) {
      const long long row = first + r;
      const float y = p0.y + em * 1.4f + float(r) * cell;
      for (long long c = 0; c < cols; ++c) {
        const float v = E(r, c) / range;
        const float alpha = row == id ? 0.35f + 0.65f * light : 0.35f;
        dl->AddRectFilled(ImVec2(ex + float(c) * cell, y), ImVec2(ex + float(c + 1) * cell - 1, y + cell - 2), value_colour(v, 1.0f));
        if (alpha < 1) dl->AddRectFilled(ImVec2(ex + float(c) * cell, y), ImVec2(ex + float(c + 1) * cell - 1, y + cell - 2),
                                         ImGui::GetColorU32(ImGuiCol_WindowBg, 1 - alpha));  // dimmed toward the theme's background
      }
      const std::string label = std::to_string(row);
      dl->AddText(ImGui::GetFont(), digit_size,
                  ImVec2(ex - ImGui::GetFont()->CalcTextSizeA(digit_size, FLT_MAX, 0, label.c_str()).x - 4, y + (cell - digit_size) / 2),
                  row == id ? kAccent : muted, label.c_str());
      if (row == id && light > 0) {
        dl->AddRect(ImVec2(ex - 2, y - 2), ImVec2(ex + float(cols) * cell + 1, y + cell), kAccent, 0, 0, 3.0f);
        audit_mark(dl, "lesson.row_frame", ImVec2(ex - 2, y - 2), ImVec2(ex + float(cols) * cell + 1, y + cell), kAccent);
      }
    }
    // The row moves out to become the token's row.
    const float out = phase(t, 0.7f, 1.0f);
    if (out > 0) {
      const float y0 = p0.y + em * 1.4f + float(id - first) * cell;
      const float y1 = p0.y + em * 1.4f + float(shown) * cell + em * 1.5f;
      const float y = y0 + (y1 - y0) * out;
      for (long long c = 0; c < cols; ++c)
        dl->AddRectFilled(ImVec2(ex + float(c) * cell, y), ImVec2(ex + float(c + 1) * cell - 1, y + cell - 2),
                          value_colour(own[c] / range, 1.0f));  // the id's own row (E holds only the rows shown)
      // The whole label when it fits beside the row, else a shorter one; over the row (in the
      // gap it crosses) when not even "= row of ..." fits beside it.
      const std::string tok = visible_token_text(state.token_texts()[static_cast<std::size_t>(pos)]);
      const float room = p0.x + area.x - (ex + float(cols) * cell + em * 0.5f);
      const std::string whole = "= token row of \"" + tok + "\" (position " + std::to_string(pos) + ", id " + std::to_string(id) + ")";
      const std::string brief = "= row of \"" + tok + "\"";
      if (ImGui::CalcTextSize(brief.c_str()).x <= room)
        dl->AddText(ImVec2(ex + float(cols) * cell + em * 0.5f, y + (cell - em) / 2), kAccent,
                    longest_fitting({whole, brief}, room).c_str());
      else
        dl->AddText(ImVec2(ex, y - em * 1.15f), kAccent, longest_fitting({whole, brief}, p0.x + area.x - ex).c_str());
    }
    ImGui::Dummy(area);
  }

  // token + position = combined, the combined rows filling in as the sum runs, then the
  // difference strip of the repeated pair.
  void sum(AppState& state, ImVec2 area, float t, float range) {
    const float em = ImGui::GetFontSize();
    const InputEmbedding& e = state.embedding();
    const float strip_h = state.repeats().empty() ? 0.0f : em * 3.5f;
    const float gap = em * 1.6f, label_w = em * 5;
    const float w = (area.x - 2 * gap - label_w) / 3, h = area.y - strip_h;
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    // The label column exactly label_w wide, so the three maps have cells of one width.
    heatmap(maps_[0], "t", e.token, "token rows", ImVec2(w + label_w, h), state, range, true, 10, "E[id]", label_w);
    ImGui::SetCursorScreenPos(ImVec2(origin.x + label_w + w + gap, origin.y));
    heatmap(maps_[1], "p", e.position, "+ position rows", ImVec2(w, h), state, range, false, 11, "+ P");
    ImGui::SetCursorScreenPos(ImVec2(origin.x + label_w + 2 * (w + gap), origin.y));
    // The sum shown growing from the token rows: token + s * position, s from 0 to 1.
    const float s = phase(t, 0.1f, 0.9f);
    partial_ = e.token + s * e.position;
    heatmap(maps_[2], "c", partial_, s < 1 ? "= combined (adding ...)" : "= combined rows", ImVec2(w, h), state, range, false,
            12 + static_cast<uint64_t>(s * 1000) * 64, "= sum");
    ImGui::SetCursorScreenPos(ImVec2(origin.x, origin.y + h + em * 0.3f));
    if (state.repeats().empty()) return;
    const RepeatedTokenGroup& g = state.repeats().front();
    const int i = g.positions[0], j = g.positions[1];
    diff_ = e.combined.row(j) - e.combined.row(i);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    // The caption in the longest form that fits the figure's width.
    const std::string verdict = e.position_added ? "not zero" : "all zero: this scheme adds nothing here";
    const std::string who = std::to_string(j) + " and " + std::to_string(i) + " (\"" +
                            state.token_texts()[static_cast<std::size_t>(i)] + "\")";
    const std::string cap = longest_fitting({"difference of the combined rows " + who + ": " + verdict,
                                             "rows " + who + " differ by: " + verdict,
                                             "row " + std::to_string(j) + " - row " + std::to_string(i) +
                                                 (e.position_added ? " (not zero)" : " = 0")},
                                            area.x);
    dl->AddText(p, ImGui::GetColorU32(ImGuiCol_Text), cap.c_str());
    const long long cols = std::min<long long>(diff_.cols(), 64);
    const float cw = std::max(2.0f, (area.x - em) / float(cols));
    const float dr = std::max(1e-6f, max_abs(diff_.data(), diff_.size()));  // the strip on its own scale
    for (long long c = 0; c < cols; ++c)
      dl->AddRectFilled(ImVec2(p.x + float(c) * cw, p.y + em * 1.3f), ImVec2(p.x + float(c + 1) * cw - 1, p.y + em * 2.8f),
                        value_colour(diff_(0, c) * phase(t, 0.9f, 1.0f) / dr, 1.0f));
    ImGui::Dummy(ImVec2(area.x, strip_h));
  }

  void weights(AppState& state, bool tying) {
    const ModelSource& m = state.model();
    const WeightCounts w = input_weight_counts(m, state.scheme_params());
    // The numbers never cut: their column is as wide as the widest, the names wrap beside it;
    // in the large font when that leaves the names 8 em, else in the regular one (a projector).
    const auto widest = [&]() {
      float n = 0;
      for (long long v : {w.token_table, w.position_table, w.scheme_bias, w.token_type_table, w.layer_norm, w.total,
                          w.tying_saving})
        n = std::max(n, ImGui::CalcTextSize(grouped_number(v).c_str()).x);
      return n;
    };
    ImGui::PushFont(fonts().large);
    if (widest() + ImGui::GetFontSize() * 9 > ImGui::GetContentRegionAvail().x) {
      ImGui::PopFont();
      ImGui::PushFont(fonts().regular);
    }
    const float number_w = widest();
    if (ImGui::BeginTable("w", 2, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
      ImGui::TableSetupColumn("part", ImGuiTableColumnFlags_WidthStretch);
      ImGui::TableSetupColumn("weights", ImGuiTableColumnFlags_WidthFixed, number_w);
      auto row = [](const std::string& a, long long v, ImU32 col) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::PushStyleColor(ImGuiCol_Text, col);
        ImGui::TextWrapped("%s", a.c_str());
        ImGui::PopStyleColor();
        ImGui::TableNextColumn();
        right_aligned_number(col, grouped_number(v), "weight count: " + a);
      };
      const ImU32 txt = kText;
      const std::string V = grouped_number(m.vocab_size()), d = grouped_number(m.dim());
      if (!tying) {
        row("token table  V x d = " + V + " x " + d, w.token_table, txt);
        row("position table", w.position_table, txt);
        if (w.scheme_bias) row(w.scheme_bias_label, w.scheme_bias, txt);
        if (w.token_type_table) row("token-type table", w.token_type_table, txt);
        row("first norm", w.layer_norm, txt);
        row("total", w.total, kAccent);
      } else {
        row("token table E  (V x d)", w.token_table, txt);
        row(m.tied_embeddings() ? "output head = E (tied)" : "output head (its own V x d)", m.tied_embeddings() ? 0 : w.token_table, txt);
        row(m.tied_embeddings() ? "saved by tying" : "would be saved by tying", m.tied_embeddings() ? w.tying_saving : w.token_table,
            kAccent);
      }
      ImGui::EndTable();
    }
    ImGui::PopFont();
  }

  // A (q, k) pair of one 2-D plane rotated by position x theta: both arrows turn as the
  // positions advance together, and the angle between them stays i - j times theta.
  void rope(ImVec2 area, float t) {
    const float em = ImGui::GetFontSize();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    // Centred, with room for a label on either side of the circle.
    const float label_w = ImGui::CalcTextSize("q at position 00").x + em;
    // Height: a label line above and below the circle, then two lines of caption.
    const float r = std::max(em * 1.5f, std::min((area.x - 2 * label_w) * 0.5f, (area.y - em * 10) * 0.5f));
    const ImVec2 c(p0.x + std::max(r + label_w, area.x * 0.5f), p0.y + r + em * 1.8f);
    // The first pair's angle per position in the model and scheme in use, the number step 11's
    // text states (1 rad for unscaled RoPE: theta_0 = base^0).
    double theta = 1.0;
    if (values_ && values_->count("rope_theta0")) theta = std::strtod(values_->at("rope_theta0").c_str(), nullptr);
    // Both positions move on by whole steps, 0 .. 4: positions are whole numbers.
    const int shift = std::min(4, static_cast<int>(5.0f * phase(t, 0.0f, 1.0f)));
    const int qi = 3 + shift, kj = 1 + shift;  // query at i = 3, key at j = 1, then both + shift
    dl->AddCircle(c, r, kMuted, 64, 1.5f);
    audit_mark(dl, "lesson.circle", ImVec2(c.x - r, c.y - r), ImVec2(c.x + r, c.y + r), kMuted);
    // Labels outside the circle, on the side the arrow points to, so none crosses the circle.
    auto arrow = [&](double angle, ImU32 col, const char* label) {
      const float ca = static_cast<float>(std::cos(angle)), sa = static_cast<float>(std::sin(angle));
      const ImVec2 tip(c.x + r * ca, c.y - r * sa);
      dl->AddLine(c, tip, col, 4.0f);
      dl->AddCircleFilled(tip, em * 0.3f, col);
      audit_mark(dl, "lesson.arrow", ImVec2(std::min(c.x, tip.x) - em * 0.3f, std::min(c.y, tip.y) - em * 0.3f),
                 ImVec2(std::max(c.x, tip.x) + em * 0.3f, std::max(c.y, tip.y) + em * 0.3f), col);
      const ImVec2 ts = ImGui::CalcTextSize(label);
      const ImVec2 out(c.x + (r + em * 0.6f) * ca, c.y - (r + em * 0.6f) * sa);
      dl->AddText(ImVec2(ca >= 0 ? out.x : out.x - ts.x, out.y - ts.y * (sa >= 0 ? 1.0f : 0.0f)), col, label);
    };
    char ql[48], kl[48];
    std::snprintf(ql, sizeof ql, "q at position %d", qi);
    std::snprintf(kl, sizeof kl, "k at position %d", kj);
    arrow(qi * theta, kAccent, ql);
    // Sky blue for k, darkened on the light theme until its label reads (2.1:1 on white before).
    arrow(kj * theta, readable_on(IM_COL32(86, 180, 233, 255), ImGui::GetColorU32(ImGuiCol_WindowBg)), kl);
    char cap[200];
    std::snprintf(cap, sizeof cap,
                  "first pair, theta = %.3g rad per position: the angle between q and k is (i - j) x theta = %d x %.3g = "
                  "%.3g rad, for any i and j",
                  theta, qi - kj, theta, (qi - kj) * theta);
    ImGui::SetCursorScreenPos(ImVec2(p0.x, c.y + r + em * 1.2f + ImGui::GetTextLineHeight()));
    ImGui::PushTextWrapPos(p0.x - ImGui::GetWindowPos().x + area.x);
    ImGui::TextUnformatted(cap);
    ImGui::PopTextWrapPos();
  }

  // king - man + woman in the model's own table: the five nearest rows, each a bar of its cosine.
  void analogy(AppState& state, ImVec2 area) {
    const float em = ImGui::GetFontSize();
    const LessonAnalogy& an = lesson_analogy(state.model());
    ImGui::PushFont(fonts().large);
    ImGui::TextWrapped("%s", an.nearest.empty() ? "E[king] - E[man] + E[woman]" : "E[king] - E[man] + E[woman] is nearest to:");
    ImGui::PopFont();
    area.y -= ImGui::GetItemRectSize().y;
    if (an.nearest.empty()) {
      wrapped_text(kMuted, an.missing.empty() ? "nothing to compute for this model" : an.missing);
      return;
    }
    ImGui::PushFont(fonts().large);
    const float row_h = ImGui::GetFrameHeightWithSpacing();
    float word_w = 0;
    for (const auto& [w, c] : an.nearest) word_w = std::max(word_w, ImGui::CalcTextSize(w.c_str()).x);
    const float bar_w = std::max(em * 6, std::min(area.x - word_w - em * 3, em * 24));
    // As many rows as fit above the caption (a projector at scale 2 shows the first few).
    const std::size_t fit = static_cast<std::size_t>(std::max(1.0f, (area.y - em * 2.5f) / row_h));
    for (std::size_t k = 0; k < an.nearest.size() && k < fit; ++k) {
      const auto& [w, c] = an.nearest[k];
      char label[32];
      std::snprintf(label, sizeof label, "%.3f", c);
      ImGui::Text("%zu", k + 1);
      ImGui::SameLine(em * 1.5f);
      ImGui::TextColored(ImColor(k == 0 ? kAccent : ImGui::GetColorU32(ImGuiCol_Text)), "%s", w.c_str());
      ImGui::SameLine(em * 2 + word_w);
      ImGui::ProgressBar(std::clamp(c, 0.0f, 1.0f), ImVec2(bar_w, 0), label);
    }
    ImGui::PopFont();
    wrapped_text(kMuted, "bar: cosine of the row with the sum (1: same direction); king, man and woman themselves left out");
  }

  void side_by_side(AppState& state, ImVec2 area) {
    const float em = ImGui::GetFontSize();
    const float line = ImGui::GetTextLineHeight();
    // The seven schemes the lesson teaches first (learned only when the model has a table), then
    // the others while every map stays large enough to read.
    std::vector<std::string> kinds, extra;
    for (const SchemeInfo* s : scheme_registry()) {
      if (s->entry == PositionEntry::Nowhere || (s->needs_data && !state.model().position_table())) continue;
      (s->lesson_core ? kinds : extra).push_back(s->name);
    }
    const int n = std::max(2, std::min(state.length(), 16));
    bool t5_buckets = false;
    for (const std::string& k : kinds)
      if (scheme_info(k).data == SchemeDataKind::BucketBias &&
          !(state.model().default_scheme().kind == k && state.model().scheme_data().bucket_bias))
        t5_buckets = true;
    // What the colours are, said once under the maps (each has its own scale).
    const std::string key = std::string("Each map on its own colour scale: white 0, red up to its largest value, blue down to "
                                        "minus it; i and j from 0 to ") +
                            std::to_string(n - 1) + "; hatched: keys after the query, which a causal scheme masks." +
                            (t5_buckets ? " T5: bucket numbers (no trained biases loaded)." : "");
    // On a small figure (a projector's scale) the short key: the long one took half its height.
    // There T5's map says itself that it shows bucket numbers (its title "T5 buckets"): one line
    // of key less, room for a second row of maps with whole titles.
    const std::string short_key = std::string("Own scale each: red +, blue -, white 0; hatched: masked; i, j: 0..") +
                                  std::to_string(n - 1) + ".";
    const bool long_key = ImGui::CalcTextSize(key.c_str(), nullptr, false, area.x).y <= line * 2.5f;
    const float key_h = ImGui::CalcTextSize((long_key ? key : short_key).c_str(), nullptr, false, area.x).y + line * 0.5f;
    const float maps_h = area.y - key_h;
    const float label = ImGui::CalcTextSize("00").x + 10.0f;  // row numbers, left of each row's first map
    // The title line over each map (no column numbers: the key says what i and j run over, and
    // the first map numbers its rows); two lines of it made several rows of maps too costly.
    const float around = line + ImGui::GetStyle().ItemSpacing.y + 6.0f;
    const float row_gap = em * 0.5f;  // between rows of maps (each row has its title line too)
    // Each map's title: the scheme's title, else its first word ("Learned", "Transformer-XL")
    // in a smaller font, as small as the heatmaps' numbers may be (smallest_text_size: half the
    // size at scale 2, "Transformer-XL" whole where it read "Tra..."), else the first word cut.
    struct Title {
      std::string text;
      float size;
    };
    const float font_size = ImGui::GetFontSize();
    const float min_scale = smallest_text_size(font_size) / font_size;
    // T5's map shows bucket numbers: its title says so ("T5 buckets") where it fits, else the
    // key does (t5_in_key).
    bool t5_in_key = false;
    const auto plain_title = [&](const std::string& full, const char* abbreviation, float room) -> Title {
      const std::string word = full.substr(0, full.find(' '));
      if (ImGui::CalcTextSize(full.c_str()).x <= room) return {full, font_size};
      const float w = ImGui::CalcTextSize(word.c_str()).x;
      if (w <= room) return {word, font_size};
      if (w * min_scale <= room) return {word, font_size * room / w};
      // The registry's abbreviation ("T-XL": the key spells it out), then a cut word.
      if (abbreviation) {
        const float a = ImGui::CalcTextSize(abbreviation).x;
        if (a * min_scale <= room) return {abbreviation, font_size * std::min(1.0f, room / a)};
      }
      return {longest_fitting({word}, room), font_size};
    };
    const auto title_of = [&](const std::string& kind, float room) -> Title {
      const SchemeInfo& info = scheme_info(kind);
      const std::string title = info.title;
      if (!long_key && t5_buckets && info.data == SchemeDataKind::BucketBias) {
        const std::string buckets = title.substr(0, title.find(' ')) + " buckets";
        const float w = ImGui::CalcTextSize(buckets.c_str()).x;
        if (w * min_scale <= room) return {buckets, font_size * std::min(1.0f, room / w)};
      }
      return plain_title(title, info.abbreviation, room);
    };
    // The arrangement (maps per row) that gives the largest square maps; one where a title
    // would be cut counts a quarter smaller (at a projector's scale one row cut every title to
    // "Si..", "Tr..": two rows of slightly smaller maps name them all), one where a title must
    // be drawn in a smaller font 5% smaller (presenter mode: two rows of maps as large as one
    // row's, every title in the full size).
    auto best = [&](const std::vector<std::string>& list, std::size_t& per_row_out) {
      const std::size_t count = list.size();
      float side = 0, score = 0;
      for (std::size_t rows = 1; rows <= count; ++rows) {
        const std::size_t per_row = (count + rows - 1) / rows;
        const float w = (area.x - label - em * float(per_row - 1)) / float(per_row);
        const float h = (maps_h - row_gap * float(rows - 1)) / float(rows);
        const float s = std::min(w, h - around);
        // A map is never drawn under two ems: rows that would make it smaller do not fit.
        if (rows > 1 && s < em * 2) break;
        bool titles_fit = true, titles_full_size = true;
        for (std::size_t k = 0; k < count; ++k) {
          const bool last = k % per_row + 1 == per_row || k + 1 == count;
          const Title t = title_of(list[k], w + (last ? 0.0f : em * 0.5f));
          titles_fit = titles_fit && t.text.find("...") == std::string::npos;
          titles_full_size = titles_full_size && t.size >= font_size;
        }
        const float sc = s * (titles_fit ? 1.0f : 0.75f) * (titles_full_size ? 1.0f : 0.95f);
        if (sc > score) score = sc, side = s, per_row_out = per_row;
      }
      return side;
    };
    std::size_t per_row = kinds.size();
    float side = best(kinds, per_row);
    {
      std::vector<std::string> all = kinds;
      all.insert(all.end(), extra.begin(), extra.end());
      std::size_t per_all = all.size();
      const float side_all = best(all, per_all);
      if (side_all >= em * 5) kinds = all, per_row = per_all, side = side_all;
    }
    const float cell_w = (area.x - label - em * float(per_row - 1)) / float(per_row);
    side = std::min(std::max(side, em * 2), cell_w);  // never wider than its cell (the last map ran off the edge)
    mats_.resize(kinds.size());
    while (side_maps_.size() < kinds.size()) side_maps_.push_back(std::make_unique<Heatmap>());
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    float bottom = origin.y;
    std::string spelled_out;  // the abbreviations a title used, said in the key
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      const std::size_t col = k % per_row, row = k / per_row;
      const bool first = col == 0;
      const float x = origin.x + (first ? 0.0f : label + float(col) * (cell_w + em));
      const float y = origin.y + float(row) * (side + around + row_gap);
      SchemeParams p = state.params_for_kind(kinds[k]);
      p.causal = false;
      try {
        // Every map built here, bidirectional where the scheme has the choice.
        const auto sch = make_model_scheme(state.model(), p);
        mats_[k] = sch->interaction(n, state.model().dim() % 2 == 0 ? state.model().dim() : 64);
      } catch (const std::exception&) {
        mats_[k] = MatrixRM::Zero(n, n);
      }
      // The title over the whole cell (wider than the square map) and the gap after it (the
      // next title starts at its own cell), cut only when that is too narrow.
      // The whole title when there is room, else its first word ("T5", "DeBERTa").
      const bool last = col + 1 == per_row || k + 1 == kinds.size();
      const float room = cell_w + (first ? label : 0.0f) + (last ? 0.0f : em * 0.5f);
      const Title title = title_of(kinds[k], room);
      if (const char* a = scheme_info(kinds[k]).abbreviation; a && title.text == a)
        spelled_out += std::string(" ") + a + ": " + scheme_info(kinds[k]).title + ".";
      if (!long_key && t5_buckets && scheme_info(kinds[k]).data == SchemeDataKind::BucketBias &&
          title.text.find("buckets") == std::string::npos)
        t5_in_key = true;
      ImFont* font = ImGui::GetFont();
      const float title_w = font->CalcTextSizeA(title.size, FLT_MAX, 0.0f, title.text.c_str()).x;
      audit_name("lesson.side_by_side.title", title.text, title_w, room);
      dl->AddText(font, title.size, ImVec2(x, y + (font_size - title.size)), ImGui::GetColorU32(ImGuiCol_Text), title.text.c_str());
      HeatmapSpec spec;
      spec.values = mats_[k].data();
      spec.rows = n;
      spec.cols = n;
      spec.version = state.version() * 64 + 40 + k;
      spec.range = std::max(1e-6f, max_abs(mats_[k].data(), mats_[k].size()));
      spec.show_values = false;
      spec.row_noun = "position i";
      spec.col_noun = "position j";
      spec.row_label = [](long long r) { return std::to_string(r); };
      spec.show_labels = first;
      spec.show_col_numbers = false;
      spec.label_width = first ? label : 0.0f;
      // Square maps (S's diagonals at 45 degrees), under the title line.
      ImGui::SetCursorScreenPos(ImVec2(x, y + line + ImGui::GetStyle().ItemSpacing.y));
      side_maps_[k]->draw(("s" + std::to_string(k)).c_str(), spec,
                          ImVec2(side + (first ? label : 0.0f), side + around - line - ImGui::GetStyle().ItemSpacing.y));
      bottom = std::max(bottom, y + side + around);
    }
    ImGui::SetCursorScreenPos(ImVec2(origin.x, bottom + line * 0.25f));
    wrapped_text(kMuted, (long_key ? key : short_key) + spelled_out + (t5_in_key ? " T5: bucket numbers." : ""));
  }

  const std::map<std::string, std::string>* values_ = nullptr;  // this frame's lesson values
  int step_ = 0;
  bool reduced_motion_ = false, end_state_ = false, paused_ = false;
  float paused_at_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  Heatmap maps_[4];
  std::vector<std::unique_ptr<Heatmap>> side_maps_;  // one per scheme of the side-by-side figure
  MatrixRM static_matrix_, partial_, diff_;
  std::vector<MatrixRM> mats_;
};

}  // namespace

std::unique_ptr<Panel> make_lesson_panel() { return std::make_unique<LessonPanel>(); }

}  // namespace es::ui
