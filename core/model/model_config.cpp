// config.json reading and the family -> position scheme mapping (FACTS.md sections 2 and 7).
#include "model_config.h"

#include "file_text.h"
#include "json_excerpt.h"
#include "position/trainable.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>

namespace es {

namespace {

using Json = nlohmann::json;

constexpr long long kBig = 1LL << 40;  // sizes beyond this are corrupt, not models
constexpr long long kSmall = 1LL << 20;  // counts (heads, layers, buckets) beyond this too

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

// rope_scaling (FACTS.md section 8): every kind read; linear, dynamic, yarn, longrope / su and
// llama3 applied (rope_scaling.cpp), any other named.
void read_rope_scaling(const Json& root, const Json& rs, std::string_view file, ModelConfig& c) {
  if (!rs.is_object()) fail(file, "\"rope_scaling\" is not an object");
  std::string type;
  for (const char* k : {"rope_type", "type"})
    if (rs.contains(k) && rs[k].is_string()) {
      type = rs[k].get<std::string>();
      break;
    }
  if (type.empty()) fail(file, "\"rope_scaling\" has no \"rope_type\" (or \"type\") string");
  if (type == "default") return;
  RopeScaling& sc = c.rope_scaling;
  sc.type = type;
  sc.factor = read_number(rs, {"factor"}, file).value_or(1.0);
  sc.low_freq_factor = read_number(rs, {"low_freq_factor"}, file).value_or(1.0);
  sc.high_freq_factor = read_number(rs, {"high_freq_factor"}, file).value_or(4.0);
  sc.max_positions = static_cast<double>(c.max_positions);
  // The pretrained length: in rope_scaling, else (yarn, longrope) the model's own length;
  // Phi-3 keeps it at the top level and then its factor is max / original (as HF reads it).
  const std::optional<double> original = read_number(rs, {"original_max_position_embeddings"}, file);
  const std::optional<double> top_original = read_number(root, {"original_max_position_embeddings"}, file);
  const bool own_length = type == "yarn" || type == "longrope" || type == "su" || type == "dynamic";
  sc.original_max_positions = original ? *original : own_length && c.max_positions > 0 ? double(c.max_positions) : 8192.0;
  if ((type == "longrope" || type == "su") && top_original && *top_original > 0) {
    sc.original_max_positions = *top_original;
    if (c.max_positions > 0) sc.factor = double(c.max_positions) / *top_original;
  }
  sc.attention_factor = read_number(rs, {"attention_factor"}, file);
  sc.beta_fast = read_number(rs, {"beta_fast"}, file).value_or(32.0);
  sc.beta_slow = read_number(rs, {"beta_slow"}, file).value_or(1.0);
  sc.mscale = read_number(rs, {"mscale"}, file);
  sc.mscale_all_dim = read_number(rs, {"mscale_all_dim"}, file);
  sc.truncate = read_bool(rs, "truncate", file).value_or(true);
  for (const char* key : {"short_factor", "long_factor"}) {
    const Json* v = first_key(rs, {key}, nullptr);
    if (!v) continue;
    if (!v->is_array() || v->size() > 65536) fail(file, std::string("\"rope_scaling\" ") + key + " is not a list of numbers");
    std::vector<double>& out = std::string_view(key) == "short_factor" ? sc.short_factor : sc.long_factor;
    for (const Json& x : *v) {
      if (!x.is_number() || !std::isfinite(x.get<double>()) || !(x.get<double>() > 0))
        fail(file, std::string("\"rope_scaling\" ") + key + " holds " + json_excerpt(x) + ", not a positive number");
      out.push_back(x.get<double>());
    }
  }
  if (sc.applied() && !(sc.factor > 0)) fail(file, "\"rope_scaling\" factor must be positive");
  if (type == "llama3" && !(sc.high_freq_factor > sc.low_freq_factor && sc.low_freq_factor > 0 && sc.original_max_positions > 0))
    fail(file, "\"rope_scaling\" llama3 needs 0 < low_freq_factor < high_freq_factor and a positive "
               "original_max_position_embeddings");
  if (type == "yarn" && !(sc.beta_fast > 0 && sc.beta_slow > 0 && sc.original_max_positions > 0))
    fail(file, "\"rope_scaling\" yarn needs positive beta_fast, beta_slow and original_max_position_embeddings");
  if ((type == "longrope" || type == "su") && (sc.short_factor.empty() || sc.long_factor.size() != sc.short_factor.size()))
    fail(file, "\"rope_scaling\" " + type + " needs short_factor and long_factor lists of one length");
}

// The keys that refine a family's position scheme: rope_scaling, BERT's
// position_embedding_type, MPT's attn_config, RoBERTa's pad_token_id, DeBERTa's buckets.
void read_position_keys(const Json& root, std::string_view file, ModelConfig& c) {
  if (const Json* rs = first_key(root, {"rope_scaling"}, nullptr)) read_rope_scaling(root, *rs, file, c);
  if (const Json* v = first_key(root, {"embedscope_position_scheme"}, nullptr)) {
    if (!v->is_string()) fail(file, "\"embedscope_position_scheme\" is not a string");
    c.lab_scheme = v->get<std::string>();
    if (!find_scheme(c.lab_scheme)) fail(file, "\"embedscope_position_scheme\" names no known scheme ('" + c.lab_scheme + "')");
    SchemeParams p = lab_scheme_defaults();
    p.kind = scheme_info(c.lab_scheme).name;
    try {
      read_train_config(root, p);  // the scheme reads its own keys
    } catch (const Error& e) {
      fail(file, e.what());
    }
    c.lab_position = p;
    if (const std::optional<double> ts = read_number(root, {"embedscope_token_scale"}, file)) {
      if (!(*ts > 0)) fail(file, "\"embedscope_token_scale\" must be positive");
      c.lab_token_scale = *ts;
    }
  }
  if (const Json* v = first_key(root, {"position_embedding_type"}, nullptr)) {
    if (!v->is_string()) fail(file, "\"position_embedding_type\" is not a string");
    c.position_embedding_type = v->get<std::string>();
    if (c.position_embedding_type != "absolute" && c.position_embedding_type != "relative_key" &&
        c.position_embedding_type != "relative_key_query")
      fail(file, "\"position_embedding_type\" is '" + c.position_embedding_type +
                     "'; EmbedScope knows absolute, relative_key and relative_key_query");
  }
  if (const Json* ac = first_key(root, {"attn_config"}, nullptr); ac && ac->is_object())
    c.mpt_alibi = read_bool(*ac, "alibi", file);
  if (first_key(root, {"pad_token_id"}, nullptr)) c.pad_token_id = read_count(root, {"pad_token_id"}, file, kBig);
  if (first_key(root, {"position_buckets"}, nullptr))
    c.position_buckets = static_cast<int>(read_count(root, {"position_buckets"}, file, kSmall));
  if (const Json* v = first_key(root, {"max_relative_positions"}, nullptr)) {
    if (!v->is_number_integer()) fail(file, "\"max_relative_positions\" is not a whole number");
    c.max_relative_positions = v->get<long long>();
    if (c.max_relative_positions > kBig) fail(file, "\"max_relative_positions\" is out of range");
  }
  c.position_biased_input = read_bool(root, "position_biased_input", file);
  if (const Json* v = first_key(root, {"norm_rel_ebd"}, nullptr); v && v->is_string()) c.norm_rel_ebd = v->get<std::string>();
}

}  // namespace

std::string normalise_family(std::string_view t) {
  const FamilyInfo* f = find_family(t);
  return f ? f->family : "";
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
  // Gemma 3's multimodal checkpoints: the text model's settings sit in text_config.
  if (const Json* tc = first_key(root, {"text_config"}, nullptr); tc && tc->is_object() && find_family(c.family) &&
                                                                   find_family(c.family)->local_rope_layer0) {
    ModelConfig t = parse_model_config(tc->dump(), std::string(file) + " (text_config)");
    t.model_type = c.model_type;
    t.family = c.family;
    return t;
  }

  c.hidden = read_count(root, {"n_embd", "n_embed", "hidden_size", "d_model", "dim"}, file, kBig);
  c.vocab = read_count(root, {"vocab_size"}, file, kBig);
  c.max_positions = read_count(root, {"n_positions", "max_position_embeddings"}, file, kBig);
  c.heads = static_cast<int>(
      read_count(root, {"n_head", "num_attention_heads", "num_heads", "n_heads", "encoder_attention_heads"}, file, kSmall));
  c.kv_heads = static_cast<int>(read_count(root, {"num_key_value_heads"}, file, kSmall));
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
  c.layer_norm_eps = read_number(root, {"layer_norm_epsilon", "layer_norm_eps", "rms_norm_eps", "norm_epsilon"}, file);
  if (c.layer_norm_eps && !(*c.layer_norm_eps >= 0)) fail(file, "the norm epsilon must not be negative");
  c.scale_embedding = read_bool(root, "scale_embedding", file);
  c.word_embed_proj_dim = read_count(root, {"word_embed_proj_dim"}, file, kBig);
  c.do_layer_norm_before = read_bool(root, "do_layer_norm_before", file);
  c.embedding_size = read_count(root, {"embedding_size"}, file, kBig);
  c.rotary_dim = static_cast<int>(read_count(root, {"rotary_dim"}, file, kSmall));
  c.qk_rope_head_dim = static_cast<int>(read_count(root, {"qk_rope_head_dim"}, file, kSmall));
  for (auto [key, out] : {std::pair{"query_pre_attn_scalar", &c.query_pre_attn_scalar},
                          std::pair{"attn_logit_softcapping", &c.attn_logit_softcapping},
                          std::pair{"clip_qkv", &c.clip_qkv}, std::pair{"rope_local_base_freq", &c.rope_local_base_freq}}) {
    *out = read_number(root, {key}, file);
    if (*out && !(**out > 0)) fail(file, std::string("\"") + key + "\" must be positive");
  }
  c.sliding_window = read_count(root, {"sliding_window"}, file, kBig);
  c.qk_layernorm = read_bool(root, "qk_layernorm", file).value_or(false);
  c.tie_word_embeddings = read_bool(root, "tie_word_embeddings", file);

  read_position_keys(root, file, c);
  return c;
}

ModelConfig load_model_config(const std::filesystem::path& path) {
  // Real configs are a few kB; 16 MB is far past any.
  return parse_model_config(read_small_file(path, "config", std::uintmax_t{16} << 20), path.string());
}

// Does config.json make the family switch to its other scheme (the family table's scheme_switch)?
static bool switch_applies(SchemeSwitchWhen when, const ModelConfig& c) {
  switch (when) {
    case SchemeSwitchWhen::Never: return false;
    case SchemeSwitchWhen::AlibiFlag: return c.alibi;
    case SchemeSwitchWhen::MptAlibiOff: return c.mpt_alibi == false;
    case SchemeSwitchWhen::RelativePositionType: return c.position_embedding_type != "absolute";
  }
  return false;
}

SchemeParams scheme_for_config(const ModelConfig& c, long long dim) {
  SchemeParams p;
  if (c.heads > 0) p.heads = c.heads;
  const FamilyInfo* fam = find_family(c.family);
  if (!fam) {
    p.kind = "none";
    return p;
  }
  p.kind = fam->scheme;
  p.causal = fam->causal;
  if (switch_applies(fam->scheme_switch.when, c)) {
    p.kind = fam->scheme_switch.scheme;
    if (fam->scheme_switch.when == SchemeSwitchWhen::RelativePositionType)
      p.distance_terms = c.position_embedding_type == "relative_key_query" ? 2 : 1;
  }
  if (c.lab_position) {  // trained by the lab: GPT-2's block, another scheme, its own keys
    p = *c.lab_position;
    if (c.heads > 0) p.heads = c.heads;
    if (c.heads > 0 && dim > 0 && dim % c.heads == 0) p.head_dim = static_cast<int>(dim / c.heads);
    return p;
  }
  SchemeConfig sc;  // what the file says, for the scheme to take what it reads
  sc.dim = dim;
  sc.heads = c.heads;
  sc.head_dim = c.head_dim;
  sc.max_positions = c.max_positions;
  sc.rope_theta = c.rope_theta;
  sc.rotary_fraction = c.rotary_fraction;
  sc.default_rotary_fraction = fam->default_rotary_fraction;
  sc.interleaved_pairs = fam->interleaved_pairs;
  sc.rope_scaling = c.rope_scaling;
  const long long head_width = c.head_dim > 0                                  ? c.head_dim
                               : c.heads > 0 && dim > 0 && dim % c.heads == 0 ? dim / c.heads
                                                                              : 0;
  // GPT-J, CodeGen: rotary_dim dims of each head rotate (a count, not a share).
  if (c.rotary_dim > 0 && head_width > 0) sc.rotary_fraction = std::min(1.0, double(c.rotary_dim) / double(head_width));
  // DeepSeek: only the rotary part of each head (qk_rope_head_dim) is rotated; shown as its own head.
  if (c.qk_rope_head_dim > 0) {
    sc.head_dim = c.qk_rope_head_dim;
    sc.rotary_fraction = 1.0;
  }
  // Gemma 3: layer 0 is a local (sliding-window) layer, rotated with rope_local_base_freq and no scaling.
  if (fam->local_rope_layer0) {
    sc.rope_theta = c.rope_local_base_freq.value_or(10000.0);
    sc.rope_scaling = {};
  }
  sc.t5_buckets = c.t5_buckets;
  sc.t5_max_distance = c.t5_max_distance;
  sc.position_buckets = c.position_buckets;
  sc.max_relative_positions = c.max_relative_positions;
  if (const SchemeInfo* info = find_scheme(p.kind); info && info->configure) info->configure(sc, p);
  return p;
}

std::string family_position_summary(std::string_view f, const SchemeParams& s) {
  const FamilyInfo* fam = find_family(f);
  const SchemeInfo* info = find_scheme(s.kind);
  if (!info) return "unknown: EmbedScope does not know where this model adds position";
  const SchemeInfo* table = fam ? find_scheme(fam->scheme) : nullptr;
  if (info->entry == PositionEntry::Nowhere && table && table->counted == WeightsCounted::PositionTable)
    return "no positions added at the input: relative distance embeddings inside attention "
           "(position_embedding_type relative_key / relative_key_query)";
  std::string out = info->entry == PositionEntry::Input
                        ? std::string(info->title) + " positions added to the token rows at the input"
                        : "no positions added at the input: " + std::string(info->title) + " " +
                              std::string(position_entry_text(info->entry));
  if (fam && fam->token_types_in_input) out += ", plus a token-type row, then LayerNorm";
  if (fam && fam->position_offset) out += " (position rows start at row " + std::to_string(fam->position_offset) + ")";
  return out;
}

std::string config_caveats(const ModelConfig& c) {
  std::string out;
  if (!c.rope_scaling.type.empty() && !c.rope_scaling.applied())
    out += "rope_scaling \"" + c.rope_scaling.type + "\" is read but not applied (EmbedScope applies " +
           rope_scaling_kinds() + "; S shows unscaled RoPE)";
  if (const FamilyInfo* fam = find_family(c.family); fam && fam->local_rope_layer0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", c.rope_theta.value_or(1000000.0));
    out += std::string(out.empty() ? "" : "; ") + "RoPE is shown as layer 0 uses it (a local, sliding-window layer: base " +
           std::to_string(static_cast<long long>(c.rope_local_base_freq.value_or(10000.0))) +
           ", no scaling); Gemma 3's global layers rotate with base " + buf +
           (c.rope_scaling.type.empty() ? std::string() : " and rope_scaling " + c.rope_scaling.type);
  }
  if (c.family == "deberta-v2" && c.position_biased_input.value_or(true))
    out += std::string(out.empty() ? "" : "; ") +
           "position_biased_input is on: this DeBERTa also adds absolute position rows at the input, not shown";
  return out;
}

}  // namespace es
