// Pca view (in progress).
#include "panel.h"

namespace es::ui {
namespace {

class PcaPanel final : public Panel {
 public:
  const char* name() const override { return "pca"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Pca; }
  void draw(AppState&, ImVec2) override { ImGui::TextDisabled("This view is being built."); }
};

}  // namespace

std::unique_ptr<Panel> make_pca_panel() { return std::make_unique<PcaPanel>(); }

}  // namespace es::ui
