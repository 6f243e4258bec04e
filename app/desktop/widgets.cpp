#include "widgets.h"

#include "astral_glyphs.h"
#include "audit.h"

#include "colors.h"

#include <algorithm>
#include <cfloat>
#include <cstdio>

namespace es::ui {

ImU32 kAccent = IM_COL32(255, 200, 60, 255);
ImU32 kWarn = IM_COL32(255, 120, 100, 255);
ImU32 kMuted = IM_COL32(170, 170, 170, 255);
ImU32 kText = IM_COL32(235, 235, 235, 255);
ImU32 kOk = IM_COL32(200, 230, 200, 255);

namespace {
bool g_light_theme = false;
}

bool light_theme() { return g_light_theme; }

void set_theme_colours(bool light) {
  g_light_theme = light;
  // Contrast on the light background (0.96 grey): 5.0 (accent), 6.3 (warn), 5.7 (muted) : 1.
  kAccent = light ? IM_COL32(166, 84, 0, 255) : IM_COL32(255, 200, 60, 255);
  kWarn = light ? IM_COL32(178, 34, 34, 255) : IM_COL32(255, 120, 100, 255);
  kMuted = light ? IM_COL32(96, 96, 96, 255) : IM_COL32(170, 170, 170, 255);
  kText = light ? IM_COL32(20, 20, 20, 255) : IM_COL32(235, 235, 235, 255);
  kOk = light ? IM_COL32(20, 110, 40, 255) : IM_COL32(200, 230, 200, 255);
  set_categorical_theme(light);
}


Fonts& fonts() {
  static Fonts f;
  return f;
}

ImU32 token_colour(const AppState& state, int id, float alpha) {
  return categorical_colour(state.colour_slot(id), alpha);
}


std::string row_label(const AppState& state, long long position) {
  const auto& texts = state.token_texts();
  if (position < 0 || position >= static_cast<long long>(texts.size())) return std::to_string(position);
  return std::to_string(position) + "  " + token_display_text(state, static_cast<int>(position));
}

std::string token_display_text(const AppState& state, int position) {
  const std::vector<std::string>& tokens = state.token_bytes();
  if (position < 0 || position >= static_cast<int>(tokens.size()) ||
      character_of_partial_token(tokens, position).empty())
    return displayable(state.token_texts()[static_cast<size_t>(position)]);
  // Byte ranges of the neighbouring tokens in one string.
  const int a = std::max(0, position - 4), b = std::min(static_cast<int>(tokens.size()), position + 5);
  std::string all;
  std::vector<std::size_t> begin;
  for (int i = a; i < b; ++i) {
    begin.push_back(all.size());
    all += tokens[static_cast<std::size_t>(i)];
  }
  begin.push_back(all.size());
  const std::size_t s = begin[static_cast<std::size_t>(position - a)], e = begin[static_cast<std::size_t>(position - a + 1)];
  auto seq_len = [](unsigned char c) { return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0; };
  // Each character overlapping this token: whole inside it, as itself; split across tokens, as
  // the character with this token's part of it, "(1/2)" (GPT-2 gives 猫 two tokens).
  std::string out;
  for (std::size_t k = 0; k < all.size();) {
    const int n = seq_len(static_cast<unsigned char>(all[k]));
    const std::size_t len = n == 0 || k + static_cast<std::size_t>(n) > all.size() ? 1 : static_cast<std::size_t>(n);
    if (k + len > s && k < e) {
      const std::string ch = all.substr(k, len);
      if (k >= s && k + len <= e) {
        out += displayable(visible_token_text(ch));
      } else {
        int part = 0, parts = 0;
        for (int i = a; i < b; ++i) {
          const std::size_t ts = begin[static_cast<std::size_t>(i - a)], te = begin[static_cast<std::size_t>(i - a + 1)];
          if (ts < k + len && te > k && te > ts) {
            ++parts;
            if (i == position) part = parts;
          }
        }
        out += (n > 1 ? displayable(ch) : displayable(visible_token_text(ch))) + " (" + std::to_string(part) + "/" +
               std::to_string(parts) + ")";
      }
    }
    k += len;
  }
  return out;
}

std::string displayable(const std::string& text) {
  ImFont* font = fonts().regular;
  // Arabic and Devanagari runs become their shaped glyphs (stand-ins in the private-use area).
  const std::string utf8 = shaped_for_display(text);
  std::string out;
  const char* p = utf8.c_str();
  const char* end = p + utf8.size();
  while (p < end) {
    // UTF-8 decoding by hand: ImGui 1.86's decoder folds everything above U+FFFF into U+FFFD.
    const unsigned char c = static_cast<unsigned char>(*p);
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (end - p < n) n = 1;
    unsigned int cp = n == 1 ? c : n == 2 ? (c & 0x1fu) : n == 3 ? (c & 0x0fu) : (c & 0x07u);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(p[k]) & 0x3fu);
    // ImGui 1.86 stores glyphs as 16-bit ImWchar: anything above U+FFFF cannot be drawn.
    bool ok = cp < 0x80 || (cp <= 0xFFFF && font && font->FindGlyphNoFallback(static_cast<ImWchar>(cp)));
    // Past U+FFFF: the private-use stand-in whose glyph astral_glyphs.cpp drew, when it has one.
    const ImWchar stand_in = cp > 0xFFFF ? astral_stand_in(cp) : 0;
    if (stand_in && font && font->FindGlyphNoFallback(stand_in)) {
      out += to_stand_ins(std::string(p, static_cast<size_t>(n)));
    } else if (ok) {
      out.append(p, static_cast<size_t>(n));
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "<U+%04X>", cp);
      out += buf;
    }
    p += n;
  }
  return out;
}

namespace {

struct ChipText {
  std::string top, text;
};

ChipText chip_text(const AppState& state, int position) {
  ChipText t;
  const int id = state.ids()[static_cast<size_t>(position)];
  t.top = "pos " + std::to_string(position) + " · id " + std::to_string(id);
  if (const Tokenizer* tok = state.model().tokenizer().get(); tok && tok->is_special(id)) t.top += " · special";
  t.text = token_display_text(state, position);
  return t;
}

}  // namespace

float token_chip_width(const AppState& state, int position, bool large) {
  ChipText t = chip_text(state, position);
  ImFont* f = large ? fonts().large : fonts().regular;
  float tw = f->CalcTextSizeA(f->FontSize, FLT_MAX, 0, t.text.c_str()).x;
  float sw = ImGui::CalcTextSize(t.top.c_str()).x;
  return std::max(tw, sw) + (state.repeat_group_of(position) >= 0 ? 30.0f : 16.0f);
}

std::string character_of_partial_token(const std::vector<std::string>& tokens, int position) {
  // The bytes of the tokens around `position`, and where this token's bytes start in them.
  const int a = std::max(0, position - 4), b = std::min(static_cast<int>(tokens.size()), position + 5);
  std::string all;
  std::size_t start = 0;
  for (int i = a; i < b; ++i) {
    if (i == position) start = all.size();
    all += tokens[static_cast<std::size_t>(i)];
  }
  const std::string& own = tokens[static_cast<std::size_t>(position)];
  if (own.empty()) return "";
  // A token that is whole UTF-8 on its own is no part of anything.
  auto seq_len = [](unsigned char c) { return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0; };
  bool whole = true;
  for (std::size_t k = 0; k < own.size() && whole;) {
    const int n = seq_len(static_cast<unsigned char>(own[k]));
    if (n == 0 || k + static_cast<std::size_t>(n) > own.size()) whole = false;
    for (int q = 1; whole && q < n; ++q) whole = (static_cast<unsigned char>(own[k + static_cast<std::size_t>(q)]) >> 6) == 2;
    k += static_cast<std::size_t>(std::max(n, 1));
  }
  if (whole) return "";
  // Walk the characters of the neighbourhood; report those overlapping this token's bytes.
  std::string out;
  for (std::size_t k = 0; k < all.size();) {
    const int n = seq_len(static_cast<unsigned char>(all[k]));
    const std::size_t len = n == 0 ? 1 : static_cast<std::size_t>(n);
    if (k < start + own.size() && k + len > start && n > 1 && k + len <= all.size()) out += all.substr(k, len);
    k += len;
  }
  return out;
}

float token_chip_height(bool large) {
  return ImGui::GetTextLineHeight() + (large ? fonts().large : fonts().regular)->FontSize + 14.0f;
}

ImVec2 token_chip(AppState& state, int position, bool large) {
  ChipText t = chip_text(state, position);
  ImFont* f = large ? fonts().large : fonts().regular;
  const float line = ImGui::GetTextLineHeight();
  const float w = token_chip_width(state, position, large);
  const float h = token_chip_height(large);
  const int id = state.ids()[static_cast<size_t>(position)];
  ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::PushID(position);
  ImGui::InvisibleButton("chip", ImVec2(w, h));
  bool hovered = ImGui::IsItemHovered();
  if (ImGui::IsItemClicked()) state.selected_position = state.selected_position == position ? -1 : position;
  if (!ImGui::IsItemVisible()) {  // scrolled out of view (a 1000-token text): nothing to draw
    ImGui::PopID();
    return ImVec2(w, h);
  }
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImU32 col = token_colour(state, id);
  const ImU32 fill = token_colour(state, id, hovered ? 0.45f : 0.28f);
  dl->AddRectFilled(p, ImVec2(p.x + w, p.y + h), fill, 6.0f);
  // The caption's muted colour, darkened (light theme) or lightened until it reads at 4.5:1 on
  // the chip's tint.
  const ImU32 caption = readable_on(kMuted, over(fill, ImGui::GetColorU32(ImGuiCol_WindowBg) | (0xffu << IM_COL32_A_SHIFT)));
  float border = state.selected_position == position ? 3.0f : 1.5f;
  dl->AddRect(p, ImVec2(p.x + w, p.y + h), state.selected_position == position ? kSelectColour : col, 6.0f, 0, border);
  audit_mark(dl, "tokens.chip", p, ImVec2(p.x + w, p.y + h), state.selected_position == position ? kSelectColour : col);
  dl->AddText(ImVec2(p.x + 8, p.y + 4), caption, t.top.c_str());
  audit_text("tokens.chip", t.text, f->CalcTextSizeA(f->FontSize, FLT_MAX, 0, t.text.c_str()).x, w - 8);
  dl->AddText(f, f->FontSize, ImVec2(p.x + 8, p.y + 6 + line), kText, t.text.c_str());
  int group = state.repeat_group_of(position);
  if (group >= 0) {
    // A repeated token: a badge in its colour at the top-right corner.
    dl->AddCircleFilled(ImVec2(p.x + w - 7, p.y + 7), 5.0f, col);
    dl->AddCircle(ImVec2(p.x + w - 7, p.y + 7), 5.0f, IM_COL32_WHITE);
  }
  if (hovered) {
    ImGui::BeginTooltip();
    ImGui::Text("position %d, token id %d", position, id);
    ImGui::Text("text: %s", t.text.c_str());
    ImGui::Text("bytes: %s", hex_bytes(state.token_bytes()[static_cast<size_t>(position)]).c_str());
    if (const std::string whole = character_of_partial_token(state.token_bytes(), position); !whole.empty())
      ImGui::Text("part of the character %s (its bytes are split across tokens)", displayable(whole).c_str());
    if (const Tokenizer* tok = state.model().tokenizer().get(); tok && tok->is_special(id))
      ImGui::TextUnformatted("a special token: the model adds or reserves it; it stands for no text");
    if (group >= 0) {
      std::string where;
      for (int q : state.repeats()[static_cast<size_t>(group)].positions) where += " " + std::to_string(q);
      ImGui::Text("repeated token: also at positions%s", where.c_str());
    }
    ImGui::TextDisabled("click to select it in every view");
    ImGui::EndTooltip();
  }
  ImGui::PopID();
  return ImVec2(w, h);
}

void help_marker(const char* text) {
  ImGui::TextDisabled("(?)");
  if (ImGui::IsItemHovered()) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
  }
}

float smallest_text_size(float em) { return std::min(0.65f * em, std::max(0.5f * em, 17.0f)); }

float curve_width() { return std::max(2.0f, 0.12f * ImGui::GetFontSize()); }

std::string fit_text_tail(const std::string& text, float width) {
  const auto text_w = [](const char* b) { return ImGui::CalcTextSize(b).x; };
  if (text_w(text.c_str()) <= width) return text;
  const float room = width - text_w("...");
  // The earliest start (at a character start) whose suffix fits: suffixes only shrink as the
  // start moves right, so a binary search, as fit_text's (it runs every frame for the Model box).
  std::size_t lo = 0, hi = text.size();  // the answer lies in (lo, hi]
  while (hi - lo > 1) {
    std::size_t mid = lo + (hi - lo) / 2;
    while (mid < hi && (static_cast<unsigned char>(text[mid]) & 0xC0) == 0x80) ++mid;
    if (mid >= hi) break;
    if (text_w(text.c_str() + mid) <= room) hi = mid;
    else lo = mid;
  }
  while (hi < text.size() && (static_cast<unsigned char>(text[hi]) & 0xC0) == 0x80) ++hi;
  return "..." + text.substr(hi);
}

std::string fit_text(const std::string& text, float width) { return fit_text(text, width, ImGui::GetFont(), ImGui::GetFontSize()); }

std::string fit_text(const std::string& text, float width, const ImFont* font, float size) {
  const auto text_w = [&](const char* b, const char* e = nullptr) { return font->CalcTextSizeA(size, FLT_MAX, 0.0f, b, e).x; };
  if (text_w(text.c_str()) <= width) return text;
  const float dots = text_w("...");
  std::size_t lo = 0, hi = text.size();  // the longest prefix (at a character start) that fits
  while (lo < hi) {
    std::size_t mid = (lo + hi + 1) / 2;
    while (mid > 0 && mid < text.size() && (static_cast<unsigned char>(text[mid]) & 0xC0) == 0x80) --mid;
    if (mid <= lo) break;
    if (text_w(text.c_str(), text.c_str() + mid) + dots <= width)
      lo = mid;
    else
      hi = mid - 1;
  }
  while (lo > 0 && lo < text.size() && (static_cast<unsigned char>(text[lo]) & 0xC0) == 0x80) --lo;
  return text.substr(0, lo) + "...";
}

std::string longest_fitting(std::initializer_list<std::string> forms, float width) {
  for (const std::string& f : forms)
    if (ImGui::CalcTextSize(f.c_str()).x <= width) return f;
  return forms.size() ? fit_text(*(forms.end() - 1), width) : std::string();
}

void right_aligned_number(ImU32 colour, const std::string& number, const std::string& key) {
  const float pad = ImGui::GetContentRegionAvail().x - ImGui::CalcTextSize(number.c_str()).x;
  if (pad > 0) ImGui::SetCursorPosX(ImGui::GetCursorPosX() + pad);
  ImGui::TextColored(ImColor(colour), "%s", number.c_str());
  if (!key.empty()) audit_key(key.c_str(), ImGui::GetItemRectMin(), ImGui::GetItemRectMax());
}

void one_line_text(ImU32 colour, const std::string& text) {
  const float room = ImGui::GetContentRegionAvail().x;
  const std::string shown = fit_text(text, room);
  audit_text("caption", shown, ImGui::CalcTextSize(shown.c_str()).x, room);
  ImGui::PushStyleColor(ImGuiCol_Text, colour);
  ImGui::TextUnformatted(shown.c_str());
  ImGui::PopStyleColor();
  if (shown != text && ImGui::IsItemHovered()) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 35);
    ImGui::TextUnformatted(text.c_str());
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
  }
}

void wrapped_text(ImU32 colour, const std::string& text) {
  ImGui::PushStyleColor(ImGuiCol_Text, colour);
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextUnformatted(text.c_str());
  ImGui::PopTextWrapPos();
  ImGui::PopStyleColor();
}

std::string hex_bytes(const std::string& bytes) {
  std::string out;
  char buf[4];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    if (!out.empty()) out += ' ';
    out += buf;
  }
  return out;
}

std::string thousands(long long v) { return grouped_number(v); }

bool scheme_param_controls(SchemeParams& p, const SchemeInfo& info, const char* id_prefix, std::string* error,
                           const std::function<bool(ParamField)>& skip) {
  // Every control comes from the scheme registry: a new scheme brings its own parameters.
  const float em = ImGui::GetFontSize();
  bool changed = false;
  for (const ParamSpec& spec : info.params) {
    if (skip && skip(spec.field)) continue;
    // A control that would be cut at the right edge (projector scales) starts a new line.
    const float widget = em * (spec.choices[0] ? 8.0f : spec.integer ? 6.0f : spec.log_scale ? 7.0f : 6.0f);
    const float need = ImGui::CalcTextSize(spec.label).x + ImGui::GetStyle().ItemSpacing.x * 2 + widget;
    ImGui::SameLine();
    if (ImGui::GetCursorScreenPos().x + need > ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) {
      ImGui::NewLine();
      ImGui::AlignTextToFramePadding();
    }
    const std::string id = std::string(id_prefix) + spec.cli;
    double v = get_param(p, spec.field);
    bool edited = false;
    if (spec.choices[0]) {
      ImGui::TextUnformatted(spec.label);
      ImGui::SameLine();
      int c = static_cast<int>(v);
      ImGui::SetNextItemWidth(em * 8);
      const char* items[2] = {spec.choices[0], spec.choices[1]};
      if (ImGui::Combo(id.c_str(), &c, items, 2)) v = c, edited = true;
    } else {
      ImGui::TextUnformatted(spec.label);
      ImGui::SameLine();
      if (spec.integer) {
        int x = static_cast<int>(v);
        const int hi = spec.field == ParamField::Head ? p.heads : static_cast<int>(spec.max);
        ImGui::SetNextItemWidth(em * 6);
        if (ImGui::InputInt(id.c_str(), &x) && x >= spec.min && x <= hi) v = x, edited = true;
      } else if (spec.log_scale) {
        ImGui::SetNextItemWidth(em * 7);
        if (ImGui::InputDouble(id.c_str(), &v, 0, 0, "%.0f", ImGuiInputTextFlags_EnterReturnsTrue) && v >= spec.min &&
            v <= spec.max)
          edited = true;
      } else {
        float f = static_cast<float>(v);
        ImGui::SetNextItemWidth(em * 6);
        if (ImGui::SliderFloat(id.c_str(), &f, static_cast<float>(std::max(spec.min, 0.05)),
                               static_cast<float>(spec.max), "%.2f"))
          v = f, edited = true;
      }
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", spec.help);
    if (edited) {
      try {
        set_param(p, spec, v);
        if (spec.field == ParamField::Heads) p.head = std::clamp(p.head, 1, p.heads);
        changed = true;
      } catch (const std::exception& e) {
        if (error) *error = e.what();
      }
    }
  }
  return changed;
}

}  // namespace es::ui
