#include "matrix_export.h"

#include <cmath>
#include <cstdio>
#include <fstream>

namespace es::ui {

std::string csv_text(const float* values, long long rows, long long cols, long long stride) {
  std::string out;
  out.reserve(static_cast<std::size_t>(rows * cols * 12));
  char buf[32];
  for (long long r = 0; r < rows; ++r) {
    for (long long c = 0; c < cols; ++c) {
      const float v = values[r * stride + c];
      if (std::isnan(v)) std::snprintf(buf, sizeof buf, "nan");
      else std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
      if (c) out += ',';
      out += buf;
    }
    out += '\n';
  }
  return out;
}

void write_csv(const MatrixRM& m, const std::filesystem::path& path) {
  std::ofstream out(path);
  if (!out) throw Error("cannot write " + path.string());
  out << csv_text(m.data(), m.rows(), m.cols(), m.cols());
  if (!out) throw Error("writing " + path.string() + " failed");
}

void write_npy(const MatrixRM& m, const std::filesystem::path& path) {
  // NPY 1.0: magic, version, header length (u16 LE), a dict padded with spaces to a
  // multiple of 64 bytes ending in '\n', then the data (little-endian f4, C order).
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(m.rows()) + ", " + std::to_string(m.cols()) + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("cannot write " + path.string());
  out.write("\x93NUMPY\x01\x00", 8);
  unsigned short len = static_cast<unsigned short>(header.size());
  char lb[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(lb, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(m.data()), static_cast<std::streamsize>(m.size() * sizeof(float)));
  if (!out) throw Error("writing " + path.string() + " failed");
}

std::vector<std::string> export_embedding(const AppState& state, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error("cannot create " + dir.string() + ": " + ec.message());
  const InputEmbedding& e = state.embedding();
  std::vector<std::pair<std::string, const MatrixRM*>> items = {
      {"token", &e.token}, {"position", &e.position}, {"combined", &e.combined},
      {"interaction", &state.interaction()}};
  if (e.normed) items.emplace_back("normed", &*e.normed);
  std::vector<std::string> written;
  for (auto& [name, m] : items) {
    write_csv(*m, dir / (name + ".csv"));
    write_npy(*m, dir / (name + ".npy"));
    written.push_back(name + ".csv");
    written.push_back(name + ".npy");
  }
  return written;
}

}  // namespace es::ui
