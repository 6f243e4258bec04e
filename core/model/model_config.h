// Hugging Face config.json: the keys that decide a model's input stage (FACTS.md sections 7, 8).
//
//   family      model_type, looked up in the family table (model_family.h)
//   width       n_embd / n_embed / hidden_size / d_model
//   vocab       vocab_size
//   positions   n_positions / max_position_embeddings (learned tables: their L_max)
//   heads       n_head / num_attention_heads / num_heads / n_heads
//   RoPE        rope_theta (also GPT-NeoX's rotary_emb_base), default 10000;
//               rotary_pct / partial_rotary_factor (GPT-NeoX default 0.25, else 1);
//               rope_scaling {rope_type | type, factor, low_freq_factor, high_freq_factor,
//               original_max_position_embeddings}
//   ALiBi       BLOOM always; Falcon when "alibi": true; MPT when attn_config.alibi
//   T5          relative_attention_num_buckets (32), relative_attention_max_distance (128)
//   DeBERTa     position_buckets (256), max_relative_positions (512; -1: max_position_embeddings),
//               position_biased_input, norm_rel_ebd, relative_attention
//   BERT        position_embedding_type: absolute | relative_key | relative_key_query
//   RoBERTa     pad_token_id (position rows start at pad_token_id + 1)
//   norm        layer_norm_epsilon / layer_norm_eps / rms_norm_eps
//   tying       tie_word_embeddings (default per family, as the transformers classes do)
//   families    scale_embedding (BART), word_embed_proj_dim and do_layer_norm_before (OPT),
//               embedding_size (ALBERT, ELECTRA), rotary_dim (GPT-J, CodeGen),
//               query_pre_attn_scalar, attn_logit_softcapping, rope_local_base_freq (Gemma 2 / 3),
//               clip_qkv (OLMo), qk_layernorm (Phi, StableLM), sliding_window, qk_rope_head_dim;
//               Gemma 3's multimodal config keeps the text model's keys in text_config
#pragma once

#include "model_family.h"
#include "position/scheme.h"

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
  int kv_heads = 0;               // num_key_value_heads (grouped-query attention), 0 if absent
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
  RopeScaling rope_scaling;       // type "" when absent
  std::string position_embedding_type = "absolute";  // BERT
  std::optional<bool> mpt_alibi;  // MPT attn_config.alibi
  std::optional<long long> pad_token_id;
  int position_buckets = 256;     // DeBERTa
  long long max_relative_positions = -1;
  std::optional<bool> position_biased_input;
  std::string norm_rel_ebd;       // DeBERTa: "layer_norm" or ""
  // Family settings of the input stage and block 0 (FACTS.md section 10).
  std::optional<bool> scale_embedding;        // BART / mBART: token rows x sqrt(d_model)
  long long word_embed_proj_dim = 0;          // OPT: token rows projected before positions are added
  std::optional<bool> do_layer_norm_before;   // OPT: false = post-LN
  long long embedding_size = 0;               // ALBERT / ELECTRA: the width of the input tables
  int rotary_dim = 0;                         // GPT-J / CodeGen: rotated dims of each head
  int qk_rope_head_dim = 0;                   // DeepSeek: the rotary part of each head
  std::optional<double> query_pre_attn_scalar;   // Gemma 2 / 3: logits scaled by its -1/2 power
  std::optional<double> attn_logit_softcapping;  // Gemma 2: c tanh(logit / c)
  std::optional<double> clip_qkv;             // OLMo: q, k, v clamped to +-clip_qkv
  long long sliding_window = 0;               // the window of layer 0, when it slides
  std::optional<double> rope_local_base_freq; // Gemma 3: the RoPE base of its local layers (layer 0 is one)
  bool qk_layernorm = false;                  // Phi, StableLM: q and k normalised per head
  // Checkpoints written by `embedscope-cli train`: the scheme the model was trained with
  // (GPT-2's block with another position scheme); "" otherwise.
  std::string lab_scheme;
  std::optional<SchemeParams> lab_position;  // its settings, from the keys the lab wrote
  double lab_token_scale = 1.0;              // the token rows' factor at the input (sinusoidal: sqrt(d))
};

// Parses config.json text. Throws es::Error naming `file_label` for invalid JSON, a non-object,
// or a key of the wrong type or out of range (negative sizes, base <= 0, fraction outside (0, 1]).
ModelConfig parse_model_config(std::string_view json_text, std::string_view file_label);
// Reads `path` (a config.json); throws es::Error when it cannot be read or parsed.
ModelConfig load_model_config(const std::filesystem::path& path);

// "gpt2", "bert", ... from a model_type; "" when EmbedScope has no input-stage reader for it.
std::string normalise_family(std::string_view model_type);

// The scheme a family uses, with the config's parameters. `dim` is the model width (from the
// token table when the config lacks it). Unknown families get SchemeKind::None.
SchemeParams scheme_for_config(const ModelConfig& config, long long dim);
// One line on where position enters the family's model.
std::string family_position_summary(std::string_view family, const SchemeParams& scheme);
// Said plainly when the config holds something the view does not apply (a rope_scaling type
// other than llama3 / linear, DeBERTa v2's absolute positions); "" otherwise.
std::string config_caveats(const ModelConfig& config);

}  // namespace es
