// embedscope-cli info / models: what a model is made of, and which models the cache holds.
#include "analysis.h"
#include "hf_cache.h"
#include "open_model.h"
#include "checkpoint.h"
#include "file_text.h"
#include "cli_args.h"
#include "pipeline.h"
#include "model_source.h"
#include "safetensors.h"

#include <cstdio>
#include <iostream>
#include <sstream>

namespace es::cli {

namespace {


// 38597376 -> "38,597,376"
std::string grouped(long long n) { return grouped_number(n); }

int cmd_info(Args& a) {
  const std::string spec = a.require("model");
  a.finish();
  const std::unique_ptr<ModelSource> m = open_model(spec);
  std::ostream& os = std::cout;
  const long long v = m->vocab_size(), d = m->dim();
  os << "model\t" << m->name() << "\n";
  os << "label\t" << m->label() << "\n";
  os << "family\t" << m->family() << "\n";
  os << "trained\t" << (m->trained() ? "yes" : "no (random initialisation)") << "\n";
  if (m->size_bytes() > 0) os << "size\t" << format_bytes(m->size_bytes()) << "\n";
  os << "vocab\t" << v << "\n";
  os << "width\t" << d << "\n";
  os << "heads\t" << (m->num_heads() > 0 ? std::to_string(m->num_heads()) : "unknown") << "\n";
  os << "dtype\t" << m->dtype() << "\n";

  os << "tensors:\n";
  for (const TensorInfo& t : m->tensors()) {
    os << "  " << t.role << "\t" << t.name;
    if (!t.dtype.empty()) os << "\t" << t.dtype << "\t" << (t.shape.empty() ? "-" : shape_text(t.shape));
    os << "\n";
  }

  const SchemeParams p = m->default_scheme();
  const std::unique_ptr<PositionScheme> scheme = make_model_scheme(*m);
  os << "scheme\t" << p.kind << "\n";
  os << "scheme parameters\t" << scheme->describe() << "\n";
  os << "where position enters\t" << scheme->where_position_enters() << "\n";
  os << "adds to the input\t" << (scheme->adds_to_input() ? "yes" : "no: equal tokens have identical input rows")
     << "\n";
  if (const std::optional<long long> lmax = scheme->max_positions()) os << "max positions\t" << *lmax << "\n";
  const std::optional<LayerNormParams> ln = m->first_layer_norm();
  if (ln)
    os << "first norm\t"
       << (ln->kind == NormKind::LayerNorm      ? (ln->learned ? "LayerNorm" : "LayerNorm without weights")
           : ln->kind == NormKind::RmsNorm      ? "RMSNorm"
                                                : "RMSNorm with (1 + weight)")
       << ": " << ln->label << " (eps " << ln->eps << ")\n";
  else os << "first norm\tnone before block 0's attention\n";
  if (m->embedding_scale() != 1.0)
    os << "embedding scale\ttoken rows multiplied by " << m->embedding_scale() << " before anything is added\n";
  if (const auto proj = m->input_projection())
    os << "projection\t" << proj->name << ": " << proj->in << " -> " << proj->out << " wide, after the first norm\n";
  if (m->position_offset()) os << "position offset\ttoken i uses position row i + " << m->position_offset() << "\n";
  if (!m->config_note().empty()) os << "not applied\t" << m->config_note() << "\n";
  os << "S means\t" << scheme->interaction_meaning() << "\n";
  const SchemeData data = m->scheme_data();
  // The scheme's own trained weights (T5's tables, DeBERTa's relative embeddings): where they came from.
  if (const SchemeInfo& info = scheme_info(p.kind); !info.needs_data && std::string_view(info.weights) != "0") {
    std::string where = data.source.empty() ? "not in the checkpoint" : data.source;
    if (!data.source_causal.empty()) where += "; " + data.source_causal;
    os << info.title << " weights\t" << where << "\n";
  }

  const bool rms = ln && ln->kind != NormKind::LayerNorm;
  const WeightCounts c = input_weight_counts(*m, p);
  os << "input-stage weights:\n";
  os << "  token table\t" << grouped(c.token_table) << "\n";
  os << "  position table\t" << grouped(c.position_table) << "\n";
  if (c.scheme_bias) os << "  " << c.scheme_bias_label << "\t" << grouped(c.scheme_bias) << "\n";
  if (c.token_type_table) os << "  token-type table\t" << grouped(c.token_type_table) << "\n";
  os << (rms ? "  RMSNorm\t" : "  LayerNorm\t") << grouped(c.layer_norm) << "\n";
  if (c.projection) os << "  projection to the hidden size\t" << grouped(c.projection) << "\n";
  os << "  total\t" << grouped(c.total) << "\n";
  os << "tied embeddings\t"
     << (m->tied_embeddings() ? "yes: the output head reuses the token table, saving " + grouped(c.tying_saving) +
                                    " weights"
                              : std::string("no: the output head has its own matrix"))
     << "\n";
  try {
    const std::shared_ptr<const Tokenizer> tok = m->tokenizer();
    os << "tokenizer\t"
       << (tok ? tok->name() + " (" + std::to_string(tok->vocab_size()) + " tokens)"
               : "none readable (" + m->tokenizer_note() + "); give token ids with --ids")
       << "\n";
  } catch (const Error& e) {
    os << "tokenizer\tunusable: " << e.what() << "\n";
  }
  return 0;
}

int cmd_models(Args& a) {
  a.finish();
  const std::filesystem::path dir = hf_hub_cache_dir();
  const std::vector<CachedModel> models = list_cached_models();
  if (models.empty()) {
    std::cout << "no models in the Hugging Face cache at " << dir.string()
              << " (set HF_HUB_CACHE or HF_HOME to look elsewhere)\n";
    return 0;
  }
  std::cout << "# cache: " << dir.string() << "\n";
  std::cout << "# name\tsize\tfamily\tscheme\tsnapshot\n";
  for (const CachedModel& m : models)
    std::cout << m.name << "\t"
              << (m.unfinished ? "download unfinished (run download again)"
                               : m.size_bytes ? format_bytes(m.size_bytes) : "no safetensors")
              << "\t"
              << (m.family.empty() ? "?" : m.family) << "\t" << (m.scheme.empty() ? "?" : m.scheme) << "\t"
              << m.snapshot.string() << "\n";
  return 0;
}

}  // namespace

ES_CLI_COMMAND({"info", "info --model MODEL",
                "What a model's input stage is made of: family, tensors with dtypes and shapes, the\n"
                "position scheme with its parameters and where position enters, input-stage weight\n"
                "counts, weight tying, and the tokenizer. MODEL: classroom, gpt2-untrained, a\n"
                "safetensors file or folder, or a Hugging Face cache name (gpt2).",
                cmd_info});
ES_CLI_COMMAND({"models", "models",
                "The models in the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub, else\n"
                "~/.cache/huggingface/hub), tab-separated: name, size of the safetensors weights,\n"
                "family, position scheme, snapshot folder.",
                cmd_models});

}  // namespace es::cli
