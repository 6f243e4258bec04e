#include "astral_glyphs.h"

#include "unicode_text.h"

#define STB_TRUETYPE_IMPLEMENTATION
#define STBTT_STATIC
#include <stb/stb_truetype.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <vector>

namespace es::ui {

namespace {

// Fallback fonts with characters past U+FFFF, in the order they are asked.
const char* const kFontFiles[] = {"/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",
                                  "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
                                  "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"};
constexpr ImWchar kFirstStandIn = 0xE000;
constexpr int kMaxStandIns = 0x1000;  // U+E000..U+EFFF

struct FontFile {
  std::vector<unsigned char> data;
  stbtt_fontinfo info{};
  bool ok = false;
};

std::vector<FontFile>& font_files() {
  static std::vector<FontFile> files = [] {
    std::vector<FontFile> out(std::size(kFontFiles));
    for (std::size_t i = 0; i < out.size(); ++i) {
      std::ifstream in(kFontFiles[i], std::ios::binary);
      if (!in) continue;
      out[i].data.assign(std::istreambuf_iterator<char>(in), {});
      out[i].ok = !out[i].data.empty() &&
                  stbtt_InitFont(&out[i].info, out[i].data.data(), stbtt_GetFontOffsetForIndex(out[i].data.data(), 0)) != 0;
    }
    return out;
  }();
  return files;
}

struct Char {
  char32_t cp;
  int file = -1;  // the font file that has it, -1: none
};
std::vector<Char> g_chars;                 // index k has stand-in kFirstStandIn + k
std::map<char32_t, int> g_index;           // cp -> k
struct Pending {
  int rect;
  int k;
  float size;
  ImFont* font;
};
std::vector<Pending> g_pending;

char32_t decode(const std::string& s, std::size_t& i, int& len) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + static_cast<std::size_t>(len) > s.size()) len = 1;
  char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1fu) : len == 3 ? (c & 0x0fu) : (c & 0x07u);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3fu);
  return cp;
}

}  // namespace

bool note_astral_chars(const std::string& text) {
  bool added = false;
  for (std::size_t i = 0; i < text.size();) {
    int len = 1;
    const char32_t cp = decode(text, i, len);
    i += static_cast<std::size_t>(len);
    if (len != 4 || cp <= 0xFFFF || cp > 0x10FFFF || g_index.count(cp)) continue;
    if (static_cast<int>(g_chars.size()) >= kMaxStandIns) break;
    Char c{cp, -1};
    std::vector<FontFile>& files = font_files();
    for (std::size_t f = 0; f < files.size() && c.file < 0; ++f)
      if (files[f].ok && stbtt_FindGlyphIndex(&files[f].info, static_cast<int>(cp)) != 0) c.file = static_cast<int>(f);
    g_index[cp] = static_cast<int>(g_chars.size());
    g_chars.push_back(c);
    added = added || c.file >= 0;
  }
  return added;
}

void reset_astral_glyphs() { g_pending.clear(); }

void add_astral_glyphs(ImFont* font, float size) {
  if (!font) return;
  ImFontAtlas* atlas = ImGui::GetIO().Fonts;
  std::vector<FontFile>& files = font_files();
  for (std::size_t k = 0; k < g_chars.size(); ++k) {
    const Char& c = g_chars[k];
    if (c.file < 0) continue;
    const stbtt_fontinfo& info = files[static_cast<std::size_t>(c.file)].info;
    const float scale = stbtt_ScaleForPixelHeight(&info, size);
    int x0, y0, x1, y1, advance, lsb;
    stbtt_GetCodepointBitmapBox(&info, static_cast<int>(c.cp), scale, scale, &x0, &y0, &x1, &y1);
    stbtt_GetCodepointHMetrics(&info, static_cast<int>(c.cp), &advance, &lsb);
    const int w = std::max(1, x1 - x0), h = std::max(1, y1 - y0);
    // The vertical offset is fixed after the build, when the font's ascent is known.
    const int rect = atlas->AddCustomRectFontGlyph(font, static_cast<ImWchar>(kFirstStandIn + k), w, h,
                                                   std::round(static_cast<float>(advance) * scale),
                                                   ImVec2(static_cast<float>(x0), static_cast<float>(y0)));
    g_pending.push_back({rect, static_cast<int>(k), size, font});
  }
}

void draw_astral_glyphs() {
  if (g_pending.empty()) return;
  ImFontAtlas* atlas = ImGui::GetIO().Fonts;
  unsigned char* pixels = nullptr;
  int tw = 0, th = 0;
  atlas->GetTexDataAsRGBA32(&pixels, &tw, &th);  // builds the atlas when it is not built yet
  std::vector<FontFile>& files = font_files();
  std::vector<unsigned char> alpha;
  for (const Pending& p : g_pending) {
    const ImFontAtlasCustomRect* r = atlas->GetCustomRectByIndex(p.rect);
    const Char& c = g_chars[static_cast<std::size_t>(p.k)];
    const stbtt_fontinfo& info = files[static_cast<std::size_t>(c.file)].info;
    const float scale = stbtt_ScaleForPixelHeight(&info, p.size);
    alpha.assign(static_cast<std::size_t>(r->Width) * r->Height, 0);
    stbtt_MakeCodepointBitmap(&info, alpha.data(), r->Width, r->Height, r->Width, scale, scale, static_cast<int>(c.cp));
    for (int y = 0; y < r->Height; ++y)
      for (int x = 0; x < r->Width; ++x) {
        unsigned char* px = pixels + (static_cast<std::size_t>(r->Y + y) * tw + r->X + x) * 4;
        px[0] = px[1] = px[2] = 255;
        px[3] = alpha[static_cast<std::size_t>(y) * r->Width + x];
      }
    // Place the glyph on the font's baseline: ImGui measures glyph tops from the line's top.
    if (const ImFontGlyph* g = p.font->FindGlyphNoFallback(static_cast<ImWchar>(kFirstStandIn + p.k))) {
      ImFontGlyph* m = const_cast<ImFontGlyph*>(g);
      const float h = m->Y1 - m->Y0;
      m->Y0 = p.font->Ascent + r->GlyphOffset.y;
      m->Y1 = m->Y0 + h;
    }
  }
  g_pending.clear();
}

ImWchar astral_stand_in(char32_t cp) {
  const auto it = g_index.find(cp);
  if (it == g_index.end() || g_chars[static_cast<std::size_t>(it->second)].file < 0) return 0;
  return static_cast<ImWchar>(kFirstStandIn + it->second);
}

std::string to_stand_ins(const std::string& utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    int len = 1;
    const char32_t cp = decode(utf8, i, len);
    const ImWchar s = len == 4 ? astral_stand_in(cp) : 0;
    if (s) uni::append_utf8(out, s);
    else out.append(utf8, i, static_cast<std::size_t>(len));
    i += static_cast<std::size_t>(len);
  }
  return out;
}

std::string from_stand_ins(const std::string& utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    int len = 1;
    const char32_t cp = decode(utf8, i, len);
    const int k = static_cast<int>(cp) - kFirstStandIn;
    if (len == 3 && k >= 0 && k < static_cast<int>(g_chars.size()) && g_chars[static_cast<std::size_t>(k)].file >= 0)
      uni::append_utf8(out, g_chars[static_cast<std::size_t>(k)].cp);
    else
      out.append(utf8, i, static_cast<std::size_t>(len));
    i += static_cast<std::size_t>(len);
  }
  return out;
}

}  // namespace es::ui
