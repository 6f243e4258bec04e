// Vocabulary view: search a token, its nearest neighbours by cosine, and an analogy box
// (a - b + c). The search index (core VocabularyIndex) is the model's one index, built on a
// worker once per model and shared with the PCA view (AppState::vocabulary_index), so a
// 50257-row table never freezes the window.
#include "colors.h"
#include "panel.h"
#include "vocabulary.h"
#include "widgets.h"

#include <imgui_stdlib.h>


namespace es::ui {
namespace {

class VocabPanel final : public Panel {
 public:
  const char* name() const override { return "vocab"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Vocab; }

  bool busy() const override { return !index_ && waiting_; }

  void draw(AppState& state, ImVec2 size) override {
    ensure_index(state);
    const float em = ImGui::GetFontSize();
    const ModelSource& m = state.model();
    auto tok = m.tokenizer();
    if (!m.trained())
      wrapped_text(kWarn, "This table is random (untrained): neighbours and analogies show noise, not meaning. "
                          "Open a trained checkpoint in view 5 to see real structure.");
    if (!tok) {
      ImGui::TextDisabled("This model has no tokenizer, so tokens cannot be searched by text.");
      return;
    }
    ImGui::BeginChild("left", ImVec2(std::min(size.x * 0.5f, em * 30), 0), true);
    ImGui::PushFont(fonts().large);
    ImGui::TextUnformatted("Search and neighbours");
    ImGui::PopFont();
    ImGui::SetNextItemWidth(-1);
    if (ImGui::InputTextWithHint("##search", "type part of a token, e.g. cat", &search_)) results_.clear();
    if (results_.empty() && !search_.empty()) results_ = search_tokens(*tok, search_, 40);
    if (search_.empty()) {
      wrapped_text(ImGui::GetColorU32(ImGuiCol_TextDisabled),
                   "Type to search the " + thousands(m.vocab_size()) + " tokens; click one to see its neighbours.");
    } else if (results_.empty()) {
      ImGui::TextDisabled("No token contains \"%s\".", search_.c_str());
    } else {
      ImGui::BeginChild("results", ImVec2(0, ImGui::GetTextLineHeightWithSpacing() * 6), false);
      for (int id : results_) {
        std::string label = std::to_string(id) + "  " + displayable(visible_token_text(tok->token_bytes(id)));
        if (ImGui::Selectable(label.c_str(), id == query_)) query_ = id;
      }
      ImGui::EndChild();
    }
    // Default query: the selected token of the sentence, else its first token.
    if (query_ < 0 || query_ >= m.vocab_size())
      query_ = state.ids()[static_cast<size_t>(std::max(0, state.selected_position))];
    ImGui::Separator();
    ImGui::Text("Nearest to \"%s\" (id %d) by cosine:", displayable(visible_token_text(tok->token_bytes(query_))).c_str(), query_);
    if (!index_ready(state)) {
      ImGui::TextDisabled("building the search index over %s rows ...", thousands(m.vocab_size()).c_str());
    } else {
      if (neighbours_query_ != query_ || neighbours_version_ != state.model_version()) {
        neighbours_ = index_->nearest_to_token(query_, 12);
        neighbours_query_ = query_;
        neighbours_version_ = state.model_version();
      }
      neighbour_table("nn", *tok, neighbours_);
    }
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("right", ImVec2(0, 0), true);
    ImGui::PushFont(fonts().large);
    ImGui::TextUnformatted("Analogy: a - b + c");
    ImGui::PopFont();
    wrapped_text(kMuted, "Tokens as the tokenizer spells them: GPT-2 writes a word after a space with the space "
                         "(\" king\").");
    bool go = false;
    // The three fields on one line when they fit, else each on its own (a projector's scale 3).
    const float field_w = std::min(em * 8, ImGui::GetContentRegionAvail().x - ImGui::CalcTextSize("a").x - em);
    const bool one_line = ImGui::GetContentRegionAvail().x >= 3 * (field_w + ImGui::CalcTextSize("a").x + em * 1.2f);
    for (int k = 0; k < 3; ++k) {
      ImGui::SetNextItemWidth(field_w);
      const char* labels[] = {"a", "b", "c"};
      go |= ImGui::InputText(labels[k], &analogy_[k]);
      if (k < 2 && one_line) ImGui::SameLine();
    }
    wrapped_text(ImGui::GetColorU32(ImGuiCol_TextDisabled),
                 "as tokens: " + displayable(visible_token_text(analogy_[0])) + " - " +
                     displayable(visible_token_text(analogy_[1])) + " + " + displayable(visible_token_text(analogy_[2])));
    if (go || analogy_version_ != state.model_version()) {
      analogy_error_.clear();
      analogy_result_.clear();
      analogy_version_ = state.model_version();
      analogy_pending_ = true;
    }
    if (analogy_pending_ && index_ready(state)) {
      analogy_pending_ = false;
      try {
        int a = resolve_token(*tok, analogy_[0]), b = resolve_token(*tok, analogy_[1]), c = resolve_token(*tok, analogy_[2]);
        analogy_result_ = index_->analogy(a, b, c, 10);
      } catch (const std::exception& e) {
        analogy_error_ = e.what();
      }
    }
    if (!analogy_error_.empty()) wrapped_text(kWarn, analogy_error_);
    else neighbour_table("analogy", *tok, analogy_result_);
    ImGui::EndChild();
  }

 private:
  bool index_ready(AppState& state) {
    index_ = state.vocabulary_index();
    waiting_ = !index_;
    return index_ != nullptr;
  }

  void ensure_index(AppState& state) {
    if (index_model_ == state.model_version()) return;
    index_model_ = state.model_version();
    index_.reset();
    neighbours_query_ = -1;
    query_ = -1;
    results_.clear();
    if (state.model().family() == "classroom") analogy_ = {"cat", "dog", "mat"};
    else analogy_ = {" king", " man", " woman"};
  }

  static void neighbour_table(const char* id, const Tokenizer& tok, const std::vector<Neighbour>& list) {
    if (!ImGui::BeginTable(id, 3, ImGuiTableFlags_RowBg)) return;
    ImGui::TableSetupColumn("id", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 4);
    ImGui::TableSetupColumn("token", ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableSetupColumn("cosine", ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableHeadersRow();
    for (const Neighbour& n : list) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%d", n.id);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(displayable(visible_token_text(tok.token_bytes(n.id))).c_str());
      ImGui::TableNextColumn();
      // A bar from 0 with the value, in the diverging colour of the value.
      ImVec2 p = ImGui::GetCursorScreenPos();
      float w = ImGui::GetContentRegionAvail().x * 0.6f;
      ImGui::GetWindowDrawList()->AddRectFilled(
          ImVec2(p.x, p.y + 3), ImVec2(p.x + w * std::max(0.0f, n.cosine), p.y + ImGui::GetTextLineHeight() - 3),
          value_colour(n.cosine, 1.0f));
      ImGui::SetCursorScreenPos(ImVec2(p.x + w + 6, p.y));
      ImGui::Text("%.3f", static_cast<double>(n.cosine));
    }
    ImGui::EndTable();
  }

  uint64_t index_model_ = 0;
  std::shared_ptr<const VocabularyIndex> index_;  // the model's (AppState), once built
  bool waiting_ = false;
  std::string search_;
  std::vector<int> results_;
  int query_ = -1, neighbours_query_ = -1;
  uint64_t neighbours_version_ = 0, analogy_version_ = 0;
  std::vector<Neighbour> neighbours_, analogy_result_;
  std::array<std::string, 3> analogy_ = {"cat", "dog", "mat"};
  bool analogy_pending_ = false;
  std::string analogy_error_;
};

}  // namespace

std::unique_ptr<Panel> make_vocab_panel() { return std::make_unique<VocabPanel>(); }

}  // namespace es::ui
