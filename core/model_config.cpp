// config.json reading and the family -> position scheme mapping (FACTS.md sections 2 and 7).
#include "model_config.h"

#include "json_excerpt.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <sstream>

namespace es {

namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(std::string_view file, const std::string& why) {
  throw Error("config file '" + std::string(file) + "': " + why);
}

// The first of `keys` present with a non-null value, or nullptr.
const Json* first_key(const Json& root, std::initializer_list<const char*> keys, std::string* which) {
  for (const char* k : keys) {
    const auto it = root.find(k);
    if (it != root.end() && !it->is_null()) {
      if (which) *which = k;
      return &*it;
    }
  }
  return nullptr;
}

long long read_count(const Json& root, std::initializer_list<const char*> keys, std::string_view file,
                     long long max_value) {
  std::string key;
  const Json* v = first_key(root, keys, &key);
  if (!v) return 0;
  // Integral floats (768.0) are tolerated; configs written by hand sometimes have them.
  if (v->is_number_integer() || v->is_number_unsigned()) {
    if (v->is_number_unsigned() ? v->get<uint64_t>() > static_cast<uint64_t>(max_value)
                                : (v->get<int64_t>() < 0 || v->get<int64_t>() > max_value))
      fail(file, "\"" + key + "\" = " + json_excerpt(*v) + " is out of range (0.." + std::to_string(max_value) + ")");
    return v->get<long long>();
  }
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (d >= 0 && d <= static_cast<double>(max_value) && d == std::floor(d)) return static_cast<long long>(d);
  }
  fail(file, "\"" + key + "\" = " + json_excerpt(*v) + " is not a non-negative integer");
}

std::optional<double> read_number(const Json& root, std::initializer_list<const char*> keys, std::string_view file) {
  std::string key;
  const Json* v = first_key(root, keys, &key);
  if (!v) return std::nullopt;
  if (!v->is_number() || !std::isfinite(v->get<double>())) fail(file, "\"" + key + "\" = " + json_excerpt(*v) + " is not a number");
  return v->get<double>();
}

std::optional<bool> read_bool(const Json& root, const char* key, std::string_view file) {
  const auto it = root.find(key);
  if (it == root.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) fail(file, std::string("\"") + key + "\" = " + json_excerpt(*it) + " is not true or false");
  return it->get<bool>();
}

bool is_rope_family(std::string_view f) {
  return f == "llama" || f == "mistral" || f == "qwen2" || f == "gpt_neox" || f == "falcon";
}

}  // namespace

std::string normalise_family(std::string_view t) {
  if (t == "gpt2" || t == "bert" || t == "llama" || t == "mistral" || t == "qwen2" || t == "gpt_neox" ||
      t == "bloom" || t == "t5" || t == "falcon")
    return std::string(t);
  if (t == "mt5") return "t5";
  if (t == "RefinedWeb" || t == "RefinedWebModel") return "falcon";  // early Falcon configs
  return "";
}

std::string guess_family_from_tensor_names(const std::vector<std::string>& names) {
  auto has = [&](std::string_view n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  if (has("wte.weight") || has("transformer.wte.weight")) return "gpt2";
  if (has("bert.embeddings.word_embeddings.weight") || has("embeddings.word_embeddings.weight")) return "bert";
  if (has("gpt_neox.embed_in.weight") || has("embed_in.weight")) return "gpt_neox";
  if (has("model.embed_tokens.weight") || has("embed_tokens.weight")) return "llama";
  if (has("word_embeddings.weight") || has("word_embeddings_layernorm.weight") ||
      has("transformer.word_embeddings_layernorm.weight"))
    return "bloom";
  if (has("transformer.word_embeddings.weight")) return "falcon";
  if (has("shared.weight") || has("encoder.embed_tokens.weight")) return "t5";
  return "";
}

ModelConfig parse_model_config(std::string_view text, std::string_view file) {
  Json root;
  try {
    root = Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    fail(file, "not valid JSON (" + json_parse_error(e) + ")");
  }
  if (!root.is_object()) fail(file, std::string("the JSON is a ") + root.type_name() + ", not an object");

  ModelConfig c;
  c.present = true;
  if (const Json* t = first_key(root, {"model_type"}, nullptr)) {
    if (!t->is_string()) fail(file, "\"model_type\" is not a string");
    c.model_type = t->get<std::string>();
  }
  c.family = normalise_family(c.model_type);

  constexpr long long kBig = 1LL << 40;  // sizes beyond this are corrupt, not models
  constexpr long long kSmall = 1LL << 20;
  c.hidden = read_count(root, {"n_embd", "n_embed", "hidden_size", "d_model"}, file, kBig);
  c.vocab = read_count(root, {"vocab_size"}, file, kBig);
  c.max_positions = read_count(root, {"n_positions", "max_position_embeddings"}, file, kBig);
  c.heads = static_cast<int>(read_count(root, {"n_head", "num_attention_heads", "num_heads", "n_heads"}, file, kSmall));
  c.layers = static_cast<int>(read_count(root, {"n_layer", "num_hidden_layers", "num_layers"}, file, kSmall));
  c.head_dim = static_cast<int>(read_count(root, {"head_dim"}, file, kSmall));
  c.type_vocab_size = read_count(root, {"type_vocab_size"}, file, kBig);

  c.rope_theta = read_number(root, {"rope_theta", "rotary_emb_base"}, file);
  if (c.rope_theta && !(*c.rope_theta > 0)) fail(file, "the RoPE base (rope_theta) must be positive");
  c.rotary_fraction = read_number(root, {"rotary_pct", "partial_rotary_factor"}, file);
  if (c.rotary_fraction && !(*c.rotary_fraction > 0 && *c.rotary_fraction <= 1))
    fail(file, "the rotary fraction (rotary_pct / partial_rotary_factor) must be in (0, 1]");
  c.alibi = read_bool(root, "alibi", file).value_or(false);

  if (first_key(root, {"relative_attention_num_buckets"}, nullptr)) {
    c.t5_buckets = static_cast<int>(read_count(root, {"relative_attention_num_buckets"}, file, kSmall));
    if (c.t5_buckets < 2) fail(file, "\"relative_attention_num_buckets\" must be at least 2");
  }
  if (first_key(root, {"relative_attention_max_distance"}, nullptr)) {
    c.t5_max_distance = static_cast<int>(read_count(root, {"relative_attention_max_distance"}, file, kSmall));
    if (c.t5_max_distance < 1) fail(file, "\"relative_attention_max_distance\" must be at least 1");
  }
  c.layer_norm_eps = read_number(root, {"layer_norm_epsilon", "layer_norm_eps", "rms_norm_eps"}, file);
  c.tie_word_embeddings = read_bool(root, "tie_word_embeddings", file);
  return c;
}

ModelConfig load_model_config(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot read config file '" + path.string() + "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  return parse_model_config(ss.str(), path.string());
}

SchemeParams scheme_for_config(const ModelConfig& c, long long dim) {
  SchemeParams p;
  if (c.heads > 0) p.heads = c.heads;
  const std::string& f = c.family;
  if (f == "gpt2" || f == "bert") {
    p.kind = SchemeKind::Learned;
  } else if (f == "bloom" || (f == "falcon" && c.alibi)) {
    p.kind = SchemeKind::Alibi;
  } else if (is_rope_family(f)) {
    p.kind = SchemeKind::Rope;
    p.base = c.rope_theta.value_or(10000.0);
    // GPT-NeoX's class rotates a quarter of each head by default (Pythia sets 0.25 anyway).
    p.rotary_fraction = c.rotary_fraction.value_or(f == "gpt_neox" ? 0.25 : 1.0);
    // The transformers implementations of all these families use rotate_half.
    p.pairs = RopePairs::HalfSplit;
    if (c.head_dim > 0)
      p.head_dim = c.head_dim;
    else if (c.heads > 0 && dim > 0 && dim % c.heads == 0)
      p.head_dim = static_cast<int>(dim / c.heads);
    else
      p.head_dim = 0;  // unknown head count: the whole width
  } else if (f == "t5") {
    p.kind = SchemeKind::T5;
    p.buckets = c.t5_buckets;
    p.max_distance = c.t5_max_distance;
    p.causal = false;  // the encoder's buckets (the decoder's are causal)
  } else {
    p.kind = SchemeKind::None;
  }
  return p;
}

bool family_ties_by_default(std::string_view f) {
  return !(f == "llama" || f == "mistral" || f == "qwen2" || f == "gpt_neox");
}

std::string family_position_summary(std::string_view f, const SchemeParams& s) {
  switch (s.kind) {
    case SchemeKind::Learned:
      return f == "bert" ? "learned absolute positions added to the token rows at the input, plus a token-type row, "
                           "then LayerNorm"
                         : "learned absolute positions added to the token rows at the input";
    case SchemeKind::Rope:
      return "no positions added at the input: RoPE rotates q and k inside every attention layer";
    case SchemeKind::Alibi:
      return "no positions added at the input: ALiBi adds -m_h * (i - j) to the attention logits";
    case SchemeKind::T5:
      return "no positions added at the input: a learned bias per relative-position bucket is added to "
             "the attention logits";
    case SchemeKind::Sinusoidal:
      return "fixed sinusoidal positions added to the token rows at the input";
    case SchemeKind::None:
      break;
  }
  return "unknown: EmbedScope does not know where this model adds position";
}

}  // namespace es
