// safetensors reader and writer; the format and the checks are described in safetensors.h.
#include "safetensors.h"

#include "json_excerpt.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_set>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace es {

namespace {

using Json = nlohmann::json;

struct DtypeRow {
  SafetensorsDtype dtype;
  const char* name;
  std::size_t size;
};
constexpr DtypeRow kDtypes[] = {
    {SafetensorsDtype::Bool, "BOOL", 1},       {SafetensorsDtype::U8, "U8", 1},
    {SafetensorsDtype::I8, "I8", 1},           {SafetensorsDtype::F8_E5M2, "F8_E5M2", 1},
    {SafetensorsDtype::F8_E4M3, "F8_E4M3", 1}, {SafetensorsDtype::I16, "I16", 2},
    {SafetensorsDtype::U16, "U16", 2},         {SafetensorsDtype::F16, "F16", 2},
    {SafetensorsDtype::BF16, "BF16", 2},       {SafetensorsDtype::I32, "I32", 4},
    {SafetensorsDtype::U32, "U32", 4},         {SafetensorsDtype::F32, "F32", 4},
    {SafetensorsDtype::F64, "F64", 8},         {SafetensorsDtype::I64, "I64", 8},
    {SafetensorsDtype::U64, "U64", 8},
};

const DtypeRow& dtype_row(SafetensorsDtype dtype) {
  for (const DtypeRow& row : kDtypes)
    if (row.dtype == dtype) return row;
  return kDtypes[0];  // unreachable: every enumerator has a row
}

[[noreturn]] void fail(std::string_view file, std::string_view tensor, const std::string& why) {
  std::string msg = "safetensors file '" + std::string(file) + "'";
  if (!tensor.empty()) msg += ", tensor '" + std::string(tensor) + "'";
  throw Error(msg + ": " + why);
}

// A JSON number that is an integer >= 0 and fits in uint64_t (2.0 is refused: the format
// stores integers).
std::optional<uint64_t> json_uint(const Json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i >= 0) return static_cast<uint64_t>(i);
  }
  return std::nullopt;
}

uint64_t load_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

std::string dtype_name(SafetensorsDtype dtype) { return dtype_row(dtype).name; }

std::optional<SafetensorsDtype> parse_dtype(std::string_view name) {
  for (const DtypeRow& row : kDtypes)
    if (name == row.name) return row.dtype;
  return std::nullopt;
}

std::size_t dtype_size(SafetensorsDtype dtype) { return dtype_row(dtype).size; }

bool dtype_is_float_readable(SafetensorsDtype dtype) {
  return dtype == SafetensorsDtype::F32 || dtype == SafetensorsDtype::F16 ||
         dtype == SafetensorsDtype::BF16 || dtype == SafetensorsDtype::F64;
}

uint64_t SafetensorsTensor::elements() const {
  uint64_t n = 1;
  for (int64_t s : shape) n *= static_cast<uint64_t>(s);
  return n;
}

const SafetensorsTensor* SafetensorsHeader::find(std::string_view name) const {
  for (const SafetensorsTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

namespace {

// One tensor entry, checked against the data section (data_size bytes after the header).
SafetensorsTensor parse_tensor_entry(const std::string& name, const Json& entry, uint64_t data_size,
                                     std::string_view file) {
  if (!entry.is_object()) fail(file, name, "entry is " + json_excerpt(entry) + ", not an object");
  SafetensorsTensor t;
  t.name = name;

  const auto dt = entry.find("dtype");
  if (dt == entry.end()) fail(file, name, "no \"dtype\"");
  if (!dt->is_string()) fail(file, name, "\"dtype\" is " + json_excerpt(*dt) + ", not a string");
  const std::optional<SafetensorsDtype> dtype = parse_dtype(dt->get<std::string>());
  if (!dtype) fail(file, name, "unknown dtype " + json_excerpt(*dt));
  t.dtype = *dtype;

  const auto sh = entry.find("shape");
  if (sh == entry.end()) fail(file, name, "no \"shape\"");
  if (!sh->is_array()) fail(file, name, "\"shape\" is " + json_excerpt(*sh) + ", not an array");
  uint64_t elements = 1;
  bool overflow = false;
  for (const Json& dim : *sh) {
    const std::optional<uint64_t> d = json_uint(dim);
    if (!d) fail(file, name, "shape " + json_excerpt(*sh) + " has " + json_excerpt(dim) +
                                 ", not a non-negative integer");
    if (*d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail(file, name, "shape " + json_excerpt(*sh) + " has a dimension too large to address (overflow)");
    t.shape.push_back(static_cast<int64_t>(*d));
    if (*d != 0 && elements > std::numeric_limits<uint64_t>::max() / *d) overflow = true;
    elements *= *d;
  }
  // A zero dimension makes the product 0 whatever the other factors; overflow only matters
  // when every factor is non-zero.
  const bool has_zero = std::find(t.shape.begin(), t.shape.end(), 0) != t.shape.end();
  if (overflow && !has_zero)
    fail(file, name, "shape " + shape_text(t.shape) + ": the element count overflows 64 bits (shape product overflow)");
  if (has_zero) elements = 0;
  const uint64_t esize = dtype_size(t.dtype);
  if (elements > std::numeric_limits<uint64_t>::max() / esize)
    fail(file, name, "shape " + shape_text(t.shape) + " x " + dtype_name(t.dtype) +
                         ": the byte count overflows 64 bits (shape product overflow)");
  const uint64_t need = elements * esize;

  const auto off = entry.find("data_offsets");
  if (off == entry.end()) fail(file, name, "no \"data_offsets\"");
  if (!off->is_array() || off->size() != 2)
    fail(file, name, "\"data_offsets\" is " + json_excerpt(*off) + ", not two integers [begin, end]");
  const std::optional<uint64_t> b = json_uint((*off)[0]), e = json_uint((*off)[1]);
  if (!b || !e) fail(file, name, "\"data_offsets\" " + json_excerpt(*off) + " are not non-negative integers");
  t.begin = *b;
  t.end = *e;
  const std::string offs = "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]";
  if (t.begin > t.end) fail(file, name, offs + " are reversed (begin after end)");
  if (t.end > data_size)
    fail(file, name, offs + " run outside the data section (" + std::to_string(data_size) +
                         " bytes after the header): truncated file or bad offsets");
  if (t.end - t.begin != need)
    fail(file, name, offs + " hold " + std::to_string(t.end - t.begin) + " bytes but shape " +
                         shape_text(t.shape) + " x " + dtype_name(t.dtype) + " (" + std::to_string(esize) +
                         " bytes each) needs " + std::to_string(need) + ": offsets do not match shape x dtype size");
  return t;
}

void parse_metadata(const Json& entry, std::map<std::string, std::string>& metadata, std::string_view file) {
  if (!entry.is_object()) fail(file, "", "\"__metadata__\" is not an object of strings");
  for (const auto& [key, value] : entry.items()) {
    if (!value.is_string())
      fail(file, "", "\"__metadata__\" entry '" + key + "' is " + json_excerpt(value) + ", not a string");
    metadata[key] = value.get<std::string>();
  }
}

}  // namespace

// The 8-byte little-endian header length, checked against the limit and the file's size.
static void read_header_length(std::span<const uint8_t> bytes, std::string_view file, SafetensorsHeader& h) {
  if (bytes.empty()) fail(file, "", "the file is empty (a safetensors file starts with an 8-byte header length)");
  if (bytes.size() < 8)
    fail(file, "", "truncated: " + std::to_string(bytes.size()) +
                       " bytes, fewer than the 8-byte header length that starts the format");
  h.header_length = load_u64_le(bytes.data());
  if (h.header_length > kSafetensorsMaxHeader)
    fail(file, "", "header length " + std::to_string(h.header_length) +
                       " bytes is over the limit of 100,000,000 bytes (corrupt or not a safetensors file)");
  if (h.header_length > bytes.size() - 8)
    fail(file, "", "header length " + std::to_string(h.header_length) + " bytes runs past the end of the file (" +
                       std::to_string(bytes.size()) + " bytes): truncated or not a safetensors file");
  h.data_start = 8 + h.header_length;
  h.data_size = bytes.size() - h.data_start;
}

// Sorts the tensors by their bytes and refuses two that overlap (empty tensors occupy none).
static void check_no_overlap(std::vector<SafetensorsTensor>& tensors, std::string_view file) {
  std::sort(tensors.begin(), tensors.end(), [](const SafetensorsTensor& a, const SafetensorsTensor& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const SafetensorsTensor* prev = nullptr;
  for (const SafetensorsTensor& t : tensors) {
    if (t.begin == t.end) continue;
    if (prev && t.begin < prev->end)
      fail(file, t.name, "its bytes [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                             ") overlap tensor '" + prev->name + "' [" + std::to_string(prev->begin) + ", " +
                             std::to_string(prev->end) + ")");
    prev = &t;
  }
}

SafetensorsHeader parse_safetensors_header(std::span<const uint8_t> bytes, std::string_view file) {
  SafetensorsHeader h;
  read_header_length(bytes, file, h);

  // Parsed as a stream: each entry is checked and dropped from the JSON tree as soon as its
  // closing brace is read, and nothing may nest deeper than an entry's arrays. Memory stays
  // proportional to the valid tensors, whatever a hostile 100 MB header holds.
  constexpr std::size_t kMaxArray = 1024;      // elements of a shape or offsets array
  constexpr std::size_t kMaxEntryKeys = 64;    // keys of one tensor entry (3 are used)
  std::string key1, key2;                      // current keys at depth 1 (tensor) and 2 (field)
  std::size_t array_len = 0, entry_keys = 0;
  std::unordered_set<std::string> seen;
  using Event = Json::parse_event_t;
  const Json::parser_callback_t on_event = [&](int depth, Event event, Json& parsed) -> bool {
    const bool meta = key1 == "__metadata__";
    const std::string_view tensor = meta ? std::string_view() : std::string_view(key1);
    const std::string what = meta ? "\"__metadata__\"" : std::string("entry");
    switch (event) {
      case Event::object_start:
        if (depth >= 3) fail(file, tensor, "\"" + key2 + "\" nests deeper than a safetensors header can");
        if (depth == 1) entry_keys = 0;
        array_len = 0;
        return true;
      case Event::array_start:
        if (depth == 0) fail(file, "", "header JSON is an array, not an object of tensors");
        if (depth == 1) fail(file, tensor, what + " is an array, not an object");
        if (depth >= 3) fail(file, tensor, "\"" + key2 + "\" nests deeper than a safetensors header can");
        array_len = 0;
        return true;
      case Event::key:
        if (depth == 1) {
          key1 = parsed.get<std::string>();
          if (!seen.insert(key1).second) fail(file, key1, "the name appears twice in the header");
        } else if (depth == 2) {
          key2 = parsed.get<std::string>();
          if (!meta && ++entry_keys > kMaxEntryKeys) fail(file, tensor, "the entry has more than 64 keys");
        } else if (++array_len > kMaxArray) {
          fail(file, tensor, "\"" + key2 + "\" holds more than 1024 values");
        }
        return true;
      case Event::value:
        if (depth == 0) fail(file, "", std::string("header JSON is a ") + parsed.type_name() + ", not an object of tensors");
        if (depth == 1) fail(file, tensor, what + " is " + json_excerpt(parsed) + ", not an object");
        if (depth >= 3 && ++array_len > kMaxArray) fail(file, tensor, "\"" + key2 + "\" holds more than 1024 values");
        return true;
      case Event::object_end:
        if (depth != 1) return true;
        if (meta) parse_metadata(parsed, h.metadata, file);
        else h.tensors.push_back(parse_tensor_entry(key1, parsed, h.data_size, file));
        return false;  // checked: drop it from the tree
      case Event::array_end:
        return true;
    }
    return true;
  };
  const auto* text = reinterpret_cast<const char*>(bytes.data() + 8);
  Json root;
  try {
    root = Json::parse(text, text + h.header_length, on_event);
  } catch (const Json::exception& e) {
    // The parser quotes the whole token it stopped in: a hostile header may hold a
    // megabyte-long string, which json_parse_error cuts.
    fail(file, "", "header is not valid JSON (" + json_parse_error(e) + ")");
  }
  if (!root.is_object())
    fail(file, "", std::string("header JSON is a ") + root.type_name() + ", not an object of tensors");

  check_no_overlap(h.tensors, file);
  return h;
}

// ---- half / bfloat16 ----

float f16_bits_to_float(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exp = (bits >> 10) & 0x1fu;
  const uint32_t mant = bits & 0x3ffu;
  if (exp == 0) {  // zero or subnormal: mant * 2^-24, exact in float
    const float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  uint32_t out;
  if (exp == 31)
    out = sign | 0x7f800000u | (mant << 13);  // inf, or NaN with its payload
  else
    out = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  return std::bit_cast<float>(out);
}

float bf16_bits_to_float(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

uint16_t float_to_f16_bits(float value) {
  const uint32_t u = std::bit_cast<uint32_t>(value);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00u;  // NaN
  if (a == 0x7f800000u) return sign | 0x7c00u;
  const int e = static_cast<int>(a >> 23) - 127;
  if (e < -14) {
    // Subnormal half (or zero): units of 2^-24, rounded to nearest even by the default FP
    // rounding mode; a result of 1024 is the smallest normal, whose encoding is also 1024.
    const float units = std::nearbyint(std::bit_cast<float>(a) * 16777216.0f);
    return sign | static_cast<uint16_t>(units);
  }
  uint32_t half_exp = static_cast<uint32_t>(e + 15);
  const uint32_t mant = a & 0x7fffffu;
  uint32_t m = mant >> 13;
  const uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (m & 1u))) ++m;
  if (m == 0x400u) {
    m = 0;
    ++half_exp;
  }
  if (half_exp >= 31) return sign | 0x7c00u;  // overflow to infinity
  return sign | static_cast<uint16_t>((half_exp << 10) | m);
}

uint16_t float_to_bf16_bits(float value) {
  const uint32_t u = std::bit_cast<uint32_t>(value);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // quiet NaN
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// ---- MappedFile ----

MappedFile::MappedFile(const std::filesystem::path& path) {
  // O_NONBLOCK: opening a FIFO (named pipe) would otherwise wait for a writer forever; the
  // S_ISREG check below then refuses it. It changes nothing for regular files.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error("cannot open '" + path.string() + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error("cannot read '" + path.string() + "': " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error("cannot open '" + path.string() + "': not a regular file");
  }
  size_ = static_cast<std::size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw Error("cannot map '" + path.string() + "' into memory: " + std::strerror(err));
    }
    data_ = static_cast<const uint8_t*>(p);
    fd_ = fd;  // kept for pread (fd()); closed with the mapping
    return;
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
  if (fd_ >= 0) ::close(fd_);
}

MappedFile::MappedFile(MappedFile&& other) noexcept : data_(other.data_), size_(other.size_), fd_(other.fd_) {
  other.data_ = nullptr;
  other.size_ = 0;
  other.fd_ = -1;
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
    data_ = other.data_;
    size_ = other.size_;
    fd_ = other.fd_;
    other.data_ = nullptr;
    other.size_ = 0;
    other.fd_ = -1;
  }
  return *this;
}

// ---- FloatBuffer ----

// ---- SafetensorsFile ----

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : path_(path), mapping_(path) {
  header_ = parse_safetensors_header(mapping_.bytes(), path.string());
}

std::span<const uint8_t> SafetensorsFile::tensor_bytes(const SafetensorsTensor& t) const {
  return mapping_.bytes().subspan(header_.data_start + t.begin, t.end - t.begin);
}

const float* SafetensorsFile::f32_in_place(const SafetensorsTensor& t) const {
  if (t.dtype != SafetensorsDtype::F32 || std::endian::native != std::endian::little) return nullptr;
  const uint8_t* p = mapping_.bytes().data() + header_.data_start + t.begin;
  if (reinterpret_cast<std::uintptr_t>(p) % alignof(float) != 0) return nullptr;
  return reinterpret_cast<const float*>(p);
}

void SafetensorsFile::read_floats(const SafetensorsTensor& t, uint64_t first, std::span<float> out) const {
  if (!dtype_is_float_readable(t.dtype))
    fail(path_.string(), t.name, "dtype " + dtype_name(t.dtype) + " cannot be read as float (EmbedScope reads F32, F16, BF16, F64)");
  const uint64_t n = t.elements();
  if (first > n || out.size() > n - first)
    fail(path_.string(), t.name, "elements [" + std::to_string(first) + ", " + std::to_string(first + out.size()) +
                                     ") are past its " + std::to_string(n) + " elements");
  const std::size_t es = dtype_size(t.dtype);
  const uint8_t* p = tensor_bytes(t).data() + first * es;
  // Element-wise little-endian decoding: correct on any host and for any alignment.
  switch (t.dtype) {
    case SafetensorsDtype::F32:
      for (std::size_t i = 0; i < out.size(); ++i, p += 4)
        out[i] = std::bit_cast<float>(static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                                      static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24);
      break;
    case SafetensorsDtype::F16:
      for (std::size_t i = 0; i < out.size(); ++i, p += 2)
        out[i] = f16_bits_to_float(static_cast<uint16_t>(p[0] | p[1] << 8));
      break;
    case SafetensorsDtype::BF16:
      for (std::size_t i = 0; i < out.size(); ++i, p += 2)
        out[i] = bf16_bits_to_float(static_cast<uint16_t>(p[0] | p[1] << 8));
      break;
    case SafetensorsDtype::F64:
      for (std::size_t i = 0; i < out.size(); ++i, p += 8)
        out[i] = static_cast<float>(std::bit_cast<double>(load_u64_le(p)));
      break;
    default:
      break;
  }
}

MatrixRM SafetensorsFile::read_matrix(const SafetensorsTensor& t) const {
  if (t.shape.size() != 2 && t.shape.size() != 1)
    fail(path_.string(), t.name, "has rank " + std::to_string(t.shape.size()) + " (shape " + shape_text(t.shape) +
                                     "); expected a matrix or a vector");
  const int64_t rows = t.shape.size() == 2 ? t.shape[0] : 1;
  const int64_t cols = t.shape.back();
  MatrixRM m(rows, cols);
  read_floats(t, 0, std::span<float>(m.data(), static_cast<std::size_t>(m.size())));
  return m;
}

// ---- writer ----

SafetensorsWriteTensor make_write_tensor(std::string name, SafetensorsDtype dtype, std::vector<int64_t> shape,
                                         std::span<const float> values) {
  SafetensorsWriteTensor t{std::move(name), dtype, std::move(shape), {}};
  t.bytes.reserve(values.size() * dtype_size(dtype));
  auto put = [&](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) t.bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  for (float v : values) {
    switch (dtype) {
      case SafetensorsDtype::F32: put(std::bit_cast<uint32_t>(v), 4); break;
      case SafetensorsDtype::F16: put(float_to_f16_bits(v), 2); break;
      case SafetensorsDtype::BF16: put(float_to_bf16_bits(v), 2); break;
      case SafetensorsDtype::F64: put(std::bit_cast<uint64_t>(static_cast<double>(v)), 8); break;
      default: throw Error("make_write_tensor: cannot store floats as " + dtype_name(dtype));
    }
  }
  return t;
}

std::string safetensors_header_json(const std::vector<SafetensorsWriteTensor>& tensors,
                                    const std::map<std::string, std::string>& metadata) {
  Json root = Json::object();
  if (!metadata.empty()) root["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const SafetensorsWriteTensor& t : tensors) {
    uint64_t need = dtype_size(t.dtype);
    for (int64_t s : t.shape) {
      if (s < 0) throw Error("write_safetensors: tensor '" + t.name + "' has a negative dimension");
      need *= static_cast<uint64_t>(s);
    }
    if (need != t.bytes.size())
      throw Error("write_safetensors: tensor '" + t.name + "' has " + std::to_string(t.bytes.size()) +
                  " bytes but its shape and dtype need " + std::to_string(need));
    if (root.contains(t.name)) throw Error("write_safetensors: tensor '" + t.name + "' appears twice");
    root[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + need}}};
    offset += need;
  }
  return root.dump();
}

std::vector<uint8_t> safetensors_bytes(const std::vector<SafetensorsWriteTensor>& tensors,
                                       const std::map<std::string, std::string>& metadata) {
  std::string header = safetensors_header_json(tensors, metadata);
  while ((8 + header.size()) % 8 != 0) header.push_back(' ');
  std::vector<uint8_t> out;
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  for (const SafetensorsWriteTensor& t : tensors) out.insert(out.end(), t.bytes.begin(), t.bytes.end());
  return out;
}

void write_safetensors(const std::filesystem::path& path, const std::vector<SafetensorsWriteTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // Streamed tensor by tensor: a GPT-2-sized file is never held twice in memory.
  std::string header = safetensors_header_json(tensors, metadata);
  while ((8 + header.size()) % 8 != 0) header.push_back(' ');
  char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * i));
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error("cannot write '" + path.string() + "'");
  f.write(len, 8);
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const SafetensorsWriteTensor& t : tensors)
    f.write(reinterpret_cast<const char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
  if (!f) throw Error("writing '" + path.string() + "' failed");
}

}  // namespace es
