// PageBuffer's pages (page_buffer.h).
#include "page_buffer.h"

#include <limits>
#include <sys/mman.h>

namespace es::detail {

void* map_pages(std::size_t bytes, std::size_t& mapped) {
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  if (bytes > std::numeric_limits<std::size_t>::max() - kHuge) throw std::bad_alloc();
  mapped = (bytes + kHuge - 1) / kHuge * kHuge;
  void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  ::madvise(p, mapped, MADV_HUGEPAGE);  // advisory: ignored where THP is off
#endif
  return p;
}

void unmap_pages(void* p, std::size_t mapped) { ::munmap(p, mapped); }

}  // namespace es::detail
