// The layout audit (embedscope --audit FILE). Two kinds of record, written when the program ends
// (only the last frame's records are kept):
//
// - Every text drawn, by anyone (our panels and ImGui's own widgets): the link step wraps
//   ImDrawList::AddText, so nothing has to remember to report. Each drawn text is checked
//   against the clip rectangle it was drawn under (cut sideways: CLIPPED; cut through a line in
//   a window that does not scroll: CUT), against the other texts of its window (OVERLAP), and,
//   when a screenshot was taken, against the pixels under it (contrast below 4.5:1: CONTRAST).
// - Records a panel makes itself: text it had to fit into a room it chose (a number elided, a
//   label shortened: `audit_text`), and key content that must be in view or announced
//   (`audit_key`: weight counts, the repeated rows, a step's figure).
//
// Line format: kind <TAB> status <TAB> width <TAB> room [<TAB> key=value ...] <TAB> text; the
// text is always the last field. Status "fits" (or "scrolled": part of a line under the edge of
// a window that scrolls; "elided": a panel's text shortened with "..." to fit, a caption whose
// whole text is in its tooltip) is fine; any other status, in capitals, breaks a rule (ELIDED:
// a title over a figure, a number or a PCA label shortened).
#pragma once

#include <string>
#include <string_view>
#include <vector>

struct ImVec2;
struct ImGuiWindow;
struct ImDrawList;
typedef unsigned int ImU32;

namespace es::ui {

void audit_enable(bool on);
bool audit_enabled();
// Starts a frame: the records of the previous one are dropped.
void audit_new_frame();
// One text fitted by the panel: `kind` names where ("model.weights", "heatmap.row_label",
// "pca.label"), `width` is its width in pixels, `room` the width it was given (negative: no limit).
void audit_text(const char* kind, std::string_view text, float width, float room);
// The same for a text that names what a figure shows or is a number (a map's or figure's title,
// a weight count, a colour-bar tick, a column number, a PCA label): shortened with "..." it
// breaks a rule (ELIDED), where a caption so shortened is only counted ("elided").
void audit_name(const char* kind, std::string_view text, float width, float room);
// Whether a text ends in "..." (or U+2026): shortened to fit its room.
bool audit_elided(std::string_view text);
// A shape drawn (a chip, a PCA point, a curve, a legend's swatch, a figure's arrow) in `dl` over
// [min, max], its edge in `edge` and its fill in `fill` (0: none), standing on `ground` (0: the
// theme's window colour): checked as a text is for being cut by its window, and the better
// contrast of edge and fill with the ground recorded ("mark" records); under 3:1, WCAG's figure
// for graphics, it breaks a rule (FAINT).
void audit_mark(ImDrawList* dl, const char* what, const ImVec2& min, const ImVec2& max, ImU32 edge, ImU32 fill = 0,
                ImU32 ground = 0);
// Key content (`what` says which) occupying [min, max] in the current window: it must be in view,
// or its window must show the "more below" cue (see draw_scroll_cues).
void audit_key(const char* what, const ImVec2& min, const ImVec2& max);
// Key content left out for want of room (no cue can announce it).
void audit_key_missing(const char* what);
// Draws, in every window whose content continues below its bottom edge, a "more below" tag at
// that edge: on a projector nobody sees a thin scrollbar. Called once per frame, before
// ImGui::Render(); remembers the windows it marked for audit_key.
void draw_scroll_cues();
// Draws a window holding one case of each rule broken (a cut text, a cut line, two texts on each
// other, grey on grey, key content out of view), so a test can see that the audit reports them.
void draw_audit_selftest();
// The framebuffer the last frame was drawn into (RGB, rows top first), for the contrast check.
void audit_set_pixels(std::vector<unsigned char> rgb, int width, int height);
// Writes the records. Returns an error message, empty on success.
std::string audit_write(const std::string& path);

}  // namespace es::ui
