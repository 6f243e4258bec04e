// Small widgets shared by panels: token colours and chips, help markers, fonts.
#pragma once

#include "app_state.h"

#include <imgui.h>

#include <functional>
#include <initializer_list>
#include <string>

namespace es::ui {

// Fonts loaded by the frame: regular and large (titles, chips). Never null after start-up.
struct Fonts {
  ImFont* regular = nullptr;
  ImFont* large = nullptr;
  ImFont* mono = nullptr;
};
Fonts& fonts();

// The colour of a token id: equal ids share it everywhere in the program.
ImU32 token_colour(const AppState& state, int id, float alpha = 1.0f);
// Row label for position i: "i  text".
std::string row_label(const AppState& state, long long position);
// A token as shown on chips and labels: its text, where a character's bytes are split across
// tokens (GPT-2's byte-level BPE) that character with this token's part, "猫 (1/2)" and
// "猫 (2/2)", rather than the bytes "\xE7\x8C" and "\xAB".
std::string token_display_text(const AppState& state, int position);

// A chip for token `position`: position, id and text, in the token's colour; a repeated
// token gets a "repeat" badge. Hover shows the bytes and id; a click selects it everywhere.
// Returns its size. `large` uses the large font (Tokens view).
ImVec2 token_chip(AppState& state, int position, bool large);
// For a token holding part of a character's UTF-8 bytes (GPT-2 splits them): the character(s)
// its bytes belong to, read across its neighbours; "" for a token that is whole text.
std::string character_of_partial_token(const std::vector<std::string>& token_bytes, int position);
// Width of that chip without drawing it.
float token_chip_width(const AppState& state, int position, bool large);
// Height of a chip (every chip of a size has the same), in the current font for its caption.
float token_chip_height(bool large);

// Text the loaded font can draw: a code point with no glyph (emoji, CJK outside the loaded
// ranges) becomes "<U+1F642>", so a chip never shows a bare "?".
std::string displayable(const std::string& utf8);

// "(?)" with a tooltip.
void help_marker(const char* text);
// The controls of a scheme's parameters, from its registry entry (ParamSpec: numbers, integers,
// bases, two-way choices), each on the current line or a new one when it would be cut at the
// right edge. `id_prefix` keeps two strips apart ("##", "##col3"); fields for which `skip` says
// true are left out. Returns true when p changed; a value the scheme refuses goes to *error.
bool scheme_param_controls(SchemeParams& p, const SchemeInfo& info, const char* id_prefix, std::string* error,
                           const std::function<bool(ParamField)>& skip = {});
// Text wrapped at the region's width, in a colour.
void wrapped_text(ImU32 colour, const std::string& text);
// `text` cut at a character boundary and ended with "..." so it is at most `width` wide in the
// current font; unchanged when it fits.
std::string fit_text(const std::string& text, float width);
// The same in a given font and size.
std::string fit_text(const std::string& text, float width, const ImFont* font, float size);
// The first of `forms` (longest first: "difference of the combined rows 4 and 0", "row 4 - row 0")
// that fits `width` in the current font; the last one cut with "..." when none does.
std::string longest_fitting(std::initializer_list<std::string> forms, float width);
// The text when it fits `width` in the current font, else "..." and the longest end of it that
// fits (a path's end names the file; cut at a character boundary).
std::string fit_text_tail(const std::string& text, float width);
// The smallest size a secondary text (a map's numbers, a figure's titles) may shrink to when
// it would not fit at `em`: 0.65 of it, and at a projector's scales (em of 34 px and more) half
// of it, never under the body text of scale 1 (17 px).
float smallest_text_size(float em);
// The width of a plotted curve for the current font: 2 pixels at the body size of scale 1, and
// growing with the font (a fixed 2 pixels was a hairline on a projector at scale 2).
float curve_width();
// One line of muted text that never wraps: cut to the space left with "...", the whole text in
// a tooltip on hover (captions on short windows and in presenter mode).
void one_line_text(ImU32 colour, const std::string& text);
// A number right-aligned in the rest of the line (a table's count column), in a colour; with
// `key` it is recorded as key content for the layout audit ("weight count: token table").
void right_aligned_number(ImU32 colour, const std::string& number, const std::string& key = "");
// Bytes as hex, e.g. "20 74 68 65".
std::string hex_bytes(const std::string& bytes);
// 38597376 -> "38,597,376".
std::string thousands(long long v);

// Text colours of the current theme (set_theme): each at least 4.5:1 against the window
// background of its theme.
extern ImU32 kAccent;  // dark theme: amber; light: dark orange
extern ImU32 kWarn;    // dark: salmon; light: dark red
extern ImU32 kMuted;   // captions
extern ImU32 kText;    // ordinary text drawn by hand (ImGuiCol_Text's colour)
extern ImU32 kOk;      // the status line's good news
void set_theme_colours(bool light);
bool light_theme();  // what set_theme_colours was last told

}  // namespace es::ui
