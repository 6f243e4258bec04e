// Forward and backward of the training lab's GPT-2-style model (see gpt.h).
#include "gpt.h"

#include "../position/scheme.h"
#include "../types.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include <emmintrin.h>
#include <limits>
#include <random>
#include <thread>

extern "C" void openblas_set_num_threads(int num_threads);

namespace es::train {

namespace {

// Row-major C (M x N) = alpha op(A) op(B) + beta C, op(A) (M x K).
void gemm_blas(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
               int ldb, float beta, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda,
              B, ldb, beta, C, ldc);
}
void gemm_blas(bool ta, bool tb, int M, int N, int K, double alpha, const double* A, int lda, const double* B,
               int ldb, double beta, double* C, int ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda,
              B, ldb, beta, C, ldc);
}
template <typename S>
void gemm_naive(bool ta, bool tb, int M, int N, int K, S alpha, const S* A, int lda, const S* B, int ldb, S beta,
                S* C, int ldc) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      S acc = 0;
      for (int k = 0; k < K; ++k) acc += (ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
      C[i * ldc + j] = alpha * acc + (beta == S(0) ? S(0) : beta * C[i * ldc + j]);
    }
}

constexpr double kGeluC = 0.7978845608028654;  // sqrt(2 / pi)

// exp in float for the hot loops (softmaxes, GELU's tanh), four at a time with SSE2 (baseline
// x86-64): 2^t = 2^n 2^f with n = round(t), |f| <= 1/2, 2^f by Cephes' exp2f polynomial
// (relative error ~2e-7); inputs clamped to [-87, 88]. Double (the gradient checks) uses std::exp.
inline __m128 exp4(__m128 x) {
  x = _mm_max_ps(_mm_min_ps(x, _mm_set1_ps(88.0f)), _mm_set1_ps(-87.0f));
  const __m128 t = _mm_mul_ps(x, _mm_set1_ps(1.44269504088896341f));
  const __m128i ni = _mm_cvtps_epi32(t);  // round to nearest
  const __m128 f = _mm_sub_ps(t, _mm_cvtepi32_ps(ni));
  __m128 p = _mm_set1_ps(1.535336188319500e-4f);
  p = _mm_add_ps(_mm_mul_ps(p, f), _mm_set1_ps(1.339887440266574e-3f));
  p = _mm_add_ps(_mm_mul_ps(p, f), _mm_set1_ps(9.618437357674640e-3f));
  p = _mm_add_ps(_mm_mul_ps(p, f), _mm_set1_ps(5.550332471162809e-2f));
  p = _mm_add_ps(_mm_mul_ps(p, f), _mm_set1_ps(2.402264791363012e-1f));
  p = _mm_add_ps(_mm_mul_ps(p, f), _mm_set1_ps(6.931472028550421e-1f));
  p = _mm_add_ps(_mm_mul_ps(p, f), _mm_set1_ps(1.0f));
  const __m128i bits = _mm_slli_epi32(_mm_add_epi32(ni, _mm_set1_epi32(127)), 23);
  return _mm_mul_ps(p, _mm_castsi128_ps(bits));
}
inline float exp_fast(float x) { return _mm_cvtss_f32(exp4(_mm_set_ss(x))); }
inline float exp_of(float x) { return exp_fast(x); }
inline double exp_of(double x) { return std::exp(x); }
// p[i] = exp(p[i] - shift) for i < n (plain loops, so that the float one vectorises).
void exp_shifted(float* p, int n, float shift) {
  const __m128 sh = _mm_set1_ps(shift);
  int i = 0;
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(p + i, exp4(_mm_sub_ps(_mm_loadu_ps(p + i), sh)));
  for (; i < n; ++i) p[i] = exp_fast(p[i] - shift);
}
void exp_shifted(double* p, int n, double shift) {
  for (int i = 0; i < n; ++i) p[i] = std::exp(p[i] - shift);
}
// GELU, tanh approximation: g = 0.5 f (1 + th), th = tanh(sqrt(2/pi) (f + 0.044715 f^3)), with
// tanh(u) = 1 - 2 / (exp(2u) + 1) (exact at both ends; absolute error ~2e-7 in float).
template <typename S>
void gelu_forward(const S* f, S* th, S* g, std::size_t n) {
  std::size_t i = 0;
  if constexpr (std::is_same_v<S, float>) {
    const __m128 c = _mm_set1_ps(float(2 * kGeluC)), k = _mm_set1_ps(0.044715f), one = _mm_set1_ps(1.0f),
                 two = _mm_set1_ps(2.0f), half = _mm_set1_ps(0.5f);
    for (; i + 4 <= n; i += 4) {
      const __m128 v = _mm_loadu_ps(f + i);
      const __m128 u = _mm_mul_ps(c, _mm_add_ps(v, _mm_mul_ps(k, _mm_mul_ps(v, _mm_mul_ps(v, v)))));
      const __m128 t = _mm_sub_ps(one, _mm_div_ps(two, _mm_add_ps(exp4(u), one)));
      _mm_storeu_ps(th + i, t);
      _mm_storeu_ps(g + i, _mm_mul_ps(_mm_mul_ps(half, v), _mm_add_ps(one, t)));
    }
  }
  for (; i < n; ++i) {
    const S v = f[i];
    const S t = S(1) - S(2) / (exp_of(S(2 * kGeluC) * (v + S(0.044715) * v * v * v)) + S(1));
    th[i] = t;
    g[i] = S(0.5) * v * (S(1) + t);
  }
}

}  // namespace

std::vector<std::string> trainable_schemes() { return trainable_scheme_names(); }

namespace {

SchemeParams scheme_params(const GptConfig& c) {
  SchemeParams p = c.position;
  p.kind = c.scheme;
  p.causal = true;  // a decoder
  return p;
}
TrainShape train_shape(const GptConfig& c) { return {c.dim, c.heads, c.layers, c.context}; }

}  // namespace

void validate(const GptConfig& c) {
  auto bad = [](const std::string& m) { throw Error("training model: " + m); };
  if (c.vocab < 2 || c.vocab > 1 << 20) bad("vocabulary must have 2 to 1048576 tokens (got " + std::to_string(c.vocab) + ")");
  if (c.layers < 1 || c.layers > 48) bad("layers must be 1 to 48 (got " + std::to_string(c.layers) + ")");
  if (c.heads < 1 || c.heads > 64) bad("heads must be 1 to 64 (got " + std::to_string(c.heads) + ")");
  if (c.dim < 2 || c.dim > 4096) bad("dim must be 2 to 4096 (got " + std::to_string(c.dim) + ")");
  if (c.dim % c.heads != 0)
    bad("dim (" + std::to_string(c.dim) + ") must be a multiple of heads (" + std::to_string(c.heads) + ")");
  if (c.context < 2 || c.context > 8192) bad("context must be 2 to 8192 (got " + std::to_string(c.context) + ")");
  if (!(c.ln_eps > 0)) bad("LayerNorm eps must be > 0");
  try {
    make_trainable_d(scheme_params(c), train_shape(c));  // the scheme checks its own settings
  } catch (const Error& e) {
    bad(e.what());
  }
}

// One worker's share of a batch: its sequences' forward caches, backward scratch and gradient.
template <typename S>
struct Gpt<S>::Work {
  using Vec = std::vector<S>;
  int B = 0, T = 0;
  std::vector<int> in, tgt;
  struct Layer {
    Vec xhat1, rstd1, h1, qkv, P, y, xhat2, rstd2, h2, f, th, g;  // th: tanh inside GELU
    Vec pos;  // the scheme's scratch for this layer (LayerContext::cache)
  };
  std::vector<Layer> L;
  Vec x, xhatf, rstdf, xf, probs;
  Vec dx, dh, dqkv, dy, df;
  Vec grads;
};

template <typename S>
struct Gpt<S>::Impl {
  int threads = 1;
  int pos_T = -1;                                // the length the scheme's tables are for
  std::unique_ptr<TrainablePosition<S>> pos;     // the position scheme
  std::vector<SchemeTensor> pos_tensors;
  std::vector<std::vector<std::size_t>> pos_offsets;  // [scheme tensor][layer or 0]
  // The batch split over workers: worker k holds sequences first[k] .. first[k + 1] - 1.
  std::vector<Work> work;
  std::vector<int> first;
};

namespace {

template <typename S>
std::unique_ptr<TrainablePosition<S>> make_trainable(const SchemeParams& p, const TrainShape& s) {
  if constexpr (std::is_same_v<S, float>) return make_trainable_f(p, s);
  else return make_trainable_d(p, s);
}

template <typename S>
void layernorm_fwd(const S* x, int rows, int d, const S* g, const S* b, double eps, S* xhat, S* rstd, S* out) {
  for (int r = 0; r < rows; ++r) {
    const S* xr = x + std::size_t(r) * d;
    double mean = 0, var = 0;
    for (int c = 0; c < d; ++c) mean += xr[c];
    mean /= d;
    for (int c = 0; c < d; ++c) var += (xr[c] - mean) * (xr[c] - mean);
    var /= d;
    const S rs = S(1.0 / std::sqrt(var + eps));
    rstd[r] = rs;
    for (int c = 0; c < d; ++c) {
      const S h = S((xr[c] - mean) * rs);
      xhat[std::size_t(r) * d + c] = h;
      out[std::size_t(r) * d + c] = h * g[c] + b[c];
    }
  }
}

// dx += LayerNorm backward of dout; dg, db accumulate.
template <typename S>
void layernorm_bwd(const S* dout, const S* xhat, const S* rstd, const S* g, int rows, int d, S* dx, S* dg, S* db) {
  for (int r = 0; r < rows; ++r) {
    const S* dy = dout + std::size_t(r) * d;
    const S* xh = xhat + std::size_t(r) * d;
    double m1 = 0, m2 = 0;
    for (int c = 0; c < d; ++c) {
      const double dxh = double(dy[c]) * g[c];
      m1 += dxh;
      m2 += dxh * xh[c];
      dg[c] += dy[c] * xh[c];
      db[c] += dy[c];
    }
    m1 /= d;
    m2 /= d;
    for (int c = 0; c < d; ++c) {
      const double dxh = double(dy[c]) * g[c];
      dx[std::size_t(r) * d + c] += S(rstd[r] * (dxh - m1 - xh[c] * m2));
    }
  }
}

template <typename F>
void parallel_tasks(int tasks, int threads, F&& fn) {  // fn(task, worker)
  threads = std::max(1, std::min(threads, tasks));
  if (threads == 1) {
    for (int t = 0; t < tasks; ++t) fn(t, 0);
    return;
  }
  std::vector<std::thread> pool;
  for (int w = 1; w < threads; ++w)
    pool.emplace_back([&, w] {
      for (int t = w; t < tasks; t += threads) fn(t, w);
    });
  for (int t = 0; t < tasks; t += threads) fn(t, 0);
  for (auto& th : pool) th.join();
}

}  // namespace

template <typename S>
Gpt<S>::Gpt(const GptConfig& c) : cfg_(c), impl_(std::make_unique<Impl>()) {
  validate(c);
  Impl& m = *impl_;
  m.pos = make_trainable<S>(scheme_params(c), train_shape(c));
  m.pos_tensors = m.pos->tensors();
  m.pos_offsets.assign(m.pos_tensors.size(), {});
  const int64_t V = c.vocab, d = c.dim;
  std::size_t at = 0;
  auto add = [&](std::string name, std::vector<int64_t> shape, bool decay, int scheme_tensor = -1) {
    std::size_t n = 1;
    for (auto s : shape) n *= std::size_t(s);
    if (scheme_tensor >= 0) m.pos_offsets[static_cast<std::size_t>(scheme_tensor)].push_back(at);
    slots_.push_back({std::move(name), std::move(shape), at, n, decay, scheme_tensor});
    at += n;
  };
  auto add_scheme = [&](TensorPlace place, const std::string& prefix) {
    for (std::size_t k = 0; k < m.pos_tensors.size(); ++k)
      if (m.pos_tensors[k].place == place)
        add(prefix + m.pos_tensors[k].name, m.pos_tensors[k].shape, m.pos_tensors[k].decay, static_cast<int>(k));
  };
  add("wte.weight", {V, d}, true);
  add_scheme(TensorPlace::AfterTokens, "");
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = "h." + std::to_string(l) + ".";
    add(p + "ln_1.weight", {d}, false);
    add(p + "ln_1.bias", {d}, false);
    add(p + "attn.c_attn.weight", {d, 3 * d}, true);
    add(p + "attn.c_attn.bias", {3 * d}, false);
    add(p + "attn.c_proj.weight", {d, d}, true);
    add(p + "attn.c_proj.bias", {d}, false);
    add_scheme(TensorPlace::PerLayer, p);
    add(p + "ln_2.weight", {d}, false);
    add(p + "ln_2.bias", {d}, false);
    add(p + "mlp.c_fc.weight", {d, 4 * d}, true);
    add(p + "mlp.c_fc.bias", {4 * d}, false);
    add(p + "mlp.c_proj.weight", {4 * d, d}, true);
    add(p + "mlp.c_proj.bias", {d}, false);
  }
  add("ln_f.weight", {d}, false);
  add("ln_f.bias", {d}, false);
  add_scheme(TensorPlace::AtEnd, "");
  params_.assign(at, S(0));
  grads_.assign(at, S(0));
  init(0);
}

template <typename S>
Gpt<S>::~Gpt() = default;

template <typename S>
double Gpt<S>::token_scale() const {
  return cfg_.token_scale.value_or(impl_->pos->token_scale(cfg_.dim));
}

template <typename S>
std::string Gpt<S>::recipe() const {
  return impl_->pos->recipe();
}
template <typename S>
Gpt<S>::Gpt(Gpt&&) noexcept = default;
template <typename S>
Gpt<S>& Gpt<S>::operator=(Gpt&&) noexcept = default;

template <typename S>
const TensorSlot& Gpt<S>::slot(const std::string& name) const {
  for (const auto& s : slots_)
    if (s.name == name) return s;
  throw Error("training model: no tensor '" + name + "'");
}

template <typename S>
const TensorSlot* Gpt<S>::input_position_table() const {
  if (!impl_->pos->adds_input()) return nullptr;
  for (const auto& s : slots_)
    if (s.scheme_tensor >= 0 && impl_->pos_tensors[static_cast<std::size_t>(s.scheme_tensor)].place == TensorPlace::AfterTokens)
      return &s;
  return nullptr;
}

template <typename S>
void Gpt<S>::set_threads(int n) {
  impl_->threads = std::max(1, n);
}

template <typename S>
void Gpt<S>::init(uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> nd(0.0, 1.0);
  const double resid = 0.02 / std::sqrt(2.0 * cfg_.layers);
  for (const auto& s : slots_) {
    S* p = params_.data() + s.offset;
    const std::string& n = s.name;
    auto ends = [&](const char* suf) {
      const std::string x(suf);
      return n.size() >= x.size() && n.compare(n.size() - x.size(), x.size(), x) == 0;
    };
    if (s.scheme_tensor >= 0) {  // the scheme says how its tensors start
      const SchemeTensor& t = impl_->pos_tensors[static_cast<std::size_t>(s.scheme_tensor)];
      if (t.init == TensorInit::Constant)
        for (std::size_t i = 0; i < s.size; ++i) p[i] = S(t.values.empty() ? t.value : t.values[i % t.values.size()]);
      else
        for (std::size_t i = 0; i < s.size; ++i) p[i] = S(t.value * nd(gen));
      continue;
    }
    const double sd = ends("attn.c_proj.weight") || ends("mlp.c_proj.weight") ? resid
                      : n == "wte.weight"                                      ? impl_->pos->token_init_sd(cfg_.dim)
                                                                               : 0.02;
    if (ends("ln_1.weight") || ends("ln_2.weight") || n == "ln_f.weight") {
      std::fill(p, p + s.size, S(1));
    } else if (ends(".bias")) {
      std::fill(p, p + s.size, S(0));
    } else {
      for (std::size_t i = 0; i < s.size; ++i) p[i] = S(sd * nd(gen));
    }
  }
}

template <typename S>
std::vector<S> Gpt<S>::attention(int layer, int b, int head) const {
  const Impl& m = *impl_;
  for (std::size_t k = 0; k < m.work.size(); ++k) {
    const Work& w = m.work[k];
    const int local = b - m.first[k];
    if (local < 0 || local >= w.B) continue;
    if (layer < 0 || layer >= static_cast<int>(w.L.size()) || head < 0 || head >= cfg_.heads) break;
    const std::size_t TT = std::size_t(w.T) * w.T;
    const S* P = w.L[layer].P.data() + (std::size_t(local) * cfg_.heads + head) * TT;
    return std::vector<S>(P, P + TT);
  }
  throw Error("training model: no attention for that layer / sequence / head (run a forward pass first)");
}

template <typename S>
void Gpt<S>::check_length(int T) const {
  impl_->pos->check_length(T);
}

template <typename S>
void Gpt<S>::set_position_params(const SchemeParams& p) {
  GptConfig c = cfg_;
  c.position = p;
  std::unique_ptr<TrainablePosition<S>> pos = make_trainable<S>(scheme_params(c), train_shape(c));
  const std::vector<SchemeTensor> t = pos->tensors();
  bool same = t.size() == impl_->pos_tensors.size();
  for (std::size_t k = 0; same && k < t.size(); ++k)
    same = t[k].name == impl_->pos_tensors[k].name && t[k].shape == impl_->pos_tensors[k].shape;
  if (!same) throw Error("training model: those " + c.scheme + " settings would change its trained tensors");
  impl_->pos = std::move(pos);
  impl_->pos_T = -1;
  cfg_ = c;
}

template <typename S>
void Gpt<S>::prepare_positions(int T) {
  Impl& m = *impl_;
  m.pos->check_length(T);
  if (m.pos_T != T) {
    m.pos->prepare(T);
    m.pos_T = T;
  }
}

template <typename S>
SchemeWeights<S> Gpt<S>::scheme_weights(Work& w) const {
  return {params_.data(), w.grads.empty() ? nullptr : w.grads.data(), &impl_->pos_offsets};
}

template <typename S>
double Gpt<S>::step(const int* inputs, const int* targets, int B, int T, bool backward) {
  Impl& m = *impl_;
  const int V = cfg_.vocab;
  const int R = B * T;  // rows
  if (B < 1 || T < 1) throw Error("training model: need at least one sequence of one token");
  for (int r = 0; r < R; ++r)
    if (inputs[r] < 0 || inputs[r] >= V || targets[r] >= V)
      throw Error("training model: token id " + std::to_string(inputs[r] < 0 || inputs[r] >= V ? inputs[r] : targets[r]) +
                  " outside the vocabulary of " + std::to_string(V));
  prepare_positions(T);

  // Data-parallel over sequences: each worker runs its share of the batch with its own caches
  // and gradient (BLAS single-threaded inside), and the gradients are added in worker order, so
  // a run is deterministic for a given thread count.
  long long counted = 0;
  for (int r = 0; r < B * T; ++r) counted += targets[r] >= 0;
  if (counted == 0) throw Error("training model: no target to score");
  const int K = std::max(1, std::min(m.threads, B));
  m.work.resize(K);
  m.first.assign(K + 1, 0);
  for (int k = 0; k <= K; ++k) m.first[k] = static_cast<int>(static_cast<long long>(B) * k / K);
  std::vector<double> sums(K, 0.0);
  if (K > 1) openblas_set_num_threads(1);  // the workers call BLAS at once: no nested threads
  parallel_tasks(K, K, [&](int k, int) {
    const int b0 = m.first[k], nb = m.first[k + 1] - b0;
    sums[k] = run_chunk(m.work[k], inputs + std::size_t(b0) * T, targets + std::size_t(b0) * T, nb, T, counted, backward);
  });
  double loss = 0;
  for (double x : sums) loss += x;
  if (backward) {
    grads_ = m.work[0].grads;
    for (int k = 1; k < K; ++k)
      for (std::size_t i = 0; i < grads_.size(); ++i) grads_[i] += m.work[k].grads[i];
  }
  return loss / double(counted);
}

template <typename S>
double Gpt<S>::run_chunk(Work& w, const int* inputs, const int* targets, int B, int T, long long total,
                         bool backward) {
  const int R = B * T;
  w.B = B;
  w.T = T;
  w.in.assign(inputs, inputs + R);
  w.tgt.assign(targets, targets + R);
  w.L.resize(cfg_.layers);
  w.grads.clear();
  embed_forward(w);
  for (int l = 0; l < cfg_.layers; ++l) {
    attention_forward(w, l);
    mlp_forward(w, l);
  }
  const double loss = head_forward(w);
  if (!backward) return loss;
  w.grads.assign(params_.size(), S(0));
  head_backward(w, total);
  for (int l = cfg_.layers - 1; l >= 0; --l) {
    mlp_backward(w, l);
    attention_backward(w, l);
  }
  embed_backward(w);
  return loss;
}

namespace {

template <typename S>
void gemm(MatmulBackend be, bool ta, bool tb, int M, int N, int K, S alpha, const S* A, int lda, const S* B, int ldb,
          S beta, S* C, int ldc) {
  if (be == MatmulBackend::Blas) gemm_blas(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else gemm_naive<S>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// rows (R, n) += bias (n) on every row; dbias (n) += the column sums of drows (R, n).
template <typename S>
void add_rows(S* rows, const S* bias, int R, int n) {
  for (int r = 0; r < R; ++r)
    for (int e = 0; e < n; ++e) rows[std::size_t(r) * n + e] += bias[e];
}
template <typename S>
void sum_rows(const S* drows, S* dbias, int R, int n) {
  for (int r = 0; r < R; ++r)
    for (int e = 0; e < n; ++e) dbias[e] += drows[std::size_t(r) * n + e];
}

}  // namespace

// x (B*T, d) = wte[ids], plus the scheme's rows at each position (learned, sinusoidal).
template <typename S>
void Gpt<S>::embed_forward(Work& w) {
  const int d = cfg_.dim, R = w.B * w.T;
  w.x.assign(std::size_t(R) * d, S(0));
  const S* wte = params_.data() + slot("wte.weight").offset;
  const S scale = S(token_scale());
  for (int r = 0; r < R; ++r) {
    const S* e = wte + std::size_t(w.in[r]) * d;
    S* x = w.x.data() + std::size_t(r) * d;
    for (int c = 0; c < d; ++c) x[c] = scale * e[c];
  }
  if (impl_->pos->adds_input())
    for (int b = 0; b < w.B; ++b) impl_->pos->input_forward(w.x.data() + std::size_t(b) * w.T * d, w.T, scheme_weights(w));
}

// dwte[ids] += dx (B*T, d); the scheme takes its share (learned: dwpe).
template <typename S>
void Gpt<S>::embed_backward(Work& w) {
  const int d = cfg_.dim, R = w.B * w.T;
  S* dwte = w.grads.data() + slot("wte.weight").offset;
  const S scale = S(token_scale());
  for (int r = 0; r < R; ++r) {
    const S* g = w.dx.data() + std::size_t(r) * d;
    S* e = dwte + std::size_t(w.in[r]) * d;
    for (int c = 0; c < d; ++c) e[c] += scale * g[c];
  }
  if (impl_->pos->adds_input())
    for (int b = 0; b < w.B; ++b) impl_->pos->input_backward(w.dx.data() + std::size_t(b) * w.T * d, w.T, scheme_weights(w));
}

// Block l's attention half:  h1 = LN1(x) (R, d);  qkv = h1 W + b (R, 3d);  q, k rotated by the
// scheme; per head L = scale q k^T + the scheme's terms (T, T), causal softmax P, y = P v (R, d);
// x += y Wp + bp.
template <typename S>
void Gpt<S>::attention_forward(Work& w, int l) {
  Impl& m = *impl_;
  const int d = cfg_.dim, H = cfg_.heads, dh = d / H, B = w.B, T = w.T, R = B * T;
  auto& c = w.L[l];
  const std::string pre = "h." + std::to_string(l) + ".";
  auto P = [&](const std::string& name) { return params_.data() + slot(pre + name).offset; };
  c.xhat1.resize(std::size_t(R) * d);
  c.rstd1.resize(R);
  c.h1.resize(std::size_t(R) * d);
  layernorm_fwd(w.x.data(), R, d, P("ln_1.weight"), P("ln_1.bias"), cfg_.ln_eps, c.xhat1.data(), c.rstd1.data(), c.h1.data());
  c.qkv.assign(std::size_t(R) * 3 * d, S(0));
  add_rows(c.qkv.data(), P("attn.c_attn.bias"), R, 3 * d);
  gemm(backend_, false, false, R, 3 * d, d, S(1), c.h1.data(), d, P("attn.c_attn.weight"), 3 * d, S(1), c.qkv.data(), 3 * d);
  if (m.pos->rotates())
    for (int r = 0; r < R; ++r)
      for (int h = 0; h < H; ++h) {
        m.pos->rotate(c.qkv.data() + std::size_t(r) * 3 * d + h * dh, r % T, false, false);
        m.pos->rotate(c.qkv.data() + std::size_t(r) * 3 * d + d + h * dh, r % T, true, false);
      }
  const LayerContext<S> lc{l, T, d, H, scheme_weights(w), P("attn.c_attn.weight"), P("attn.c_attn.bias"), nullptr, nullptr, &c.pos};
  if (m.pos->has_scores()) m.pos->layer_forward(lc);
  c.P.assign(std::size_t(B) * H * T * T, S(0));
  c.y.assign(std::size_t(R) * d, S(0));
  const S scale = S(m.pos->logit_scale(dh));
  for (int task = 0; task < B * H; ++task) {
    const int b = task / H, h = task % H;
    const S* base = c.qkv.data() + std::size_t(b) * T * 3 * d;
    S* L = c.P.data() + std::size_t(task) * T * T;  // logits, then (in place) probabilities
    for (int i = 0; i < T; ++i) {
      const S* q = base + std::size_t(i) * 3 * d + h * dh;
      for (int j = 0; j <= i; ++j) {
        const S* k = base + std::size_t(j) * 3 * d + d + h * dh;
        S s = 0;
        for (int e = 0; e < dh; ++e) s += q[e] * k[e];
        L[std::size_t(i) * T + j] = s * scale;
      }
    }
    if (m.pos->has_scores()) {
      const HeadContext<S> hc{l, h, T, dh, d, base + h * dh, base + d + h * dh, 3 * d, nullptr, nullptr, lc.w, &c.pos};
      m.pos->scores_forward(hc, L);
    }
    for (int i = 0; i < T; ++i) {
      S* pr = L + std::size_t(i) * T;
      const S mx = *std::max_element(pr, pr + i + 1);
      exp_shifted(pr, i + 1, mx);
      S sum = 0;
      for (int j = 0; j <= i; ++j) sum += pr[j];
      const S inv = S(1) / sum;
      S* yo = c.y.data() + (std::size_t(b) * T + i) * d + h * dh;
      for (int j = 0; j <= i; ++j) {
        pr[j] *= inv;
        const S* v = base + std::size_t(j) * 3 * d + 2 * d + h * dh;
        for (int e = 0; e < dh; ++e) yo[e] += pr[j] * v[e];
      }
    }
  }
  add_rows(w.x.data(), P("attn.c_proj.bias"), R, d);
  gemm(backend_, false, false, R, d, d, S(1), c.y.data(), d, P("attn.c_proj.weight"), d, S(1), w.x.data(), d);
}

// The backward of attention_forward: dx (R, d) in, dx += the gradient through LN1; the weight
// gradients of the block and the scheme accumulate in w.grads.
template <typename S>
void Gpt<S>::attention_backward(Work& w, int l) {
  Impl& m = *impl_;
  const int d = cfg_.dim, H = cfg_.heads, dh = d / H, B = w.B, T = w.T, R = B * T;
  auto& c = w.L[l];
  const std::string pre = "h." + std::to_string(l) + ".";
  auto P = [&](const std::string& name) { return params_.data() + slot(pre + name).offset; };
  auto G = [&](const std::string& name) { return w.grads.data() + slot(pre + name).offset; };
  sum_rows(w.dx.data(), G("attn.c_proj.bias"), R, d);
  gemm(backend_, true, false, d, d, R, S(1), c.y.data(), d, w.dx.data(), d, S(1), G("attn.c_proj.weight"), d);
  w.dy.assign(std::size_t(R) * d, S(0));
  gemm(backend_, false, true, R, d, d, S(1), w.dx.data(), d, P("attn.c_proj.weight"), d, S(0), w.dy.data(), d);
  w.dqkv.assign(std::size_t(R) * 3 * d, S(0));
  const LayerContext<S> lc{l, T, d, H, scheme_weights(w), P("attn.c_attn.weight"), P("attn.c_attn.bias"),
                           G("attn.c_attn.weight"), G("attn.c_attn.bias"), &c.pos};
  const S scale = S(m.pos->logit_scale(dh));
  std::vector<S> dL(std::size_t(T) * T);
  for (int task = 0; task < B * H; ++task) {
    const int b = task / H, h = task % H;
    const S* base = c.qkv.data() + std::size_t(b) * T * 3 * d;
    S* dbase = w.dqkv.data() + std::size_t(b) * T * 3 * d;
    const S* Pm = c.P.data() + std::size_t(task) * T * T;
    std::fill(dL.begin(), dL.end(), S(0));
    for (int i = 0; i < T; ++i) {  // dL = P (dP - rowsum(P dP)), dP = dy v^T; dv += P^T dy
      const S* dyo = w.dy.data() + (std::size_t(b) * T + i) * d + h * dh;
      const S* pr = Pm + std::size_t(i) * T;
      S* dl = dL.data() + std::size_t(i) * T;
      S dot = 0;
      for (int j = 0; j <= i; ++j) {
        const S* v = base + std::size_t(j) * 3 * d + 2 * d + h * dh;
        S* dv = dbase + std::size_t(j) * 3 * d + 2 * d + h * dh;
        S dp = 0;
        for (int e = 0; e < dh; ++e) {
          dp += dyo[e] * v[e];
          dv[e] += pr[j] * dyo[e];
        }
        dl[j] = dp;
        dot += pr[j] * dp;
      }
      for (int j = 0; j <= i; ++j) dl[j] = pr[j] * (dl[j] - dot);
    }
    for (int i = 0; i < T; ++i) {  // the content score: scale q.k
      const S* q = base + std::size_t(i) * 3 * d + h * dh;
      S* dq = dbase + std::size_t(i) * 3 * d + h * dh;
      for (int j = 0; j <= i; ++j) {
        const S ds = dL[std::size_t(i) * T + j] * scale;
        const S* k = base + std::size_t(j) * 3 * d + d + h * dh;
        S* dk = dbase + std::size_t(j) * 3 * d + d + h * dh;
        for (int e = 0; e < dh; ++e) {
          dq[e] += ds * k[e];
          dk[e] += ds * q[e];
        }
      }
    }
    if (m.pos->has_scores()) {
      const HeadContext<S> hc{l, h, T, dh, d, base + h * dh, base + d + h * dh, 3 * d, dbase + h * dh, dbase + d + h * dh,
                              lc.w, &c.pos};
      m.pos->scores_backward(hc, dL.data());
    }
  }
  if (m.pos->has_scores()) m.pos->layer_backward(lc);
  if (m.pos->rotates())
    for (int r = 0; r < R; ++r)
      for (int h = 0; h < H; ++h) {
        m.pos->rotate(w.dqkv.data() + std::size_t(r) * 3 * d + h * dh, r % T, false, true);
        m.pos->rotate(w.dqkv.data() + std::size_t(r) * 3 * d + d + h * dh, r % T, true, true);
      }
  sum_rows(w.dqkv.data(), G("attn.c_attn.bias"), R, 3 * d);
  gemm(backend_, true, false, d, 3 * d, R, S(1), c.h1.data(), d, w.dqkv.data(), 3 * d, S(1), G("attn.c_attn.weight"), 3 * d);
  gemm(backend_, false, true, R, d, 3 * d, S(1), w.dqkv.data(), 3 * d, P("attn.c_attn.weight"), 3 * d, S(0), w.dh.data(), d);
  layernorm_bwd(w.dh.data(), c.xhat1.data(), c.rstd1.data(), P("ln_1.weight"), R, d, w.dx.data(), G("ln_1.weight"),
                G("ln_1.bias"));
}

// Block l's MLP half: h2 = LN2(x);  f = h2 Wf + bf (R, 4d);  g = gelu_tanh(f);  x += g Wm + bm.
template <typename S>
void Gpt<S>::mlp_forward(Work& w, int l) {
  const int d = cfg_.dim, R = w.B * w.T;
  auto& c = w.L[l];
  const std::string pre = "h." + std::to_string(l) + ".";
  auto P = [&](const std::string& name) { return params_.data() + slot(pre + name).offset; };
  c.xhat2.resize(std::size_t(R) * d);
  c.rstd2.resize(R);
  c.h2.resize(std::size_t(R) * d);
  layernorm_fwd(w.x.data(), R, d, P("ln_2.weight"), P("ln_2.bias"), cfg_.ln_eps, c.xhat2.data(), c.rstd2.data(), c.h2.data());
  c.f.assign(std::size_t(R) * 4 * d, S(0));
  add_rows(c.f.data(), P("mlp.c_fc.bias"), R, 4 * d);
  gemm(backend_, false, false, R, 4 * d, d, S(1), c.h2.data(), d, P("mlp.c_fc.weight"), 4 * d, S(1), c.f.data(), 4 * d);
  c.g.resize(c.f.size());
  c.th.resize(c.f.size());
  gelu_forward(c.f.data(), c.th.data(), c.g.data(), c.f.size());
  add_rows(w.x.data(), P("mlp.c_proj.bias"), R, d);
  gemm(backend_, false, false, R, d, 4 * d, S(1), c.g.data(), 4 * d, P("mlp.c_proj.weight"), d, S(1), w.x.data(), d);
}

template <typename S>
void Gpt<S>::mlp_backward(Work& w, int l) {
  const int d = cfg_.dim, R = w.B * w.T;
  auto& c = w.L[l];
  const std::string pre = "h." + std::to_string(l) + ".";
  auto P = [&](const std::string& name) { return params_.data() + slot(pre + name).offset; };
  auto G = [&](const std::string& name) { return w.grads.data() + slot(pre + name).offset; };
  sum_rows(w.dx.data(), G("mlp.c_proj.bias"), R, d);
  gemm(backend_, true, false, 4 * d, d, R, S(1), c.g.data(), 4 * d, w.dx.data(), d, S(1), G("mlp.c_proj.weight"), d);
  w.df.assign(std::size_t(R) * 4 * d, S(0));
  gemm(backend_, false, true, R, 4 * d, d, S(1), w.dx.data(), d, P("mlp.c_proj.weight"), d, S(0), w.df.data(), 4 * d);
  for (std::size_t i = 0; i < w.df.size(); ++i) {  // d gelu_tanh / df
    const S v = c.f[i], th = c.th[i];
    w.df[i] *= S(0.5) * (S(1) + th) + S(0.5) * v * (S(1) - th * th) * S(kGeluC) * (S(1) + S(3 * 0.044715) * v * v);
  }
  sum_rows(w.df.data(), G("mlp.c_fc.bias"), R, 4 * d);
  gemm(backend_, true, false, d, 4 * d, R, S(1), c.h2.data(), d, w.df.data(), 4 * d, S(1), G("mlp.c_fc.weight"), 4 * d);
  w.dh.assign(std::size_t(R) * d, S(0));
  gemm(backend_, false, true, R, d, 4 * d, S(1), w.df.data(), 4 * d, P("mlp.c_fc.weight"), 4 * d, S(0), w.dh.data(), d);
  layernorm_bwd(w.dh.data(), c.xhat2.data(), c.rstd2.data(), P("ln_2.weight"), R, d, w.dx.data(), G("ln_2.weight"),
                G("ln_2.bias"));
}

// xf = LN_f(x);  logits = xf wte^T (R, V), softmaxed in place into w.probs; returns the summed
// cross-entropy of the scored targets.
template <typename S>
double Gpt<S>::head_forward(Work& w) {
  const int d = cfg_.dim, V = cfg_.vocab, R = w.B * w.T;
  auto P = [&](const std::string& name) { return params_.data() + slot(name).offset; };
  w.xhatf.resize(std::size_t(R) * d);
  w.rstdf.resize(R);
  w.xf.resize(std::size_t(R) * d);
  layernorm_fwd(w.x.data(), R, d, P("ln_f.weight"), P("ln_f.bias"), cfg_.ln_eps, w.xhatf.data(), w.rstdf.data(), w.xf.data());
  w.probs.resize(std::size_t(R) * V);
  gemm(backend_, false, true, R, V, d, S(1), w.xf.data(), d, P("wte.weight"), d, S(0), w.probs.data(), V);
  double loss = 0;
  for (int r = 0; r < R; ++r) {
    S* pr = w.probs.data() + std::size_t(r) * V;
    const int t = w.tgt[r];
    const S mx = *std::max_element(pr, pr + V);
    const double target_logit = t >= 0 ? double(pr[t] - mx) : 0.0;
    exp_shifted(pr, V, mx);
    double sum = 0;
    for (int v = 0; v < V; ++v) sum += pr[v];
    if (t >= 0) loss += std::log(sum) - target_logit;
    const S inv = S(1.0 / sum);
    for (int v = 0; v < V; ++v) pr[v] *= inv;
  }
  return loss;
}

// dlogits = (p - onehot) / total (the whole batch's scored targets), in place in probs; then
// the tied head's two gradients (wte as output, xf) and LN_f's: w.dx (R, d) is set.
template <typename S>
void Gpt<S>::head_backward(Work& w, long long total) {
  const int d = cfg_.dim, V = cfg_.vocab, R = w.B * w.T;
  auto P = [&](const std::string& name) { return params_.data() + slot(name).offset; };
  auto G = [&](const std::string& name) { return w.grads.data() + slot(name).offset; };
  const S invn = S(1.0 / double(total));
  for (int r = 0; r < R; ++r) {
    S* pr = w.probs.data() + std::size_t(r) * V;
    if (w.tgt[r] < 0) {
      std::fill(pr, pr + V, S(0));
      continue;
    }
    pr[w.tgt[r]] -= S(1);
    for (int v = 0; v < V; ++v) pr[v] *= invn;
  }
  gemm(backend_, true, false, V, d, R, S(1), w.probs.data(), V, w.xf.data(), d, S(1), G("wte.weight"), d);
  w.dh.assign(std::size_t(R) * d, S(0));
  gemm(backend_, false, false, R, d, V, S(1), w.probs.data(), V, P("wte.weight"), d, S(0), w.dh.data(), d);
  w.dx.assign(std::size_t(R) * d, S(0));
  layernorm_bwd(w.dh.data(), w.xhatf.data(), w.rstdf.data(), P("ln_f.weight"), R, d, w.dx.data(), G("ln_f.weight"),
                G("ln_f.bias"));
}

template class Gpt<float>;
template class Gpt<double>;

}  // namespace es::train
