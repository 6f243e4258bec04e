#include "app_state.h"
#include "threads.h"
#include "open_model.h"

#include "token_id_list.h"
#include "tokenizer.h"

#include <algorithm>
#include <array>

namespace es {

namespace {

constexpr std::array<const char*, kViewCount> kViewNames = {"tokens", "matrix", "pca",
                                                            "schemes", "model", "vocab", "train", "lesson"};
constexpr std::array<const char*, kViewCount> kViewTitles = {
    "Tokens", "Matrix", "PCA", "Schemes", "Model", "Vocabulary", "Train", "Lesson"};

}  // namespace

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
  if (!recompute(m, p, default_sentence(), false))
    throw Error("the built-in default could not be computed: " + status_);
  status_ = "Classroom model loaded: the two \"the\" share a token row; learned positions make "
            "their combined rows differ.";
}

bool AppState::recompute(std::shared_ptr<const ModelSource> model, const SchemeParams& params,
                         const std::string& text, bool scheme_from_model) {
  try {
    AnalysisInput input;
    input.text = text;
    input.special_tokens = special_tokens_;
    if (!scheme_from_model) input.scheme = params;
    std::shared_ptr<const Analysis> next = analyse(model, input);
    const bool model_changed = !analysis_ || model != analysis_->model();
    analysis_ = std::move(next);
    if (selected_position >= length()) selected_position = -1;
    if (model_changed) {
      ++model_version_;
      repeat_sentence_ = suggest_repeat_sentence(model->tokenizer().get());
    }
    return true;
  } catch (const std::exception& e) {
    set_status(std::string(e.what()) + " (kept the previous state)", true);
    return false;
  }
}

bool AppState::set_text(const std::string& text) {
  if (text == this->text()) return true;
  bool ok = recompute(analysis_->model(), scheme_params(), text, false);
  if (ok && status_error_) set_status("");
  return ok;
}

bool AppState::set_special_tokens(bool on) {
  if (on == special_tokens_) return true;
  special_tokens_ = on;
  if (recompute(analysis_->model(), scheme_params(), text(), false)) return true;
  special_tokens_ = !on;  // e.g. the added tokens would pass the model's position table
  return false;
}

bool AppState::set_scheme(const SchemeParams& params) {
  bool ok = recompute(analysis_->model(), params, text(), false);
  if (ok) set_status("Position scheme: " + scheme().describe());
  return ok;
}

bool AppState::set_text_and_scheme(const std::optional<std::string>& text,
                                   const std::optional<SchemeParams>& params) {
  if (!text && !params) return true;
  const bool ok = recompute(analysis_->model(), params.value_or(scheme_params()), text.value_or(this->text()), false);
  if (ok && params) set_status("Position scheme: " + scheme().describe());
  return ok;
}

SchemeParams AppState::params_for_kind(std::string_view kind) const {
  const SchemeInfo& info = scheme_info(kind);
  if (model().default_scheme().kind == info.name) return model().default_scheme();
  SchemeParams p = scheme_params();
  p.kind = info.name;
  if (info.adopt) info.adopt(p);
  return p;
}

bool AppState::set_model(std::shared_ptr<const ModelSource> model, const std::string& spec) {
  // A model without a readable tokenizer cannot turn the current sentence into ids: it opens
  // on an ids line with a repeated id instead, and the status says how to type others.
  std::string text = this->text();
  bool typed_ids = false;
  if (!is_ids_line(text)) {
    std::shared_ptr<const Tokenizer> tok;
    try {
      tok = model->tokenizer();
    } catch (const std::exception& e) {
      set_status(std::string("Could not open ") + spec + ": " + e.what() + " (kept " + this->model().name() + ")", true);
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
      // What to do first: a short window keeps one line of the status (the rest on hover).
      set_status("Type token ids in the text box (" + text + "): no tokenizer EmbedScope can read comes with this model (" +
                 this->model().tokenizer_note() + "). Model: " + this->model().label());
    else
      set_status("Model: " + this->model().label());
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
  loading_.start([spec](const std::atomic<bool>&) -> std::shared_ptr<const ModelSource> { return open_model(spec); });
  set_status("Opening " + spec + " ...");
}

double AppState::loading_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - loading_start_).count();
}

void AppState::poll() {
  if (loading_.ready()) {
    try {
      std::optional<std::shared_ptr<const ModelSource>> m = loading_.take();
      set_model(std::move(*m), loading_spec_);
    } catch (const std::exception& e) {
      set_status("Could not open " + loading_spec_ + ": " + e.what() + " (kept " + model().name() + ")", true);
    }
  }
  take_vocabulary_index();
}

void AppState::take_vocabulary_index() {
  if (!index_task_.ready()) return;
  try {
    std::optional<std::shared_ptr<const VocabularyIndex>> built = index_task_.take();
    if (index_model_ == model_version_) index_ = std::move(*built);
  } catch (const std::exception& e) {
    set_status(std::string("Could not index the vocabulary: ") + e.what(), true);
  }
}

std::shared_ptr<const VocabularyIndex> AppState::vocabulary_index() {
  if (index_model_ != model_version_) {  // a new model: its own index (the old one's work is dropped)
    index_.reset();
    index_task_.abandon();
    index_model_ = model_version_;
    std::shared_ptr<const ModelSource> m = model_ptr();
    index_task_.start([m](const std::atomic<bool>&) -> std::shared_ptr<const VocabularyIndex> {
      lower_thread_priority();  // the window keeps its frames while a large table is indexed
      // The index reads the model's table in place: it shares ownership of the model.
      struct Held {
        std::shared_ptr<const ModelSource> model;
        VocabularyIndex index;
      };
      const std::shared_ptr<Held> held(new Held{m, VocabularyIndex(m->token_table_view())});
      return std::shared_ptr<const VocabularyIndex>(held, &held->index);
    });
  }
  take_vocabulary_index();  // only the index: a model that finished opening waits for poll(),
                            // at the start of the next frame, not in the middle of a view
  return index_;
}

int AppState::colour_slot(int id) const {
  const std::vector<int>& order = analysis_->distinct_ids();
  auto it = std::find(order.begin(), order.end(), id);
  if (it != order.end()) return static_cast<int>(it - order.begin());
  return static_cast<int>(order.size()) + (id % 97);
}

void AppState::set_status(std::string message, bool error) {
  status_ = std::move(message);
  status_error_ = error;
}

}  // namespace es
