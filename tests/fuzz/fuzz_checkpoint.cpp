// Fuzz target: a whole checkpoint opened from arbitrary safetensors bytes (open_checkpoint:
// family detection, table shape checks, F16/BF16/F64 conversion, LayerNorm vectors), then every
// table the views read. The bytes are written to one file in a private folder under /dev/shm
// (or $TMPDIR) that is reused for every input.
#include "checkpoint.h"
#include "fuzz_check.h"
#include "types.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

std::filesystem::path model_path() {
  static const std::filesystem::path path = [] {
    std::filesystem::path dir = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    dir /= "embedscope-fuzz-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    static const std::filesystem::path remove_at_exit = dir;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(remove_at_exit, ec);
    });
    return dir / "model.safetensors";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path path = model_path();
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    const std::unique_ptr<es::ModelSource> m = es::open_checkpoint(path);
    const long long v = m->vocab_size(), d = m->dim();
    ES_FUZZ_CHECK(v >= 1 && d >= 1, "a model with an empty token table opened");
    (void)m->label();
    (void)m->tensors();
    (void)m->default_scheme();
    const es::TableMap table = m->token_table();  // (V, d)
    ES_FUZZ_CHECK(table.rows() == v && table.cols() == d, "token table of the wrong shape");
    std::vector<int> ids = {0, static_cast<int>(v - 1)};
    es::MatrixRM rows;
    m->gather_token_rows(ids, rows);  // (2, d)
    ES_FUZZ_CHECK(rows.rows() == 2 && rows.cols() == d, "gathered rows of the wrong shape");
    for (Eigen::Index j = 0; j < d; ++j) {
      const float a = rows(1, j), b = table(v - 1, j);
      ES_FUZZ_CHECK((std::isnan(a) && std::isnan(b)) || a == b, "gathered row differs from the table");
    }
    if (const std::optional<es::TableMap> p = m->position_table())
      ES_FUZZ_CHECK(p->cols() == d, "position table of another width");
    if (const std::optional<es::LayerNormParams> ln = m->first_layer_norm())
      ES_FUZZ_CHECK(ln->gamma.size() == d && ln->beta.size() == d, "LayerNorm of another width");
  } catch (const es::Error& e) {
    ES_FUZZ_CHECK(e.what()[0] != '\0', "an error without a message");
  }
  return 0;
}
