// AppState: the one place the desktop program keeps its inputs (model, scheme, text) and the
// results core computes from them (ids, InputEmbedding, repeated groups, S, PCA basis).
//
// Every change goes through a setter that recomputes through core; a failed recompute keeps
// the previous state and puts the reason on the status line. Panels read the results and
// cache their own drawing data by version(): they never compute maths themselves.
// Model loading runs on a worker thread; poll() picks the result up on the main thread.
#pragma once

#include "background.h"
#include "open_model.h"
#include "pipeline.h"
#include "vocabulary.h"

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace es {

enum class ViewId { Tokens, Matrix, Pca, Schemes, Model, Vocab, Train, Lesson };
constexpr int kViewCount = 8;
const char* view_id_name(ViewId v);   // "tokens", "matrix", ...
const char* view_id_title(ViewId v);  // "Tokens", "Matrix", ...
std::optional<ViewId> parse_view_id(std::string_view name);

class AppState {
 public:
  // Starts on the built-in default: classroom model, "the cat sat on the mat", learned positions.
  AppState();

  // [Inputs] Each returns false (and sets an error status, state unchanged) on failure.
  bool set_text(const std::string& text);
  // With the model's special tokens: those written in the text ([SEP], <|endoftext|>) are one
  // token each, and the ones the model adds around a text ([CLS] ... [SEP], <s>) are added.
  bool special_tokens() const { return special_tokens_; }
  bool set_special_tokens(bool on);
  // Takes a freshly opened model; the scheme becomes the model's own.
  bool set_model(std::shared_ptr<const ModelSource> model, const std::string& spec);
  bool set_scheme(const SchemeParams& params);
  // Text and scheme as one change (command-line options, remembered settings): a text longer
  // than the model's learned table is fine under a scheme that has no table, whatever order
  // the options came in. Either may be absent (keeps the current one).
  bool set_text_and_scheme(const std::optional<std::string>& text, const std::optional<SchemeParams>& params);
  // The parameters for another scheme (a registry name): the model's own when it is the
  // model's scheme, else the current ones with that scheme's published defaults (registry adopt).
  SchemeParams params_for_kind(std::string_view kind) const;
  // Opens a model synchronously (command line, tests). Throws es::Error.
  void open_model_now(const std::string& spec);
  // Opens a model on a worker thread; the window keeps running. poll() installs it.
  void begin_open_model(const std::string& spec);
  void poll();
  bool loading() const { return loading_.pending(); }
  const std::string& loading_spec() const { return loading_spec_; }
  double loading_seconds() const;

  // [Results] All from the current core Analysis (pipeline.h); nothing is computed here.
  const Analysis& analysis() const { return *analysis_; }
  std::shared_ptr<const Analysis> analysis_ptr() const { return analysis_; }
  const ModelSource& model() const { return *analysis_->model(); }
  std::shared_ptr<const ModelSource> model_ptr() const { return analysis_->model(); }
  const std::string& model_spec() const { return model_spec_; }
  const PositionScheme& scheme() const { return analysis_->scheme(); }
  const SchemeParams& scheme_params() const { return analysis_->scheme().params(); }
  const std::string& text() const { return analysis_->text(); }
  const std::vector<int>& ids() const { return analysis_->ids(); }
  int length() const { return static_cast<int>(analysis_->length()); }
  // Token i's text with spaces and newlines made visible (es::visible_token_text).
  const std::vector<std::string>& token_texts() const { return analysis_->token_texts(); }
  const std::vector<std::string>& token_bytes() const { return analysis_->token_bytes(); }
  const InputEmbedding& embedding() const { return analysis_->embedding(); }
  const std::vector<RepeatedTokenGroup>& repeats() const { return analysis_->repeats(); }
  // Index into repeats() of the group position i belongs to, or -1.
  int repeat_group_of(int position) const { return analysis_->repeat_group_of(position); }
  const MatrixRM& interaction() const { return analysis_->interaction(); }  // (n, n), NaN masked
  // One basis for the token, position and combined rows (fit on all three stacked).
  const PcaBasis* pca() const { return analysis_->pca(); }
  // Colour slot of an id: distinct ids of the sentence get distinct slots, in order of first
  // appearance; ids not in the sentence get slots after them.
  int colour_slot(int id) const;
  std::string layer_norm_label() const { return analysis_->norm_label(); }
  // A sentence with a repeated id under this model's tokenizer ("" when it has none).
  const std::string& repeat_sentence() const { return repeat_sentence_; }

  // Changes with every successful recompute; model_version() only when the model changes.
  uint64_t version() const { return analysis_->version(); }
  uint64_t model_version() const { return model_version_; }
  // The search index of the open model's token table (neighbours, analogies), one per model and
  // shared by the PCA and Vocabulary views: built on a worker the first time a view asks; null
  // until it is ready. It keeps its model alive while a view holds it.
  std::shared_ptr<const VocabularyIndex> vocabulary_index();
  bool vocabulary_index_building() const { return index_task_.pending(); }

  // [UI state shared by panels]
  int selected_position = -1;  // token selected by a click in any view
  ViewId view = ViewId::Matrix;
  // Presenter mode (F5, or P): only the figure and its caption, large type; the menu, the
  // control strip, the view tabs and the status line are hidden.
  bool presenter = false;

  // [Status line]
  void set_status(std::string message, bool error = false);
  const std::string& status() const { return status_; }
  bool status_is_error() const { return status_error_; }

 private:
  bool recompute(std::shared_ptr<const ModelSource> model, const SchemeParams& params,
                 const std::string& text, bool scheme_from_model);
  bool special_tokens_ = false;

  std::shared_ptr<const Analysis> analysis_;
  std::string model_spec_ = "classroom";
  std::string repeat_sentence_;
  uint64_t model_version_ = 1;

  void take_vocabulary_index();
  BackgroundTask<std::shared_ptr<const ModelSource>> loading_;
  BackgroundTask<std::shared_ptr<const VocabularyIndex>> index_task_;
  std::shared_ptr<const VocabularyIndex> index_;
  uint64_t index_model_ = 0;  // model_version() the index or its task belongs to
  std::string loading_spec_;
  std::chrono::steady_clock::time_point loading_start_;

  std::string status_;
  bool status_error_ = false;
};

}  // namespace es
