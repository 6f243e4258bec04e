// The message of the es::Error a call throws ("" when it throws none), for the test files.
#pragma once

#include "types.h"

#include <string>

namespace es::testing {

inline std::string error_of(auto&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace es::testing
