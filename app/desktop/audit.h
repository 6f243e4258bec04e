// The layout audit (embedscope --audit FILE): text the program draws into a box of fixed width
// is recorded with the width it takes and the room it has, so a test can see a number cut, a
// title running into its neighbour or labels merged, without reading pixels. Only the last
// frame's records are kept; they are written when the program ends.
#pragma once

#include <string>
#include <string_view>

namespace es::ui {

void audit_enable(bool on);
bool audit_enabled();
// Starts a frame: the records of the previous one are dropped.
void audit_new_frame();
// One drawn text: `kind` names where ("model.weights", "heatmap.row_label", "pca.label"),
// `width` is its width in pixels, `room` the width it was given (negative: no limit).
void audit_text(const char* kind, std::string_view text, float width, float room);
// One line per record: kind <TAB> fits|CLIPPED <TAB> width <TAB> room <TAB> text. Returns an
// error message, empty on success.
std::string audit_write(const std::string& path);

}  // namespace es::ui
