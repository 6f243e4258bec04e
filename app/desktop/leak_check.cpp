#include "leak_check.h"

#if defined(__SANITIZE_ADDRESS__)
#define ES_PIN_LIBRARIES 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ES_PIN_LIBRARIES 1
#endif
#endif

#ifdef ES_PIN_LIBRARIES
#include <dlfcn.h>
#include <link.h>

#include <string>
#include <vector>
#endif

namespace es::ui {

void pin_loaded_libraries_for_leak_check() {
#ifdef ES_PIN_LIBRARIES
  std::vector<std::string> names;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        if (info->dlpi_name && info->dlpi_name[0] != '\0')
          static_cast<std::vector<std::string>*>(out)->push_back(info->dlpi_name);
        return 0;
      },
      &names);
  // RTLD_NOLOAD: only libraries already loaded; RTLD_NODELETE: glibc then never unmaps them.
  // The extra reference is deliberately never closed.
  for (const std::string& n : names) dlopen(n.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
#endif
}

}  // namespace es::ui
