// Memory for large tables made at run time (a converted table, a search index): anonymous
// pages with transparent huge pages requested (madvise), so first touch costs one page fault
// per 2 MB instead of one per 4 kB, and nothing is zeroed that is about to be written. In our
// VM the 4 kB faults dominated converting GPT-2's BF16 token table (0.8 s of faults for
// 154 MB) and, with zeroing, building the index of a 128,256 x 4,096 table.
// Move-only; zero-size buffers allocate nothing; the contents start as zero bytes.
#pragma once

#include <cstddef>
#include <new>
#include <utility>

namespace es {

namespace detail {
void* map_pages(std::size_t bytes, std::size_t& mapped);  // throws std::bad_alloc
void unmap_pages(void* p, std::size_t mapped);
}  // namespace detail

template <class T>
class PageBuffer {
 public:
  PageBuffer() = default;
  explicit PageBuffer(std::size_t count) : count_(count) {
    if (count == 0) return;
    if (count > static_cast<std::size_t>(-1) / 2 / sizeof(T)) throw std::bad_alloc();
    data_ = static_cast<T*>(detail::map_pages(count * sizeof(T), mapped_));
  }
  ~PageBuffer() {
    if (data_) detail::unmap_pages(data_, mapped_);
  }
  PageBuffer(PageBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), count_(std::exchange(o.count_, 0)), mapped_(std::exchange(o.mapped_, 0)) {}
  PageBuffer& operator=(PageBuffer&& o) noexcept {
    if (this != &o) {
      if (data_) detail::unmap_pages(data_, mapped_);
      data_ = std::exchange(o.data_, nullptr);
      count_ = std::exchange(o.count_, 0);
      mapped_ = std::exchange(o.mapped_, 0);
    }
    return *this;
  }
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;
  T* data() const { return data_; }
  std::size_t size() const { return count_; }

 private:
  T* data_ = nullptr;
  std::size_t count_ = 0;
  std::size_t mapped_ = 0;
};

using FloatBuffer = PageBuffer<float>;

}  // namespace es
