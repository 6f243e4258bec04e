// Train view: watch a small GPT-2-style model learn, one run per position scheme, side by side.
//
// The training session (core/train/session.h) owns the trainers and their worker; every ~0.1 s
// it publishes an immutable snapshot of each run (loss curve, token and position tables, the
// attention of a sample sentence, the token PCA), and the panel draws only snapshots, copying
// pointers, never tables. "Train short, test long"
// evaluates every run at 1, 2, 4 and 8 times its training length on held-out data. "Open in
// views" saves the shown run as a checkpoint and opens it in every other view.
#include "analysis.h"
#include "open_model.h"
#include "audit.h"
#include "colors.h"
#include "heatmap.h"
#include "model_source.h"
#include "panel.h"
#include "session.h"
#include "trainer.h"
#include "user_dirs.h"
#include "widgets.h"

#include <imgui_stdlib.h>

#include <array>
#include <cfloat>
#include <atomic>
#include <functional>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace es::ui {
namespace {

using LabSettings = train::SessionSettings;
using RunView = train::RunSnapshot;
using Runs = std::vector<std::shared_ptr<const train::RunSnapshot>>;

ImU32 scheme_colour(const std::string& s) {
  const auto all = train::trainable_schemes();
  const auto it = std::find(all.begin(), all.end(), s);
  return categorical_colour(static_cast<int>(it - all.begin()));
}

// A line chart of several series in `size`: axes with the ends of both ranges, a legend.
struct Series {
  std::string name;
  ImU32 colour;
  std::vector<float> x, y;
};
void line_chart(const char* id, const std::vector<Series>& series, ImVec2 size, const char* x_label,
                const char* y_label, const std::vector<std::string>& x_ticks = {}) {
  ImGui::PushID(id);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const float em = ImGui::GetFontSize();
  ImGui::InvisibleButton("chart", size);
  float x0 = 1e30f, x1 = -1e30f, y0 = 1e30f, y1 = -1e30f;
  for (const auto& s : series)
    for (std::size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.y[i])) {
        x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
        y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
      }
  const ImU32 axis = ImGui::GetColorU32(ImGuiCol_TextDisabled), text = ImGui::GetColorU32(ImGuiCol_Text);
  const float left = em * 3.2f, bottom = em * 2.6f, top = em * 0.4f, right = em * 0.6f;
  const ImVec2 a(p0.x + left, p0.y + top), b(p0.x + size.x - right, p0.y + size.y - bottom);
  dl->AddRect(a, b, axis);
  if (x1 < x0) {
    dl->AddText(ImVec2(a.x + em, a.y + em), axis, "no data yet");
    ImGui::PopID();
    return;
  }
  if (x1 == x0) x1 = x0 + 1;
  if (y1 - y0 < 1e-6f) y1 = y0 + 1e-3f;
  const float pad = (y1 - y0) * 0.05f;
  y0 -= pad, y1 += pad;
  auto map = [&](float x, float y) {
    return ImVec2(a.x + (x - x0) / (x1 - x0) * (b.x - a.x), b.y - (y - y0) / (y1 - y0) * (b.y - a.y));
  };
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", y1);
  dl->AddText(ImVec2(p0.x, a.y), text, buf);
  std::snprintf(buf, sizeof buf, "%.2f", y0);
  dl->AddText(ImVec2(p0.x, b.y - em), text, buf);
  if (x_ticks.empty()) {
    std::snprintf(buf, sizeof buf, "%.0f", x0);
    dl->AddText(ImVec2(a.x, b.y + 2), text, buf);
    std::snprintf(buf, sizeof buf, "%.0f", x1);
    dl->AddText(ImVec2(b.x - ImGui::CalcTextSize(buf).x, b.y + 2), text, buf);
  } else {
    for (std::size_t i = 0; i < x_ticks.size(); ++i) {
      const ImVec2 p = map(float(i), y0);
      const float w = ImGui::CalcTextSize(x_ticks[i].c_str()).x;
      dl->AddText(ImVec2(std::clamp(p.x - w / 2, a.x, b.x - w), b.y + 2), text, x_ticks[i].c_str());
    }
  }
  const float xw = ImGui::CalcTextSize(x_label).x;
  dl->AddText(ImVec2((a.x + b.x - xw) / 2, b.y + em * 1.2f), axis, x_label);
  dl->AddText(ImVec2(a.x + em * 0.3f, a.y + em * 0.2f), axis, y_label);
  dl->PushClipRect(a, b, true);
  for (const auto& s : series) {
    // The curve's extent, audited as one shape in its colour (a black curve on the dark theme
    // could not be told from the background).
    ImVec2 lo(FLT_MAX, FLT_MAX), hi(-FLT_MAX, -FLT_MAX);
    for (std::size_t i = 0; audit_enabled() && i < s.x.size(); ++i)
      if (std::isfinite(s.y[i])) {
        const ImVec2 q = map(s.x[i], s.y[i]);
        lo = ImVec2(std::min(lo.x, q.x), std::min(lo.y, q.y)), hi = ImVec2(std::max(hi.x, q.x), std::max(hi.y, q.y));
      }
    if (lo.x <= hi.x) audit_mark(dl, "train.curve", lo, hi, s.colour);
    std::vector<ImVec2> pts;
    const std::size_t stride = std::max<std::size_t>(1, s.x.size() / 800);
    for (std::size_t i = 0; i < s.x.size(); i += stride) {
      if (!std::isfinite(s.y[i])) {
        if (pts.size() > 1) dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), s.colour, 0, curve_width());
        pts.clear();
        continue;
      }
      pts.push_back(map(s.x[i], s.y[i]));
      if (s.x.size() <= 16) dl->AddCircleFilled(pts.back(), em * 0.25f, s.colour);
    }
    if (pts.size() > 1) dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), s.colour, 0, curve_width());
  }
  dl->PopClipRect();
  // Legend, top right, one line per series.
  float ly = a.y + em * 0.2f;
  for (const auto& s : series) {
    const float w = ImGui::CalcTextSize(s.name.c_str()).x;
    const ImVec2 at(b.x - w - em * 1.6f, ly);
    // Behind the name: the theme's window colour (a fixed near-black left black text unreadable
    // on the light theme).
    dl->AddRectFilled(ImVec2(at.x - 2, at.y), ImVec2(b.x - 2, at.y + em * 1.1f), ImGui::GetColorU32(ImGuiCol_WindowBg, 0.9f));
    const float sw = 1.6f * curve_width();  // the swatch a little bolder than its curve
    dl->AddLine(ImVec2(at.x, at.y + em * 0.5f), ImVec2(at.x + em, at.y + em * 0.5f), s.colour, sw);
    audit_mark(dl, "train.legend", ImVec2(at.x, at.y + em * 0.5f - sw / 2), ImVec2(at.x + em, at.y + em * 0.5f + sw / 2), s.colour);
    dl->AddText(ImVec2(at.x + em * 1.3f, at.y), text, s.name.c_str());
    ly += em * 1.1f;
  }
  ImGui::PopID();
}

// SameLine when an item of width w still fits on this line, else a new line.
void next_item(float w) {
  ImGui::SameLine();
  if (ImGui::GetContentRegionAvail().x < w) ImGui::NewLine();
}
float button_width(const char* label) { return ImGui::CalcTextSize(label).x + ImGui::GetStyle().FramePadding.x * 2; }

class TrainPanel final : public Panel {
 public:
  const char* name() const override { return "train"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Train; }
  bool busy() const override { return lab_.busy(); }
  bool animating() const override { return lab_.busy(); }  // live curves while it trains

  void set_option(const std::string& key, const std::string& value) override {
    try {
      if (key == "data") settings_.data = value;
      else if (key == "schemes") {
        settings_.schemes.clear();
        std::size_t at = 0;
        while (at <= value.size()) {
          const std::size_t end = std::min(value.find(',', at), value.size());
          if (end > at) settings_.schemes.push_back(value.substr(at, end - at));
          at = end + 1;
        }
      } else if (key == "steps") settings_.steps = std::stoll(value);
      else if (key == "context") settings_.context = std::stoi(value);
      else if (key == "dim") settings_.dim = std::stoi(value);
      else if (key == "layers") settings_.layers = std::stoi(value);
      else if (key == "heads") settings_.heads = std::stoi(value);
      else if (key == "lr") settings_.lr = std::stod(value);
      else if (key == "show") show_ = std::stoi(value);
      else if (key == "page") page_ = value == "tables" ? 1 : 0;
      else if (key == "figure") single_ = std::clamp(std::stoi(value), 0, 5);
      else if (key == "run" && value == "1") lab_.start(settings_);
      else if (key == "long" && value == "1") lab_.train_short_test_long();
      else throw Error("unknown option train." + key + " (data, schemes, steps, context, dim, layers, heads, lr, show, page, figure, run, long)");
    } catch (const std::invalid_argument&) {
      throw Error("train." + key + ": not a number: " + value);
    }
  }

  void draw(AppState& state, ImVec2 size) override {
    const float em = ImGui::GetFontSize();
    draw_controls(state, size.x);
    const Runs runs = lab_.runs();
    if (!lab_.error().empty()) wrapped_text(kWarn, "Training stopped: " + lab_.error());
    if (!lab_.started()) {
      wrapped_text(kMuted,
                   "Train a small GPT-2-style model from random weights and watch its token table learn: pick the "
                   "data and one or more position schemes, then Start. Each scheme trains its own model on the same "
                   "data and seed. The toy language is made of the classroom words with agreement (he/his, she/her, "
                   "plural verbs), so nouns, verbs and colours should gather in the PCA as it learns. Each scheme is "
                   "trained the way its paper does: sinusoidal multiplies the token rows by sqrt(d) and starts them at "
                   "N(0, 1/d), so they and the sines are of one size (Vaswani et al. 2017); the others start the token "
                   "table at N(0, 0.02) and add nothing to it, as GPT-2 does.");
      return;
    }
    if (runs.empty()) return;
    show_ = std::clamp(show_, 0, static_cast<int>(runs.size()) - 1);
    const RunView& r = *runs[static_cast<std::size_t>(show_)];
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float gap = em * 0.5f;
    // Six figures: two rows of three when each gets 12 lines and 16 em; else one row of three
    // (learning or tables); else one figure at a time (a projector at 1280 x 720, UI scale 2).
    const float w3 = (avail.x - 2 * gap) / 3;
    layout_ = (avail.y - gap) / 2 >= em * 12 && w3 >= em * 16 ? 2 : avail.y >= em * 12 && w3 >= em * 16 ? 1 : 0;
    using Draw = std::function<void(ImVec2)>;
    const std::array<std::pair<const char*, Draw>, 6> figs = {{
        {"loss", [&](ImVec2 sz) { draw_loss(runs, sz); }},
        {"pca", [&](ImVec2 sz) { draw_pca(r, sz); }},
        {"long", [&](ImVec2 sz) { draw_long(runs, sz); }},
        {"wte", [&](ImVec2 sz) { draw_token_table(r, sz); }},
        {"wpe", [&](ImVec2 sz) { draw_position_table(r, sz); }},
        {"attn", [&](ImVec2 sz) { draw_attention(r, sz); }},
    }};
    if (layout_ == 0) {
      figure(figs[static_cast<std::size_t>(single_)].first, avail, figs[static_cast<std::size_t>(single_)].second);
      return;
    }
    const float h = layout_ == 2 ? (avail.y - gap) / 2 : avail.y;
    for (int row = 0; row < 2; ++row) {
      if (layout_ == 1 && row != page_) continue;
      for (int k = 0; k < 3; ++k) {
        if (k > 0) ImGui::SameLine(0, gap);
        const auto& f = figs[static_cast<std::size_t>(row * 3 + k)];
        figure(f.first, ImVec2(w3, h), f.second);
      }
    }
  }

  template <class F>
  void figure(const char* id, ImVec2 size, F&& body) {
    ImGui::BeginChild(id, size, true, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
    body(ImGui::GetContentRegionAvail());
    ImGui::EndChild();
  }

  void draw_controls(AppState& state, float width) {
    if (!lab_.started()) {
      draw_setup(state);
    } else {
      if (ImGui::Button("Setup...")) ImGui::OpenPopup("setup");
      if (ImGui::BeginPopup("setup")) {
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 40);
        draw_setup(state);
        ImGui::PopTextWrapPos();
        ImGui::EndPopup();
      }
    }
    draw_run_controls(state, width);
  }

  void draw_setup(AppState& state) {
    const float em = ImGui::GetFontSize(), sp = ImGui::GetStyle().ItemInnerSpacing.x;
    const float box = ImGui::GetFrameHeight();
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Data");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(em * 8);
    ImGui::InputTextWithHint("##data", "toy, sort or a file", &settings_.data);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("toy (the classroom words with a small grammar), sort (letters and their sorted copy) or the path of a UTF-8 text file");
    for (const std::string& s : train::trainable_schemes()) {
      next_item(box + sp + ImGui::CalcTextSize(s.c_str()).x);
      bool on = std::find(settings_.schemes.begin(), settings_.schemes.end(), s) != settings_.schemes.end();
      ImGui::PushStyleColor(ImGuiCol_CheckMark, scheme_colour(s));
      if (ImGui::Checkbox(s.c_str(), &on)) {
        if (on) settings_.schemes.push_back(s);
        else settings_.schemes.erase(std::find(settings_.schemes.begin(), settings_.schemes.end(), s));
      }
      ImGui::PopStyleColor();
    }
    auto small_int = [&](const char* label, int* v, int lo, int hi) {
      next_item(em * 3.5f + sp + ImGui::CalcTextSize(label).x);
      ImGui::SetNextItemWidth(em * 3.5f);
      if (ImGui::InputInt(label, v, 0)) *v = std::clamp(*v, lo, hi);
    };
    int steps = static_cast<int>(settings_.steps);
    small_int("steps", &steps, 0, 10'000'000);
    settings_.steps = steps;
    small_int("layers", &settings_.layers, 1, 12);
    small_int("d", &settings_.dim, 4, 512);
    small_int("heads", &settings_.heads, 1, 16);
    small_int("context", &settings_.context, 4, 1024);
    next_item(em * 4 + sp + ImGui::CalcTextSize("lr").x);
    ImGui::SetNextItemWidth(em * 4);
    ImGui::InputDouble("lr", &settings_.lr, 0, 0, "%.0e");
    const char* start = lab_.started() ? "Restart" : "Start";
    next_item(button_width(start));
    if (ImGui::Button(start)) {
      if (settings_.schemes.empty()) state.set_status("Pick at least one scheme to train.", true);
      else if (settings_.dim % settings_.heads != 0) state.set_status("d must be a multiple of heads.", true);
      else lab_.start(settings_);
    }
  }

  // The status line says what the lab is doing once a run starts and what it ended with (it
  // went on saying "Classroom model loaded ..." through a whole training run).
  void announce(AppState& state, const Runs& runs, bool finished) {
    const int phase = runs.empty() || !lab_.started() ? 0 : finished ? 2 : 1;
    if (phase == announced_) return;
    announced_ = phase;
    if (phase == 0) return;
    std::string names, losses;
    for (const auto& r : runs) {
      names += (names.empty() ? "" : ", ") + r->scheme;
      if (!r->loss.empty()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s%s %.2f", losses.empty() ? "" : ", ", r->scheme.c_str(), r->loss.back());
        losses += buf;
      }
    }
    const std::string steps = std::to_string(runs.front()->total);
    // Short, the numbers first: at a projector's scale the line holds about 65 characters.
    if (phase == 1) state.set_status("Training " + names + " for " + steps + " steps; the figures follow live.", false);
    else state.set_status("Trained " + steps + " steps. Last loss: " + losses + ".", false);
  }

  void draw_run_controls(AppState& state, float width) {
    const float em = ImGui::GetFontSize();
    const Runs runs = lab_.runs();
    // Every run at its last step: nothing left to pause or step (Reset still clears them).
    bool finished = !runs.empty();
    for (const auto& r : runs) finished = finished && r->done >= r->total;
    if (lab_.started()) {
      if (!finished) {
        const bool paused = lab_.paused();
        next_item(button_width(paused ? "Resume" : "Pause"));
        if (ImGui::Button(paused ? "Resume" : "Pause")) lab_.set_paused(!paused);
        next_item(button_width("Step"));
        if (ImGui::Button("Step")) {
          lab_.set_paused(true);
          lab_.single_step();
        }
      }
      next_item(button_width("Reset"));
      if (ImGui::Button("Reset")) lab_.reset();
    }
    announce(state, runs, finished);
    if (runs.empty()) return;
    // Progress: the slowest run, its rate, the time left.
    long long done = runs[0]->done, total = std::max<long long>(1, runs[0]->total);
    double rate = 0;
    for (const auto& r : runs) done = std::min(done, r->done), rate += r->tokens_per_s;
    const LabSettings s = lab_.settings();
    const double tokens_left = double(total - done) * s.batch * s.context * static_cast<double>(runs.size());
    char label[160];
    std::snprintf(label, sizeof label, "step %lld / %lld   %.0f tokens/s   %s", done, total, rate,
                  done >= total ? "done" : (std::to_string(static_cast<long long>(tokens_left / std::max(1.0, rate))) + " s left").c_str());
    next_item(em * 18);
    ImGui::ProgressBar(float(done) / float(total), ImVec2(std::clamp(ImGui::GetContentRegionAvail().x * 0.4f, em * 18, std::min(width, em * 26)), 0), label);
    next_item(ImGui::CalcTextSize("show").x + em * 7);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("show");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(em * 6);
    std::string preview = runs[static_cast<std::size_t>(std::clamp(show_, 0, int(runs.size()) - 1))]->scheme;
    if (ImGui::BeginCombo("##show", preview.c_str())) {
      for (int i = 0; i < static_cast<int>(runs.size()); ++i)
        if (ImGui::Selectable(runs[static_cast<std::size_t>(i)]->scheme.c_str(), i == show_)) show_ = i;
      ImGui::EndCombo();
    }
    next_item(button_width("Train short, test long"));
    if (ImGui::Button("Train short, test long")) lab_.train_short_test_long();
    next_item(button_width("Open in views"));
    if (ImGui::Button("Open in views")) {
      try {
        const auto dir = lab_.save(static_cast<std::size_t>(show_), home_dir() / ".cache" / "embedscope" / "lab");
        std::shared_ptr<const ModelSource> m = open_model(dir.string());
        if (state.set_model(m, dir.string())) state.set_status("Opened the " + preview + " run as " + dir.string() + " in every view.", false);
      } catch (const std::exception& e) {
        state.set_status(e.what(), true);
      }
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Saves this run as a checkpoint (GPT-2 names) and opens it in every view.");
    // The figure chooser of a small window, named as "show" is (it stood unlabelled).
    const auto labelled_combo = [&](const char* label, const char* id, int* value, const char* items, float w) {
      next_item(ImGui::CalcTextSize(label).x + ImGui::GetStyle().ItemSpacing.x + w);
      ImGui::AlignTextToFramePadding();
      ImGui::TextUnformatted(label);
      ImGui::SameLine();
      ImGui::SetNextItemWidth(w);
      ImGui::Combo(id, value, items);
    };
    if (layout_ == 1) labelled_combo("page", "##page", &page_, "learning\0tables\0", em * 6);
    else if (layout_ == 0)
      labelled_combo("figure", "##figure", &single_, "loss\0token PCA\0short vs long\0token table\0position table\0attention\0", em * 9);
  }

  void draw_loss(const Runs& runs, ImVec2 size) {
    ImGui::TextUnformatted("Training loss (nats per token)");
    std::vector<Series> series;
    for (const auto& r : runs) series.push_back({r->scheme, scheme_colour(r->scheme), r->step, r->loss});
    line_chart("loss", series, ImVec2(size.x, size.y - ImGui::GetTextLineHeightWithSpacing()), "step", "");
  }

  void draw_long(const Runs& runs, ImVec2 size) {
    ImGui::TextUnformatted("Train short, test long (held-out loss)");
    std::vector<Series> series;
    std::string notes;
    for (const auto& r : runs) {
      if (r->long_loss.empty()) continue;
      series.push_back({r->scheme, scheme_colour(r->scheme), {0, 1, 2, 3}, r->long_loss});
      if (!r->long_note.empty()) notes += r->scheme + ": cannot run past its table. ";
    }
    const LabSettings s = lab_.settings();
    if (series.empty()) {
      wrapped_text(kMuted, "Press \"Train short, test long\": every run is evaluated on held-out data at 1, 2, 4 and 8 "
                           "times the length it was trained on. The papers report that ALiBi keeps its loss past the "
                           "training length and sinusoidal positions do not (a learned table cannot even run past its "
                           "rows); this run will show what these small models do.");
      return;
    }
    const float h = size.y - ImGui::GetTextLineHeightWithSpacing() * (notes.empty() ? 1 : 2);
    const std::string T = std::to_string(s.context);
    line_chart("long", series, ImVec2(size.x, h), "evaluation length (tokens)", "",
               {T, std::to_string(2 * s.context), std::to_string(4 * s.context), std::to_string(8 * s.context)});
    if (!notes.empty()) ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kWarn), "%s", notes.c_str());
  }

  void draw_pca(const RunView& r, ImVec2 size) {
    ImGui::Text("Token PCA (%s, step %lld)", r.scheme.c_str(), r.done);
    if (r.wte.empty() || r.vocab < 3) return;
    // The session's PCA of the rows of tokens that occur in the data (computed on its worker).
    const std::vector<int>& rows = r.pca_ids;
    if (rows.size() < 3 || r.pca_xy.size() != 2 * rows.size()) return;
    auto px = [&](std::size_t k) { return r.pca_xy[2 * k]; };
    auto py = [&](std::size_t k) { return r.pca_xy[2 * k + 1]; };
    const float em = ImGui::GetFontSize();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const bool words = lab_.settings().data == "toy";
    const auto vocab = train::toy_words();
    // The word classes in order of first appearance (each its colour), named in one line over
    // the plot: the key to what should gather as the model learns.
    std::vector<std::string> classes;
    float key_h = 0;
    if (words) {
      for (int i : rows)
        if (i < static_cast<int>(vocab.size())) {
          const std::string cls = train::toy_word_class(vocab[static_cast<std::size_t>(i)]);
          if (std::find(classes.begin(), classes.end(), cls) == classes.end()) classes.push_back(cls);
        }
      // In as few lines as fit (a smaller font, down to 0.7, when more than two are needed).
      std::vector<std::size_t> shown;
      for (std::size_t c = 0; c < classes.size(); ++c)
        if (classes[c] != "function" && !classes[c].empty()) shown.push_back(c);
      ImFont* font = ImGui::GetFont();
      const ImVec2 start = ImGui::GetCursorScreenPos();
      const auto lay_out = [&](float fsz, bool draw) {  // returns the lines used
        float x = 0;
        int lines = 1;
        for (std::size_t c : shown) {
          const std::string name = "\xe2\x80\xa2 " + classes[c];  // a bullet in the class's colour
          const float w = font->CalcTextSizeA(fsz, FLT_MAX, 0.0f, name.c_str()).x;
          if (x > 0 && x + w > size.x) x = 0, ++lines;
          if (draw)
            dl->AddText(font, fsz, ImVec2(start.x + x, start.y + static_cast<float>(lines - 1) * fsz * 1.1f),
                        categorical_colour(static_cast<int>(c)), name.c_str());
          x += w + fsz * 0.6f;
        }
        return lines;
      };
      float fsz = em;
      while (fsz > em * 0.7f + 0.01f && lay_out(fsz, false) > 2) fsz = std::max(em * 0.7f, fsz - em * 0.1f);
      if (!shown.empty()) {
        const int lines = lay_out(fsz, true);
        key_h = static_cast<float>(lines) * fsz * 1.1f + ImGui::GetStyle().ItemSpacing.y;
        ImGui::Dummy(ImVec2(size.x, key_h - ImGui::GetStyle().ItemSpacing.y));
      }
    }
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const ImVec2 sz(size.x, size.y - ImGui::GetTextLineHeightWithSpacing() - key_h);
    ImGui::InvisibleButton("scatter", sz);
    float x0 = px(0), x1 = px(0), y0 = py(0), y1 = py(0);
    for (std::size_t k = 1; k < rows.size(); ++k)
      x0 = std::min(x0, px(k)), x1 = std::max(x1, px(k)), y0 = std::min(y0, py(k)), y1 = std::max(y1, py(k));
    const float m = em * 0.6f;
    auto map = [&](float x, float y) {
      return ImVec2(p0.x + m + (x - x0) / std::max(1e-9f, x1 - x0) * (sz.x - 2 * m - em * 3),
                    p0.y + m + (y1 - y) / std::max(1e-9f, y1 - y0) * (sz.y - 2 * m - em * 1.2f));
    };
    // Every point first, then the labels: a label never lies on a point (drawn in one loop, later
    // points landed on earlier labels) nor on another label; right of its point, else left,
    // else left out (hover names it).
    std::vector<ImVec2> at_pt(rows.size());
    std::vector<ImU32> cols(rows.size());
    std::vector<std::string> labels(rows.size());
    const float dot = em * 0.18f;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const int i = rows[k];
      at_pt[k] = map(px(k), py(k));
      cols[k] = ImGui::GetColorU32(ImGuiCol_Text);
      if (words && i < static_cast<int>(vocab.size())) {
        labels[k] = vocab[static_cast<std::size_t>(i)];
        const std::string cls = train::toy_word_class(labels[k]);
        const auto it = std::find(classes.begin(), classes.end(), cls);
        cols[k] = cls == "function" || cls.empty() ? kMuted : categorical_colour(static_cast<int>(it - classes.begin()));
      } else if (r.vocab <= 256 && i >= 33 && i < 127) {
        labels[k] = std::string(1, static_cast<char>(i));
      }
      dl->AddCircleFilled(at_pt[k], dot, cols[k]);
      audit_mark(dl, "train.word", ImVec2(at_pt[k].x - dot, at_pt[k].y - dot), ImVec2(at_pt[k].x + dot, at_pt[k].y + dot), cols[k]);
    }
    std::vector<ImVec4> placed;  // label boxes already drawn
    // A label's box is free when it lies inside the panel (a label left of a point at the left
    // edge was cut by it: "he" at 1280x720 x1.5) and on no other label or point.
    const ImVec2 clip0 = dl->GetClipRectMin(), clip1 = dl->GetClipRectMax();
    const auto free_box = [&](const ImVec4& b, std::size_t own) {
      if (b.x < clip0.x || b.z > clip1.x || b.y < clip0.y || b.w > clip1.y) return false;
      for (const ImVec4& q : placed)
        if (!(b.z < q.x || b.x > q.z || b.w < q.y || b.y > q.w)) return false;
      for (std::size_t j = 0; j < at_pt.size(); ++j)
        if (j != own && at_pt[j].x + dot > b.x && at_pt[j].x - dot < b.z && at_pt[j].y + dot > b.y && at_pt[j].y - dot < b.w) return false;
      return true;
    };
    for (std::size_t k = 0; k < rows.size() && rows.size() <= 400; ++k) {
      if (labels[k].empty()) continue;
      const ImVec2 ts = ImGui::CalcTextSize(labels[k].c_str()), p = at_pt[k];
      const ImVec4 right(p.x + em * 0.3f, p.y - ts.y * 0.5f, p.x + em * 0.3f + ts.x, p.y + ts.y * 0.5f);
      const ImVec4 left(p.x - em * 0.3f - ts.x, p.y - ts.y * 0.5f, p.x - em * 0.3f, p.y + ts.y * 0.5f);
      const ImVec4* box = free_box(right, k) ? &right : free_box(left, k) ? &left : nullptr;
      if (!box) continue;
      placed.push_back(*box);
      dl->AddText(ImVec2(box->x, box->y), cols[k], labels[k].c_str());
    }
    // Hover: the nearest token and its word class.
    if (ImGui::IsItemHovered()) {
      const ImVec2 mouse = ImGui::GetIO().MousePos;
      float best = em * em;
      int at = -1;
      for (std::size_t k = 0; k < rows.size(); ++k) {
        const ImVec2 p = map(px(k), py(k));
        const float d2 = (p.x - mouse.x) * (p.x - mouse.x) + (p.y - mouse.y) * (p.y - mouse.y);
        if (d2 < best) best = d2, at = rows[k];
      }
      if (at >= 0) {
        const std::string w = words && at < static_cast<int>(vocab.size()) ? vocab[static_cast<std::size_t>(at)]
                                                                           : "id " + std::to_string(at);
        const std::string cls = words ? train::toy_word_class(w) : "";
        ImGui::SetTooltip("%s%s%s", displayable(w).c_str(), cls.empty() ? "" : "  (", cls.empty() ? "" : (cls + ")").c_str());
      }
    }
    // The longest caption that fits on the one line below the plot (the full one was cut
    // mid-word: "67/76 toke"): with "of variance", without it, or shortened with an ellipsis.
    char full[128], brief[96];
    std::snprintf(full, sizeof full, "PC1+2: %.0f%% of variance, %d/%d tokens", 100 * r.pca_ratio, static_cast<int>(rows.size()), r.vocab);
    std::snprintf(brief, sizeof brief, "PC1+2: %.0f%%, %d/%d tokens", 100 * r.pca_ratio, static_cast<int>(rows.size()), r.vocab);
    const float room = sz.x - 4;
    const std::string cap = ImGui::CalcTextSize(full).x <= room ? full : fit_text(brief, room);
    audit_text("train.pca_caption", cap, ImGui::CalcTextSize(cap.c_str()).x, room);
    dl->AddText(ImVec2(p0.x, p0.y + sz.y - em), ImGui::GetColorU32(ImGuiCol_TextDisabled), cap.c_str());
  }

  void draw_token_table(const RunView& r, ImVec2 size) {
    if (r.wte.empty()) return;
    float range = 0;
    for (float v : r.wte) range = std::max(range, std::abs(v));
    HeatmapSpec spec;
    spec.values = r.wte.data();
    spec.rows = r.vocab;
    spec.cols = r.dim;
    spec.version = r.version * 8 + 1 + static_cast<uint64_t>(show_) * 1000003;
    spec.range = std::max(range, 1e-6f);
    spec.title = "Token table E (" + std::to_string(r.vocab) + " x " + std::to_string(r.dim) + "), step " + std::to_string(r.done) +
                 (r.recipe.empty() ? "" : "; " + r.recipe);
    spec.show_values = false;
    spec.row_noun = "token";
    const auto vocab = train::toy_words();
    const bool words = lab_.settings().data == "toy";
    spec.row_label = [words, vocab](long long row) {
      return words && row < static_cast<long long>(vocab.size()) ? vocab[static_cast<std::size_t>(row)] : std::to_string(row);
    };
    wte_map_.draw("wte", spec, size);
  }

  void draw_position_table(const RunView& r, ImVec2 size) {
    if (r.wpe.empty()) {
      ImGui::TextUnformatted("Position table");
      const SchemeInfo* info = find_scheme(r.scheme);
      const PositionEntry entry = info ? info->entry : PositionEntry::Nowhere;
      wrapped_text(kMuted, entry == PositionEntry::Nowhere
                               ? std::string("No position information at all: only the causal mask tells order.")
                           : entry == PositionEntry::Input
                               ? std::string(info->title) + " rows are fixed by a formula, not learned: nothing to watch "
                                                            "here (see the Schemes view)."
                               : "No table: " + std::string(info->title) + " " + std::string(position_entry_text(entry)) +
                                     ". Train the learned scheme to watch a position table turn from noise into smooth "
                                     "curves.");
      return;
    }
    float range = 0;
    for (float v : r.wpe) range = std::max(range, std::abs(v));
    HeatmapSpec spec;
    spec.values = r.wpe.data();
    spec.rows = static_cast<long long>(r.wpe.size() / std::max(1, r.dim));
    spec.cols = r.dim;
    spec.version = r.version * 8 + 2 + static_cast<uint64_t>(show_) * 1000003;
    spec.range = std::max(range, 1e-6f);
    spec.title = "Learned position table (" + std::to_string(r.wpe.size() / std::max(1, r.dim)) + " x " + std::to_string(r.dim) + ")";
    spec.show_values = false;
    spec.row_noun = "position";
    spec.row_label = [](long long row) { return std::to_string(row); };
    wpe_map_.draw("wpe", spec, size);
  }

  void draw_attention(const RunView& r, ImVec2 size) {
    const std::vector<std::string> words = lab_.sample_words();
    const int n = static_cast<int>(std::min<std::size_t>(words.size(), static_cast<std::size_t>(r.ctx)));
    if (n < 2 || r.attention.size() < static_cast<std::size_t>(r.layers * r.heads * n * n)) return;
    const float em = ImGui::GetFontSize();
    head_ = std::clamp(head_, 0, r.heads - 1);
    ImGui::Text("Attention, last layer, head");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(em * 5);
    int h1 = head_ + 1;
    if (ImGui::SliderInt("##head", &h1, 1, r.heads)) head_ = h1 - 1;
    const float* A = r.attention.data() + (static_cast<std::size_t>(r.layers - 1) * r.heads + head_) * n * n;
    float label_w = 0;
    for (int i = 0; i < n; ++i) label_w = std::max(label_w, ImGui::CalcTextSize(displayable(words[static_cast<std::size_t>(i)]).c_str()).x);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float cell = std::max(2.0f, std::min((avail.x - label_w - em) / n, (avail.y - label_w - em) / n));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const ImVec2 g0(p0.x + label_w + em * 0.5f, p0.y);
    const bool light = light_theme();
    // Row labels (the query words): in a smaller font down to 0.7 em when rows are shorter than
    // a line, and on every k-th row below that (at 1280x720 a label stood on every 15-pixel row
    // and each ran into the next).
    ImFont* font = ImGui::GetFont();
    const float fs = std::clamp(cell, em * 0.7f, em);
    const int every = std::max(1, static_cast<int>(std::ceil(fs / cell - 1e-3f)));
    for (int i = 0; i < n; ++i) {
      const std::string w = displayable(words[static_cast<std::size_t>(i)]);
      if (i % every == 0)
        dl->AddText(font, fs,
                    ImVec2(p0.x + label_w - font->CalcTextSizeA(fs, FLT_MAX, 0.0f, w.c_str()).x,
                           std::max(g0.y, g0.y + i * cell + (cell - fs) / 2)),
                    ImGui::GetColorU32(ImGuiCol_Text), w.c_str());
      for (int j = 0; j < n; ++j) {
        const float v = j <= i ? std::clamp(A[i * n + j], 0.0f, 1.0f) : 0.0f;
        const int c = static_cast<int>(v * 255);
        // Weight 0 in the window's own tone, 1 in the accent: on the dark theme from near-black to
        // bright orange, on the light one from white to dark orange (the dark theme's colours
        // made a near-black block of the light theme's figure). Masked keys a flat grey.
        const ImU32 on = light ? over((kAccent & ~IM_COL32_A_MASK) | (static_cast<ImU32>(c) << IM_COL32_A_SHIFT), IM_COL32_WHITE)
                               : IM_COL32(255 * c / 255, 180 * c / 255, 40, 255);
        dl->AddRectFilled(ImVec2(g0.x + j * cell, g0.y + i * cell), ImVec2(g0.x + (j + 1) * cell - 1, g0.y + (i + 1) * cell - 1),
                          j <= i ? on : light ? IM_COL32(205, 205, 210, 255) : IM_COL32(40, 40, 44, 255));
      }
    }
    dl->AddText(ImVec2(g0.x, g0.y + n * cell + 2), ImGui::GetColorU32(ImGuiCol_TextDisabled),
                light ? "keys (row: query; dark = 1, grey: masked)" : "keys (row: query; bright = 1)");
    ImGui::Dummy(ImVec2(avail.x, n * cell + em * 1.2f));
    (void)size;
  }

  LabSettings settings_;
  train::TrainingSession lab_;
  int show_ = 0, head_ = 0;
  int announced_ = 0;     // what the status line last said of the lab: 0 nothing, 1 running, 2 done
  int layout_ = 2;        // 2: two rows of figures, 1: one row (page_), 0: one figure (single_)
  int page_ = 0;          // 0 learning (loss, PCA, lengths), 1 tables
  int single_ = 0;        // figure index
  Heatmap wte_map_, wpe_map_;
};

}  // namespace

std::unique_ptr<Panel> make_train_panel() { return std::make_unique<TrainPanel>(); }

}  // namespace es::ui
