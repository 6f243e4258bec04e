// Built-in model sources (classroom, gpt2-untrained) and the deterministic normal generator
// they are initialised with. (open_model(), which also opens checkpoints: open_model.cpp.)
#include "model_source.h"

#include "threads.h"

#include "bpe_tokenizer.h"
#include "word_tokenizer.h"

#include <cmath>
#include <filesystem>
#include <numbers>
#include <sstream>
#include <thread>

namespace es {

// ---------------------------------------------------------------------------------------------
// SeededNormal: xoshiro256** seeded through splitmix64, Box-Muller for N(0, 1).

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

SeededNormal::SeededNormal(uint64_t seed) {
  uint64_t x = seed;
  for (uint64_t& s : s_) s = splitmix64(x);
}

uint64_t SeededNormal::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double SeededNormal::next() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // u1 in (0, 1], u2 in [0, 1): 53-bit uniforms.
  const double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double a = 2.0 * std::numbers::pi * u2;
  spare_ = r * std::sin(a);
  has_spare_ = true;
  return r * std::cos(a);
}

// ---------------------------------------------------------------------------------------------
void ModelSource::gather_token_rows(std::span<const int> ids, MatrixRM& out) const {
  const TableMap table = token_table();
  out.resize(static_cast<Eigen::Index>(ids.size()), table.cols());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= table.rows())
      throw Error("token id " + std::to_string(ids[i]) + " is outside the vocabulary of " +
                  name() + " (ids 0.." + std::to_string(table.rows() - 1) + ")");
    out.row(static_cast<Eigen::Index>(i)) = table.row(ids[i]);
  }
}

std::unique_ptr<PositionScheme> make_model_scheme(const ModelSource& model,
                                                  const std::optional<SchemeParams>& override_params) {
  SchemeParams p = override_params ? *override_params : model.default_scheme();
  const SchemeInfo& info = scheme_info(p.kind);
  // The model's own trained weights go to its own kind of scheme only (T5 biases do not
  // belong to a DeBERTa view of the same model).
  SchemeData data;
  const bool own_kind = info.name == model.default_scheme().kind;
  if (own_kind) data = model.scheme_data();
  if (info.needs_data) {
    const std::optional<TableMap> table = model.position_table();
    if (!table)
      throw Error(model.name() + " has no learned position table (it uses " + model.default_scheme().kind +
                  "); pick a formula scheme: " + scheme_names());
    data.learned_table = MatrixRM(*table);
  }
  return make_position_scheme(p, std::move(data));
}

// ---------------------------------------------------------------------------------------------
namespace {

// Fills a (rows, cols) table with N(0, std) in blocks of 1024 rows, each block seeded by
// (seed, block index), so the numbers do not depend on the thread count.
MatrixRM seeded_normal_table(long long rows, long long cols, double std_dev, uint64_t seed) {
  MatrixRM t(rows, cols);  // (rows, cols) row-major
  constexpr long long kBlock = 1024;
  const long long blocks = (rows + kBlock - 1) / kBlock;
  auto fill = [&](long long first_block, long long step) {
    for (long long b = first_block; b < blocks; b += step) {
      SeededNormal rng(seed * 0x100000001b3ULL + static_cast<uint64_t>(b));
      const long long r_end = std::min(rows, (b + 1) * kBlock);
      float* out = t.data() + b * kBlock * cols;  // rows b*kBlock .. r_end, contiguous (row-major)
      for (long long i = 0, n = (r_end - b * kBlock) * cols; i < n; ++i) out[i] = static_cast<float>(std_dev * rng.next());
    }
  };
  const long long threads = blocks > 4 ? std::min<long long>(worker_threads(), blocks) : 1;
  std::vector<std::thread> others;
  for (long long t = 1; t < threads; ++t) others.emplace_back(fill, t, threads);
  fill(0, threads);
  for (std::thread& t : others) t.join();
  return t;
}

class GeneratedModel final : public ModelSource {
 public:
  std::string name_, family_, label_;
  std::optional<uint64_t> seed_;
  int heads_ = 1;
  MatrixRM tokens_;     // (V, d) row-major
  MatrixRM positions_;  // (L_max, d) row-major
  float ln_eps_ = 1e-5f;
  std::string ln_label_;
  std::shared_ptr<const Tokenizer> tokenizer_;

  std::string name() const override { return name_; }
  std::string family() const override { return family_; }
  std::string label() const override { return label_; }
  bool trained() const override { return false; }
  std::optional<uint64_t> seed() const override { return seed_; }
  long long vocab_size() const override { return tokens_.rows(); }
  long long dim() const override { return tokens_.cols(); }
  int num_heads() const override { return heads_; }
  TableMap token_table() const override {
    return TableMap(tokens_.data(), tokens_.rows(), tokens_.cols());
  }
  std::optional<TableMap> position_table() const override {
    return TableMap(positions_.data(), positions_.rows(), positions_.cols());
  }
  std::optional<LayerNormParams> first_layer_norm() const override {
    LayerNormParams ln = identity_layer_norm_params();
    ln.label = ln_label_;
    return ln;
  }
  SchemeParams default_scheme() const override {
    SchemeParams p;
    p.kind = "learned";
    p.causal = family_ == "gpt2";  // GPT-2 is a decoder; the classroom model shows S unmasked
    p.heads = heads_;
    p.head_dim = static_cast<int>(dim() / heads_);
    return p;
  }
  std::shared_ptr<const Tokenizer> tokenizer() const override { return tokenizer_; }
  std::vector<TensorInfo> tensors() const override {
    return {{"token table", "(generated)", "F32", {tokens_.rows(), tokens_.cols()}},
            {"position table", "(generated)", "F32", {positions_.rows(), positions_.cols()}}};
  }
  uint64_t size_bytes() const override {
    return static_cast<uint64_t>(tokens_.size() + positions_.size()) * sizeof(float);
  }

 private:
  LayerNormParams identity_layer_norm_params() const {
    LayerNormParams ln;
    ln.gamma = RowVectorF::Ones(dim());
    ln.beta = RowVectorF::Zero(dim());
    ln.eps = ln_eps_;
    return ln;
  }
};

}  // namespace

std::unique_ptr<ModelSource> make_classroom_model(const ClassroomOptions& o) {
  if (o.vocab < 2 || o.max_len < 1 || o.dim < 1 || o.max_len > 4096 || o.dim > 1024)
    throw Error("classroom model: V must be at least 2, L_max 1..4096 and d 1..1024");
  auto tok = std::make_shared<WordTokenizer>(classroom_vocabulary(o.vocab));
  auto m = std::make_unique<GeneratedModel>();
  m->name_ = "classroom";
  m->family_ = "classroom";
  m->seed_ = o.seed;
  m->label_ = "Classroom model: V=" + std::to_string(o.vocab) + ", L_max=" +
              std::to_string(o.max_len) + ", d=" + std::to_string(o.dim) +
              ", random tables (seed " + std::to_string(o.seed) + ")";
  m->tokens_ = seeded_normal_table(o.vocab, o.dim, 1.0, o.seed);
  m->positions_ = seeded_normal_table(o.max_len, o.dim, 1.0, o.seed + 0x5bd1e995ULL);
  m->ln_label_ = "LayerNorm with gamma 1, beta 0, eps 1e-5 (an optional step shown for teaching)";
  m->tokenizer_ = std::move(tok);
  return m;
}

std::unique_ptr<ModelSource> make_gpt2_untrained_model(uint64_t seed) {
  auto m = std::make_unique<GeneratedModel>();
  m->tokenizer_ = default_gpt2_tokenizer();
  m->name_ = "gpt2-untrained";
  m->family_ = "gpt2";
  m->seed_ = seed;
  m->heads_ = 12;
  m->label_ = "GPT-2 small shapes, UNTRAINED (random init N(0, 0.02) / N(0, 0.01), seed " +
              std::to_string(seed) + ")";
  // GPT-2's initialiser: token table N(0, 0.02), position table N(0, 0.01).
  m->tokens_ = seeded_normal_table(50257, 768, 0.02, seed);
  m->positions_ = seeded_normal_table(1024, 768, 0.01, seed + 0x5bd1e995ULL);
  m->ln_label_ = "ln_1 of block 0 at its initial value (gamma 1, beta 0, eps 1e-5); GPT-2 "
                 "applies it inside block 0, not to the input sum";
  return m;
}


}  // namespace es
