// Matrix view: token (n, d), position (n, d), combined (n, d) and LayerNorm rows as texture
// heatmaps; side by side (token + position = combined) with one shared colour scale, or one
// at a time. Row labels are the tokens; repeated tokens are framed in their colour.
#include "colors.h"
#include "heatmap.h"
#include "panel.h"
#include "tokenizer.h"
#include "widgets.h"

#include <algorithm>
#include <array>

namespace es::ui {
namespace {

enum class Mode { Side, Token, Position, Combined, Normed, Tables };
constexpr std::array<const char*, 6> kModeNames = {"side", "token", "position", "combined", "normed", "tables"};
constexpr std::array<const char*, 6> kModeTitles = {"Side by side", "Token rows", "Position rows",
                                                    "Combined rows", "LayerNorm rows", "Whole tables"};

class MatrixPanel final : public Panel {
 public:
  const char* name() const override { return "matrix"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Matrix; }

  void set_option(const std::string& key, const std::string& value) override {
    if (key == "mode") {
      for (size_t i = 0; i < kModeNames.size(); ++i)
        if (value == kModeNames[i]) {
          mode_ = static_cast<Mode>(i);
          return;
        }
      throw Error("matrix mode '" + value + "' unknown (side, token, position, combined, normed, tables)");
    }
    if (key == "dims") {
      dims_shown_ = std::max(1, std::atoi(value.c_str()));
      return;
    }
    if (key == "first_dim") {
      first_dim_ = std::max(0, std::atoi(value.c_str()));
      return;
    }
    throw Error("matrix has no option '" + key + "' (mode, dims, first_dim)");
  }
  std::vector<std::pair<std::string, std::string>> options() const override {
    return {{"mode", kModeNames[static_cast<size_t>(mode_)]}, {"dims", std::to_string(dims_shown_)}};
  }

  void draw(AppState& state, ImVec2 size) override {
    state_presenter_ = state.presenter;
    const InputEmbedding& e = state.embedding();
    const long long d = e.token.cols();
    const float em = ImGui::GetFontSize();
    ImVec2 start = ImGui::GetCursorPos();
    mode_bar(d, size);
    long long nc = d > 24 ? std::min<long long>(dims_shown_, d) : d;
    long long c0 = d > 24 ? std::clamp<long long>(first_dim_, 0, d - nc) : 0;

    if (mode_ == Mode::Tables) {
      ImVec2 used(0, ImGui::GetCursorPos().y - start.y);
      whole_tables(state, ImVec2(size.x, std::max(120.0f, size.y - used.y)), c0, nc);
      return;
    }
    caption(state);
    ImVec2 used = ImVec2(0, ImGui::GetCursorPos().y - start.y);
    ImVec2 area(size.x, std::max(120.0f, size.y - used.y));

    Shown shown;
    if (!choose_maps(state, shown)) return;
    const float range = shared_range(state, shown);
    if (shown.own_scales) {
      wrapped_text(kWarn, shown.note);
      area.y = std::max(120.0f, area.y - ImGui::GetItemRectSize().y - ImGui::GetStyle().ItemSpacing.y);
    }
    const float bar_w = colour_bar_width(range) + 8.0f;
    const float sign_w = shown.matrices.size() > 1 ? em * 1.6f : 0.0f;
    const float label_w = std::min(area.x * 0.2f, label_width(state) + 12.0f);
    const float each = (area.x - bar_w - label_w - sign_w * static_cast<float>(shown.matrices.size() - 1)) /
                       static_cast<float>(shown.matrices.size());
    ImVec2 origin = ImGui::GetCursorScreenPos();
    const std::vector<const MatrixRM*>& matrices = shown.matrices;
    const std::vector<Heatmap*>& maps = shown.maps;
    for (size_t k = 0; k < matrices.size(); ++k) {
      const float own = shown.own_scales && shown.ranges[k] > 0 ? shown.ranges[k] : range;
      HeatmapSpec spec = map_spec(state, *matrices[k], shown.titles[k], own, c0, nc, k == 0, label_w);
      if (k < shown.short_titles.size()) spec.short_title = shown.short_titles[k];
      float x = origin.x + (k == 0 ? 0.0f : label_w + static_cast<float>(k) * (each + sign_w));
      ImGui::SetCursorScreenPos(ImVec2(x, origin.y));
      float w = k == 0 ? each + label_w : each;
      // The maps side by side show the same rows: a zoom or pan in one moves them all.
      if (k > 0) maps[k]->set_view(maps[0]->view());
      const Heatmap::View before = maps[k]->view();
      HeatmapHover h = maps[k]->draw(shown.titles[k].c_str(), spec, ImVec2(w, area.y));
      if (k > 0 && !(maps[k]->view() == before))
        for (Heatmap* other : maps) other->set_view(maps[k]->view());
      if (h.clicked) state.selected_position = state.selected_position == h.row ? -1 : static_cast<int>(h.row);
      if (k + 1 < matrices.size()) {
        const char* sign = k == 0 ? "+" : "=";
        ImGui::PushFont(fonts().large);
        ImVec2 ts = ImGui::CalcTextSize(sign);
        ImGui::GetWindowDrawList()->AddText(ImVec2(x + w + (sign_w - ts.x) / 2, origin.y + area.y / 2 - ts.y / 2),
                                            kText, sign);
        ImGui::PopFont();
      }
    }
    ImGui::SetCursorScreenPos(ImVec2(origin.x + area.x - bar_w + 8.0f, origin.y));
    // With a scale per panel the bar shows the largest's; the others' ranges are in their titles.
    colour_bar(shown.own_scales ? "largest" : "value", range, ImVec2(bar_w - 8.0f, area.y));
    ImGui::SetCursorScreenPos(ImVec2(origin.x, origin.y + area.y));
  }

 private:
  // The matrices the mode shows, their titles and their heatmaps.
  struct Shown {
    std::vector<const MatrixRM*> matrices;
    std::vector<std::string> titles;
    std::vector<std::string> short_titles;  // drawn instead when a title does not fit its map
    std::vector<Heatmap*> maps;
    std::vector<float> ranges;  // each matrix's largest |value|
    bool own_scales = false;    // one panel would look empty on the shared scale: each its own
    std::string note;           // said under the caption when own_scales
  };

  // The modes as radio buttons when they fit on one line and the window is tall enough;
  // otherwise one compact bar (a drop-down), so the figure keeps the screen (1280x720 at UI
  // scale 2: the radio row wrapped and the heatmaps got no room at all). Then the dimension
  // window for wide tables.
  void mode_bar(long long d, ImVec2 size) {
    const float em = ImGui::GetFontSize();
    const ImGuiStyle& st = ImGui::GetStyle();
    float radios = 0;
    for (const char* t : kModeTitles)
      radios += ImGui::GetFrameHeight() + st.ItemInnerSpacing.x + ImGui::CalcTextSize(t).x + st.ItemSpacing.x;
    const float dims_w = d > 24 ? em * 2 + ImGui::CalcTextSize("dims shownfrom dim").x + em * 16 + st.ItemSpacing.x * 4 : 0;
    compact_ = radios + dims_w > size.x || size.y < em * 18;
    if (compact_) {
      ImGui::SetNextItemWidth(std::min(size.x * 0.4f, ImGui::CalcTextSize("Combined rows").x + em * 3));
      if (ImGui::BeginCombo("##mode", kModeTitles[static_cast<size_t>(mode_)])) {
        for (size_t i = 0; i < kModeNames.size(); ++i)
          if (ImGui::Selectable(kModeTitles[i], mode_ == static_cast<Mode>(i))) mode_ = static_cast<Mode>(i);
        ImGui::EndCombo();
      }
    } else {
      for (size_t i = 0; i < kModeNames.size(); ++i) {
        if (i) ImGui::SameLine();
        if (ImGui::RadioButton(kModeTitles[i], mode_ == static_cast<Mode>(i))) mode_ = static_cast<Mode>(i);
      }
    }
    if (d > 24) {
      ImGui::SameLine(0, compact_ ? em : em * 2);
      ImGui::TextUnformatted(compact_ ? "dims" : "dims shown");
      ImGui::SameLine();
      ImGui::SetNextItemWidth(em * (compact_ ? 4 : 6));
      ImGui::SliderInt("##dims", &dims_shown_, 4, static_cast<int>(std::min<long long>(d, 256)));
      ImGui::SameLine();
      ImGui::TextUnformatted(compact_ ? "from" : "from dim");
      ImGui::SameLine();
      ImGui::SetNextItemWidth(compact_ ? std::max(em * 3, ImGui::GetContentRegionAvail().x) : em * 10);
      int max_first = static_cast<int>(std::max<long long>(0, d - dims_shown_));
      first_dim_ = std::clamp(first_dim_, 0, max_first);
      ImGui::SliderInt("##first", &first_dim_, 0, max_first);
    }
  }

  // False when the mode has nothing to show (said in its place).
  bool choose_maps(const AppState& state, Shown& out) {
    const InputEmbedding& e = state.embedding();
    if (mode_ == Mode::Side) {
      out.matrices = {&e.token, &e.position, &e.combined};
      // BERT and RoBERTa add a third term, token-type row 0, before their LayerNorm.
      out.titles = e.token_type_row
                   ? std::vector<std::string>{"token rows E[id]", "position rows P", "combined = E + type 0 + P"}
                   : std::vector<std::string>{"token rows E[id]", "position rows P", "combined = token + position"};
      out.short_titles = {"E[id]", "P", "combined"};
      out.maps = {&maps_[0], &maps_[1], &maps_[2]};
    } else if (mode_ == Mode::Normed && !e.normed) {
      ImGui::TextDisabled("No LayerNorm rows computed.");
      return false;
    } else {
      int k = static_cast<int>(mode_) - 1;
      const MatrixRM* m = k == 0 ? &e.token : k == 1 ? &e.position : k == 2 ? &e.combined : &*e.normed;
      out.matrices = {m};
      out.titles = {kModeTitles[static_cast<size_t>(mode_)]};
      if (mode_ == Mode::Normed) out.titles[0] += ": " + state.layer_norm_label();
      out.maps = {&maps_[static_cast<size_t>(k)]};
    }
    return true;
  }

  float shared_range(const AppState& state, Shown& shown) {
    const InputEmbedding& e = state.embedding();
    // One colour scale for everything shown, so colours compare across the panels. A panel that
    // is all zero (a scheme that adds nothing at the input) takes no part in it: with real
    // weights (|E| ~ 0.1) a nominal +-1 for the zero panel washed the token rows out to white.
    // (The largest |value| of each matrix is cached per analysis: a 1000-token text is millions
    // of values, 3 ms a frame.)
    if (max_abs_version_ != state.version()) {
      for (int k = 0; k < 4; ++k) {
        const MatrixRM* m = k == 0 ? &e.token : k == 1 ? &e.position : k == 2 ? &e.combined : e.normed ? &*e.normed : nullptr;
        max_abs_[static_cast<std::size_t>(k)] = m ? max_abs(m->data(), m->size()) : 0.0f;
      }
      max_abs_version_ = state.version();
    }
    auto cached_max = [&](const MatrixRM* m) {
      return m == &e.token ? max_abs_[0] : m == &e.position ? max_abs_[1] : m == &e.combined ? max_abs_[2] : max_abs_[3];
    };
    float range = 0, smallest = 0;
    shown.ranges.assign(shown.matrices.size(), 0.0f);
    for (std::size_t k = 0; k < shown.matrices.size(); ++k) {
      const float r = cached_max(shown.matrices[k]);
      shown.ranges[k] = r;
      if (r == 0 && shown.matrices.size() > 1) shown.titles[k] += " (all zero: nothing added)";
      if (r == 0 && k < shown.short_titles.size()) shown.short_titles[k] += " (all 0)";
      if (r > 0) smallest = smallest == 0 ? r : std::min(smallest, r);
      range = std::max(range, r);
    }
    if (range == 0) range = 1.0f;
    // A panel 10x smaller than the largest would look empty on the shared scale (GPT-2's 0.02
    // token rows beside sines of size 1): each panel gets its own scale, its range in its title,
    // and the caption says so.
    shown.own_scales = shown.matrices.size() > 1 && smallest > 0 && smallest * 10 < range;
    if (shown.own_scales) {
      for (std::size_t k = 0; k < shown.matrices.size(); ++k)
        if (shown.ranges[k] > 0) {
          shown.titles[k] += " (+-" + format_value(shown.ranges[k]) + ")";
          if (k < shown.short_titles.size()) shown.short_titles[k] += " +-" + format_value(shown.ranges[k]);
        }
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.0f", range / smallest);
      shown.note = std::string("Each map on its own colour scale, its range in its title: the smallest is ") + buf +
                   " times smaller than the largest and would look empty on one shared scale.";
    }
    return range;
  }

  // One map's spec: values, the shared range, the dimension window, labels on the first map
  // only, and the repeated tokens framed.
  HeatmapSpec map_spec(AppState& state, const MatrixRM& m, const std::string& title, float range, long long c0,
                       long long nc, bool first, float label_w) const {
    HeatmapSpec spec;
    spec.values = m.data();
    spec.rows = m.rows();
    spec.cols = m.cols();
    spec.version = state.version();
    spec.range = range;
    spec.title = title;
    spec.col_begin = c0;
    spec.col_count = nc;
    spec.selected_row = state.selected_position;
    spec.row_noun = "token";
    spec.readable_rows = true;  // a long text scrolls, every visible row labelled
    spec.show_labels = first;
    spec.label_width = label_w;
    spec.row_label = [&state](long long r) { return row_label(state, r); };
    spec.row_label_colour = [&state](long long r) { return token_colour(state, state.ids()[static_cast<size_t>(r)]); };
    // Every repeat is framed while there are few; in a long text only the selected token's
    // group (or the first), or the map turns into stripes.
    std::size_t framed = 0;
    for (const RepeatedTokenGroup& g : state.repeats()) framed += g.positions.size();
    const int sel_group = state.selected_position >= 0 ? state.repeat_group_of(state.selected_position) : -1;
    for (std::size_t gi = 0; gi < state.repeats().size(); ++gi) {
      if (framed > 12 && static_cast<int>(gi) != (sel_group >= 0 ? sel_group : 0)) continue;
      const RepeatedTokenGroup& g = state.repeats()[gi];
      for (int p : g.positions) spec.marks.push_back({p, token_colour(state, g.id), "repeat"});
    }
    return spec;
  }

  bool compact_ = false;
  bool state_presenter_ = false;
  float label_width(const AppState& state) const {
    float w = 0;
    for (int i = 0; i < std::min(state.length(), 256); ++i)
      w = std::max(w, ImGui::CalcTextSize(row_label(state, i).c_str()).x);
    return w;
  }

  void caption(const AppState& state) {
    const InputEmbedding& e = state.embedding();
    // BERT, RoBERTa, BLOOM and DeBERTa normalise the sum before block 0: there the combined
    // row is not yet what block 0 receives.
    const std::optional<LayerNormParams> ln = state.model().first_layer_norm();
    const bool normed_first = ln && ln->on_input;
    std::string text = (normed_first ? "Each combined row is the sum before the model's embedding LayerNorm; block 0 "
                                       "receives it normed (Normed view). n = "
                                     : "Each combined row is the vector one token brings into block 0 (n = ") +
                       std::to_string(e.token.rows()) + " tokens, d = " + std::to_string(e.token.cols()) + " dims). ";
    if (e.position_added)
      text += std::string(e.token_type_row ? "Token + token type + position = combined" : "Token + position = combined") +
              ": equal tokens get different combined rows.";
    else
      text += scheme_info(state.scheme_params().kind).title + std::string(": position rows are all zero. ") +
              state.scheme().where_position_enters();
    // One mode, one caption: the normed and single-part views say what their rows are.
    const std::string dims = "(n = " + std::to_string(e.token.rows()) + " tokens, d = " + std::to_string(e.token.cols()) + " dims)";
    if (mode_ == Mode::Normed)
      text = "Each row is its combined row normalised " + dims + ": " +
             (ln ? ln->label : std::string("a plain LayerNorm (gamma 1, beta 0); this model applies none before block 0")) +
             ". Equal tokens normalise to equal rows only if their combined rows were equal.";
    else if (mode_ == Mode::Token)
      text = "Each token row is the token's row of E " + dims +
             (state.model().embedding_scale() != 1.0 ? ", times the model's embedding scale" : std::string()) +
             ": equal tokens have equal rows.";
    else if (mode_ == Mode::Position)
      text = "Each position row is what " + std::string(scheme_info(state.scheme_params().kind).title) + " adds at position i " +
             dims + (e.position_added ? "." : ": nothing here, all zero. " + state.scheme().where_position_enters());
    // A short window or presenter mode: one caption line (the rest on hover).
    if (compact_ || state_presenter_)
      one_line_text(kMuted, text);
    else
      wrapped_text(kMuted, text);
  }

  // The model's whole token table (V, d) and position table (L_max, d): tens of thousands of
  // rows, windowed by the heatmap (wheel zooms, drag pans). Ranges cached per model.
  void whole_tables(AppState& state, ImVec2 area, long long c0, long long nc) {
    const ModelSource& m = state.model();
    const TableView tok = m.token_table_view();  // BF16 / F16 read in place, a window at a time
    std::optional<TableMap> pos = m.position_table();
    if (range_model_ != state.model_version()) {
      table_range_ = symmetric_range(tok);
      if (pos) table_range_ = std::max(table_range_, symmetric_range(pos->data(), pos->size()));
      range_model_ = state.model_version();
    }
    wrapped_text(kMuted, "The lookup tables themselves: the token table has one row per vocabulary entry, the "
                         "position table one row per position. Wheel over a table to zoom its rows, drag to pan.");
    const float bar_w = colour_bar_width(table_range_) + 8.0f;
    const float each = (area.x - bar_w) / (pos ? 2.0f : 1.0f) - 8.0f;
    ImVec2 origin = ImGui::GetCursorScreenPos();
    const float h = area.y - ImGui::GetTextLineHeightWithSpacing() * 2;
    auto tokenizer = m.tokenizer();
    HeatmapSpec spec;
    spec.table = tok;
    spec.rows = tok.rows;
    spec.cols = tok.cols;
    spec.version = state.model_version();
    spec.range = table_range_;
    spec.col_begin = c0;
    spec.col_count = nc;
    spec.title = "token table E (" + thousands(tok.rows) + " x " + thousands(tok.cols) + ")";
    spec.row_noun = "id";
    spec.show_values = tok.rows <= 64;
    spec.label_width = 0;  // fit the visible labels
    spec.row_label = [tokenizer](long long r) {
      // Padding rows past the tokenizer's vocabulary (Pythia: 50,304 rows, 50,277 tokens) have no token.
      if (!tokenizer || r >= tokenizer->vocab_size()) return std::to_string(r) + (tokenizer ? " (no token)" : "");
      return std::to_string(r) + " " + displayable(visible_token_text(tokenizer->token_bytes(static_cast<int>(r))));
    };
    tables_[0].draw("E", spec, ImVec2(each, h));
    if (pos) {
      HeatmapSpec p = spec;
      p.table = {};
      p.values = pos->data();
      p.rows = pos->rows();
      p.cols = pos->cols();
      p.title = "position table P (" + thousands(pos->rows()) + " x " + thousands(pos->cols()) + ")";
      p.row_noun = "position";
      p.show_values = pos->rows() <= 64;
      p.label_width = ImGui::GetFontSize() * 3;
      p.row_label = [](long long r) { return std::to_string(r); };
      ImGui::SetCursorScreenPos(ImVec2(origin.x + each + 8, origin.y));
      tables_[1].draw("P", p, ImVec2(each, h));
    }
    ImGui::SetCursorScreenPos(ImVec2(origin.x + area.x - bar_w + 8, origin.y));
    colour_bar("value", table_range_, ImVec2(bar_w - 8, h));
  }

  Mode mode_ = Mode::Side;
  std::array<Heatmap, 2> tables_;
  float table_range_ = 1;
  std::array<float, 4> max_abs_{};  // token, position, combined, normed
  uint64_t max_abs_version_ = ~0ull;
  uint64_t range_model_ = 0;
  int dims_shown_ = 16;
  int first_dim_ = 0;
  std::array<Heatmap, 4> maps_;
};

}  // namespace

std::unique_ptr<Panel> make_matrix_panel() { return std::make_unique<MatrixPanel>(); }

}  // namespace es::ui
