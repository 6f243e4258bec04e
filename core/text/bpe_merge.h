// Internals of the byte-level BPE, exposed so tests can check them on their own:
// GPT-2's byte <-> unicode table, the merge-rank table, and the two merge procedures.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace es::bpe {

// GPT-2 writes every byte as one printable character so a token's bytes fit in a JSON string:
// bytes '!'..'~', 0xA1..0xAC and 0xAE..0xFF stand for themselves (U+0021.., U+00A1.., ...);
// the other 68 bytes become U+0100, U+0101, ... in byte order (so ' ' is U+0120 "Ġ").
char32_t byte_to_unicode(unsigned char b);
// The byte a table character stands for, or -1 when the character is not in the table.
int unicode_to_byte(char32_t c);
// A token string from encoder.json / vocab.bpe back to its bytes; false when it holds
// invalid UTF-8 or a character outside the table.
bool token_string_to_bytes(std::string_view token, std::string& bytes);
// The reverse: bytes to GPT-2's token string (UTF-8).
std::string bytes_to_token_string(std::string_view bytes);

// (left id, right id) -> (rank, merged id), open addressing: lookups sit in the inner loop of
// every merge, so no node allocation and one multiply-shift hash.
class PairRanks {
 public:
  struct Entry {
    std::uint32_t rank;
    std::int32_t merged;
  };
  static constexpr std::uint32_t kNoRank = 0xFFFFFFFFu;

  void reserve(std::size_t n);
  // Keeps the first (lowest) rank when a pair repeats; returns false for a repeat.
  bool insert(int left, int right, std::uint32_t rank, int merged);
  Entry find(int left, int right) const {
    if (keys_.empty()) return {kNoRank, -1};
    const std::uint64_t key = pack(left, right);
    for (std::size_t i = slot(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) return entries_[i];
      if (keys_[i] == kEmpty) return {kNoRank, -1};
    }
  }
  std::size_t size() const { return count_; }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  static std::uint64_t pack(int l, int r) {
    return (std::uint64_t(std::uint32_t(l)) << 32) | std::uint32_t(r);
  }
  std::size_t slot(std::uint64_t key) const {
    return std::size_t((key * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
  }
  void grow();

  std::vector<std::uint64_t> keys_;
  std::vector<Entry> entries_;
  std::size_t mask_ = 0;
  int shift_ = 64;
  std::size_t count_ = 0;
};

// GPT-2's own procedure (encoder.py): take the adjacent pair of lowest rank, merge every
// non-overlapping occurrence of it left to right, repeat. O(n^2) per piece: for short pieces.
void merge_naive(const PairRanks& ranks, std::vector<int>& ids);
// The same result in O(n log n) with a heap and a linked list, popping the leftmost pair of
// lowest rank. Equal to merge_naive whenever every merge ranks after the merges that make its
// parts (true of every trained BPE, checked for GPT-2 in the tests); used for long pieces
// (a run of 100,000 digits is one pre-token).
void merge_heap(const PairRanks& ranks, std::vector<int>& ids);

}  // namespace es::bpe
