// Index of this file
// [SECTION] Shared GPU resources (shader, colour map, VAO)
// [SECTION] Upload and render
// [SECTION] The widget
// [SECTION] Colour bar and number formatting
#include "heatmap.h"
#include "audit.h"
#include "widgets.h"

#include "matrix_export.h"

#include "colors.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace es::ui {

// [SECTION] Shared GPU resources (shader, colour map, VAO)

namespace {

struct HeatmapGpu {
  gl::Shader shader;
  gl::Texture colormap;
  gl::VertexArray vao;
  GLint u_data = -1, u_colormap = -1, u_uv0 = -1, u_uv1 = -1, u_range = -1;
  GLint u_grid = -1, u_cell_px = -1, u_columns = -1, u_row_frac = -1;
};

HeatmapGpu& gpu() {
  // Never destroyed: it must not outlive the GL context at exit (the OS frees it all).
  static HeatmapGpu& g = *[] {
    auto* hp = new HeatmapGpu;
    HeatmapGpu& h = *hp;
    h.shader = gl::Shader::from_embedded("fullscreen.vert.glsl", "heatmap.frag.glsl");
    h.colormap.upload_rgba8(256, 1, diverging_lut().data(), true);
    h.vao.create();
    h.u_data = h.shader.uniform("u_data");
    h.u_colormap = h.shader.uniform("u_colormap");
    h.u_uv0 = h.shader.uniform("u_uv0");
    h.u_uv1 = h.shader.uniform("u_uv1");
    h.u_range = h.shader.uniform("u_range");
    h.u_grid = h.shader.uniform("u_grid");
    h.u_cell_px = h.shader.uniform("u_cell_px");
    h.u_columns = h.shader.uniform("u_columns");
    h.u_row_frac = h.shader.uniform("u_row_frac");
    return hp;
  }();
  return g;
}

}  // namespace

// [SECTION] Upload and render

float HeatmapSpec::at(long long r, long long c) const {
  float v;
  read(r, c, 1, &v);
  return v;
}

void HeatmapSpec::read(long long r, long long c0, long long n, float* out) const {
  if (values) {
    std::copy_n(values + r * cols + c0, n, out);
    return;
  }
  fast::widen(table.row_ptr(r) + static_cast<std::size_t>(c0) * table.element_size(), table.type,
              static_cast<std::size_t>(n), out);
}

void Heatmap::upload_block(const HeatmapSpec& spec, long long r0, long long nr, long long c0,
                           long long nc) {
  std::vector<float> block(static_cast<size_t>(nr * nc));
  for (long long r = 0; r < nr; ++r)
    spec.read(r0 + r, c0, nc, block.data() + r * nc);
  data_.upload_r32f(static_cast<int>(nc), static_cast<int>(nr), block.data());
  block_r0_ = r0;
  block_rows_ = nr;
  block_c0_ = c0;
  block_cols_ = nc;
  block_version_ = spec.version;
  block_ptr_ = spec.source();
}

bool Heatmap::has_grid(const HeatmapSpec& spec, const Layout& L) {
  return spec.show_values && L.cell_w >= 6.0f && L.cell_h >= 6.0f;
}

void Heatmap::render(const HeatmapSpec& spec, int width, int height, double rb, double rc,
                     long long c0, long long nc, bool grid) {
  const long long max_tex = gl::max_texture_size();
  long long r_lo = static_cast<long long>(std::floor(rb));
  long long r_hi = std::min(spec.rows, static_cast<long long>(std::ceil(rb + rc)));
  bool inside = block_version_ == spec.version && block_ptr_ == spec.source() && r_lo >= block_r0_ &&
                r_hi <= block_r0_ + block_rows_ && c0 >= block_c0_ &&
                c0 + nc <= block_c0_ + block_cols_;
  if (!inside) {
    // The whole table when it fits comfortably; else a block of rows around the window.
    long long cols_block = std::min(spec.cols, max_tex);
    long long c_start = cols_block == spec.cols ? 0 : std::clamp(c0, 0LL, spec.cols - cols_block);
    long long budget_rows = std::max<long long>(2 * (r_hi - r_lo), (1LL << 22) / std::max(1LL, cols_block));
    long long rows_block = std::min({spec.rows, max_tex, budget_rows});
    long long centre = (r_lo + r_hi) / 2;
    long long r_start = std::clamp(centre - rows_block / 2, 0LL, spec.rows - rows_block);
    upload_block(spec, r_start, rows_block, c_start, cols_block);
  }
  HeatmapGpu& g = gpu();
  fbo_.ensure_size(width, height);
  fbo_.bind();
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);
  glDisable(GL_DEPTH_TEST);
  glDisable(GL_CULL_FACE);
  g.shader.use();
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, data_.id());
  glActiveTexture(GL_TEXTURE1);
  glBindTexture(GL_TEXTURE_2D, g.colormap.id());
  glActiveTexture(GL_TEXTURE0);
  glUniform1i(g.u_data, 0);
  glUniform1i(g.u_colormap, 1);
  float u0 = static_cast<float>(c0 - block_c0_) / static_cast<float>(block_cols_);
  float u1 = static_cast<float>(c0 + nc - block_c0_) / static_cast<float>(block_cols_);
  float v0 = static_cast<float>((rb - block_r0_) / static_cast<double>(block_rows_));
  float v1 = static_cast<float>((rb + rc - block_r0_) / static_cast<double>(block_rows_));
  glUniform2f(g.u_uv0, u0, v0);
  glUniform2f(g.u_uv1, u1, v1);
  glUniform1f(g.u_range, spec.range > 0 ? spec.range : 1.0f);
  // The grid: black at alpha 60 over the cells' colours (as ImGui's lines of IM_COL32(0, 0, 0, 60)
  // drew it), at every column boundary inside the map and every row boundary below the first.
  glUniform1f(g.u_grid, grid ? 60.0f / 255.0f : 0.0f);
  glUniform2f(g.u_cell_px, static_cast<float>(width) / static_cast<float>(std::max(1LL, nc)),
              static_cast<float>(height / std::max(1e-9, rc)));
  glUniform1f(g.u_columns, static_cast<float>(nc));
  glUniform1f(g.u_row_frac, static_cast<float>(rb - std::floor(rb)));
  g.vao.bind();
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray(0);
  glUseProgram(0);
  gl::Framebuffer::unbind();
}

// [SECTION] The widget

long long Heatmap::readable_rows_in(const HeatmapSpec& spec, ImVec2 size, bool at_least_two) const {
  const Layout L = layout(spec, size);
  const long long rows = static_cast<long long>(std::floor(L.map_size.y / ImGui::GetTextLineHeightWithSpacing()));
  return at_least_two ? std::max(2LL, rows) : rows;
}

float Heatmap::fold_band(const HeatmapSpec& spec, ImVec2 size) const {
  // A line under a folded map for the count of the rows after its last shown one, when taking
  // it leaves as many rows (it never costs a row: the note beside the title counts them too).
  const float band = ImGui::GetTextLineHeight();
  const long long with_band = readable_rows_in(spec, ImVec2(size.x, size.y - band), false);
  return with_band >= 2 && with_band == readable_rows_in(spec, size, false) ? band : 0.0f;
}

std::vector<long long> Heatmap::folded_rows(const HeatmapSpec& spec, ImVec2 size) const {
  if (!spec.readable_rows || fit_all_ || zoomed_ || !spec.values || spec.rows <= 2) return {};
  const long long readable = readable_rows_in(spec, size);
  if (spec.rows <= readable) return {};
  // Marks of one colour are one group of equal tokens. The selected row's group comes first
  // (else the first group), then the others, a pair of rows each, while whole pairs fit.
  std::vector<std::vector<long long>> groups;
  std::vector<ImU32> colours;
  for (const HeatmapRowMark& m : spec.marks) {
    if (m.row < 0 || m.row >= spec.rows) continue;
    const auto it = std::find(colours.begin(), colours.end(), m.colour);
    if (it == colours.end()) {
      colours.push_back(m.colour);
      groups.push_back({m.row});
    } else {
      groups[static_cast<std::size_t>(it - colours.begin())].push_back(m.row);
    }
  }
  for (std::size_t g = 1; g < groups.size(); ++g)
    if (std::find(groups[g].begin(), groups[g].end(), spec.selected_row) != groups[g].end()) std::rotate(groups.begin(), groups.begin() + static_cast<long>(g), groups.begin() + static_cast<long>(g) + 1);
  std::vector<long long> must;
  if (spec.selected_row >= 0 && spec.selected_row < spec.rows) must.push_back(spec.selected_row);
  for (const std::vector<long long>& g : groups) {
    std::vector<long long> pair(g.begin(), g.begin() + static_cast<long>(std::min<std::size_t>(2, g.size())));
    long long add = 0;
    for (long long r : pair) add += std::find(must.begin(), must.end(), r) == must.end();
    if (static_cast<long long>(must.size()) + add > readable) break;
    for (long long r : pair)
      if (std::find(must.begin(), must.end(), r) == must.end()) must.push_back(r);
  }
  if (must.empty()) return {};
  const auto [lo, hi] = std::minmax_element(must.begin(), must.end());
  if (*hi - *lo < readable) return {};  // one window holds them
  // The rows that must show, then their neighbours (the row after first, then before), nearest
  // first, until the rows that fit are taken.
  std::vector<long long> rows = must;
  for (long long dist = 1; static_cast<long long>(rows.size()) < readable && dist < spec.rows; ++dist)
    for (long long r : must)
      for (long long cand : {r + dist, r - dist})
        if (static_cast<long long>(rows.size()) < readable && cand >= 0 && cand < spec.rows &&
            std::find(rows.begin(), rows.end(), cand) == rows.end())
          rows.push_back(cand);
  std::sort(rows.begin(), rows.end());
  return rows;
}

HeatmapHover Heatmap::draw(const char* id, const HeatmapSpec& spec, ImVec2 size) {
  const std::vector<long long> rows = folded_rows(spec, size);
  if (rows.empty()) return draw_rows(id, spec, size, nullptr, spec.rows);
  // A folded view: the kept rows gathered into a smaller matrix, drawn as any other, with the
  // labels, marks, selection and hover mapped to the table's own rows.
  const long long k = static_cast<long long>(rows.size());
  folded_values_.resize(static_cast<std::size_t>(k * spec.cols));
  for (long long i = 0; i < k; ++i) spec.read(rows[static_cast<std::size_t>(i)], 0, spec.cols, folded_values_.data() + i * spec.cols);
  HeatmapSpec fs = spec;
  fs.values = folded_values_.data();
  fs.table = {};
  fs.rows = k;
  uint64_t h = spec.version * 1000003ull;
  for (long long r : rows) h = h * 31 + static_cast<uint64_t>(r) + 1;
  fs.version = h;
  auto orig = [rows](long long i) { return rows[static_cast<std::size_t>(std::clamp<long long>(i, 0, static_cast<long long>(rows.size()) - 1))]; };
  if (spec.row_label) fs.row_label = [f = spec.row_label, orig](long long i) { return f(orig(i)); };
  if (spec.row_label_colour) fs.row_label_colour = [f = spec.row_label_colour, orig](long long i) { return f(orig(i)); };
  auto index_of = [&rows](long long r) {
    const auto it = std::find(rows.begin(), rows.end(), r);
    return it == rows.end() ? -1LL : static_cast<long long>(it - rows.begin());
  };
  fs.marks.clear();
  for (HeatmapRowMark m : spec.marks)
    if ((m.row = index_of(m.row)) >= 0) fs.marks.push_back(m);
  fs.selected_row = spec.selected_row >= 0 ? index_of(spec.selected_row) : -1;
  HeatmapHover hover = draw_rows(id, fs, size, &rows, spec.rows);
  if (hover.row >= 0) hover.row = orig(hover.row);
  return hover;
}

HeatmapHover Heatmap::draw_rows(const char* id, const HeatmapSpec& spec, ImVec2 size, const std::vector<long long>* folded,
                                long long all_rows) {
  ImGui::PushID(id);
  // A folded map whose last rows are hidden says so on a line under it ("21 below") where that
  // line is free, and one whose first rows are hidden above its label column ("2 above"): gap
  // lines count only the rows between two shown ones, and the note beside the title does not
  // fit at every scale.
  const float whole_h = size.y;
  const long long before = folded && !folded->empty() ? folded->front() : 0;
  const long long after = folded && !folded->empty() ? all_rows - 1 - folded->back() : 0;
  const float band = after > 0 ? fold_band(spec, size) : 0.0f;
  size.y -= band;
  Layout L = layout(spec, size);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const std::string title = draw_title(dl, spec, L, size);
  HeatmapHover hover;
  if (spec.rows <= 0 || spec.cols <= 0 || !spec.source()) {
    draw_empty(dl, L, size);
    ImGui::PopID();
    return hover;
  }
  const double max_rows = fit_rows(spec, L);
  if (folded) {
    // Say which rows are on screen and how many are hidden (beside the title when it fits, else
    // in place of the column numbers' line is not available: the tooltip has it too).
    // The longest form that fits: hidden rows before the first shown or after the last have no
    // gap line of their own, so the count must show (a BERT table at a projector's scale hid
    // its last row without a word).
    const long long shown = static_cast<long long>(folded->size()), hidden = all_rows - shown;
    const std::string of = std::to_string(shown) + " of " + std::to_string(all_rows) + " rows";
    const std::string note = longest_fitting({of + ", " + std::to_string(hidden) + " hidden", of,
                                              std::to_string(hidden) + " hidden"},
                                             size.x - ImGui::CalcTextSize(title.c_str()).x - ImGui::GetFontSize());
    const float tw = ImGui::CalcTextSize(note.c_str()).x;
    if (note.find("...") == std::string::npos)
      dl->AddText(ImVec2(L.origin.x + size.x - tw, L.origin.y), ImGui::GetColorU32(ImGuiCol_TextDisabled), note.c_str());
  } else if (row_count_ < static_cast<double>(spec.rows)) {
    // Part of a tall table: say which rows are on screen.
    char buf[96];
    std::snprintf(buf, sizeof buf, "rows %lld-%lld of %lld", static_cast<long long>(row_begin_),
                  std::min(spec.rows, static_cast<long long>(std::ceil(row_begin_ + row_count_))) - 1, spec.rows);
    float tw = ImGui::CalcTextSize(buf).x;
    // Beside the title when both fit; never over it.
    if (ImGui::CalcTextSize(title.c_str()).x + tw + ImGui::GetFontSize() <= size.x)
      dl->AddText(ImVec2(L.origin.x + size.x - tw, L.origin.y), ImGui::GetColorU32(ImGuiCol_TextDisabled), buf);
  }
  const bool hovered = navigate(spec, L, max_rows);
  L.cell_w = L.map_size.x / static_cast<float>(L.nc);
  L.cell_h = L.map_size.y / static_cast<float>(row_count_);
  L.row_begin = row_begin_;
  L.r_first = static_cast<long long>(std::floor(row_begin_));
  L.r_last = std::min(spec.rows, static_cast<long long>(std::ceil(row_begin_ + row_count_)));
  draw_image(dl, spec, L);  // after the cells' sizes: its grid depends on them
  audit_key(("map: " + title).c_str(), L.map_min, L.map_max);
  draw_numbers_and_labels(dl, spec, L);
  draw_cells(dl, spec, L);
  if (folded) {
    // Where rows are hidden: a gap line across the map and, in the label column, how many.
    const ImU32 col = ImGui::GetColorU32(ImGuiCol_Text);
    const float t = std::max(3.0f, ImGui::GetFontSize() * 0.18f);  // the gap lines' thickness
    const auto dashed = [&](float x0, float y) {  // a dashed line from x0 to the map's right edge
      for (float x = x0; x < L.map_max.x; x += t * 3)
        dl->AddLine(ImVec2(x, y), ImVec2(std::min(x + t * 1.5f, L.map_max.x), y), col, std::max(1.5f, t * 0.5f));
    };
    for (std::size_t i = 1; i < folded->size(); ++i) {
      const long long hidden = (*folded)[i] - (*folded)[i - 1] - 1;
      if (hidden <= 0) continue;
      const float y = L.row_y(static_cast<double>(i));
      dl->AddRectFilled(ImVec2(L.origin.x, y - t / 2), ImVec2(L.map_max.x, y + t / 2), ImGui::GetColorU32(ImGuiCol_WindowBg));
      dashed(L.origin.x, y);
      if (L.label_w <= 0) continue;  // maps beside a labelled one show the line only
      char buf[48];
      std::snprintf(buf, sizeof buf, "%lld hidden", hidden);
      // Small enough to sit on the gap line between the numbers and labels of the rows on either
      // side (each holds its text, at most a line, in its middle), down to 0.55 of the font.
      const float em = ImGui::GetFontSize();
      const float size = std::clamp(L.cell_h - em - 2.0f, em * 0.55f, em);
      ImFont* font = ImGui::GetFont();
      const ImVec2 ts = font->CalcTextSizeA(size, FLT_MAX, 0.0f, buf);
      // At the left of the label column when it fits beside the labels of the rows on either
      // side of the gap (over the map it hid the cells' colours); else at the map's right end.
      float beside = 0;
      for (std::size_t q : {i - 1, i})
        if (spec.row_label) beside = std::max(beside, ImGui::CalcTextSize(spec.row_label(static_cast<long long>(q)).c_str()).x);
      const bool in_labels = ts.x + 2 * t + beside + 6.0f <= L.label_w - 6.0f;
      const ImVec2 at(in_labels ? L.origin.x + t : L.map_max.x - ts.x - t, y - ts.y / 2);
      audit_text("heatmap.hidden", buf, ts.x, L.map_max.x - L.origin.x);
      dl->AddRectFilled(ImVec2(at.x - t, at.y), ImVec2(at.x + ts.x + t, at.y + ts.y), ImGui::GetColorU32(ImGuiCol_WindowBg));
      dl->AddText(font, size, at, col, buf);
    }
    // The rows before the first shown and after the last.
    const ImU32 muted = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    if (after > 0 && band > 0) {
      const float y = L.map_max.y + band * 0.5f;
      dashed(L.map_min.x, y);
      if (L.label_w > 0) {
        // In the label column when it fits there, else on the line at the map's right end.
        const std::string note = std::to_string(after) + " below";
        const float w = ImGui::CalcTextSize(note.c_str()).x;
        const bool in_labels = w <= L.label_w - 6.0f;
        const float x = in_labels ? L.map_min.x - 6.0f - w : L.map_max.x - w - t;
        const float top = y - ImGui::GetTextLineHeight() * 0.5f;
        audit_text("heatmap.hidden", note, w, in_labels ? L.label_w - 6.0f : L.map_max.x - L.origin.x);
        if (!in_labels)
          dl->AddRectFilled(ImVec2(x - t, top), ImVec2(x + w + t, top + ImGui::GetTextLineHeight()), ImGui::GetColorU32(ImGuiCol_WindowBg));
        dl->AddText(ImVec2(x, top), muted, note.c_str());
      }
    }
    if (const std::string note = std::to_string(before) + " above";
        before > 0 && L.label_w > 0 && L.header_h >= L.line && ImGui::CalcTextSize(note.c_str()).x <= L.label_w - 6.0f) {
      const float w = ImGui::CalcTextSize(note.c_str()).x;
      audit_text("heatmap.hidden", note, w, L.label_w - 6.0f);
      dl->AddText(ImVec2(L.map_min.x - 6.0f - w, L.map_min.y - L.header_h), muted, note.c_str());
    }
  }
  if (hovered) hover = hover_cell(spec, L);
  copy_menu(spec);
  ImGui::SetCursorScreenPos(ImVec2(L.origin.x, L.origin.y + whole_h));
  ImGui::Dummy(ImVec2(size.x, 0));
  ImGui::PopID();
  return hover;
}

// Where everything goes: title line, column numbers line, then row labels | map.
Heatmap::Layout Heatmap::layout(const HeatmapSpec& spec, ImVec2 size) const {
  Layout L;
  const ImGuiStyle& style = ImGui::GetStyle();
  const float line = ImGui::GetTextLineHeight();
  L.line = line;
  L.origin = ImGui::GetCursorScreenPos();
  L.title_h = spec.title.empty() ? 0.0f : line + style.ItemSpacing.y;
  L.header_h = spec.show_col_numbers ? line + 2.0f : 2.0f;
  L.nc = spec.col_count > 0 ? std::min(spec.col_count, spec.cols) : spec.cols;
  L.c0 = std::clamp(spec.col_begin, 0LL, std::max(0LL, spec.cols - L.nc));
  if (spec.show_labels && spec.row_label) {
    if (spec.label_width > 0) {
      L.label_w = spec.label_width;
    } else {
      // Up to 256 labels spread over the whole table (ids grow wider towards the end).
      long long probe = std::min<long long>(spec.rows, 256);
      for (long long k = 0; k < probe; ++k) {
        long long r = probe < spec.rows ? k * (spec.rows - 1) / std::max(1LL, probe - 1) : k;
        L.label_w = std::max(L.label_w, ImGui::CalcTextSize(spec.row_label(r).c_str()).x);
      }
      // At most a third of the width, or half when the map has few columns (a d = 4 table needs
      // little width and "0  <unk>" was cut at a projector's scale).
      L.label_w = std::min(L.label_w + 10.0f, size.x * (L.nc <= 8 ? 0.5f : 0.35f));
    }
  }
  L.map_min = ImVec2(L.origin.x + L.label_w, L.origin.y + L.title_h + L.header_h);
  L.map_size = ImVec2(std::max(8.0f, size.x - L.label_w), std::max(8.0f, size.y - L.title_h - L.header_h));
  if (spec.square_cells && spec.rows > 0 && L.nc > 0) {
    const float cell = std::min(L.map_size.x / static_cast<float>(L.nc), L.map_size.y / static_cast<float>(spec.rows));
    L.map_size = ImVec2(std::max(8.0f, cell * static_cast<float>(L.nc)), std::max(8.0f, cell * static_cast<float>(spec.rows)));
  }
  L.map_max = ImVec2(L.map_min.x + L.map_size.x, L.map_min.y + L.map_size.y);
  return L;
}

// The title, cut to the map's width (the whole title on hover); returns what was drawn.
std::string Heatmap::draw_title(ImDrawList* dl, const HeatmapSpec& spec, const Layout& L, ImVec2 size) const {
  const float line = L.line;
  // The title never runs into the next panel: the short title when the whole one does not fit,
  // else cut to this one's width (the whole title on hover).
  const bool use_short = !spec.short_title.empty() && ImGui::CalcTextSize(spec.title.c_str()).x > size.x;
  const std::string title = fit_text(use_short ? spec.short_title : spec.title, size.x);
  if (!spec.title.empty()) {
    audit_name("heatmap.title", title, ImGui::CalcTextSize(title.c_str()).x, size.x);
    dl->AddText(L.origin, ImGui::GetColorU32(ImGuiCol_Text), title.c_str());
    if (title != spec.title && ImGui::IsMouseHoveringRect(L.origin, ImVec2(L.origin.x + size.x, L.origin.y + line)))
      ImGui::SetTooltip("%s", spec.title.c_str());
  }

  return title;
}

void Heatmap::draw_empty(ImDrawList* dl, const Layout& L, ImVec2 size) {
  ImGui::SetCursorScreenPos(L.map_min);
  ImGui::InvisibleButton("empty", L.map_size);
  dl->AddRect(L.map_min, L.map_max, ImGui::GetColorU32(ImGuiCol_Border));
  const char* msg = "(nothing to show)";
  ImVec2 ts = ImGui::CalcTextSize(msg);
  dl->AddText(ImVec2(L.map_min.x + (L.map_size.x - ts.x) / 2, L.map_min.y + (L.map_size.y - ts.y) / 2),
              ImGui::GetColorU32(ImGuiCol_TextDisabled), msg);
  ImGui::SetCursorScreenPos(ImVec2(L.origin.x, L.origin.y + size.y));
}

// The visible row window: all rows unless zoomed, never more than a texture holds, and with
// readable_rows as many as fit at one text line each. Returns the most rows shown at once.
double Heatmap::fit_rows(const HeatmapSpec& spec, const Layout& L) {
  // Visible row window: fit all unless zoomed; never more rows than a texture can hold.
  // At most half a texture of rows at once, so the uploaded block can hold a margin for panning.
  const double max_rows = static_cast<double>(std::min<long long>(spec.rows, gl::max_texture_size() / 2));
  if (!zoomed_ || row_count_ <= 0 || row_count_ > max_rows) {
    row_count_ = max_rows;
    if (!zoomed_) row_begin_ = 0;
    // As many rows as fit at one text line each (at least two), so every visible row has its label.
    const double readable = std::max(2.0, std::floor(static_cast<double>(L.map_size.y) / ImGui::GetTextLineHeightWithSpacing()));
    if (spec.readable_rows && !fit_all_ && !zoomed_ && max_rows > readable) {
      row_count_ = readable;
      if (spec.selected_row >= 0) {
        row_begin_ = static_cast<double>(spec.selected_row) - std::floor(readable / 2);
      } else if (!spec.marks.empty()) {
        // No selection: the window that starts at 0, moved down just enough to hold the marked
        // (repeated) rows when they fit in one window (folded_rows() handles those that do not).
        long long lo = spec.rows, hi = -1;
        for (const HeatmapRowMark& m : spec.marks) lo = std::min(lo, m.row), hi = std::max(hi, m.row);
        if (hi >= static_cast<long long>(readable) && double(hi - lo) < readable) row_begin_ = double(hi) - readable + 1;
      }
    }
  }
  row_begin_ = std::clamp(row_begin_, 0.0, static_cast<double>(spec.rows) - row_count_);
  return max_rows;
}

// Wheel zooms the rows about the mouse, drag pans, double-click fits; true when hovered.
bool Heatmap::navigate(const HeatmapSpec& spec, const Layout& L, double max_rows) {
  ImGui::SetCursorScreenPos(L.map_min);
  ImGui::InvisibleButton("map", L.map_size);
  bool hovered = ImGui::IsItemHovered();
  ImGuiIO& io = ImGui::GetIO();
  if (hovered && io.MouseWheel != 0.0f) {
    double frac = (io.MousePos.y - L.map_min.y) / L.map_size.y;
    double anchor = row_begin_ + frac * row_count_;
    double factor = io.MouseWheel > 0 ? 0.8 : 1.25;
    row_count_ = std::clamp(row_count_ * factor, std::min(4.0, max_rows), max_rows);
    zoomed_ = row_count_ < max_rows;
    row_begin_ = std::clamp(anchor - frac * row_count_, 0.0, static_cast<double>(spec.rows) - row_count_);
  }
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
    zoomed_ = zoomed_ || row_count_ < static_cast<double>(spec.rows);
    row_begin_ -= io.MouseDelta.y / L.map_size.y * row_count_;
    row_begin_ = std::clamp(row_begin_, 0.0, static_cast<double>(spec.rows) - row_count_);
  }
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
    const bool all = !fit_all_ && spec.readable_rows && !zoomed_;
    reset_view();
    fit_all_ = all;
  }

  return hovered;
}

// The offscreen image of the visible cells, redrawn only when something it depends on changed.
void Heatmap::draw_image(ImDrawList* dl, const HeatmapSpec& spec, const Layout& L) {
  ImGuiIO& io = ImGui::GetIO();
  // Redraw the offscreen image only when something it depends on changed.
  ImVec2 scale = io.DisplayFramebufferScale;
  int px_w = std::max(1, static_cast<int>(L.map_size.x * scale.x));
  int px_h = std::max(1, static_cast<int>(L.map_size.y * scale.y));
  const bool grid = has_grid(spec, L);
  Key key{spec.version, spec.source(), row_begin_, row_count_, L.c0, L.nc, spec.range, px_w, px_h, grid};
  if (!(key == rendered_)) {
    render(spec, px_w, px_h, row_begin_, row_count_, L.c0, L.nc, grid);
    rendered_ = key;
  }
  dl->AddImage(fbo_.color().imgui_id(), L.map_min, L.map_max, ImVec2(0, 0), ImVec2(1, 1));
}

// Column numbers (every column when they fit, else a sparse scale) and row labels (thinned
// when rows are smaller than a text line).
void Heatmap::draw_numbers_and_labels(ImDrawList* dl, const HeatmapSpec& spec, const Layout& L) const {
  const float line = L.line;
  dl->PushClipRect(ImVec2(L.origin.x, L.map_min.y - L.header_h), ImVec2(L.map_max.x, L.map_max.y + 1), true);
  // Column numbers: every column when they fit, else a sparse scale.
  if (spec.show_col_numbers) {
    float num_w = ImGui::CalcTextSize("0000").x;
    long long step = std::max<long long>(1, static_cast<long long>(std::ceil(num_w / std::max(1e-3f, L.cell_w))));
    // Round up to 1, 2, 5, 10, 20, 50, ... so the numbers read as a scale.
    for (long long nice = 1;; nice *= 10) {
      if (step <= nice) { step = nice; break; }
      if (step <= 2 * nice) { step = 2 * nice; break; }
      if (step <= 5 * nice) { step = 5 * nice; break; }
    }
    ImU32 col = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    for (long long c = 0; c < L.nc; c += step) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%lld", L.c0 + c);
      float tw = ImGui::CalcTextSize(buf).x;
      float x = L.map_min.x + (static_cast<float>(c) + 0.5f) * L.cell_w - tw / 2;
      if (step > 1) x = L.map_min.x + static_cast<float>(c) * L.cell_w;
      if (x + tw > L.map_max.x + 1.0f) break;  // a number that would be cut is left out, never cut
      audit_name("heatmap.column", buf, tw, L.map_max.x + 1.0f - x);
      dl->AddText(ImVec2(x, L.map_min.y - L.header_h), col, buf);
    }
  }
  // Row labels: every one, in a smaller font down to 0.7 of a line when rows are shorter than a
  // line (at a projector's scale, thinning to every other row hid the repeated row's label);
  // thinned only below that.
  if (L.label_w > 0) {
    const float fs = std::clamp(L.cell_h, line * 0.7f, line);
    ImFont* font = ImGui::GetFont();
    long long step = std::max<long long>(1, static_cast<long long>(std::ceil(fs / std::max(0.01f, L.cell_h) - 1e-3f)));
    // Where a label goes: centred on its row, but inside the map's height (a label taller than
    // the last row was cut at the bottom).
    const auto label_y = [&](long long r) {
      return std::clamp(L.row_y(static_cast<double>(r) + 0.5) - fs / 2, L.map_min.y, L.map_max.y - fs);
    };
    // The rows that must keep their labels, drawn first: the selected row and the marked
    // (repeated) ones; thinned labels fill in around them and never overlap one.
    std::vector<long long> rows;
    if (spec.selected_row >= L.r_first && spec.selected_row < L.r_last) rows.push_back(spec.selected_row);
    for (const HeatmapRowMark& m : spec.marks)
      if (m.row >= L.r_first && m.row < L.r_last && std::find(rows.begin(), rows.end(), m.row) == rows.end()) rows.push_back(m.row);
    const std::size_t kept = rows.size();
    for (long long r = L.r_first; r < L.r_last; ++r)
      if (r % step == 0 && std::find(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(kept), r) == rows.begin() + static_cast<std::ptrdiff_t>(kept))
        rows.push_back(r);
    std::vector<std::pair<float, float>> taken;  // y spans of the labels drawn
    for (long long r : rows) {
      const float y = label_y(r);
      const bool clash = std::any_of(taken.begin(), taken.end(), [&](const auto& t) { return y < t.second - 0.5f && y + fs > t.first + 0.5f; });
      if (clash) continue;
      taken.emplace_back(y, y + fs);
      std::string text = spec.row_label(r);
      ImU32 col = spec.row_label_colour ? spec.row_label_colour(r) : ImGui::GetColorU32(ImGuiCol_Text);
      // A label wider than its column: a smaller font (down to 0.7 of a line), then cut with "..."
      // (the whole label is in the row's tooltip).
      const float room = L.label_w - 6.0f;
      float size = fs, tw = font->CalcTextSizeA(size, FLT_MAX, 0.0f, text.c_str()).x;
      if (tw > room) {
        size = std::max(line * 0.7f, size * room / tw);
        tw = font->CalcTextSizeA(size, FLT_MAX, 0.0f, text.c_str()).x;
      }
      if (tw > room) {
        text = fit_text(text, room, font, size);
        tw = font->CalcTextSizeA(size, FLT_MAX, 0.0f, text.c_str()).x;
      }
      audit_text("heatmap.row_label", text, tw, room);
      dl->AddText(font, size, ImVec2(L.map_min.x - tw - 6.0f, y + (fs - size) / 2), col, text.c_str());
    }
  }
  dl->PopClipRect();

}

// Values in the cells (when there is room), grid lines, marked rows and the selected row.
void Heatmap::draw_cells(ImDrawList* dl, const HeatmapSpec& spec, const Layout& L) const {
  dl->PushClipRect(L.map_min, ImVec2(L.map_max.x + 1, L.map_max.y + 1), true);
  // Numbers in the cells, when there is room for them (the classroom case).
  if (spec.show_values) {
    // Numbers when the widest of those shown fits its cell, in a smaller font if need be (down
    // to smallest_text_size: 0.65 of the font's size, half of presenter mode's large type): the
    // lesson's three maps of a sum side by side all show theirs, so a class can add
    // 0.069 + 0.69 = 0.76 by eye.
    const float em = ImGui::GetFontSize(), min_size = smallest_text_size(em);
    ImFont* font = ImGui::GetFont();
    if (L.cell_h >= min_size + 2.0f && L.cell_w >= font->CalcTextSizeA(min_size, FLT_MAX, 0.0f, "-0.0").x + 4.0f &&
        static_cast<double>(L.r_last - L.r_first) * static_cast<double>(L.nc) <= 20000.0) {
      float widest = 0;
      for (long long r = L.r_first; r < L.r_last; ++r)
        for (long long c = 0; c < L.nc; ++c) {
          const float v = spec.at(r, L.c0 + c);
          if (!std::isnan(v)) widest = std::max(widest, ImGui::CalcTextSize(format_value(v).c_str()).x);
        }
      const float size = std::min({em, L.cell_h - 2.0f, em * (L.cell_w - 4.0f) / std::max(1.0f, widest)});
      if (size >= min_size) {
        for (long long r = L.r_first; r < L.r_last; ++r) {
          for (long long c = 0; c < L.nc; ++c) {
            float v = spec.at(r, L.c0 + c);
            // A masked cell says so by its hatch (and its tooltip): a word on each of them was
            // clutter, and unreadable on the hatch.
            if (std::isnan(v)) continue;
            std::string s = format_value(v);
            ImVec2 ts = font->CalcTextSizeA(size, FLT_MAX, 0.0f, s.c_str());
            ImVec2 p(L.map_min.x + (static_cast<float>(c) + 0.5f) * L.cell_w - ts.x / 2,
                     L.row_y(static_cast<double>(r) + 0.5) - ts.y / 2);
            dl->AddText(font, size, p, contrast_text(value_colour(v, spec.range)), s.c_str());
          }
        }
      }
    }
    // Thin grid lines once cells are big enough to tell apart: drawn into the image (has_grid).
  }
  // Marked rows (repeated tokens): a coloured frame around the row and a tag on the right.
  for (const HeatmapRowMark& m : spec.marks) {
    if (m.row < L.r_first || m.row >= L.r_last) continue;
    float y0 = L.row_y(static_cast<double>(m.row)), y1 = L.row_y(static_cast<double>(m.row + 1));
    float t = std::clamp(L.cell_h * 0.12f, 2.0f, 4.0f);
    dl->AddRect(ImVec2(L.map_min.x + t / 2, y0 + t / 2), ImVec2(L.map_max.x - t / 2, std::max(y0 + t, y1 - t / 2)),
                m.colour, 0.0f, 0, t);
  }
  // The selected row: a black band under a white one, so it stands out on pale and on dark cells
  // alike (a 1.5-px white outline vanished on pale cells).
  if (spec.selected_row >= L.r_first && spec.selected_row < L.r_last) {
    float y0 = L.row_y(static_cast<double>(spec.selected_row)), y1 = std::max(y0 + 4, L.row_y(static_cast<double>(spec.selected_row + 1)));
    dl->AddRect(ImVec2(L.map_min.x + 1, y0 + 1), ImVec2(L.map_max.x - 1, y1 - 1), IM_COL32(0, 0, 0, 255), 0, 0, 5.0f);
    dl->AddRect(ImVec2(L.map_min.x + 1, y0 + 1), ImVec2(L.map_max.x - 1, y1 - 1), kSelectColour, 0, 0, 2.5f);
  }
  dl->PopClipRect();
  // Tags beside the labels (outside the map so they never hide values).
  for (const HeatmapRowMark& m : spec.marks) {
    if (m.tag.empty() || m.row < L.r_first || m.row >= L.r_last || L.label_w <= 0) continue;
    float y = L.row_y(static_cast<double>(m.row) + 0.5);
    dl->AddCircleFilled(ImVec2(L.origin.x + 5.0f, y), 4.0f, m.colour);
  }
  dl->AddRect(L.map_min, L.map_max, ImGui::GetColorU32(ImGuiCol_Border));

}

// The cell under the mouse: its tooltip, and a right-click opens the copy menu on it.
HeatmapHover Heatmap::hover_cell(const HeatmapSpec& spec, const Layout& L) {
  HeatmapHover hover;
  ImGuiIO& io = ImGui::GetIO();
    long long c = L.c0 + static_cast<long long>((io.MousePos.x - L.map_min.x) / L.cell_w);
    long long r = static_cast<long long>(std::floor(row_begin_ + (io.MousePos.y - L.map_min.y) / L.cell_h));
    if (r >= 0 && r < spec.rows && c >= L.c0 && c < L.c0 + L.nc) {
      hover.row = r;
      hover.col = c;
      hover.value = spec.at(r, c);
      hover.clicked = ImGui::IsMouseReleased(ImGuiMouseButton_Left) && io.MouseDragMaxDistanceSqr[0] < 9.0f;
      ImGui::BeginTooltip();
      if (spec.row_label) ImGui::Text("%s %lld: %s", spec.row_noun.c_str(), r, spec.row_label(r).c_str());
      else ImGui::Text("%s %lld", spec.row_noun.c_str(), r);
      ImGui::Text("%s %lld", spec.col_noun.c_str(), c);
      if (std::isnan(hover.value)) ImGui::TextUnformatted("value: masked (NaN)");
      else ImGui::Text("value: %.6g", static_cast<double>(hover.value));
      if (row_count_ < spec.rows) ImGui::TextDisabled("wheel: zoom rows, drag: pan, double-click: fit");
      ImGui::TextDisabled("right-click: copy");
      ImGui::EndTooltip();
      if (ImGui::IsMouseClicked(ImGuiMouseButton_Right)) {
        copy_row_ = r;
        copy_col_ = c;
        ImGui::OpenPopup("copy");
      }
    }
  return hover;
}

// Copy a cell, a row or the whole matrix to the clipboard (CSV, 9 significant digits).
void Heatmap::copy_menu(const HeatmapSpec& spec) {
  if (ImGui::BeginPopup("copy")) {
    const long long r = std::clamp(copy_row_, 0LL, spec.rows - 1), c = std::clamp(copy_col_, 0LL, spec.cols - 1);
    char label[96];
    std::snprintf(label, sizeof label, "Copy the value (%s %lld, %s %lld)", spec.row_noun.c_str(), r, spec.col_noun.c_str(), c);
    const float value = spec.at(r, c);
    if (ImGui::MenuItem(label)) ImGui::SetClipboardText(csv_text(&value, 1, 1, 1).c_str());
    std::snprintf(label, sizeof label, "Copy %s %lld (%lld values, CSV)", spec.row_noun.c_str(), r, spec.cols);
    if (ImGui::MenuItem(label)) {
      std::vector<float> row(static_cast<std::size_t>(spec.cols));
      spec.read(r, 0, spec.cols, row.data());
      ImGui::SetClipboardText(csv_text(row.data(), 1, spec.cols, spec.cols).c_str());
    }
    std::snprintf(label, sizeof label, "Copy the matrix (%lld x %lld, CSV)", spec.rows, spec.cols);
    if (ImGui::MenuItem(label, nullptr, false, spec.rows * spec.cols <= (1LL << 24))) {
      std::vector<float> all(static_cast<std::size_t>(spec.rows * spec.cols));
      for (long long i = 0; i < spec.rows; ++i) spec.read(i, 0, spec.cols, all.data() + i * spec.cols);
      ImGui::SetClipboardText(csv_text(all.data(), spec.rows, spec.cols, spec.cols).c_str());
    }
    ImGui::EndPopup();
  }
}

// [SECTION] Colour bar and number formatting

std::string format_value(double v) {
  char buf[32];
  double a = std::fabs(v);
  if (std::isnan(v)) return "nan";
  if (a != 0 && (a < 1e-3 || a >= 1e5)) std::snprintf(buf, sizeof buf, "%.2e", v);
  else if (a < 0.1) std::snprintf(buf, sizeof buf, "%.3f", v);
  else if (a < 100) std::snprintf(buf, sizeof buf, "%.2f", v);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

// The bar's width and the gap to its numbers grow with the font (a projector's UI scale).
static float colour_bar_strip() { return std::max(18.0f, ImGui::GetTextLineHeight() * 0.8f); }

float colour_bar_width(float range) {
  // The widest of the numbers it may show: the ends and the quarters (-0.056 is wider than -0.11).
  float w = 0;
  for (double v : {-1.0, -0.5, 0.5, 1.0}) w = std::max(w, ImGui::CalcTextSize(format_value(v * range).c_str()).x);
  return colour_bar_strip() + 6.0f + w + 4.0f;
}
void colour_bar(const char* caption, float range, ImVec2 size) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImVec2 p = ImGui::GetCursorScreenPos();
  const float line = ImGui::GetTextLineHeight();
  if (caption && *caption) dl->AddText(p, ImGui::GetColorU32(ImGuiCol_Text), caption);
  float top = p.y + (caption && *caption ? line * 2 + 4.0f : line * 0.5f), bottom = p.y + size.y - line * 0.5f;
  const float bar_w = colour_bar_strip();
  const int steps = 64;
  for (int i = 0; i < steps; ++i) {
    float t0 = static_cast<float>(i) / steps, t1 = static_cast<float>(i + 1) / steps;
    float y0 = bottom - (bottom - top) * t0, y1 = bottom - (bottom - top) * t1;
    dl->AddRectFilled(ImVec2(p.x, y1), ImVec2(p.x + bar_w, y0 + 0.5f), diverging_colour((t0 + t1) / 2));
  }
  dl->AddRect(ImVec2(p.x, top), ImVec2(p.x + bar_w, bottom), ImGui::GetColorU32(ImGuiCol_Border));
  // Quarters when there is room for five numbers, else the ends and zero.
  const int div = (bottom - top) > line * 6 ? 4 : 2;
  for (int k = 0; k <= div; ++k) {
    float t = static_cast<float>(k) / static_cast<float>(div);
    float y = bottom - (bottom - top) * t;
    double v = (t * 2 - 1) * range;
    std::string s = 2 * k == div ? "0" : format_value(v);
    dl->AddLine(ImVec2(p.x + bar_w, y), ImVec2(p.x + bar_w + 4, y), ImGui::GetColorU32(ImGuiCol_Text));
    audit_name("colour_bar.tick", s, ImGui::CalcTextSize(s.c_str()).x, size.x - bar_w - 6.0f);
    dl->AddText(ImVec2(p.x + bar_w + 6, y - line / 2), ImGui::GetColorU32(ImGuiCol_Text), s.c_str());
  }
  // NaN swatch under the bar when there is room.
  ImGui::Dummy(size);
}

float max_abs(const float* values, long long count) {
  float m = 0;
  for (long long i = 0; i < count; ++i)
    if (std::isfinite(values[i])) m = std::max(m, std::fabs(values[i]));
  return m;
}

float symmetric_range(const TableView& table) {
  if (table.rows <= 0 || table.cols <= 0) return 1.0f;
  if (const float* f = table.f32(); f && table.rows * table.cols <= (1LL << 26)) return symmetric_range(f, table.rows * table.cols);
  const long long step = table.rows * table.cols <= (1LL << 26) ? 1 : std::max(1LL, table.rows / 8192);
  std::vector<float> row(static_cast<std::size_t>(table.cols));
  float m = 0;
  for (long long r = 0; r < table.rows; r += step) {
    table.read_rows(r, 1, row.data());
    m = std::max(m, max_abs(row.data(), table.cols));
  }
  return m > 0 ? m : 1.0f;
}

float symmetric_range(const float* values, long long count) {
  const float m = max_abs(values, count);
  return m > 0 ? m : 1.0f;
}

}  // namespace es::ui
