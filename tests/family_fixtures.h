// The family fixtures (tests/data/families/make_family_fixtures.py): tiny checkpoints whose
// weights are formulas, written from the JSON's tensor list, for every family EmbedScope reads.
// Shared by test_families.cpp (the families against PyTorch) and test_lesson.cpp (the lesson
// under each family).
#pragma once

#include "checkpoint.h"
#include "test_checkpoint_helpers.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <memory>

namespace es::testing {

using Json = nlohmann::json;

inline const Json& fixtures() {
  static const Json fx = [] {
    std::ifstream f(std::string(ES_TEST_DATA_DIR) + "/families/family_fixtures.json");
    REQUIRE(f.good());
    return Json::parse(f);
  }();
  return fx;
}

inline const Json& fixture(const std::string& name) {
  for (const Json& c : fixtures()["cases"])
    if (c["name"] == name) return c;
  FAIL("no fixture " << name);
  static const Json none;
  return none;
}

// The tensors of a case, by the formulas the fixture script uses.
inline std::vector<SafetensorsWriteTensor> tensors_of(const Json& c) {
  std::vector<SafetensorsWriteTensor> out;
  for (const Json& t : c["tensors"]) {
    std::vector<int64_t> shape = t["shape"].get<std::vector<int64_t>>();
    long long count = 1;
    for (int64_t s : shape) count *= s;
    const int seed = t["seed"].get<int>();
    const std::string kind = t["kind"].get<std::string>();
    std::vector<float> v(static_cast<std::size_t>(count));
    for (long long i = 0; i < count; ++i) {
      const float x = static_cast<float>(0.25 * std::sin(0.61 * double(i) + seed));
      v[static_cast<std::size_t>(i)] = kind == "norm_w" ? static_cast<float>(1 + 0.1 * double(x))
                                       : kind == "norm_b" ? static_cast<float>(0.1 * double(x))
                                                          : x;
    }
    out.push_back(make_write_tensor(t["name"].get<std::string>(), SafetensorsDtype::F32, shape, v));
  }
  return out;
}

inline std::shared_ptr<const ModelSource> open_case(const Json& c, TempDir& dir, bool with_config = true) {
  write_safetensors(dir / "model.safetensors", tensors_of(c));
  if (with_config) write_text(dir / "config.json", c["config"].dump());
  return open_checkpoint(dir.path);
}

}  // namespace es::testing
