// Schemes view (in progress).
#include "panel.h"

namespace es::ui {
namespace {

class SchemesPanel final : public Panel {
 public:
  const char* name() const override { return "schemes"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Schemes; }
  void draw(AppState&, ImVec2) override { ImGui::TextDisabled("This view is being built."); }
};

}  // namespace

std::unique_ptr<Panel> make_schemes_panel() { return std::make_unique<SchemesPanel>(); }

}  // namespace es::ui
