// The pipeline (see pipeline.h).
#include "pipeline.h"

#include "token_id_list.h"
#include "tokenizer.h"

#include <algorithm>
#include <atomic>
#include <cmath>

namespace es {

namespace {
std::atomic<uint64_t> g_next_version{1};
}  // namespace

std::shared_ptr<const Analysis> analyse(std::shared_ptr<const ModelSource> model, const AnalysisInput& input) {
  if (!model) throw Error("no model to analyse");
  auto a = std::shared_ptr<Analysis>(new Analysis());
  a->model_ = model;
  a->scheme_ = make_model_scheme(*model, input.scheme);
  const std::shared_ptr<const Tokenizer> tok = model->tokenizer();

  std::vector<int> ids;
  if (input.ids) {
    ids = *input.ids;
  } else if (std::optional<std::vector<int>> typed = parse_ids_line(input.text)) {
    ids = std::move(*typed);
  } else if (tok) {
    ids = tok->encode(input.text, input.special_tokens);
  } else {
    throw Error("the model " + model->name() + " has no tokenizer EmbedScope can read (" + model->tokenizer_note() +
                "), so type token ids, e.g. " + default_ids_line(*model));
  }
  if (ids.empty()) throw Error("the text gives no tokens (it is empty, or only what the tokenizer drops); type a sentence");
  a->text_ = input.text;

  const std::optional<LayerNormParams> ln = model->first_layer_norm();
  const LayerNormParams ln_used = ln ? *ln : identity_layer_norm(model->dim());
  a->norm_label_ = ln ? ln->label : "plain LayerNorm (gamma 1, beta 0): this model has none here";
  a->embedding_ = compute_input_embedding(*model, *a->scheme_, ids, &ln_used);
  a->interaction_ = a->scheme_->interaction(static_cast<long long>(ids.size()), model->dim());
  a->repeats_ = find_repeated_tokens(a->embedding_, *a->scheme_, tok.get(), &a->interaction_);

  for (int id : ids) {
    // Ids past the tokenizer's vocabulary (a table padded beyond it), ids without bytes and
    // models without a tokenizer get their id as the label.
    a->token_bytes_.push_back(tok && id >= 0 && id < tok->vocab_size() ? tok->token_bytes(id) : std::string());
    a->token_texts_.push_back(a->token_bytes_.back().empty() ? std::string("#").append(std::to_string(id))
                                                             : visible_token_text(a->token_bytes_.back()));
  }
  a->group_of_.assign(ids.size(), -1);
  for (std::size_t g = 0; g < a->repeats_.size(); ++g)
    for (int p : a->repeats_[g].positions) a->group_of_[static_cast<std::size_t>(p)] = static_cast<int>(g);
  for (int id : ids)
    if (std::find(a->distinct_ids_.begin(), a->distinct_ids_.end(), id) == a->distinct_ids_.end())
      a->distinct_ids_.push_back(id);
  a->version_ = g_next_version.fetch_add(1);
  return a;
}

std::string default_ids_line(const ModelSource& model) {
  // Ids 1 2 3 1 4, as in "the cat sat on the mat" with its repeat at position 3: small ids
  // that every table has (modulo V), cut to the position table's length when it is shorter.
  const long long v = std::max<long long>(1, model.vocab_size());
  std::size_t count = 5;
  if (std::optional<TableMap> pos = model.position_table())
    count = std::clamp<std::size_t>(static_cast<std::size_t>(pos->rows()), 1, count);
  const int pattern[] = {1, 2, 3, 1, 4};
  std::string line = "ids:";
  for (std::size_t i = 0; i < count; ++i) line.append(" ").append(std::to_string(pattern[i] % v));
  return line;
}

int Analysis::repeat_group_of(int position) const {
  if (position < 0 || position >= static_cast<int>(group_of_.size())) return -1;
  return group_of_[static_cast<std::size_t>(position)];
}

const PcaBasis* Analysis::pca() const {
  std::call_once(pca_once_, [this] {
    const InputEmbedding& e = embedding_;
    const long long n = e.token.rows(), d = e.token.cols();
    MatrixRM stacked(3 * n, d);  // (3n, d): token, position, combined
    stacked << e.token, e.position, e.combined;
    if (stacked.rows() < 2 || d < 2) return;
    pca_ = fit_pca(stacked, static_cast<int>(std::min<long long>(3, d)));
    projections_ = {pca_->project(e.token), pca_->project(e.position), pca_->project(e.combined)};
  });
  return pca_ ? &*pca_ : nullptr;
}

const std::array<MatrixRM, 3>& Analysis::projections() const {
  pca();
  return projections_;
}

MatrixRM Analysis::pair_differences(int i, int j) const {
  const InputEmbedding& e = embedding_;
  if (i < 0 || j < 0 || i >= length() || j >= length()) throw Error("pair_differences: position out of range");
  MatrixRM out(2, e.token.cols());  // (2, d)
  out.row(0) = e.token.row(j) - e.token.row(i);
  out.row(1) = e.combined.row(j) - e.combined.row(i);
  return out;
}

const Block0Attention* Analysis::block0() const {
  std::call_once(block0_once_, [this] {
    try {
      block0_ = block0_attention(*model_, *scheme_, embedding_, &block0_note_);
      if (block0_) block0_note_ = "real block-0 attention logits from " + block0_->source;
    } catch (const Error& e) {
      block0_.reset();
      block0_note_ = std::string("block-0 attention weights unreadable: ") + e.what();
    }
  });
  return block0_ ? &*block0_ : nullptr;
}

const std::string& Analysis::block0_note() const {
  block0();
  return block0_note_;
}

std::optional<double> Analysis::block0_pair_spread(int i, int j) const {
  const Block0Attention* b = block0();
  if (!b) return std::nullopt;
  std::optional<double> best;
  for (const MatrixRM& l : b->logits) {
    const double s = logit_row_spread(l, i, j);
    if (std::isfinite(s)) best = std::max(best.value_or(0.0), s);
  }
  return best;  // nullopt when they share fewer than two keys
}

std::vector<float> project_table(const TableMap& table, const PcaBasis& basis) {
  return project_table(TableView::of(table), basis);
}

std::vector<float> project_table(const TableView& table, const PcaBasis& basis) {
  const long long rows = table.rows, k = basis.components.rows();
  std::vector<float> out(static_cast<std::size_t>(rows * k));
  for_each_row_block(table, 4096, 1, [&](long long r0, long long nr, const float* x) {
    const MatrixRM p = basis.project(Eigen::Map<const MatrixRM>(x, nr, table.cols));  // (nr, k)
    std::copy(p.data(), p.data() + p.size(), out.begin() + r0 * k);
  });
  return out;
}

WeightCounts input_weight_counts(const ModelSource& m, const SchemeParams& scheme) {
  const std::optional<TableMap> pos = m.position_table();
  const std::optional<TableMap> types = m.token_type_table();
  const std::optional<LayerNormParams> ln = m.first_layer_norm();
  const bool rms = ln && ln->kind != NormKind::LayerNorm;
  WeightCounts c = count_input_weights(m.vocab_size(), pos ? pos->rows() + m.position_offset() : 0, m.dim(), scheme,
                                       m.tied_embeddings(), ln && ln->learned, types ? types->rows() : 0, rms ? 1 : 2);
  if (const std::optional<ModelSource::Projection> p = m.input_projection()) {
    c.projection = p->in * p->out + (p->bias ? p->out : 0);
    c.total += c.projection;
  }
  return c;
}

}  // namespace es
