// The family table: everything EmbedScope knows about a kind of model, in one row each.
// The checkpoint loader, config.json reading, the model card, the presets and the CLI read it;
// no other file keys on a family name.
//
//   family      model_type values   scheme       norm on/after the input    position rows
//   gpt2        gpt2                learned      ln_1 inside block 0        rows 0..n-1
//   bert        bert                learned*     LayerNorm on the input     rows 0..n-1 (+ token type)
//   roberta     roberta, xlm-roberta, camembert  learned  LayerNorm on input rows 2..n+1
//   deberta-v2  deberta-v2          deberta      LayerNorm on the input     none (v3)
//   llama       llama, mistral, qwen2, gemma     rope  RMSNorm in layer 0   none
//   gpt_neox    gpt_neox            rope 25%     LayerNorm in layer 0       none
//   bloom       bloom               alibi        LayerNorm on the input     none
//   mpt         mpt                 alibi**      LayerNorm in block 0       none
//   falcon      falcon, RefinedWeb* rope/alibi** LayerNorm in layer 0       none
//   t5          t5, mt5             t5           RMSNorm in block 0         none
//   opt         opt                 learned      LayerNorm in layer 0       rows 2..n+1
//   bart        bart, mbart         learned      LayerNorm on the input     rows 2..n+1 (x sqrt(d) if scale_embedding)
//   distilbert  distilbert          learned      LayerNorm on the input     rows 0..n-1
//   albert      albert              learned*     LayerNorm on the input, at embedding_size, then a projection
//   electra     electra             learned*     LayerNorm on the input, at embedding_size, then a projection
//   gptj        gptj, codegen       rope (rotary_dim, interleaved pairs)  LayerNorm in layer 0
//   phi         phi, stablelm, starcoder2    rope (partial)   LayerNorm in layer 0
//   phi3, qwen3, olmo, gpt_oss      rope         RMSNorm (OLMo: LayerNorm without weights) in layer 0
//   gemma2, gemma3                  rope         (1 + w) RMSNorm in layer 0, rows x sqrt(d)
//   olmo2       olmo2               rope         none before attention (q and k normalised)
//   deepseek_v3 deepseek_v3         rope (latent attention, not read)  RMSNorm in layer 0
// * BERT position_embedding_type relative_key(_query): nothing added at the input.
// ** MPT: attn_config.alibi; Falcon: "alibi" true -> ALiBi, false -> RoPE.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace es {

enum class NormKind { LayerNorm, RmsNorm, RmsNormOnePlus };  // Gemma scales by (1 + weight)

// How block 0 stores its query and key projections (attention.h reads them).
enum class QkLayout {
  None,           // not read: the views fall back to the token-row proxy
  Gpt2Fused,      // c_attn.weight (d, 3d) as (in, out), bias (3d): [q | k | v] columns
  Separate,       // q_proj.weight (H dh, d), k_proj.weight (H_kv dh, d) as (out, in); optional biases
  PerHeadFused,   // query_key_value.weight (3 d, d) as (out, in), rows grouped per head [q_h | k_h | v_h]
  StackedFused,   // qkv_proj.weight (H dh + 2 H_kv dh, d) as (out, in): all q rows, then k, then v (Phi-3)
  Mp4Fused,       // qkv_proj.weight (3 d, d), four chunks of [q | v | k] rows (CodeGen's mp_num = 4)
  Unread,         // a kind EmbedScope does not compute (DeepSeek's latent attention): `unread_why` says
};
// Per-head or whole-width normalisation of q and k after the projection (Qwen3, Gemma 3, OLMo 2,
// Phi with qk_layernorm).
enum class QkNormShape { PerHead, Whole };
struct AttentionNames {
  QkLayout layout = QkLayout::None;
  std::vector<const char*> qkv = {};   // fused weight, or q_proj for Separate (".weight" / ".bias" appended)
  std::vector<const char*> k = {};     // k_proj for Separate
  std::vector<const char*> norm = {};  // the norm block 0 applies before attention, when it is not first_layer_norm
  std::vector<const char*> projection = {};  // a linear map from the input width to the hidden size (ALBERT, ELECTRA)
  std::vector<const char*> q_norm = {}, k_norm = {};  // normalisations of q and k (prefixes of .weight / .bias)
  std::vector<const char*> distance = {};  // BERT relative_key: distance_embedding (2 L - 1, d_head)
  QkNormShape qk_norm_shape = QkNormShape::PerHead;
  bool qk_norm_optional = false;  // Phi: present only when config.json's qk_layernorm is true
  const char* unread_why = "";   // QkLayout::Unread: what the attention is and why it is not computed
};

// What multiplies the token rows before anything is added (FACTS.md section 10).
enum class EmbeddingScale {
  One,
  SqrtWidth,               // Gemma: sqrt(hidden_size), rounded to the table's dtype
  SqrtWidthIfConfigured,   // BART / mBART: sqrt(d_model) when config.json's scale_embedding is true
};

// A config.json setting under which a family uses another scheme than its usual one.
enum class SchemeSwitchWhen {
  Never,
  AlibiFlag,             // Falcon: "alibi": true
  MptAlibiOff,           // MPT: attn_config.alibi false (then its learned wpe table)
  RelativePositionType,  // BERT, RoBERTa: position_embedding_type relative_key(_query)
};
struct SchemeSwitch {
  SchemeSwitchWhen when = SchemeSwitchWhen::Never;
  const char* scheme = "";  // registry name used then
};

// One row of the family table. The table (model_family.cpp) names every field it sets
// (designated initialisers, in this order: a swapped or misspelt field does not compile).
struct FamilyInfo {
  const char* family = "";                // "gpt2"
  const char* display = "";               // "GPT-2"
  std::vector<const char*> model_types = {};   // config.json model_type values
  const char* scheme = "";                // registry name of its position scheme
  bool causal = false;                    // decoder: keys after the query are masked
  // Tensor names, each list tried in order (with and without the class prefix).
  std::vector<const char*> token = {};         // (V, d)
  std::vector<const char*> position = {};      // (L_max, d) learned absolute table
  std::vector<const char*> token_type = {};    // (types, d)
  std::vector<const char*> norm = {};          // prefix of .weight / .bias (or .gamma / .beta)
  std::vector<const char*> head = {};          // an untied output head
  std::vector<const char*> scheme_weights = {};// T5 encoder bias, DeBERTa rel_embeddings
  std::vector<const char*> scheme_weights_causal = {};  // T5 decoder bias
  std::vector<const char*> scheme_weights_norm = {};    // DeBERTa encoder.LayerNorm prefix
  NormKind norm_kind = NormKind::LayerNorm;
  bool norm_on_input = false;             // part of the input stage (BERT, BLOOM, DeBERTa)
  const char* norm_label = "";            // where the norm sits, for captions
  double default_eps = 1e-5;
  int position_offset = 0;                // first position row used (RoBERTa: padding_idx + 1 = 2; OPT, BART: 2)
  bool offset_from_pad = false;           // RoBERTa: the offset is pad_token_id + 1 when config.json gives it
  bool ties_by_default = true;            // the transformers class ties the head to E
  double default_rotary_fraction = 1.0;   // RoPE families
  bool interleaved_pairs = false;         // RoPE pairs (2k, 2k + 1) (GPT-J, CodeGen); else HF's halves
  EmbeddingScale embedding_scale = EmbeddingScale::One;
  bool norm_has_weights = true;           // OLMo: LayerNorm without gamma and beta
  bool attention_reads_raw_input = false; // OLMo 2: no norm before attention (it normalises after)
  bool layer0_sliding = false;            // layer 0 attends within config.json's sliding_window
  // Settings config.json may switch on that change block 0 or refuse the model (FACTS.md 10):
  bool logit_softcap = false;             // Gemma 2: attn_logit_softcapping applies
  bool local_rope_layer0 = false;         // Gemma 3: layer 0 rotates with rope_local_base_freq, unscaled;
                                          // its multimodal config keeps the text keys in text_config
  bool qk_layernorm_unread = false;       // StableLM: qk_layernorm's per-head norms are not computed
  bool opt_input_checks = false;          // OPT: project_in (word_embed_proj_dim) refused; post-LN unread
  int token_types_in_input = 0;           // 1: token-type row 0 is part of the input sum
  AttentionNames attention = {};          // block 0's q and k projections
  SchemeSwitch scheme_switch = {};        // when config.json picks another scheme
};

const std::vector<FamilyInfo>& family_table();
// The row whose family or model_type matches; nullptr when none.
const FamilyInfo* find_family(std::string_view family_or_model_type);
// The family a set of tensor names belongs to (checkpoints without config.json), only when no
// other family writes the same names and reads them differently; nullptr otherwise, with the
// families that share the names in `ambiguous` when that is why.
const FamilyInfo* guess_family(const std::vector<std::string>& tensor_names, std::string* ambiguous = nullptr);
// "gpt2, bert, ..." for messages.
std::string family_model_types();

}  // namespace es
