// The family table (see model_family.h). Names and defaults from the transformers classes of
// each family (FACTS.md sections 2, 7 and 8).
#include "model_family.h"

#include <algorithm>

namespace es {

namespace {

constexpr const char* kRmsInsideLayer0 =
    "input_layernorm of layer 0 (RMSNorm, inside layer 0 before attention, not on the input)";
constexpr const char* kInputEmbeddingLayerNorm =
    "embeddings.LayerNorm: applied to token + token-type + position rows, before block 0";

FamilyInfo llama_like(const char* family, const char* display, NormKind norm, bool ties, const char* label) {
  return {.family = family,
          .display = display,
          .model_types = {family},
          .scheme = "rope",
          .causal = true,
          .token = {"model.embed_tokens.weight", "embed_tokens.weight"},
          .norm = {"model.layers.0.input_layernorm", "layers.0.input_layernorm"},
          .head = {"lm_head.weight"},
          .norm_kind = norm,
          .norm_on_input = false,
          .norm_label = label,
          .default_eps = 1e-6,
          .position_offset = 0,
          .ties_by_default = ties,
          .default_rotary_fraction = 1.0,
          .token_types_in_input = 0,
          .attention = {QkLayout::Separate,
                        {"model.layers.0.self_attn.q_proj", "layers.0.self_attn.q_proj"},
                        {"model.layers.0.self_attn.k_proj", "layers.0.self_attn.k_proj"},
                        {}}};
}

std::vector<FamilyInfo> make_table() {
  std::vector<FamilyInfo> t;
  t.push_back({.family = "gpt2",
               .display = "GPT-2",
               .model_types = {"gpt2"},
               .scheme = "learned",
               .causal = true,
               .token = {"wte.weight", "transformer.wte.weight"},
               .position = {"wpe.weight", "transformer.wpe.weight"},
               .norm = {"h.0.ln_1", "transformer.h.0.ln_1"},
               .head = {"lm_head.weight"},
               .scheme_weights_causal = {"h.0.attn.relative_attention_bias.weight"},  // the lab's T5 table (causal)
               .norm_kind = NormKind::LayerNorm,
               .norm_on_input = false,
               .norm_label = "ln_1 of block 0 (GPT-2 is pre-LN: applied inside block 0 before attention, not to the input sum)",
               .default_eps = 1e-5,
               .position_offset = 0,
               .ties_by_default = true,
               .default_rotary_fraction = 1.0,
               .token_types_in_input = 0,
               .attention = {QkLayout::Gpt2Fused, {"h.0.attn.c_attn", "transformer.h.0.attn.c_attn"}, {}, {}}});
  t.push_back({.family = "bert",
               .display = "BERT",
               .model_types = {"bert"},
               .scheme = "learned",
               .causal = false,
               .token = {"bert.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight"},
               .position = {"bert.embeddings.position_embeddings.weight", "embeddings.position_embeddings.weight"},
               .token_type = {"bert.embeddings.token_type_embeddings.weight", "embeddings.token_type_embeddings.weight"},
               .norm = {"bert.embeddings.LayerNorm", "embeddings.LayerNorm"},
               .norm_kind = NormKind::LayerNorm,
               .norm_on_input = true,
               .norm_label = kInputEmbeddingLayerNorm,
               .default_eps = 1e-12,
               .position_offset = 0,
               .ties_by_default = true,
               .default_rotary_fraction = 1.0,
               .token_types_in_input = 1,
               .scheme_switch = {SchemeSwitchWhen::RelativePositionType, "none"}});
  t.push_back({.family = "roberta",
               .display = "RoBERTa",
               .model_types = {"roberta", "xlm-roberta", "camembert"},
               .scheme = "learned",
               .causal = false,
               .token = {"roberta.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight"},
               .position = {"roberta.embeddings.position_embeddings.weight", "embeddings.position_embeddings.weight"},
               .token_type = {"roberta.embeddings.token_type_embeddings.weight", "embeddings.token_type_embeddings.weight"},
               .norm = {"roberta.embeddings.LayerNorm", "embeddings.LayerNorm"},
               .norm_kind = NormKind::LayerNorm,
               .norm_on_input = true,
               .norm_label = kInputEmbeddingLayerNorm,
               .default_eps = 1e-5,
               .position_offset = 2,
               .ties_by_default = true,
               .default_rotary_fraction = 1.0,
               .token_types_in_input = 1,
               .scheme_switch = {SchemeSwitchWhen::RelativePositionType, "none"}});
  t.push_back({.family = "deberta-v2",
               .display = "DeBERTa-v2/v3",
               .model_types = {"deberta-v2"},
               .scheme = "deberta",
               .causal = false,
               .token = {"deberta.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight"},
               .position = {"deberta.embeddings.position_embeddings.weight", "embeddings.position_embeddings.weight"},
               .token_type = {"deberta.embeddings.token_type_embeddings.weight", "embeddings.token_type_embeddings.weight"},
               .norm = {"deberta.embeddings.LayerNorm", "embeddings.LayerNorm"},
               .scheme_weights = {"deberta.encoder.rel_embeddings.weight", "encoder.rel_embeddings.weight"},
               .scheme_weights_norm = {"deberta.encoder.LayerNorm", "encoder.LayerNorm"},
               .norm_kind = NormKind::LayerNorm,
               .norm_on_input = true,
               .norm_label = "embeddings.LayerNorm: applied to the token rows before the encoder",
               .default_eps = 1e-7,
               .position_offset = 0,
               .ties_by_default = true,
               .default_rotary_fraction = 1.0,
               .token_types_in_input = 0});
  t.push_back(llama_like("llama", "LLaMA", NormKind::RmsNorm, false, kRmsInsideLayer0));
  t.push_back(llama_like("mistral", "Mistral", NormKind::RmsNorm, false, kRmsInsideLayer0));
  t.push_back(llama_like("qwen2", "Qwen2", NormKind::RmsNorm, false, kRmsInsideLayer0));
  t.push_back(llama_like("gemma", "Gemma", NormKind::RmsNormOnePlus, true,
                         "input_layernorm of layer 0 (RMSNorm scaled by 1 + weight, inside layer 0; Gemma also "
                         "multiplies the token rows by sqrt(d) before it, not shown)"));
  t.push_back({.family = "gpt_neox",
               .display = "GPT-NeoX",
               .model_types = {"gpt_neox"},
               .scheme = "rope",
               .causal = true,
               .token = {"gpt_neox.embed_in.weight", "embed_in.weight"},
               .norm = {"gpt_neox.layers.0.input_layernorm", "layers.0.input_layernorm"},
               .head = {"embed_out.weight"},
               .norm_kind = NormKind::LayerNorm,
               .norm_on_input = false,
               .norm_label = "input_layernorm of layer 0 (applied inside layer 0 before attention, not to the input)",
               .default_eps = 1e-5,
               .position_offset = 0,
               .ties_by_default = false,
               .default_rotary_fraction = 0.25,
               .token_types_in_input = 0,
               .attention = {QkLayout::PerHeadFused,
                             {"gpt_neox.layers.0.attention.query_key_value", "layers.0.attention.query_key_value"},
                             {},
                             {}}});
  t.push_back({.family = "bloom",
               .display = "BLOOM",
               .model_types = {"bloom"},
               .scheme = "alibi",
               .causal = true,
               .token = {"word_embeddings.weight", "transformer.word_embeddings.weight"},
               .norm = {"word_embeddings_layernorm", "transformer.word_embeddings_layernorm"},
               .head = {"lm_head.weight"},
               .norm_kind = NormKind::LayerNorm,
               .norm_on_input = true,
               .norm_label = "word_embeddings_layernorm: applied to the token rows right after the lookup (BLOOM adds no positions)",
               .default_eps = 1e-5,
               .position_offset = 0,
               .ties_by_default = true,
               .default_rotary_fraction = 1.0,
               .token_types_in_input = 0,
               .attention = {QkLayout::PerHeadFused,
                             {"h.0.self_attention.query_key_value", "transformer.h.0.self_attention.query_key_value"},
                             {},
                             {"h.0.input_layernorm", "transformer.h.0.input_layernorm"}}});
  t.push_back({.family = "mpt",
               .display = "MPT",
               .model_types = {"mpt"},
               .scheme = "alibi",
               .causal = true,
               .token = {"transformer.wte.weight", "wte.weight"},
               .position = {"transformer.wpe.weight", "wpe.weight"},
               .norm = {"transformer.blocks.0.norm_1", "blocks.0.norm_1"},
               .head = {"lm_head.weight"},
               .norm_kind = NormKind::LayerNorm,
               .norm_on_input = false,
               .norm_label = "norm_1 of block 0 (inside the block before attention, not on the input)",
               .default_eps = 1e-5,
               .position_offset = 0,
               .ties_by_default = true,
               .default_rotary_fraction = 1.0,
               .token_types_in_input = 0,
               .scheme_switch = {SchemeSwitchWhen::MptAlibiOff, "learned"}});
  t.push_back({.family = "falcon",
               .display = "Falcon",
               .model_types = {"falcon", "RefinedWeb", "RefinedWebModel"},
               .scheme = "rope",
               .causal = true,
               .token = {"transformer.word_embeddings.weight", "word_embeddings.weight"},
               .norm = {"transformer.h.0.input_layernorm", "transformer.h.0.ln_attn", "h.0.input_layernorm"},
               .head = {"lm_head.weight"},
               .norm_kind = NormKind::LayerNorm,
               .norm_on_input = false,
               .norm_label = "input_layernorm of layer 0 (applied inside layer 0 before attention, not to the input)",
               .default_eps = 1e-5,
               .position_offset = 0,
               .ties_by_default = true,
               .default_rotary_fraction = 1.0,
               .token_types_in_input = 0,
               .scheme_switch = {SchemeSwitchWhen::AlibiFlag, "alibi"}});
  t.push_back({.family = "t5",
               .display = "T5",
               .model_types = {"t5", "mt5"},
               .scheme = "t5",
               .causal = false,
               .token = {"shared.weight", "encoder.embed_tokens.weight"},
               .norm = {"encoder.block.0.layer.0.layer_norm"},
               .head = {"lm_head.weight"},
               .scheme_weights = {"encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"},
               .scheme_weights_causal = {"decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"},
               .norm_kind = NormKind::RmsNorm,
               .norm_on_input = false,
               .norm_label = "layer_norm of encoder block 0 (RMSNorm, inside the block before self-attention, not on the input)",
               .default_eps = 1e-6,
               .position_offset = 0,
               .ties_by_default = true,
               .default_rotary_fraction = 1.0,
               .token_types_in_input = 0});
  return t;
}

}  // namespace

const std::vector<FamilyInfo>& family_table() {
  static const std::vector<FamilyInfo> table = make_table();
  return table;
}

const FamilyInfo* find_family(std::string_view name) {
  for (const FamilyInfo& f : family_table()) {
    if (name == f.family) return &f;
    for (const char* t : f.model_types)
      if (name == t) return &f;
  }
  return nullptr;
}

const FamilyInfo* guess_family(const std::vector<std::string>& names) {
  auto has = [&](std::string_view n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  // Most specific first: a token-table name shared by two families (wte.weight: GPT-2 and
  // MPT) goes to the one whose other tensors are present too.
  if (has("transformer.blocks.0.norm_1.weight")) return find_family("mpt");
  if (has("deberta.encoder.rel_embeddings.weight") || has("encoder.rel_embeddings.weight")) return find_family("deberta-v2");
  if (has("roberta.embeddings.word_embeddings.weight")) return find_family("roberta");
  if (has("word_embeddings_layernorm.weight") || has("transformer.word_embeddings_layernorm.weight"))
    return find_family("bloom");
  if (has("transformer.word_embeddings.weight")) return find_family("falcon");
  if (has("word_embeddings.weight")) return find_family("bloom");
  for (const FamilyInfo& f : family_table()) {
    if (std::string_view(f.family) == "mistral" || std::string_view(f.family) == "qwen2" ||
        std::string_view(f.family) == "gemma")
      continue;  // same names as LLaMA: without a config.json they read as LLaMA
    for (const char* t : f.token)
      if (has(t)) return &f;
  }
  return nullptr;
}

std::string family_model_types() {
  std::string s;
  for (const FamilyInfo& f : family_table())
    for (const char* t : f.model_types) s += (s.empty() ? "" : ", ") + std::string(t);
  return s;
}

}  // namespace es
