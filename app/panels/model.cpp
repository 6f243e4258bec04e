// Model view (in progress).
#include "panel.h"

namespace es::ui {
namespace {

class ModelPanel final : public Panel {
 public:
  const char* name() const override { return "model"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Model; }
  void draw(AppState&, ImVec2) override { ImGui::TextDisabled("This view is being built."); }
};

}  // namespace

std::unique_ptr<Panel> make_model_panel() { return std::make_unique<ModelPanel>(); }

}  // namespace es::ui
