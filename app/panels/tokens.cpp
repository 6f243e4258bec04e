// Tokens view: the sentence as chips (position, id, text with spaces and newlines visible).
// Equal ids share a colour everywhere; hover shows the bytes; a click selects a token.
#include "colors.h"
#include "heatmap.h"
#include "panel.h"
#include "tokenizer.h"
#include "widgets.h"

#include <cstdio>
#include <algorithm>
#include <set>

namespace es::ui {
namespace {

class TokensPanel final : public Panel {
 public:
  const char* name() const override { return "tokens"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Tokens; }

  void draw(AppState& state, ImVec2 size) override {
    ImGui::BeginChild("tokens", size, false);
    ImGui::PushFont(fonts().large);
    ImGui::TextUnformatted("Text -> tokens -> ids");
    ImGui::PopFont();
    std::set<int> distinct(state.ids().begin(), state.ids().end());
    const std::string spaces = visible_token_text(" "), newlines = visible_token_text("\n");
    {
      char head[512];
      std::snprintf(head, sizeof head, "%d tokens, %zu distinct ids, tokenizer: %s. Spaces show as %s, newlines as %s.",
                    state.length(), distinct.size(),
                    state.model().tokenizer() ? state.model().tokenizer()->name().c_str() : "none", spaces.c_str(),
                    newlines.c_str());
      // Never cut at the right edge: wrapped, or one line (all of it on hover) in presenter mode.
      if (state.presenter)
        one_line_text(kMuted, head);
      else
        wrapped_text(kMuted, head);
    }
    if (const Tokenizer* tok = state.model().tokenizer().get()) {
      bool special = state.special_tokens();
      if (ImGui::Checkbox("the model's special tokens", &special)) state.set_special_tokens(special);
      if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Special tokens written in the text ([SEP], <|endoftext|>, <s>) become one token each,\n"
                          "and the model's own are added around the text: [CLS] ... [SEP] for BERT,\n"
                          "<s> first for LLaMA and Mistral, </s> last for T5. GPT-2 adds none.");
      (void)tok;
    }
    ImGui::Spacing();
    // Chips flow left to right and wrap.
    const float right = ImGui::GetCursorScreenPos().x + ImGui::GetContentRegionAvail().x;
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    for (int i = 0; i < state.length(); ++i) {
      float w = token_chip_width(state, i, true);
      if (i > 0) {
        ImGui::SameLine(0, gap);
        if (ImGui::GetCursorScreenPos().x + w > right) ImGui::NewLine();
      }
      token_chip(state, i, true);
    }
    ImGui::Spacing();
    ImGui::Separator();
    const bool small_vocab = state.model().vocab_size() <= 64;
    // The id line, the repeats and the lookup table get at least 11 lines: on a short window (a
    // projector's scale) the page scrolls, with its "more below" cue, rather than squeezing them
    // into a sliver that cuts a line in half.
    // (Not for a shortfall under the cue's threshold of 0.6 lines: those few pixels scrolled
    // with no cue, cutting the lookup table's last row at 1280x720 x1 with a RoPE model.)
    const float avail_h = ImGui::GetContentRegionAvail().y, em = ImGui::GetFontSize();
    const float region_h = avail_h >= em * 10.4f ? avail_h : em * 11;
    ImGui::BeginChild("sequence", ImVec2(small_vocab ? ImGui::GetContentRegionAvail().x * 0.45f : 0, region_h), false);
    // The id sequence as the model receives it.
    std::string seq = "ids: [";
    for (int i = 0; i < state.length(); ++i) seq += (i ? ", " : "") + std::to_string(state.ids()[static_cast<size_t>(i)]);
    seq += "]";
    ImGui::PushFont(fonts().mono);
    wrapped_text(ImGui::GetColorU32(ImGuiCol_Text), seq);  // the theme's text colour (a fixed light grey vanished on the light theme)
    ImGui::PopFont();
    if (!state.repeats().empty()) {
      ImGui::Spacing();
      for (const RepeatedTokenGroup& g : state.repeats()) {
        ImU32 col = token_colour(state, g.id);
        std::string where;
        for (size_t k = 0; k < g.positions.size(); ++k)
          where += (k ? (k + 1 == g.positions.size() ? " and " : ", ") : "") + std::to_string(g.positions[k]);
        const std::string label = g.text.empty() ? token_label(g) : "\"" + displayable(visible_token_text(g.text)) + "\"";
        wrapped_text(col, label + " (id " + std::to_string(g.id) +
                              ") appears at positions " + where +
                              ": one id, so one and the same token row. Only position can tell them apart.");
      }
    } else {
      if (!state.repeat_sentence().empty())
        ImGui::TextDisabled("No token repeats in this text. Try \"%s\" to see one.", state.repeat_sentence().c_str());
      else
        ImGui::TextDisabled("No token repeats in this text. Type ids with a repeat, e.g. %s.",
                            default_ids_line(state.model()).c_str());
    }
    ImGui::EndChild();
    if (small_vocab) {
      ImGui::SameLine();
      ImGui::BeginChild("lookup", ImVec2(0, region_h), false);
      lookup_table(state);
      ImGui::EndChild();
    }
    ImGui::EndChild();
  }

 private:
  // Small vocabularies: the token table E itself, with the rows the sentence picks framed in
  // their token colours. The lookup E[id] is the whole embedding step for tokens.
  void lookup_table(AppState& state) {
    const ModelSource& m = state.model();
    TableMap e = m.token_table();
    wrapped_text(kMuted, "Lookup: each id picks one row of the token table E (" + std::to_string(e.rows()) + " x " +
                             std::to_string(e.cols()) + "). Equal ids pick the same row.");
    auto tok = m.tokenizer();
    HeatmapSpec spec;
    spec.values = e.data();
    spec.rows = e.rows();
    spec.cols = e.cols();
    spec.version = state.model_version();
    spec.range = symmetric_range(e.data(), e.size());
    spec.row_noun = "id";
    spec.row_label = [tok](long long r) {
      // A table may have more rows than the tokenizer has tokens (padding rows): those are
      // rows no text can reach, and say so instead of asking the tokenizer for them.
      if (!tok || r >= tok->vocab_size()) return std::to_string(r) + (tok ? "  (no token)" : "");
      return std::to_string(r) + "  " + displayable(visible_token_text(tok->token_bytes(static_cast<int>(r))));
    };
    spec.row_label_colour = [&state](long long r) {
      const auto& ids = state.ids();
      bool used = std::find(ids.begin(), ids.end(), static_cast<int>(r)) != ids.end();
      return used ? token_colour(state, static_cast<int>(r)) : kMuted;
    };
    std::set<int> seen;
    for (int id : state.ids())
      if (seen.insert(id).second) spec.marks.push_back({id, token_colour(state, id), ""});
    const float h = std::max(120.0f, ImGui::GetContentRegionAvail().y - 4);
    const float w = std::min(ImGui::GetContentRegionAvail().x - colour_bar_width(spec.range) - 16,
                             ImGui::GetFontSize() * 6 * static_cast<float>(e.cols()) + 120);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    table_.draw("E", spec, ImVec2(w, h));
    ImGui::SetCursorScreenPos(ImVec2(origin.x + w + 12, origin.y));
    colour_bar("value", spec.range, ImVec2(colour_bar_width(spec.range), h));
  }

  Heatmap table_;
};

}  // namespace

std::unique_ptr<Panel> make_tokens_panel() { return std::make_unique<TokensPanel>(); }

}  // namespace es::ui
