// embedscope: the desktop program. GLFW window + OpenGL 3.3 core + Dear ImGui 1.86.
//
// Index of this file
// [SECTION] Fonts and UI scale
// [SECTION] Screenshot (glReadPixels -> PNG)
// [SECTION] Start-up from options and settings
// [SECTION] Main loop
#include "app_state.h"
#include "open_model.h"
#include "astral_glyphs.h"
#include "audit.h"
#include "frame.h"
#include "leak_check.h"
#include "lesson.h"
#include "options.h"
#include "settings.h"
#include "widgets.h"

#include <glad/gl.h>
// glad first: GLFW must not pull in the system GL header.
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <utility>
#include <vector>

namespace es::ui {
namespace {

// [SECTION] Fonts and UI scale

std::string g_font_message;
// Characters beyond the base ranges that texts on screen have used (see load_fonts).
ImFontGlyphRangesBuilder g_extra_glyphs;

// Adds the characters of `text` outside the base ranges; true when one was new (the fonts
// must then be rebuilt to show it).
bool note_extra_glyphs(const std::string& text) {
  ImFontGlyphRangesBuilder b;
  b.AddText(text.c_str());
  bool added = false;
  for (unsigned c = 0x250; c < 0x10000; ++c) {
    if (!b.GetBit(c) || g_extra_glyphs.GetBit(c)) continue;
    if ((c >= 0x370 && c <= 0x3FF) || (c >= 0x2000 && c <= 0x25FF)) continue;  // in the base ranges
    g_extra_glyphs.SetBit(c);
    added = true;
  }
  return added;
}

void load_fonts(float scale) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  reset_astral_glyphs();
  const float base = 17.0f * scale;
  const char* sans = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  const char* mono = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
  // Latin, Greek, punctuation (the visible-space sign U+2423, arrows) and box/math symbols.
  static const ImWchar ranges[] = {0x0020, 0x024F, 0x0370, 0x03FF, 0x2000, 0x24FF,
                                   0x2500, 0x25FF, 0};
  Fonts& f = fonts();
  std::error_code ec;
  // Scripts DejaVu lacks (CJK, Hangul, kana, Devanagari, Arabic, emoji) come from Debian's
  // fallback fonts, merged into each font but only for the characters the texts on screen use
  // (ImGui 1.86 bakes glyphs into one atlas; all of CJK would not fit). A glyph comes from the
  // first font that has it. Arabic and Devanagari are drawn unshaped (ImGui has no shaping).
  // Characters past U+FFFF (most emoji), which Debian's 16-bit ImWchar cannot name, get
  // private-use stand-ins drawn by astral_glyphs.cpp.
  static ImVector<ImWchar> extra;
  extra.clear();
  g_extra_glyphs.BuildRanges(&extra);
  const char* fallbacks[] = {"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
                             "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
                             "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
                             "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
                             "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"};
  auto with_fallbacks = [&](const char* path, float size) {
    ImFont* font = io.Fonts->AddFontFromFileTTF(path, size, nullptr, ranges);
    if (!font || extra.Size <= 1) return font;
    for (const char* fb : fallbacks) {
      if (!std::filesystem::exists(fb, ec)) continue;
      ImFontConfig cfg;
      cfg.MergeMode = true;
      io.Fonts->AddFontFromFileTTF(fb, size, &cfg, extra.Data);
    }
    return font;
  };
  if (std::filesystem::exists(sans, ec)) {
    f.regular = with_fallbacks(sans, base);
    f.large = with_fallbacks(sans, base * 1.45f);
    f.mono = std::filesystem::exists(mono, ec) ? with_fallbacks(mono, base) : f.regular;
    add_astral_glyphs(f.regular, base);
    add_astral_glyphs(f.large, base * 1.45f);
    if (f.mono != f.regular) add_astral_glyphs(f.mono, base);
    g_font_message.clear();
  }
  if (!f.regular || !f.large) {
    io.Fonts->Clear();
    ImFontConfig cfg;
    cfg.SizePixels = 13.0f * scale;
    f.regular = io.Fonts->AddFontDefault(&cfg);
    cfg.SizePixels = 19.0f * scale;
    f.large = io.Fonts->AddFontDefault(&cfg);
    f.mono = f.regular;
    g_font_message = std::string("DejaVu Sans not found at ") + sans +
                     "; using ImGui's built-in font (install fonts-dejavu-core for a clearer one)";
  }
  draw_astral_glyphs();  // builds the atlas and draws the stand-ins into it
}

bool g_light = false;  // the light theme (projectors wash dark themes out); View menu, remembered
bool g_audit_selftest = false;  // --audit-selftest

void apply_style(float scale) {
  ImGuiStyle style;
  if (g_light) ImGui::StyleColorsLight(&style);
  else ImGui::StyleColorsDark(&style);
  set_theme_colours(g_light);
  style.WindowRounding = 0;
  style.FrameRounding = 4;
  style.ItemSpacing = ImVec2(8, 6);
  style.FramePadding = ImVec2(6, 4);
  // Captions in TextDisabled must stay readable on a projector: ImGui's 0.50 grey is 4.3:1 on
  // the dark background (WCAG asks 4.5:1 for text); 0.62 grey is 6.4:1, and 0.38 grey 5.7:1 on
  // the light one.
  if (g_light) {
    style.Colors[ImGuiCol_WindowBg] = ImVec4(0.96f, 0.96f, 0.96f, 1.0f);
    style.Colors[ImGuiCol_TextDisabled] = ImVec4(0.38f, 0.38f, 0.38f, 1.0f);
  } else {
    style.Colors[ImGuiCol_WindowBg] = ImVec4(0.10f, 0.11f, 0.13f, 1.0f);
    style.Colors[ImGuiCol_TextDisabled] = ImVec4(0.62f, 0.62f, 0.62f, 1.0f);
    // The chosen view's button, a pressed button, an active header: white text on ImGui's
    // bright blue was 3.6:1; on this darker blue it is 6:1.
    const ImVec4 solid(0.10f, 0.38f, 0.74f, 1.0f);
    style.Colors[ImGuiCol_ButtonActive] = style.Colors[ImGuiCol_HeaderActive] = style.Colors[ImGuiCol_TabActive] = solid;
    // A progress bar's fill: its white label read 1.9:1 on ImGui's amber (the Train view's
    // "step 60 / 60 ... done").
    style.Colors[ImGuiCol_PlotHistogram] = solid;
  }
  style.ScaleAllSizes(scale);
  ImGui::GetStyle() = style;
}

void set_ui_scale(float scale, bool rebuild_gpu_font) {
  load_fonts(scale);
  apply_style(scale);
  if (rebuild_gpu_font) {
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
  }
}

// [SECTION] Screenshot (glReadPixels -> PNG)

// Reads the back buffer just rendered (before the swap) and writes it as an RGB PNG.
std::string save_screenshot(const std::string& path, int width, int height) {
  std::vector<unsigned char> pixels(static_cast<size_t>(width) * height * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
  // GL rows start at the bottom; PNG rows at the top.
  std::vector<unsigned char> flipped(pixels.size());
  const size_t stride = static_cast<size_t>(width) * 3;
  for (int y = 0; y < height; ++y)
    std::copy_n(pixels.data() + static_cast<size_t>(height - 1 - y) * stride, stride,
                flipped.data() + static_cast<size_t>(y) * stride);
  const bool written = stbi_write_png(path.c_str(), width, height, 3, flipped.data(), static_cast<int>(stride)) != 0;
  // The audit's contrast check reads the colours under each text from the same picture.
  if (audit_enabled()) audit_set_pixels(std::move(flipped), width, height);
  return written ? "" : "could not write the PNG file " + path;
}

void glfw_error(int code, const char* message) {
  std::fprintf(stderr, "embedscope: GLFW error %d: %s\n", code, message);
}

AppState* g_state = nullptr;

void drop_callback(GLFWwindow*, int count, const char** paths) {
  if (g_state && count > 0) g_state->begin_open_model(paths[0]);
}

// [SECTION] Start-up from options and settings

// Applies command-line options over settings. Throws es::Error for a bad option value.
void apply_start_options(AppState& state, Frame& frame, const DesktopOptions& o, const Settings& settings) {
  std::string model = o.model.value_or(o.use_settings ? settings.get("model").value_or("classroom") : "classroom");
  if (model != "classroom") {
    if (o.model || !o.use_settings) {
      state.open_model_now(model);  // a bad --model is an error of the command line
    } else {
      state.begin_open_model(model);  // a remembered model opens in the background
    }
  }
  // Text and scheme are applied together, as one state: `--scheme sinusoidal --text LONG` on a
  // model whose learned table is shorter than LONG must not depend on the order of the options.
  std::optional<std::string> text = o.text;
  if (!text && o.use_settings) text = settings.get("text");
  std::optional<std::string> scheme = o.scheme;
  if (!scheme && o.use_settings && !o.model) scheme = settings.get("scheme");
  std::optional<SchemeParams> params;
  if (scheme) {
    if (find_scheme(*scheme)) params = state.params_for_kind(*scheme);
    else if (o.scheme) throw Error("unknown scheme '" + *scheme + "' (" + scheme_names() + ")");
  }
  if (!state.set_text_and_scheme(text, params)) {
    // What the command line asked for must work; remembered settings that no longer fit the
    // model fall back one at a time (the status line says why).
    if (o.text && o.scheme) throw Error("--text with --scheme " + *scheme + ": " + state.status());
    if (o.text) throw Error("--text: " + state.status());
    if (o.scheme) throw Error("--scheme " + *scheme + ": " + state.status());
    const std::string why = state.status();
    if (params) state.set_scheme(*params);
    if (text) state.set_text(*text);
    state.set_status(why, true);
  }
  for (const std::string& v : o.views)
    if (!parse_view_id(v)) throw Error("unknown view '" + v + "' (tokens, matrix, pca, schemes, model, vocab, train, lesson, or all)");
  std::optional<std::string> view = o.view;
  if (!view && o.use_settings) view = settings.get("view");
  if (view) {
    std::optional<ViewId> v = parse_view_id(*view);
    if (!v) {
      if (o.view) throw Error("unknown view '" + *view + "' (tokens, matrix, pca, schemes, model, vocab, train, lesson)");
    } else {
      state.view = *v;
    }
  }
  if (o.use_settings)
    for (const auto& [k, v] : frame.panel_options())
      if (auto saved = settings.get(k)) {
        try { frame.set_panel_option(k, *saved); } catch (const std::exception&) {}
      }
  if (o.matrix_mode) frame.set_panel_option("matrix.mode", *o.matrix_mode);
  if (o.presenter) state.presenter = true;
  if (o.special) state.set_special_tokens(true);
  if (o.lesson) {
    state.view = ViewId::Lesson;
    frame.set_panel_option("lesson.step", *o.lesson == "all" ? "1" : *o.lesson);
  }
  // A screenshot shows every animation at its end state.
  if (o.screenshot) frame.set_panel_option("lesson.end", "1");
  for (const auto& [k, v] : o.panel_options) frame.set_panel_option(k, v);
  if (o.select) {
    if (*o.select >= state.length())
      throw Error("--select " + std::to_string(*o.select) + ": the text has only " +
                  std::to_string(state.length()) + " tokens");
    state.selected_position = *o.select;
  }
}

void store_settings(Settings& s, const AppState& state, const Frame& frame, GLFWwindow* window) {
  int w = 0, h = 0;
  glfwGetWindowSize(window, &w, &h);
  s.set("window.width", std::to_string(w));
  s.set("window.height", std::to_string(h));
  s.set("ui_scale", std::to_string(frame.ui_scale));
  s.set("theme", frame.light_theme ? "light" : "dark");
  s.set("view", view_id_name(state.view));
  s.set("text", state.text());
  s.set("model", state.model_spec());
  s.set("scheme", state.scheme_params().kind);
  for (const auto& [k, v] : frame.panel_options()) s.set(k, v);
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::clamp(q * static_cast<double>(v.size() - 1), 0.0, static_cast<double>(v.size() - 1)));
  return v[i];
}

// A GLFW window with an OpenGL 3.3 core context and its functions loaded; null (after one line
// on stderr) when there is no display or no such context.
GLFWwindow* open_window(int width, int height, bool offscreen_run) {
  glfwSetErrorCallback(glfw_error);
  if (!glfwInit()) {
    std::fprintf(stderr, "embedscope: cannot open a window (no display? run under xvfb-run)\n");
    return nullptr;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  GLFWwindow* window = glfwCreateWindow(width, height, "EmbedScope", nullptr, nullptr);
  if (!window) {
    std::fprintf(stderr, "embedscope: cannot create an OpenGL 3.3 core window\n");
    glfwTerminate();
    return nullptr;
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(offscreen_run ? 0 : 1);
  if (!gladLoadGL(glfwGetProcAddress)) {
    std::fprintf(stderr, "embedscope: cannot load OpenGL 3.3 functions\n");
    glfwDestroyWindow(window);
    glfwTerminate();
    return nullptr;
  }
  pin_loaded_libraries_for_leak_check();  // the GL driver is loaded now
  return window;
}

// --bench-frames: percentiles of whole frames and of UI building. The first frames upload
// textures and build caches; they are reported apart.
void print_frame_times(const std::vector<double>& frame_ms, const std::vector<double>& ui_ms) {
  std::vector<double> steady(frame_ms.begin() + static_cast<long>(std::min<size_t>(frame_ms.size() - 1, 3)), frame_ms.end());
  std::printf("frames %zu (first 3 excluded from percentiles: %.1f ms total)\n", frame_ms.size(),
              frame_ms[0] + (frame_ms.size() > 1 ? frame_ms[1] : 0) + (frame_ms.size() > 2 ? frame_ms[2] : 0));
  std::printf("frame ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f; %ld of %zu over 50 ms\n", percentile(steady, 0.5),
              percentile(steady, 0.9), percentile(steady, 0.99), percentile(steady, 1.0),
              static_cast<long>(std::count_if(steady.begin(), steady.end(), [](double ms) { return ms > 50; })), steady.size());
  std::vector<double> ui(ui_ms.begin() + static_cast<long>(frame_ms.size() - steady.size()), ui_ms.end());
  std::printf("of which UI building (events, panels, ImGui): p50 %.2f  p90 %.2f ms; the rest is GL "
              "rendering, glFinish and the buffer swap\n", percentile(ui, 0.5), percentile(ui, 0.9));
}

// [SECTION] Main loop

// --help and --lesson list answer without a window; nullopt: go on.
std::optional<int> answer_without_window(const DesktopOptions& o) {
  if (o.help) {
    std::fputs(desktop_help_text().c_str(), stdout);
    return 0;
  }
  if (o.lesson && *o.lesson == "list") {
    int k = 0;
    for (const LessonStep& s : lesson_steps()) std::printf("%2d  %-14s %s\n", ++k, s.id.c_str(), s.title.c_str());
    return 0;
  }
  return std::nullopt;
}

// One frame's wait for events: none while rendering offscreen or animating (the swap's vsync
// paces the frames), short while a model loads, else a quarter second.
void wait_for_events(bool offscreen_run, const Frame& frame, const AppState& state) {
  if (offscreen_run) glfwPollEvents();
  else if (frame.animating()) glfwPollEvents();
  else if (state.loading()) glfwWaitEventsTimeout(0.1);
  else glfwWaitEventsTimeout(0.25);
}

// New characters on screen (a Japanese sentence, an emoji) rebuild the fonts with them, as does
// a new UI scale or theme.
void refresh_fonts(const AppState& state, Frame& frame, uint64_t& glyphs_version) {
  if (state.version() != glyphs_version) {
    glyphs_version = state.version();
    std::string all = state.text();
    for (const std::string& t : state.token_texts()) all += t;
    bool rebuild = note_extra_glyphs(all);
    // Shaped runs are looked up per text drawn: the whole text and each token on its own.
    rebuild = note_astral_chars(state.text()) || rebuild;
    for (const std::string& t : state.token_texts()) rebuild = note_astral_chars(t) || rebuild;
    if (rebuild) frame.ui_scale_changed = true;
  }
  if (frame.ui_scale_changed) {
    g_light = frame.light_theme;
    set_ui_scale(frame.ui_scale, true);
    frame.ui_scale_changed = false;
  }
}

// Builds the UI and draws it into the back buffer; returns the framebuffer's size.
std::pair<int, int> render_frame(GLFWwindow* window, Frame& frame, bool screenshot) {
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  // A screenshot shows the view, not whatever the pointer happens to hover (a tooltip over a
  // cell once landed in the picture): the pointer is "outside the window" while rendering one.
  if (screenshot) ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
  ImGui::NewFrame();
  audit_new_frame();
  if (ImGui::GetIO().KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_Q, false)) frame.quit_requested = true;
  frame.draw();
  if (g_audit_selftest) draw_audit_selftest();
  draw_scroll_cues();
  ImGui::Render();
  int fb_w = 0, fb_h = 0;
  glfwGetFramebufferSize(window, &fb_w, &fb_h);
  glViewport(0, 0, fb_w, fb_h);
  // The main window draws no background (frame.cpp): the clear is its background.
  const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
  glClearColor(bg.x, bg.y, bg.z, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  return {fb_w, fb_h};
}

// The frame loop, until the window closes, the frames asked for are drawn, or the screenshot
// is saved. Returns the exit code; with --bench-frames the frame times go to frame_ms / ui_ms.
int run_frames(GLFWwindow* window, AppState& state, Frame& frame, const DesktopOptions& o,
               std::vector<double>& frame_ms, std::vector<double>& ui_ms) {
  const bool offscreen_run = o.screenshot || o.frames || o.bench_frames;
  // Screenshots render a few frames first: ImGui sizes windows and tooltips over frames.
  const int target_frames = o.screenshot ? 4 : (o.bench_frames ? o.bench_frames : o.frames);
  auto started = std::chrono::steady_clock::now();
  // The pictures to take: one; with --view A,B,... one per view ({view} in the name: tokens,
  // matrix, ...); with --lesson all one per step of the lesson ({step}: 01, 02, ...). With --audit
  // naming them too, one audit file per picture, written with it.
  struct Shot {
    std::string png, audit;
    ViewId view;
    std::size_t step;  // the lesson's step (1-based), 0: as it is
  };
  std::vector<Shot> shots;
  const auto put = [](std::string path, const std::string& key, const std::string& value) {
    for (std::size_t at = path.find(key); at != std::string::npos; at = path.find(key, at + value.size()))
      path.replace(at, key.size(), value);
    return path;
  };
  if (o.screenshot) {
    std::vector<ViewId> views;
    if (o.views.size() > 1)
      for (const std::string& v : o.views) views.push_back(*parse_view_id(v));
    else
      views.push_back(state.view);  // one view: as the options set it (--lesson opens the lesson)
    state.view = views.front();
    const bool per_shot_audit = o.audit && (o.audit->find("{view}") != std::string::npos ||
                                            (o.lesson && *o.lesson == "all" && o.audit->find("{step}") != std::string::npos));
    for (ViewId v : views) {
      const bool all_steps = v == ViewId::Lesson && o.lesson && *o.lesson == "all";
      for (std::size_t k = all_steps ? 1 : 0; k <= (all_steps ? lesson_steps().size() : 0); ++k) {
        const std::string num = k == 0 ? "" : (k < 10 ? "0" : "") + std::to_string(k);
        const auto name = [&](const std::string& path) { return put(put(path, "{view}", view_id_name(v)), "{step}", num); };
        shots.push_back({name(*o.screenshot), per_shot_audit ? name(*o.audit) : "", v, k});
      }
    }
  }
  std::size_t shot = 0;
  int frame_index = 0;
  int calm = 0;  // frames in a row with no worker busy
  uint64_t glyphs_version = ~0ull;
  while (!glfwWindowShouldClose(window)) {
    const auto t0 = std::chrono::steady_clock::now();
    wait_for_events(offscreen_run, frame, state);
    refresh_fonts(state, frame, glyphs_version);
    const auto [fb_w, fb_h] = render_frame(window, frame, o.screenshot.has_value());
    const auto t_ui = std::chrono::steady_clock::now();
    ++frame_index;
    if (o.bench_open && frame_index == 3) state.begin_open_model(*o.bench_open);
    // A screenshot waits (up to 60 s) for worker results: a model opening, layers projecting;
    // then two frames more, as ImGui sizes a window's scrolling from the frame before (the
    // frame a result arrives in showed it with the old content height: no "more below" cue).
    const bool busy = frame.busy();
    calm = busy ? 0 : calm + 1;
    const bool waiting = o.screenshot && frame_index >= target_frames && (busy || calm < 3) &&
                         std::chrono::steady_clock::now() - started < std::chrono::seconds(60);
    if (waiting) {
      glfwSwapBuffers(window);
      glfwWaitEventsTimeout(0.01);
      continue;
    }
    if (o.screenshot && frame_index >= target_frames) {
      glFinish();
      std::string err = save_screenshot(shots[shot].png, fb_w, fb_h);
      if (err.empty() && !shots[shot].audit.empty()) err = audit_write(shots[shot].audit);
      if (!err.empty()) {
        std::fprintf(stderr, "embedscope: %s\n", err.c_str());
        return 1;
      }
      if (++shot == shots.size()) return 0;
      state.view = shots[shot].view;  // the next view, or the lesson's next step
      if (shots[shot].step) frame.set_panel_option("lesson.step", std::to_string(shots[shot].step));
      frame_index = 0;
      calm = 0;
      started = std::chrono::steady_clock::now();
      glfwSwapBuffers(window);
      continue;
    }
    if (!frame.screenshot_request.empty()) {
      const std::string err = save_screenshot(frame.screenshot_request, fb_w, fb_h);
      state.set_status(err.empty() ? "Saved " + frame.screenshot_request : err, !err.empty());
      frame.screenshot_request.clear();
    }
    glfwSwapBuffers(window);
    if (o.bench_frames) {
      glFinish();
      frame_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      ui_ms.push_back(std::chrono::duration<double, std::milli>(t_ui - t0).count());
    }
    if (target_frames && frame_index >= target_frames) break;
    if (frame.quit_requested) break;
  }
  return 0;
}

int run(int argc, char** argv) {
  DesktopOptions o;
  try {
    o = parse_desktop_options(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embedscope: %s\n", e.what());
    return 2;
  }
  if (const std::optional<int> answered = answer_without_window(o)) return *answered;
  Settings settings;
  const std::filesystem::path settings_path = Settings::default_path();
  if (o.use_settings) settings.load(settings_path);
  int width = o.size_given || !o.use_settings ? o.width : std::clamp(settings.get_int("window.width", o.width), 320, 8192);
  int height = o.size_given || !o.use_settings ? o.height : std::clamp(settings.get_int("window.height", o.height), 240, 8192);
  float scale = o.ui_scale.value_or(o.use_settings ? std::clamp(settings.get_float("ui_scale", 1.0f), 0.5f, 4.0f) : 1.0f);
  g_light = o.theme ? *o.theme == "light" : (o.use_settings && settings.get("theme").value_or("dark") == "light");

  // Model, text and scheme before any window: a bad command line fails fast and clearly.
  std::unique_ptr<AppState> state;
  std::unique_ptr<Frame> frame;
  try {
    state = std::make_unique<AppState>();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embedscope: %s\n", e.what());
    return 1;
  }

  const bool offscreen_run = o.screenshot || o.frames || o.bench_frames;
  GLFWwindow* window = open_window(width, height, offscreen_run);
  if (!window) return 1;

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // the layout is fixed; our own settings file keeps the rest
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");
  set_ui_scale(scale, false);

  int exit_code = 0;
  audit_enable(o.audit.has_value());
  g_audit_selftest = o.audit_selftest;
  try {
    frame = std::make_unique<Frame>(*state);
    frame->ui_scale = scale;
    frame->light_theme = g_light;
    apply_start_options(*state, *frame, o, settings);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embedscope: %s\n", e.what());
    exit_code = 1;
  }
  if (exit_code == 0 && !g_font_message.empty()) state->set_status(g_font_message, true);
  g_state = state.get();
  glfwSetDropCallback(window, drop_callback);

  std::vector<double> frame_ms, ui_ms;  // whole frame; event poll + UI building only
  if (exit_code == 0) exit_code = run_frames(window, *state, *frame, o, frame_ms, ui_ms);
  if (o.bench_frames && !frame_ms.empty()) print_frame_times(frame_ms, ui_ms);
  if (o.bench_open)
    std::printf("after the frames: model %s; background work %s\n", state->model().name().c_str(),
                frame->busy() ? "still running" : "done");
  const bool audit_per_shot = o.screenshot && o.audit &&
                              (o.audit->find("{view}") != std::string::npos ||
                               (o.lesson && *o.lesson == "all" && o.audit->find("{step}") != std::string::npos));
  if (o.audit && !audit_per_shot) {
    const std::string err = audit_write(*o.audit);
    if (!err.empty()) {
      std::fprintf(stderr, "embedscope: %s\n", err.c_str());
      exit_code = 1;
    }
  }
  if (o.use_settings && exit_code == 0) {
    store_settings(settings, *state, *frame, window);
    std::string err = settings.save(settings_path);
    if (!err.empty()) std::fprintf(stderr, "embedscope: %s\n", err.c_str());
  }
  g_state = nullptr;
  frame.reset();  // panels own GL objects: free them while the context lives
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  pin_loaded_libraries_for_leak_check();  // anything loaded since start-up, before the unload
  glfwTerminate();
  return exit_code;
}

}  // namespace
}  // namespace es::ui

int main(int argc, char** argv) { return es::ui::run(argc, argv); }
