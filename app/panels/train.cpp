// Train view: watch a small GPT-2-style model learn, one run per position scheme, side by side.
//
// A worker thread owns the trainers (core/train) and steps them in turn; every ~0.1 s it
// publishes a snapshot of each run (loss curve, token table, position table, the attention of a
// sample sentence) under a mutex, and the panel draws only snapshots. "Train short, test long"
// evaluates every run at 1, 2, 4 and 8 times its training length on held-out data. "Open in
// views" saves the shown run as a checkpoint and opens it in every other view.
#include "analysis.h"
#include "colors.h"
#include "heatmap.h"
#include "model_source.h"
#include "panel.h"
#include "trainer.h"
#include "user_dirs.h"
#include "widgets.h"

#include <imgui_stdlib.h>

#include <array>
#include <atomic>
#include <functional>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace es::ui {
namespace {

struct LabSettings {
  std::string data = "toy";
  std::vector<std::string> schemes = {"learned", "rope", "alibi"};
  int layers = 2, dim = 64, heads = 4, context = 32, batch = 16;
  long long steps = 600;
  double lr = 2e-3;
  uint64_t seed = 1;
};

struct RunView {  // what the panel draws of one run
  std::string scheme;
  std::vector<float> step, loss;   // loss curve (every step)
  long long done = 0, total = 0;
  double tokens_per_s = 0;
  int vocab = 0, dim = 0, ctx = 0, layers = 0, heads = 0;
  std::vector<float> wte, wpe;      // (V, d), (ctx, d) learned only
  std::vector<float> attention;     // (layers, heads, n, n) of the sample
  std::vector<char> used;           // (V) the token occurs in the training data
  std::vector<float> long_loss;     // at 1, 2, 4, 8 x ctx; NaN: cannot run
  std::string long_note;
  uint64_t version = 0;
};

class Lab {
 public:
  ~Lab() { stop(); }

  void start(const LabSettings& s) {
    stop();
    {
      std::lock_guard lk(mu_);
      settings_ = s;
      runs_.clear();
      error_.clear();
      sample_words_.clear();
      for (const auto& sch : s.schemes) {
        RunView v;
        v.scheme = sch;
        runs_.push_back(std::move(v));
      }
      paused_ = false;
      quit_ = false;
      want_long_ = false;
      building_ = true;
    }
    worker_ = std::thread([this] { loop(); });
  }
  void stop() {
    {
      std::lock_guard lk(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }
  // Back to nothing: no runs, no worker.
  void reset() {
    stop();
    std::lock_guard tl(train_mu_);
    std::lock_guard lk(mu_);
    trainers_.clear();
    runs_.clear();
    error_.clear();
  }
  void set_paused(bool p) {
    {
      std::lock_guard lk(mu_);
      paused_ = p;
    }
    cv_.notify_all();
  }
  void single_step() {
    {
      std::lock_guard lk(mu_);
      ++single_steps_;
    }
    cv_.notify_all();
  }
  void train_short_test_long() {
    {
      std::lock_guard lk(mu_);
      want_long_ = true;
    }
    cv_.notify_all();
  }
  // Saves run i where the viewer can open it; returns the folder.
  std::filesystem::path save(std::size_t i) {
    std::lock_guard lk(train_mu_);
    if (i >= trainers_.size() || !trainers_[i]) throw Error("that run has not started");
    const auto dir = home_dir() / ".cache" / "embedscope" / "lab" /
                     (trainers_[i]->options().model.scheme + "-step" + std::to_string(trainers_[i]->steps_done()));
    trainers_[i]->save(dir);
    return dir;
  }

  std::vector<RunView> runs() const {
    std::lock_guard lk(mu_);
    return runs_;
  }
  std::vector<std::string> sample_words() const {
    std::lock_guard lk(mu_);
    return sample_words_;
  }
  std::string error() const {
    std::lock_guard lk(mu_);
    return error_;
  }
  bool started() const { return worker_.joinable(); }
  bool paused() const {
    std::lock_guard lk(mu_);
    return paused_;
  }
  // Still working on something it was asked for (screenshots wait for it).
  bool busy() const {
    std::lock_guard lk(mu_);
    if (!worker_.joinable() || !error_.empty()) return false;
    if (building_ || want_long_) return true;
    if (paused_) return false;
    for (const auto& r : runs_)
      if (r.done < r.total) return true;
    return false;
  }
  LabSettings settings() const {
    std::lock_guard lk(mu_);
    return settings_;
  }

 private:
  void loop() {
    LabSettings s;
    {
      std::lock_guard lk(mu_);
      s = settings_;
    }
    std::vector<int> sample;
    try {
      const train::Corpus corpus = train::load_corpus(s.data, "", s.seed, (s.steps + 1) * s.batch * (s.context + 1));
      eval_ = train::load_corpus(s.data, "", s.seed + 1000, 8 * s.context * 40).ids;
      used_.assign(static_cast<std::size_t>(corpus.vocab), 0);
      for (int id : corpus.ids) used_[static_cast<std::size_t>(id)] = 1;
      std::lock_guard tl(train_mu_);
      trainers_.clear();
      for (const auto& sch : s.schemes) {
        train::TrainOptions o;
        o.model.scheme = sch;
        o.model.layers = s.layers;
        o.model.dim = s.dim;
        o.model.heads = s.heads;
        o.model.context = s.context;
        o.batch = s.batch;
        o.steps = s.steps;
        o.lr = s.lr;
        o.seed = s.seed;
        o.threads = 1;
        trainers_.push_back(std::make_unique<train::Trainer>(o, corpus));
      }
      // The sample sentence: the first 12 tokens of held-out data, from a sentence start.
      std::size_t at = 0;
      if (s.data == "toy")
        for (std::size_t i = 0; i + 1 < eval_.size() && i < 200; ++i)
          if (corpus.tok && corpus.tok->token_bytes(eval_[i]) == ".") {
            at = i + 1;
            break;
          }
      sample.assign(eval_.begin() + static_cast<long>(at), eval_.begin() + static_cast<long>(std::min(eval_.size(), at + 12)));
      std::vector<std::string> words;
      for (int id : sample)
        words.push_back(corpus.tok ? corpus.tok->token_bytes(id) : std::string(1, static_cast<char>(id)));
      std::lock_guard lk(mu_);
      sample_words_ = words;
      building_ = false;
      for (std::size_t i = 0; i < runs_.size(); ++i) runs_[i].total = s.steps;
    } catch (const std::exception& e) {
      std::lock_guard lk(mu_);
      error_ = e.what();
      building_ = false;
      return;
    }
    for (std::size_t i = 0; i < trainers_.size(); ++i) publish(i, sample);
    auto last_publish = std::chrono::steady_clock::now();
    for (;;) {
      bool step_one = false, do_long = false;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] {
          bool left = false;
          for (const auto& r : runs_) left = left || r.done < r.total;
          return quit_ || want_long_ || single_steps_ > 0 || (!paused_ && left);
        });
        if (quit_) return;
        if (single_steps_ > 0) {
          --single_steps_;
          step_one = true;
        }
        do_long = want_long_ && (paused_ || [&] {
          for (const auto& r : runs_)
            if (r.done < r.total) return false;
          return true;
        }());
      }
      if (do_long) {
        long_evaluation();
        continue;
      }
      bool any = false;
      {
        std::lock_guard tl(train_mu_);
        for (auto& t : trainers_)
          if (t->steps_done() < s.steps || step_one) {
            try {
              t->step();
            } catch (const std::exception& e) {
              std::lock_guard lk(mu_);
              error_ = e.what();
              paused_ = true;
            }
            any = true;
          }
      }
      const auto now = std::chrono::steady_clock::now();
      bool finished = true;
      for (auto& t : trainers_) finished = finished && t->steps_done() >= s.steps;
      if (any && (step_one || finished || now - last_publish > std::chrono::milliseconds(100))) {
        for (std::size_t i = 0; i < trainers_.size(); ++i) publish(i, sample);
        last_publish = now;
      }
    }
  }

  void publish(std::size_t i, const std::vector<int>& sample) {
    std::lock_guard tl(train_mu_);
    train::Trainer& t = *trainers_[i];
    train::Gpt<float>& m = t.model();
    const train::GptConfig& c = m.config();
    RunView v;
    v.scheme = c.scheme;
    v.done = t.steps_done();
    v.vocab = c.vocab, v.dim = c.dim, v.ctx = c.context, v.layers = c.layers, v.heads = c.heads;
    for (const auto& s : t.log()) {
      v.step.push_back(static_cast<float>(s.step));
      v.loss.push_back(static_cast<float>(s.loss));
    }
    v.used = used_;
    if (!t.log().empty()) v.tokens_per_s = double(t.log().back().tokens) / std::max(1e-9, t.log().back().seconds);
    const auto& e = m.slot("wte.weight");
    v.wte.assign(m.params().begin() + static_cast<long>(e.offset), m.params().begin() + static_cast<long>(e.offset + e.size));
    if (c.scheme == "learned") {
      const auto& p = m.slot("wpe.weight");
      v.wpe.assign(m.params().begin() + static_cast<long>(p.offset), m.params().begin() + static_cast<long>(p.offset + p.size));
    }
    if (sample.size() >= 2) {
      const int n = static_cast<int>(std::min<std::size_t>(sample.size(), static_cast<std::size_t>(c.context)));
      std::vector<int> tgt(n, -1);
      tgt[0] = sample[1];
      m.step(sample.data(), tgt.data(), 1, n, false);
      for (int l = 0; l < c.layers; ++l)
        for (int h = 0; h < c.heads; ++h) {
          const auto a = m.attention(l, 0, h);
          v.attention.insert(v.attention.end(), a.begin(), a.end());
        }
    }
    std::lock_guard lk(mu_);
    v.total = runs_[i].total;
    v.long_loss = runs_[i].long_loss;
    v.long_note = runs_[i].long_note;
    v.version = runs_[i].version + 1;
    runs_[i] = std::move(v);
  }

  void long_evaluation() {
    std::vector<std::vector<float>> results;
    std::vector<std::string> notes;
    {
      std::lock_guard tl(train_mu_);
      for (auto& t : trainers_) {
        std::vector<float> r;
        std::string note;
        for (int f : {1, 2, 4, 8}) {
          const int T = t->options().model.context * f;
          try {
            r.push_back(static_cast<float>(train::evaluate(t->model(), eval_, T, 8)));
          } catch (const std::exception& e) {
            r.push_back(std::nanf(""));
            if (note.empty()) note = e.what();
          }
        }
        results.push_back(r);
        notes.push_back(note);
      }
    }
    std::lock_guard lk(mu_);
    for (std::size_t i = 0; i < runs_.size() && i < results.size(); ++i) {
      runs_[i].long_loss = results[i];
      runs_[i].long_note = notes[i];
      ++runs_[i].version;
    }
    want_long_ = false;
  }

  mutable std::mutex mu_;
  std::mutex train_mu_;  // trainers_ (worker, save)
  std::condition_variable cv_;
  std::thread worker_;
  LabSettings settings_;
  std::vector<RunView> runs_;
  std::vector<std::string> sample_words_;
  std::string error_;
  bool paused_ = false, quit_ = false, want_long_ = false, building_ = false;
  int single_steps_ = 0;
  std::vector<std::unique_ptr<train::Trainer>> trainers_;
  std::vector<int> eval_;
  std::vector<char> used_;
};

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
    std::vector<ImVec2> pts;
    const std::size_t stride = std::max<std::size_t>(1, s.x.size() / 800);
    for (std::size_t i = 0; i < s.x.size(); i += stride) {
      if (!std::isfinite(s.y[i])) {
        if (pts.size() > 1) dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), s.colour, 0, 2.0f);
        pts.clear();
        continue;
      }
      pts.push_back(map(s.x[i], s.y[i]));
      if (s.x.size() <= 16) dl->AddCircleFilled(pts.back(), em * 0.25f, s.colour);
    }
    if (pts.size() > 1) dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), s.colour, 0, 2.0f);
  }
  dl->PopClipRect();
  // Legend, top right, one line per series.
  float ly = a.y + em * 0.2f;
  for (const auto& s : series) {
    const float w = ImGui::CalcTextSize(s.name.c_str()).x;
    const ImVec2 at(b.x - w - em * 1.6f, ly);
    dl->AddRectFilled(ImVec2(at.x - 2, at.y), ImVec2(b.x - 2, at.y + em * 1.1f), IM_COL32(24, 25, 29, 230));
    dl->AddLine(ImVec2(at.x, at.y + em * 0.5f), ImVec2(at.x + em, at.y + em * 0.5f), s.colour, 3.0f);
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
    const std::vector<RunView> runs = lab_.runs();
    if (!lab_.error().empty()) wrapped_text(kWarn, "Training stopped: " + lab_.error());
    if (!lab_.started()) {
      wrapped_text(kMuted,
                   "Train a small GPT-2-style model from random weights and watch its token table learn: pick the "
                   "data and one or more position schemes, then Start. Each scheme trains its own model on the same "
                   "data and seed. The toy language is made of the classroom words with agreement (he/his, she/her, "
                   "plural verbs), so nouns, verbs and colours should gather in the PCA as it learns.");
      return;
    }
    if (runs.empty()) return;
    show_ = std::clamp(show_, 0, static_cast<int>(runs.size()) - 1);
    const RunView& r = runs[static_cast<std::size_t>(show_)];
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

  void draw_run_controls(AppState& state, float width) {
    const float em = ImGui::GetFontSize();
    if (lab_.started()) {
      const bool paused = lab_.paused();
      next_item(button_width(paused ? "Resume" : "Pause"));
      if (ImGui::Button(paused ? "Resume" : "Pause")) lab_.set_paused(!paused);
      next_item(button_width("Step"));
      if (ImGui::Button("Step")) {
        lab_.set_paused(true);
        lab_.single_step();
      }
      next_item(button_width("Reset"));
      if (ImGui::Button("Reset")) lab_.reset();
    }
    const std::vector<RunView> runs = lab_.runs();
    if (runs.empty()) return;
    // Progress: the slowest run, its rate, the time left.
    long long done = runs[0].done, total = std::max<long long>(1, runs[0].total);
    double rate = 0;
    for (const auto& r : runs) done = std::min(done, r.done), rate += r.tokens_per_s;
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
    std::string preview = runs[static_cast<std::size_t>(std::clamp(show_, 0, int(runs.size()) - 1))].scheme;
    if (ImGui::BeginCombo("##show", preview.c_str())) {
      for (int i = 0; i < static_cast<int>(runs.size()); ++i)
        if (ImGui::Selectable(runs[static_cast<std::size_t>(i)].scheme.c_str(), i == show_)) show_ = i;
      ImGui::EndCombo();
    }
    next_item(button_width("Train short, test long"));
    if (ImGui::Button("Train short, test long")) lab_.train_short_test_long();
    next_item(button_width("Open in views"));
    if (ImGui::Button("Open in views")) {
      try {
        const auto dir = lab_.save(static_cast<std::size_t>(show_));
        std::shared_ptr<const ModelSource> m = open_model(dir.string());
        if (state.set_model(m, dir.string())) state.set_status("Opened the " + preview + " run as " + dir.string() + " in every view.", false);
      } catch (const std::exception& e) {
        state.set_status(e.what(), true);
      }
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Saves this run as a checkpoint (GPT-2 names) and opens it in every view.");
    if (layout_ == 1) {
      next_item(em * 6);
      ImGui::SetNextItemWidth(em * 6);
      ImGui::Combo("##page", &page_, "learning\0tables\0");
    } else if (layout_ == 0) {
      next_item(em * 9);
      ImGui::SetNextItemWidth(em * 9);
      ImGui::Combo("##figure", &single_, "loss\0token PCA\0short vs long\0token table\0position table\0attention\0");
    }
  }

  void draw_loss(const std::vector<RunView>& runs, ImVec2 size) {
    ImGui::TextUnformatted("Training loss (nats per token)");
    std::vector<Series> series;
    for (const auto& r : runs) series.push_back({r.scheme, scheme_colour(r.scheme), r.step, r.loss});
    line_chart("loss", series, ImVec2(size.x, size.y - ImGui::GetTextLineHeightWithSpacing()), "step", "");
  }

  void draw_long(const std::vector<RunView>& runs, ImVec2 size) {
    ImGui::TextUnformatted("Train short, test long (held-out loss)");
    std::vector<Series> series;
    std::string notes;
    for (const auto& r : runs) {
      if (r.long_loss.empty()) continue;
      series.push_back({r.scheme, scheme_colour(r.scheme), {0, 1, 2, 3}, r.long_loss});
      if (!r.long_note.empty()) notes += r.scheme + ": cannot run past its table. ";
    }
    const LabSettings s = lab_.settings();
    if (series.empty()) {
      wrapped_text(kMuted, "Press \"Train short, test long\": every run is evaluated on held-out data at 1, 2, 4 and 8 "
                           "times the length it was trained on. ALiBi keeps its loss; sinusoidal and learned positions "
                           "do not (a learned table cannot even run past its rows).");
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
    // Tokens that never occur in the data are left out: they only drift (weight decay, the
    // softmax pushing every unused logit down) and would set the axes.
    std::vector<int> rows;
    for (int i = 0; i < r.vocab; ++i)
      if (i < static_cast<int>(r.used.size()) && r.used[static_cast<std::size_t>(i)]) rows.push_back(i);
    if (rows.size() < 3) return;
    if (pca_version_ != r.version || pca_scheme_ != r.scheme) {
      MatrixRM E(static_cast<long>(rows.size()), r.dim);
      for (std::size_t k = 0; k < rows.size(); ++k)
        for (int c = 0; c < r.dim; ++c) E(static_cast<long>(k), c) = r.wte[static_cast<std::size_t>(rows[k]) * r.dim + c];
      try {
        const PcaBasis b = fit_pca(E, 2);
        pca_xy_ = b.project(E);
        pca_ratio_ = b.explained_variance_ratio.size() >= 2 ? b.explained_variance_ratio[0] + b.explained_variance_ratio[1] : 0;
      } catch (const std::exception&) {
        pca_xy_.resize(0, 0);
      }
      pca_version_ = r.version;
      pca_scheme_ = r.scheme;
    }
    if (pca_xy_.rows() != static_cast<long>(rows.size()) || pca_xy_.cols() < 2) return;
    const float em = ImGui::GetFontSize();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const ImVec2 sz(size.x, size.y - ImGui::GetTextLineHeightWithSpacing());
    ImGui::InvisibleButton("scatter", sz);
    const float x0 = pca_xy_.col(0).minCoeff(), x1 = pca_xy_.col(0).maxCoeff();
    const float y0 = pca_xy_.col(1).minCoeff(), y1 = pca_xy_.col(1).maxCoeff();
    const float m = em * 0.6f;
    auto map = [&](float x, float y) {
      return ImVec2(p0.x + m + (x - x0) / std::max(1e-9f, x1 - x0) * (sz.x - 2 * m - em * 3),
                    p0.y + m + (y1 - y) / std::max(1e-9f, y1 - y0) * (sz.y - 2 * m - em * 1.2f));
    };
    const bool words = lab_.settings().data == "toy";
    const auto vocab = train::toy_words();
    std::vector<std::string> classes;
    std::vector<ImVec4> placed;  // label boxes already drawn: later labels that overlap are skipped
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const int i = rows[k];
      const ImVec2 p = map(pca_xy_(static_cast<long>(k), 0), pca_xy_(static_cast<long>(k), 1));
      ImU32 col = ImGui::GetColorU32(ImGuiCol_Text);
      std::string label;
      if (words && i < static_cast<int>(vocab.size())) {
        label = vocab[static_cast<std::size_t>(i)];
        const std::string cls = train::toy_word_class(label);
        auto it = std::find(classes.begin(), classes.end(), cls);
        if (it == classes.end()) classes.push_back(cls), it = classes.end() - 1;
        col = cls == "function" || cls.empty() ? kMuted : categorical_colour(static_cast<int>(it - classes.begin()));
      } else if (r.vocab <= 256 && i >= 33 && i < 127) {
        label = std::string(1, static_cast<char>(i));
      }
      dl->AddCircleFilled(p, em * 0.18f, col);
      if (label.empty() || rows.size() > 400) continue;
      const ImVec2 ts = ImGui::CalcTextSize(label.c_str());
      const ImVec4 box(p.x + em * 0.25f, p.y - ts.y * 0.5f, p.x + em * 0.25f + ts.x, p.y + ts.y * 0.5f);
      bool clash = false;
      for (const ImVec4& q : placed) clash = clash || !(box.z < q.x || box.x > q.z || box.w < q.y || box.y > q.w);
      if (clash) continue;
      placed.push_back(box);
      dl->AddText(ImVec2(box.x, box.y), col, label.c_str());
    }
    // Hover: the nearest token and its word class.
    if (ImGui::IsItemHovered()) {
      const ImVec2 mouse = ImGui::GetIO().MousePos;
      float best = em * em;
      int at = -1;
      for (std::size_t k = 0; k < rows.size(); ++k) {
        const ImVec2 p = map(pca_xy_(static_cast<long>(k), 0), pca_xy_(static_cast<long>(k), 1));
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
    char cap[128];
    std::snprintf(cap, sizeof cap, "PC1+2: %.0f%% of variance, %d/%d tokens", 100 * pca_ratio_, static_cast<int>(rows.size()),
                  r.vocab);
    dl->AddText(ImVec2(p0.x, p0.y + sz.y - em), ImGui::GetColorU32(ImGuiCol_TextDisabled), cap);
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
    spec.title = "Token table E (" + std::to_string(r.vocab) + " x " + std::to_string(r.dim) + "), step " + std::to_string(r.done);
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
      wrapped_text(kMuted, r.scheme == "none" ? "No position information at all: only the causal mask tells order."
                                              : r.scheme == "sinusoidal"
                                                    ? "Sinusoidal rows are fixed by a formula, not learned: nothing to watch here (see the Schemes view)."
                                                    : "No table: " + r.scheme + " brings position in inside attention. Train the "
                                                      "learned scheme to watch a position table turn from noise into smooth curves.");
      return;
    }
    float range = 0;
    for (float v : r.wpe) range = std::max(range, std::abs(v));
    HeatmapSpec spec;
    spec.values = r.wpe.data();
    spec.rows = r.ctx;
    spec.cols = r.dim;
    spec.version = r.version * 8 + 2 + static_cast<uint64_t>(show_) * 1000003;
    spec.range = std::max(range, 1e-6f);
    spec.title = "Learned position table (" + std::to_string(r.ctx) + " x " + std::to_string(r.dim) + ")";
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
    for (int i = 0; i < n; ++i) {
      const std::string w = displayable(words[static_cast<std::size_t>(i)]);
      dl->AddText(ImVec2(p0.x + label_w - ImGui::CalcTextSize(w.c_str()).x, g0.y + i * cell + (cell - em) / 2),
                  ImGui::GetColorU32(ImGuiCol_Text), w.c_str());
      for (int j = 0; j < n; ++j) {
        const float v = j <= i ? A[i * n + j] : 0.0f;
        const int c = static_cast<int>(std::clamp(v, 0.0f, 1.0f) * 255);
        dl->AddRectFilled(ImVec2(g0.x + j * cell, g0.y + i * cell), ImVec2(g0.x + (j + 1) * cell - 1, g0.y + (i + 1) * cell - 1),
                          j <= i ? IM_COL32(255 * c / 255, 180 * c / 255, 40, 255) : IM_COL32(40, 40, 44, 255));
      }
    }
    dl->AddText(ImVec2(g0.x, g0.y + n * cell + 2), ImGui::GetColorU32(ImGuiCol_TextDisabled), "keys (row: query; bright = 1)");
    ImGui::Dummy(ImVec2(avail.x, n * cell + em * 1.2f));
    (void)size;
  }

  LabSettings settings_;
  Lab lab_;
  int show_ = 0, head_ = 0;
  int layout_ = 2;        // 2: two rows of figures, 1: one row (page_), 0: one figure (single_)
  int page_ = 0;          // 0 learning (loss, PCA, lengths), 1 tables
  int single_ = 0;        // figure index
  Heatmap wte_map_, wpe_map_;
  uint64_t pca_version_ = ~0ull;
  std::string pca_scheme_;
  MatrixRM pca_xy_;
  double pca_ratio_ = 0;
};

}  // namespace

std::unique_ptr<Panel> make_train_panel() { return std::make_unique<TrainPanel>(); }

}  // namespace es::ui
