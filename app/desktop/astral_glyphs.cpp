#include "astral_glyphs.h"

#include "unicode_text.h"

#define STB_TRUETYPE_IMPLEMENTATION
#define STBTT_STATIC
#include <stb/stb_truetype.h>

#include <fribidi.h>
#include <hb.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

namespace es::ui {

namespace {

// Font files we draw from ourselves: for a character past U+FFFF, the first that has it; for
// shaping, DejaVu Sans (Arabic) and FreeSerif (Devanagari).
const char* const kFontFiles[] = {"/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",
                                  "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
                                  "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
                                  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"};
constexpr int kFreeSerif = 1, kDejaVu = 3;
constexpr ImWchar kFirstStandIn = 0xE000;
constexpr int kMaxStandIns = 0x1900;  // U+E000..U+F8FF, the whole private-use area of the BMP

struct FontFile {
  std::vector<unsigned char> data;
  stbtt_fontinfo info{};
  bool ok = false;
  hb_font_t* hb = nullptr;  // for shaping, made on first use
};

std::vector<FontFile>& font_files() {
  static std::vector<FontFile> files = [] {
    std::vector<FontFile> out(std::size(kFontFiles));
    for (std::size_t i = 0; i < out.size(); ++i) {
      // One sized read (a byte-at-a-time copy of the 4 MB CJK fallback font took a fifth of the
      // program's start-up).
      std::ifstream in(kFontFiles[i], std::ios::binary | std::ios::ate);
      if (!in) continue;
      const std::streamoff size = in.tellg();
      if (size <= 0) continue;
      out[i].data.resize(static_cast<std::size_t>(size));
      in.seekg(0);
      if (!in.read(reinterpret_cast<char*>(out[i].data.data()), size)) out[i].data.clear();
      out[i].ok = !out[i].data.empty() &&
                  stbtt_InitFont(&out[i].info, out[i].data.data(), stbtt_GetFontOffsetForIndex(out[i].data.data(), 0)) != 0;
    }
    return out;
  }();
  return files;
}

hb_font_t* hb_font(int file) {
  FontFile& f = font_files()[static_cast<std::size_t>(file)];
  if (!f.ok) return nullptr;
  if (!f.hb) {
    hb_blob_t* blob = hb_blob_create(reinterpret_cast<const char*>(f.data.data()), static_cast<unsigned>(f.data.size()),
                                     HB_MEMORY_MODE_READONLY, nullptr, nullptr);
    hb_face_t* face = hb_face_create(blob, 0);
    f.hb = hb_font_create(face);
    const int upem = static_cast<int>(hb_face_get_upem(face));
    hb_font_set_scale(f.hb, upem, upem);  // positions in font units
    hb_face_destroy(face);
    hb_blob_destroy(blob);
  }
  return f.hb;
}

// One glyph we draw into the atlas: a glyph of a font file, with the advance and offset it has
// where it is used (font units; shaped glyphs move with their context).
struct Glyph {
  int file, index, advance, x_off, y_off;
  auto key() const { return std::tie(file, index, advance, x_off, y_off); }
  bool operator<(const Glyph& o) const { return key() < o.key(); }
};
std::vector<Glyph> g_glyphs;          // entry k has stand-in kFirstStandIn + k
std::map<Glyph, int> g_glyph_index;
std::map<char32_t, int> g_char;       // a character past U+FFFF -> its entry, -1: no font has it
std::map<int, char32_t> g_char_of;     // and back, for the entries that have a glyph
std::map<std::string, std::string> g_shaped;  // a run of Arabic or Devanagari -> its stand-ins

struct Pending {
  int rect, k;
  float size;
  ImFont* font;
};
std::vector<Pending> g_pending;

int glyph_entry(const Glyph& g) {
  const auto it = g_glyph_index.find(g);
  if (it != g_glyph_index.end()) return it->second;
  if (static_cast<int>(g_glyphs.size()) >= kMaxStandIns) return -1;
  const int k = static_cast<int>(g_glyphs.size());
  g_glyphs.push_back(g);
  g_glyph_index[g] = k;
  return k;
}

char32_t decode(const std::string& s, std::size_t i, int& len) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + static_cast<std::size_t>(len) > s.size()) len = 1;
  char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1fu) : len == 3 ? (c & 0x0fu) : (c & 0x07u);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3fu);
  return cp;
}

bool arabic(char32_t c) {
  return (c >= 0x0600 && c <= 0x06FF) || (c >= 0x0750 && c <= 0x077F) || (c >= 0x08A0 && c <= 0x08FF) ||
         (c >= 0xFB50 && c <= 0xFDFF) || (c >= 0xFE70 && c <= 0xFEFF);
}
bool devanagari(char32_t c) { return (c >= 0x0900 && c <= 0x097F) || (c >= 0xA8E0 && c <= 0xA8FF); }
// Characters that stay inside a run: joiners, and spaces between words of the same script.
bool joins_run(char32_t c) { return c == 0x200C || c == 0x200D || c == ' '; }

// Runs of Arabic or Devanagari in `text`: [begin, end) and the script (0 Arabic, 1 Devanagari).
std::vector<std::tuple<std::size_t, std::size_t, int>> complex_runs(const std::string& text) {
  std::vector<std::tuple<std::size_t, std::size_t, int>> runs;
  int cur = -1;
  std::size_t start = 0, last_end = 0;
  for (std::size_t i = 0; i < text.size();) {
    int len = 1;
    const char32_t c = decode(text, i, len);
    const int script = arabic(c) ? 0 : devanagari(c) ? 1 : -1;
    if (script >= 0) {
      if (cur != script) {
        if (cur >= 0) runs.emplace_back(start, last_end, cur);
        cur = script;
        start = i;
      }
      last_end = i + static_cast<std::size_t>(len);
    } else if (!(cur >= 0 && joins_run(c))) {
      if (cur >= 0) runs.emplace_back(start, last_end, cur);
      cur = -1;
    }
    i += static_cast<std::size_t>(len);
  }
  if (cur >= 0) runs.emplace_back(start, last_end, cur);
  return runs;
}

// Shapes one run with HarfBuzz and registers its glyphs; the stand-ins in visual order.
std::string shape_run(const std::string& run, int script) {
  const int file = script == 0 ? kDejaVu : kFreeSerif;  // DejaVu Sans shapes Arabic, FreeSerif Devanagari
  hb_font_t* font = hb_font(file);
  if (!font) return {};
  hb_buffer_t* buf = hb_buffer_create();
  hb_buffer_add_utf8(buf, run.data(), static_cast<int>(run.size()), 0, static_cast<int>(run.size()));
  hb_buffer_set_direction(buf, script == 0 ? HB_DIRECTION_RTL : HB_DIRECTION_LTR);
  hb_buffer_set_script(buf, script == 0 ? HB_SCRIPT_ARABIC : HB_SCRIPT_DEVANAGARI);
  hb_buffer_set_language(buf, hb_language_from_string(script == 0 ? "ar" : "hi", -1));
  hb_shape(font, buf, nullptr, 0);
  unsigned n = 0;
  const hb_glyph_info_t* info = hb_buffer_get_glyph_infos(buf, &n);
  const hb_glyph_position_t* pos = hb_buffer_get_glyph_positions(buf, &n);
  std::string out;
  bool ok = true;
  for (unsigned k = 0; k < n && ok; ++k) {
    if (info[k].codepoint == 0) ok = false;  // .notdef: the font lacks a character
    const int e = glyph_entry({file, static_cast<int>(info[k].codepoint), pos[k].x_advance, pos[k].x_offset, pos[k].y_offset});
    if (e < 0) ok = false;
    else uni::append_utf8(out, static_cast<char32_t>(kFirstStandIn + e));
  }
  hb_buffer_destroy(buf);
  return ok ? out : std::string();
}

}  // namespace

bool note_astral_chars(const std::string& text) {
  const std::size_t before = g_glyphs.size();
  std::vector<FontFile>& files = font_files();
  for (std::size_t i = 0; i < text.size();) {
    int len = 1;
    const char32_t cp = decode(text, i, len);
    i += static_cast<std::size_t>(len);
    if (len != 4 || cp <= 0xFFFF || cp > 0x10FFFF || g_char.count(cp)) continue;
    int entry = -1;
    for (std::size_t f = 0; f < files.size() && entry < 0; ++f) {
      if (!files[f].ok) continue;
      const int gi = stbtt_FindGlyphIndex(&files[f].info, static_cast<int>(cp));
      if (gi == 0) continue;
      int advance = 0, lsb = 0;
      stbtt_GetGlyphHMetrics(&files[f].info, gi, &advance, &lsb);
      entry = glyph_entry({static_cast<int>(f), gi, advance, 0, 0});
    }
    g_char[cp] = entry;
    if (entry >= 0) g_char_of.emplace(entry, cp);
  }
  for (const auto& [b, e, script] : complex_runs(text)) {
    const std::string run = text.substr(b, e - b);
    if (!g_shaped.count(run)) g_shaped[run] = shape_run(run, script);
  }
  return g_glyphs.size() > before;
}

void reset_astral_glyphs() { g_pending.clear(); }

void add_astral_glyphs(ImFont* font, float size) {
  if (!font) return;
  ImFontAtlas* atlas = ImGui::GetIO().Fonts;
  std::vector<FontFile>& files = font_files();
  for (std::size_t k = 0; k < g_glyphs.size(); ++k) {
    const Glyph& g = g_glyphs[k];
    const stbtt_fontinfo& info = files[static_cast<std::size_t>(g.file)].info;
    const float scale = stbtt_ScaleForPixelHeight(&info, size);
    int x0, y0, x1, y1;
    stbtt_GetGlyphBitmapBox(&info, g.index, scale, scale, &x0, &y0, &x1, &y1);
    const int w = std::max(1, x1 - x0), h = std::max(1, y1 - y0);
    // The vertical offset is fixed after the build, when the font's ascent is known.
    const int rect = atlas->AddCustomRectFontGlyph(
        font, static_cast<ImWchar>(kFirstStandIn + k), w, h, std::round(static_cast<float>(g.advance) * scale),
        ImVec2(static_cast<float>(x0) + static_cast<float>(g.x_off) * scale,
               static_cast<float>(y0) - static_cast<float>(g.y_off) * scale));
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
    const Glyph& g = g_glyphs[static_cast<std::size_t>(p.k)];
    const stbtt_fontinfo& info = files[static_cast<std::size_t>(g.file)].info;
    const float scale = stbtt_ScaleForPixelHeight(&info, p.size);
    alpha.assign(static_cast<std::size_t>(r->Width) * r->Height, 0);
    stbtt_MakeGlyphBitmap(&info, alpha.data(), r->Width, r->Height, r->Width, scale, scale, g.index);
    for (int y = 0; y < r->Height; ++y)
      for (int x = 0; x < r->Width; ++x) {
        unsigned char* px = pixels + (static_cast<std::size_t>(r->Y + y) * tw + r->X + x) * 4;
        px[0] = px[1] = px[2] = 255;
        px[3] = alpha[static_cast<std::size_t>(y) * r->Width + x];
      }
    // Place the glyph on the font's baseline: ImGui measures glyph tops from the line's top.
    if (const ImFontGlyph* found = p.font->FindGlyphNoFallback(static_cast<ImWchar>(kFirstStandIn + p.k))) {
      ImFontGlyph* m = const_cast<ImFontGlyph*>(found);
      const float h = m->Y1 - m->Y0;
      m->Y0 = p.font->Ascent + r->GlyphOffset.y;
      m->Y1 = m->Y0 + h;
    }
  }
  g_pending.clear();
}

ImWchar astral_stand_in(char32_t cp) {
  const auto it = g_char.find(cp);
  if (it == g_char.end() || it->second < 0) return 0;
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
  // Only characters past U+FFFF come back (shaped runs are never edited).
  const std::map<int, char32_t>& back = g_char_of;
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    int len = 1;
    const char32_t cp = decode(utf8, i, len);
    const int k = static_cast<int>(cp) - kFirstStandIn;
    const auto it = len == 3 ? back.find(k) : back.end();
    if (it != back.end()) uni::append_utf8(out, it->second);
    else out.append(utf8, i, static_cast<std::size_t>(len));
    i += static_cast<std::size_t>(len);
  }
  return out;
}

std::string shaped_for_display(const std::string& utf8) {
  const auto runs = complex_runs(utf8);
  if (runs.empty()) return utf8;
  std::string out;
  std::size_t last = 0;
  for (const auto& [b, e, script] : runs) {
    out.append(utf8, last, b - last);
    const auto it = g_shaped.find(utf8.substr(b, e - b));
    if (it != g_shaped.end() && !it->second.empty()) out += it->second;
    else out.append(utf8, b, e - b);  // not shaped (yet): the characters as they are
    last = e;
  }
  out.append(utf8, last, std::string::npos);
  return out;
}

std::string bidi_display(const std::string& utf8) {
  // The characters and where each starts.
  std::vector<FriBidiChar> u;
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < utf8.size();) {
    int len = 1;
    u.push_back(decode(utf8, i, len));
    at.push_back(i);
    i += static_cast<std::size_t>(len);
  }
  at.push_back(utf8.size());
  const FriBidiStrIndex n = static_cast<FriBidiStrIndex>(u.size());
  if (n == 0) return "";
  std::vector<FriBidiCharType> types(u.size());
  fribidi_get_bidi_types(u.data(), n, types.data());
  const bool rtl = std::any_of(types.begin(), types.end(), [](FriBidiCharType t) { return FRIBIDI_IS_RTL(t); });
  if (!rtl && complex_runs(utf8).empty()) return "";  // left to right and unshaped: the box shows it right
  std::vector<FriBidiBracketType> brackets(u.size());
  fribidi_get_bracket_types(u.data(), n, types.data(), brackets.data());
  std::vector<FriBidiLevel> levels(u.size());
  FriBidiParType base = FRIBIDI_PAR_ON;  // the paragraph's direction from its first strong character
  if (!fribidi_get_par_embedding_levels_ex(types.data(), brackets.data(), n, &base, levels.data())) return shaped_for_display(utf8);
  // Runs of one level, in logical order; then the Unicode rule L2: from the highest level down
  // to the lowest odd one, every sequence of runs at that level or above is reversed.
  struct Run {
    std::size_t b, e;
    int level;
  };
  std::vector<Run> runs;
  for (std::size_t k = 0; k < u.size(); ++k)
    if (runs.empty() || runs.back().level != levels[k]) runs.push_back({k, k + 1, levels[k]});
    else runs.back().e = k + 1;
  int top = 0, lowest_odd = 1000;
  for (const Run& r : runs) {
    top = std::max(top, r.level);
    if (r.level % 2) lowest_odd = std::min(lowest_odd, r.level);
  }
  for (int l = top; l >= lowest_odd; --l)
    for (std::size_t k = 0; k < runs.size();) {
      if (runs[k].level < l) { ++k; continue; }
      std::size_t j = k;
      while (j < runs.size() && runs[j].level >= l) ++j;
      std::reverse(runs.begin() + static_cast<std::ptrdiff_t>(k), runs.begin() + static_cast<std::ptrdiff_t>(j));
      k = j;
    }
  // Each run drawn left to right: a left-to-right run as it is (Devanagari shaped); a
  // right-to-left one as its pieces in reverse order, each Arabic stretch shaped by HarfBuzz
  // (already in visual order), each other character mirrored where it has a mirror ("(" ")").
  std::string out;
  for (const Run& r : runs) {
    const std::string s = utf8.substr(at[r.b], at[r.e] - at[r.b]);
    if (r.level % 2 == 0) {
      out += shaped_for_display(s);
      continue;
    }
    std::vector<std::string> pieces;
    std::size_t i = 0;
    const auto chars_until = [&](std::size_t end) {  // one piece a character, mirrored
      while (i < end) {
        int len = 1;
        FriBidiChar c = decode(s, i, len), mirrored = c;
        if (fribidi_get_mirror_char(c, &mirrored)) c = mirrored;
        pieces.emplace_back();
        uni::append_utf8(pieces.back(), static_cast<char32_t>(c));
        i += static_cast<std::size_t>(len);
      }
    };
    for (const auto& [b, e, script] : complex_runs(s)) {
      chars_until(b);
      pieces.push_back(shaped_for_display(s.substr(b, e - b)));
      i = e;
    }
    chars_until(s.size());
    for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) out += *it;
  }
  return out;
}

}  // namespace es::ui
