// PCA view: the sentence's rows in one PCA basis shared by the token, position and combined
// rows (AppState fits it on all three stacked), so switching rows keeps the axes and the
// points visibly move. Points are coloured by position (viridis, with a legend), joined in
// sequence order, labelled with their token; repeated tokens share a glyph. Optional
// background layers: the model's whole position table and whole vocabulary, drawn as one
// point-sprite VBO each into an offscreen framebuffer that is redrawn only when the view
// changes. Wheel zooms, drag pans, double-click fits, hover identifies, click selects.
#include "audit.h"
#include "background.h"
#include "colors.h"
#include "gl_objects.h"
#include "panel.h"
#include "tokenizer.h"
#include "threads.h"
#include "vocabulary.h"

#include <imgui_stdlib.h>
#include "widgets.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <future>

namespace es::ui {
namespace {

constexpr std::array<const char*, 3> kRowNames = {"token", "position", "combined"};

struct PointLayer {
  gl::Buffer vbo;
  gl::VertexArray vao;
  long long count = 0;
  uint64_t version = 0;  // AppState version it was projected for
  bool enabled = false;
  // Projection of a whole table runs on a worker (50257 x 768 takes a noticeable moment);
  // the points are uploaded on the main thread when it is done.
  BackgroundTask<std::vector<float>> pending;
  uint64_t pending_version = 0;
};

class PcaPanel final : public Panel {
 public:
  const char* name() const override { return "pca"; }
  bool shows_in(ViewId v) const override { return v == ViewId::Pca; }

  void set_option(const std::string& key, const std::string& value) override {
    if (key == "rows") {
      for (int i = 0; i < 3; ++i)
        if (value == kRowNames[static_cast<size_t>(i)]) { rows_ = i; return; }
      throw Error("pca rows '" + value + "' unknown (token, position, combined)");
    }
    if (key == "find") { find_ = value; find_results_.clear(); find_now_ = !value.empty(); return; }
    if (key == "position_layer") { layers_[0].enabled = value == "1" || value == "true"; return; }
    if (key == "vocab_layer") { layers_[1].enabled = value == "1" || value == "true"; return; }
    if (key == "3d") { three_d_ = value == "1" || value == "true"; return; }
    if (key == "yaw") { yaw_ = static_cast<float>(std::atof(value.c_str())) * 0.0174533f; return; }
    if (key == "pitch") { pitch_ = std::clamp(static_cast<float>(std::atof(value.c_str())) * 0.0174533f, -1.5f, 1.5f); return; }
    throw Error("pca has no option '" + key + "' (rows, position_layer, vocab_layer, 3d, yaw, pitch)");
  }
  std::vector<std::pair<std::string, std::string>> options() const override {
    return {{"rows", kRowNames[static_cast<size_t>(rows_)]},
            {"3d", three_d_ ? "1" : "0"},
            {"position_layer", layers_[0].enabled ? "1" : "0"},
            {"vocab_layer", layers_[1].enabled ? "1" : "0"}};
  }

  bool busy() const override {
    return layers_[0].pending.pending() || layers_[1].pending.pending() || wanted_query_ >= 0;
  }

  void draw(AppState& state, ImVec2 size) override {
    resolve_query(state);
    const PcaBasis* pca = state.pca();
    ImVec2 start = ImGui::GetCursorPos();
    // On a short window or in presenter mode: the rows as a drop-down and the options in a
    // drawer, so the plot keeps the height (at 1280x720, scale 2 they took half of it).
    const float em = ImGui::GetFontSize();
    const bool compact = size.y < em * 30 || state.presenter;
    if (find_now_) {  // --set pca.find=TEXT: the exact token when there is one, else the first containing it
      find_now_ = false;
      if (std::shared_ptr<const Tokenizer> tok = state.model().tokenizer()) {
        find_results_ = search_tokens(*tok, find_, 12);
        if (!find_results_.empty()) {
          int pick = find_results_.front();
          for (int id : find_results_)
            if (tok->token_bytes(id) == find_) pick = id;
          set_query(state, pick);
        }
      }
    }
    if (compact) {
      ImGui::SetNextItemWidth(ImGui::CalcTextSize("combined rows").x + em * 2.5f);
      const std::string current = std::string(kRowNames[static_cast<size_t>(rows_)]) + " rows";
      if (ImGui::BeginCombo("##rows", current.c_str())) {
        for (int i = 0; i < 3; ++i) {
          const std::string label = std::string(kRowNames[static_cast<size_t>(i)]) + " rows";
          if (ImGui::Selectable(label.c_str(), rows_ == i)) rows_ = i;
        }
        ImGui::EndCombo();
      }
      ImGui::SameLine();
      if (ImGui::Button("Options...")) ImGui::OpenPopup("pca_options");
      if (ImGui::BeginPopup("pca_options")) {
        options_body(state, pca);
        ImGui::EndPopup();
      }
      if (query_id_ >= 0) {
        ImGui::SameLine();
        if (ImGui::SmallButton("clear the found token")) query_id_ = -1, neighbours_.clear();
      }
    } else {
      ImGui::TextUnformatted("Rows shown:");
      for (int i = 0; i < 3; ++i) {
        ImGui::SameLine();
        std::string label = std::string(kRowNames[static_cast<size_t>(i)]) + " rows";
        if (ImGui::RadioButton(label.c_str(), rows_ == i)) rows_ = i;
      }
      ImGui::SameLine(0, ImGui::GetFontSize() * 2);
      options_body(state, pca);
    }
    if (!pca) {
      ImGui::TextDisabled("PCA needs at least 2 rows and 2 dimensions.");
      return;
    }
    const std::string caption =
        "One PCA basis, fit on the token, position and combined rows together: switch the rows shown and watch the "
        "points move. Equal tokens share a glyph; they coincide in the token rows and separate in the combined rows "
        "when the scheme adds positions.";
    if (compact)
      one_line_text(kMuted, caption);
    else
      wrapped_text(kMuted, caption);
    update_projections(state, *pca);
    ImVec2 used(0, ImGui::GetCursorPos().y - start.y);
    plot(state, *pca, ImVec2(size.x, std::max(150.0f, size.y - used.y)));
  }

 private:
  // The plot's options: sequence line, labels, 3D, the whole-table layers, find a token.
  void options_body(AppState& state, const PcaBasis* pca) {
    ImGui::Checkbox("sequence line", &polyline_);
    ImGui::SameLine();
    ImGui::Checkbox("labels", &labels_);
    ImGui::SameLine();
    const bool can_3d = pca && pca->components.rows() >= 3;
    if (!can_3d) ImGui::BeginDisabled();
    ImGui::Checkbox("3D", &three_d_);
    if (!can_3d) ImGui::EndDisabled();
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
      ImGui::SetTooltip("PC1, PC2 and PC3 in 3D: drag to orbit, wheel to zoom, double-click to reset.\n"
                        "(The whole-table layers are drawn in 2D only.)");
    ImGui::SameLine();
    const bool has_table = state.model().position_table().has_value();
    if (!has_table) ImGui::BeginDisabled();
    ImGui::Checkbox("whole position table", &layers_[0].enabled);
    if (!has_table) ImGui::EndDisabled();
    ImGui::SameLine();
    std::string vocab_label = "whole vocabulary (" + thousands(state.model().vocab_size()) + ")";
    ImGui::Checkbox(vocab_label.c_str(), &layers_[1].enabled);
    // Find a token and show it and its nearest neighbours (cosine over the whole table) in the
    // plot, projected on the same basis: the Embedding Projector's most used feature.
    if (std::shared_ptr<const Tokenizer> tok = state.model().tokenizer()) {
      ImGui::SameLine();
      if (ImGui::GetContentRegionAvail().x < ImGui::GetFontSize() * 13) ImGui::NewLine();  // wrap on a narrow window
      ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
      if (ImGui::InputTextWithHint("##find", "find a token", &find_)) find_results_.clear();
      if (!find_.empty() && find_results_.empty()) find_results_ = search_tokens(*tok, find_, 12);
      if (!find_.empty() && ImGui::IsItemActive() && !find_results_.empty()) {
        ImGui::SetNextWindowPos(ImVec2(ImGui::GetItemRectMin().x, ImGui::GetItemRectMax().y));
        ImGui::BeginTooltip();
        ImGui::TextDisabled("Enter: the first; or click one");
        ImGui::EndTooltip();
      }
      if (!find_.empty() && (ImGui::IsItemDeactivatedAfterEdit() || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter))) && !find_results_.empty())
        set_query(state, find_results_.front());
      if (query_id_ >= 0) {
        ImGui::SameLine();
        if (ImGui::SmallButton("clear")) query_id_ = -1, neighbours_.clear();
      } else if (wanted_query_ >= 0) {
        ImGui::SameLine();
        ImGui::TextDisabled("indexing the vocabulary ...");
      }
    }
  }

 private:
  // The token and its 10 nearest neighbours by cosine over the whole token table (exact), from
  // the model's vocabulary index (AppState; built once per model on a worker, ~70 ms for GPT-2):
  // asked now, answered by resolve_query() as soon as the index is there.
  void set_query(const AppState& state, int id) {
    wanted_query_ = id;
    query_model_ = state.model_version();
    query_id_ = -1;
    neighbours_.clear();
  }
  void resolve_query(AppState& state) {
    if (query_id_ >= 0 && query_model_ != state.model_version()) query_id_ = -1, neighbours_.clear();
    if (wanted_query_ < 0) return;
    if (query_model_ != state.model_version()) {
      wanted_query_ = -1;
      return;
    }
    const std::shared_ptr<const VocabularyIndex> index = state.vocabulary_index();
    if (!index) return;  // still building: asked again next frame
    query_id_ = wanted_query_;
    wanted_query_ = -1;
    neighbours_ = index->nearest_to_token(query_id_, 10);
    query_version_ = ~0ull;
  }
  // Projections of the query and its neighbours on the current basis (k >= 2), recomputed
  // when the analysis changes.
  void update_query_points(const AppState& state, const PcaBasis& pca) {
    if (query_id_ < 0 || query_version_ == state.version()) return;
    std::vector<int> ids = {query_id_};
    for (const Neighbour& n : neighbours_) ids.push_back(n.id);
    MatrixRM rows(static_cast<long long>(ids.size()), state.model().dim());
    state.model().gather_token_rows(ids, rows);
    query_xy_ = pca.project(rows);
    query_version_ = state.version();
  }

  void update_projections(const AppState& state, const PcaBasis&) {
    if (proj_version_ == state.version()) return;
    proj_ = state.analysis().projections();  // computed by core, once per analysis
    // Axes fixed over all three row kinds, so points move and axes stay.
    lo_ = ImVec2(1e30f, 1e30f);
    hi_ = ImVec2(-1e30f, -1e30f);
    for (const MatrixRM& p : proj_)
      for (long long r = 0; r < p.rows(); ++r) {
        float x = p(r, 0), y = p.cols() > 1 ? p(r, 1) : 0.0f;
        lo_ = ImVec2(std::min(lo_.x, x), std::min(lo_.y, y));
        hi_ = ImVec2(std::max(hi_.x, x), std::max(hi_.y, y));
      }
    // 3D: the centre of the box around all three row kinds in PC1-3, and the radius that holds them.
    float lo3[3] = {1e30f, 1e30f, 1e30f}, hi3[3] = {-1e30f, -1e30f, -1e30f};
    for (const MatrixRM& p : proj_)
      for (long long r = 0; r < p.rows(); ++r)
        for (int a = 0; a < 3 && a < p.cols(); ++a) {
          lo3[a] = std::min(lo3[a], p(r, a));
          hi3[a] = std::max(hi3[a], p(r, a));
        }
    radius3_ = 1e-6f;
    for (int a = 0; a < 3; ++a) {
      if (lo3[a] > hi3[a]) lo3[a] = hi3[a] = 0;
      centre3_[a] = (lo3[a] + hi3[a]) / 2;
      radius3_ += (hi3[a] - lo3[a]) * (hi3[a] - lo3[a]) / 4;
    }
    radius3_ = std::sqrt(radius3_);
    float pad_x = std::max(1e-6f, (hi_.x - lo_.x) * 0.12f), pad_y = std::max(1e-6f, (hi_.y - lo_.y) * 0.12f);
    lo_ = ImVec2(lo_.x - pad_x, lo_.y - pad_y);
    hi_ = ImVec2(hi_.x + pad_x, hi_.y + pad_y);
    if (!zoomed_) { view_lo_ = lo_; view_hi_ = hi_; }
    const bool first = proj_version_ == 0 || shown_.rows() != proj_[rows_].rows();
    proj_version_ = state.version();
    if (first) shown_ = proj_[rows_];
  }

  // A whole table projected by core (es::project_table), packed as (x, y, t) vertices. Worker
  // thread: the analysis (and with it the model and the basis) is kept alive by the pointer.
  static std::vector<float> layer_points(std::shared_ptr<const Analysis> analysis, bool positions) {
    const ModelSource& model = *analysis->model();
    std::optional<TableMap> pt = positions ? model.position_table() : std::nullopt;
    std::optional<TableView> t = positions ? (pt ? std::optional<TableView>(TableView::of(*pt)) : std::nullopt)
                                           : std::optional<TableView>(model.token_table_view());
    std::vector<float> pts;
    if (!t || !analysis->pca()) return pts;
    const std::vector<float> p = project_table(*t, *analysis->pca());  // (rows, k)
    const long long rows = t->rows, k = analysis->pca()->components.rows();
    pts.reserve(static_cast<size_t>(rows) * 3);
    for (long long r = 0; r < rows; ++r) {
      pts.push_back(p[static_cast<size_t>(r * k)]);
      pts.push_back(k > 1 ? p[static_cast<size_t>(r * k + 1)] : 0.0f);
      pts.push_back(static_cast<float>(r) / static_cast<float>(std::max(1LL, rows - 1)));
    }
    return pts;
  }

  // Starts or finishes the projection of one layer; returns true when new points were uploaded.
  bool update_layer(PointLayer& layer, const AppState& state, bool positions) {
    if (!layer.enabled || layer.version == state.version()) return false;
    // A projection for an older analysis is dropped (not waited for) and a new one starts.
    if (!layer.pending.pending() || layer.pending_version != state.version()) {
      layer.pending_version = state.version();
      layer.pending.start([analysis = state.analysis_ptr(), positions](const std::atomic<bool>&) {
        lower_thread_priority();
        return layer_points(analysis, positions);
      });
      return false;
    }
    std::optional<std::vector<float>> taken = layer.pending.take();
    if (!taken) return false;
    std::vector<float> pts = std::move(*taken);
    layer.vao.create();
    layer.vao.bind();
    layer.vbo.upload(pts.data(), static_cast<long long>(pts.size() * sizeof(float)));
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 3 * sizeof(float), nullptr);
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 1, GL_FLOAT, GL_FALSE, 3 * sizeof(float), reinterpret_cast<void*>(2 * sizeof(float)));
    glBindVertexArray(0);
    layer.count = static_cast<long long>(pts.size() / 3);
    layer.version = layer.pending_version;
    return true;
  }

  void render_layers(int w, int h) {
    if (!points_shader_.valid()) {
      points_shader_ = gl::Shader::from_embedded("points.vert.glsl", "points.frag.glsl");
      colormap_.upload_rgba8(256, 1, sequential_lut().data(), true);
    }
    fbo_.ensure_size(w, h);
    fbo_.bind();
    glClearColor(0, 0, 0, 0);
    glClear(GL_COLOR_BUFFER_BIT);
    glDisable(GL_SCISSOR_TEST);
    glDisable(GL_DEPTH_TEST);
    glEnable(GL_BLEND);
    glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
    glEnable(GL_PROGRAM_POINT_SIZE);
    points_shader_.use();
    const float wx = view_hi_.x - view_lo_.x, wy = view_hi_.y - view_lo_.y;
    glUniform2f(points_shader_.uniform("u_scale"), 2.0f / wx, -2.0f / wy);
    glUniform2f(points_shader_.uniform("u_offset"), -1.0f - view_lo_.x * 2.0f / wx, 1.0f + view_lo_.y * 2.0f / wy);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, colormap_.id());
    glUniform1i(points_shader_.uniform("u_colormap"), 0);
    // Vocabulary first (faint grey, under), then the position table (coloured by position).
    if (layers_[1].enabled && layers_[1].count) {
      glUniform1i(points_shader_.uniform("u_use_map"), 0);
      glUniform4f(points_shader_.uniform("u_colour"), 0.75f, 0.75f, 0.78f, 0.35f);
      glUniform1f(points_shader_.uniform("u_point_size"), 2.5f);
      layers_[1].vao.bind();
      glDrawArrays(GL_POINTS, 0, static_cast<GLsizei>(layers_[1].count));
    }
    if (layers_[0].enabled && layers_[0].count) {
      glUniform1i(points_shader_.uniform("u_use_map"), 1);
      glUniform4f(points_shader_.uniform("u_colour"), 1, 1, 1, 0.8f);
      glUniform1f(points_shader_.uniform("u_point_size"), 4.0f);
      layers_[0].vao.bind();
      glDrawArrays(GL_POINTS, 0, static_cast<GLsizei>(layers_[0].count));
    }
    glBindVertexArray(0);
    glUseProgram(0);
    glDisable(GL_PROGRAM_POINT_SIZE);
    gl::Framebuffer::unbind();
  }

  static void glyph(ImDrawList* dl, ImVec2 c, float r, int kind, ImU32 fill, ImU32 edge) {
    switch (kind) {
      case 0: dl->AddCircleFilled(c, r, fill, r < 5 ? 8 : 0); dl->AddCircle(c, r, edge, r < 5 ? 8 : 0, 1.5f); break;
      case 1: dl->AddRectFilled(ImVec2(c.x - r, c.y - r), ImVec2(c.x + r, c.y + r), fill);
              dl->AddRect(ImVec2(c.x - r, c.y - r), ImVec2(c.x + r, c.y + r), edge, 0, 0, 2.0f); break;
      case 2: dl->AddTriangleFilled(ImVec2(c.x, c.y - r * 1.3f), ImVec2(c.x - r * 1.2f, c.y + r), ImVec2(c.x + r * 1.2f, c.y + r), fill);
              dl->AddTriangle(ImVec2(c.x, c.y - r * 1.3f), ImVec2(c.x - r * 1.2f, c.y + r), ImVec2(c.x + r * 1.2f, c.y + r), edge, 2.0f); break;
      default: dl->AddQuadFilled(ImVec2(c.x, c.y - r * 1.3f), ImVec2(c.x + r * 1.3f, c.y), ImVec2(c.x, c.y + r * 1.3f), ImVec2(c.x - r * 1.3f, c.y), fill);
               dl->AddQuad(ImVec2(c.x, c.y - r * 1.3f), ImVec2(c.x + r * 1.3f, c.y), ImVec2(c.x, c.y + r * 1.3f), ImVec2(c.x - r * 1.3f, c.y), edge, 2.0f); break;
    }
  }

  // The plot's rectangle and the map from PCA coordinates onto it: in 2D the view window
  // (view_lo_ .. view_hi_); in 3D PC1-3 turned about the centre by yaw and pitch, then the same
  // window (one scale for both screen axes, so the turn is rigid).
  struct PlotGeometry {
    ImVec2 origin, pmin, pmax, psize, view_lo, view_hi;
    float line = 0;
    bool three = false;
    float cy = 1, sy = 0, cp = 1, sp = 0;
    std::array<float, 3> centre{};
    // (PC1, PC2, PC3) -> (screen x, screen y, depth toward the viewer)
    ImVec4 turn(float x, float y, float z) const {
      x -= centre[0], y -= centre[1], z -= centre[2];
      const float x1 = cy * x + sy * z, z1 = -sy * x + cy * z;
      return ImVec4(x1, cp * y - sp * z1, sp * y + cp * z1, 0);
    }
    ImVec2 to_screen(float x, float y) const {
      return ImVec2(pmin.x + (x - view_lo.x) / (view_hi.x - view_lo.x) * psize.x,
                    pmax.y - (y - view_lo.y) / (view_hi.y - view_lo.y) * psize.y);
    }
    ImVec2 row_screen(const MatrixRM& m, long long i) const {
      if (three) {
        const ImVec4 t = turn(m(i, 0), m(i, 1), m(i, 2));
        return to_screen(t.x, t.y);
      }
      return to_screen(m(i, 0), m.cols() > 1 ? m(i, 1) : 0.0f);
    }
  };

  void plot(AppState& state, const PcaBasis& pca, ImVec2 size) {
    PlotGeometry g;
    g.line = ImGui::GetTextLineHeight();
    const float legend_w = ImGui::GetFontSize() * 7;
    g.origin = ImGui::GetCursorScreenPos();
    g.pmin = ImVec2(g.origin.x + g.line * 2.2f, g.origin.y + 4);
    g.pmax = ImVec2(g.origin.x + size.x - legend_w, g.origin.y + size.y - g.line * 2.4f);
    g.psize = ImVec2(g.pmax.x - g.pmin.x, g.pmax.y - g.pmin.y);
    ImGui::SetCursorScreenPos(g.pmin);
    ImGui::InvisibleButton("plot", g.psize);
    const bool hovered = ImGui::IsItemHovered();
    g.three = three_d_ && shown_.cols() >= 3 && proj_[rows_].cols() >= 3;
    navigate(g, hovered);
    g.cy = std::cos(yaw_), g.sy = std::sin(yaw_), g.cp = std::cos(pitch_), g.sp = std::sin(pitch_);
    for (int a = 0; a < 3; ++a) g.centre[static_cast<std::size_t>(a)] = centre3_[a];
    g.view_lo = view_lo_;
    g.view_hi = view_hi_;

    // (No fill of its own: the window background shows through, one large fill less per frame for
    // the software rasteriser.)
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->PushClipRect(g.pmin, g.pmax, true);
    draw_axes(dl, g);
    draw_layers(state, dl, g);
    move_points();
    const int n = state.length();
    std::vector<ImVec2> pts(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) pts[static_cast<size_t>(i)] = g.row_screen(shown_, i);
    const float r = glyph_radius(n, g.line);
    const int hover_i = hovered ? nearest_point(pts) : -1;
    draw_points(state, dl, g, pts, r, hover_i);
    draw_query(state, pca, dl, g, r);
    if (labels_) draw_labels(state, dl, g, pts, r);
    dl->PopClipRect();
    dl->AddRect(g.pmin, g.pmax, ImGui::GetColorU32(ImGuiCol_Border));
    draw_axis_captions(pca, dl, g);
    draw_legend(dl, g, n, r);
    if (hover_i >= 0) hover_tooltip(state, hover_i, g.three);
    ImGui::SetCursorScreenPos(ImVec2(g.origin.x, g.origin.y + size.y));
  }

  // Wheel, drag and double-click: in 3D they orbit and zoom about the centre; in 2D they zoom
  // about the mouse, pan and fit.
  void navigate(const PlotGeometry& g, bool hovered) {
    ImGuiIO& io = ImGui::GetIO();
    const ImVec2 pmin = g.pmin, pmax = g.pmax, psize = g.psize;
    const bool three = g.three;
    if (was_three_ && !three) {  // back to 2D: the 2D view as it fits
      view_lo_ = lo_;
      view_hi_ = hi_;
      zoomed_ = false;
      layer_key_ = LayerKey{};
    }
    was_three_ = three;
    if (three) {
      // 3D: PC1-3 about the centre of all three row kinds, turned by yaw (about PC2) and pitch,
      // drawn with one scale for both screen axes so the turn is rigid. Drag orbits.
      if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
        yaw_ += io.MouseDelta.x * 0.01f;
        pitch_ = std::clamp(pitch_ + io.MouseDelta.y * 0.01f, -1.5f, 1.5f);
      }
      if (hovered && io.MouseWheel != 0) zoom3_ = std::clamp(zoom3_ * (io.MouseWheel > 0 ? 0.8f : 1.25f), 0.05f, 20.0f);
      if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) yaw_ = 0.6f, pitch_ = 0.35f, zoom3_ = 1.0f;
      const float s = 2.3f * radius3_ * zoom3_ / std::max(1.0f, std::min(psize.x, psize.y));
      view_lo_ = ImVec2(-s * psize.x / 2, -s * psize.y / 2);
      view_hi_ = ImVec2(s * psize.x / 2, s * psize.y / 2);
    }
    if (three) {
      // nothing: zoom and drag belong to the orbit above
    } else if (hovered && io.MouseWheel != 0) {
      float fx = (io.MousePos.x - pmin.x) / psize.x, fy = (pmax.y - io.MousePos.y) / psize.y;
      float ax = view_lo_.x + fx * (view_hi_.x - view_lo_.x), ay = view_lo_.y + fy * (view_hi_.y - view_lo_.y);
      float f = io.MouseWheel > 0 ? 0.8f : 1.25f;
      view_lo_ = ImVec2(ax - (ax - view_lo_.x) * f, ay - (ay - view_lo_.y) * f);
      view_hi_ = ImVec2(ax + (view_hi_.x - ax) * f, ay + (view_hi_.y - ay) * f);
      zoomed_ = true;
    }
    if (!three && ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
      float dx = io.MouseDelta.x / psize.x * (view_hi_.x - view_lo_.x);
      float dy = io.MouseDelta.y / psize.y * (view_hi_.y - view_lo_.y);
      view_lo_ = ImVec2(view_lo_.x - dx, view_lo_.y + dy);
      view_hi_ = ImVec2(view_hi_.x - dx, view_hi_.y + dy);
      zoomed_ = true;
    }
    if (!three && hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
      view_lo_ = lo_;
      view_hi_ = hi_;
      zoomed_ = false;
    }

  }

  // Zero axes (2D), or the three axes through the centre, each named at its positive end (3D).
  void draw_axes(ImDrawList* dl, const PlotGeometry& g) {
    const float line = g.line;
    axis_label_boxes_.clear();
    if (g.three) {
      // The g.three axes through the centre, each named at its positive end.
      const char* names[3] = {"PC1", "PC2", "PC3"};
      const ImVec2 c = g.to_screen(0, 0);
      for (int a = 0; a < 3; ++a) {
        float v[3] = {centre3_[0], centre3_[1], centre3_[2]};
        v[a] += radius3_ * 0.9f;
        const ImVec4 t = g.turn(v[0], v[1], v[2]);
        const ImVec2 e = g.to_screen(t.x, t.y);
        dl->AddLine(c, e, IM_COL32(120, 120, 120, 255), 1.5f);
        const ImVec2 at(e.x + 3, e.y - line * 0.5f), ts = ImGui::CalcTextSize(names[a]);
        dl->AddText(at, kMuted, names[a]);
        axis_label_boxes_.emplace_back(at.x, at.y, at.x + ts.x, at.y + ts.y);  // point labels keep clear of it
      }
    } else {
      ImVec2 z = g.to_screen(0, 0);
      dl->AddLine(ImVec2(g.pmin.x, z.y), ImVec2(g.pmax.x, z.y), IM_COL32(90, 90, 90, 255));
      dl->AddLine(ImVec2(z.x, g.pmin.y), ImVec2(z.x, g.pmax.y), IM_COL32(90, 90, 90, 255));
      // PC2's end values, written inside the plot at its left corners (draw_axis_captions).
      char buf[32];
      for (const float v : {view_hi_.y, view_lo_.y}) {
        std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(v));
        const ImVec2 ts = ImGui::CalcTextSize(buf);
        const float y = v == view_hi_.y ? g.pmin.y + 2 : g.pmax.y - line - 2;
        axis_label_boxes_.emplace_back(g.pmin.x + 3, y, g.pmin.x + 3 + ts.x, y + ts.y);
      }
    }
  }

  // The position table and vocabulary layers behind the points (2D only), drawn offscreen.
  void draw_layers(AppState& state, ImDrawList* dl, const PlotGeometry& g) {
    ImGuiIO& io = ImGui::GetIO();
    const float line = g.line;
    // Background layers (2D only).
    if (!g.three && (layers_[0].enabled || layers_[1].enabled)) {
      int w = static_cast<int>(g.psize.x * io.DisplayFramebufferScale.x), h = static_cast<int>(g.psize.y * io.DisplayFramebufferScale.y);
      bool fresh = update_layer(layers_[0], state, true);
      fresh = update_layer(layers_[1], state, false) || fresh;
      LayerKey key{layers_[0].version + 31 * layers_[1].version, view_lo_.x, view_lo_.y, view_hi_.x, view_hi_.y, w, h, layers_[0].enabled, layers_[1].enabled};
      if (!(key == layer_key_) || fresh) {
        render_layers(w, h);
        layer_key_ = key;
      }
      dl->AddImage(fbo_.color().imgui_id(), g.pmin, g.pmax);
      if (layers_[0].pending.pending() || layers_[1].pending.pending())
        dl->AddText(ImVec2(g.pmin.x + 8, g.pmax.y - 2 * line), kMuted, "projecting the background layers ...");
    }
  }

  // Move the shown points toward the chosen rows (a short animation on switching).
  void move_points() {
    ImGuiIO& io = ImGui::GetIO();
    const MatrixRM& target = proj_[rows_];
    if (shown_.rows() != target.rows() || shown_.cols() != target.cols()) shown_ = target;
    float k = 1.0f - std::exp(-io.DeltaTime * 9.0f);
    shown_ += (target - shown_) * k;
    if ((target - shown_).cwiseAbs().maxCoeff() < 1e-4f * (hi_.x - lo_.x)) shown_ = target;

  }

  // Glyphs shrink in a long text (hundreds of points would pile up and cost frame time).
  static float glyph_radius(int n, float line) {
    return std::max(n > 200 ? 3.0f : 6.0f, line * 0.45f * std::clamp(std::sqrt(60.0f / std::max(1, n)), 0.4f, 1.0f));
  }

  // The point under the mouse (within 12 pixels), or -1.
  static int nearest_point(const std::vector<ImVec2>& pts) {
    const ImGuiIO& io = ImGui::GetIO();
    int hover_i = -1;
    float best = 12.0f * 12.0f;
    for (std::size_t i = 0; i < pts.size(); ++i) {
      const float dx = io.MousePos.x - pts[i].x, dy = io.MousePos.y - pts[i].y;
      if (dx * dx + dy * dy < best) {
        best = dx * dx + dy * dy;
        hover_i = static_cast<int>(i);
      }
    }
    return hover_i;
  }

  // The sequence line and one glyph per token (far points first in 3D).
  void draw_points(const AppState& state, ImDrawList* dl, const PlotGeometry& g, const std::vector<ImVec2>& pts, float r,
                   int hover_i) {
    const int n = static_cast<int>(pts.size());
    // Far points first in 3D, so nearer ones are drawn over them.
    std::vector<int> order(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    if (g.three) {
      std::vector<float> depth(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) depth[static_cast<size_t>(i)] = g.turn(shown_(i, 0), shown_(i, 1), shown_(i, 2)).z;
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return depth[static_cast<size_t>(a)] < depth[static_cast<size_t>(b)]; });
    }
    // The sequence line: the whole text while it is short; in a long text only the stretch
    // around the selected token (or the first 24 tokens), so it draws a trace, not a web.
    if (polyline_ && n > 1) {
      const int span = 24;
      const int a = n <= 120 ? 0 : std::clamp(state.selected_position - span / 2, 0, n - span);
      const int count = n <= 120 ? n : span;
      dl->AddPolyline(pts.data() + a, count, IM_COL32(200, 200, 200, n <= 120 ? 110 : 150), 0, 1.5f);
    }
    // Hundreds of small glyphs are drawn without anti-aliasing: at 3 px its feather triangles
    // doubled what the software rasteriser had to fill, and cannot be seen.
    const ImDrawListFlags aa = dl->Flags;
    if (n > 300) dl->Flags &= ~(ImDrawListFlags_AntiAliasedLines | ImDrawListFlags_AntiAliasedFill);
    for (int i : order) {
      int g = rows_ == 1 ? -1 : state.repeat_group_of(i);
      ImU32 fill = sequential_colour(n > 1 ? static_cast<float>(i) / static_cast<float>(n - 1) : 0.5f);
      // The outline of a point that is no repeat contrasts with the plot's background (a
      // near-black one left the first positions' dark purple at 1.9:1 on the dark theme).
      ImU32 edge = i == state.selected_position ? kSelectColour
                   : g >= 0 ? token_colour(state, state.ids()[static_cast<size_t>(i)])
                   : kText;
      const float ri = i == hover_i ? r * 1.3f : r;
      glyph(dl, pts[static_cast<size_t>(i)], ri, g >= 0 ? 1 + g % 3 : 0, fill, edge);
      if (n <= 300)
        audit_mark(dl, "pca.point", ImVec2(pts[static_cast<size_t>(i)].x - ri, pts[static_cast<size_t>(i)].y - ri),
                   ImVec2(pts[static_cast<size_t>(i)].x + ri, pts[static_cast<size_t>(i)].y + ri), edge, fill);
    }
    dl->Flags = aa;
  }

  // The found token and its neighbours: stars in the accent colour, each labelled with its
  // cosine to the query, joined to it; their list beside the plot.
  void draw_query(AppState& state, const PcaBasis& pca, ImDrawList* dl, const PlotGeometry& g, float r) {
    const float line = g.line;
    const bool three = g.three;
    update_query_points(state, pca);
    if (query_id_ >= 0 && query_xy_.rows() > 0 && query_xy_.cols() >= 2) {
      const std::shared_ptr<const Tokenizer> tok = state.model().tokenizer();
      const bool q3 = three && query_xy_.cols() >= 3;
      const ImVec2 q = q3 ? g.row_screen(query_xy_, 0) : g.to_screen(query_xy_(0, 0), query_xy_(0, 1));
      std::vector<ImVec4> taken;  // neighbour labels that would overlap are left out (hover names them)
      for (long long k = 0; k < query_xy_.rows(); ++k) {
        const ImVec2 p = q3 ? g.row_screen(query_xy_, k) : g.to_screen(query_xy_(k, 0), query_xy_(k, 1));
        if (k > 0) dl->AddLine(q, p, IM_COL32(255, 200, 60, 90), 1.0f);
        const float s = k == 0 ? r * 1.4f : r;
        for (int a = 0; a < 2; ++a) {  // an 8-pointed star: two crossed squares
          const float t = a * 0.785398f;
          ImVec2 c4[4];
          for (int m = 0; m < 4; ++m)
            c4[m] = ImVec2(p.x + s * std::cos(t + m * 1.570796f), p.y + s * std::sin(t + m * 1.570796f));
          dl->AddQuadFilled(c4[0], c4[1], c4[2], c4[3], kAccent);
        }
        const int id = k == 0 ? query_id_ : neighbours_[static_cast<std::size_t>(k - 1)].id;
        std::string label = tok ? displayable(visible_token_text(tok->token_bytes(id))) : "#" + std::to_string(id);
        if (k > 0) {
          char cs[24];
          std::snprintf(cs, sizeof cs, " %.2f", static_cast<double>(neighbours_[static_cast<std::size_t>(k - 1)].cosine));
          label += cs;
        }
        const ImVec2 ts = ImGui::CalcTextSize(label.c_str());
        const ImVec4 box(p.x + s + 3, p.y - line * 0.5f, p.x + s + 3 + ts.x, p.y + line * 0.5f);
        bool clash = false;
        for (const ImVec4& b : taken) clash = clash || !(box.z < b.x || box.x > b.z || box.w < b.y || box.y > b.w);
        if (clash && k > 0) continue;
        taken.push_back(box);
        dl->AddText(ImVec2(box.x, box.y), kAccent, label.c_str());
      }
      // The list beside the plot, so every neighbour is named even where the labels crowd.
      std::string list = "nearest to the found token:";
      for (const Neighbour& n : neighbours_) {
        char cs[24];
        std::snprintf(cs, sizeof cs, " %.2f", static_cast<double>(n.cosine));
        list += "\n" + (tok ? displayable(visible_token_text(tok->token_bytes(n.id))) : "#" + std::to_string(n.id)) + cs;
      }
      // Under the legend when the plot is tall enough to hold both (else the stars' labels do).
      const ImVec2 ls = ImGui::CalcTextSize(list.c_str());
      if (g.psize.y >= line * 9 + ls.y && ls.x <= ImGui::GetFontSize() * 7 + line * 2) {
        dl->PushClipRectFullScreen();  // beside the plot, outside its clip rectangle
        dl->AddText(ImVec2(g.pmax.x + 12, g.pmax.y - ls.y), kAccent, list.c_str());
        dl->PopClipRect();
      }
    }
  }

  // Points that land on the same spot share one label, so text never piles up.
  void draw_labels(const AppState& state, ImDrawList* dl, const PlotGeometry& g, const std::vector<ImVec2>& pts, float r) {
    const int n = static_cast<int>(pts.size());
    const float line = g.line;
    if (labels_) {
      // Points that land on the same spot share one label, so text never piles up. Inside it,
      // positions of one token id are listed together ("2,9 sat"); distinct ids on the spot stay
      // separate parts, each in its own colour ("0 I  1 saw"), never one id's text for all.
      std::vector<int> owner(static_cast<size_t>(n), -1);
      // "The same spot": closer than a point's diameter and a half (12 px at least), at any scale.
      const float merge2 = std::max(144.0f, 2.25f * (2 * r) * (2 * r));
      for (int i = 0; i < n && i < 400; ++i)
        for (int j = 0; j < i && owner[static_cast<size_t>(i)] < 0; ++j) {
          float dx = pts[static_cast<size_t>(i)].x - pts[static_cast<size_t>(j)].x;
          float dy = pts[static_cast<size_t>(i)].y - pts[static_cast<size_t>(j)].y;
          if (owner[static_cast<size_t>(j)] < 0 && dx * dx + dy * dy < merge2) owner[static_cast<size_t>(i)] = j;
        }
      std::vector<ImVec4> placed = axis_label_boxes_;  // never over an axis name (3D)
      std::vector<std::string> missing;  // points whose label found no place: listed beside the plot
      for (int i = 0; i < n && i < 400; ++i) {
        if (owner[static_cast<size_t>(i)] >= 0) continue;
        struct Part {
          int id;
          std::string positions;
          int first;
          int count = 1;  // positions listed: the first six, then "+k more"
        };
        std::vector<Part> parts;
        for (int k = i; k < n && k < 400; ++k) {
          if (k != i && owner[static_cast<size_t>(k)] != i) continue;
          const int id = rows_ == 1 ? -1 : state.ids()[static_cast<size_t>(k)];
          auto it = std::find_if(parts.begin(), parts.end(), [&](const Part& p) { return p.id == id; });
          if (it == parts.end()) parts.push_back({id, std::to_string(k), k});
          else if (++it->count <= 6) it->positions += "," + std::to_string(k);
        }
        for (Part& p : parts)
          if (p.count > 6) p.positions += " +" + std::to_string(p.count - 6);
        // Where the label goes: the first of six places around its point (right above, right,
        // right below, then the same on the left) that stays inside the plot, overlaps no label
        // already drawn, and lies nearer its own point than any other point, so it can never be
        // read as another point's name. None: left out (the point stays; hover names it).
        // The texts of the label, measured as they will be drawn: up to three parts, then a count.
        const auto part_text = [&](const Part& p) {
          // Position rows belong to positions, not tokens: label them by position only.
          return rows_ == 1 ? "pos " + p.positions : p.positions + " " + token_display_text(state, p.first);
        };
        std::vector<std::string> texts;
        for (std::size_t q = 0; q < parts.size() && q < 3; ++q) texts.push_back(part_text(parts[q]));
        if (parts.size() > 3) texts.push_back("+" + std::to_string(parts.size() - 3) + " more");
        float label_w = 0;
        for (const std::string& t : texts) label_w += ImGui::CalcTextSize(t.c_str()).x + line * 0.6f;
        const ImVec2 own = pts[static_cast<size_t>(i)];
        auto distance_to = [](const ImVec4& b, ImVec2 p) {
          const float dx = std::max({b.x - p.x, 0.0f, p.x - b.z}), dy = std::max({b.y - p.y, 0.0f, p.y - b.w});
          return std::sqrt(dx * dx + dy * dy);
        };
        const float gap = r + 3;
        const auto clashes = [&](const ImVec4& b) {  // over a label already drawn
          return std::any_of(placed.begin(), placed.end(),
                             [&](const ImVec4& q) { return !(b.z < q.x || b.x > q.z || b.w < q.y || b.y > q.w); });
        };
        const ImVec2 spots[6] = {{own.x + gap, own.y - line - 1}, {own.x + gap, own.y - line * 0.5f}, {own.x + gap, own.y + r + 1},
                                 {own.x - gap - label_w, own.y - line - 1}, {own.x - gap - label_w, own.y - line * 0.5f},
                                 {own.x - gap - label_w, own.y + r + 1}};
        bool found = false;
        ImVec4 box;
        for (const ImVec2& spot : spots) {
          const ImVec4 b(spot.x, spot.y, spot.x + label_w, spot.y + line);
          if (b.x < g.pmin.x || b.z > g.pmax.x || b.y < g.pmin.y || b.w > g.pmax.y) continue;
          if (clashes(b)) continue;
          const float mine = distance_to(b, own);
          bool nearer_other = false;
          for (int k = 0; k < n && k < 400 && !nearer_other; ++k)
            if (k != i && owner[static_cast<size_t>(k)] != i) nearer_other = distance_to(b, pts[static_cast<size_t>(k)]) < mine + r;
          if (nearer_other) continue;
          box = b;
          found = true;
          break;
        }
        // No place beside it: farther out, on rings of 2.5, 4 and 6 lines in eight directions,
        // tied to its point by a leader line (a label by a leader line cannot name another point).
        bool leader = false;
        for (float ring : {2.5f, 4.0f, 6.0f}) {
          for (int dir = 0; dir < 8 && !found; ++dir) {
            const float ang = 0.785398f * static_cast<float>(dir) - 0.392699f;
            const float cx = own.x + std::cos(ang) * ring * line, cy = own.y - std::sin(ang) * ring * line;
            const ImVec4 b(std::cos(ang) >= 0 ? cx : cx - label_w, cy - line * 0.5f, (std::cos(ang) >= 0 ? cx : cx - label_w) + label_w,
                           cy + line * 0.5f);
            if (b.x < g.pmin.x || b.z > g.pmax.x || b.y < g.pmin.y || b.w > g.pmax.y) continue;
            bool clash = clashes(b);
            for (int k = 0; k < n && k < 400 && !clash; ++k)  // nor over a point
              clash = distance_to(b, pts[static_cast<size_t>(k)]) < r + 1;
            if (clash) continue;
            box = b;
            found = leader = true;
          }
          if (found) break;
        }
        if (leader) {
          const ImVec2 to(std::clamp(own.x, box.x, box.z), std::clamp(own.y, box.y, box.w));
          const float len = std::hypot(to.x - own.x, to.y - own.y);
          const ImVec2 from(own.x + (to.x - own.x) / std::max(1.0f, len) * (r + 1), own.y + (to.y - own.y) / std::max(1.0f, len) * (r + 1));
          dl->AddLine(from, to, kMuted, std::max(1.0f, line / 16.0f));
          if (audit_enabled()) audit_text("pca.label.leader", state.token_texts()[static_cast<size_t>(i)], len, -1.0f);
        }
        if (found && !leader && audit_enabled()) {  // the audit's check of the rule: own distance <= nearest other point's
          float other = 1e9f;
          for (int k = 0; k < n && k < 400; ++k)
            if (k != i && owner[static_cast<size_t>(k)] != i) other = std::min(other, distance_to(box, pts[static_cast<size_t>(k)]));
          audit_text("pca.label.near", state.token_texts()[static_cast<size_t>(i)], distance_to(box, own), other);
        }
        if (!found) {
          for (std::size_t q = 0; q < parts.size(); ++q)
            missing.push_back(part_text(parts[q]));
          continue;
        }
        float x = box.x;
        const float y = box.y;
        placed.push_back(box);
        for (std::size_t q = 0; q < texts.size(); ++q) {
          const std::string& t = texts[q];
          if (q == 3) {  // a pile of distinct tokens: the rest as a count
            dl->AddText(ImVec2(x, y), kMuted, t.c_str());
            break;
          }
          const Part& p = parts[q];
          const int g = rows_ == 1 ? -1 : state.repeat_group_of(p.first);
          const ImU32 col = g >= 0 ? token_colour(state, p.id) : kText;
          audit_name("pca.label", t, ImGui::CalcTextSize(t.c_str()).x, -1.0f);
          dl->AddText(ImVec2(x, y), col, t.c_str());
          x += ImGui::CalcTextSize(t.c_str()).x + line * 0.6f;
        }
      }
      // The points left without a label, named beside the plot under the legend when it has
      // room there (and the found token's list is not using it); hover names any point.
      if (!missing.empty() && neighbours_.empty()) {
        std::string list = "no label:";
        for (std::size_t q = 0; q < missing.size() && q < 8; ++q) list += "\n" + missing[q];
        if (missing.size() > 8) list += "\n+" + std::to_string(missing.size() - 8) + " more";
        const ImVec2 ls = ImGui::CalcTextSize(list.c_str());
        const float room_x = ImGui::GetWindowPos().x + ImGui::GetWindowWidth() - g.pmax.x - 16;
        const float top = legend_bottom_ + line * 0.5f, bottom = ImGui::GetWindowPos().y + ImGui::GetWindowHeight();
        if (legend_bottom_ > 0 && top + ls.y <= bottom && ls.x <= room_x) {
          dl->PushClipRectFullScreen();  // beside the plot, outside its clip rectangle
          dl->AddText(ImVec2(g.pmax.x + 12, top), kMuted, list.c_str());
          dl->PopClipRect();
          std::string one_line = list;
          std::replace(one_line.begin(), one_line.end(), '\n', ' ');
          audit_text("pca.unlabelled", one_line, ls.x, room_x);
        }
      }
    }
  }

  // Axis captions with explained variance and tick values at the ends.
  void draw_axis_captions(const PcaBasis& pca, ImDrawList* dl, const PlotGeometry& g) {
    const float line = g.line;
    auto pct = [&](size_t c) { return c < pca.explained_variance_ratio.size() ? 100.0 * pca.explained_variance_ratio[c] : 0.0; };
    char buf[96];
    if (g.three) {
      std::snprintf(buf, sizeof buf, "PC1 %.1f%%, PC2 %.1f%%, PC3 %.1f%% of variance - drag to orbit", pct(0), pct(1), pct(2));
      const std::string cap = fit_text(buf, g.psize.x);
      dl->AddText(ImVec2(g.pmin.x, g.pmax.y + line * 1.1f), ImGui::GetColorU32(ImGuiCol_Text), cap.c_str());
    } else {
    std::snprintf(buf, sizeof buf, "PC1 (%.1f%% of variance)", pct(0));
    ImVec2 ts = ImGui::CalcTextSize(buf);
    dl->AddText(ImVec2(g.pmin.x + (g.psize.x - ts.x) / 2, g.pmax.y + line * 1.1f), ImGui::GetColorU32(ImGuiCol_Text), buf);
    std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(view_lo_.x));
    dl->AddText(ImVec2(g.pmin.x, g.pmax.y + 2), kMuted, buf);
    std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(view_hi_.x));
    dl->AddText(ImVec2(g.pmax.x - ImGui::CalcTextSize(buf).x, g.pmax.y + 2), kMuted, buf);
    std::snprintf(buf, sizeof buf, "PC2 (%.1f%%)", pct(1));
    // Vertical caption: one character per line would be unreadable; write it rotated-free at the top left.
    dl->AddText(ImVec2(g.origin.x, g.pmin.y - 2), ImGui::GetColorU32(ImGuiCol_Text), "PC2");
    std::snprintf(buf, sizeof buf, "%.0f%%", pct(1));
    dl->AddText(ImVec2(g.origin.x, g.pmin.y + line), kMuted, buf);
    std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(view_hi_.y));
    dl->AddText(ImVec2(g.pmin.x + 3, g.pmin.y + 2), kMuted, buf);
    std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(view_lo_.y));
    dl->AddText(ImVec2(g.pmin.x + 3, g.pmax.y - line - 2), kMuted, buf);
    }

  }

  // Legend: position colour scale, glyphs, layers.
  void draw_legend(ImDrawList* dl, const PlotGeometry& g, int n, float r) {
    const float line = g.line;
    char buf[96];
    float lx = g.pmax.x + 12, ly = g.pmin.y;
    dl->AddText(ImVec2(lx, ly), ImGui::GetColorU32(ImGuiCol_Text), "position");
    ly += line + 4;
    const float bar_h = std::min(g.psize.y * 0.45f, line * 10);
    for (int s = 0; s < 48; ++s) {
      float t0 = s / 48.0f, t1 = (s + 1) / 48.0f;
      dl->AddRectFilled(ImVec2(lx, ly + bar_h * t0), ImVec2(lx + 16, ly + bar_h * t1 + 0.5f), sequential_colour((t0 + t1) / 2));
    }
    dl->AddText(ImVec2(lx + 22, ly - 2), kMuted, "0");
    std::snprintf(buf, sizeof buf, "%d", std::max(0, n - 1));
    dl->AddText(ImVec2(lx + 22, ly + bar_h - line + 2), kMuted, buf);
    ly += bar_h + line * 0.6f;
    // Legend glyphs scale with the type: their text starts clear of them.
    const float gr = std::min(r * 0.8f, line * 0.35f), gx = lx + gr + 2, tx = lx + std::max(22.0f, gr * 2 + 10);
    glyph(dl, ImVec2(gx, ly + line / 2), gr, 0, IM_COL32(200, 200, 200, 255), IM_COL32(20, 20, 20, 255));
    dl->AddText(ImVec2(tx, ly), kMuted, "token");
    ly += line + 4;
    glyph(dl, ImVec2(gx, ly + line / 2), gr, 1, IM_COL32(200, 200, 200, 255), kAccent);
    dl->AddText(ImVec2(tx, ly), kMuted, "repeated");
    ly += line + 4;
    if (layers_[0].enabled) {
      dl->AddCircleFilled(ImVec2(lx + 8, ly + line / 2), 3, sequential_colour(0.7f));
      dl->AddText(ImVec2(lx + 22, ly), kMuted, "pos. table");
      ly += line + 4;
    }
    if (layers_[1].enabled) {
      dl->AddCircleFilled(ImVec2(lx + 8, ly + line / 2), 3, IM_COL32(190, 190, 200, 160));
      dl->AddText(ImVec2(lx + 22, ly), kMuted, "vocabulary");
      ly += line + 4;
    }
    legend_bottom_ = ly;  // the list of unlabelled points goes under it (next frame)

  }

  void hover_tooltip(AppState& state, int hover_i, bool three) {
    ImGuiIO& io = ImGui::GetIO();
    if (hover_i >= 0) {
      ImGui::BeginTooltip();
      ImGui::Text("position %d: %s (id %d)", hover_i, state.token_texts()[static_cast<size_t>(hover_i)].c_str(),
                  state.ids()[static_cast<size_t>(hover_i)]);
      ImGui::Text("PC1 %.4g, PC2 %.4g", static_cast<double>(proj_[rows_](hover_i, 0)),
                  static_cast<double>(proj_[rows_].cols() > 1 ? proj_[rows_](hover_i, 1) : 0.0f));
      if (proj_[rows_].cols() > 2) {
        ImGui::SameLine();
        ImGui::Text(", PC3 %.4g", static_cast<double>(proj_[rows_](hover_i, 2)));
      }
      ImGui::TextDisabled(three ? "click to select; drag orbits, wheel zooms, double-click resets"
                                : "click to select; wheel zooms, drag pans, double-click fits");
      ImGui::EndTooltip();
      if (ImGui::IsMouseReleased(ImGuiMouseButton_Left) && io.MouseDragMaxDistanceSqr[0] < 9.0f)
        state.selected_position = state.selected_position == hover_i ? -1 : hover_i;
    }
  }

  struct LayerKey {
    uint64_t version = 0;
    float a = 0, b = 0, c = 0, d = 0;
    int w = 0, h = 0;
    bool l0 = false, l1 = false;
    bool operator==(const LayerKey&) const = default;
  };

  int rows_ = 2;
  bool polyline_ = true, labels_ = true, zoomed_ = false;
  float legend_bottom_ = 0;  // screen y under the legend, from the last frame
  std::vector<ImVec4> axis_label_boxes_;  // this frame's axis names (3D), kept clear by the point labels
  bool three_d_ = false, was_three_ = false;  // PC1-3 in 3D, orbiting
  float yaw_ = 0.6f, pitch_ = 0.35f, zoom3_ = 1.0f;
  float centre3_[3] = {0, 0, 0}, radius3_ = 1.0f;
  std::string find_;
  bool find_now_ = false;
  std::vector<int> find_results_;
  int query_id_ = -1;
  std::vector<Neighbour> neighbours_;
  int wanted_query_ = -1;  // asked for, waiting for the vocabulary index
  uint64_t query_model_ = 0, query_version_ = ~0ull;
  MatrixRM query_xy_;
  std::array<MatrixRM, 3> proj_;  // (n, k) each
  MatrixRM shown_;                // (n, k), animated toward proj_[rows_]
  uint64_t proj_version_ = 0;
  ImVec2 lo_, hi_, view_lo_, view_hi_;
  std::array<PointLayer, 2> layers_;  // 0: position table, 1: vocabulary
  gl::Shader points_shader_;
  gl::Texture colormap_;
  gl::Framebuffer fbo_;
  LayerKey layer_key_;
};

}  // namespace

std::unique_ptr<Panel> make_pca_panel() { return std::make_unique<PcaPanel>(); }

}  // namespace es::ui
