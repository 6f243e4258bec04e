// The window's frame: main menu bar, control strip (text, model, scheme and its parameters,
// view), the current view's panels in resizable regions, and the status line.
#pragma once

#include "app_state.h"
#include "panel.h"

#include <memory>
#include <string>
#include <vector>

namespace es::ui {

class Frame {
 public:
  explicit Frame(AppState& state);
  void draw();  // one frame of UI; call between ImGui::NewFrame and ImGui::Render

  std::vector<std::unique_ptr<Panel>>& panels() { return panels_; }
  // A model is opening or a panel of the current view waits for a worker.
  bool busy() const;
  bool animating() const;  // a panel of the current view changes on its own
  void set_panel_option(const std::string& panel_dot_key, const std::string& value);  // throws
  std::vector<std::pair<std::string, std::string>> panel_options() const;

  // Requests the main loop acts on after rendering.
  bool quit_requested = false;
  std::string screenshot_request;   // PNG path to write after this frame
  float ui_scale = 1.0f;
  bool ui_scale_changed = false;  // also set when the theme changes: the style is rebuilt
  bool light_theme = false;       // View menu: light theme for projectors

 private:
  void draw_menu_bar();
  void draw_control_strip();
  void draw_scheme_controls();
  void draw_view_tabs();
  void draw_status_line();
  std::string status_text() const;  // what the status line says
  void export_matrices();

  AppState& state_;
  std::vector<std::unique_ptr<Panel>> panels_;
  std::string text_edit_;
  uint64_t text_seen_version_ = 0;
  std::string reads_;                    // the text as it reads (bidi_display), for reads_version_
  uint64_t reads_version_ = ~0ull;
  std::string model_edit_;
  float bottom_fraction_ = 0.36f;
  bool short_window_ = false;  // the status line keeps to one line
  bool bottom_unfolded_ = false;  // the user unfolded the bottom panels on a short window
};

}  // namespace es::ui
