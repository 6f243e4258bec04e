// The one list of panels. To add a panel: write app/panels/<feature>.cpp with a factory,
// declare the factory in panel.h, and add it here (see app/desktop/README.md).
#include "panel.h"

namespace es::ui {

std::vector<std::unique_ptr<Panel>> make_all_panels() {
  std::vector<std::unique_ptr<Panel>> panels;
  panels.push_back(make_tokens_panel());
  panels.push_back(make_matrix_panel());
  panels.push_back(make_repeats_panel());
  panels.push_back(make_pca_panel());
  panels.push_back(make_schemes_panel());
  panels.push_back(make_model_panel());
  panels.push_back(make_vocab_panel());
  panels.push_back(make_train_panel());
  panels.push_back(make_lesson_panel());
  return panels;
}

}  // namespace es::ui
