// The family table (see model_family.h). Names and defaults from the transformers classes of
// each family (FACTS.md sections 2, 7 and 8).
#include "model_family.h"

#include <algorithm>

namespace es {

namespace {

FamilyInfo llama_like(const char* family, const char* display, NormKind norm, bool ties, const char* label) {
  return {family, display, {family}, "rope", true,
          {"model.embed_tokens.weight", "embed_tokens.weight"}, {}, {},
          {"model.layers.0.input_layernorm", "layers.0.input_layernorm"}, {"lm_head.weight"}, {}, {}, {},
          norm, false, label, 1e-6, 0, ties, 1.0, 0,
          {QkLayout::Separate, {"model.layers.0.self_attn.q_proj", "layers.0.self_attn.q_proj"},
           {"model.layers.0.self_attn.k_proj", "layers.0.self_attn.k_proj"}, {}}};
}

std::vector<FamilyInfo> make_table() {
  std::vector<FamilyInfo> t;
  t.push_back({"gpt2", "GPT-2", {"gpt2"}, "learned", true,
               {"wte.weight", "transformer.wte.weight"}, {"wpe.weight", "transformer.wpe.weight"}, {},
               {"h.0.ln_1", "transformer.h.0.ln_1"}, {"lm_head.weight"}, {},
               {"h.0.attn.relative_attention_bias.weight"},  // the training lab's T5 table (causal)
               {},
               NormKind::LayerNorm, false,
               "ln_1 of block 0 (GPT-2 is pre-LN: applied inside block 0 before attention, not to the input sum)",
               1e-5, 0, true, 1.0, 0,
               {QkLayout::Gpt2Fused, {"h.0.attn.c_attn", "transformer.h.0.attn.c_attn"}, {}, {}}});
  t.push_back({"bert", "BERT", {"bert"}, "learned", false,
               {"bert.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight"},
               {"bert.embeddings.position_embeddings.weight", "embeddings.position_embeddings.weight"},
               {"bert.embeddings.token_type_embeddings.weight", "embeddings.token_type_embeddings.weight"},
               {"bert.embeddings.LayerNorm", "embeddings.LayerNorm"}, {}, {}, {}, {},
               NormKind::LayerNorm, true, "embeddings.LayerNorm: applied to token + token-type + position rows, before block 0",
               1e-12, 0, true, 1.0, 1});
  t.push_back({"roberta", "RoBERTa", {"roberta", "xlm-roberta", "camembert"}, "learned", false,
               {"roberta.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight"},
               {"roberta.embeddings.position_embeddings.weight", "embeddings.position_embeddings.weight"},
               {"roberta.embeddings.token_type_embeddings.weight", "embeddings.token_type_embeddings.weight"},
               {"roberta.embeddings.LayerNorm", "embeddings.LayerNorm"}, {}, {}, {}, {},
               NormKind::LayerNorm, true, "embeddings.LayerNorm: applied to token + token-type + position rows, before block 0",
               1e-5, 2, true, 1.0, 1});
  t.push_back({"deberta-v2", "DeBERTa-v2/v3", {"deberta-v2"}, "deberta", false,
               {"deberta.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight"},
               {"deberta.embeddings.position_embeddings.weight", "embeddings.position_embeddings.weight"},
               {"deberta.embeddings.token_type_embeddings.weight", "embeddings.token_type_embeddings.weight"},
               {"deberta.embeddings.LayerNorm", "embeddings.LayerNorm"}, {},
               {"deberta.encoder.rel_embeddings.weight", "encoder.rel_embeddings.weight"}, {},
               {"deberta.encoder.LayerNorm", "encoder.LayerNorm"},
               NormKind::LayerNorm, true, "embeddings.LayerNorm: applied to the token rows before the encoder",
               1e-7, 0, true, 1.0, 0});
  t.push_back(llama_like("llama", "LLaMA", NormKind::RmsNorm, false,
                         "input_layernorm of layer 0 (RMSNorm, inside layer 0 before attention, not on the input)"));
  t.push_back(llama_like("mistral", "Mistral", NormKind::RmsNorm, false,
                         "input_layernorm of layer 0 (RMSNorm, inside layer 0 before attention, not on the input)"));
  t.push_back(llama_like("qwen2", "Qwen2", NormKind::RmsNorm, false,
                         "input_layernorm of layer 0 (RMSNorm, inside layer 0 before attention, not on the input)"));
  t.push_back(llama_like("gemma", "Gemma", NormKind::RmsNormOnePlus, true,
                         "input_layernorm of layer 0 (RMSNorm scaled by 1 + weight, inside layer 0; Gemma also "
                         "multiplies the token rows by sqrt(d) before it, not shown)"));
  t.push_back({"gpt_neox", "GPT-NeoX", {"gpt_neox"}, "rope", true,
               {"gpt_neox.embed_in.weight", "embed_in.weight"}, {}, {},
               {"gpt_neox.layers.0.input_layernorm", "layers.0.input_layernorm"}, {"embed_out.weight"}, {}, {}, {},
               NormKind::LayerNorm, false, "input_layernorm of layer 0 (applied inside layer 0 before attention, not to the input)",
               1e-5, 0, false, 0.25, 0,
               {QkLayout::PerHeadFused, {"gpt_neox.layers.0.attention.query_key_value", "layers.0.attention.query_key_value"},
                {}, {}}});
  t.push_back({"bloom", "BLOOM", {"bloom"}, "alibi", true,
               {"word_embeddings.weight", "transformer.word_embeddings.weight"}, {}, {},
               {"word_embeddings_layernorm", "transformer.word_embeddings_layernorm"}, {"lm_head.weight"}, {}, {}, {},
               NormKind::LayerNorm, true,
               "word_embeddings_layernorm: applied to the token rows right after the lookup (BLOOM adds no positions)",
               1e-5, 0, true, 1.0, 0,
               {QkLayout::PerHeadFused, {"h.0.self_attention.query_key_value", "transformer.h.0.self_attention.query_key_value"},
                {}, {"h.0.input_layernorm", "transformer.h.0.input_layernorm"}}});
  t.push_back({"mpt", "MPT", {"mpt"}, "alibi", true,
               {"transformer.wte.weight", "wte.weight"}, {"transformer.wpe.weight", "wpe.weight"}, {},
               {"transformer.blocks.0.norm_1", "blocks.0.norm_1"}, {"lm_head.weight"}, {}, {}, {},
               NormKind::LayerNorm, false, "norm_1 of block 0 (inside the block before attention, not on the input)",
               1e-5, 0, true, 1.0, 0});
  t.push_back({"falcon", "Falcon", {"falcon", "RefinedWeb", "RefinedWebModel"}, "rope", true,
               {"transformer.word_embeddings.weight", "word_embeddings.weight"}, {}, {},
               {"transformer.h.0.input_layernorm", "transformer.h.0.ln_attn", "h.0.input_layernorm"},
               {"lm_head.weight"}, {}, {}, {},
               NormKind::LayerNorm, false, "input_layernorm of layer 0 (applied inside layer 0 before attention, not to the input)",
               1e-5, 0, true, 1.0, 0});
  t.push_back({"t5", "T5", {"t5", "mt5"}, "t5", false,
               {"shared.weight", "encoder.embed_tokens.weight"}, {}, {},
               {"encoder.block.0.layer.0.layer_norm"}, {"lm_head.weight"},
               {"encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"},
               {"decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"}, {},
               NormKind::RmsNorm, false,
               "layer_norm of encoder block 0 (RMSNorm, inside the block before self-attention, not on the input)",
               1e-6, 0, true, 1.0, 0});
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
