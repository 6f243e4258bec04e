// The family table (see model_family.h). Names and defaults from the transformers classes of
// each family (FACTS.md sections 2, 7 and 8).
#include "model_family.h"

#include <algorithm>
#include <initializer_list>

namespace es {

namespace {

constexpr const char* kRmsInsideLayer0 =
    "input_layernorm of layer 0 (RMSNorm, inside layer 0 before attention, not on the input)";
constexpr const char* kLayerNormInsideLayer0 =
    "input_layernorm of layer 0 (LayerNorm, applied inside layer 0 before attention, not to the input)";
constexpr const char* kGemmaNorm =
    "input_layernorm of layer 0 (RMSNorm scaled by 1 + weight, inside layer 0; the token rows are multiplied by "
    "sqrt(d) before it)";
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

// The LayerNorm decoders with LLaMA's tensor names (Phi, StableLM, StarCoder2): LayerNorm with
// bias in layer 0, q_proj / k_proj with biases, a share of each head rotated.
FamilyInfo layer_norm_decoder(const char* family, const char* display, double rotary_fraction) {
  FamilyInfo f = llama_like(family, display, NormKind::LayerNorm, false, kLayerNormInsideLayer0);
  f.default_eps = 1e-5;
  f.default_rotary_fraction = rotary_fraction;
  return f;
}

// Per-head q_norm / k_norm of layer 0 (Qwen3, Gemma 3).
void with_qk_norm(FamilyInfo& f, QkNormShape shape) {
  f.attention.q_norm = {"model.layers.0.self_attn.q_norm", "layers.0.self_attn.q_norm",
                        "model.language_model.layers.0.self_attn.q_norm", "language_model.model.layers.0.self_attn.q_norm"};
  f.attention.k_norm = {"model.layers.0.self_attn.k_norm", "layers.0.self_attn.k_norm",
                        "model.language_model.layers.0.self_attn.k_norm", "language_model.model.layers.0.self_attn.k_norm"};
  f.attention.qk_norm_shape = shape;
}

// Gemma 2 and 3: Gemma's norms and sqrt(d) scale; Gemma 3 multimodal checkpoints keep the text
// model under model.language_model. (or language_model.model.).
FamilyInfo gemma_like(const char* family, const char* display, std::vector<const char*> types) {
  FamilyInfo f = llama_like(family, display, NormKind::RmsNormOnePlus, true, kGemmaNorm);
  f.model_types = std::move(types);
  f.embedding_scale = EmbeddingScale::SqrtWidth;
  f.token = {"model.embed_tokens.weight", "embed_tokens.weight", "model.language_model.embed_tokens.weight",
             "language_model.model.embed_tokens.weight"};
  f.norm = {"model.layers.0.input_layernorm", "layers.0.input_layernorm",
            "model.language_model.layers.0.input_layernorm", "language_model.model.layers.0.input_layernorm"};
  f.attention.qkv = {"model.layers.0.self_attn.q_proj", "layers.0.self_attn.q_proj",
                     "model.language_model.layers.0.self_attn.q_proj", "language_model.model.layers.0.self_attn.q_proj"};
  f.attention.k = {"model.layers.0.self_attn.k_proj", "layers.0.self_attn.k_proj",
                   "model.language_model.layers.0.self_attn.k_proj", "language_model.model.layers.0.self_attn.k_proj"};
  return f;
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
               .attention = {.layout = QkLayout::Separate,
                             .qkv = {"bert.encoder.layer.0.attention.self.query", "encoder.layer.0.attention.self.query"},
                             .k = {"bert.encoder.layer.0.attention.self.key", "encoder.layer.0.attention.self.key"},
                             .distance = {"bert.encoder.layer.0.attention.self.distance_embedding",
                                          "encoder.layer.0.attention.self.distance_embedding"}},
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
               .offset_from_pad = true,
               .ties_by_default = true,
               .default_rotary_fraction = 1.0,
               .token_types_in_input = 1,
               .attention = {.layout = QkLayout::Separate,
                             .qkv = {"roberta.encoder.layer.0.attention.self.query", "encoder.layer.0.attention.self.query"},
                             .k = {"roberta.encoder.layer.0.attention.self.key", "encoder.layer.0.attention.self.key"},
                             .distance = {"roberta.encoder.layer.0.attention.self.distance_embedding",
                                          "encoder.layer.0.attention.self.distance_embedding"}},
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
  t.back().layer0_sliding = true;
  t.push_back(llama_like("qwen2", "Qwen2", NormKind::RmsNorm, false, kRmsInsideLayer0));
  t.push_back(llama_like("gemma", "Gemma", NormKind::RmsNormOnePlus, true, kGemmaNorm));
  t.back().embedding_scale = EmbeddingScale::SqrtWidth;
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
  t.push_back({.family = "opt",
               .display = "OPT",
               .model_types = {"opt"},
               .scheme = "learned",
               .causal = true,
               .token = {"model.decoder.embed_tokens.weight", "decoder.embed_tokens.weight"},
               .position = {"model.decoder.embed_positions.weight", "decoder.embed_positions.weight"},
               .norm = {"model.decoder.layers.0.self_attn_layer_norm", "decoder.layers.0.self_attn_layer_norm"},
               .head = {"lm_head.weight"},
               .norm_kind = NormKind::LayerNorm,
               .norm_on_input = false,
               .norm_label = "self_attn_layer_norm of layer 0 (applied inside layer 0 before attention, not to the input)",
               .default_eps = 1e-5,
               .position_offset = 2,
               .ties_by_default = true,
               .default_rotary_fraction = 1.0,
               .token_types_in_input = 0,
               .attention = {QkLayout::Separate,
                             {"model.decoder.layers.0.self_attn.q_proj", "decoder.layers.0.self_attn.q_proj"},
                             {"model.decoder.layers.0.self_attn.k_proj", "decoder.layers.0.self_attn.k_proj"}}});
  t.back().opt_input_checks = true;
  for (const bool pre_ln : {false, true})
    t.push_back({.family = pre_ln ? "mbart" : "bart",
                 .display = pre_ln ? "mBART" : "BART",
                 .model_types = {pre_ln ? "mbart" : "bart"},
                 .scheme = "learned",
                 .causal = false,
                 .token = {"model.shared.weight", "shared.weight", "model.encoder.embed_tokens.weight",
                           "encoder.embed_tokens.weight"},
                 .position = {"model.encoder.embed_positions.weight", "encoder.embed_positions.weight"},
                 .norm = {"model.encoder.layernorm_embedding", "encoder.layernorm_embedding"},
                 .head = {"lm_head.weight"},
                 .norm_kind = NormKind::LayerNorm,
                 .norm_on_input = true,
                 .norm_label = "encoder.layernorm_embedding: applied to token + position rows, before encoder layer 0",
                 .default_eps = 1e-5,
                 .position_offset = 2,
                 .ties_by_default = true,
                 .default_rotary_fraction = 1.0,
                 .embedding_scale = EmbeddingScale::SqrtWidthIfConfigured,
                 .token_types_in_input = 0,
                 .attention = {QkLayout::Separate,
                               {"model.encoder.layers.0.self_attn.q_proj", "encoder.layers.0.self_attn.q_proj"},
                               {"model.encoder.layers.0.self_attn.k_proj", "encoder.layers.0.self_attn.k_proj"},
                               pre_ln ? std::vector<const char*>{"model.encoder.layers.0.self_attn_layer_norm",
                                                                 "encoder.layers.0.self_attn_layer_norm"}
                                      : std::vector<const char*>{}}});
  t.push_back({.family = "distilbert",
               .display = "DistilBERT",
               .model_types = {"distilbert"},
               .scheme = "learned",
               .causal = false,
               .token = {"distilbert.embeddings.word_embeddings.weight"},
               .position = {"distilbert.embeddings.position_embeddings.weight"},
               .norm = {"distilbert.embeddings.LayerNorm"},
               .norm_kind = NormKind::LayerNorm,
               .norm_on_input = true,
               .norm_label = "embeddings.LayerNorm: applied to token + position rows, before layer 0",
               .default_eps = 1e-12,
               .position_offset = 0,
               .ties_by_default = true,
               .default_rotary_fraction = 1.0,
               .token_types_in_input = 0,
               .attention = {QkLayout::Separate,
                             {"distilbert.transformer.layer.0.attention.q_lin"},
                             {"distilbert.transformer.layer.0.attention.k_lin"}}});
  t.push_back({.family = "albert",
               .display = "ALBERT",
               .model_types = {"albert"},
               .scheme = "learned",
               .causal = false,
               .token = {"albert.embeddings.word_embeddings.weight"},
               .position = {"albert.embeddings.position_embeddings.weight"},
               .token_type = {"albert.embeddings.token_type_embeddings.weight"},
               .norm = {"albert.embeddings.LayerNorm"},
               .norm_kind = NormKind::LayerNorm,
               .norm_on_input = true,
               .norm_label = "embeddings.LayerNorm at embedding_size, then encoder.embedding_hidden_mapping_in to the "
                             "hidden size, before layer 0",
               .default_eps = 1e-12,
               .position_offset = 0,
               .ties_by_default = true,
               .default_rotary_fraction = 1.0,
               .token_types_in_input = 1,
               .attention = {QkLayout::Separate,
                             {"albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query"},
                             {"albert.encoder.albert_layer_groups.0.albert_layers.0.attention.key"},
                             {},
                             {"albert.encoder.embedding_hidden_mapping_in"}}});
  t.push_back({.family = "electra",
               .display = "ELECTRA",
               .model_types = {"electra"},
               .scheme = "learned",
               .causal = false,
               .token = {"electra.embeddings.word_embeddings.weight"},
               .position = {"electra.embeddings.position_embeddings.weight"},
               .token_type = {"electra.embeddings.token_type_embeddings.weight"},
               .norm = {"electra.embeddings.LayerNorm"},
               .norm_kind = NormKind::LayerNorm,
               .norm_on_input = true,
               .norm_label = "embeddings.LayerNorm at embedding_size, then embeddings_project to the hidden size "
                             "(when the sizes differ), before layer 0",
               .default_eps = 1e-12,
               .position_offset = 0,
               .ties_by_default = true,
               .default_rotary_fraction = 1.0,
               .token_types_in_input = 1,
               .attention = {QkLayout::Separate,
                             {"electra.encoder.layer.0.attention.self.query"},
                             {"electra.encoder.layer.0.attention.self.key"},
                             {},
                             {"electra.embeddings_project"}}});
  for (const bool codegen : {false, true})
    t.push_back({.family = codegen ? "codegen" : "gptj",
                 .display = codegen ? "CodeGen" : "GPT-J",
                 .model_types = {codegen ? "codegen" : "gptj"},
                 .scheme = "rope",
                 .causal = true,
                 .token = {"transformer.wte.weight", "wte.weight"},
                 .norm = {"transformer.h.0.ln_1", "h.0.ln_1"},
                 .head = {"lm_head.weight"},
                 .norm_kind = NormKind::LayerNorm,
                 .norm_on_input = false,
                 .norm_label = "ln_1 of block 0 (applied inside block 0 before attention, not to the input)",
                 .default_eps = 1e-5,
                 .position_offset = 0,
                 .ties_by_default = false,
                 .default_rotary_fraction = 1.0,
                 .interleaved_pairs = true,
                 .token_types_in_input = 0,
                 .attention = codegen ? AttentionNames{QkLayout::Mp4Fused,
                                                       {"transformer.h.0.attn.qkv_proj", "h.0.attn.qkv_proj"}}
                                      : AttentionNames{QkLayout::Separate,
                                                       {"transformer.h.0.attn.q_proj", "h.0.attn.q_proj"},
                                                       {"transformer.h.0.attn.k_proj", "h.0.attn.k_proj"}}});
  t.push_back(layer_norm_decoder("phi", "Phi", 0.5));
  with_qk_norm(t.back(), QkNormShape::PerHead);  // only when qk_layernorm: q_layernorm / k_layernorm
  t.back().attention.q_norm = {"model.layers.0.self_attn.q_layernorm", "layers.0.self_attn.q_layernorm"};
  t.back().attention.k_norm = {"model.layers.0.self_attn.k_layernorm", "layers.0.self_attn.k_layernorm"};
  t.back().attention.qk_norm_optional = true;
  t.push_back(layer_norm_decoder("stablelm", "StableLM", 0.25));
  t.back().qk_layernorm_unread = true;
  t.push_back(layer_norm_decoder("starcoder2", "StarCoder2", 1.0));
  t.back().layer0_sliding = true;
  t.push_back(llama_like("phi3", "Phi-3", NormKind::RmsNorm, false, kRmsInsideLayer0));
  t.back().attention = {QkLayout::StackedFused, {"model.layers.0.self_attn.qkv_proj", "layers.0.self_attn.qkv_proj"}};
  t.back().layer0_sliding = true;
  t.push_back(llama_like("qwen3", "Qwen3", NormKind::RmsNorm, false, kRmsInsideLayer0));
  with_qk_norm(t.back(), QkNormShape::PerHead);
  t.push_back(gemma_like("gemma2", "Gemma 2", {"gemma2"}));
  t.back().layer0_sliding = true;
  t.back().logit_softcap = true;
  t.push_back(gemma_like("gemma3", "Gemma 3", {"gemma3_text", "gemma3"}));
  t.back().layer0_sliding = true;
  t.back().local_rope_layer0 = true;
  with_qk_norm(t.back(), QkNormShape::PerHead);
  t.push_back(llama_like("olmo", "OLMo", NormKind::LayerNorm, false,
                         "input_layernorm of layer 0 (LayerNorm without weights, inside layer 0 before attention)"));
  t.back().norm_has_weights = false;
  t.back().default_eps = 1e-5;
  t.push_back(llama_like("olmo2", "OLMo 2", NormKind::RmsNorm, false,
                         "none before attention: OLMo 2 normalises after each sublayer, and normalises q and k"));
  t.back().norm = {};
  t.back().attention_reads_raw_input = true;
  with_qk_norm(t.back(), QkNormShape::Whole);
  t.push_back(llama_like("gpt_oss", "gpt-oss", NormKind::RmsNorm, false, kRmsInsideLayer0));
  t.back().default_eps = 1e-5;
  t.back().layer0_sliding = true;
  t.push_back(llama_like("deepseek_v3", "DeepSeek-V3", NormKind::RmsNorm, false, kRmsInsideLayer0));
  t.back().model_types = {"deepseek_v3", "deepseek_v2"};
  t.back().interleaved_pairs = true;
  t.back().attention = {};
  t.back().attention.layout = QkLayout::Unread;
  t.back().attention.unread_why = ("DeepSeek's multi-head latent attention (q_a_proj, kv_a_proj_with_mqa: queries and keys "
                        "rebuilt from low-rank latents, with a separate rotary part) is not computed by EmbedScope");
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

const FamilyInfo* guess_family(const std::vector<std::string>& names, std::string* ambiguous) {
  auto has = [&](std::string_view n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  auto any = [&](std::initializer_list<std::string_view> ns) {
    return std::any_of(ns.begin(), ns.end(), [&](std::string_view n) { return has(n); });
  };
  auto refuse = [&](const char* why) -> const FamilyInfo* {
    if (ambiguous) *ambiguous = why;
    return nullptr;
  };
  // Only where the names cannot belong to a family that reads the same tensors differently.
  if (has("transformer.blocks.0.norm_1.weight")) return find_family("mpt");
  if (any({"deberta.encoder.rel_embeddings.weight", "encoder.rel_embeddings.weight"})) return find_family("deberta-v2");
  if (has("roberta.embeddings.word_embeddings.weight")) return find_family("roberta");
  if (has("bert.embeddings.word_embeddings.weight")) return find_family("bert");
  if (has("distilbert.embeddings.word_embeddings.weight")) return find_family("distilbert");
  if (has("albert.embeddings.word_embeddings.weight")) return find_family("albert");
  if (has("electra.embeddings.word_embeddings.weight")) return find_family("electra");
  if (has("embeddings.word_embeddings.weight"))
    return refuse("embeddings.word_embeddings.weight without a class prefix is written by BERT, RoBERTa (whose "
                  "positions start at row 2), ELECTRA and others");
  if (any({"word_embeddings_layernorm.weight", "transformer.word_embeddings_layernorm.weight"})) return find_family("bloom");
  if (has("transformer.word_embeddings.weight")) return find_family("falcon");
  if (has("word_embeddings.weight")) return find_family("bloom");
  if (any({"model.decoder.embed_positions.weight", "decoder.embed_positions.weight"}) &&
      !any({"model.encoder.embed_positions.weight", "encoder.embed_positions.weight"}))
    return find_family("opt");
  if (any({"model.encoder.embed_positions.weight", "encoder.embed_positions.weight"}))
    return refuse("BART and mBART write the same names but differ in their norms and in scale_embedding");
  if (any({"transformer.h.0.attn.q_proj.weight", "h.0.attn.q_proj.weight"})) return find_family("gptj");
  if (any({"transformer.h.0.attn.qkv_proj.weight", "h.0.attn.qkv_proj.weight"})) return find_family("codegen");
  if (any({"wte.weight", "transformer.wte.weight"}) && any({"wpe.weight", "transformer.wpe.weight"}))
    return find_family("gpt2");
  if (any({"wte.weight", "transformer.wte.weight"}))
    return refuse("wte.weight without a position table (wpe.weight) is not a whole GPT-2, and MPT, GPT-J and "
                  "CodeGen write wte.weight too");
  if (any({"gpt_neox.embed_in.weight", "embed_in.weight"})) return find_family("gpt_neox");
  if (any({"encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
           "encoder.block.0.layer.0.SelfAttention.q.weight"}))
    return find_family("t5");
  if (any({"model.embed_tokens.weight", "embed_tokens.weight"}))
    return refuse("model.embed_tokens.weight is written by LLaMA, Mistral, Qwen2 and 3, Gemma (which scales the rows "
                  "by sqrt(d)), Phi (LayerNorm), OLMo and others, which read it differently");
  return nullptr;
}

std::string family_model_types() {
  std::string s;
  for (const FamilyInfo& f : family_table())
    for (const char* t : f.model_types) s += (s.empty() ? "" : ", ") + std::string(t);
  return s;
}

}  // namespace es
