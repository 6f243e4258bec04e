// safetensors: the reader (mmap, zero copy for F32) and a small writer.
//
// File layout (FACTS.md section 6; the format of the Hugging Face `safetensors` library):
//
//   bytes [0, 8)          N: header length, u64 little-endian
//   bytes [8, 8 + N)      header: UTF-8 JSON object, may be padded with trailing spaces
//   bytes [8 + N, size)   data section: the tensors' bytes, row-major, little-endian
//
//   header = { "__metadata__": { "key": "value", ... },          optional, string -> string
//              "wte.weight": { "dtype": "F32",                    see Dtype below
//                              "shape": [50257, 768],             non-negative integers
//                              "data_offsets": [begin, end] },    relative to byte 8 + N,
//              ... }                                              end exclusive
//
// Checks made by parse_safetensors_header before any tensor byte is read (each failure is an
// es::Error naming the file, the tensor when there is one, and the reason):
//   - the file holds at least the 8 bytes of N;
//   - N <= 100,000,000 (the reference reader's limit) and 8 + N <= file size;
//   - the header is valid JSON and an object; "__metadata__", if present, maps strings to
//     strings;
//   - every other entry is an object with a known dtype, a shape of non-negative integers and
//     two non-negative integer data_offsets;
//   - begin <= end <= data section size;
//   - end - begin == product(shape) * dtype size, the product computed with overflow checks;
//   - no two tensors overlap, no name appears twice.
// The parser is a pure function of the file's bytes (fuzzable without a file system). It
// streams the JSON: each entry is checked and dropped as soon as it is read, nothing may nest
// deeper than an entry's arrays, and an array holds at most 1024 values, so a hostile header
// cannot make it build a huge tree or recurse deeply.
//
// Float access: F32 tables are served in place from the mapping (zero copy) when their data is
// 4-byte aligned in the file (Hugging Face pads the header so it always is); F16, BF16 and F64
// (and misaligned F32) are converted to float. Conversion is done lazily, by the caller asking
// for a table (see checkpoint.cpp: on the first token_table() call), never at open; it costs
// one pass over the table and 4 bytes per value of memory (GPT-2 small's token table: 38.6 M
// values, 154 MB).
#pragma once

#include "page_buffer.h"
#include "types.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace es {

// The dtypes of the safetensors format. Only F32, F16, BF16 and F64 can be read as float.
enum class SafetensorsDtype { Bool, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

std::string dtype_name(SafetensorsDtype dtype);  // "F32", ...
// A shape as Python prints a tuple: "(50257, 768)", "(768,)", "()". Every message uses it.
std::string shape_text(const std::vector<int64_t>& shape);
std::optional<SafetensorsDtype> parse_dtype(std::string_view name);
std::size_t dtype_size(SafetensorsDtype dtype);  // bytes per element
bool dtype_is_float_readable(SafetensorsDtype dtype);

struct SafetensorsTensor {
  std::string name;
  SafetensorsDtype dtype = SafetensorsDtype::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // offsets relative to the start of the data section, end exclusive
  uint64_t end = 0;
  uint64_t elements() const;  // product of shape (checked at parse time not to overflow)
};

struct SafetensorsHeader {
  uint64_t header_length = 0;  // N
  uint64_t data_start = 0;     // 8 + N: file offset of the data section
  uint64_t data_size = 0;      // file size - data_start
  std::vector<SafetensorsTensor> tensors;  // in data-offset order
  std::map<std::string, std::string> metadata;
  const SafetensorsTensor* find(std::string_view name) const;
};

// The reference reader's limit on N.
inline constexpr uint64_t kSafetensorsMaxHeader = 100'000'000;

// Parses and validates the header of a whole safetensors file given as bytes. Reads only the
// first 8 + N bytes. `file_label` names the file in error messages.
SafetensorsHeader parse_safetensors_header(std::span<const uint8_t> file_bytes,
                                           std::string_view file_label);

// Half and bfloat16 bit patterns to float, exactly (subnormals, infinities and NaN kept).
float f16_bits_to_float(uint16_t bits);
float bf16_bits_to_float(uint16_t bits);
// float to half / bfloat16, rounding to nearest even (NaN stays NaN).
uint16_t float_to_f16_bits(float value);
uint16_t float_to_bf16_bits(float value);

// A read-only memory mapping of a whole file. Move-only. An empty file maps to an empty span.
class MappedFile {
 public:
  MappedFile() = default;
  explicit MappedFile(const std::filesystem::path& path);  // throws es::Error
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  // The open file (read-only), kept while the mapping lives: whole-table passes read it with
  // pread (TableView::fetch_rows), which is several times faster than the first touch of the
  // mapped pages on some systems. -1 for an empty file.
  int fd() const { return fd_; }

 private:
  const uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  int fd_ = -1;
};


// An opened safetensors file: the mapping plus its validated header. Opening touches only the
// header's pages.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);  // throws es::Error
  const std::filesystem::path& path() const { return path_; }
  const SafetensorsHeader& header() const { return header_; }
  const SafetensorsTensor* find(std::string_view name) const { return header_.find(name); }
  uint64_t file_size() const { return mapping_.bytes().size(); }
  // The tensor's bytes inside the mapping (bounds were checked at open).
  std::span<const uint8_t> tensor_bytes(const SafetensorsTensor& tensor) const;
  // The open file and a tensor's offset in it (for TableView::fetch_rows).
  int fd() const { return mapping_.fd(); }
  uint64_t tensor_offset(const SafetensorsTensor& tensor) const { return header_.data_start + tensor.begin; }
  // The tensor's values as float when they can be served in place (F32, aligned); else null.
  const float* f32_in_place(const SafetensorsTensor& tensor) const;
  // Converts elements [first, first + out.size()) of the tensor to float.
  // Throws es::Error for a dtype that is not F32/F16/BF16/F64 or a range past the tensor.
  void read_floats(const SafetensorsTensor& tensor, uint64_t first, std::span<float> out) const;
  // Shape (rows, cols) of a rank-2 tensor converted in full to a row-major matrix.
  MatrixRM read_matrix(const SafetensorsTensor& tensor) const;

 private:
  std::filesystem::path path_;
  MappedFile mapping_;
  SafetensorsHeader header_;
};

// ---- writer (tests, the benchmark's synthetic checkpoints) ----

struct SafetensorsWriteTensor {
  std::string name;
  SafetensorsDtype dtype = SafetensorsDtype::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;  // exactly product(shape) * dtype_size bytes, little-endian
};
// A tensor from float values, stored as F32, F16 or BF16 (rounded to nearest even).
SafetensorsWriteTensor make_write_tensor(std::string name, SafetensorsDtype dtype,
                                         std::vector<int64_t> shape, std::span<const float> values);
// The header JSON (no padding) and the full file bytes; the header is space-padded so the data
// section starts at a multiple of 8, as the reference writer does.
std::string safetensors_header_json(const std::vector<SafetensorsWriteTensor>& tensors,
                                    const std::map<std::string, std::string>& metadata = {});
std::vector<uint8_t> safetensors_bytes(const std::vector<SafetensorsWriteTensor>& tensors,
                                       const std::map<std::string, std::string>& metadata = {});
// Writes the file. Throws es::Error when a tensor's byte count does not match its shape and
// dtype, or when the file cannot be written.
void write_safetensors(const std::filesystem::path& path,
                       const std::vector<SafetensorsWriteTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace es
