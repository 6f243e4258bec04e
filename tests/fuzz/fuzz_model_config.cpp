// Fuzz target: config.json reading (parse_model_config) and the family -> scheme mapping.
#include "fuzz_check.h"
#include "model_config.h"

#include <algorithm>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  es::ModelConfig c;
  try {
    c = es::parse_model_config(text, "config.json");
  } catch (const es::Error& e) {
    ES_FUZZ_CHECK(e.what()[0] != '\0', "an error without a message");
    return 0;
  }
  ES_FUZZ_CHECK(c.present, "a parsed config is not marked present");
  ES_FUZZ_CHECK(c.hidden >= 0 && c.vocab >= 0 && c.max_positions >= 0, "negative size accepted");
  ES_FUZZ_CHECK(c.heads >= 0 && c.layers >= 0 && c.head_dim >= 0, "negative count accepted");
  ES_FUZZ_CHECK(c.t5_buckets >= 2 && c.t5_max_distance >= 1, "T5 settings out of range");
  if (c.rope_theta) ES_FUZZ_CHECK(*c.rope_theta > 0, "non-positive RoPE base accepted");
  if (c.rotary_fraction)
    ES_FUZZ_CHECK(*c.rotary_fraction > 0 && *c.rotary_fraction <= 1, "rotary fraction outside (0, 1]");
  // The width normally comes from the token table; keep it small so the scheme is cheap.
  const long long dim = std::clamp<long long>(c.hidden, 0, 256);
  const es::SchemeParams p = es::scheme_for_config(c, dim);
  (void)es::family_position_summary(c.family, p);
  (void)es::config_caveats(c);
  ES_FUZZ_CHECK(es::normalise_family(c.model_type) == c.family, "family differs from normalise_family");
  if (p.kind != "learned") {
    try {
      auto scheme = es::make_position_scheme(p);
      (void)scheme->describe();
      const long long d = dim > 0 ? dim : 64;
      const es::MatrixRM s = scheme->interaction(5, d);  // (5, 5)
      ES_FUZZ_CHECK(s.rows() == 5 && s.cols() == 5, "interaction matrix of the wrong shape");
    } catch (const es::Error& e) {
      ES_FUZZ_CHECK(e.what()[0] != '\0', "an error without a message");
    }
  }
  return 0;
}
