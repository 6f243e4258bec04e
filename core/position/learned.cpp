// Learned absolute positions (GPT-2, BERT): row i of a learned table is added at position i.
#include "scheme.h"
#include "trainable.h"
#include "scheme_util.h"

namespace es {
namespace {

using namespace scheme_util;

class LearnedScheme final : public PositionScheme {
 public:
  LearnedScheme(SchemeParams p, MatrixRM table) : p_(std::move(p)), table_(std::move(table)) {}
  const SchemeParams& params() const override { return p_; }
  PositionEntry entry() const override { return PositionEntry::Input; }
  std::string describe() const override {
    return "Learned absolute positions (table of " + std::to_string(table_.rows()) + " x " +
           std::to_string(table_.cols()) + ")";
  }
  std::string where_position_enters() const override {
    // "learned", not "trained": the table is a model parameter whether or not this copy has
    // been trained (the classroom model's and gpt2-untrained's are random).
    return "Added to the input: row i of a learned table (" + std::to_string(table_.rows()) +
           " rows) is added to the token row at position i.";
  }
  std::optional<long long> max_positions() const override { return table_.rows(); }
  long long trained_weights(long long) const override { return table_.rows() * table_.cols(); }
  MatrixRM input_rows(long long n, long long d) const override {
    check_length(n, "learned positions");
    check_range(n);
    if (d != table_.cols())
      throw Error("learned position table is " + std::to_string(table_.cols()) + " wide but the model's token rows are " +
                  std::to_string(d) + " wide");
    return table_.topRows(n);
  }
  MatrixRM interaction(long long n, long long) const override {
    check_interaction_size(n);
    check_range(n);
    MatrixRM s = row_cosines(table_.topRows(n));
    if (p_.causal) mask_future(s);
    return s;
  }
  std::string interaction_meaning() const override {
    return "cosine similarity of position rows i and j (not shift-invariant by construction: "
           "a trained table may still come out close to it)";
  }
  std::string repeated_token_story() const override {
    return "Equal tokens share a token row; adding position rows i and j makes their combined rows differ.";
  }

 private:
  void check_range(long long n) const {
    if (n > table_.rows())
      throw Error("the sequence has " + std::to_string(n) + " tokens but the learned position table has only " +
                  std::to_string(table_.rows()) + " rows (positions 0.." + std::to_string(table_.rows() - 1) +
                  "); a learned table cannot extrapolate past its last row");
  }
  SchemeParams p_;
  MatrixRM table_;  // (L_max, d) row-major
};

// The lab's wpe table (context, d), GPT-2's init N(0, 0.01): row t added at position t.
template <typename S>
class LearnedTrain final : public TrainablePosition<S> {
 public:
  LearnedTrain(const SchemeParams&, const TrainShape& s) : s_(s) {}
  std::vector<SchemeTensor> tensors() const override {
    return {{"wpe.weight", {s_.context, s_.dim}, TensorPlace::AfterTokens, true, TensorInit::Normal, 0.01, {}}};
  }
  void check_length(int T) const override {
    if (T > s_.context)
      throw Error("this model's learned position table has " + std::to_string(s_.context) +
                  " rows, so it cannot run on sequences of " + std::to_string(T) +
                  " tokens (a learned table does not extrapolate; schemes without a table do)");
  }
  bool adds_input() const override { return true; }
  void input_forward(S* x, int T, const SchemeWeights<S>& w) const override {
    const S* wpe = w.p(0);
    for (std::size_t i = 0; i < std::size_t(T) * s_.dim; ++i) x[i] += wpe[i];
  }
  void input_backward(const S* dx, int T, const SchemeWeights<S>& w) const override {
    S* g = w.g(0);
    for (std::size_t i = 0; i < std::size_t(T) * s_.dim; ++i) g[i] += dx[i];
  }

 private:
  TrainShape s_;
};

std::unique_ptr<PositionScheme> make_learned(const SchemeParams& p, SchemeData data) {
  if (!data.learned_table || data.learned_table->rows() < 1 || data.learned_table->cols() < 1)
    throw Error("learned positions need a table of position rows: open a model that has one (classroom, gpt2-untrained, "
                "GPT-2, BERT), or pick a formula scheme");
  return std::make_unique<LearnedScheme>(p, std::move(*data.learned_table));
}

}  // namespace

const SchemeInfo& learned_scheme_info() {
  static const SchemeInfo info{
      "learned", "Learned absolute", "A learned table of position rows added at the input (GPT-2, BERT)",
      "L_max * d", PositionEntry::Input,
      {{ParamField::Causal, "causal", "mask", "causal: keys after the query are masked", 0, 1, true, false,
        {"bidirectional", "causal"}}},
      &make_learned, true, nullptr, trainable<LearnedTrain>(), nullptr, WeightsCounted::PositionTable,
      SchemeDataKind::None, nullptr, /*lesson_core=*/true};
  return info;
}

}  // namespace es
