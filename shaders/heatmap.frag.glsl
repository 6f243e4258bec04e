#version 330 core
// Heatmap of a float matrix: one texel per cell (GL_R32F, row r at texel row r), coloured
// through a 256x1 colour map centred at zero over the symmetric range [-u_range, u_range].
// NaN cells (masked entries) get a grey hatch so they can never be read as zero.
in vec2 v_uv;
out vec4 frag;
uniform sampler2D u_data;      // (rows, cols) of the uploaded block
uniform sampler2D u_colormap;  // 256 x 1 RGBA
uniform vec2 u_uv0;            // top-left of the visible window, in block texture coordinates
uniform vec2 u_uv1;            // bottom-right
uniform float u_range;         // > 0
uniform float u_grid;          // alpha of black grid lines over the cells (0: none)
uniform vec2 u_cell_px;        // a cell's width and height in pixels
uniform float u_columns;       // visible columns
uniform float u_row_frac;      // how much of the first visible row is scrolled out of view, in rows
void main() {
  vec2 uv = mix(u_uv0, u_uv1, v_uv);
  float v = texture(u_data, uv).r;
  vec3 rgb;
  if (isnan(v) || isinf(v)) {
    rgb = vec3(mod(gl_FragCoord.x + gl_FragCoord.y, 8.0) < 3.0 ? 0.62 : 0.40);
  } else {
    float t = clamp(0.5 + 0.5 * v / u_range, 0.0, 1.0);
    // Sample texel centres so 0 and 1 hit the end colours exactly.
    rgb = texture(u_colormap, vec2((t * 255.0 + 0.5) / 256.0, 0.5)).rgb;
  }
  if (u_grid > 0.0) {
    // The first pixel column (row) of every cell after the first gets the line: the pixel whose
    // centre falls in the next cell while the pixel before it does not (the same rule that
    // colours the cells). Pixel row 0 is the image's top (the first visible row).
    vec2 at = gl_FragCoord.xy / u_cell_px, before = (gl_FragCoord.xy - 1.0) / u_cell_px;
    float c = floor(at.x), r = floor(at.y + u_row_frac);
    bool on = c > floor(before.x) && c >= 1.0 && c <= u_columns - 1.0;
    on = on || (r > floor(before.y + u_row_frac) && r >= 1.0);
    if (on) rgb *= 1.0 - u_grid;
  }
  frag = vec4(rgb, 1.0);
}
