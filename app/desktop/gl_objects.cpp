#include "gl_objects.h"

#include "types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace es::gl {

namespace {

GLuint compile(GLenum type, const char* source, std::string_view label) {
  GLuint s = glCreateShader(type);
  glShaderSource(s, 1, &source, nullptr);
  glCompileShader(s);
  GLint ok = 0;
  glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char log[2048] = {};
    glGetShaderInfoLog(s, sizeof log, nullptr, log);
    glDeleteShader(s);
    throw Error("compiling shader " + std::string(label) + " failed: " + log);
  }
  return s;
}

}  // namespace

Shader::Shader(const char* vertex_source, const char* fragment_source, std::string_view label) {
  GLuint vs = compile(GL_VERTEX_SHADER, vertex_source, label);
  GLuint fs = 0;
  try {
    fs = compile(GL_FRAGMENT_SHADER, fragment_source, label);
  } catch (...) {
    glDeleteShader(vs);
    throw;
  }
  program_ = glCreateProgram();
  glAttachShader(program_, vs);
  glAttachShader(program_, fs);
  glLinkProgram(program_);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint ok = 0;
  glGetProgramiv(program_, GL_LINK_STATUS, &ok);
  if (!ok) {
    char log[2048] = {};
    glGetProgramInfoLog(program_, sizeof log, nullptr, log);
    glDeleteProgram(program_);
    program_ = 0;
    throw Error("linking shader " + std::string(label) + " failed: " + log);
  }
}

Shader Shader::from_embedded(std::string_view vertex_name, std::string_view fragment_name) {
  const char* vs = embedded_shader(vertex_name);
  const char* fs = embedded_shader(fragment_name);
  if (!vs || !fs)
    throw Error("shader " + std::string(vs ? fragment_name : vertex_name) +
                " is not embedded in this build (is it in shaders/?)");
  return Shader(vs, fs, std::string(vertex_name) + " + " + std::string(fragment_name));
}

Shader::~Shader() {
  if (program_) glDeleteProgram(program_);
}

Shader& Shader::operator=(Shader&& o) noexcept {
  if (this != &o) {
    if (program_) glDeleteProgram(program_);
    program_ = std::exchange(o.program_, 0);
  }
  return *this;
}

Texture::~Texture() {
  if (id_) glDeleteTextures(1, &id_);
}

Texture& Texture::operator=(Texture&& o) noexcept {
  if (this != &o) {
    if (id_) glDeleteTextures(1, &id_);
    id_ = std::exchange(o.id_, 0);
    width_ = o.width_;
    height_ = o.height_;
  }
  return *this;
}

void Texture::ensure_created() {
  if (!id_) glGenTextures(1, &id_);
}

void Texture::upload_r32f(int width, int height, const float* data) {
  ensure_created();
  glBindTexture(GL_TEXTURE_2D, id_);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  if (width != width_ || height != height_) {
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, width, height, 0, GL_RED, GL_FLOAT, data);
    width_ = width;
    height_ = height;
  } else {
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, GL_RED, GL_FLOAT, data);
  }
}

void Texture::upload_rgba8(int width, int height, const unsigned char* rgba, bool linear) {
  ensure_created();
  glBindTexture(GL_TEXTURE_2D, id_);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  GLint filter = linear ? GL_LINEAR : GL_NEAREST;
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
  width_ = width;
  height_ = height;
}

void Texture::allocate_rgba8(int width, int height) { upload_rgba8(width, height, nullptr, false); }

Framebuffer::~Framebuffer() {
  if (fbo_) glDeleteFramebuffers(1, &fbo_);
}

Framebuffer& Framebuffer::operator=(Framebuffer&& o) noexcept {
  if (this != &o) {
    if (fbo_) glDeleteFramebuffers(1, &fbo_);
    fbo_ = std::exchange(o.fbo_, 0);
    color_ = std::move(o.color_);
  }
  return *this;
}

bool Framebuffer::ensure_size(int width, int height) {
  if (width < 1) width = 1;
  if (height < 1) height = 1;
  if (fbo_ && width == color_.width() && height == color_.height()) return false;
  if (!fbo_) glGenFramebuffers(1, &fbo_);
  color_.allocate_rgba8(width, height);
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, color_.id(), 0);
  GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  if (status != GL_FRAMEBUFFER_COMPLETE)
    throw Error("an offscreen framebuffer of " + std::to_string(width) + " x " +
                std::to_string(height) + " pixels is not complete (GL status " +
                std::to_string(status) + ")");
  return true;
}

void Framebuffer::bind() const {
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glViewport(0, 0, color_.width(), color_.height());
}

void Framebuffer::unbind() { glBindFramebuffer(GL_FRAMEBUFFER, 0); }

VertexArray::~VertexArray() {
  if (id_) glDeleteVertexArrays(1, &id_);
}

VertexArray& VertexArray::operator=(VertexArray&& o) noexcept {
  if (this != &o) {
    if (id_) glDeleteVertexArrays(1, &id_);
    id_ = std::exchange(o.id_, 0);
  }
  return *this;
}

void VertexArray::create() {
  if (!id_) glGenVertexArrays(1, &id_);
}

Buffer::~Buffer() {
  if (id_) glDeleteBuffers(1, &id_);
}

Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    if (id_) glDeleteBuffers(1, &id_);
    id_ = std::exchange(o.id_, 0);
    bytes_ = o.bytes_;
  }
  return *this;
}

void Buffer::upload(const void* data, long long bytes) {
  if (!id_) glGenBuffers(1, &id_);
  glBindBuffer(GL_ARRAY_BUFFER, id_);
  glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(bytes), data, GL_STATIC_DRAW);
  bytes_ = bytes;
}

int max_texture_size() {
  static int size = [] {
    GLint v = 0;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &v);
    return v > 0 ? static_cast<int>(v) : 4096;
  }();
  return size;
}

}  // namespace es::gl
