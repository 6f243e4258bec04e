// A (rows, cols) row-major table in the element type it has on disk: F32, BF16 or F16, read
// in place (an mmap'd checkpoint tensor) by the analyses of whole tables (PCA of the leading
// components, neighbours, analogies), which widen a few rows at a time to float. A LLaMA-3-8B
// token table is 1.05 GB as BF16 and would be 2.1 GB as float: analyses that take a
// TableView never make that copy. Not owning: the data must outlive the view.
#pragma once

#include "types.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace es {

enum class ElementType { F32, BF16, F16 };

struct TableView {
  const void* data = nullptr;
  ElementType type = ElementType::F32;
  long long rows = 0;
  long long cols = 0;
  // The file the data is mapped from, when there is one (else -1), and the data's offset in it.
  // A whole-table pass reads rows with pread (fetch_rows) rather than through the mapping: on
  // the 2-core VM of docs/PERFORMANCE.md a first pass over a 2.5 GB table's mapped pages took
  // 0.5 s and pread of the same cached pages 0.12 s.
  int fd = -1;
  std::uint64_t file_offset = 0;

  static TableView of(const TableMap& table) {
    return {table.data(), ElementType::F32, static_cast<long long>(table.rows()),
            static_cast<long long>(table.cols())};
  }
  std::size_t element_size() const { return type == ElementType::F32 ? 4 : 2; }
  std::size_t row_bytes() const { return element_size() * static_cast<std::size_t>(cols); }
  std::size_t size_bytes() const { return row_bytes() * static_cast<std::size_t>(rows); }
  const std::uint8_t* row_ptr(long long r) const {
    return static_cast<const std::uint8_t*>(data) + static_cast<std::size_t>(r) * row_bytes();
  }
  // Rows [first, first + count) widened to float into out ((count, cols), row-major).
  void read_rows(long long first, long long count, float* out) const;
  // The stored bytes of rows [first, first + count): read from the file into buf (at least
  // count * row_bytes() bytes, suitably aligned for the type) when the view has a file, else
  // (or when the read falls short) the mapped bytes themselves. Returns where they are.
  const std::uint8_t* fetch_rows(long long first, long long count, std::uint8_t* buf) const;
  // The float rows, when the view is F32 (else null).
  const float* f32() const { return type == ElementType::F32 ? static_cast<const float*>(data) : nullptr; }
};

std::string element_type_name(ElementType type);

// body(first, count, rows) over the whole table in blocks of at most block_rows rows, rows
// ((count, cols) row-major float) being the table itself for F32 or a per-thread buffer of
// widened rows otherwise. The rows are split into `threads` contiguous ranges, one thread each
// (this one included); blocks within a range come in order. An exception thrown by body is
// rethrown here after every thread has stopped.
void for_each_row_block(const TableView& table, long long block_rows, int threads,
                        const std::function<void(long long first, long long count, const float* rows)>& body);  // "F32", "BF16", "F16"

namespace fast {
// count values of type `type` at src, widened to float (exact: every BF16 / F16 value is a
// float). SIMD (AVX-512 / AVX2 + F16C) where the CPU has it.
void widen(const void* src, ElementType type, std::size_t count, float* dst);
}  // namespace fast

}  // namespace es
