// A check for fuzz targets: prints what was violated and aborts, so libFuzzer saves the input.
#pragma once

#include <cstdio>
#include <cstdlib>

#define ES_FUZZ_CHECK(cond, what)                                                   \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "fuzz check failed: %s (%s:%d): %s\n", #cond, __FILE__,  \
                   __LINE__, what);                                                 \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
