// Panels: one per file in app/panels/<feature>.cpp, all listed in panel_registry.cpp.
//
// A panel draws one region of one or more views from AppState. It keeps its own widgets
// (heatmaps, cached projections) and redoes them only when AppState::version() changes; it
// never computes maths itself, it asks core (through AppState or directly) and caches.
// See app/desktop/README.md for how to add one.
#pragma once

#include "app_state.h"

#include <imgui.h>

#include <memory>
#include <string>
#include <vector>

namespace es::ui {

enum class Region { Main, Bottom };

class Panel {
 public:
  virtual ~Panel() = default;
  virtual const char* name() const = 0;            // stable id, e.g. "matrix"
  virtual bool shows_in(ViewId view) const = 0;    // which views it is part of
  virtual Region region() const { return Region::Main; }
  // Draws into the current window, within `size` (the region's free space).
  virtual void draw(AppState& state, ImVec2 size) = 0;
  // True while the panel waits for worker-thread results (screenshots wait for them).
  virtual bool busy() const { return false; }
  // True while the panel changes on its own (an animation, a live training run): the window
  // then redraws at the display's rate instead of waiting for input.
  virtual bool animating() const { return false; }
  // Options the frame passes on (command line / settings), e.g. "matrix.mode" = "side".
  virtual void set_option(const std::string& key, const std::string& value) { (void)key; (void)value; }
  virtual std::vector<std::pair<std::string, std::string>> options() const { return {}; }
};

// Every panel of the program, in drawing order (panel_registry.cpp).
std::vector<std::unique_ptr<Panel>> make_all_panels();

// Factories, one per app/panels/*.cpp file.
std::unique_ptr<Panel> make_tokens_panel();
std::unique_ptr<Panel> make_matrix_panel();
std::unique_ptr<Panel> make_repeats_panel();
std::unique_ptr<Panel> make_pca_panel();
std::unique_ptr<Panel> make_schemes_panel();
std::unique_ptr<Panel> make_model_panel();
std::unique_ptr<Panel> make_vocab_panel();
std::unique_ptr<Panel> make_train_panel();
std::unique_ptr<Panel> make_lesson_panel();

}  // namespace es::ui
