// The pipeline: text -> tokenizer -> ids -> token rows -> position scheme -> combined and
// normed rows -> repeated-token groups, the position-interaction matrix S, and a PCA basis.
// One entry point, analyse(), returns one immutable, versioned Analysis; the desktop program
// and the CLI are thin callers, and panels draw what it holds (caching their drawing data
// against version()). Nothing here touches a UI.
#pragma once

#include "analysis.h"
#include "attention.h"
#include "embedding.h"
#include "model_source.h"
#include "position/scheme.h"
#include "repeats.h"

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace es {

struct AnalysisInput {
  // The text, tokenized with the model's tokenizer; a line "ids: 1 2 3" is taken as ids.
  std::string text;
  std::optional<std::vector<int>> ids;  // ids given directly (CLI --ids); text is then ignored
  bool special_tokens = false;          // "<|endoftext|>" as one token
  // The scheme; nullopt: the model's own with its own parameters and trained weights.
  std::optional<SchemeParams> scheme;
};

class Analysis {
 public:
  uint64_t version() const { return version_; }
  const std::shared_ptr<const ModelSource>& model() const { return model_; }
  const PositionScheme& scheme() const { return *scheme_; }
  const std::string& text() const { return text_; }
  const std::vector<int>& ids() const { return embedding_.ids; }
  long long length() const { return static_cast<long long>(embedding_.ids.size()); }
  // Token bytes as the tokenizer gives them ("" when it has none for an id), and for display:
  // spaces and newlines made visible, "#id" for ids without bytes.
  const std::vector<std::string>& token_bytes() const { return token_bytes_; }
  const std::vector<std::string>& token_texts() const { return token_texts_; }
  // token, position, combined (n, d) and normed (n, d) with the model's first norm (or a plain
  // LayerNorm, gamma 1, beta 0, when it has none; norm_label() says which).
  const InputEmbedding& embedding() const { return embedding_; }
  const std::string& norm_label() const { return norm_label_; }
  const std::vector<RepeatedTokenGroup>& repeats() const { return repeats_; }
  int repeat_group_of(int position) const;  // index into repeats(), or -1
  const MatrixRM& interaction() const { return interaction_; }  // S (n, n), NaN masked
  // Ids in order of first appearance (colour slots: equal ids share one).
  const std::vector<int>& distinct_ids() const { return distinct_ids_; }

  // [On demand, computed once, thread-safe]
  // One PCA basis for token, position and combined rows (fit on all three stacked), so the
  // three views share axes; null for fewer than 2 rows or d < 2.
  const PcaBasis* pca() const;
  // Rows projected on that basis: [token, position, combined], each (n, k).
  const std::array<MatrixRM, 3>& projections() const;
  // (2, d): token row j - token row i, combined row j - combined row i (the difference strip).
  MatrixRM pair_differences(int i, int j) const;
  // Block 0's real attention logits per head (attention.h), when the checkpoint holds block
  // 0's q/k weights and the scheme is the model's own; else null, and block0_note() says why.
  const Block0Attention* block0() const;
  const std::string& block0_note() const;
  // For positions i < j: the largest, over heads, spread of their block-0 logit rows over the
  // keys both see (logit_row_spread); nullopt without block0() or with fewer than two shared keys.
  std::optional<double> block0_pair_spread(int i, int j) const;

 private:
  friend std::shared_ptr<const Analysis> analyse(std::shared_ptr<const ModelSource>, const AnalysisInput&);
  uint64_t version_ = 0;
  std::shared_ptr<const ModelSource> model_;
  std::shared_ptr<const PositionScheme> scheme_;
  std::string text_;
  std::vector<std::string> token_bytes_, token_texts_;
  InputEmbedding embedding_;
  std::string norm_label_;
  std::vector<RepeatedTokenGroup> repeats_;
  std::vector<int> group_of_;
  MatrixRM interaction_;
  std::vector<int> distinct_ids_;
  mutable std::once_flag pca_once_;
  mutable std::optional<PcaBasis> pca_;
  mutable std::array<MatrixRM, 3> projections_;
  mutable std::once_flag block0_once_;
  mutable std::optional<Block0Attention> block0_;
  mutable std::string block0_note_;
};

// Runs the whole chain. Throws es::Error with a message a person understands: no tokens, no
// tokenizer (type ids), a sequence past the scheme's range, a bad id, bad scheme parameters.
std::shared_ptr<const Analysis> analyse(std::shared_ptr<const ModelSource> model, const AnalysisInput& input);

// The ids line a model without a readable tokenizer opens on ("ids: 1 2 3 1 4"): a repeat at
// position 3, cut to the position table's length.
std::string default_ids_line(const ModelSource& model);

// The input stage's trained weights of a model under a scheme (count_input_weights with the
// model's own table length, norm kind, token types and tying).
WeightCounts input_weight_counts(const ModelSource& model, const SchemeParams& scheme);

// Projects a whole table (rows, d) on `basis` in blocks of 4096 rows: (rows, k) as floats,
// row-major. For the PCA view's background layers (the whole vocabulary).
std::vector<float> project_table(const TableMap& table, const PcaBasis& basis);
std::vector<float> project_table(const TableView& table, const PcaBasis& basis);  // BF16 / F16 in place

}  // namespace es
