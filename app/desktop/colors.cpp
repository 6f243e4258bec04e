#include "colors.h"

#include "assets.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace es::ui {

namespace {

using Lut = std::array<unsigned char, 256 * 4>;

// Piecewise-linear interpolation between evenly spaced anchors (0xRRGGBB).
Lut build_lut(const std::vector<unsigned>& anchors) {
  Lut lut{};
  const int n = static_cast<int>(anchors.size());
  for (int i = 0; i < 256; ++i) {
    float x = i / 255.0f * (n - 1);
    int a = std::min(static_cast<int>(x), n - 2);
    float f = x - a;
    for (int c = 0; c < 3; ++c) {
      int shift = 16 - 8 * c;
      float va = (anchors[a] >> shift) & 0xff, vb = (anchors[a + 1] >> shift) & 0xff;
      lut[i * 4 + c] = static_cast<unsigned char>(std::lround(va + (vb - va) * f));
    }
    lut[i * 4 + 3] = 255;
  }
  return lut;
}

ImU32 lut_colour(const Lut& lut, float t, float alpha) {
  if (!std::isfinite(t)) return kNanColour;
  int i = std::clamp(static_cast<int>(std::lround(t * 255.0f)), 0, 255);
  return IM_COL32(lut[i * 4], lut[i * 4 + 1], lut[i * 4 + 2],
                  static_cast<int>(std::clamp(alpha, 0.0f, 1.0f) * 255));
}

// The stops of one colour map of assets/colormaps.json, as 0xRRGGBB. The asset is part of the
// build, so a missing or broken one is a build mistake: it aborts loudly rather than drawing
// in the wrong colours.
std::vector<unsigned> colormap_stops(const char* name) {
  const nlohmann::json j = nlohmann::json::parse(embedded_asset("colormaps.json"));
  std::vector<unsigned> out;
  for (const auto& s : j.at(name).at("stops")) out.push_back(static_cast<unsigned>(std::stoul(s.get<std::string>(), nullptr, 16)));
  if (out.size() < 2) throw std::runtime_error(std::string("assets/colormaps.json: '") + name + "' needs 2 stops");
  return out;
}

}  // namespace

const Lut& diverging_lut() {
  // ColorBrewer RdBu, 11 classes, reversed so that negative is blue.
  static const Lut lut = build_lut(colormap_stops("diverging"));
  return lut;
}

const Lut& sequential_lut() {
  // viridis at 10 evenly spaced stops.
  static const Lut lut = build_lut(colormap_stops("sequential"));
  return lut;
}

ImU32 diverging_colour(float t, float alpha) { return lut_colour(diverging_lut(), t, alpha); }
ImU32 sequential_colour(float t, float alpha) { return lut_colour(sequential_lut(), t, alpha); }

ImU32 value_colour(float value, float range) {
  if (!std::isfinite(value)) return kNanColour;
  float r = range > 0 ? range : 1.0f;
  return diverging_colour(0.5f + 0.5f * std::clamp(value / r, -1.0f, 1.0f));
}

namespace {
bool g_light_categories = false;
float channel(ImU32 c, int shift) {
  const float v = static_cast<float>((c >> shift) & 0xff) / 255.0f;
  return v <= 0.04045f ? v / 12.92f : std::pow((v + 0.055f) / 1.055f, 2.4f);
}
float relative_luminance(ImU32 c) {
  return 0.2126f * channel(c, IM_COL32_R_SHIFT) + 0.7152f * channel(c, IM_COL32_G_SHIFT) + 0.0722f * channel(c, IM_COL32_B_SHIFT);
}
}  // namespace

float contrast_ratio(ImU32 a, ImU32 b) {
  const float la = relative_luminance(a), lb = relative_luminance(b);
  return (std::max(la, lb) + 0.05f) / (std::min(la, lb) + 0.05f);
}

// Whichever of black and white has the larger WCAG ratio on `bg` (the two cross at relative
// luminance 0.179; a threshold on gamma-encoded luma put white on mid reds and greys at 4:1).
ImU32 contrast_text(ImU32 bg) {
  const ImU32 black = IM_COL32(0, 0, 0, 255), white = IM_COL32(255, 255, 255, 255);
  return contrast_ratio(black, bg) >= contrast_ratio(white, bg) ? black : white;
}

ImU32 over(ImU32 c, ImU32 bg) {
  const float a = static_cast<float>((c >> IM_COL32_A_SHIFT) & 0xff) / 255.0f;
  auto mix = [&](int shift) {
    const float f = static_cast<float>((c >> shift) & 0xff), g = static_cast<float>((bg >> shift) & 0xff);
    return static_cast<ImU32>(std::lround(a * f + (1 - a) * g));
  };
  return (mix(IM_COL32_R_SHIFT) << IM_COL32_R_SHIFT) | (mix(IM_COL32_G_SHIFT) << IM_COL32_G_SHIFT) |
         (mix(IM_COL32_B_SHIFT) << IM_COL32_B_SHIFT) | (0xffu << IM_COL32_A_SHIFT);
}

ImU32 readable_on(ImU32 preferred, ImU32 bg) {
  const ImU32 target = contrast_text(bg);
  ImU32 c = preferred | (0xffu << IM_COL32_A_SHIFT);
  for (int step = 1; step <= 8 && contrast_ratio(c, bg) < 4.5f; ++step) {
    const ImU32 toward = (target & 0x00ffffffu) | (static_cast<ImU32>(32 * step - 1) << IM_COL32_A_SHIFT);
    c = over(toward, preferred | (0xffu << IM_COL32_A_SHIFT));
  }
  return c;
}

void set_categorical_theme(bool light) { g_light_categories = light; }

namespace {
// Category colours label rows and chips as text: each reaches 4.5:1 on the theme's background
// (Okabe-Ito's yellow, darkened for white, was still 3.9:1 on the light theme's grey).
ImU32 readable_hue(ImU32 c, int alpha) {
  const ImU32 bg = g_light_categories ? IM_COL32(245, 245, 245, 255) : IM_COL32(26, 28, 33, 255);
  return (readable_on(c, bg) & 0x00ffffffu) | (static_cast<ImU32>(alpha) << IM_COL32_A_SHIFT);
}
}  // namespace

ImU32 categorical_colour(int k, float alpha) {
  // Okabe-Ito without black: 8 hues told apart with every common colour-vision deficiency.
  // The next 8 ids get the same hues at another lightness (lightness is seen by everyone), so
  // 16 distinct ids in a text get 16 distinct colours; past that, hues on the golden angle
  // (distinct, but no longer guaranteed for colour-blind eyes). On the light theme every colour
  // is darkened so labels written in it keep their contrast on white, and lightened a little on the
  // dark one.
  static const std::vector<unsigned> kOkabeIto = colormap_stops("categorical");
  int a = static_cast<int>(std::clamp(alpha, 0.0f, 1.0f) * 255);
  const int n = static_cast<int>(kOkabeIto.size());
  if (k >= 0 && k < 2 * n) {
    const unsigned c = kOkabeIto[static_cast<std::size_t>(k % n)];
    float rgb[3] = {((c >> 16) & 0xff) / 255.0f, ((c >> 8) & 0xff) / 255.0f, (c & 0xff) / 255.0f};
    const bool second = k >= n;
    for (float& v : rgb) {
      if (g_light_categories)
        v *= second ? 0.8f : 0.55f;      // towards black: darker for the first tier on white
      else
        v = v + (1.0f - v) * (second ? 0.55f : 0.25f);  // towards white: Okabe-Ito's blue as text
                                                         // was 3.3:1 on the dark background, now 5.2:1
    }
    return readable_hue(IM_COL32(static_cast<int>(rgb[0] * 255), static_cast<int>(rgb[1] * 255), static_cast<int>(rgb[2] * 255), 255), a);
  }
  float h = std::fmod(0.13f + 0.618034f * static_cast<float>(k), 1.0f);
  float r, g, b;
  ImGui::ColorConvertHSVtoRGB(h, 0.55f, g_light_categories ? 0.5f : 0.95f, r, g, b);
  return readable_hue(IM_COL32(static_cast<int>(r * 255), static_cast<int>(g * 255), static_cast<int>(b * 255), 255), a);
}

}  // namespace es::ui
