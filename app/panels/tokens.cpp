// Tokens view: the sentence as chips (position, id, text with spaces and newlines visible).
// Equal ids share a colour everywhere; hover shows the bytes; a click selects a token.
#include "colors.h"
#include "panel.h"
#include "tokenizer.h"
#include "widgets.h"

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
    ImGui::TextDisabled("%d tokens, %zu distinct ids, tokenizer: %s. Spaces show as %s, newlines as %s.",
                        state.length(), distinct.size(),
                        state.model().tokenizer() ? state.model().tokenizer()->name().c_str() : "none",
                        spaces.c_str(), newlines.c_str());
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
    // The id sequence as the model receives it.
    std::string seq = "ids: [";
    for (int i = 0; i < state.length(); ++i) seq += (i ? ", " : "") + std::to_string(state.ids()[static_cast<size_t>(i)]);
    seq += "]";
    ImGui::PushFont(fonts().mono);
    wrapped_text(IM_COL32(220, 220, 220, 255), seq);
    ImGui::PopFont();
    if (!state.repeats().empty()) {
      ImGui::Spacing();
      for (const RepeatedTokenGroup& g : state.repeats()) {
        ImU32 col = token_colour(state, g.id);
        std::string where;
        for (size_t k = 0; k < g.positions.size(); ++k)
          where += (k ? (k + 1 == g.positions.size() ? " and " : ", ") : "") + std::to_string(g.positions[k]);
        wrapped_text(col, "\"" + displayable(visible_token_text(g.text)) + "\" (id " + std::to_string(g.id) +
                              ") appears at positions " + where +
                              ": one id, so one and the same token row. Only position can tell them apart.");
      }
    } else {
      ImGui::TextDisabled("No token repeats in this text. Try \"the cat sat on the mat\" to see one.");
    }
    ImGui::EndChild();
  }
};

}  // namespace

std::unique_ptr<Panel> make_tokens_panel() { return std::make_unique<TokensPanel>(); }

}  // namespace es::ui
