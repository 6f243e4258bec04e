#include "options.h"

#include "app_state.h"

#include "position/scheme.h"
#include "types.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace es::ui {

namespace {

int parse_int(const std::string& opt, const std::string& v, int lo, int hi) {
  char* end = nullptr;
  long x = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || x < lo || x > hi)
    throw Error(opt + " needs a whole number from " + std::to_string(lo) + " to " +
                std::to_string(hi) + " (got '" + v + "')");
  return static_cast<int>(x);
}

}  // namespace

std::string desktop_help_text() {
  std::string text = R"(embedscope: see how a language model turns text into the vectors its first layer sees.

Usage: embedscope [options]

  --text T              the sentence (default: "the cat sat on the mat")
  --model M             classroom (default), classroom:V=8,L=6,d=4,seed=42, gpt2-untrained,
                        a .safetensors file or model folder, or a Hugging Face cache name (gpt2;
                        ORG/NAME@REV for a revision other than main)
  --scheme S            a position scheme (default: the model's own), one of:
@SCHEMES@  --view V              tokens | matrix | pca | schemes | model | vocab | train | lesson (keys 1-8);
                        with --screenshot also a list (matrix,model) or all: one picture per view
                        in one run, '{view}' in the file names (and in --audit's)
  --theme T             dark (default) or light (projectors; View menu; saved between runs)
  --presenter           start in presenter mode (F5 or P toggles it: only the figure, large type)
  --special             tokenize with the model's special tokens ([CLS] ... [SEP], <s>, </s>)
  --audit FILE          the layout audit of the last frame: every text drawn, with its room, the
                        contrast under it (with --screenshot) and what breaks a rule (CLIPPED, CUT,
                        OVERLAP, CONTRAST, OUT_OF_VIEW); with --lesson all, '{step}' in FILE
                        writes one per step (tests, scripts/audit_matrix.sh)
  --audit-selftest      also draw one case of each rule the audit checks, broken (its own test)
  --lesson STEP         open the lesson at STEP (1-15 or its id); --lesson list prints the steps;
                        --lesson all --screenshot 'DIR/lesson-{step}.png' writes every step
                        (01, 02, ...) at the end of its animation, slides for a class
  --matrix-mode M       side (token | position | combined) | token | position | combined | normed
  --select P            select the token at position P (highlighted in every view)
  --set PANEL.KEY=VALUE a panel option, e.g. --set pca.vocab_layer=1 --set pca.position_layer=1
  --ui-scale X          interface scale, 0.5 .. 4 (default 1; saved between runs)
  --size WxH            window size in pixels (default 1600x1000)
  --screenshot FILE     lay out, render the whole window to a PNG file and exit 0
  --frames N            render N frames and exit 0 (for tests)
  --bench-frames N      render N frames and print frame-time percentiles
  --bench-open M        with --bench-frames: open model M in the background after the third
                        frame, as File > Open does (frames while a large table opens and its
                        index and principal components are computed)
  --no-settings         neither read nor write the settings file
  --use-settings        read and write it even with --screenshot/--frames (tests)
  --help                this text

Settings (window size, UI scale, view, text, model, scheme) are kept in
$XDG_CONFIG_HOME/embedscope/settings.ini (or ~/.config/embedscope/settings.ini); the options
--screenshot, --frames and --bench-frames ignore them so that runs are reproducible.
)";
  // The schemes come from the registry, one line each.
  std::string schemes;
  for (const SchemeInfo* s : scheme_registry())
    schemes += "                          " + std::string(s->name) + std::string(s->name && std::strlen(s->name) < 16 ? 16 - std::strlen(s->name) : 1, ' ') + s->title + "\n";
  text.replace(text.find("@SCHEMES@"), 9, schemes);
  return text;
}

DesktopOptions parse_desktop_options(int argc, char** argv) {
  DesktopOptions o;
  bool force_settings = false;
  auto value = [&](int& i, const std::string& opt) -> std::string {
    if (i + 1 >= argc) throw Error(opt + " needs a value (see --help)");
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") o.help = true;
    else if (a == "--screenshot") o.screenshot = value(i, a);
    else if (a == "--view") {
      o.view = value(i, a);
      o.views.clear();
      if (*o.view == "all") {
        for (int v = 0; v < kViewCount; ++v) o.views.push_back(view_id_name(static_cast<ViewId>(v)));
      } else {
        for (std::size_t at = 0; at <= o.view->size();) {
          const std::size_t comma = std::min(o.view->find(',', at), o.view->size());
          o.views.push_back(o.view->substr(at, comma - at));
          at = comma + 1;
        }
      }
      o.view = o.views.front();
    }
    else if (a == "--lesson") o.lesson = value(i, a);
    else if (a == "--presenter") o.presenter = true;
    else if (a == "--special") o.special = true;
    else if (a == "--audit") o.audit = value(i, a);
    else if (a == "--audit-selftest") o.audit_selftest = true;
    else if (a == "--theme") {
      o.theme = value(i, a);
      if (*o.theme != "dark" && *o.theme != "light") throw Error("--theme is dark or light (got '" + *o.theme + "')");
    }
    else if (a == "--text") o.text = value(i, a);
    else if (a == "--model") o.model = value(i, a);
    else if (a == "--scheme") o.scheme = value(i, a);
    else if (a == "--matrix-mode") o.matrix_mode = value(i, a);
    else if (a == "--select") o.select = parse_int(a, value(i, a), 0, 1 << 20);
    else if (a == "--set") {
      std::string kv = value(i, a);
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0 || kv.find('.') > eq)
        throw Error("--set needs PANEL.KEY=VALUE (got '" + kv + "')");
      o.panel_options.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (a == "--ui-scale") {
      std::string v = value(i, a);
      char* end = nullptr;
      float s = std::strtof(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(s >= 0.5f && s <= 4.0f))
        throw Error("--ui-scale needs a number from 0.5 to 4 (got '" + v + "')");
      o.ui_scale = s;
    } else if (a == "--size") {
      std::string v = value(i, a);
      auto x = v.find('x');
      if (x == std::string::npos) throw Error("--size needs WIDTHxHEIGHT, e.g. 1280x800 (got '" + v + "')");
      o.width = parse_int("--size width", v.substr(0, x), 320, 8192);
      o.height = parse_int("--size height", v.substr(x + 1), 240, 8192);
      o.size_given = true;
    } else if (a == "--frames") o.frames = parse_int(a, value(i, a), 1, 1000000);
    else if (a == "--bench-frames") o.bench_frames = parse_int(a, value(i, a), 1, 1000000);
    else if (a == "--bench-open") o.bench_open = value(i, a);
    else if (a == "--no-settings") o.use_settings = false;
    else if (a == "--use-settings") force_settings = true;
    else throw Error("unknown option '" + a + "' (see embedscope --help)");
  }
  if (o.lesson && *o.lesson == "all" &&
      (!o.screenshot || o.screenshot->find("{step}") == std::string::npos))
    throw Error("--lesson all writes one picture per step: give --screenshot with {step} in the file name "
                "(e.g. --screenshot 'slides/lesson-{step}.png')");
  if (o.views.size() > 1) {
    if (!o.screenshot || o.screenshot->find("{view}") == std::string::npos)
      throw Error("--view with several views writes one picture per view: give --screenshot with {view} in the "
                  "file name (e.g. --screenshot 'slides/{view}.png')");
    if (o.audit && o.audit->find("{view}") == std::string::npos)
      throw Error("--view with several views writes one audit per view: give --audit with {view} in the file name");
  }
  if (o.screenshot || o.frames || o.bench_frames) o.use_settings = false;
  if (force_settings) o.use_settings = true;
  return o;
}

}  // namespace es::ui
