// The registry of position schemes: one line per scheme. A new scheme is one file in this
// folder defining `const SchemeInfo& <name>_scheme_info()`, plus its line below.
#include "scheme.h"

#include <algorithm>

#define ES_POSITION_SCHEMES(X) \
  X(none)                      \
  X(learned)                   \
  X(sinusoidal)                \
  X(rope)                      \
  X(alibi)                     \
  X(t5)                        \
  X(transformer_xl)            \
  X(deberta)                   \
  X(xpos)                      \
  X(kerple)                    \
  X(fire)

namespace es {

#define ES_DECLARE(name) const SchemeInfo& name##_scheme_info();
ES_POSITION_SCHEMES(ES_DECLARE)
#undef ES_DECLARE

const std::vector<const SchemeInfo*>& scheme_registry() {
#define ES_LIST(name) &name##_scheme_info(),
  static const std::vector<const SchemeInfo*> all = {ES_POSITION_SCHEMES(ES_LIST)};
#undef ES_LIST
  return all;
}

const SchemeInfo* find_scheme(std::string_view name) {
  if (name == "sin" || name == "sinusoid") name = "sinusoidal";
  if (name == "absolute") name = "learned";
  if (name == "transfo-xl" || name == "transformer_xl") name = "transformer-xl";
  for (const SchemeInfo* s : scheme_registry())
    if (name == s->name) return s;
  return nullptr;
}

std::string scheme_names(std::string_view separator) {
  std::string out;
  for (const SchemeInfo* s : scheme_registry()) out += (out.empty() ? "" : std::string(separator)) + s->name;
  return out;
}

SchemeParams scheme_defaults(const SchemeInfo& info) {
  SchemeParams p;
  p.kind = info.name;
  if (info.adopt) info.adopt(p);
  return p;
}

const SchemeInfo& scheme_info(std::string_view name) {
  if (const SchemeInfo* s = find_scheme(name)) return *s;
  throw Error("unknown scheme '" + std::string(name) + "' (the position schemes: " + scheme_names() + ")");
}

SchemeWeightCount scheme_weight_count(const SchemeParams& p, long long d, long long max_len) {
  SchemeWeightCount c;
  const SchemeInfo* info = find_scheme(p.kind);
  if (!info) return c;
  if (info->counted == WeightsCounted::PositionTable) c.position_table = max_len * d;
  if (info->counted == WeightsCounted::FirstBlockBias) {
    c.block_bias = make_position_scheme(p)->trained_weights(d);
    c.label = std::string(info->title) + " (" + info->weights + ", block 0)";
  }
  return c;
}

std::unique_ptr<PositionScheme> make_position_scheme(const SchemeParams& p, SchemeData data) {
  const SchemeInfo& info = scheme_info(p.kind);
  SchemeParams canonical = p;
  canonical.kind = info.name;
  for (const ParamSpec& spec : info.params) set_param(canonical, spec, get_param(canonical, spec.field));  // validates
  return info.make(canonical, std::move(data));
}

}  // namespace es
