#version 330 core
// Round point sprites; colour from the sequential colour map (u_use_map = 1) or one colour.
in float v_t;
out vec4 frag;
uniform sampler2D u_colormap;  // 256 x 1 RGBA
uniform int u_use_map;
uniform vec4 u_colour;
void main() {
  vec2 d = gl_PointCoord - vec2(0.5);
  if (dot(d, d) > 0.25) discard;
  vec4 c = u_colour;
  if (u_use_map == 1) c = vec4(texture(u_colormap, vec2((v_t * 255.0 + 0.5) / 256.0, 0.5)).rgb, u_colour.a);
  frag = c;
}
