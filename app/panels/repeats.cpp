// Repeated tokens (bottom region of the Tokens and Matrix views): where two equal tokens
// stop being equal. Additive schemes: numbers (distance, cosine) and a difference strip
// row j - row i. RoPE, ALiBi, T5: the input rows stay identical, said plainly, and the rows
// of S where the two positions part ways, with a link to the scheme comparison.
#include "colors.h"
#include "heatmap.h"
#include "panel.h"
#include "tokenizer.h"
#include "widgets.h"

#include <algorithm>

namespace es::ui {
namespace {

class RepeatsPanel final : public Panel {
 public:
  const char* name() const override { return "repeats"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Matrix || v == ViewId::Tokens; }
  Region region() const override { return Region::Bottom; }

  void draw(AppState& state, ImVec2 size) override {
    ImGui::BeginChild("repeats", size, false);
    const auto& groups = state.repeats();
    ImGui::PushFont(fonts().large);
    ImGui::TextUnformatted("Repeated tokens");
    ImGui::PopFont();
    if (groups.empty()) {
      // The suggestion is checked against this model's own tokenizer (GPT-2 gives "the" at the
      // start and " the" after a space different ids).
      const std::string& s = state.repeat_sentence();
      wrapped_text(kMuted, s.empty() ? "No token id appears twice in this text. Type ids with a repeat, e.g. " +
                                           default_ids_line(state.model()) + "."
                                     : "No token id appears twice in this text. Try \"" + s +
                                           "\": this model's tokenizer gives a repeated id there.");
      ImGui::EndChild();
      return;
    }
    // Choose the pair: the selected token's group if any, else the first.
    int gi = std::max(0, state.repeat_group_of(state.selected_position));
    const RepeatedTokenGroup& g = groups[static_cast<size_t>(gi)];
    const RepeatedTokenPair& pair = g.pairs.front();
    const ImU32 col = token_colour(state, g.id);
    const bool additive = state.embedding().position_added;
    const std::string tok = token_label(g);

    const float em = ImGui::GetFontSize();
    const float left_w = std::min(size.x * 0.42f, em * 26);
    ImGui::BeginChild("numbers", ImVec2(left_w, 0), false);
    wrapped_text(col, tok + " at positions " + std::to_string(pair.i) + " and " + std::to_string(pair.j) +
                          " has one id (" + std::to_string(g.id) + "), so its token rows are identical.");
    if (ImGui::BeginTable("pair", 3, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
      ImGui::TableSetupColumn("rows i, j compared");
      ImGui::TableSetupColumn("distance (L2)");
      ImGui::TableSetupColumn("cosine");
      ImGui::TableHeadersRow();
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted("token rows");
      ImGui::TableNextColumn();
      ImGui::Text("%s", format_value(pair.token_l2).c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%s", format_value(pair.token_cos).c_str());
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted("combined rows");
      ImGui::TableNextColumn();
      ImGui::PushStyleColor(ImGuiCol_Text, additive ? kAccent : ImGui::GetColorU32(ImGuiCol_Text));
      ImGui::Text("%s", format_value(pair.combined_l2).c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%s", format_value(pair.combined_cos).c_str());
      ImGui::PopStyleColor();
      auto extra_row = [&](const char* label, const std::string& value, const char* tip) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(label);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tip);
        ImGui::TableNextColumn();
        ImGui::PushStyleColor(ImGuiCol_Text, kAccent);
        ImGui::TextUnformatted(value.c_str());
        ImGui::PopStyleColor();
        ImGui::TableNextColumn();
        ImGui::TextDisabled("-");
      };
      if (pair.rope_self_score)
        extra_row("rotated token row . itself", format_value(*pair.rope_self_score),
                  "<R_i x, R_j x> / |x|^2 for the token row x: a proxy for q.k (real q and k are projections "
                  "of the normed row). 1 at offset 0; depends on the offset only.");
      if (pair.bias_shift_spread)
        extra_row("bias rows: shift / spread",
                  format_value(pair.bias_shift.value_or(0)) + " / " + format_value(*pair.bias_shift_spread),
                  "Over the keys both queries see: the mean and the max - min of S[j][k] - S[i][k]. Spread 0 is a "
                  "constant shift, which softmax ignores.");
      if (const std::optional<double> spread = state.analysis().block0_pair_spread(pair.i, pair.j))
        extra_row("block-0 logits: spread", format_value(*spread),
                  "The real attention logits of block 0 (this checkpoint's own q and k weights, after its first "
                  "norm, with its scheme): over the keys both see, the max - min of row j - row i, largest over "
                  "the heads. 0 would mean the two weigh those keys identically.");
      if (pair.window_extra_keys)
        extra_row("keys only the later one sees", std::to_string(*pair.window_extra_keys),
                  "A causal model: query j also sees the keys i+1..j.");
      ImGui::EndTable();
    }
    if (groups.size() > 1)
      ImGui::TextDisabled("%zu repeated tokens; click a chip or row to pick another.", groups.size());
    ImGui::EndChild();

    ImGui::SameLine(0, em);
    ImGui::BeginChild("where", ImVec2(0, 0), false);
    const float w = ImGui::GetContentRegionAvail().x;
    if (additive) {
      wrapped_text(kMuted, "The " + std::string(scheme_info(state.scheme_params().kind).title) + " scheme adds a different position row at each "
                   "position, so the combined rows differ by P[" + std::to_string(pair.j) + "] - P[" +
                   std::to_string(pair.i) + "]:");
      diff_strip(state, pair, ImVec2(w, std::max(60.0f, ImGui::GetContentRegionAvail().y - 4)));
    } else {
      wrapped_text(kAccent, divergence_text(state, pair));
      if (ImGui::Button("Compare the schemes (view 4)")) state.view = ViewId::Schemes;
      s_rows(state, pair, ImVec2(w, std::max(60.0f, ImGui::GetContentRegionAvail().y - 4)));
    }
    ImGui::EndChild();
    ImGui::EndChild();
  }

 private:
  // What the scheme does to the pair, from the scheme itself (FACTS.md sections 2 and 8), with
  // the pair's own numbers.
  static std::string divergence_text(const AppState& state, const RepeatedTokenPair& p) {
    const std::string ij = std::to_string(p.i) + " and " + std::to_string(p.j);
    std::string text = std::string(scheme_info(state.scheme_params().kind).title) +
                       " adds nothing at the input (rows " + ij + ": distance 0, cosine 1). " +
                       state.scheme().repeated_token_story();
    if (p.rope_self_score)
      text += " The rotated token row scored with itself is " + format_value(*p.rope_self_score) + " at offset " +
              std::to_string(p.j - p.i) + " (1 at offset 0; a proxy for q.k).";
    if (p.bias_shift_spread)
      text += " Here: shift " + format_value(p.bias_shift.value_or(0)) + ", spread " +
              format_value(*p.bias_shift_spread) + " over the shared keys.";
    if (const std::optional<double> spread = state.analysis().block0_pair_spread(p.i, p.j))
      text += " In this checkpoint's real block-0 attention their logit rows over the shared keys differ by up to " +
              format_value(*spread) + " beyond a constant (" + state.analysis().block0_note() + ").";
    return text;
  }

  // Two rows: token row j - row i (all zeros) and combined row j - row i.
  void diff_strip(const AppState& state, const RepeatedTokenPair& p, ImVec2 size) {
    if (diff_version_ != state.version() || diff_i_ != p.i || diff_j_ != p.j) {
      diff_ = state.analysis().pair_differences(p.i, p.j);  // (2, d), from core
      diff_version_ = state.version();
      diff_i_ = p.i;
      diff_j_ = p.j;
      ++data_version_;
    }
    HeatmapSpec spec;
    spec.values = diff_.data();
    spec.rows = 2;
    spec.cols = diff_.cols();
    spec.version = data_version_;
    spec.range = symmetric_range(diff_.data(), diff_.size());
    spec.col_count = std::min<long long>(diff_.cols(), 64);
    spec.row_noun = "difference";
    const std::string ij = "row " + std::to_string(p.j) + " - row " + std::to_string(p.i);
    spec.row_label = [ij](long long r) { return (r == 0 ? "token " : "combined ") + ij; };
    spec.title = diff_.cols() > 64 ? "difference strip (first 64 dims)" : "difference strip";
    const float bar = colour_bar_width(spec.range);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    strip_.draw("diff", spec, ImVec2(size.x - bar - 8, size.y));
    ImGui::SetCursorScreenPos(ImVec2(origin.x + size.x - bar, origin.y));
    colour_bar("", spec.range, ImVec2(bar, size.y));
  }

  // Rows i and j of S (the scheme's position interaction), NaN where masked.
  void s_rows(const AppState& state, const RepeatedTokenPair& p, ImVec2 size) {
    const MatrixRM& s = state.interaction();
    if (diff_version_ != state.version() || diff_i_ != p.i || diff_j_ != p.j) {
      diff_ = MatrixRM(2, s.cols());
      diff_.row(0) = s.row(p.i);
      diff_.row(1) = s.row(p.j);
      diff_version_ = state.version();
      diff_i_ = p.i;
      diff_j_ = p.j;
      ++data_version_;
    }
    HeatmapSpec spec;
    spec.values = diff_.data();
    spec.rows = 2;
    spec.cols = diff_.cols();
    spec.version = data_version_;
    spec.range = symmetric_range(diff_.data(), diff_.size());
    spec.row_noun = "query";
    spec.col_noun = "key";
    const int i = p.i, j = p.j;
    spec.row_label = [i, j](long long r) { return "S row of query " + std::to_string(r == 0 ? i : j); };
    spec.title = state.scheme_params().causal
                     ? "where they diverge: their rows of S (grey hatch = masked future keys)"
                     : "where they diverge: their rows of S";
    const float bar = colour_bar_width(spec.range);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    strip_.draw("srows", spec, ImVec2(size.x - bar - 8, size.y));
    ImGui::SetCursorScreenPos(ImVec2(origin.x + size.x - bar, origin.y));
    colour_bar("", spec.range, ImVec2(bar, size.y));
  }

  MatrixRM diff_;  // (2, d) or (2, n)
  uint64_t diff_version_ = 0, data_version_ = 0;
  int diff_i_ = -1, diff_j_ = -1;
  Heatmap strip_;
};

}  // namespace

std::unique_ptr<Panel> make_repeats_panel() { return std::make_unique<RepeatsPanel>(); }

}  // namespace es::ui
