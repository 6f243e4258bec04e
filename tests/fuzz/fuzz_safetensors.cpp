// Fuzz target: the safetensors header and tensor-table parser (parse_safetensors_header) on
// arbitrary file bytes. Accepted headers must satisfy every promise of safetensors.h.
#include "fuzz_check.h"
#include "safetensors.h"

#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  es::SafetensorsHeader h;
  try {
    h = es::parse_safetensors_header(bytes, "fuzz.safetensors");
  } catch (const es::Error& e) {
    ES_FUZZ_CHECK(e.what()[0] != '\0', "an error without a message");
    return 0;
  }
  ES_FUZZ_CHECK(size >= 8, "accepted a file shorter than its header length");
  ES_FUZZ_CHECK(h.header_length <= es::kSafetensorsMaxHeader, "accepted a header over the limit");
  ES_FUZZ_CHECK(h.data_start == 8 + h.header_length, "data_start is not 8 + N");
  ES_FUZZ_CHECK(h.data_start <= size && h.data_size == size - h.data_start, "data section outside the file");
  uint64_t last_end = 0;
  for (const es::SafetensorsTensor& t : h.tensors) {
    ES_FUZZ_CHECK(t.begin <= t.end && t.end <= h.data_size, "tensor bytes outside the data section");
    // Independent element count in 128 bits: it must fit 64 bits and match the byte range.
    unsigned __int128 elements = 1;
    bool zero = false;
    for (int64_t dim : t.shape) {
      ES_FUZZ_CHECK(dim >= 0, "negative dimension accepted");
      if (dim == 0) zero = true;
      if (!zero && elements <= (static_cast<unsigned __int128>(1) << 64)) elements *= static_cast<uint64_t>(dim);
    }
    if (zero) elements = 0;
    const unsigned __int128 need = elements * es::dtype_size(t.dtype);
    ES_FUZZ_CHECK(need == t.end - t.begin, "byte range does not match shape x dtype size");
    ES_FUZZ_CHECK(t.elements() == static_cast<uint64_t>(elements), "elements() disagrees with the shape");
    if (t.begin != t.end) {
      ES_FUZZ_CHECK(t.begin >= last_end, "overlapping tensors accepted");
      last_end = t.end;
    }
    ES_FUZZ_CHECK(h.find(t.name) != nullptr, "find() misses a tensor");
    // Float conversion of the first values, as the loader would do.
    if (t.dtype == es::SafetensorsDtype::F16 || t.dtype == es::SafetensorsDtype::BF16) {
      const uint8_t* p = data + h.data_start + t.begin;
      for (uint64_t i = 0; i + 1 < t.end - t.begin && i < 64; i += 2) {
        const uint16_t bits = static_cast<uint16_t>(p[i] | (p[i + 1] << 8));
        const float f = t.dtype == es::SafetensorsDtype::F16 ? es::f16_bits_to_float(bits)
                                                              : es::bf16_bits_to_float(bits);
        if (f == f && t.dtype == es::SafetensorsDtype::F16)
          ES_FUZZ_CHECK(es::float_to_f16_bits(f) == bits, "F16 round trip changed a value");
        if (f == f && t.dtype == es::SafetensorsDtype::BF16)
          ES_FUZZ_CHECK(es::float_to_bf16_bits(f) == bits, "BF16 round trip changed a value");
      }
    }
  }
  return 0;
}
