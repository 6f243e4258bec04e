// safetensors reader: float conversions against known bit patterns, every header check of
// FACTS.md section 6 with its message, and "never a crash" on truncated and mutated files.
#include "safetensors.h"

#include <doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <unistd.h>

using namespace es;

namespace {

// A file: 8-byte little-endian N, the header text as given (no padding), then `data_len` bytes.
std::vector<uint8_t> raw_file(const std::string& header, std::size_t data_len, uint64_t n_override = 0) {
  const uint64_t n = n_override ? n_override : header.size();
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  for (std::size_t i = 0; i < data_len; ++i) out.push_back(static_cast<uint8_t>(i));
  return out;
}

// The error message parse_safetensors_header gives, or "" if it accepts the bytes.
std::string parse_error(const std::vector<uint8_t>& bytes) {
  try {
    parse_safetensors_header(bytes, "t.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::filesystem::path temp_file(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("es_st_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

}  // namespace

TEST_CASE("half-precision bit patterns decode to their IEEE 754 values") {
  CHECK(f16_bits_to_float(0x3c00) == 1.0f);
  CHECK(f16_bits_to_float(0xc000) == -2.0f);
  CHECK(f16_bits_to_float(0x7bff) == 65504.0f);                  // largest finite half
  CHECK(f16_bits_to_float(0x0400) == std::ldexp(1.0f, -14));     // smallest normal
  CHECK(f16_bits_to_float(0x0001) == std::ldexp(1.0f, -24));     // smallest subnormal
  CHECK(f16_bits_to_float(0x03ff) == std::ldexp(1023.0f, -24));  // largest subnormal
  CHECK(f16_bits_to_float(0x3555) == 0.333251953125f);  // 2^-2 * (1 + 341/1024)
  CHECK(f16_bits_to_float(0x7c00) == std::numeric_limits<float>::infinity());
  CHECK(f16_bits_to_float(0xfc00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(f16_bits_to_float(0x7e00)));
  CHECK(std::signbit(f16_bits_to_float(0x8000)));
  CHECK(f16_bits_to_float(0x8000) == 0.0f);
}

TEST_CASE("bfloat16 bit patterns decode to their values") {
  CHECK(bf16_bits_to_float(0x3f80) == 1.0f);
  CHECK(bf16_bits_to_float(0x4049) == 3.140625f);
  CHECK(bf16_bits_to_float(0xc2f7) == -123.5f);
  CHECK(bf16_bits_to_float(0x0001) == std::ldexp(1.0f, -133));
  CHECK(bf16_bits_to_float(0xff80) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(bf16_bits_to_float(0x7fc0)));
}

TEST_CASE("float to half and bfloat16 rounds to nearest even") {
  CHECK(float_to_f16_bits(1.0f) == 0x3c00);
  CHECK(float_to_f16_bits(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);      // tie -> even
  CHECK(float_to_f16_bits(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);  // tie -> even (up)
  CHECK(float_to_f16_bits(65519.0f) == 0x7bff);
  CHECK(float_to_f16_bits(65520.0f) == 0x7c00);  // rounds past the largest half: infinity
  CHECK(float_to_f16_bits(std::ldexp(1.0f, -25)) == 0x0000);      // tie between 0 and 2^-24
  CHECK(float_to_f16_bits(3 * std::ldexp(1.0f, -25)) == 0x0002);  // tie -> even
  CHECK(float_to_f16_bits(-2.0f) == 0xc000);
  CHECK(float_to_f16_bits(std::ldexp(1023.5f, -24)) == 0x0400);   // rounds up into the normals
  CHECK(float_to_bf16_bits(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);
  CHECK(float_to_bf16_bits(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3f82);
  CHECK(float_to_bf16_bits(-123.5f) == 0xc2f7);
  CHECK(std::isnan(bf16_bits_to_float(float_to_bf16_bits(std::nanf("")))));
  // Every half pattern survives the round trip (NaNs stay NaN).
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const float f = f16_bits_to_float(static_cast<uint16_t>(b));
    if (std::isnan(f))
      CHECK(std::isnan(f16_bits_to_float(float_to_f16_bits(f))));
    else if (float_to_f16_bits(f) != b)
      FAIL("half pattern " << b << " does not round-trip");
  }
}

TEST_CASE("a valid header parses: dtypes, shapes, offsets, metadata, padding") {
  const std::string h = R"({"__metadata__":{"format":"pt"},)"
                        R"("b":{"dtype":"F16","shape":[2,2],"data_offsets":[16,24]},)"
                        R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
                        R"("e":{"dtype":"BF16","shape":[0,4],"data_offsets":[24,24]}})"
                        "      ";
  const SafetensorsHeader hd = parse_safetensors_header(raw_file(h, 24), "t");
  REQUIRE(hd.tensors.size() == 3);
  CHECK(hd.metadata.at("format") == "pt");
  CHECK(hd.header_length == h.size());
  CHECK(hd.data_start == 8 + h.size());
  CHECK(hd.data_size == 24);
  const SafetensorsTensor* a = hd.find("a");
  REQUIRE(a);
  CHECK(a->dtype == SafetensorsDtype::F32);
  CHECK(a->shape == std::vector<int64_t>{2, 2});
  CHECK(a->begin == 0);
  CHECK(a->end == 16);
  CHECK(hd.find("b")->dtype == SafetensorsDtype::F16);
  CHECK(hd.find("e")->elements() == 0);
  CHECK(hd.find("missing") == nullptr);
}

TEST_CASE("every broken header gets an error naming the file, the tensor and the reason") {
  struct Case {
    const char* what;
    std::vector<uint8_t> bytes;
    const char* reason;
    const char* tensor;  // "" when the failure is not about one tensor
  };
  auto one = [](const std::string& entry, std::size_t data) {
    return raw_file("{\"w\":" + entry + "}", data);
  };
  std::string ones_2000 = "1";
  for (int i = 1; i < 2000; ++i) ones_2000 += ",1";
  const std::vector<Case> cases = {
      {"empty file", {}, "empty", ""},
      {"truncated length", {1, 0, 0}, "truncated", ""},
      {"header past the end", raw_file("{}", 0, 1000), "past the end", ""},
      {"header over 100,000,000 bytes", raw_file("{}", 0, 100'000'001), "100,000,000", ""},
      {"invalid JSON", raw_file("{\"w\": {", 0), "not valid JSON", ""},
      {"non-object JSON", raw_file("[1, 2, 3]", 0), "not an object", ""},
      {"metadata not strings", raw_file(R"({"__metadata__":{"k":1}})", 0), "__metadata__", ""},
      {"entry not an object", one("5", 0), "not an object", "w"},
      {"unknown dtype", one(R"({"dtype":"F17","shape":[1],"data_offsets":[0,4]})", 4), "unknown dtype", "w"},
      {"missing dtype", one(R"({"shape":[1],"data_offsets":[0,4]})", 4), "dtype", "w"},
      {"negative shape", one(R"({"dtype":"F32","shape":[-1,4],"data_offsets":[0,4]})", 4), "non-negative integer", "w"},
      {"non-integer shape", one(R"({"dtype":"F32","shape":[2.5],"data_offsets":[0,4]})", 4), "non-negative integer", "w"},
      {"shape not an array", one(R"({"dtype":"F32","shape":4,"data_offsets":[0,16]})", 16), "not an array", "w"},
      {"shape product overflow",
       one(R"({"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]})", 4), "overflow", "w"},
      {"byte count overflow", one(R"({"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]})", 8),
       "overflow", "w"},
      {"offsets outside the data", one(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})", 8),
       "outside the data section", "w"},
      {"offsets reversed", one(R"({"dtype":"F32","shape":[1],"data_offsets":[8,4]})", 8), "reversed", "w"},
      {"negative offset", one(R"({"dtype":"F32","shape":[1],"data_offsets":[-4,0]})", 8), "non-negative integers", "w"},
      {"one offset", one(R"({"dtype":"F32","shape":[1],"data_offsets":[4]})", 8), "two integers", "w"},
      {"size does not match shape x dtype", one(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})", 8),
       "do not match shape x dtype size", "w"},
      {"a name given twice",
       raw_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                8),
       "appears twice", "w"},
      {"nesting deeper than an entry", one(R"({"dtype":"F32","shape":[[1]],"data_offsets":[0,4]})", 4),
       "nests deeper", "w"},
      {"an object as a shape", one(R"({"dtype":"F32","shape":{"a":1},"data_offsets":[0,4]})", 4), "not an array", "w"},
      {"a shape of 2000 dimensions", one(R"({"dtype":"F32","shape":[)" + ones_2000 + R"(],"data_offsets":[0,4]})", 4),
       "more than 1024 values", "w"},
      {"an entry array", raw_file(R"({"w":[1,2]})", 0), "is an array, not an object", "w"},
      {"overlapping tensors",
       raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                12),
       "overlap", "w"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    const std::string msg = parse_error(c.bytes);
    CAPTURE(msg);
    REQUIRE_FALSE(msg.empty());
    CHECK(contains(msg, "'t.safetensors'"));
    CHECK(contains(msg, c.reason));
    if (*c.tensor) CHECK(contains(msg, std::string("tensor '") + c.tensor + "'"));
  }
}

TEST_CASE("deeply nested or huge hostile headers are refused quickly, without deep recursion") {
  // 200,000 nested arrays: a recursive parser or dump() would overflow the stack.
  const std::string deep = R"({"w":)" + std::string(200000, '[') + std::string(200000, ']') + "}";
  CHECK(contains(parse_error(raw_file(deep, 0)), "is an array, not an object"));
  const std::string deep2 = R"({"w":{"shape":)" + std::string(200000, '[') + std::string(200000, ']') + "}}";
  CHECK(contains(parse_error(raw_file(deep2, 0)), "nests deeper"));
  const std::string deep_root = std::string(200000, '[') + std::string(200000, ']');
  CHECK(contains(parse_error(raw_file(deep_root, 0)), "not an object"));
  // 500,000 empty tensors: each is checked and dropped as it is read.
  std::string many = "{";
  for (int i = 0; i < 500000; ++i) many += "\"t" + std::to_string(i) + R"(":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)";
  many += R"("last":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  const SafetensorsHeader h = parse_safetensors_header(raw_file(many, 4), "many");
  CHECK(h.tensors.size() == 500001);
}

TEST_CASE("a header length exactly at the limit is judged by the file size, not refused") {
  // N = 100,000,000 is allowed by the limit but runs past this tiny file's end.
  const std::string msg = parse_error(raw_file("{}", 0, 100'000'000));
  CHECK(contains(msg, "past the end"));
}

TEST_CASE("the writer's files parse back, padded to 8 bytes, with exact bytes") {
  const std::vector<float> v = {1.0f, -2.0f, 0.5f, 65504.0f, std::ldexp(1.0f, -24), 3.140625f};
  std::vector<SafetensorsWriteTensor> ts = {
      make_write_tensor("x32", SafetensorsDtype::F32, {2, 3}, v),
      make_write_tensor("x16", SafetensorsDtype::F16, {3, 2}, v),
      make_write_tensor("xbf", SafetensorsDtype::BF16, {6}, v),
  };
  const std::vector<uint8_t> bytes = safetensors_bytes(ts, {{"source", "test"}});
  const SafetensorsHeader h = parse_safetensors_header(bytes, "w");
  CHECK((8 + h.header_length) % 8 == 0);
  CHECK(h.metadata.at("source") == "test");
  CHECK(h.data_size == 24 + 12 + 12);
  // F16 bytes of 1.0, -2.0, 0.5 are 0x3c00, 0xc000, 0x3800 little-endian.
  const SafetensorsTensor* t16 = h.find("x16");
  REQUIRE(t16);
  const uint8_t* p = bytes.data() + h.data_start + t16->begin;
  CHECK(p[0] == 0x00);
  CHECK(p[1] == 0x3c);
  CHECK(p[2] == 0x00);
  CHECK(p[3] == 0xc0);
  CHECK(p[4] == 0x00);
  CHECK(p[5] == 0x38);
  // BF16 of 3.140625 is 0x4049.
  const SafetensorsTensor* tb = h.find("xbf");
  const uint8_t* q = bytes.data() + h.data_start + tb->begin + 10;
  CHECK(q[0] == 0x49);
  CHECK(q[1] == 0x40);
  CHECK_THROWS_AS(write_safetensors(temp_file("bad.safetensors"),
                                    {SafetensorsWriteTensor{"x", SafetensorsDtype::F32, {3}, {1, 2, 3}}}),
                  Error);
}

TEST_CASE("SafetensorsFile maps F32 in place and converts F16 / BF16 values exactly") {
  const std::filesystem::path path = temp_file("mixed.safetensors");
  // Raw bit patterns, written by hand so the check does not rely on the writer's converter.
  auto raw = [](std::string name, SafetensorsDtype dt, std::vector<int64_t> shape, std::vector<uint8_t> b) {
    return SafetensorsWriteTensor{std::move(name), dt, std::move(shape), std::move(b)};
  };
  // 1.0f = 0x3f800000, -10.0f = 0xc1200000. "g" sits at data offset 22: not 4-byte aligned.
  const std::vector<uint8_t> f32 = {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc1};
  write_safetensors(path, {
                              raw("f", SafetensorsDtype::F32, {1, 2}, f32),
                              raw("h", SafetensorsDtype::F16, {2, 2}, {0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35, 0x01, 0x00}),
                              raw("b", SafetensorsDtype::BF16, {1, 3}, {0x80, 0x3f, 0x49, 0x40, 0xf7, 0xc2}),
                              raw("g", SafetensorsDtype::F32, {2}, f32),
                              raw("i", SafetensorsDtype::I8, {2}, {1, 2}),
                          });
  const SafetensorsFile f(path);
  const MatrixRM h = f.read_matrix(*f.find("h"));
  CHECK(h(0, 0) == 1.0f);
  CHECK(h(0, 1) == -2.0f);
  CHECK(h(1, 0) == 0.333251953125f);
  CHECK(h(1, 1) == std::ldexp(1.0f, -24));
  const MatrixRM b = f.read_matrix(*f.find("b"));
  CHECK(b(0, 0) == 1.0f);
  CHECK(b(0, 1) == 3.140625f);
  CHECK(b(0, 2) == -123.5f);
  const float* in_place = f.f32_in_place(*f.find("f"));
  REQUIRE(in_place);  // the writer pads the header, so F32 data is aligned
  CHECK(in_place[0] == 1.0f);
  CHECK(in_place[1] == -10.0f);
  CHECK(f.f32_in_place(*f.find("h")) == nullptr);
  CHECK(f.f32_in_place(*f.find("g")) == nullptr);  // misaligned: converted instead
  const MatrixRM g = f.read_matrix(*f.find("g"));
  CHECK(g(0, 0) == 1.0f);
  CHECK(g(0, 1) == -10.0f);
  float two[2];
  f.read_floats(*f.find("h"), 2, two);  // elements 2..3 only
  CHECK(two[0] == 0.333251953125f);
  float three[3];
  CHECK_THROWS_WITH_AS(f.read_floats(*f.find("h"), 2, three), doctest::Contains("past"), Error);
  CHECK_THROWS_WITH_AS(f.read_matrix(*f.find("i")), doctest::Contains("cannot be read as float"), Error);
}

TEST_CASE("opening a missing, empty or non-regular file is an error, not a crash") {
  CHECK_THROWS_WITH_AS(SafetensorsFile(temp_file("does-not-exist.safetensors")), doctest::Contains("cannot open"), Error);
  const std::filesystem::path empty = temp_file("empty.safetensors");
  std::ofstream(empty).close();
  CHECK_THROWS_WITH_AS(SafetensorsFile{empty}, doctest::Contains("empty"), Error);
  CHECK_THROWS_WITH_AS(SafetensorsFile{empty.parent_path()}, doctest::Contains("not a regular file"), Error);
}

TEST_CASE("every prefix of a valid file and thousands of mutated files: parsed or refused, never a crash") {
  const std::vector<float> v = {1, 2, 3, 4, 5, 6};
  const std::vector<uint8_t> good =
      safetensors_bytes({make_write_tensor("wte.weight", SafetensorsDtype::F32, {3, 2}, v),
                         make_write_tensor("wpe.weight", SafetensorsDtype::F16, {2, 3}, v)});
  const std::size_t header_end = 8 + parse_safetensors_header(good, "g").header_length;
  for (std::size_t n = 0; n < good.size(); ++n) {
    const std::vector<uint8_t> prefix(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    // A prefix that cuts the header is always refused; one that cuts only data is refused
    // because the last tensor's offsets run past the shorter data section.
    CHECK_THROWS_AS(parse_safetensors_header(prefix, "p"), Error);
  }
  CHECK(header_end < good.size());
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int accepted = 0, refused = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    std::vector<uint8_t> m = good;
    const int flips = 1 + static_cast<int>(next() % 4);
    for (int k = 0; k < flips; ++k) {
      // Mostly inside the header, where the parser works.
      const std::size_t at = next() % 3 ? next() % header_end : next() % m.size();
      m[at] = static_cast<uint8_t>(next());
    }
    try {
      const SafetensorsHeader h = parse_safetensors_header(m, "m");
      // Whatever was accepted must be inside the file.
      for (const SafetensorsTensor& t : h.tensors) REQUIRE(h.data_start + t.end <= m.size());
      ++accepted;
    } catch (const Error&) {
      ++refused;
    }
  }
  CHECK(accepted + refused == 5000);
  CHECK(refused > 0);
}
