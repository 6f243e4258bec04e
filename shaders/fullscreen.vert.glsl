#version 330 core
// A quad covering the whole target from gl_VertexID alone (draw 4 vertices as a strip);
// v_uv runs (0,0) at the first pixel row to (1,1) at the last.
out vec2 v_uv;
void main() {
  vec2 p = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  v_uv = p;
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
