// Command-line options of the desktop program (embedscope --help lists them).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace es::ui {

struct DesktopOptions {
  std::optional<std::string> screenshot;  // PNG path: render, save, exit 0
  std::optional<std::string> view;        // tokens|matrix|pca|schemes|model|vocab|train|lesson
  // --view A,B,... or all: with --screenshot, one picture per view in one run ('{view}' in the
  // file names); view is then the first of them.
  std::vector<std::string> views;
  std::optional<std::string> lesson;      // --lesson STEP (number or id) or "list"
  bool presenter = false;                 // --presenter
  bool special = false;                   // --special
  std::optional<std::string> audit;       // --audit FILE
  bool audit_selftest = false;            // --audit-selftest: draw one case of each broken rule
  std::optional<std::string> theme;       // --theme dark|light
  std::optional<std::string> text;
  std::optional<std::string> model;       // classroom, gpt2-untrained, a path, a cache name
  std::optional<std::string> scheme;      // none|learned|sinusoidal|rope|alibi|t5
  std::optional<std::string> matrix_mode; // side|token|position|combined|normed
  std::optional<int> select;              // token position to select
  std::vector<std::pair<std::string, std::string>> panel_options;  // --set panel.key=value
  int width = 1600, height = 1000;
  bool size_given = false;
  std::optional<float> ui_scale;
  int frames = 0;        // --frames N: render N frames and exit 0
  int bench_frames = 0;  // --bench-frames N: render N frames, print percentiles
  std::optional<std::string> bench_open;  // --bench-open M: open M in the background during them
  bool use_settings = true;  // off for --screenshot/--frames/--bench-frames and --no-settings
  bool help = false;
};

// Throws es::Error with a message naming the bad option.
DesktopOptions parse_desktop_options(int argc, char** argv);
std::string desktop_help_text();

}  // namespace es::ui
