// Model view: open a model (path field, drag and drop onto the window, the Hugging Face
// cache list, the built-ins), its card (family, V, d, L_max, scheme, dtype, size) and the
// input-stage weight-count table laid out as a slide. Opening runs on a worker thread
// (AppState::begin_open_model); a bad file keeps the current model and says why.
#include "checkpoint.h"
#include "colors.h"
#include "panel.h"
#include "widgets.h"

#include <imgui_stdlib.h>

#include <cstdio>

namespace es::ui {
namespace {

std::string human_bytes(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GB", static_cast<double>(b) / (1ull << 30));
  else if (b >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / (1ull << 20));
  else if (b >= 1024) std::snprintf(buf, sizeof buf, "%.1f kB", static_cast<double>(b) / 1024);
  else std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(b));
  return buf;
}

class ModelPanel final : public Panel {
 public:
  const char* name() const override { return "model"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Model; }

  void draw(AppState& state, ImVec2 size) override {
    const float em = ImGui::GetFontSize();
    const float left_w = std::min(size.x * 0.45f, em * 34);
    ImGui::BeginChild("open", ImVec2(left_w, size.y), true);
    open_section(state, em);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("card", ImVec2(0, size.y), true);
    card(state);
    ImGui::EndChild();
  }

 private:
  void open_section(AppState& state, float em) {
    ImGui::PushFont(fonts().large);
    ImGui::TextUnformatted("Open a model");
    ImGui::PopFont();
    ImGui::TextWrapped("A .safetensors file, a model folder, or a cached name:");
    ImGui::SetNextItemWidth(-em * 5);
    bool enter = ImGui::InputTextWithHint("##path", "/path/to/model.safetensors or gpt2", &path_,
                                          ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    if ((ImGui::Button("Open") || enter) && !path_.empty()) state.begin_open_model(path_);
    wrapped_text(kMuted, "or drop a file or folder onto the window");
    if (state.loading()) {
      const char spin[] = "|/-\\";
      ImGui::TextColored(ImColor(kAccent), "%c opening %s ... %.1f s", spin[static_cast<int>(state.loading_seconds() * 8) % 4],
                         state.loading_spec().c_str(), state.loading_seconds());
    }
    ImGui::Spacing();
    ImGui::TextUnformatted("Built in:");
    if (ImGui::Button("classroom (V=8, L_max=6, d=4)")) state.begin_open_model("classroom");
    if (ImGui::Button("GPT-2 small shapes, UNTRAINED")) state.begin_open_model("gpt2-untrained");
    ImGui::Spacing();
    if (!listed_ || ImGui::Button("Rescan the Hugging Face cache")) {
      listed_ = true;
      try {
        cached_ = list_cached_models();
        cache_error_.clear();
      } catch (const std::exception& e) {
        cache_error_ = e.what();
      }
    }
    ImGui::TextDisabled("%s", hf_hub_cache_dir().string().c_str());
    if (!cache_error_.empty()) wrapped_text(kWarn, cache_error_);
    if (cached_.empty()) {
      ImGui::TextDisabled("No models in the cache.");
    } else if (ImGui::BeginTable("cached", 4, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
      ImGui::TableSetupColumn("model");
      ImGui::TableSetupColumn("family");
      ImGui::TableSetupColumn("size");
      ImGui::TableSetupColumn("");
      ImGui::TableHeadersRow();
      for (size_t i = 0; i < cached_.size(); ++i) {
        const CachedModel& m = cached_[i];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(m.name.c_str());
        ImGui::TableNextColumn();
        ImGui::Text("%s %s", m.family.c_str(), m.scheme.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(human_bytes(m.size_bytes).c_str());
        ImGui::TableNextColumn();
        ImGui::PushID(static_cast<int>(i));
        if (ImGui::SmallButton("open")) state.begin_open_model(m.snapshot.string());
        ImGui::PopID();
      }
      ImGui::EndTable();
    }
  }

  void card(const AppState& state) {
    const ModelSource& m = state.model();
    ImGui::PushFont(fonts().large);
    ImGui::TextUnformatted(m.name().c_str());
    ImGui::PopFont();
    wrapped_text(m.trained() ? kMuted : kWarn, m.label() + (m.trained() ? "" : "  (not trained: patterns are random)"));
    std::optional<TableMap> pos = m.position_table();
    const long long lmax = pos ? pos->rows() + m.position_offset() : 0;  // the whole table (RoBERTa: 514)
    const std::optional<LayerNormParams> ln = m.first_layer_norm();
    const bool rms = ln && ln->kind != NormKind::LayerNorm;
    if (ImGui::BeginTable("card", 2, ImGuiTableFlags_RowBg)) {
      ImGui::TableSetupColumn("key", ImGuiTableColumnFlags_WidthFixed);
      ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch);
      auto row = [](const char* k, const std::string& v) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextDisabled("%s", k);
        ImGui::TableNextColumn();
        ImGui::TextWrapped("%s", v.c_str());  // long notes (tokenizer) wrap in the card
      };
      row("family", m.family());
      row("vocabulary V", thousands(m.vocab_size()));
      row("width d", thousands(m.dim()));
      row("positions L_max", pos ? thousands(lmax) : "no table (the scheme is a formula or lives in attention)");
      row("heads", std::to_string(m.num_heads()));
      row("position scheme", make_model_scheme(m)->describe());
      row("dtype", m.dtype());
      row("size", human_bytes(m.size_bytes()));
      row("tokenizer", m.tokenizer() ? m.tokenizer()->name()
                                     : "none readable (" + m.tokenizer_note() + "); type ids: 1 2 3");
      if (m.seed()) row("seed", std::to_string(*m.seed()));
      row(rms ? "first norm (RMSNorm)" : "first norm (LayerNorm)", ln ? ln->label : "none");
      if (m.position_offset())
        row("position rows", "token i uses row i + " + std::to_string(m.position_offset()) + " of the table");
      if (!m.config_note().empty()) row("not applied", m.config_note());
      ImGui::EndTable();
    }
    ImGui::Spacing();
    ImGui::PushFont(fonts().large);
    ImGui::TextWrapped("Trained weights of the input stage");
    ImGui::PopFont();
    const std::optional<TableMap> types = m.token_type_table();
    const long long token_types = types ? types->rows() : 0;
    SchemeParams sp = m.default_scheme();
    WeightCounts w = input_weight_counts(m, sp);
    const std::string V = thousands(m.vocab_size()), d = thousands(m.dim());
    ImGui::PushFont(fonts().large);
    // The weights column is as wide as its widest number (measured now, in this font), so a
    // number is never cut: right-aligned inside a column that holds it (a column sized from
    // the header alone once showed 597,376 for 38,597,376).
    float number_w = ImGui::CalcTextSize("weights").x;
    for (long long v : {w.token_table, w.position_table, w.scheme_bias, w.token_type_table, w.layer_norm, w.total,
                        w.tying_saving})
      number_w = std::max(number_w, ImGui::CalcTextSize(thousands(v).c_str()).x);
    // Two columns: what and its shape (wrapping), and the number (never wrapped or cut).
    if (ImGui::BeginTable("weights", 2, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
      ImGui::TableSetupColumn("part (shape)", ImGuiTableColumnFlags_WidthStretch);
      ImGui::TableSetupColumn("weights", ImGuiTableColumnFlags_WidthFixed, number_w);
      ImGui::TableHeadersRow();
      auto row = [](const std::string& a, const std::string& b, long long v, ImU32 col) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::PushStyleColor(ImGuiCol_Text, col);
        ImGui::TextWrapped("%s", a.c_str());
        ImGui::PopStyleColor();
        if (!b.empty()) {
          ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
          ImGui::TextWrapped("%s", b.c_str());
          ImGui::PopStyleColor();
        }
        ImGui::TableNextColumn();
        std::string s = thousands(v);
        const float pad = ImGui::GetContentRegionAvail().x - ImGui::CalcTextSize(s.c_str()).x;
        if (pad > 0) ImGui::SetCursorPosX(ImGui::GetCursorPosX() + pad);
        ImGui::TextColored(ImColor(col), "%s", s.c_str());
      };
      ImU32 text = kText;
      row("token table", V + " x " + d, w.token_table, text);
      row("position table", w.position_table ? thousands(lmax) + " x " + d : "formula: none", w.position_table, text);
      if (w.scheme_bias) row("T5 bucket biases", std::to_string(sp.buckets) + " x " + std::to_string(sp.heads), w.scheme_bias, text);
      if (w.token_type_table) row("token-type table", thousands(token_types) + " x " + d, w.token_type_table, text);
      if (w.layer_norm) row(rms ? "RMSNorm" : "LayerNorm", (rms ? "1 x " : "2 x ") + d, w.layer_norm, text);
      row("total", "", w.total, kAccent);
      if (w.tying_saving) row("saved by tying the output head", V + " x " + d, w.tying_saving, IM_COL32(140, 220, 140, 255));
      ImGui::EndTable();
    }
    ImGui::PopFont();
    ImGui::Spacing();
    if (ImGui::TreeNode("Tensors in the file")) {
      for (const TensorInfo& t : m.tensors()) {
        std::string shape;
        for (int64_t s : t.shape) shape += (shape.empty() ? "" : " x ") + std::to_string(s);
        ImGui::BulletText("%s: %s  %s  (%s)", t.role.c_str(), t.name.c_str(), shape.c_str(), t.dtype.c_str());
      }
      ImGui::TreePop();
    }
  }

  std::string path_;
  bool listed_ = false;
  std::vector<CachedModel> cached_;
  std::string cache_error_;
};

}  // namespace

std::unique_ptr<Panel> make_model_panel() { return std::make_unique<ModelPanel>(); }

}  // namespace es::ui
