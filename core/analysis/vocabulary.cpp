// VocabularyIndex, analogies, token search by text, and PCA basis files (vocabulary.h).
#include "vocabulary.h"

#include "threads.h"

#include "vocabulary_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <queue>

namespace es {

// ---- VocabularyIndex ------------------------------------------------------------------------

VocabularyIndex::VocabularyIndex(TableMap table) : VocabularyIndex(TableView::of(table)) {}

VocabularyIndex::VocabularyIndex(TableView table) : table_(table) {
  const std::size_t n = static_cast<std::size_t>(table_.rows), d = static_cast<std::size_t>(table_.cols);
  if (n > 0 && d == 0) throw Error("cannot index a table whose rows have no columns");
  norms_.resize(n);
  scales_.resize(n);
  code_l1_.resize(n);
  codes_ = PageBuffer<std::int8_t>(n * d);  // every code is written below
  if (const float* x = table_.fd < 0 ? table_.f32() : nullptr) {
    fast::build_codes(x, n, d, codes_.data(), scales_.data(), norms_.data(), code_l1_.data(), worker_threads());
    return;
  }
  for_each_row_block(table_, std::max<long long>(1, (64 << 10) / (4 * static_cast<long long>(d))), worker_threads(),
                     [&](long long first, long long count, const float* rows) {
                       const auto f = static_cast<std::size_t>(first);
                       fast::build_codes(rows, static_cast<std::size_t>(count), d, codes_.data() + f * d,
                                         scales_.data() + f, norms_.data() + f, code_l1_.data() + f, 1);
                     });
}

RowVectorF VocabularyIndex::row(int id) const {
  check_id(id, "token");
  RowVectorF out(table_.cols);
  table_.read_rows(id, 1, out.data());
  return out;
}

void VocabularyIndex::check_id(int id, const char* what) const {
  if (id < 0 || id >= table_.rows)
    throw Error(std::string(what) + " id " + std::to_string(id) + " is outside the table (0.." +
                std::to_string(table_.rows - 1) + ")");
}

double VocabularyIndex::row_norm(int id) const {
  check_id(id, "token");
  return norms_[static_cast<std::size_t>(id)];
}

std::vector<Neighbour> VocabularyIndex::nearest(std::span<const float> query, int k,
                                                std::span<const int> exclude) const {
  const std::size_t n = static_cast<std::size_t>(table_.rows), d = static_cast<std::size_t>(table_.cols);
  const double qn = detail::query_norm(query, static_cast<long long>(d));
  last_candidates_.store(0, std::memory_order_relaxed);
  if (k <= 0 || n == 0) return {};

  std::vector<float> qhat(d);  // (d) unit query
  double l1 = 0;
  for (std::size_t i = 0; i < d; ++i) {
    qhat[i] = static_cast<float>(query[i] / qn);
    l1 += std::abs(double(qhat[i]));
  }
  std::vector<std::int16_t> qcodes(d);  // (d)
  double qerr = 0;
  const double qscale = fast::quantize_query(qhat.data(), d, qcodes.data(), &qerr);
  std::vector<float> approx(n);  // (V)
  fast::approx_scores(codes_.data(), scales_.data(), n, d, qcodes.data(), qscale, approx.data(), worker_threads());
  for (int id : exclude)
    if (id >= 0 && static_cast<std::size_t>(id) < n) approx[static_cast<std::size_t>(id)] = std::nanf("");

  // approx_r = scale_r * qscale * (code_r . qcodes), exact in integers, then rounded to float.
  // With u_r = scale_r * code_r + a_r (|a_r,i| <= 0.5 * scale_r, times 1 + 1e-3 for the float
  // arithmetic that made the codes) and qhat = qscale * qcodes + b (|b_i| <= qerr):
  //   |u_r . qhat - approx_r| <= 0.5 * scale_r * |qhat|_1 + scale_r * |code_r|_1 * qerr
  // plus float round-off of the unit rows, the unit query and the final product (< 1e-5
  // together); 1e-4 covers it with room. A row whose upper bound is below the k-th best lower
  // bound cannot be in the top k, so only the rest are rescored exactly.
  const double per_scale = 0.5 * l1 * (1.0 + 1e-3);
  const double per_code = qerr * (1.0 + 1e-6);
  const double slack = 1e-4;
  auto bound = [&](std::size_t r) {
    return double(scales_[r]) * (per_scale + per_code * double(code_l1_[r])) + slack;
  };
  std::priority_queue<double, std::vector<double>, std::greater<double>> lows;  // k best lower bounds
  std::size_t valid = 0;
  for (std::size_t r = 0; r < n; ++r) {
    if (std::isnan(approx[r]) || scales_[r] == 0) continue;
    ++valid;
    const double lo = double(approx[r]) - bound(r);
    if (lows.size() < static_cast<std::size_t>(k)) lows.push(lo);
    else if (lo > lows.top()) { lows.pop(); lows.push(lo); }
  }
  const double threshold = valid > static_cast<std::size_t>(k) ? lows.top() : -1e300;
  std::vector<int> ids;
  std::vector<double> scores;
  std::vector<float> widened(table_.f32() ? 0 : d);
  for (std::size_t r = 0; r < n; ++r) {
    if (std::isnan(approx[r]) || scales_[r] == 0) continue;
    if (double(approx[r]) + bound(r) < threshold) continue;
    ids.push_back(static_cast<int>(r));
    const float* x = table_.f32() ? table_.f32() + r * d : widened.data();
    if (!table_.f32()) table_.read_rows(static_cast<long long>(r), 1, widened.data());
    // The same expression as fast::exact_cosines, so both paths give bit-identical scores.
    const double dot = fast::dot_double(x, query.data(), d);
    scores.push_back(dot / (norms_[r] * qn));
  }
  last_candidates_.store(static_cast<long long>(ids.size()), std::memory_order_relaxed);
  return detail::select_top_k(ids, scores, k);
}

std::vector<Neighbour> VocabularyIndex::nearest_to_token(int id, int k, bool include_self) const {
  check_id(id, "token");
  if (!(norms_[static_cast<std::size_t>(id)] > 0))
    throw Error("token " + std::to_string(id) + " has a zero row: it has no neighbours by cosine");
  const RowVectorF own = row(id);
  std::span<const float> q(own.data(), static_cast<std::size_t>(own.size()));
  const int self[1] = {id};
  return include_self ? nearest(q, k) : nearest(q, k, self);
}

RowVectorF VocabularyIndex::analogy_vector(int a, int b, int c) const { return es::analogy_vector(table_, a, b, c); }

RowVectorF analogy_vector(const TableView& table, int a, int b, int c) {
  const int ids[3] = {a, b, c};
  const char* names[3] = {"analogy a", "analogy b", "analogy c"};
  const double signs[3] = {1.0, -1.0, 1.0};
  RowVectorD v = RowVectorD::Zero(table.cols);  // (d)
  RowVectorF row(table.cols);
  for (int i = 0; i < 3; ++i) {
    if (ids[i] < 0 || ids[i] >= table.rows)
      throw Error(std::string(names[i]) + " id " + std::to_string(ids[i]) + " is outside the table (0.." +
                  std::to_string(table.rows - 1) + ")");
    table.read_rows(ids[i], 1, row.data());
    // |row| by the same function as the index's norms, so both give the same query bit for bit.
    const double nr = std::sqrt(fast::dot_double(row.data(), row.data(), static_cast<std::size_t>(row.size())));
    if (!(nr > 0) || !std::isfinite(nr))
      throw Error(std::string(names[i]) + " (token " + std::to_string(ids[i]) + ") has a zero row");
    v += signs[i] / nr * row.cast<double>();
  }
  return v.cast<float>();
}

std::vector<Neighbour> VocabularyIndex::analogy(int a, int b, int c, int k) const {
  RowVectorF q = analogy_vector(a, b, c);
  double n2 = q.cast<double>().squaredNorm();
  if (!(n2 > 0))
    throw Error("analogy a - b + c is the zero vector (a and b are the same direction and c cancels it)");
  const int ex[3] = {a, b, c};
  return nearest(std::span<const float>(q.data(), static_cast<std::size_t>(q.size())), k, ex);
}

// ---- Token search -----------------------------------------------------------------------------

std::optional<int> find_exact_token(const Tokenizer& tokenizer, std::string_view text) {
  return tokenizer.find_token(text);
}

std::vector<int> search_tokens(const Tokenizer& tokenizer, std::string_view needle, std::size_t limit) {
  return tokenizer.tokens_containing(needle, limit);
}

int resolve_token(const Tokenizer& tokenizer, std::string_view text) {
  if (text.empty()) throw Error("the token text is empty");
  if (auto id = tokenizer.find_token(text)) return *id;
  std::vector<int> ids = tokenizer.encode(text);
  // Built with appends only (GCC 12 warns falsely about "literal" + std::string here).
  std::string msg;
  msg.append("\"").append(escape_token_text(text)).append("\" is not a single token of ").append(tokenizer.name());
  msg.append("; it splits into ").append(std::to_string(ids.size())).append(" tokens: ");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) msg.append(" + ");
    msg.append("\"").append(escape_token_text(tokenizer.token_bytes(ids[i]))).append("\" (");
    msg.append(std::to_string(ids[i])).append(")");
  }
  msg.append(".");
  std::string spaced(" ");
  spaced.append(text);
  if (text.front() != ' ' && tokenizer.find_token(spaced))
    msg.append(" Did you mean \"").append(escape_token_text(spaced))
        .append("\" (with a leading space, as a word after a space is spelled)?");
  else
    msg.append(" Pick one of them with --id, or use a word that is one token (GPT-2 spells a word after a space with the space, e.g. \" king\").");
  throw Error(msg);
}

// ---- PCA basis files --------------------------------------------------------------------------

namespace {
constexpr char kMagic[8] = {'E', 'S', 'P', 'C', 'A', '1', '\0', '\0'};

template <class T>
void put(std::ofstream& f, const T& v) { f.write(reinterpret_cast<const char*>(&v), sizeof(T)); }
template <class T>
void put_n(std::ofstream& f, const T* p, std::size_t n) {
  f.write(reinterpret_cast<const char*>(p), static_cast<std::streamsize>(sizeof(T) * n));
}
template <class T>
void get_n(std::ifstream& f, T* p, std::size_t n, const std::filesystem::path& path) {
  f.read(reinterpret_cast<char*>(p), static_cast<std::streamsize>(sizeof(T) * n));
  if (!f) throw Error("PCA basis file '" + path.string() + "' is truncated");
}
}  // namespace

void save_pca_basis(const PcaBasis& b, const std::filesystem::path& path) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw Error("cannot write the PCA basis to '" + path.string() + "'");
  const int64_t d = b.mean.size(), k = b.components.rows();
  if (b.components.cols() != d || static_cast<int64_t>(b.explained_variance.size()) != k ||
      static_cast<int64_t>(b.explained_variance_ratio.size()) != k)
    throw Error("cannot save an inconsistent PCA basis (shapes of mean, components and variances differ)");
  f.write(kMagic, 8);
  put(f, d);
  put(f, k);
  put(f, static_cast<int64_t>(b.fit_rows));
  put(f, b.total_variance);
  put_n(f, b.mean.data(), static_cast<std::size_t>(d));
  put_n(f, b.explained_variance.data(), static_cast<std::size_t>(k));
  put_n(f, b.explained_variance_ratio.data(), static_cast<std::size_t>(k));
  put_n(f, b.components.data(), static_cast<std::size_t>(k * d));
  if (!f) throw Error("writing the PCA basis to '" + path.string() + "' failed");
}

PcaBasis load_pca_basis(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot open the PCA basis file '" + path.string() + "'");
  char magic[8];
  get_n(f, magic, 8, path);
  if (std::memcmp(magic, kMagic, 8) != 0)
    throw Error("'" + path.string() + "' is not an EmbedScope PCA basis file (bad magic)");
  int64_t d = 0, k = 0, rows = 0;
  get_n(f, &d, 1, path);
  get_n(f, &k, 1, path);
  get_n(f, &rows, 1, path);
  if (d < 1 || d > (1 << 20) || k < 1 || k > d)
    throw Error("PCA basis file '" + path.string() + "' has an impossible shape d=" + std::to_string(d) +
                ", k=" + std::to_string(k));
  PcaBasis b;
  b.fit_rows = rows;
  get_n(f, &b.total_variance, 1, path);
  b.mean.resize(d);
  b.explained_variance.resize(static_cast<std::size_t>(k));
  b.explained_variance_ratio.resize(static_cast<std::size_t>(k));
  b.components.resize(k, d);
  get_n(f, b.mean.data(), static_cast<std::size_t>(d), path);
  get_n(f, b.explained_variance.data(), static_cast<std::size_t>(k), path);
  get_n(f, b.explained_variance_ratio.data(), static_cast<std::size_t>(k), path);
  get_n(f, b.components.data(), static_cast<std::size_t>(k * d), path);
  return b;
}

}  // namespace es
