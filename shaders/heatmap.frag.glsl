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
void main() {
  vec2 uv = mix(u_uv0, u_uv1, v_uv);
  float v = texture(u_data, uv).r;
  if (isnan(v) || isinf(v)) {
    float stripe = mod(gl_FragCoord.x + gl_FragCoord.y, 8.0) < 3.0 ? 0.62 : 0.40;
    frag = vec4(vec3(stripe), 1.0);
    return;
  }
  float t = clamp(0.5 + 0.5 * v / u_range, 0.0, 1.0);
  // Sample texel centres so 0 and 1 hit the end colours exactly.
  frag = vec4(texture(u_colormap, vec2((t * 255.0 + 0.5) / 256.0, 0.5)).rgb, 1.0);
}
