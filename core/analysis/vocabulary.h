// The whole vocabulary: exact nearest neighbours with a per-model index, analogies, token
// search by text, and PCA options beyond fit_pca() (analysis.h).
//
// Neighbour rules (shared by es::nearest_neighbours and VocabularyIndex):
//   - score = cosine computed in double: x.q / (|x| |q|); Neighbour::cosine is it rounded
//     to float. Ranked by score, best first; equal scores by lower id.
//   - a table row with zero or non-finite norm has no direction and is never returned;
//     a query with zero or non-finite norm is an es::Error.
//   - ids in `exclude` are skipped; k is clamped to the number of rows left (k <= 0: none).
#pragma once

#include "analysis.h"
#include "tokenizer.h"
#include "page_buffer.h"
#include "table_view.h"
#include "types.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace es {

// ---- Neighbours over a whole table ------------------------------------------------------

// A search index over one (V, d) table, built once per model and kept beside it: the row
// norms (so no query recomputes them) and int8 codes of the unit rows (V x d bytes, a
// quarter of the table). A query, itself rounded to int16 codes, scans them with integer dot
// products; the error of each approximate cosine is bounded (0.5 * scale_r * |q|_1 for the
// row's rounding, scale_r * |code_r|_1 * max|query rounding| for the query's), and every row
// the bound cannot rule out is rescored exactly, so the answer is exactly that of
// nearest_neighbours(). The table must outlive the index.
class VocabularyIndex {
 public:
  explicit VocabularyIndex(TableMap table);  // builds in one pass over the table (worker_threads() threads)
  // The same over a table in its stored type (BF16 / F16 read in place, widened a block at a
  // time): the codes are made from the widened rows and candidates rescored from them, so the
  // answer is exactly nearest_neighbours() on the float values.
  explicit VocabularyIndex(TableView table);

  const TableView& view() const { return table_; }
  long long rows() const { return table_.rows; }
  long long dim() const { return table_.cols; }
  double row_norm(int id) const;  // |E[id]|, cached
  RowVectorF row(int id) const;   // E[id] as float

  // Exact top-k by cosine with `query` (d values).
  std::vector<Neighbour> nearest(std::span<const float> query, int k,
                                 std::span<const int> exclude = {}) const;
  // Neighbours of the token's own row; the token itself is left out unless include_self.
  std::vector<Neighbour> nearest_to_token(int id, int k, bool include_self = false) const;

  // a - b + c over unit rows: E[a]/|E[a]| - E[b]/|E[b]| + E[c]/|E[c]| (so no token dominates
  // by its norm), then the top-k rows by cosine with a, b and c excluded.
  RowVectorF analogy_vector(int a, int b, int c) const;  // (d)
  std::vector<Neighbour> analogy(int a, int b, int c, int k) const;

  // How the last query went (for the benchmark and the docs): rows rescored exactly.
  long long last_candidates() const { return last_candidates_.load(std::memory_order_relaxed); }

 private:
  void check_id(int id, const char* what) const;
  TableView table_;                  // (V, d) row-major, not owned
  std::vector<double> norms_;        // (V)
  std::vector<float> scales_;        // (V), 0 for a row with no direction
  std::vector<std::uint32_t> code_l1_;  // (V) sum of |code| per row
  PageBuffer<std::int8_t> codes_;    // (V, d) row-major
  mutable std::atomic<long long> last_candidates_{0};  // queries may run on several threads
};

// nearest_neighbours() (analysis.h) on a table in its stored type, read in place: one pass,
// each block of rows widened to float, the same scores bit for bit.
std::vector<Neighbour> nearest_neighbours(const TableView& table, std::span<const float> query, int k,
                                          std::span<const int> exclude = {});

// a - b + c over unit rows (as VocabularyIndex::analogy_vector), read from the table: the
// query of an analogy without an index. es::Error for an id outside the table or a zero row.
RowVectorF analogy_vector(const TableView& table, int a, int b, int c);

// ---- Token search by text -----------------------------------------------------------------

// The id of the token whose bytes are exactly `text`, if there is one.
std::optional<int> find_exact_token(const Tokenizer& tokenizer, std::string_view text);
// Ids of tokens whose bytes contain `needle`, in id order, at most `limit`.
std::vector<int> search_tokens(const Tokenizer& tokenizer, std::string_view needle, std::size_t limit);
// The id for a command-line token argument: the exact token when there is one; otherwise an
// es::Error that says how the text splits (e.g. "kingdom" -> "king" + "dom") and reminds that
// GPT-2 spells a word that follows a space with the space (" king").
int resolve_token(const Tokenizer& tokenizer, std::string_view text);

// ---- PCA beyond fit_pca -------------------------------------------------------------------

enum class PcaMethod {
  Auto,       // Fast for d >= 32, Reference below
  Fast,       // SIMD covariance + LAPACK (pca.cpp)
  Reference,  // double covariance + Eigen's SelfAdjointEigenSolver (the benchmark baseline)
  Iterative,  // the leading k only: block Krylov iteration until their variances settle
              // (pca.cpp); for tables whose d x d covariance is costly (d in the thousands)
};
struct PcaTiming {
  double covariance_s = 0;
  double eigen_s = 0;
  std::string path;  // which code ran
};
// fit_pca() with a chosen method; same contract (errors, clamping, sign convention).
PcaBasis fit_pca_method(const Eigen::Ref<const MatrixRM>& rows, int k, PcaMethod method,
                        PcaTiming* timing = nullptr);
// Progress and cancel for long fits (the desktop's background PCA): progress(fraction in
// [0, 1]) is called from a worker thread now and then; when *cancel turns true the fit stops
// with es::Error("PCA cancelled").
struct PcaControl {
  std::function<void(double)> progress;
  const std::atomic<bool>* cancel = nullptr;
};
// The same on a table in its own element type (F32, BF16, F16), read in place: the Fast and
// Iterative paths widen a block of rows at a time and never copy the table (Reference does).
PcaBasis fit_pca_view(const TableView& table, int k, PcaMethod method, PcaTiming* timing = nullptr,
                      const PcaControl* control = nullptr);
// The method for "the leading k components" of a table this wide: Iterative for k <= 64 on
// tables at least 1,024 wide (where a d x d covariance costs seconds), else the exact path.
PcaMethod leading_components_method(long long cols, int k);

// A basis as a small binary file: magic "ESPCA1\0\0", int64 d, k, fit_rows, double total,
// then mean (d float32), explained_variance (k float64), ratio (k float64), components
// (k x d float32), little-endian. Throws es::Error naming the file on any problem.
void save_pca_basis(const PcaBasis& basis, const std::filesystem::path& path);
PcaBasis load_pca_basis(const std::filesystem::path& path);

namespace detail {
// Top-k of (ids[i], scores[i]) by the rules above; NaN scores are skipped.
std::vector<Neighbour> select_top_k(std::span<const int> ids, std::span<const double> scores, int k);
// |query| in double; es::Error when its size is not d or its norm is zero / non-finite.
double query_norm(std::span<const float> query, long long d);
}  // namespace detail

}  // namespace es
