#include "app_state.h"

#include "token_id_list.h"
#include "tokenizer.h"

#include <algorithm>
#include <array>

namespace es {

namespace {

constexpr std::array<const char*, kViewCount> kViewNames = {"tokens", "matrix", "pca",
                                                            "schemes", "model", "vocab"};
constexpr std::array<const char*, kViewCount> kViewTitles = {
    "Tokens", "Matrix", "PCA", "Schemes", "Model", "Vocabulary"};

}  // namespace

std::string default_ids_line(const ModelSource& model) {
  // Ids 1 2 3 1 4, as in "the cat sat on the mat" with its repeat at position 3: small ids
  // that every table has (modulo V), cut to the position table's length when it is shorter.
  const long long v = std::max<long long>(1, model.vocab_size());
  std::size_t count = 5;
  if (std::optional<TableMap> pos = model.position_table())
    count = std::clamp<std::size_t>(static_cast<std::size_t>(pos->rows()), 1, count);
  const int pattern[] = {1, 2, 3, 1, 4};
  std::string line = "ids:";
  for (std::size_t i = 0; i < count; ++i) line += " " + std::to_string(pattern[i] % v);
  return line;
}

const char* view_id_name(ViewId v) { return kViewNames[static_cast<int>(v)]; }
const char* view_id_title(ViewId v) { return kViewTitles[static_cast<int>(v)]; }
std::optional<ViewId> parse_view_id(std::string_view name) {
  for (int i = 0; i < kViewCount; ++i)
    if (name == kViewNames[i]) return static_cast<ViewId>(i);
  if (name == "vocabulary") return ViewId::Vocab;
  return std::nullopt;
}

AppState::AppState() {
  std::shared_ptr<const ModelSource> m = make_classroom_model();
  SchemeParams p = m->default_scheme();
  p.kind = "learned";
  if (!recompute(m, p, "the cat sat on the mat", false))
    throw Error("the built-in default could not be computed: " + status_);
  repeat_sentence_ = suggest_repeat_sentence(model_->tokenizer().get());
  status_ = "Classroom model loaded: the two \"the\" share a token row; learned positions make "
            "their combined rows differ.";
}

bool AppState::recompute(std::shared_ptr<const ModelSource> model, const SchemeParams& params,
                         const std::string& text, bool scheme_from_model) {
  try {
    std::unique_ptr<PositionScheme> scheme =
        scheme_from_model ? make_model_scheme(*model) : make_model_scheme(*model, params);
    std::shared_ptr<const Tokenizer> tok = model->tokenizer();
    std::vector<int> ids;
    if (std::optional<std::vector<int>> typed = parse_ids_line(text)) {
      ids = std::move(*typed);
    } else if (tok) {
      ids = tok->encode(text);
      if (ids.empty()) throw Error("the text has no tokens; type a sentence");
    } else {
      throw Error("the model " + model->name() + " has no tokenizer EmbedScope can read, so type token ids: " +
                  default_ids_line(*model));
    }
    std::optional<LayerNormParams> ln = model->first_layer_norm();
    LayerNormParams ln_used = ln ? *ln : identity_layer_norm(model->dim());
    InputEmbedding emb = compute_input_embedding(*model, *scheme, ids, &ln_used);
    MatrixRM s = scheme->interaction(static_cast<long long>(ids.size()), model->dim());
    std::vector<RepeatedTokenGroup> groups = find_repeated_tokens(emb, *scheme, tok.get(), &s);

    std::vector<std::string> texts, bytes;
    for (int id : ids) {
      // Ids past the tokenizer's vocabulary (a table padded beyond it), ids without bytes (unused
      // ids between added tokens) and models without a tokenizer get their id as the label.
      bytes.push_back(tok && id >= 0 && id < tok->vocab_size() ? tok->token_bytes(id) : std::string());
      texts.push_back(bytes.back().empty() ? "#" + std::to_string(id) : visible_token_text(bytes.back()));
    }
    // One PCA basis over token, position and combined rows, so switching views keeps axes.
    std::optional<PcaBasis> pca;
    {
      const long long n = emb.token.rows(), d = emb.token.cols();
      MatrixRM stacked(3 * n, d);
      stacked << emb.token, emb.position, emb.combined;
      if (stacked.rows() >= 2 && d >= 2) pca = fit_pca(stacked, std::min<long long>(3, d));
    }

    const bool model_changed = model != model_;
    model_ = std::move(model);
    scheme_ = std::move(scheme);
    text_ = text;
    emb_ = std::move(emb);
    interaction_ = std::move(s);
    repeats_ = std::move(groups);
    token_texts_ = std::move(texts);
    token_bytes_ = std::move(bytes);
    pca_ = std::move(pca);
    ln_label_ = ln ? ln->label : "plain LayerNorm (gamma 1, beta 0): this model has none here";
    group_of_.assign(emb_.ids.size(), -1);
    for (size_t g = 0; g < repeats_.size(); ++g)
      for (int p : repeats_[g].positions) group_of_[static_cast<size_t>(p)] = static_cast<int>(g);
    colour_slots_.clear();
    for (int id : emb_.ids)
      if (std::find(colour_slots_.begin(), colour_slots_.end(), id) == colour_slots_.end())
        colour_slots_.push_back(id);
    if (selected_position >= length()) selected_position = -1;
    ++version_;
    if (model_changed) {
      ++model_version_;
      repeat_sentence_ = suggest_repeat_sentence(tok.get());
    }
    return true;
  } catch (const std::exception& e) {
    set_status(std::string(e.what()) + " (kept the previous state)", true);
    return false;
  }
}

bool AppState::set_text(const std::string& text) {
  if (text == text_) return true;
  bool ok = recompute(model_, scheme_->params(), text, false);
  if (ok && status_error_) set_status("");
  return ok;
}

bool AppState::set_scheme(const SchemeParams& params) {
  bool ok = recompute(model_, params, text_, false);
  if (ok) set_status("Position scheme: " + scheme_->describe());
  return ok;
}

bool AppState::set_text_and_scheme(const std::optional<std::string>& text,
                                   const std::optional<SchemeParams>& params) {
  if (!text && !params) return true;
  const bool ok = recompute(model_, params.value_or(scheme_->params()), text.value_or(text_), false);
  if (ok && params) set_status("Position scheme: " + scheme_->describe());
  return ok;
}

SchemeParams AppState::params_for_kind(std::string_view kind) const {
  const SchemeInfo& info = scheme_info(kind);
  if (model_->default_scheme().kind == info.name) return model_->default_scheme();
  SchemeParams p = scheme_->params();
  p.kind = info.name;
  if (info.adopt) info.adopt(p);
  return p;
}

bool AppState::set_model(std::shared_ptr<const ModelSource> model, const std::string& spec) {
  // A model without a readable tokenizer cannot turn the current sentence into ids: it opens
  // on an ids line with a repeated id instead, and the status says how to type others.
  std::string text = text_;
  bool typed_ids = false;
  if (!is_ids_line(text)) {
    std::shared_ptr<const Tokenizer> tok;
    try {
      tok = model->tokenizer();
    } catch (const std::exception& e) {
      set_status(std::string("Could not open ") + spec + ": " + e.what() + " (kept " + model_->name() + ")", true);
      return false;
    }
    if (!tok) {
      text = default_ids_line(*model);
      typed_ids = true;
    }
  }
  bool ok = recompute(model, model->default_scheme(), text, true);
  if (ok) {
    model_spec_ = spec;
    if (typed_ids)
      set_status("No tokenizer EmbedScope can read comes with this model (" + model_->tokenizer_note() +
                 "): the text box takes token ids, e.g. " + text + ". Model: " + model_->label());
    else
      set_status("Model: " + model_->label());
  }
  return ok;
}

void AppState::open_model_now(const std::string& spec) {
  std::shared_ptr<const ModelSource> m = open_model(spec);
  if (!set_model(m, spec)) throw Error(status_);
}

void AppState::begin_open_model(const std::string& spec) {
  if (loading()) {
    set_status("Still opening " + loading_spec_ + "; wait for it to finish.", true);
    return;
  }
  loading_spec_ = spec;
  loading_start_ = std::chrono::steady_clock::now();
  loading_ = std::async(std::launch::async, [spec]() -> std::shared_ptr<const ModelSource> {
    return open_model(spec);
  });
  set_status("Opening " + spec + " ...");
}

double AppState::loading_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - loading_start_).count();
}

void AppState::poll() {
  if (!loading() || loading_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  try {
    std::shared_ptr<const ModelSource> m = loading_.get();
    set_model(std::move(m), loading_spec_);
  } catch (const std::exception& e) {
    set_status("Could not open " + loading_spec_ + ": " + e.what() + " (kept " + model_->name() + ")",
               true);
  }
  loading_ = {};
}

int AppState::repeat_group_of(int position) const {
  if (position < 0 || position >= static_cast<int>(group_of_.size())) return -1;
  return group_of_[static_cast<size_t>(position)];
}

int AppState::colour_slot(int id) const {
  auto it = std::find(colour_slots_.begin(), colour_slots_.end(), id);
  if (it != colour_slots_.end()) return static_cast<int>(it - colour_slots_.begin());
  return static_cast<int>(colour_slots_.size()) + (id % 97);
}

void AppState::set_status(std::string message, bool error) {
  status_ = std::move(message);
  status_error_ = error;
}

}  // namespace es
