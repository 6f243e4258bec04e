// Vocabulary view: search a token, its nearest neighbours by cosine, an analogy box
// (a - b + c), and the principal components of the whole token table. The search index (core
// VocabularyIndex) is the model's one index, built on a worker once per model and shared with
// the PCA view (AppState::vocabulary_index), so a 50257-row table never freezes the window.
// The table's PCA runs on workers too: the leading three at once (block Krylov on tables
// 1,024 wide or more: under a second for LLaMA-3-8B's 128,256 x 4,096 BF16 table), every
// component on request, with progress and a cancel button (tens of seconds at that size).
#include "background.h"
#include "audit.h"
#include "colors.h"
#include "panel.h"
#include "threads.h"
#include "vocabulary.h"
#include "widgets.h"

#include <imgui_stdlib.h>


namespace es::ui {
namespace {

class VocabPanel final : public Panel {
 public:
  const char* name() const override { return "vocab"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Vocab; }

  bool busy() const override {
    return (!index_ && waiting_) || leading_.task.running() || all_.task.running() || want_all_;
  }
  // every_component=1: start the exact decomposition of the whole table at once (screenshots).
  void set_option(const std::string& key, const std::string& value) override {
    if (key == "every_component") { want_all_ = value == "1" || value == "true"; return; }
    throw Error("vocab has no option '" + key + "' (every_component)");
  }

  void draw(AppState& state, ImVec2 size) override {
    ensure_index(state);
    const float em = ImGui::GetFontSize();
    const ModelSource& m = state.model();
    auto tok = m.tokenizer();
    if (!m.trained())
      wrapped_text(kWarn, "This table is random (untrained): neighbours and analogies show noise, not meaning. "
                          "Open a trained checkpoint in view 5 to see real structure.");
    if (!tok) {
      // No tokenizer (a checkpoint without its tokenizer files): neighbours by id.
      ImGui::PushFont(fonts().large);
      ImGui::TextWrapped("Nearest neighbours");
      ImGui::PopFont();
      wrapped_text(ImGui::GetColorU32(ImGuiCol_TextDisabled),
                   "This model has no tokenizer, so tokens are named by id: type one (0 to " +
                       thousands(m.vocab_size() - 1) + ").");
      if (query_ < 0 || query_ >= m.vocab_size())
        query_ = state.ids()[static_cast<size_t>(std::max(0, state.selected_position))];
      int id = query_;
      ImGui::SetNextItemWidth(em * 7);
      if (ImGui::InputInt("token id", &id, 1, 100)) query_ = static_cast<int>(std::clamp<long long>(id, 0, m.vocab_size() - 1));
      if (!index_ready(state)) {
        ImGui::TextDisabled("building the search index over %s rows ...", thousands(m.vocab_size()).c_str());
      } else {
        if (neighbours_query_ != query_ || neighbours_version_ != state.model_version()) {
          neighbours_ = index_->nearest_to_token(query_, 12);
          neighbours_query_ = query_;
          neighbours_version_ = state.model_version();
        }
        ImGui::TextWrapped("Nearest to id %d by cosine:", query_);
        neighbour_table("nn", nullptr, neighbours_);
      }
      ImGui::Spacing();
      whole_table_pca(state);
      return;
    }
    ImGui::BeginChild("left", ImVec2(std::min(size.x * 0.5f, em * 30), 0), true);
    ImGui::PushFont(fonts().large);
    ImGui::TextWrapped("Search and neighbours");  // wraps at a projector's scale, never cut
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
    ImGui::TextWrapped("Nearest to \"%s\" (id %d) by cosine:", displayable(visible_token_text(tok->token_bytes(query_))).c_str(), query_);
    if (!index_ready(state)) {
      ImGui::TextDisabled("building the search index over %s rows ...", thousands(m.vocab_size()).c_str());
    } else {
      if (neighbours_query_ != query_ || neighbours_version_ != state.model_version()) {
        neighbours_ = index_->nearest_to_token(query_, 12);
        neighbours_query_ = query_;
        neighbours_version_ = state.model_version();
      }
      neighbour_table("nn", tok.get(), neighbours_);
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
    else neighbour_table("analogy", tok.get(), analogy_result_);
    ImGui::Spacing();
    ImGui::Separator();
    whole_table_pca(state);
    ImGui::EndChild();
  }

 private:
  // A PCA of the whole token table on a worker: its result, progress (0..1) and the time it took.
  struct TablePca {
    BackgroundTask<std::shared_ptr<const PcaBasis>> task;
    std::shared_ptr<std::atomic<double>> progress = std::make_shared<std::atomic<double>>(0.0);
    std::shared_ptr<const PcaBasis> basis;
    std::string error, how;
    double started = 0, seconds = 0;
    void start(std::shared_ptr<const ModelSource> model, int k, PcaMethod method) {
      basis.reset();
      error.clear();
      progress->store(0.0);
      started = ImGui::GetTime();
      auto how_out = std::make_shared<std::string>();
      how_ptr = how_out;
      task.start([model, k, method, progress = progress, how_out](const std::atomic<bool>& cancelled) {
        lower_thread_priority();
        PcaControl control;
        control.cancel = &cancelled;
        control.progress = [progress](double f) { progress->store(f, std::memory_order_relaxed); };
        PcaTiming timing;
        auto b = std::make_shared<const PcaBasis>(fit_pca_view(model->token_table_view(), k, method, &timing, &control));
        *how_out = timing.path;
        return std::shared_ptr<const PcaBasis>(b);
      });
    }
    void reset() {  // a new model: work in flight is dropped
      task.abandon();
      basis.reset();
      error.clear();
      how.clear();
      progress = std::make_shared<std::atomic<double>>(0.0);
    }
    void poll() {
      if (!task.ready()) return;
      try {
        basis = *task.take();
        how = how_ptr ? *how_ptr : "";
        seconds = ImGui::GetTime() - started;
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    std::shared_ptr<std::string> how_ptr;
  };

  // The principal components of the whole token table: the leading three at once, every
  // component on request (progress, cancel), and how many it takes for half and nine tenths of
  // the variance.
  void whole_table_pca(AppState& state) {
    const float em = ImGui::GetFontSize();
    const ModelSource& m = state.model();
    const TableView table = m.token_table_view();
    ImGui::PushFont(fonts().large);
    ImGui::TextUnformatted("The whole table's principal components");
    ImGui::PopFont();
    if (pca_model_ != state.model_version()) {
      pca_model_ = state.model_version();
      all_.reset();
      leading_.reset();
      if (table.rows >= 2 && table.cols >= 2)
        leading_.start(state.model_ptr(), static_cast<int>(std::min<long long>(3, table.cols)),
                       leading_components_method(table.cols, 3));
    }
    if (want_all_ && table.rows >= 2 && table.cols >= 2) {
      want_all_ = false;
      all_.start(state.model_ptr(), static_cast<int>(table.cols), PcaMethod::Fast);
    }
    leading_.poll();
    all_.poll();
    wrapped_text(kMuted, "Every one of the " + thousands(table.rows) + " rows (" + thousands(table.cols) + " dims, " +
                             element_type_name(table.type) + "), centred; the share of the total variance along each axis.");
    if (leading_.task.running()) {
      ImGui::ProgressBar(static_cast<float>(leading_.progress->load()), ImVec2(std::min(ImGui::GetContentRegionAvail().x, em * 18), 0),
                         "leading components ...");
    } else if (!leading_.error.empty()) {
      wrapped_text(kWarn, leading_.error);
    } else if (leading_.basis) {
      const PcaBasis& b = *leading_.basis;
      std::string line;
      for (std::size_t i = 0; i < b.explained_variance_ratio.size(); ++i) {
        char part[48];
        std::snprintf(part, sizeof part, "%sPC%zu %.2f%%", i ? ",  " : "", i + 1, 100.0 * b.explained_variance_ratio[i]);
        line += part;
      }
      ImGui::PushFont(fonts().large);
      ImGui::TextUnformatted(line.c_str());
      ImGui::PopFont();
      char took[64];
      std::snprintf(took, sizeof took, "%.2f s", leading_.seconds);
      wrapped_text(ImGui::GetColorU32(ImGuiCol_TextDisabled), std::string("in ") + took + ": " + leading_.how);
    }
    if (all_.task.running()) {
      const double f = all_.progress->load();
      char label[64];
      std::snprintf(label, sizeof label, "every component: %.0f%%", 100.0 * f);
      ImGui::ProgressBar(static_cast<float>(f), ImVec2(std::min(ImGui::GetContentRegionAvail().x - em * 6, em * 18), 0), label);
      ImGui::SameLine();
      if (ImGui::Button("Cancel")) all_.task.request_stop();
    } else if (all_.basis) {
      const PcaBasis& b = *all_.basis;
      auto reach = [&](double share) {
        double cum = 0;
        for (std::size_t i = 0; i < b.explained_variance_ratio.size(); ++i)
          if ((cum += b.explained_variance_ratio[i]) >= share) return i + 1;
        return b.explained_variance_ratio.size();
      };
      char line[160];
      std::snprintf(line, sizeof line, "Half the variance lies along %zu of the %lld axes, nine tenths along %zu.", reach(0.5),
                    table.cols, reach(0.9));
      wrapped_text(ImGui::GetColorU32(ImGuiCol_Text), line);
      cumulative_curve(b, ImVec2(std::min(ImGui::GetContentRegionAvail().x, em * 24), em * 6));
      char took[64];
      std::snprintf(took, sizeof took, "every component, exact, in %.1f s", all_.seconds);
      wrapped_text(ImGui::GetColorU32(ImGuiCol_TextDisabled), took);
    } else {
      if (!all_.error.empty()) wrapped_text(all_.error == "PCA cancelled" ? kMuted : kWarn, all_.error);
      // Work grows as rows x dims^2: say roughly how long before the button is pressed.
      const double madds = static_cast<double>(table.rows) * static_cast<double>(table.cols) * static_cast<double>(table.cols) / 2;
      char label[96];
      std::snprintf(label, sizeof label, "Every component (exact, ~%s)", madds > 2e12 ? "minutes" : madds > 2e11 ? "tens of seconds" : "a moment");
      if (table.rows >= 2 && table.cols >= 2 && ImGui::Button(label))
        all_.start(state.model_ptr(), static_cast<int>(table.cols), PcaMethod::Fast);
    }
  }

  // Cumulative share of the variance over the components, 0 to 100%, with 50% and 90% marked.
  static void cumulative_curve(const PcaBasis& b, ImVec2 size) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float em = ImGui::GetFontSize();
    const float left = ImGui::CalcTextSize("100%").x + 6, bottom = em * 1.2f;
    const ImVec2 a(p.x + left, p.y + em * 0.5f), z(p.x + size.x - 4, p.y + size.y - bottom);
    const ImU32 axis = kMuted, curve = kAccent;
    dl->AddLine(ImVec2(a.x, z.y), z, axis);
    dl->AddLine(a, ImVec2(a.x, z.y), axis);
    for (double share : {0.5, 0.9}) {
      const float y = z.y - static_cast<float>(share) * (z.y - a.y);
      dl->AddLine(ImVec2(a.x, y), ImVec2(z.x, y), IM_COL32(128, 128, 128, 90));
      const std::string t = share == 0.5 ? "50%" : "90%";
      dl->AddText(ImVec2(a.x - ImGui::CalcTextSize(t.c_str()).x - 4, y - em / 2), axis, t.c_str());
    }
    if (0.1f * (z.y - a.y) >= em * 1.1f)  // else the 90% label stands there
      dl->AddText(ImVec2(a.x - ImGui::CalcTextSize("100%").x - 4, a.y - em / 2), axis, "100%");
    const std::size_t n = b.explained_variance_ratio.size();
    const std::string last = std::to_string(n);
    dl->AddText(ImVec2(z.x - ImGui::CalcTextSize(last.c_str()).x, z.y + 2), axis, last.c_str());
    dl->AddText(ImVec2(a.x, z.y + 2), axis, "1");
    const char* caption = "components";
    dl->AddText(ImVec2((a.x + z.x - ImGui::CalcTextSize(caption).x) / 2, z.y + 2), axis, caption);
    double cum = 0;
    ImVec2 prev(a.x, z.y);
    const std::size_t step = std::max<std::size_t>(1, n / 512);
    for (std::size_t i = 0; i < n; ++i) {
      cum += b.explained_variance_ratio[i];
      if (i % step && i + 1 != n) continue;
      const ImVec2 q(a.x + (z.x - a.x) * static_cast<float>(i + 1) / static_cast<float>(n),
                     z.y - static_cast<float>(std::min(1.0, cum)) * (z.y - a.y));
      dl->AddLine(prev, q, curve, curve_width());
      prev = q;
    }
    if (n > 0) audit_mark(dl, "vocab.curve", ImVec2(a.x, prev.y), ImVec2(prev.x, z.y), curve);
    ImGui::Dummy(size);
  }

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

  // Without a tokenizer (tok null) the ids alone.
  static void neighbour_table(const char* id, const Tokenizer* tok, const std::vector<Neighbour>& list) {
    if (!ImGui::BeginTable(id, tok ? 3 : 2, ImGuiTableFlags_RowBg)) return;
    ImGui::TableSetupColumn("id", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 4);
    if (tok) ImGui::TableSetupColumn("token", ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableSetupColumn("cosine", ImGuiTableColumnFlags_WidthStretch, 1.3f);
    ImGui::TableHeadersRow();
    for (const Neighbour& n : list) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%d", n.id);
      if (tok) {
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(displayable(visible_token_text(tok->token_bytes(n.id))).c_str());
      }
      ImGui::TableNextColumn();
      // A bar from 0 with the value, in the diverging colour of the value; the number always
      // whole (the bar takes what is left: "0.6(" was cut at a projector's scale).
      ImVec2 p = ImGui::GetCursorScreenPos();
      const float num_w = ImGui::CalcTextSize("-0.000").x + 6;
      float w = std::max(0.0f, std::min(ImGui::GetContentRegionAvail().x * 0.6f, ImGui::GetContentRegionAvail().x - num_w));
      ImGui::GetWindowDrawList()->AddRectFilled(
          ImVec2(p.x, p.y + 3), ImVec2(p.x + w * std::max(0.0f, n.cosine), p.y + ImGui::GetTextLineHeight() - 3),
          value_colour(n.cosine, 1.0f));
      ImGui::SetCursorScreenPos(ImVec2(p.x + w + 6, p.y));
      ImGui::Text("%.3f", static_cast<double>(n.cosine));
    }
    ImGui::EndTable();
  }

  uint64_t index_model_ = 0, pca_model_ = 0;
  TablePca leading_, all_;
  bool want_all_ = false;
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
