// Scheme comparison: every scheme of the registry (but "none") side by side on equal terms.
// Each column: where position enters (caption), what it adds at the input (rows heatmap or
// "adds nothing"), its position-interaction matrix S (FACTS.md section 4) as a heatmap, S
// against the offset i - j as a curve, and its trained-weight count. Shared controls and
// presets for real models (FACTS.md section 2). Results are recomputed through core only
// when a control changes.
#include "assets.h"
#include "audit.h"
#include "colors.h"
#include "heatmap.h"
#include "panel.h"
#include "widgets.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace es::ui {
namespace {

struct Controls {
  int n = 32;            // sequence length
  int d = 64;            // model width (sinusoidal rows; RoPE head width)
  double base = 10000;   // sinusoidal, RoPE
  float rotary = 1.0f;   // RoPE fraction
  bool half_split = false;
  int heads = 8, head = 1;   // ALiBi, T5, KERPLE, FIRE
  bool causal = false;
  bool operator==(const Controls&) const = default;
};

struct Preset {
  std::string name;
  Controls c;
  std::string note;
};

// assets/scheme_presets.json (FACTS.md section 2): read once; a broken asset is a build mistake
// and aborts loudly.
const std::vector<Preset>& presets() {
  static const std::vector<Preset> all = [] {
    std::vector<Preset> out;
    const nlohmann::json j = nlohmann::json::parse(embedded_asset("scheme_presets.json"));
    for (const auto& p : j.at("presets")) {
      Preset x;
      x.name = p.at("name").get<std::string>();
      x.note = p.at("note").get<std::string>();
      x.c.n = p.at("n").get<int>();
      x.c.d = p.at("d").get<int>();
      x.c.base = p.at("base").get<double>();
      x.c.rotary = p.at("rotary_fraction").get<float>();
      x.c.half_split = p.at("half_split").get<bool>();
      x.c.heads = p.at("heads").get<int>();
      x.c.head = 1;
      x.c.causal = p.at("causal").get<bool>();
      out.push_back(std::move(x));
    }
    return out;
  }();
  return all;
}

// The columns: the registry's schemes that say something about position.
std::vector<const SchemeInfo*> compared_schemes() {
  std::vector<const SchemeInfo*> out;
  for (const SchemeInfo* s : scheme_registry())
    if (s->entry != PositionEntry::Nowhere) out.push_back(s);
  return out;
}

struct Column {
  std::unique_ptr<PositionScheme> scheme;
  std::optional<MatrixRM> rows;  // (n, d) when it adds rows
  MatrixRM s;                    // (n, n), NaN masked
  std::vector<float> profile;    // S against offset 0..n-1
  float rows_range = 1, s_range = 1;  // symmetric colour ranges, computed with the data
  long long weights = 0;
  long long n_used = 0;
  std::string note, error;
  Heatmap rows_map, s_map;
};

// S against the offset i - j = 0 .. m-1 as a line with labelled axes: the largest and smallest
// value at the left, the first and last offset below, a zero line when 0 lies between, and the
// value under the mouse. (ImGui's PlotLines puts its overlay text over the curve and labels no
// axis, which a class at a projector cannot read.)
void offset_curve(const std::vector<float>& v, ImVec2 size) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const float line = ImGui::GetTextLineHeight();
  size.y = std::max(size.y, line * 3.5f);
  ImGui::InvisibleButton("##curve", size);
  const bool hovered = ImGui::IsItemHovered();
  float lo = 1e30f, hi = -1e30f;
  for (float x : v)
    if (std::isfinite(x)) { lo = std::min(lo, x); hi = std::max(hi, x); }
  if (hi < lo) { lo = 0; hi = 1; }  // nothing finite
  const std::string hi_s = format_value(hi), lo_s = format_value(lo);
  const float label_w = std::max(ImGui::CalcTextSize(hi_s.c_str()).x, ImGui::CalcTextSize(lo_s.c_str()).x) + 6;
  const ImVec2 a(p0.x + label_w, p0.y + line * 0.5f), b(p0.x + size.x - 2, p0.y + size.y - line * 1.1f);
  if (hi <= lo) hi = lo + 1;
  const ImU32 muted = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  dl->AddRectFilled(a, b, ImGui::GetColorU32(ImGuiCol_FrameBg));
  dl->AddText(ImVec2(p0.x, a.y - line * 0.5f), muted, hi_s.c_str());
  dl->AddText(ImVec2(p0.x, b.y - line * 0.5f), muted, lo_s.c_str());
  const auto y_of = [&](float x) { return b.y - (x - lo) / (hi - lo) * (b.y - a.y); };
  if (lo < 0 && hi > 0) dl->AddLine(ImVec2(a.x, y_of(0)), ImVec2(b.x, y_of(0)), muted);
  const std::size_t m = v.size();
  const auto x_of = [&](std::size_t k) { return m > 1 ? a.x + (b.x - a.x) * static_cast<float>(k) / static_cast<float>(m - 1) : (a.x + b.x) / 2; };
  const ImU32 curve = ImGui::GetColorU32(ImGuiCol_PlotLines);
  if (audit_enabled()) {  // the curve as one shape, on the plot's fill
    float top = b.y, bottom = a.y;
    for (float x : v)
      if (std::isfinite(x)) top = std::min(top, y_of(x)), bottom = std::max(bottom, y_of(x));
    if (top <= bottom) audit_mark(dl, "schemes.curve", ImVec2(a.x, top), ImVec2(b.x, bottom), curve, 0, ImGui::GetColorU32(ImGuiCol_FrameBg));
  }
  for (std::size_t k = 0; k + 1 < m; ++k)  // a NaN (masked) value breaks the line
    if (std::isfinite(v[k]) && std::isfinite(v[k + 1]))
      dl->AddLine(ImVec2(x_of(k), y_of(v[k])), ImVec2(x_of(k + 1), y_of(v[k + 1])), curve, curve_width());
  const std::string last = std::to_string(m - 1);
  dl->AddText(ImVec2(a.x, b.y + 1), muted, "0");
  dl->AddText(ImVec2(b.x - ImGui::CalcTextSize(last.c_str()).x, b.y + 1), muted, last.c_str());
  const char* axis = "offset i - j";
  dl->AddText(ImVec2((a.x + b.x - ImGui::CalcTextSize(axis).x) / 2, b.y + 1), muted, axis);
  if (hovered && m > 0) {
    const float t = std::clamp((ImGui::GetIO().MousePos.x - a.x) / std::max(1.0f, b.x - a.x), 0.0f, 1.0f);
    const std::size_t k = static_cast<std::size_t>(std::lround(t * static_cast<float>(m - 1)));
    if (std::isfinite(v[k])) {
      dl->AddCircleFilled(ImVec2(x_of(k), y_of(v[k])), 4.0f, curve);
      ImGui::SetTooltip("offset %zu: S = %s", k, format_value(v[k]).c_str());
    } else {
      ImGui::SetTooltip("offset %zu: masked", k);
    }
  }
}

class SchemesPanel final : public Panel {
 public:
  const char* name() const override { return "schemes"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Schemes; }
  void set_option(const std::string& key, const std::string& value) override {
    if (key == "n") { c_.n = std::clamp(std::atoi(value.c_str()), 2, 2048); return; }
    if (key == "d") { c_.d = std::clamp(std::atoi(value.c_str()), 2, 4096); return; }
    if (key == "preset") {
      for (const Preset& p : presets())
        if (value == p.name) { c_ = p.c; preset_ = static_cast<int>(&p - presets().data()); return; }
      std::string names;
      for (const Preset& p : presets()) names += (names.empty() ? "" : ", ") + p.name;
      throw Error("unknown preset '" + value + "' (" + names + ")");
    }
    if (key == "show") {  // a comma-separated list of registry names: the columns ticked
      std::vector<bool> on(kinds_.size(), false);
      std::size_t at = 0;
      while (at <= value.size()) {
        const std::size_t end = std::min(value.find(',', at), value.size());
        const std::string name = value.substr(at, end - at);
        at = end + 1;
        if (name.empty()) continue;
        const SchemeInfo& info = scheme_info(name);  // throws, naming the schemes
        for (std::size_t k = 0; k < kinds_.size(); ++k)
          if (kinds_[k] == &info) on[k] = true;
      }
      shown_ = on;
      return;
    }
    if (key == "settings") {  // opens a column's own settings ("t5"), as its button does
      const SchemeInfo& info = scheme_info(value);
      for (std::size_t k = 0; k < kinds_.size(); ++k)
        if (kinds_[k] == &info) open_settings_ = static_cast<int>(k);
      return;
    }
    throw Error("schemes has no option '" + key + "' (n, d, preset, show, settings)");
  }

  void draw(AppState& state, ImVec2 size) override {
    const float em = ImGui::GetFontSize();
    ImVec2 start = ImGui::GetCursorPos();
    // On a short window (a projector) or in presenter mode the settings fold into a drawer: one
    // line saying what is set, a button that opens them all.
    const bool short_window = size.y < em * 34 || state.presenter;
    const std::string intro =
        "S[i][j] shows how position alone shapes the attention logit between query i and key j; "
        "each column says what its S is. Sinusoidal and RoPE S are identical at equal width and base "
        "(both (2/d) sum_k cos((i - j) w_k)): a teaching point, not a bug. The curve is S against the "
        "offset i - j: the mean of each diagonal (for a learned table, whose diagonals need not be "
        "constant, that mean is all it shows).";
    // The ticked schemes, as many as fit at a readable width (at least 15 em a column).
    // A scheme that needs the model's table (learned) is left out when the model has none: its
    // column was a message taking a third of a projector's width (Gemma, DeepSeek V3, ...).
    std::vector<std::size_t> visible;
    std::string left_out;
    for (std::size_t k = 0; k < kinds_.size(); ++k) {
      if (!shown_[k]) continue;
      if (kinds_[k]->needs_data && !state.model().position_table()) left_out += (left_out.empty() ? "" : ", ") + std::string(kinds_[k]->name);
      else visible.push_back(k);
    }
    const float gap_w = em * 0.5f;
    const std::size_t fit = static_cast<std::size_t>(std::max(1.0f, std::floor((size.x + gap_w) / (em * 15 + gap_w))));
    const std::size_t ticked = visible.size();
    if (short_window) {
      // One line: the drawer's button and what is set; the introduction on hover.
      if (ImGui::Button("Settings...")) ImGui::OpenPopup("scheme_settings");
      ImGui::SameLine();
      char summary[200];
      std::snprintf(summary, sizeof summary, "%s: n %d, d %d, base %.0f, rotary %.2f, %s; %zu of %zu ticked schemes shown",
                    preset_ >= 0 ? presets()[static_cast<size_t>(preset_)].name.c_str() : "custom", c_.n, c_.d, c_.base,
                    static_cast<double>(c_.rotary), c_.causal ? "causal" : "bidirectional", std::min(fit, visible.size()), ticked);
      ImGui::AlignTextToFramePadding();
      one_line_text(kMuted, std::string(summary) + (left_out.empty() ? "" : " (" + left_out + ": the model has no position table)"));
      if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(em * 30);
        ImGui::TextUnformatted(intro.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
      }
      if (ImGui::BeginPopup("scheme_settings")) {
        controls(em);
        ImGui::EndPopup();
      }
    } else {
      controls(em);
      wrapped_text(kMuted, intro);
      if (!left_out.empty())
        wrapped_text(kMuted, "Not shown: " + left_out + " (" + state.model().name() + " has no position table; open GPT-2 or the classroom model).");
    }
    if (!(c_ == computed_) || model_version_ != state.model_version() || own_version_ != computed_own_) compute(state);
    if (visible.size() > fit) {
      if (!short_window)
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kAccent),
                           "%zu of the ticked schemes fit at this size: untick some to see the others.", fit);
      visible.resize(fit);
    }
    const float gap = gap_w;
    ImVec2 used(0, ImGui::GetCursorPos().y - start.y);
    const float h = std::max(200.0f, size.y - used.y);
    const std::size_t count = std::max<std::size_t>(1, visible.size());
    const float col_w = (size.x - gap * static_cast<float>(count - 1)) / static_cast<float>(count);
    ImVec2 origin = ImGui::GetCursorScreenPos();
    for (size_t v = 0; v < visible.size(); ++v) {
      const std::size_t k = visible[v];
      ImGui::SetCursorScreenPos(ImVec2(origin.x + static_cast<float>(v) * (col_w + gap), origin.y));
      ImGui::PushID(static_cast<int>(k));
      // A column scrolls when its figures, kept at a readable minimum, do not fit.
      ImGui::BeginChild("col", ImVec2(col_w, h), true);
      column(state, k, ImVec2(col_w - em, h - em));
      ImGui::EndChild();
      ImGui::PopID();
    }
    ImGui::SetCursorScreenPos(ImVec2(origin.x, origin.y + h));
  }

 private:
  void controls(float em) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Preset");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(em * 7);
    if (ImGui::BeginCombo("##preset", preset_ >= 0 ? presets()[static_cast<size_t>(preset_)].name.c_str() : "custom")) {
      for (size_t i = 0; i < presets().size(); ++i)
        if (ImGui::Selectable(presets()[i].name.c_str(), preset_ == static_cast<int>(i))) {
          c_ = presets()[i].c;
          preset_ = static_cast<int>(i);
        }
      ImGui::EndCombo();
    }
    if (preset_ >= 0) {
      ImGui::SameLine();
      ImGui::TextDisabled("%s", presets()[static_cast<size_t>(preset_)].note.c_str());
    }
    Controls before = c_;
    // The next control on this line, or on a new one when it would be cut at the right edge.
    const float right_edge = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    auto same_line_if_fits = [&](float w) {
      ImGui::SameLine();
      if (ImGui::GetCursorScreenPos().x + w > right_edge) {
        ImGui::NewLine();
        ImGui::AlignTextToFramePadding();
      }
    };
    auto field = [&](const char* label, int* v, int lo, int hi, float w) {
      same_line_if_fits(ImGui::CalcTextSize(label).x + ImGui::GetStyle().ItemSpacing.x + em * w);
      ImGui::TextUnformatted(label);
      ImGui::SameLine();
      ImGui::SetNextItemWidth(em * w);
      ImGui::DragInt((std::string("##") + label).c_str(), v, 0.5f, lo, hi, "%d", ImGuiSliderFlags_AlwaysClamp);
    };
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("length n");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(em * 5);
    ImGui::DragInt("##n", &c_.n, 0.5f, 2, 1024, "%d", ImGuiSliderFlags_AlwaysClamp);
    field("d", &c_.d, 2, 4096, 5);
    same_line_if_fits(ImGui::CalcTextSize("base").x + em * 8);
    ImGui::TextUnformatted("base");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(em * 7);
    ImGui::InputDouble("##base", &c_.base, 0, 0, "%.0f");
    c_.base = std::max(c_.base, 2.0);
    same_line_if_fits(ImGui::CalcTextSize("rotary").x + em * 6);
    ImGui::TextUnformatted("rotary");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(em * 5);
    ImGui::SliderFloat("##rot", &c_.rotary, 0.05f, 1.0f, "%.2f");
    same_line_if_fits(ImGui::GetFrameHeight() + ImGui::CalcTextSize("half-split").x + em);
    ImGui::Checkbox("half-split", &c_.half_split);
    same_line_if_fits(ImGui::CalcTextSize("per head:").x + em * 2);
    ImGui::TextDisabled("per head:");
    field("heads", &c_.heads, 1, 128, 4);
    field("head", &c_.head, 1, c_.heads, 4);
    c_.head = std::clamp(c_.head, 1, c_.heads);
    same_line_if_fits(ImGui::GetFrameHeight() + ImGui::CalcTextSize("causal").x + em);
    ImGui::Checkbox("causal", &c_.causal);
    if (!(before == c_)) preset_ = -1;
    ImGui::AlignTextToFramePadding();
    ImGui::TextDisabled("show:");
    const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    for (std::size_t k = 0; k < kinds_.size(); ++k) {
      // Wrap to a new line when the next checkbox would be cut at the right edge.
      const float w = ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x +
                      ImGui::CalcTextSize(kinds_[k]->name).x;
      ImGui::SameLine();
      if (ImGui::GetCursorScreenPos().x + w > right) ImGui::NewLine();
      bool on = shown_[k];
      if (ImGui::Checkbox(kinds_[k]->name, &on)) shown_[k] = on;
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s: %s", kinds_[k]->title, kinds_[k]->summary);
    }
  }

  void compute(const AppState& state) {
    computed_ = c_;
    computed_own_ = own_version_;
    model_version_ = state.model_version();
    ++data_version_;
    for (size_t k = 0; k < kinds_.size(); ++k) {
      Column& col = cols_[k];
      col.rows.reset();
      col.error.clear();
      col.note.clear();
      col.profile.clear();
      try {
        SchemeParams p = own_[k];  // the column's own settings (its "settings" button)
        p.base = c_.base;
        p.rotary_fraction = c_.rotary;
        p.pairs = c_.half_split ? RopePairs::HalfSplit : RopePairs::Interleaved;
        p.heads = c_.heads;
        p.head = c_.head;
        p.causal = p.causal || c_.causal;  // adopt() made the decoder-only schemes causal
        long long n = c_.n, d = c_.d;
        const SchemeData own = state.model().scheme_data();
        const bool model_has_weights = p.kind == state.model().default_scheme().kind &&
                                       (own.bucket_bias || own.bucket_bias_causal || own.relative_embeddings);
        if (kinds_[k]->needs_data) {
          // A learned table comes from a model: the one open now.
          if (!state.model().position_table())
            throw Error(state.model().name() + " has no learned position table (open GPT-2 or the classroom model)");
          col.scheme = make_model_scheme(state.model(), p);
          d = state.model().dim();
          if (auto lmax = col.scheme->max_positions(); lmax && n > *lmax) {
            col.note = "table has only " + std::to_string(*lmax) + " rows: showing n = " + std::to_string(*lmax);
            n = *lmax;
          }
          col.note += (col.note.empty() ? "" : "; ") + std::string("table of ") + state.model().name();
        } else if (model_has_weights) {
          SchemeParams own_p = state.model().default_scheme();  // the trained weights fit only its settings
          own_p.head = std::clamp(c_.head, 1, own_p.heads);
          own_p.causal = p.causal;
          col.scheme = make_model_scheme(state.model(), own_p);
          col.note = "trained weights of " + state.model().name();
        } else {
          col.scheme = make_position_scheme(p);
        }
        if (col.scheme->adds_to_input()) col.rows = col.scheme->input_rows(n, d);
        col.s = col.scheme->interaction(n, d);
        col.s_range = symmetric_range(col.s.data(), col.s.size());
        if (col.rows) col.rows_range = symmetric_range(col.rows->data(), col.rows->size());
        for (double v : interaction_offset_profile(col.s)) col.profile.push_back(static_cast<float>(v));
        col.weights = col.scheme->trained_weights(d);
        col.n_used = n;
      } catch (const std::exception& e) {
        col.error = e.what();
      }
    }
  }

  // The fields the strip above sets for every column at once; the rest are each column's own.
  static bool shared_field(ParamField f) {
    return f == ParamField::Base || f == ParamField::RotaryFraction || f == ParamField::Pairs ||
           f == ParamField::Heads || f == ParamField::Head || f == ParamField::Causal;
  }

  // A column's own settings (buckets, scale base, layout, ...: whatever its registry entry lists
  // beyond the shared strip), in a popup from the button beside its title.
  void own_settings(std::size_t k) {
    const SchemeInfo& kind = *kinds_[k];
    const bool any = std::any_of(kind.params.begin(), kind.params.end(),
                                 [](const ParamSpec& s) { return !shared_field(s.field); });
    if (!any) return;
    if (ImGui::SmallButton("settings") || open_settings_ == static_cast<int>(k)) {
      ImGui::OpenPopup("own");
      open_settings_ = -1;
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s's own settings (the strip above sets the shared ones)", kind.title);
    if (ImGui::BeginPopup("own")) {
      ImGui::TextUnformatted(kind.title);
      std::string error;
      const std::string prefix = "##own" + std::to_string(k);
      if (scheme_param_controls(own_[k], kind, prefix.c_str(), &error, shared_field)) ++own_version_;
      if (!error.empty()) wrapped_text(kWarn, error);
      if (ImGui::SmallButton("defaults")) {
        own_[k] = scheme_defaults(kind);
        ++own_version_;
      }
      ImGui::EndPopup();
    }
  }


  void column(const AppState& state, std::size_t k, ImVec2 size) {
    // The width inside the column as it is now: a column that scrolls has a scrollbar's less (the
    // P map and the curve's last offset ran under it).
    size.x = std::min(size.x, ImGui::GetContentRegionAvail().x);
    Column& col = cols_[k];
    const SchemeInfo& kind = *kinds_[k];
    const float line = ImGui::GetTextLineHeight();
    const float fig_min = line * 4.5f + line * 6.0f + line * 4.5f;
    // Very short (a projector at scale 2): no explanation lines at all (the title names them on
    // hover), the settings button beside the title and the weight count under S, so that S is
    // in view (at 1280x720 x2 under a RoPE checkpoint's three rows of controls it was below).
    const bool bare = size.y < fig_min + line * 7.0f;
    ImGui::PushFont(fonts().large);
    const bool title_line = bare && ImGui::CalcTextSize(kind.title).x + ImGui::CalcTextSize("settings").x * 0.8f + line * 2 <= size.x;
    if (title_line) ImGui::AlignTextToFramePadding();
    ImGui::TextWrapped("%s", kind.title);
    ImGui::PopFont();
    const bool title_hovered = ImGui::IsItemHovered();
    if (title_line) ImGui::SameLine();
    own_settings(k);
    if (!col.error.empty()) {
      wrapped_text(kWarn, col.error);
      return;
    }
    float y0 = ImGui::GetCursorPosY();
    // The figures need room (title, numbers and a few rows each); when the explanations would
    // leave them less, each explanation keeps to one line, the whole of it on hover.
    const std::string where = col.scheme->where_position_enters();
    const std::string meaning = "S: " + col.scheme->interaction_meaning();
    float text_h = line * 1.5f;
    for (const std::string* t : std::initializer_list<const std::string*>{&where, &meaning, &col.note})
      if (!t->empty()) text_h += ImGui::CalcTextSize(t->c_str(), nullptr, false, size.x).y + ImGui::GetStyle().ItemSpacing.y;
    const bool brief = size.y - text_h - line * 5.0f < fig_min;
    if (bare && title_hovered) {
      ImGui::BeginTooltip();
      ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30);
      ImGui::TextUnformatted((where + "\n\n" + meaning + (col.note.empty() ? "" : "\n\n" + col.note)).c_str());
      ImGui::PopTextWrapPos();
      ImGui::EndTooltip();
    }
    for (const std::string* t : std::initializer_list<const std::string*>{&where, &meaning, &col.note}) {
      if (t->empty() || bare) continue;
      if (brief) one_line_text(kMuted, *t);
      else wrapped_text(kMuted, *t);
    }
    if (!bare) ImGui::Text("trained weights: %s", thousands(col.weights).c_str());
    const float remaining = std::max(fig_min, size.y - (ImGui::GetCursorPosY() - y0) - line * 5.0f);
    // S first and square (its diagonals at 45 degrees: a 64 x 64 S drawn 370 x 120 hid them),
    // as large as the column's width and 60% of the height allow; then the input rows and the
    // curve share the rest.
    const float around = line * 2 + ImGui::GetStyle().ItemSpacing.y + 4.0f;  // title and column numbers
    // On a short column (a projector's scale) S still fits whole above the fold when it can be
    // 2 lines high: the input rows and the curve go below it, announced by "more below".
    const float in_view = ImGui::GetContentRegionAvail().y - ImGui::GetStyle().ItemSpacing.y;
    float side = std::max(line * 4.0f, std::min(size.x, remaining * 0.6f - around));
    if (in_view - around >= line * 2.0f) side = std::min(side, in_view - around);
    const float s_w = std::min(size.x, side), s_h = side + around;
    const float rest = std::max(line * 7.0f, remaining - s_h);
    const float rows_h = std::max(line * 4.5f, rest * 0.6f), curve_h = std::max(line * 2.5f, rest * 0.4f - line);
    // S heatmap.
    HeatmapSpec s;
    s.values = col.s.data();
    s.rows = col.s.rows();
    s.cols = col.s.cols();
    s.version = data_version_;
    s.range = col.s_range;
    s.title = "S (" + std::to_string(s.rows) + " x " + std::to_string(s.cols) + "), colours +-" + format_value(s.range);
    s.row_noun = "query i";
    s.col_noun = "key j";
    s.show_values = s.rows <= 8;
    // The title over the column's whole width (the square map is narrower than the column).
    ImGui::TextUnformatted(fit_text(s.title, size.x).c_str());
    s.title.clear();
    col.s_map.draw("S", s, ImVec2(s_w, s_h - line - ImGui::GetStyle().ItemSpacing.y));
    if (bare) ImGui::Text("trained weights: %s", thousands(col.weights).c_str());
    // What it adds at the input.
    if (col.rows) {
      HeatmapSpec spec;
      spec.values = col.rows->data();
      spec.rows = col.rows->rows();
      spec.cols = col.rows->cols();
      spec.version = data_version_;
      spec.range = col.rows_range;
      spec.title = "adds rows P (" + std::to_string(spec.rows) + " x " + std::to_string(spec.cols) + ")";
      spec.row_noun = "position";
      spec.show_values = false;
      col.rows_map.draw("rows", spec, ImVec2(size.x, rows_h));
    } else {
      ImVec2 p = ImGui::GetCursorScreenPos();
      ImGui::Dummy(ImVec2(size.x, rows_h));
      ImDrawList* dl = ImGui::GetWindowDrawList();
      dl->AddRect(ImVec2(p.x, p.y + line), ImVec2(p.x + size.x, p.y + rows_h), IM_COL32(120, 120, 120, 255), 4.0f);
      const char* msg = "adds nothing at the input";
      ImVec2 ts = ImGui::CalcTextSize(msg);
      dl->AddText(ImVec2(p.x + (size.x - ts.x) / 2, p.y + line + (rows_h - line - ts.y) / 2), kAccent, msg);
      dl->AddText(p, ImGui::GetColorU32(ImGuiCol_Text), "input rows");
    }
    // S against offset.
    ImGui::TextUnformatted("S against offset i - j");
    if (!col.profile.empty()) offset_curve(col.profile, ImVec2(size.x, std::max(30.0f, curve_h) + line));
    (void)state;
  }

  Controls c_, computed_{-1};
  int preset_ = -1;
  uint64_t model_version_ = 0, data_version_ = 0;
  std::vector<const SchemeInfo*> kinds_ = compared_schemes();
  std::vector<Column> cols_ = std::vector<Column>(kinds_.size());
  std::vector<bool> shown_ = std::vector<bool>(kinds_.size(), true);
  std::vector<SchemeParams> own_ = [this] {
    std::vector<SchemeParams> out;
    for (const SchemeInfo* s : kinds_) out.push_back(scheme_defaults(*s));
    return out;
  }();
  uint64_t own_version_ = 0, computed_own_ = ~uint64_t{0};
  int open_settings_ = -1;
};

}  // namespace

std::unique_ptr<Panel> make_schemes_panel() { return std::make_unique<SchemesPanel>(); }

}  // namespace es::ui
