#include "bpe_merge.h"

#include <array>
#include <algorithm>
#include <functional>

namespace es::bpe {

namespace {

bool is_self_printing(unsigned b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct ByteTable {
  std::array<char32_t, 256> to_unicode{};
  std::array<std::int16_t, 324> to_byte{};  // code points 0..323 cover the whole table
  ByteTable() {
    to_byte.fill(-1);
    unsigned next = 256;
    for (unsigned b = 0; b < 256; ++b) {
      const char32_t c = is_self_printing(b) ? char32_t(b) : char32_t(next++);
      to_unicode[b] = c;
      to_byte[c] = std::int16_t(b);
    }
  }
};

const ByteTable& table() {
  static const ByteTable t;
  return t;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += char(c);
  } else if (c < 0x800) {
    out += char(0xC0 | (c >> 6));
    out += char(0x80 | (c & 0x3F));
  } else {
    out += char(0xE0 | (c >> 12));
    out += char(0x80 | ((c >> 6) & 0x3F));
    out += char(0x80 | (c & 0x3F));
  }
}

}  // namespace

char32_t byte_to_unicode(unsigned char b) { return table().to_unicode[b]; }

int unicode_to_byte(char32_t c) { return c < 324 ? table().to_byte[c] : -1; }

bool token_string_to_bytes(std::string_view token, std::string& bytes) {
  bytes.clear();
  // Only code points below U+0144 occur, so one- and two-byte UTF-8 forms are enough.
  for (std::size_t i = 0; i < token.size();) {
    const unsigned char c0 = static_cast<unsigned char>(token[i]);
    char32_t cp;
    if (c0 < 0x80) {
      cp = c0;
      i += 1;
    } else if ((c0 & 0xE0) == 0xC0 && i + 1 < token.size() &&
               (static_cast<unsigned char>(token[i + 1]) & 0xC0) == 0x80) {
      cp = (char32_t(c0 & 0x1F) << 6) | (static_cast<unsigned char>(token[i + 1]) & 0x3F);
      if (cp < 0x80) return false;  // overlong
      i += 2;
    } else {
      return false;
    }
    const int b = unicode_to_byte(cp);
    if (b < 0) return false;
    bytes += char(b);
  }
  return true;
}

std::string bytes_to_token_string(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) append_utf8(out, byte_to_unicode(b));
  return out;
}

void PairRanks::reserve(std::size_t n) {
  std::size_t cap = 16;
  int bits = 4;
  while (cap < n * 2) {
    cap <<= 1;
    ++bits;
  }
  if (cap <= keys_.size()) return;
  std::vector<std::uint64_t> old_keys = std::move(keys_);
  std::vector<Entry> old_entries = std::move(entries_);
  keys_.assign(cap, kEmpty);
  entries_.assign(cap, Entry{kNoRank, -1});
  mask_ = cap - 1;
  shift_ = 64 - bits;
  count_ = 0;
  for (std::size_t i = 0; i < old_keys.size(); ++i) {
    if (old_keys[i] == kEmpty) continue;
    std::size_t s = slot(old_keys[i]);
    while (keys_[s] != kEmpty) s = (s + 1) & mask_;
    keys_[s] = old_keys[i];
    entries_[s] = old_entries[i];
    ++count_;
  }
}

void PairRanks::grow() { reserve(keys_.empty() ? 8 : keys_.size()); }

bool PairRanks::insert(int left, int right, std::uint32_t rank, int merged) {
  if ((count_ + 1) * 2 > keys_.size()) grow();
  const std::uint64_t key = pack(left, right);
  std::size_t s = slot(key);
  while (keys_[s] != kEmpty) {
    if (keys_[s] == key) return false;
    s = (s + 1) & mask_;
  }
  keys_[s] = key;
  entries_[s] = Entry{rank, merged};
  ++count_;
  return true;
}

void merge_naive(const PairRanks& ranks, std::vector<int>& ids) {
  while (ids.size() > 1) {
    std::uint32_t best = PairRanks::kNoRank;
    int first = -1, second = -1, merged = -1;
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
      const PairRanks::Entry e = ranks.find(ids[i], ids[i + 1]);
      if (e.rank < best) {
        best = e.rank;
        first = ids[i];
        second = ids[i + 1];
        merged = e.merged;
      }
    }
    if (best == PairRanks::kNoRank) break;
    std::size_t w = 0;  // in place: the write position never passes the read position
    for (std::size_t i = 0; i < ids.size();) {
      if (i + 1 < ids.size() && ids[i] == first && ids[i + 1] == second) {
        ids[w++] = merged;
        i += 2;
      } else {
        ids[w++] = ids[i];
        i += 1;
      }
    }
    ids.resize(w);
  }
}

void merge_heap(const PairRanks& ranks, std::vector<int>& ids) {
  const std::size_t n = ids.size();
  if (n < 2) return;
  constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  std::vector<std::uint32_t> prev(n), next(n);
  for (std::size_t i = 0; i < n; ++i) {
    prev[i] = i == 0 ? kNone : std::uint32_t(i - 1);
    next[i] = i + 1 < n ? std::uint32_t(i + 1) : kNone;
  }
  // A candidate is (rank << 32 | position of its left node): the smallest is the leftmost
  // pair of lowest rank. A popped candidate is stale when its node is gone or the pair now
  // at that position has another rank (ranks are unique per pair, so equal rank = same pair).
  std::vector<std::uint64_t> heap;
  heap.reserve(n);
  const auto rank_at = [&](std::uint32_t pos) -> std::uint32_t {
    if (pos == kNone || next[pos] == kNone) return PairRanks::kNoRank;
    return ranks.find(ids[pos], ids[next[pos]]).rank;
  };
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const std::uint32_t r = rank_at(std::uint32_t(i));
    if (r != PairRanks::kNoRank) heap.push_back((std::uint64_t(r) << 32) | i);
  }
  const auto later = std::greater<std::uint64_t>();
  std::make_heap(heap.begin(), heap.end(), later);
  const auto push = [&](std::uint32_t pos) {
    const std::uint32_t r = rank_at(pos);
    if (r == PairRanks::kNoRank) return;
    heap.push_back((std::uint64_t(r) << 32) | pos);
    std::push_heap(heap.begin(), heap.end(), later);
  };
  std::vector<char> alive(n, 1);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const std::uint64_t top = heap.back();
    heap.pop_back();
    const auto pos = std::uint32_t(top & 0xFFFFFFFFu);
    const auto rank = std::uint32_t(top >> 32);
    if (!alive[pos] || next[pos] == kNone) continue;
    const std::uint32_t r = next[pos];
    const PairRanks::Entry e = ranks.find(ids[pos], ids[r]);
    if (e.rank != rank) continue;
    ids[pos] = e.merged;
    alive[r] = 0;
    next[pos] = next[r];
    if (next[r] != kNone) prev[next[r]] = pos;
    push(prev[pos]);
    push(pos);
  }
  std::size_t w = 0;
  for (std::uint32_t i = 0; i != kNone; i = next[i]) ids[w++] = ids[i];
  ids.resize(w);
}

}  // namespace es::bpe
