// Characters past U+FFFF (emoji, CJK extension B, historic scripts) for Debian's ImGui 1.86,
// whose ImWchar is 16 bits and so cannot name them: each one a text on screen uses gets a
// private-use stand-in (U+E000 up), and its glyph is drawn into the font atlas by us, with
// stb_truetype, from the first Debian font that has it (Symbola for emoji, monochrome).
// Text shown on screen goes through to_stand_ins(); text the user edits comes back through
// from_stand_ins().
#pragma once

#include <imgui.h>

#include <string>

namespace es::ui {

// Records the characters past U+FFFF and shapes the Arabic and Devanagari runs in `text`; true
// when a new glyph is needed (rebuild the fonts).
bool note_astral_chars(const std::string& text);
// Before the fonts are built anew: forgets the glyphs reserved in the old atlas.
void reset_astral_glyphs();
// While the fonts are built: reserves a glyph in `font` (of `size` pixels) for every noted
// character that one of the fallback font files has.
void add_astral_glyphs(ImFont* font, float size);
// After the atlas is built and before it is uploaded: draws the reserved glyphs into it.
void draw_astral_glyphs();
// The stand-in of `cp` when it has a glyph, else 0.
ImWchar astral_stand_in(char32_t cp);
// `utf8` with each run of Arabic or Devanagari replaced by its shaped glyphs (HarfBuzz, from
// DejaVu Sans / FreeSerif: joining forms, ligatures, conjuncts, and right to left for Arabic), when
// note_astral_chars() has seen the run; otherwise unchanged. For display only, never editing.
std::string shaped_for_display(const std::string& utf8);
// `utf8` as it reads: bidi-ordered (the Unicode bidirectional algorithm, GNU FriBidi; a
// paragraph takes the direction of its first strong character) and with its Arabic and
// Devanagari runs shaped, ready to draw left to right. Empty when the text is all left to right
// with nothing to shape (ImGui's text box already shows it as it reads).
std::string bidi_display(const std::string& utf8);
// `utf8` with every character that has a stand-in replaced by it, and back.
std::string to_stand_ins(const std::string& utf8);
std::string from_stand_ins(const std::string& utf8);

}  // namespace es::ui
