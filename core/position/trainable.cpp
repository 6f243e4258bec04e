// The lab's side of the registry (see trainable.h): factories and config keys, all read from
// the scheme entries themselves.
#include "trainable.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace es {

template <typename S>
double TrainablePosition<S>::logit_scale(int dh) const {
  return 1.0 / std::sqrt(static_cast<double>(dh));
}
template class TrainablePosition<float>;
template class TrainablePosition<double>;

SchemeParams lab_scheme_defaults() {
  SchemeParams p;
  p.base = 10000.0;
  p.layout = SinusoidLayout::Interleaved;
  p.pairs = RopePairs::HalfSplit;
  p.rotary_fraction = 1.0;
  p.buckets = 32;
  p.max_distance = 128;
  p.causal = true;
  return p;
}

std::vector<std::string> trainable_scheme_names() {
  std::vector<std::string> out;
  for (const SchemeInfo* s : scheme_registry())
    if (s->train.f) out.emplace_back(s->name);
  return out;
}

namespace {

const SchemeInfo& trainable_info(const SchemeParams& p) {
  const SchemeInfo* info = find_scheme(p.kind);
  if (!info || !info->train.f) {
    std::string list;
    for (const auto& n : trainable_scheme_names()) list += (list.empty() ? "" : ", ") + n;
    throw Error("the trainer runs the schemes " + list + " (got '" + p.kind + "')");
  }
  return *info;
}

// The shape decides heads and head width; the rest is checked as the registry checks a user's.
SchemeParams lab_params(const SchemeParams& p, const SchemeInfo& info, const TrainShape& s) {
  SchemeParams q = p;
  q.kind = info.name;
  q.heads = s.heads;
  q.head = 1;
  q.head_dim = s.heads > 0 ? s.dim / s.heads : s.dim;
  for (const ParamSpec& spec : info.params) set_param(q, spec, get_param(q, spec.field));  // validates
  return q;
}

}  // namespace

std::unique_ptr<TrainablePosition<float>> make_trainable_f(const SchemeParams& p, const TrainShape& s) {
  const SchemeInfo& info = trainable_info(p);
  return info.train.f(lab_params(p, info, s), s);
}
std::unique_ptr<TrainablePosition<double>> make_trainable_d(const SchemeParams& p, const TrainShape& s) {
  const SchemeInfo& info = trainable_info(p);
  return info.train.d(lab_params(p, info, s), s);
}

void write_train_config(const SchemeParams& p, nlohmann::json& j) {
  const SchemeInfo& info = scheme_info(p.kind);
  nlohmann::json own = nlohmann::json::object();
  for (const ParamSpec& spec : info.params) {
    if (spec.field == ParamField::Head || spec.field == ParamField::Heads || spec.field == ParamField::HeadDim ||
        spec.field == ParamField::Causal)
      continue;  // the model's own shape, written as GPT-2's keys
    const double v = get_param(p, spec.field);
    own[spec.cli] = v;
    if (spec.config_key) j[spec.config_key] = spec.integer ? nlohmann::json(static_cast<long long>(v)) : nlohmann::json(v);
  }
  j["embedscope_position_params"] = own;
}

void read_train_config(const nlohmann::json& j, SchemeParams& p) {
  const SchemeInfo& info = scheme_info(p.kind);
  const nlohmann::json* own = j.contains("embedscope_position_params") && j["embedscope_position_params"].is_object()
                                  ? &j["embedscope_position_params"]
                                  : nullptr;
  for (const ParamSpec& spec : info.params) {
    const nlohmann::json* v = nullptr;
    if (own && own->contains(spec.cli)) v = &(*own)[spec.cli];
    else if (spec.config_key && j.contains(spec.config_key)) v = &j[spec.config_key];  // older lab checkpoints
    if (!v) continue;
    if (!v->is_number()) throw Error(std::string("config.json: \"") + spec.cli + "\" must be a number");
    set_param(p, spec, v->get<double>());
  }
}

}  // namespace es
