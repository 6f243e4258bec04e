// Word wrap that never breaks inside a number. ImGui 1.86 lets a wrapped line end after '.', ','
// or ';' even inside a word, so "0.5000" wrapped as "0." / "5000" and "38,597,376" as "38," /
// "597,376" in every wrapped text (a lesson step's slopes, the Model view's counts). The link
// step routes ImFont::CalcWordWrapPositionA through here (app/CMakeLists.txt: --wrap; ImGui's
// text size and text drawing both call it, so measured and drawn lines agree): ImGui's answer,
// moved back to the last space when it fell inside a run of non-blank characters.
#include <imgui.h>

extern "C" {
const char* __real__ZNK6ImFont21CalcWordWrapPositionAEfPKcS1_f(const ImFont*, float, const char*, const char*, float);

const char* __wrap__ZNK6ImFont21CalcWordWrapPositionAEfPKcS1_f(const ImFont* font, float scale, const char* text,
                                                              const char* text_end, float wrap_width) {
  const char* eol = __real__ZNK6ImFont21CalcWordWrapPositionAEfPKcS1_f(font, scale, text, text_end, wrap_width);
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  // A break between two non-blank characters (after punctuation, inside "0.5000"): break at the
  // space before that run instead, when the line has one.
  if (eol <= text || eol >= text_end || blank(eol[-1]) || eol[-1] == '\n' || blank(*eol) || *eol == '\n') return eol;
  for (const char* p = eol - 1; p > text; --p) {
    if (*p == '\n') break;
    if (blank(*p)) return p;
  }
  return eol;
}
}
