// Small move-only RAII owners of OpenGL objects (Shader, Texture, Framebuffer, VertexArray,
// Buffer). Create them once and keep them; never per frame. All GL calls happen on the main
// thread, after the context is current and glad is loaded.
#pragma once

#include <glad/gl.h>

#include <string>
#include <string_view>
#include <utility>

namespace es::gl {

// Shader sources from shaders/*.glsl, embedded at build time (app/embed_shaders.cmake).
const char* embedded_shader(std::string_view name);

// Moves leave 0 behind in the source, so a GL name is deleted exactly once.
class Shader {
 public:
  Shader() = default;
  // Compiles and links; throws es::Error with the GL info log on failure.
  Shader(const char* vertex_source, const char* fragment_source, std::string_view label);
  // From the embedded shaders/ files, e.g. ("fullscreen.vert.glsl", "heatmap.frag.glsl").
  static Shader from_embedded(std::string_view vertex_name, std::string_view fragment_name);
  ~Shader();
  Shader(Shader&& o) noexcept : program_(std::exchange(o.program_, 0)) {}
  Shader& operator=(Shader&& o) noexcept;
  Shader(const Shader&) = delete;
  Shader& operator=(const Shader&) = delete;

  GLuint id() const { return program_; }
  bool valid() const { return program_ != 0; }
  void use() const { glUseProgram(program_); }
  GLint uniform(const char* name) const { return glGetUniformLocation(program_, name); }

 private:
  GLuint program_ = 0;
};

class Texture {
 public:
  Texture() = default;
  ~Texture();
  Texture(Texture&& o) noexcept
      : id_(std::exchange(o.id_, 0)), width_(o.width_), height_(o.height_) {}
  Texture& operator=(Texture&& o) noexcept;
  Texture(const Texture&) = delete;
  Texture& operator=(const Texture&) = delete;

  // One float per texel (GL_R32F), nearest filtering: heatmap cells stay crisp. data is
  // (height, width) row-major; reallocates only when the size changes.
  void upload_r32f(int width, int height, const float* data);
  // RGBA8 (width, height); linear or nearest filtering, clamped.
  void upload_rgba8(int width, int height, const unsigned char* rgba, bool linear);
  // Allocates an empty RGBA8 texture (colour attachment of a Framebuffer).
  void allocate_rgba8(int width, int height);

  GLuint id() const { return id_; }
  int width() const { return width_; }
  int height() const { return height_; }
  bool valid() const { return id_ != 0; }
  // For ImGui::Image.
  void* imgui_id() const { return reinterpret_cast<void*>(static_cast<intptr_t>(id_)); }

 private:
  void ensure_created();
  GLuint id_ = 0;
  int width_ = 0, height_ = 0;
};

class Framebuffer {
 public:
  Framebuffer() = default;
  ~Framebuffer();
  Framebuffer(Framebuffer&& o) noexcept
      : fbo_(std::exchange(o.fbo_, 0)), color_(std::move(o.color_)) {}
  Framebuffer& operator=(Framebuffer&& o) noexcept;
  Framebuffer(const Framebuffer&) = delete;
  Framebuffer& operator=(const Framebuffer&) = delete;

  // (Re)allocates the colour texture when the size changes; returns true if it did.
  bool ensure_size(int width, int height);
  void bind() const;             // binds and sets the viewport to the whole target
  static void unbind();          // back to the window's framebuffer
  const Texture& color() const { return color_; }
  int width() const { return color_.width(); }
  int height() const { return color_.height(); }

 private:
  GLuint fbo_ = 0;
  Texture color_;
};

class VertexArray {
 public:
  VertexArray() = default;
  ~VertexArray();
  VertexArray(VertexArray&& o) noexcept : id_(std::exchange(o.id_, 0)) {}
  VertexArray& operator=(VertexArray&& o) noexcept;
  VertexArray(const VertexArray&) = delete;
  VertexArray& operator=(const VertexArray&) = delete;
  void create();
  void bind() const { glBindVertexArray(id_); }
  bool valid() const { return id_ != 0; }

 private:
  GLuint id_ = 0;
};

class Buffer {
 public:
  Buffer() = default;
  ~Buffer();
  Buffer(Buffer&& o) noexcept : id_(std::exchange(o.id_, 0)), bytes_(o.bytes_) {}
  Buffer& operator=(Buffer&& o) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  // GL_ARRAY_BUFFER upload, GL_STATIC_DRAW (data changes only with the model).
  void upload(const void* data, long long bytes);
  void bind() const { glBindBuffer(GL_ARRAY_BUFFER, id_); }
  long long bytes() const { return bytes_; }

 private:
  GLuint id_ = 0;
  long long bytes_ = 0;
};

// GL_MAX_TEXTURE_SIZE, queried once (16384 under Mesa llvmpipe).
int max_texture_size();

}  // namespace es::gl
