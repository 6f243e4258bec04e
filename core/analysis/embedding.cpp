// The input embedding of a sequence (FACTS.md section 1).
#include "embedding.h"


#include <cmath>

namespace es {

std::string embedding_view_name(EmbeddingView view) {
  switch (view) {
    case EmbeddingView::Token: return "token";
    case EmbeddingView::Position: return "position";
    case EmbeddingView::Combined: return "combined";
    case EmbeddingView::Normed: return "normed";
  }
  return "unknown";
}

std::optional<EmbeddingView> parse_embedding_view(std::string_view name) {
  for (EmbeddingView v : {EmbeddingView::Token, EmbeddingView::Position, EmbeddingView::Combined,
                          EmbeddingView::Normed})
    if (name == embedding_view_name(v)) return v;
  return std::nullopt;
}

const MatrixRM& InputEmbedding::view(EmbeddingView v) const {
  switch (v) {
    case EmbeddingView::Token: return token;
    case EmbeddingView::Position: return position;
    case EmbeddingView::Combined: return combined;
    case EmbeddingView::Normed:
      if (!normed) throw Error("the LayerNorm view was not computed for this sequence");
      return *normed;
  }
  throw Error("unknown embedding view");
}

InputEmbedding compute_input_embedding(const ModelSource& model, const PositionScheme& scheme,
                                       std::span<const int> ids, const LayerNormParams* layer_norm) {
  if (ids.empty()) throw Error("the text gives no tokens: there is nothing to embed");
  const long long n = static_cast<long long>(ids.size());
  const long long d = model.dim();
  if (const std::optional<long long> max = scheme.max_positions(); max && n > *max) {
    // Say what to do, not only what is wrong: for the classroom model, a larger table; for any
    // model, a scheme without a table (sinusoidal, RoPE, ALiBi, ...) runs at any length.
    std::string todo = "shorten the text to " + std::to_string(*max) + " tokens, or choose a scheme without a table "
                       "(sinusoidal, RoPE, ALiBi) that covers any length";
    if (model.family() == "classroom")
      todo = "shorten the text to " + std::to_string(*max) + " tokens, open the classroom model with a longer table (model "
             "classroom:L=" + std::to_string(std::max<long long>(16, n)) + "), choose gpt2-untrained (1024 positions), or a "
             "scheme without a table (sinusoidal, RoPE, ALiBi)";
    throw Error("the text has " + std::to_string(n) + " tokens but " + model.name() +
                "'s learned position table covers only " + std::to_string(*max) + " positions (0.." +
                std::to_string(*max - 1) + "): " + todo);
  }
  // Up to four (n, d) views are kept: a pasted book (300,000 tokens at width 768) would take
  // gigabytes. At most 65,536 tokens and 2^25 values (128 MB) per view; README, Hardening.
  constexpr long long kMaxTokens = 1LL << 16, kMaxValues = 1LL << 25;
  const long long max_tokens = std::min(kMaxTokens, kMaxValues / std::max(d, 1LL));
  if (n > max_tokens)
    throw Error("the text has " + std::to_string(n) + " tokens; EmbedScope embeds at most " +
                std::to_string(max_tokens) + " tokens at once at width " + std::to_string(d) +
                "; shorten the text");
  InputEmbedding e;
  e.ids.assign(ids.begin(), ids.end());
  model.gather_token_rows(ids, e.token);  // (n, d)
  if (const double s = model.embedding_scale(); s != 1.0) e.token *= static_cast<float>(s);
  e.position_added = scheme.adds_to_input();
  if (e.position_added) {
    e.position = scheme.input_rows(n, d);  // (n, d)
    e.combined.noalias() = e.token + e.position;
  } else {
    e.position = MatrixRM::Zero(n, d);
    e.combined = e.token;
  }
  if (const std::optional<TableMap> types = model.token_type_table(); types && types->rows() > 0) {
    e.token_type_row = RowVectorF(types->row(0));
    e.combined.rowwise() += *e.token_type_row;
  }
  if (layer_norm) e.normed = layer_norm_rows(e.combined, *layer_norm);
  return e;
}

}  // namespace es
