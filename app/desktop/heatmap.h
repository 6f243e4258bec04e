// The texture heatmap widget: a float matrix drawn as one GL_R32F texture through the
// diverging colour map in shaders/heatmap.frag.glsl, rendered into an offscreen framebuffer
// and shown with ImGui::Image. The matrix is uploaded only when its version changes (or the
// visible window leaves the uploaded block), and the framebuffer is redrawn only when the
// data, window, range or size change, so an idle frame costs one textured quad.
//
// Tables larger than GL_MAX_TEXTURE_SIZE (16384 under Mesa; GPT-2 has 50257 token rows) are
// windowed: only a block of rows around the visible window lives on the GPU.
//
// Interaction: wheel zooms the rows around the mouse, drag pans them, double-click fits all;
// hovering shows row label, dimension and value; the caller owns the dimension window.
#pragma once

#include "gl_objects.h"
#include "table_view.h"

#include <imgui.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace es::ui {

struct HeatmapRowMark {
  long long row = 0;
  ImU32 colour = 0;
  std::string tag;  // short text drawn at the right end of the row, e.g. "= row 1"
};

struct HeatmapSpec {
  const float* values = nullptr;  // (rows, cols) row-major; must stay valid during draw()
  // Instead of values: a table in its stored type (a BF16 checkpoint's token table), read a
  // block of rows at a time, never converted whole.
  TableView table;
  const void* source() const { return values ? static_cast<const void*>(values) : table.data; }
  float at(long long r, long long c) const;                      // one value
  void read(long long r, long long c0, long long n, float* out) const;  // n values of row r from column c0
  long long rows = 0, cols = 0;
  uint64_t version = 0;           // change it whenever the values change
  float range = 1.0f;             // colours span [-range, range], centred at zero
  std::string title;              // drawn above the map
  std::string short_title;        // drawn instead when the title does not fit ("+ P")
  std::function<std::string(long long row)> row_label;  // e.g. "0  the"
  std::function<ImU32(long long row)> row_label_colour;
  std::vector<HeatmapRowMark> marks;  // rows drawn with a coloured frame
  long long selected_row = -1;
  long long col_begin = 0, col_count = 0;  // dimension window; col_count 0 = every column
  bool show_values = true;        // numbers in the cells when they are large enough
  bool show_labels = true;        // row labels on the left
  bool show_col_numbers = true;   // the line of column numbers over the map
  std::string row_noun = "row";   // "token", "position", "query"
  std::string col_noun = "dim";   // "dim", "key"
  float label_width = 0;          // 0: fit to the labels
  // Square cells (an S map of queries by keys: its diagonals run at 45 degrees): the map takes
  // the largest square-celled size in the room given, at its top left. Every row is shown.
  bool square_cells = false;
  // Rows of a text (one per token): unless zoomed, show as many rows as fit at one text line
  // each (every visible row labelled and readable), around the selected row, and scroll for
  // the rest; double-click toggles to every row at once. Off: fit every row (whole tables).
  bool readable_rows = false;
};

struct HeatmapHover {
  long long row = -1, col = -1;
  float value = 0;
  bool clicked = false;
};

class Heatmap {
 public:
  // Draws title, row labels, column numbers and the map into `size` (whole widget).
  HeatmapHover draw(const char* id, const HeatmapSpec& spec, ImVec2 size);
  void reset_view() { row_begin_ = 0; row_count_ = 0; zoomed_ = false; }
  // The visible row window, to keep maps shown side by side on the same rows.
  struct View {
    double begin = 0, count = 0;
    bool zoomed = false, fit_all = false;
    bool operator==(const View&) const = default;
  };
  View view() const { return {row_begin_, row_count_, zoomed_, fit_all_}; }
  void set_view(const View& v) { row_begin_ = v.begin, row_count_ = v.count, zoomed_ = v.zoomed, fit_all_ = v.fit_all; }

 private:
  // Where a frame's heatmap goes (screen pixels) and which cells are visible.
  struct Layout {
    ImVec2 origin, map_min, map_size, map_max;
    float line = 0, title_h = 0, header_h = 0, label_w = 0;
    long long c0 = 0, nc = 0;              // visible columns
    float cell_w = 0, cell_h = 0;          // once the row window is known
    double row_begin = 0;
    long long r_first = 0, r_last = 0;     // visible rows [r_first, r_last)
    float row_y(double r) const { return map_min.y + static_cast<float>((r - row_begin) * cell_h); }
  };
  Layout layout(const HeatmapSpec& spec, ImVec2 size) const;
  // The rows of a folded view: when readable rows cannot all be shown and the marked (repeated)
  // and selected rows do not fit in one window of them, those rows with their neighbours, in
  // order (gaps drawn and counted); empty when no folding is needed.
  std::vector<long long> folded_rows(const HeatmapSpec& spec, ImVec2 size) const;
  // The rows a line high each that the map of a widget of `size` holds (at least two, or not).
  long long readable_rows_in(const HeatmapSpec& spec, ImVec2 size, bool at_least_two = true) const;
  float fold_band(const HeatmapSpec& spec, ImVec2 size) const;  // the line under a folded map, or 0
  HeatmapHover draw_rows(const char* id, const HeatmapSpec& spec, ImVec2 size, const std::vector<long long>* folded,
                         long long all_rows);
  std::string draw_title(ImDrawList* dl, const HeatmapSpec& spec, const Layout& L, ImVec2 size) const;
  void draw_empty(ImDrawList* dl, const Layout& L, ImVec2 size);
  double fit_rows(const HeatmapSpec& spec, const Layout& L);
  bool navigate(const HeatmapSpec& spec, const Layout& L, double max_rows);
  void draw_image(ImDrawList* dl, const HeatmapSpec& spec, const Layout& L);
  void draw_numbers_and_labels(ImDrawList* dl, const HeatmapSpec& spec, const Layout& L) const;
  void draw_cells(ImDrawList* dl, const HeatmapSpec& spec, const Layout& L) const;
  HeatmapHover hover_cell(const HeatmapSpec& spec, const Layout& L);
  void copy_menu(const HeatmapSpec& spec);
  void upload_block(const HeatmapSpec& spec, long long r0, long long nr, long long c0, long long nc);
  // `grid`: thin lines between the cells drawn into the image (cached with it: drawn each frame
  // as lines, a software renderer spent 1.4-1.9 ms a frame on the Matrix view's).
  void render(const HeatmapSpec& spec, int width, int height, double rb, double rc, long long c0,
              long long nc, bool grid);
  // Whether the map has lines between its cells: when it shows values and cells are 6 pixels or more.
  static bool has_grid(const HeatmapSpec& spec, const Layout& L);

  gl::Texture data_;
  gl::Framebuffer fbo_;
  long long block_r0_ = 0, block_rows_ = 0, block_c0_ = 0, block_cols_ = 0;
  uint64_t block_version_ = ~0ull;
  const void* block_ptr_ = nullptr;
  double row_begin_ = 0, row_count_ = 0;  // visible rows; row_count_ 0 = fit all
  bool zoomed_ = false;                   // false: follow the table, showing every row
  bool fit_all_ = false;                  // readable_rows overridden by a double-click
  long long copy_row_ = 0, copy_col_ = 0;  // the cell a right-click opened the copy menu on
  std::vector<float> folded_values_;      // the folded rows' values, (rows, cols)
  struct Key {
    uint64_t version = ~0ull;
    const void* ptr = nullptr;
    double rb = -1, rc = -1;
    long long c0 = -1, nc = -1;
    float range = 0;
    int w = 0, h = 0;
    bool grid = false;
    bool operator==(const Key&) const = default;
  } rendered_;
};

// A vertical colour bar for the symmetric range [-range, range] with numbers at the ends,
// the quarters and zero; `caption` above it (e.g. "value").
void colour_bar(const char* caption, float range, ImVec2 size);
// Width a colour bar needs for its numbers.
float colour_bar_width(float range);

// A short, readable number: 3 significant digits, no exponent for ordinary magnitudes.
std::string format_value(double v);

// max |x| over the finite values (1 if none), for a symmetric colour range.
float symmetric_range(const float* values, long long count);
// The same for a whole table in its stored type: every value up to 2^26 of them, else the rows
// of an even sample of 8,192 (a colour scale must not take seconds on a LLaMA-size table; a
// value beyond the sample's largest is drawn at full colour, its number still exact).
float symmetric_range(const TableView& table);
// The largest finite |value|, 0 for an all-zero (or empty) matrix.
float max_abs(const float* values, long long count);

}  // namespace es::ui
