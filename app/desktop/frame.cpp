// Index of this file
// [SECTION] Construction and panel options
// [SECTION] The frame: one window filling the viewport
// [SECTION] Menu bar
// [SECTION] Control strip (text, model, scheme, view)
// [SECTION] Status line
// [SECTION] Export of the current matrices (CSV, NPY)
#include "frame.h"
#include "open_model.h"

#include "astral_glyphs.h"
#include "colors.h"
#include "matrix_export.h"
#include "user_dirs.h"
#include "widgets.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace es::ui {

// [SECTION] Construction and panel options

Frame::Frame(AppState& state) : state_(state), panels_(make_all_panels()) {
  text_edit_ = to_stand_ins(state_.text());
  text_seen_version_ = state_.version();
}

void Frame::set_panel_option(const std::string& panel_dot_key, const std::string& value) {
  auto dot = panel_dot_key.find('.');
  std::string panel = panel_dot_key.substr(0, dot), key = panel_dot_key.substr(dot + 1);
  for (auto& p : panels_)
    if (panel == p->name()) {
      p->set_option(key, value);
      return;
    }
  throw Error("no panel named '" + panel + "' (for option " + panel_dot_key + ")");
}

bool Frame::busy() const {
  if (state_.loading()) return true;
  for (const auto& p : panels_)
    if (p->shows_in(state_.view) && p->busy()) return true;
  return false;
}

bool Frame::animating() const {
  for (const auto& p : panels_)
    if (p->shows_in(state_.view) && p->animating()) return true;
  return false;
}

std::vector<std::pair<std::string, std::string>> Frame::panel_options() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : panels_)
    for (auto& [k, v] : p->options()) out.emplace_back(std::string(p->name()) + "." + k, v);
  return out;
}

// [SECTION] The frame: one window filling the viewport

void Frame::draw() {
  state_.poll();
  if (state_.version() != text_seen_version_) {
    // The text changed elsewhere (e.g. the model panel): show what is in use.
    if (!ImGui::IsAnyItemActive()) text_edit_ = to_stand_ins(state_.text());
    text_seen_version_ = state_.version();
  }
  // Characters past U+FFFF get their stand-ins once the fonts hold them (a frame or two later).
  if (!ImGui::IsAnyItemActive() && text_edit_.size() < 65536) {
    std::string shown = to_stand_ins(from_stand_ins(text_edit_));
    if (shown != text_edit_) text_edit_ = std::move(shown);
  }
  ImGuiIO& io = ImGui::GetIO();
  if (!io.WantTextInput) {
    for (int k = 0; k < kViewCount; ++k)
      if (ImGui::IsKeyPressed(GLFW_KEY_1 + k, false)) state_.view = static_cast<ViewId>(k);
    if (ImGui::IsKeyPressed(GLFW_KEY_F5, false) || ImGui::IsKeyPressed(GLFW_KEY_P, false) ||
        (state_.presenter && ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)))
      state_.presenter = !state_.presenter;
  }
  // Large type in presenter mode (the fonts are scaled, not rebuilt).
  io.FontGlobalScale = state_.presenter ? 1.3f : 1.0f;

  // A short window (a projector at 1280 x 720, UI scale 2): the views move into the menu bar and
  // ordinary status messages keep to one line, so the figure keeps the height.
  short_window_ = ImGui::GetMainViewport()->Size.y < ImGui::GetFontSize() * 32;
  if (!state_.presenter) draw_menu_bar();
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->WorkPos);
  ImGui::SetNextWindowSize(vp->WorkSize);
  // No background of its own: the frame is cleared to the window colour (main.cpp), and a
  // software renderer (llvmpipe) would otherwise fill every pixel of the window twice a frame.
  ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                           ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                           ImGuiWindowFlags_NoBackground;
  ImGui::Begin("embedscope", nullptr, flags);
  if (!state_.presenter) {
    draw_control_strip();
    ImGui::Separator();
  }

  // Room for the status line: separator + spacing + its text, wrapped to the window (a long
  // error is shown whole, up to four lines) (+ spacing after items).
  const float sp = ImGui::GetStyle().ItemSpacing.y;
  // A short window keeps an ordinary status message to one line (all of it on hover); an error
  // is always shown whole.
  const bool one_line_status = short_window_ && !state_.status_is_error();
  const float status_text_h =
      one_line_status ? ImGui::GetTextLineHeight()
                      : std::min(ImGui::CalcTextSize(status_text().c_str(), nullptr, false, ImGui::GetContentRegionAvail().x).y,
                                 ImGui::GetTextLineHeight() * 4.0f);
  const float status_h = state_.presenter ? 0.0f
                         : std::max(ImGui::GetFrameHeight(), status_text_h + 2.0f * ImGui::GetStyle().FramePadding.y) + 2.0f * sp + 2.0f;
  ImVec2 avail = ImGui::GetContentRegionAvail();
  avail.y -= status_h + sp;
  std::vector<Panel*> main, bottom;
  for (auto& p : panels_) {
    if (!p->shows_in(state_.view)) continue;
    if (state_.presenter && p->region() == Region::Bottom) continue;  // presenter: the figure only
    (p->region() == Region::Bottom ? bottom : main).push_back(p.get());
  }
  const float splitter = 8.0f;
  // On a short window (a projector at 1280 x 720 and UI scale 1.5 or 2) the bottom panels fold
  // into one bar, so the figure keeps the height; the bar unfolds them on demand.
  const float em = ImGui::GetFontSize();
  const bool fold = !bottom.empty() && avail.y < em * 30 && !bottom_unfolded_;
  const float bar_h = ImGui::GetTextLineHeight() + sp;
  float bottom_h = bottom.empty() ? 0.0f : fold ? bar_h : std::clamp(avail.y * bottom_fraction_, 80.0f, avail.y - 120.0f);
  float main_h = avail.y - bottom_h - (bottom.empty() ? 0.0f : (fold ? sp : splitter + 2.0f * sp));
  ImGui::BeginChild("main_region", ImVec2(avail.x, main_h), false);
  for (Panel* p : main) {
    ImGui::PushID(p->name());
    p->draw(state_, ImGui::GetContentRegionAvail());
    ImGui::PopID();
  }
  ImGui::EndChild();
  if (fold) {
    std::string label = "Show the";
    for (Panel* p : bottom) label += std::string(" ") + p->name();
    label += " panel";
    if (ImGui::SmallButton(label.c_str())) bottom_unfolded_ = true;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Folded to give the figure room on this small window.");
  } else if (!bottom.empty()) {
    // A draggable splitter between the regions.
    ImGui::InvisibleButton("splitter", ImVec2(avail.x, splitter));
    if (ImGui::IsItemHovered() || ImGui::IsItemActive()) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeNS);
    if (ImGui::IsItemActive())
      bottom_fraction_ = std::clamp(bottom_fraction_ - io.MouseDelta.y / std::max(1.0f, avail.y), 0.1f, 0.8f);
    ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    ImGui::GetWindowDrawList()->AddLine(ImVec2(a.x, (a.y + b.y) / 2), ImVec2(b.x, (a.y + b.y) / 2),
                                        ImGui::GetColorU32(ImGuiCol_Separator), 2.0f);
    ImGui::BeginChild("bottom_region", ImVec2(avail.x, bottom_h), false);
    for (Panel* p : bottom) {
      ImGui::PushID(p->name());
      p->draw(state_, ImGui::GetContentRegionAvail());
      ImGui::PopID();
    }
    ImGui::EndChild();
  }
  if (!state_.presenter) draw_status_line();
  ImGui::End();
}

// [SECTION] Menu bar

void Frame::draw_menu_bar() {
  if (!ImGui::BeginMainMenuBar()) return;
  if (ImGui::BeginMenu("File")) {
    if (ImGui::MenuItem("Open model...", "5")) state_.view = ViewId::Model;
    if (ImGui::MenuItem("Built-in: classroom")) state_.begin_open_model("classroom");
    if (ImGui::MenuItem("Built-in: GPT-2 shapes, untrained")) state_.begin_open_model("gpt2-untrained");
    ImGui::Separator();
    if (ImGui::MenuItem("Save this view as PNG")) {
      const std::filesystem::path dir = es::home_dir();
      screenshot_request = (dir / (std::string("embedscope-") + view_id_name(state_.view) + ".png")).string();
    }
    if (ImGui::MenuItem("Export matrices (CSV + NPY)")) export_matrices();
    ImGui::Separator();
    if (ImGui::MenuItem("Quit", "Ctrl+Q")) quit_requested = true;
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("View")) {
    for (int k = 0; k < kViewCount; ++k) {
      ViewId v = static_cast<ViewId>(k);
      std::string key = std::to_string(k + 1);
      if (ImGui::MenuItem(view_id_title(v), key.c_str(), state_.view == v)) state_.view = v;
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Light theme (projectors)", nullptr, light_theme)) {
      light_theme = !light_theme;
      ui_scale_changed = true;
    }
    ImGui::TextUnformatted("UI scale (projector: 1.5 - 2)");
    float s = ui_scale;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
    ImGui::SliderFloat("##scale", &s, 0.75f, 3.0f, "%.2f");  // applied on release (below): a font rebuild per drag step is slow
    if (ImGui::IsItemDeactivatedAfterEdit() && s != ui_scale) {
      ui_scale = s;
      ui_scale_changed = true;
    }
    for (float preset : {1.0f, 1.5f, 2.0f}) {
      char label[16];
      std::snprintf(label, sizeof label, "%.1fx", preset);
      ImGui::SameLine();
      if (ImGui::SmallButton(label)) {
        ui_scale = preset;
        ui_scale_changed = true;
      }
    }
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("Help")) {
    ImGui::TextUnformatted("EmbedScope: text -> tokens -> token rows + position rows -> block 0.");
    ImGui::TextUnformatted("Keys 1-8 switch views. Click a token anywhere to select it everywhere.");
    ImGui::TextUnformatted("Heatmaps: wheel zooms rows, drag pans, double-click fits.");
    ImGui::EndMenu();
  }
  if (short_window_) {
    // The views as one menu (their row of buttons would take a sixth of the height).
    const std::string current = std::to_string(static_cast<int>(state_.view) + 1) + " " + view_id_title(state_.view) +
                                " \u25BE###views";
    if (ImGui::BeginMenu(current.c_str())) {
      for (int k = 0; k < kViewCount; ++k) {
        const ViewId v = static_cast<ViewId>(k);
        const std::string key = std::to_string(k + 1);
        if (ImGui::MenuItem(view_id_title(v), key.c_str(), state_.view == v)) state_.view = v;
      }
      ImGui::EndMenu();
    }
  }
  // The model in use, always visible at the right of the menu bar.
  std::string label = state_.model().label();
  const float room = ImGui::GetWindowWidth() - ImGui::GetCursorPosX() - 36;
  if (ImGui::CalcTextSize(label.c_str()).x > room) {
    // Too long for the bar: cut it, keeping the start (the full text is on the Model view).
    while (!label.empty() && ImGui::CalcTextSize((label + "...").c_str()).x > room) label.pop_back();
    label += "...";
  }
  float w = ImGui::CalcTextSize(label.c_str()).x;
  ImGui::SetCursorPosX(std::max(ImGui::GetCursorPosX() + 20, ImGui::GetWindowWidth() - w - 16));
  // Untrained real-model shapes are flagged in warning colour; the classroom model is a toy.
  const bool warn = !state_.model().trained() && state_.model().family() != "classroom";
  ImGui::PushStyleColor(ImGuiCol_Text, warn ? kWarn : kMuted);
  ImGui::TextUnformatted(label.c_str());
  ImGui::PopStyleColor();
  ImGui::EndMainMenuBar();
}

// [SECTION] Control strip (text, model, scheme, view)

void Frame::draw_control_strip() {
  const float em = ImGui::GetFontSize();
  // The Train view has its own model and data: the sentence, model and scheme rows would only
  // take room from its figures.
  if (state_.view == ViewId::Train) {
    if (!short_window_) draw_view_tabs();
    return;
  }
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Text");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(std::max(em * 12, ImGui::GetContentRegionAvail().x * 0.42f));
  // Several lines get a box that shows them; one line a plain field (Enter does nothing).
  const bool multiline = text_edit_.find('\n') != std::string::npos;
  const bool edited = multiline ? ImGui::InputTextMultiline("##text", &text_edit_,
                                                            ImVec2(0, ImGui::GetTextLineHeight() * 3.3f))
                                : ImGui::InputText("##text", &text_edit_);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("A sentence, or token ids typed as  ids: 464 3797 262  (for models whose tokenizer\n"
                      "EmbedScope does not read, or to pick exact ids).");
  if (edited) {
    if (state_.set_text(from_stand_ins(text_edit_))) text_seen_version_ = state_.version();
  }
  ImGui::SameLine();
  ImGui::TextDisabled("(%d tokens)", state_.length());
  ImGui::SameLine(0, em * 1.5f);
  ImGui::TextUnformatted("Model");
  ImGui::SameLine();
  // As wide as 11 em when there is room, never past the right edge (a projector's scale 2).
  const float combo_w = std::clamp(ImGui::GetContentRegionAvail().x, em * 5, em * 11);
  ImGui::SetNextItemWidth(combo_w);
  const std::string spec = state_.loading() ? "opening " + state_.loading_spec() : state_.model_spec();
  // A checkpoint's path is longer than the box: its end, which names the model, after "...".
  const ImGuiStyle& style = ImGui::GetStyle();
  const std::string current = fit_text_tail(spec, combo_w - ImGui::GetFrameHeight() - style.FramePadding.x * 2);
  const bool opened = ImGui::BeginCombo("##model", current.c_str());
  if (!opened && current != spec && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", spec.c_str());
  if (opened) {
    if (ImGui::Selectable("classroom", state_.model_spec() == "classroom")) state_.begin_open_model("classroom");
    if (ImGui::Selectable("gpt2-untrained", state_.model_spec() == "gpt2-untrained"))
      state_.begin_open_model("gpt2-untrained");
    if (ImGui::Selectable("a file or a cached model... (view 5)")) state_.view = ViewId::Model;
    ImGui::EndCombo();
  }
  if (state_.loading()) {
    ImGui::SameLine();
    const char spin[] = "|/-\\";
    ImGui::Text("%c %.1f s", spin[static_cast<int>(state_.loading_seconds() * 8) % 4], state_.loading_seconds());
  }
  // Right-to-left or shaped scripts read backwards or unjoined in ImGui's box: the line as it
  // reads, under it (the box stays the place to edit).
  // (computed once per text, not every frame: a 4,000-character text was decoded twice a frame)
  if (reads_version_ != state_.version()) reads_ = bidi_display(state_.text()), reads_version_ = state_.version();
  if (const std::string& reads = reads_; !reads.empty()) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextDisabled("reads:");
    ImGui::SameLine();
    one_line_text(kText, displayable(reads));
  }
  draw_scheme_controls();
  if (!short_window_) draw_view_tabs();
}

void Frame::draw_scheme_controls() {
  // Every control comes from the scheme registry: a new scheme brings its own parameters.
  const float em = ImGui::GetFontSize();
  SchemeParams p = state_.scheme_params();
  const SchemeInfo& info = scheme_info(p.kind);
  bool changed = false;
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Scheme");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(em * 9);
  if (ImGui::BeginCombo("##scheme", info.name)) {
    for (const SchemeInfo* s : scheme_registry()) {
      if (ImGui::Selectable(s->name, s == &info) && s != &info) {
        p = state_.params_for_kind(s->name);
        changed = true;
      }
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s: %s", s->title, s->summary);
    }
    ImGui::EndCombo();
  }
  if (!changed) {
    std::string error;
    changed = scheme_param_controls(p, info, "##", &error);
    if (!error.empty()) state_.set_status(error, true);
  }
  ImGui::SameLine();
  help_marker(state_.scheme().where_position_enters().c_str());
  if (changed) state_.set_scheme(p);
}

void Frame::draw_view_tabs() {
  for (int k = 0; k < kViewCount; ++k) {
    ViewId v = static_cast<ViewId>(k);
    std::string label = std::to_string(k + 1) + "  " + view_id_title(v);
    bool active = state_.view == v;
    if (active) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
    if (ImGui::Button(label.c_str())) state_.view = v;
    if (active) ImGui::PopStyleColor();
    ImGui::SameLine();
  }
  ImGui::TextDisabled("   %s", state_.scheme().describe().c_str());
}

// [SECTION] Status line

std::string Frame::status_text() const {
  if (state_.status().empty()) return "Ready. Keys 1-8 switch views, F5 (or P) presents; hover anything for details.";
  return state_.status_is_error() ? "Error: " + state_.status() : state_.status();
}

void Frame::draw_status_line() {
  ImGui::Separator();
  ImGui::AlignTextToFramePadding();
  const std::string text = status_text();
  const ImU32 colour = state_.status().empty()     ? ImGui::GetColorU32(ImGuiCol_TextDisabled)
                       : state_.status_is_error() ? kWarn
                                                  : kOk;
  if (short_window_ && !state_.status_is_error()) {
    one_line_text(colour, text);
    return;
  }
  ImGui::PushStyleColor(ImGuiCol_Text, colour);
  ImGui::PushTextWrapPos(0.0f);  // wrap at the window's edge: the whole message, never cut
  ImGui::TextUnformatted(text.c_str());
  ImGui::PopTextWrapPos();
  ImGui::PopStyleColor();
}

// [SECTION] Export of the current matrices (CSV, NPY)

void Frame::export_matrices() {
  const std::filesystem::path dir = es::home_dir() / "embedscope-export";
  try {
    std::vector<std::string> written = export_embedding(state_, dir);
    state_.set_status("Wrote " + std::to_string(written.size()) + " files to " + dir.string() +
                      " (token, position, combined, normed as CSV and NPY)");
  } catch (const std::exception& e) {
    state_.set_status(std::string("Export failed: ") + e.what(), true);
  }
}

}  // namespace es::ui
