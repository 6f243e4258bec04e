// Colours shared by every view: the diverging map for signed values, the sequential map for
// positions, and one colour per distinct token id (equal ids share a colour everywhere).
#pragma once

#include <imgui.h>

#include <array>
#include <cstdint>
#include <vector>

namespace es::ui {

// 256 RGBA texels. Diverging: ColorBrewer RdBu (colour-blind safe), blue for negative, near
// white at zero, red for positive. Sequential: viridis (perceptually uniform, colour-blind safe).
const std::array<unsigned char, 256 * 4>& diverging_lut();
const std::array<unsigned char, 256 * 4>& sequential_lut();

// t in [0, 1] -> colour from the LUT.
ImU32 diverging_colour(float t, float alpha = 1.0f);
ImU32 sequential_colour(float t, float alpha = 1.0f);
// A signed value against a symmetric range [-range, range].
ImU32 value_colour(float value, float range);
// Black or white, whichever reads better on `background`.
ImU32 contrast_text(ImU32 background);
// WCAG contrast ratio of two opaque colours (1 to 21; text wants 4.5 or more).
float contrast_ratio(ImU32 a, ImU32 b);
// A colour with alpha laid over an opaque background.
ImU32 over(ImU32 colour, ImU32 background);
// `preferred` (a muted caption colour) when it reaches 4.5:1 on `background`, else moved toward
// black or white (whichever the background needs) until it does.
ImU32 readable_on(ImU32 preferred, ImU32 background);

// The colour NaN (masked) cells get: a grey hatch, so it can never be mistaken for zero.
constexpr ImU32 kNanColour = IM_COL32(120, 120, 120, 255);
// Marks for repeated tokens and the selected token.
constexpr ImU32 kSelectColour = IM_COL32(255, 255, 255, 255);

// Distinct colours for the distinct ids of a sentence, in order of first appearance
// (Okabe-Ito first, then golden-ratio hues). Index k -> colour.
// Categorical colours for the light theme (darker) or the dark one; set with the theme.
void set_categorical_theme(bool light);
ImU32 categorical_colour(int k, float alpha = 1.0f);

}  // namespace es::ui
