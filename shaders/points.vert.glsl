#version 330 core
// Background point layers of the PCA scatter (a whole position table, a whole vocabulary):
// one VBO of 2-D points, mapped from data space to clip space by an affine transform.
layout(location = 0) in vec2 a_pos;
layout(location = 1) in float a_t;  // 0..1 along the layer (e.g. position / L_max)
uniform vec2 u_scale;
uniform vec2 u_offset;
uniform float u_point_size;
out float v_t;
void main() {
  v_t = a_t;
  gl_Position = vec4(a_pos * u_scale + u_offset, 0.0, 1.0);
  gl_PointSize = u_point_size;
}
