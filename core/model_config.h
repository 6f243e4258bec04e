// Hugging Face config.json: the keys that decide a model's input stage (FACTS.md section 7).
//
//   family      model_type: gpt2, bert, llama, mistral, qwen2, gpt_neox, bloom, t5, falcon
//   width       n_embd / n_embed / hidden_size / d_model
//   vocab       vocab_size
//   positions   n_positions / max_position_embeddings (learned tables: their L_max)
//   heads       n_head / num_attention_heads / num_heads / n_heads
//   RoPE        rope_theta (also GPT-NeoX's rotary_emb_base), default 10000;
//               rotary_pct / partial_rotary_factor (GPT-NeoX default 0.25, else 1)
//   ALiBi       BLOOM always; Falcon when "alibi": true
//   T5          relative_attention_num_buckets (32), relative_attention_max_distance (128)
//   LayerNorm   layer_norm_epsilon / layer_norm_eps / rms_norm_eps
//   tying       tie_word_embeddings (default per family, as the transformers classes do)
#pragma once

#include "position_scheme.h"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace es {

struct ModelConfig {
  bool present = false;           // a config.json was read
  std::string model_type;         // as written in the file
  std::string family;             // normalised (see above), "" if unknown
  long long hidden = 0;           // 0: not given
  long long vocab = 0;
  long long max_positions = 0;
  int heads = 0;
  int layers = 0;
  int head_dim = 0;               // explicit "head_dim" key, 0 if absent
  std::optional<double> rope_theta;
  std::optional<double> rotary_fraction;
  bool alibi = false;             // Falcon's "alibi" key
  int t5_buckets = 32;
  int t5_max_distance = 128;
  std::optional<double> layer_norm_eps;
  std::optional<bool> tie_word_embeddings;
  long long type_vocab_size = 0;  // BERT token types
};

// Parses config.json text. Throws es::Error naming `file_label` for invalid JSON, a non-object,
// or a key of the wrong type or out of range (negative sizes, base <= 0, fraction outside (0, 1]).
ModelConfig parse_model_config(std::string_view json_text, std::string_view file_label);
// Reads `path` (a config.json); throws es::Error when it cannot be read or parsed.
ModelConfig load_model_config(const std::filesystem::path& path);

// "gpt2", "bert", ... from a model_type; "" when EmbedScope has no input-stage reader for it.
std::string normalise_family(std::string_view model_type);
// The family a set of tensor names belongs to (for checkpoints without config.json); "" if none.
std::string guess_family_from_tensor_names(const std::vector<std::string>& names);

// The scheme a family uses, with the config's parameters. `dim` is the model width (from the
// token table when the config lacks it). Unknown families get SchemeKind::None.
SchemeParams scheme_for_config(const ModelConfig& config, long long dim);
// Whether the family's transformers class ties the output head to the token table by default.
bool family_ties_by_default(std::string_view family);
// One line on where position enters the family's model.
std::string family_position_summary(std::string_view family, const SchemeParams& scheme);

}  // namespace es
