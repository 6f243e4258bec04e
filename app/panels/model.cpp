// Model view: open a model (path field, drag and drop onto the window, the Hugging Face
// cache list, the built-ins), its card (family, V, d, L_max, scheme, dtype, size) and the
// input-stage weight-count table laid out as a slide. Opening runs on a worker thread
// (AppState::begin_open_model); a bad file keeps the current model and says why. Downloads
// from the Hugging Face hub (a name, or one of the catalogue) run on a thread of their own with
// progress and Cancel, and open the model when they are done.
#include "audit.h"
#include "background.h"
#include "hf_cache.h"
#include "hf_env.h"
#include "checkpoint.h"
#include "open_model.h"
#include "file_text.h"
#include "hub_download.h"
#include "colors.h"
#include "panel.h"
#include "widgets.h"

#include <imgui_stdlib.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <tuple>

namespace es::ui {
namespace {


std::string rate_text(double bytes_per_second, double seconds_left) {
  char buf[64];
  if (bytes_per_second <= 0) return "";
  const double mb = bytes_per_second / 1e6;
  if (seconds_left < 0)
    std::snprintf(buf, sizeof buf, "%.1f MB/s", mb);
  else if (seconds_left >= 60)
    std::snprintf(buf, sizeof buf, "%.1f MB/s, %d min %02d s left", mb, static_cast<int>(seconds_left / 60),
                  static_cast<int>(seconds_left) % 60);
  else
    std::snprintf(buf, sizeof buf, "%.1f MB/s, %d s left", mb, static_cast<int>(seconds_left + 0.5));
  return buf;
}

// One download at a time, on a worker (BackgroundTask); the panel reads its progress each frame
// and takes its outcome when it ends.
struct DownloadJob {
  std::string repo;
  struct Shared {
    std::mutex mutex;
    HubProgress progress;  // guarded by mutex
  };
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  BackgroundTask<HubDownloadResult> task;
  bool finished = false;
  std::string error;          // empty on success
  HubDownloadResult result;   // valid once finished without error
  // Takes the outcome when the work has ended.
  void poll() {
    if (finished || !task.ready()) return;
    try {
      result = *task.take();
    } catch (const std::exception& e) {
      error = e.what();
    }
    finished = true;
  }
};

class ModelPanel final : public Panel {
 public:
  const char* name() const override { return "model"; }
  bool animating() const override { return job_ && job_->task.running(); }
  // model.tab = open | download | cache; model.download = ORG/NAME starts a download.
  void set_option(const std::string& key, const std::string& value) override {
    if (key == "tab") {
      const char* names[] = {"open", "download", "cache"};
      for (int i = 0; i < 3; ++i)
        if (value == names[i]) {
          select_tab_ = i;
          return;
        }
      throw Error("model tab '" + value + "' unknown (open, download, cache)");
    }
    if (key == "download") {
      repo_ = value;
      select_tab_ = 1;
      start_download(value);
      return;
    }
    throw Error("the model view has no option '" + key + "' (tab, download)");
  }
  bool shows_in(ViewId v) const override { return v == ViewId::Model; }

  void draw(AppState& state, ImVec2 size) override {
    const float em = ImGui::GetFontSize();
    // The card (the weight counts) gets the larger share: at a projector's scale the counts were
    // below the fold beside a half-width open panel.
    const float left_w = std::min(size.x * 0.42f, em * 30);
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
    if (state.loading()) {
      const char spin[] = "|/-\\";
      ImGui::TextColored(ImColor(kAccent), "%c opening %s ... %.1f s", spin[static_cast<int>(state.loading_seconds() * 8) % 4],
                         state.loading_spec().c_str(), state.loading_seconds());
    }
    // Three ways in, one tab each, so each fits a projector's screen without scrolling.
    if (!ImGui::BeginTabBar("sources", ImGuiTabBarFlags_FittingPolicyScroll)) return;
    const auto tab = [&](const char* label, int index) {
      const ImGuiTabItemFlags f = select_tab_ == index ? ImGuiTabItemFlags_SetSelected : 0;
      return ImGui::BeginTabItem(label, nullptr, f);
    };
    if (tab("Open", 0)) {
      ImGui::TextWrapped("A .safetensors file, a model folder, or a cached name:");
      // The longest example that fits the box (the whole one was cut in a narrow column).
      const float box_w = ImGui::GetContentRegionAvail().x - em * 5 - ImGui::GetStyle().FramePadding.x * 2;
      const char* hint = "/path/to/model.safetensors or gpt2";
      for (const char* h : {"/path/to/model.safetensors or gpt2", "model.safetensors or gpt2", "path or gpt2", "path"}) {
        hint = h;
        if (ImGui::CalcTextSize(h).x <= box_w) break;
      }
      ImGui::SetNextItemWidth(-em * 5);
      bool enter = ImGui::InputTextWithHint("##path", hint, &path_, ImGuiInputTextFlags_EnterReturnsTrue);
      ImGui::SameLine();
      if ((ImGui::Button("Open") || enter) && !path_.empty()) state.begin_open_model(path_);
      wrapped_text(kMuted, "or drop a file or folder onto the window");
      ImGui::Spacing();
      ImGui::TextUnformatted("Built in:");
      if (ImGui::Button("classroom (V=8, L_max=6, d=4)")) state.begin_open_model("classroom");
      if (ImGui::Button("GPT-2 small shapes, UNTRAINED")) state.begin_open_model("gpt2-untrained");
      ImGui::EndTabItem();
    }
    if (tab(job_ && !job_->finished ? "Download ...###download" : "Download###download", 1)) {
      download_section(state, em);
      ImGui::EndTabItem();
    }
    if (!listed_) rescan();
    if (tab(("Cache (" + std::to_string(cached_.size()) + ")###cache").c_str(), 2)) {
      cache_section(state);
      ImGui::EndTabItem();
    }
    select_tab_ = -1;
    ImGui::EndTabBar();
  }

  void rescan() {
    listed_ = true;
    try {
      cached_ = list_cached_models();
      cache_error_.clear();
    } catch (const std::exception& e) {
      cache_error_ = e.what();
    }
  }

  // The cached models as a list (name, then family, scheme, size and a button, on one line when
  // they fit): a table's four columns squeeze names into letters on a projector.
  void cache_section(AppState& state) {
    if (ImGui::Button("Rescan the Hugging Face cache")) rescan();
    wrapped_text(kMuted, hf_hub_cache_dir().string());
    if (!cache_error_.empty()) wrapped_text(kWarn, cache_error_);
    if (cached_.empty()) wrapped_text(kMuted, "No models in the cache: download one (the Download tab).");
    for (size_t i = 0; i < cached_.size(); ++i) {
      const CachedModel& m = cached_[i];
      ImGui::PushID(static_cast<int>(i));
      ImGui::Separator();
      ImGui::TextUnformatted(m.name.c_str());
      ImGui::Indent();
      std::string what = m.family.empty() ? "family unknown" : m.family;
      if (!m.scheme.empty()) what += ", " + m.scheme;
      if (m.unfinished) {
        wrapped_text(kWarn, what + ": download unfinished");
        // Resume the revision this snapshot is of, with its progress on the Download tab.
        ImGui::BeginDisabled(job_ && !job_->finished);
        if (ImGui::SmallButton("resume the download")) {
          repo_ = m.name + "@" + m.snapshot.filename().string();
          select_tab_ = 1;
          start_download(repo_);
        }
        ImGui::EndDisabled();
      } else {
        wrapped_text(kMuted, what + ", " + format_bytes(m.size_bytes));
        if (ImGui::SmallButton("open")) state.begin_open_model(m.snapshot.string());
      }
      ImGui::Unindent();
      ImGui::PopID();
    }
  }

  void start_download(const std::string& repo) {
    if (job_ && !job_->finished) return;
    handled_ = false;
    job_ = std::make_unique<DownloadJob>();
    job_->repo = repo;
    job_->task.start([repo, shared = job_->shared](const std::atomic<bool>& cancelled) {
      HubDownloadOptions o;
      std::tie(o.repo, o.revision) = split_repo_revision(repo);  // ORG/NAME@REV: that revision
      o.cancel = &cancelled;
      o.progress = [shared](const HubProgress& p) {
        std::lock_guard<std::mutex> lock(shared->mutex);
        shared->progress = p;
      };
      return hub_download(o);
    });
  }

  void download_section(AppState& state, float em) {
    const HfEnvironment env = hf_environment();
    ImGui::TextWrapped("A model from the Hugging Face hub (%s), into the cache (%s):", env.endpoint.c_str(),
                       env.hub_cache.string().c_str());
    if (env.offline)
      wrapped_text(kWarn, env.offline_variable + " is set: nothing is downloaded; a Download only checks that the model "
                   "is complete in the cache. Models in the cache open as usual.");
    wrapped_text(kMuted, env.token.empty() ? std::string("No access token: public models only (set HF_TOKEN for gated ones).")
                                           : "Access token from " + env.token_source + ".");
    const bool busy = job_ && !job_->finished;
    // The name field gets the whole line when the column is narrow (projector scales).
    const bool narrow = ImGui::GetContentRegionAvail().x < em * 20;
    ImGui::SetNextItemWidth(narrow ? -FLT_MIN : -em * 7);
    // The hint shortened where the field is too narrow for it (never a cut-off placeholder).
    const char* hint = "ORG/NAME or ORG/NAME@REV";
    if (ImGui::CalcTextSize(hint).x + ImGui::GetStyle().FramePadding.x * 2 >
        (narrow ? ImGui::GetContentRegionAvail().x : ImGui::GetContentRegionAvail().x - em * 7))
      hint = "ORG/NAME[@REV]";
    const bool enter = ImGui::InputTextWithHint("##repo", hint, &repo_,
                                                ImGuiInputTextFlags_EnterReturnsTrue);
    if (!narrow) ImGui::SameLine();
    ImGui::BeginDisabled(busy || repo_.empty());
    if (ImGui::Button("Download") || (enter && !busy && !repo_.empty())) start_download(repo_);
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
      ImGui::SetTooltip("Fetches config.json, the tokenizer and the safetensors weights into the cache above.\n"
                        "HF_ENDPOINT sets a mirror, HF_TOKEN a token for gated models (set them before starting).\n"
                        "Failures that may pass (HTTP 429 and 5xx, a broken connection) are retried with backoff.");
    if (job_) {
      job_->poll();
      HubProgress p;
      {
        std::lock_guard<std::mutex> lock(job_->shared->mutex);
        p = job_->shared->progress;
      }
      const std::string error = job_->error;
      if (!job_->finished) {
        const float frac = p.total > 0 ? static_cast<float>(static_cast<double>(p.done) / static_cast<double>(p.total)) : 0.0f;
        char over[96];
        std::snprintf(over, sizeof over, "%s of %s", format_bytes(p.done).c_str(), format_bytes(p.total).c_str());
        ImGui::ProgressBar(frac, ImVec2(-em * 5, 0), p.total > 0 ? over : p.stage.c_str());
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) job_->task.request_stop();
        // A retry or a wait for another program's lock is said as it is; else the file and its place.
        const bool say_stage = p.file.empty() || p.stage.rfind("retrying", 0) == 0 || p.stage.rfind("waiting", 0) == 0;
        std::string line = job_->repo + ": " + (say_stage ? p.stage : p.file + " (" + std::to_string(p.file_index) + " of " +
                                                                        std::to_string(p.file_count) + ")");
        const std::string rate = rate_text(p.bytes_per_second, p.seconds_left);
        if (!rate.empty()) line += ", " + rate;
        wrapped_text(kMuted, line);
      } else if (!handled_) {
        handled_ = true;
        if (error.empty()) {
          listed_ = false;  // rescan the cache next frame
          const HubDownloadResult& r = job_->result;
          std::string how = r.offline ? "found complete in the cache (offline)" : format_bytes(r.downloaded) + " this time";
          if (!r.retried.empty()) how += ", " + std::to_string(r.retried.size()) + (r.retried.size() == 1 ? " retry" : " retries");
          if (r.copied) how += ", files copied: no symlinks here";
          state.set_status("Downloaded " + job_->repo + " (" + how + "); opening it.");
          state.begin_open_model(job_->result.snapshot.string());
        } else {
          state.set_status("Download of " + job_->repo + " stopped: " + error, true);
        }
      }
      if (job_->finished && !error.empty()) wrapped_text(kWarn, "Download of " + job_->repo + " stopped: " + error);
    }
    if (ImGui::TreeNodeEx("Models worth a look", ImGuiTreeNodeFlags_DefaultOpen)) {
      // Name, then size and button on the same line when they fit, else on the next (names
      // have no spaces to wrap at, and must never be cut).
      const float right = ImGui::GetCursorScreenPos().x + ImGui::GetContentRegionAvail().x;
      int row = 0;
      for (const CatalogueModel& m : model_catalogue()) {
        ImGui::PushID(row++);
        ImGui::TextUnformatted(m.repo);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", m.what);
        const CachedModel* have = nullptr;
        for (const CachedModel& c : cached_)
          if (c.name == m.repo && c.size_bytes > 0 && !c.unfinished) have = &c;  // a half-finished one downloads on
        const std::string size = format_bytes(m.download_bytes);
        const char* label = have ? "open" : "download";
        const ImGuiStyle& st = ImGui::GetStyle();
        const float need = ImGui::CalcTextSize(size.c_str()).x + st.ItemSpacing.x + ImGui::CalcTextSize(label).x +
                           st.FramePadding.x * 2;
        ImGui::SameLine();
        const bool below = ImGui::GetCursorScreenPos().x + need + st.ItemSpacing.x > right;
        if (below) {
          ImGui::NewLine();
          ImGui::Indent();
        } else {
          ImGui::SetCursorScreenPos(ImVec2(right - need, ImGui::GetCursorScreenPos().y));
        }
        ImGui::TextDisabled("%s", size.c_str());
        ImGui::SameLine();
        if (have) {
          if (ImGui::SmallButton("open")) state.begin_open_model(have->snapshot.string());
        } else {
          ImGui::BeginDisabled(busy);
          if (ImGui::SmallButton("download")) {
            repo_ = m.repo;
            start_download(m.repo);
          }
          ImGui::EndDisabled();
        }
        if (below) ImGui::Unindent();
        ImGui::PopID();
      }
      ImGui::TreePop();
    }
  }

  void card(const AppState& state) {
    const ModelSource& m = state.model();
    ImGui::PushFont(fonts().large);
    // A checkpoint is named by its path: when it is wider than the card, its end after "..."
    // (the whole path is in the description below and on hover).
    const std::string name = fit_text_tail(m.name(), ImGui::GetContentRegionAvail().x);
    ImGui::TextUnformatted(name.c_str());
    ImGui::PopFont();
    if (name != m.name() && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", m.name().c_str());
    std::optional<TableMap> pos = m.position_table();
    const long long lmax = pos ? pos->rows() + m.position_offset() : 0;  // the whole table (RoBERTa: 514)
    const std::optional<LayerNormParams> ln = m.first_layer_norm();
    const bool rms = ln && ln->kind != NormKind::LayerNorm;
    // The weight counts first: the card's point, in view at 1280x720 at every UI scale (below
    // the details they were under the fold); the details follow.
    ImGui::PushFont(fonts().large);
    ImGui::TextWrapped("Input-stage weights");
    ImGui::PopFont();
    const std::optional<TableMap> types = m.token_type_table();
    const long long token_types = types ? types->rows() : 0;
    SchemeParams sp = m.default_scheme();
    WeightCounts w = input_weight_counts(m, sp);
    const std::string V = thousands(m.vocab_size()), d = thousands(m.dim());
    // The large font when every row (and the header) fits the card's height in it; else the
    // regular one (a projector at x2 showed only the token table's count in the large font).
    int table_rows = 3;  // header, token table, position table
    for (long long v : {w.scheme_bias, w.token_type_table, w.layer_norm, w.projection, w.total, w.tying_saving}) table_rows += v != 0;
    const float row_h = [&](ImFont* f) { return f->FontSize * ImGui::GetIO().FontGlobalScale + ImGui::GetStyle().CellPadding.y * 2 + 1; }(fonts().large);
    const bool large = ImGui::GetContentRegionAvail().y >= static_cast<float>(table_rows) * row_h * 1.15f;
    ImGui::PushFont(large ? fonts().large : fonts().regular);
    // The weights column is as wide as its widest number (measured now, in this font), so a
    // number is never cut: right-aligned inside a column that holds it (a column sized from
    // the header alone once showed 597,376 for 38,597,376).
    float number_w = ImGui::CalcTextSize("weights").x;
    for (long long v : {w.token_table, w.position_table, w.scheme_bias, w.token_type_table, w.layer_norm, w.projection,
                        w.total, w.tying_saving})
      number_w = std::max(number_w, ImGui::CalcTextSize(thousands(v).c_str()).x);
    // Two columns: what and its shape (wrapping), and the number (never wrapped or cut).
    if (ImGui::BeginTable("weights", 2, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
      ImGui::TableSetupColumn("part (shape)", ImGuiTableColumnFlags_WidthStretch);
      ImGui::TableSetupColumn("weights", ImGuiTableColumnFlags_WidthFixed, number_w);
      ImGui::TableHeadersRow();
      auto row = [](const std::string& a, const std::string& b, long long v, ImU32 col) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        // The shape beside the part when both fit the column (one line a row keeps the total in
        // view at 1280x720), else under it.
        const float room = ImGui::GetContentRegionAvail().x;
        const bool one_line = !b.empty() && ImGui::CalcTextSize((a + "  " + b).c_str()).x <= room;
        ImGui::PushStyleColor(ImGuiCol_Text, col);
        if (one_line) ImGui::TextUnformatted(a.c_str());
        else ImGui::TextWrapped("%s", a.c_str());
        ImGui::PopStyleColor();
        if (one_line) {
          ImGui::SameLine();
          ImGui::TextDisabled(" %s", b.c_str());
        } else if (!b.empty()) {
          ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
          ImGui::TextWrapped("%s", b.c_str());
          ImGui::PopStyleColor();
        }
        ImGui::TableNextColumn();
        std::string s = thousands(v);
        audit_name("model.weights", s, ImGui::CalcTextSize(s.c_str()).x, ImGui::GetContentRegionAvail().x);
        right_aligned_number(col, s, "weight count: " + a);
      };
      ImU32 text = kText;
      row("token table", V + " x " + d, w.token_table, text);
      row("position table", w.position_table ? thousands(lmax) + " x " + d : "formula: none", w.position_table, text);
      if (w.scheme_bias) row(w.scheme_bias_label, "", w.scheme_bias, text);
      if (w.token_type_table) row("token-type table", thousands(token_types) + " x " + d, w.token_type_table, text);
      if (w.layer_norm) row(rms ? "RMSNorm" : "LayerNorm", (rms ? "1 x " : "2 x ") + d, w.layer_norm, text);
      if (const auto p = m.input_projection(); p && w.projection)
        row("projection to the hidden size", thousands(p->in) + " x " + thousands(p->out) + (p->bias ? " + bias" : ""),
            w.projection, text);
      row("total", "", w.total, kAccent);
      if (w.tying_saving) row("saved by tying the output head", V + " x " + d, w.tying_saving, kOk);
      ImGui::EndTable();
    }
    ImGui::PopFont();
    // What the model is, under its counts (above them, three wrapped lines pushed the total below
    // the fold at 1280x720 x2).
    wrapped_text(m.trained() ? kMuted : kWarn, m.label() + (m.trained() ? "" : "  (not trained: patterns are random)"));
    ImGui::Spacing();
    ImGui::Spacing();
    // A narrow card (projector scales) stacks each value under its key: beside a key column
    // the values had too little room and broke inside words ("classroo" / "m").
    const bool stacked = ImGui::GetContentRegionAvail().x < ImGui::GetFontSize() * 26;
    if (stacked || ImGui::BeginTable("card", 2, ImGuiTableFlags_RowBg)) {
      if (!stacked) {
        ImGui::TableSetupColumn("key", ImGuiTableColumnFlags_WidthFixed);
        ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch);
      }
      auto row = [stacked](const char* k, const std::string& v) {
        if (stacked) {
          ImGui::TextDisabled("%s", k);
          ImGui::Indent();
          ImGui::TextWrapped("%s", v.c_str());
          ImGui::Unindent();
          return;
        }
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
      row("size", format_bytes(m.size_bytes()));
      row("tokenizer", m.tokenizer() ? m.tokenizer()->name()
                                     : "none readable (" + m.tokenizer_note() + "); type ids: 1 2 3");
      if (m.seed()) row("seed", std::to_string(*m.seed()));
      row(rms ? "first norm (RMSNorm)" : "first norm (LayerNorm)", ln ? ln->label : "none");
      if (m.position_offset())
        row("position rows", "token i uses row i + " + std::to_string(m.position_offset()) + " of the table");
      if (!m.config_note().empty()) row("not applied", m.config_note());
      if (!stacked) ImGui::EndTable();
    }
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
  std::string repo_;
  int select_tab_ = -1;
  std::unique_ptr<DownloadJob> job_;
  bool handled_ = false;
  bool listed_ = false;
  std::vector<CachedModel> cached_;
  std::string cache_error_;
};

}  // namespace

std::unique_ptr<Panel> make_model_panel() { return std::make_unique<ModelPanel>(); }

}  // namespace es::ui
