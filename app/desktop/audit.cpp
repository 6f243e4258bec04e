#include "audit.h"

#include "colors.h"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <unordered_map>
#include <unordered_set>

namespace es::ui {

namespace {

struct AuditRecord {
  std::string kind, text;
  float width, room;
  bool name = false;  // audit_name: may not be shortened
};

// A text as drawn: its box, the clip rectangle it was drawn under, its colour and window.
struct AuditDrawn {
  std::string text;
  ImVec2 min, max;
  ImVec4 clip;
  ImU32 colour;
  const ImDrawList* list;
  std::string window;
  bool scrolls_x, scrolls_y, disabled, cue;
  bool mark = false;  // a shape (audit_mark), `text` naming it
  ImU32 fill = 0;     // a mark's fill (0: none), its contrast counted when better than the edge's
  ImU32 ground = 0;   // a mark's background: the theme's window colour, or the fill of the
                      // plot it is drawn on (not sampled pixels: in a cluster those are its neighbours)
};


struct AuditKey {
  std::string what;
  ImVec2 min, max;
  bool in_view;
  const ImGuiWindow* window;
};

bool g_on = false;
bool g_drawing_cue = false;
bool g_in_short_add = false;
std::vector<AuditRecord> g_records;
std::vector<AuditDrawn> g_drawn;
std::vector<AuditKey> g_keys;
std::unordered_set<const ImGuiWindow*> g_cued;
std::vector<unsigned char> g_pixels;
int g_pixels_w = 0, g_pixels_h = 0;

// The window a draw list belongs to, and whether it (or one it sits in) scrolls.
void note_window(const ImDrawList* list, AuditDrawn& d) {
  if (!list->_OwnerName) return;
  d.window = list->_OwnerName;
  if (const ImGuiWindow* w = ImGui::FindWindowByName(list->_OwnerName)) {
    // The window or one it sits in scrolls (a child cut by its scrolling parent is scrolled
    // too); a window shorter than three lines that scrolls is no place to read, and its cut
    // lines count.
    for (const ImGuiWindow* a = w; a; a = (a->Flags & ImGuiWindowFlags_ChildWindow) ? a->ParentWindow : nullptr) {
      d.scrolls_x = d.scrolls_x || a->ScrollMax.x > 0.5f;
      d.scrolls_y = d.scrolls_y || (a->ScrollMax.y > 0.5f && a->InnerRect.GetHeight() >= 3.0f * a->CalcFontSize());
    }
  }
}

void record_drawn(const ImDrawList* list, const ImFont* font, float size, const ImVec2& pos, ImU32 col,
                  const char* begin, const char* end, float wrap_width, const ImVec4* fine_clip) {
  if (!end) end = begin + std::char_traits<char>::length(begin);
  if (begin == end || (col & IM_COL32_A_MASK) == 0) return;
  if (std::all_of(begin, end, [](char c) { return c == ' ' || c == '\n'; })) return;
  if (!font) font = list->_Data->Font;
  if (size <= 0.0f) size = list->_Data->FontSize;
  if (!font || size <= 0.0f) return;
  const ImVec2 ext = font->CalcTextSizeA(size, FLT_MAX, wrap_width, begin, end);
  AuditDrawn d;
  d.text.assign(begin, end);
  d.min = pos;
  d.max = ImVec2(pos.x + ext.x, pos.y + ext.y);
  d.clip = fine_clip ? *fine_clip : list->_CmdHeader.ClipRect;
  d.colour = col;
  d.list = list;
  d.scrolls_x = d.scrolls_y = false;
  d.cue = g_drawing_cue;
  const ImGuiContext* g = GImGui;
  d.disabled = g && (g->CurrentItemFlags & ImGuiItemFlags_Disabled);
  // A text field's content scrolls sideways inside its box (a long text in the text box).
  if (g && fine_clip && (g->LastItemData.InFlags & ImGuiItemFlags_Inputable)) d.scrolls_x = true;
  note_window(list, d);
  g_drawn.push_back(std::move(d));
}

// The colour most of a box's pixels have, leaving out those near `text` (the glyphs).
bool background_under(const ImVec2& a, const ImVec2& b, ImU32 text, ImU32& out) {
  if (g_pixels.empty()) return false;
  const int x0 = std::max(0, static_cast<int>(std::floor(a.x))), x1 = std::min(g_pixels_w, static_cast<int>(std::ceil(b.x)));
  const int y0 = std::max(0, static_cast<int>(std::floor(a.y))), y1 = std::min(g_pixels_h, static_cast<int>(std::ceil(b.y)));
  if (x1 <= x0 || y1 <= y0) return false;
  const int tr = text & 0xFF, tg = (text >> 8) & 0xFF, tb = (text >> 16) & 0xFF;
  std::unordered_map<int, std::array<long, 4>> bins;  // 5 bits a channel -> count, sums
  const int step = std::max(1, static_cast<int>(std::sqrt(static_cast<double>(x1 - x0) * (y1 - y0) / 4000.0)));
  for (int y = y0; y < y1; y += step)
    for (int x = x0; x < x1; x += step) {
      const unsigned char* p = &g_pixels[(static_cast<size_t>(y) * g_pixels_w + x) * 3];
      if (std::abs(p[0] - tr) + std::abs(p[1] - tg) + std::abs(p[2] - tb) < 48) continue;
      auto& bin = bins[(p[0] >> 3) << 10 | (p[1] >> 3) << 5 | (p[2] >> 3)];
      ++bin[0];
      bin[1] += p[0];
      bin[2] += p[1];
      bin[3] += p[2];
    }
  if (bins.empty()) {  // every pixel is near the text colour: the text cannot be seen
    out = text | IM_COL32_A_MASK;
    return true;
  }
  const auto best = std::max_element(bins.begin(), bins.end(), [](const auto& l, const auto& r) { return l.second[0] < r.second[0]; });
  const long n = best->second[0];
  out = IM_COL32(best->second[1] / n, best->second[2] / n, best->second[3] / n, 255);
  return true;
}

bool audit_overlaps(const ImVec2& a0, const ImVec2& a1, const ImVec2& b0, const ImVec2& b1, float slack) {
  return std::min(a1.x, b1.x) - std::max(a0.x, b0.x) > slack && std::min(a1.y, b1.y) - std::max(a0.y, b0.y) > slack;
}

std::string audit_fmt2(float a, float b) {
  char s[64];
  std::snprintf(s, sizeof s, "%.1f\t%.1f", static_cast<double>(a), static_cast<double>(b));
  return s;
}

}  // namespace

void audit_enable(bool on) { g_on = on; }

void audit_mark(ImDrawList* dl, const char* what, const ImVec2& min, const ImVec2& max, ImU32 edge, ImU32 fill,
                ImU32 ground) {
  if (!g_on) return;
  AuditDrawn d;
  d.fill = fill;
  d.ground = (ground ? ground : ImGui::GetColorU32(ImGuiCol_WindowBg)) | IM_COL32_A_MASK;
  d.text = what;
  d.min = min;
  d.max = max;
  d.clip = dl->_CmdHeader.ClipRect;
  d.colour = edge;
  d.list = dl;
  d.scrolls_x = d.scrolls_y = d.disabled = d.cue = false;
  d.mark = true;
  note_window(dl, d);
  g_drawn.push_back(std::move(d));
}
bool audit_enabled() { return g_on; }
void audit_new_frame() {
  g_records.clear();
  g_drawn.clear();
  g_keys.clear();
  g_cued.clear();
}

void audit_text(const char* kind, std::string_view text, float width, float room) {
  // Called while drawing: nothing is copied unless the audit is on.
  if (g_on) g_records.push_back({kind, std::string(text), width, room});
}

void audit_name(const char* kind, std::string_view text, float width, float room) {
  if (g_on) g_records.push_back({kind, std::string(text), width, room, true});
}

void audit_key(const char* what, const ImVec2& min, const ImVec2& max) {
  if (!g_on) return;
  const ImGuiWindow* w = ImGui::GetCurrentWindowRead();
  const ImRect clip = w ? w->ClipRect : ImRect(0, 0, FLT_MAX, FLT_MAX);
  const bool in_view = min.x >= clip.Min.x - 1 && min.y >= clip.Min.y - 1 && max.x <= clip.Max.x + 1 && max.y <= clip.Max.y + 1;
  g_keys.push_back({what, min, max, in_view, w});
}

void audit_key_missing(const char* what) {
  if (g_on) g_keys.push_back({what, ImVec2(0, 0), ImVec2(0, 0), false, nullptr});
}

void draw_scroll_cues() {
  ImGuiContext& g = *GImGui;
  const float fs = ImGui::GetFontSize();
  for (ImGuiWindow* w : g.Windows) {
    if (!w->Active || w->Hidden || (w->Flags & (ImGuiWindowFlags_Tooltip | ImGuiWindowFlags_Popup))) continue;
    // Content continues below by more than half a line (a few pixels of overflow hide nothing).
    if (w->ScrollMax.y - w->Scroll.y < 0.6f * fs) continue;
    const ImRect r = w->InnerRect;
    // Small scrolling boxes (the text box, a list) show their own edge; a view's page does not.
    if (r.GetHeight() < 8.0f * fs || r.GetWidth() < 10.0f * fs) continue;
    const char* label = "more below";
    const ImVec2 ts = ImGui::CalcTextSize(label);
    const float pad = 0.35f * fs, tri = 0.7f * fs;
    const ImVec2 size(ts.x + tri + 3.0f * pad, ts.y + 1.2f * pad);
    // On the window's bottom edge, half below it: it covers half a line of the content it
    // announces rather than a whole one (the words column of a lesson step).
    const ImVec2 p0(std::floor(r.GetCenter().x - size.x * 0.5f), std::floor(r.Max.y - size.y * 0.5f));
    const ImVec2 p1(p0.x + size.x, p0.y + size.y);
    ImDrawList* dl = ImGui::GetForegroundDrawList();
    dl->AddRectFilled(p0, p1, ImGui::GetColorU32(ImGuiCol_PopupBg, 1.0f), size.y * 0.5f);
    dl->AddRect(p0, p1, ImGui::GetColorU32(ImGuiCol_CheckMark), size.y * 0.5f, 0, std::max(1.0f, fs / 12.0f));
    const float cy = p0.y + size.y * 0.5f, tx = p0.x + 1.2f * pad;
    dl->AddTriangleFilled(ImVec2(tx, cy - tri * 0.3f), ImVec2(tx + tri, cy - tri * 0.3f), ImVec2(tx + tri * 0.5f, cy + tri * 0.4f),
                          ImGui::GetColorU32(ImGuiCol_CheckMark));
    g_drawing_cue = true;
    dl->AddText(ImVec2(tx + tri + 0.8f * pad, p0.y + 0.6f * pad), ImGui::GetColorU32(ImGuiCol_Text), label);
    g_drawing_cue = false;
    if (g_on) g_cued.insert(w);
  }
}

void draw_audit_selftest() {
  const float fs = ImGui::GetFontSize();
  ImGui::SetNextWindowPos(ImVec2(fs, fs * 4));
  ImGui::SetNextWindowSize(ImVec2(fs * 16, fs * 9));
  ImGui::Begin("audit self-test", nullptr, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoSavedSettings);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImVec2 p = ImGui::GetCursorScreenPos();
  dl->PushClipRect(p, ImVec2(p.x + fs * 3, p.y + fs * 1.5f), true);
  dl->AddText(p, ImGui::GetColorU32(ImGuiCol_Text), "selftest-clipped: wider than its room");
  // A shape cut by the same room.
  dl->AddRectFilled(ImVec2(p.x + fs * 2, p.y), ImVec2(p.x + fs * 5, p.y + fs), ImGui::GetColorU32(ImGuiCol_Text));
  audit_mark(dl, "selftest-mark", ImVec2(p.x + fs * 2, p.y), ImVec2(p.x + fs * 5, p.y + fs), ImGui::GetColorU32(ImGuiCol_Text));
  dl->PopClipRect();
  p.y += fs * 1.5f;
  dl->AddText(p, ImGui::GetColorU32(ImGuiCol_Text), "selftest-overlap-a");
  dl->AddText(ImVec2(p.x + fs * 2, p.y + fs * 0.3f), ImGui::GetColorU32(ImGuiCol_Text), "selftest-overlap-b");
  p.y += fs * 1.8f;
  dl->AddText(p, ImGui::GetColorU32(ImGuiCol_WindowBg) ^ 0x00101010u, "selftest-contrast");
  {  // A swatch hardly lighter or darker than the window it stands on.
    const ImVec2 a(p.x + fs * 10, p.y), b(p.x + fs * 11, p.y + fs);
    dl->AddRectFilled(a, b, ImGui::GetColorU32(ImGuiCol_WindowBg) ^ 0x00101010u);
    audit_mark(dl, "selftest-faint-mark", a, b, ImGui::GetColorU32(ImGuiCol_WindowBg) ^ 0x00101010u);
  }
  ImGui::SetCursorScreenPos(ImVec2(p.x, p.y + fs * 1.5f));
  ImGui::BeginChild("cut", ImVec2(fs * 12, fs * 1.6f), false, ImGuiWindowFlags_NoScrollbar);
  ImGui::TextUnformatted("selftest-line-1");
  ImGui::TextUnformatted("selftest-cut-line");
  ImGui::EndChild();
  const ImVec2 below(p.x, p.y + fs * 20);
  audit_key("selftest-key", below, ImVec2(below.x + fs, below.y + fs));
  // A figure's title shortened to fit (ELIDED), and a caption shortened (elided: allowed).
  audit_name("heatmap.title", "selftest-elided-tit...", fs * 5, fs * 6);
  audit_text("caption", "selftest-elided-caption...", fs * 5, fs * 6);
  ImGui::End();
}

void audit_set_pixels(std::vector<unsigned char> rgb, int width, int height) {
  g_pixels = std::move(rgb);
  g_pixels_w = width;
  g_pixels_h = height;
}

bool audit_elided(std::string_view text) {
  const auto ends = [&](std::string_view tail) {
    return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
  };
  return ends("...") || ends("\xE2\x80\xA6");  // "..." or U+2026
}


std::string audit_write(const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return "cannot write the audit file " + path;
  for (const AuditRecord& r : g_records) {
    // Half a pixel of slack: text measured and placed in floats.
    const bool fits = r.room < 0 || r.width <= r.room + 0.5f;
    // A text shortened to fit ("...") is counted ("elided"); where it names what a figure shows
    // or is a number, the shortening breaks a rule: "Tra..." over a map, "597,376" for a count.
    const char* status = !fits ? "CLIPPED" : !audit_elided(r.text) ? "fits" : r.name ? "ELIDED" : "elided";
    out << r.kind << '\t' << status << '\t' << audit_fmt2(r.width, r.room) << '\t' << r.text << '\n';
  }
  // AuditKey content: in view, announced by the window's "more below" cue, or lost.
  for (const AuditKey& k : g_keys) {
    bool cued = false;
    for (const ImGuiWindow* w = k.window; w && !cued; w = w->ParentWindow) cued = g_cued.count(w) > 0;
    const char* status = k.in_view ? "fits" : cued ? "announced" : "OUT_OF_VIEW";
    out << "key\t" << status << '\t' << audit_fmt2(k.max.x - k.min.x, k.max.y - k.min.y) << "\tat=" << k.min.x << ',' << k.min.y
        << '\t' << k.what << '\n';
  }
  // Every drawn text. The visible part of each, for the overlap and contrast checks.
  const float W = g_pixels_w ? static_cast<float>(g_pixels_w) : FLT_MAX, H = g_pixels_h ? static_cast<float>(g_pixels_h) : FLT_MAX;
  std::vector<ImVec2> vis0(g_drawn.size()), vis1(g_drawn.size());
  std::vector<char> visible(g_drawn.size());
  for (size_t i = 0; i < g_drawn.size(); ++i) {
    const AuditDrawn& d = g_drawn[i];
    vis0[i] = ImVec2(std::max({d.min.x, d.clip.x, 0.0f}), std::max({d.min.y, d.clip.y, 0.0f}));
    vis1[i] = ImVec2(std::min({d.max.x, d.clip.z, W}), std::min({d.max.y, d.clip.w, H}));
    visible[i] = vis1[i].x - vis0[i].x > 1.0f && vis1[i].y - vis0[i].y > 1.0f;
  }
  size_t hidden = 0;
  for (size_t i = 0; i < g_drawn.size(); ++i) {
    const AuditDrawn& d = g_drawn[i];
    if (!visible[i]) {
      ++hidden;
      continue;
    }
    const float room_x = std::min(d.clip.z, W) - std::max(d.clip.x, 0.0f);
    const bool cut_x = d.min.x < std::max(d.clip.x, 0.0f) - 1.0f || d.max.x > std::min(d.clip.z, W) + 1.0f;
    const bool cut_y = d.min.y < std::max(d.clip.y, 0.0f) - 1.0f || d.max.y > std::min(d.clip.w, H) + 1.0f;
    std::string status = "fits";
    if (cut_x) status = d.scrolls_x ? "scrolled" : "CLIPPED";
    else if (cut_y) status = d.scrolls_y ? "scrolled" : "CUT";
    if (d.mark) {
      // A shape: cut by its window as a text would be; the better contrast of its edge and
      // fill with what it stands on under 3:1 (WCAG's figure for graphics) breaks a rule: a
      // curve, a swatch or a point the back row cannot tell from the background.
      char extra[64];
      float ratio = contrast_ratio(over(d.colour, d.ground), d.ground);
      if (d.fill) ratio = std::max(ratio, contrast_ratio(over(d.fill, d.ground), d.ground));
      std::snprintf(extra, sizeof extra, "contrast=%.2f", static_cast<double>(ratio));
      if (status == "fits" && ratio < 3.0f) status = "FAINT";
      out << "mark\t" << status << '\t' << audit_fmt2(d.max.x - d.min.x, room_x) << "\tat=" << static_cast<int>(d.min.x) << ','
          << static_cast<int>(d.min.y) << '\t' << extra << "\twindow=" << d.window << '\t' << d.text << '\n';
      continue;
    }
    std::string with;
    if (status == "fits" && !d.cue) {
      for (size_t j = 0; j < g_drawn.size(); ++j) {
        const AuditDrawn& o = g_drawn[j];
        if (j == i || !visible[j] || o.list != d.list || o.cue || o.mark) continue;
        // The same text drawn twice a pixel or two apart is an outline, not two texts.
        if (o.text == d.text && std::fabs(o.min.x - d.min.x) <= 2.0f && std::fabs(o.min.y - d.min.y) <= 2.0f) continue;
        if (audit_overlaps(vis0[i], vis1[i], vis0[j], vis1[j], 1.0f)) {
          status = "OVERLAP";
          with = o.text.substr(0, 40);
          break;
        }
      }
    }
    char extra[96] = "";
    ImU32 bg = 0;
    if (background_under(vis0[i], vis1[i], d.colour, bg)) {
      const float ratio = contrast_ratio(over(d.colour, bg), bg);
      std::snprintf(extra, sizeof extra, "contrast=%.2f", static_cast<double>(ratio));
      if (status == "fits" && ratio < 4.45f && !d.disabled) status = "CONTRAST";
    }
    out << "drawn\t" << status << '\t' << audit_fmt2(d.max.x - d.min.x, room_x) << "\tat=" << static_cast<int>(d.min.x) << ','
        << static_cast<int>(d.min.y) << '\t' << (extra[0] ? extra : "contrast=?") << "\twindow=" << d.window;
    if (!with.empty()) out << "\twith=" << with;
    out << '\t' << d.text << '\n';
  }
  out << "summary\tfits\t" << g_drawn.size() << '\t' << hidden << "\tdrawn texts, of which out of their clip rectangle\n";
  return out.good() ? std::string() : "cannot write the audit file " + path;
}

}  // namespace es::ui

// The link step routes ImDrawList::AddText (both overloads, from ImGui's widgets and from ours)
// through these (app/CMakeLists.txt: --wrap), so the audit sees every text drawn.
extern "C" {
void __real__ZN10ImDrawList7AddTextERK6ImVec2jPKcS4_(ImDrawList*, const ImVec2&, ImU32, const char*, const char*);
void __real__ZN10ImDrawList7AddTextEPK6ImFontfRK6ImVec2jPKcS7_fPK6ImVec4(ImDrawList*, const ImFont*, float, const ImVec2&,
                                                                          ImU32, const char*, const char*, float, const ImVec4*);

void __wrap__ZN10ImDrawList7AddTextERK6ImVec2jPKcS4_(ImDrawList* self, const ImVec2& pos, ImU32 col, const char* begin,
                                                     const char* end) {
  if (es::ui::g_on) es::ui::record_drawn(self, nullptr, 0.0f, pos, col, begin, end, 0.0f, nullptr);
  // The short overload calls the long one, which may be wrapped too: record once.
  es::ui::g_in_short_add = true;
  __real__ZN10ImDrawList7AddTextERK6ImVec2jPKcS4_(self, pos, col, begin, end);
  es::ui::g_in_short_add = false;
}

void __wrap__ZN10ImDrawList7AddTextEPK6ImFontfRK6ImVec2jPKcS7_fPK6ImVec4(ImDrawList* self, const ImFont* font, float size,
                                                                          const ImVec2& pos, ImU32 col, const char* begin,
                                                                          const char* end, float wrap_width,
                                                                          const ImVec4* fine_clip) {
  if (es::ui::g_on && !es::ui::g_in_short_add) es::ui::record_drawn(self, font, size, pos, col, begin, end, wrap_width, fine_clip);
  __real__ZN10ImDrawList7AddTextEPK6ImFontfRK6ImVec2jPKcS7_fPK6ImVec4(self, font, size, pos, col, begin, end, wrap_width, fine_clip);
}
}
