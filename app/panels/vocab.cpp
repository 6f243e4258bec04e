// Vocab view (in progress).
#include "panel.h"

namespace es::ui {
namespace {

class VocabPanel final : public Panel {
 public:
  const char* name() const override { return "vocab"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Vocab; }
  void draw(AppState&, ImVec2) override { ImGui::TextDisabled("This view is being built."); }
};

}  // namespace

std::unique_ptr<Panel> make_vocab_panel() { return std::make_unique<VocabPanel>(); }

}  // namespace es::ui
