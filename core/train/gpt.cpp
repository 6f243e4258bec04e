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

std::vector<std::string> trainable_schemes() {
  return {"none", "learned", "sinusoidal", "rope", "alibi", "t5", "transformer-xl"};
}

void validate(const GptConfig& c) {
  auto bad = [](const std::string& m) { throw Error("training model: " + m); };
  if (c.vocab < 2 || c.vocab > 1 << 20) bad("vocabulary must have 2 to 1048576 tokens (got " + std::to_string(c.vocab) + ")");
  if (c.layers < 1 || c.layers > 48) bad("layers must be 1 to 48 (got " + std::to_string(c.layers) + ")");
  if (c.heads < 1 || c.heads > 64) bad("heads must be 1 to 64 (got " + std::to_string(c.heads) + ")");
  if (c.dim < 2 || c.dim > 4096) bad("dim must be 2 to 4096 (got " + std::to_string(c.dim) + ")");
  if (c.dim % c.heads != 0)
    bad("dim (" + std::to_string(c.dim) + ") must be a multiple of heads (" + std::to_string(c.heads) + ")");
  if (c.context < 2 || c.context > 8192) bad("context must be 2 to 8192 (got " + std::to_string(c.context) + ")");
  const auto all = trainable_schemes();
  if (std::find(all.begin(), all.end(), c.scheme) == all.end()) {
    std::string list;
    for (const auto& s : all) list += (list.empty() ? "" : ", ") + s;
    bad("the trainer runs the schemes " + list + " (got '" + c.scheme + "')");
  }
  if (c.scheme == "rope" && (c.dim / c.heads) % 2 != 0)
    bad("RoPE rotates pairs: the head width dim / heads (" + std::to_string(c.dim / c.heads) + ") must be even");
  if ((c.scheme == "sinusoidal" || c.scheme == "transformer-xl") && c.dim % 2 != 0)
    bad(c.scheme + " needs an even dim (its sinusoids come in sin / cos pairs)");
  if (!(c.ln_eps > 0) || !(c.base > 1)) bad("LayerNorm eps must be > 0 and the base > 1");
  if (c.scheme == "t5") t5_relative_bucket(c.t5_max_distance, false, c.t5_buckets, c.t5_max_distance);  // validates
}

// One worker's share of a batch: its sequences' forward caches, backward scratch and gradient.
template <typename S>
struct Gpt<S>::Work {
  using Vec = std::vector<S>;
  int B = 0, T = 0;
  std::vector<int> in, tgt;
  struct Layer {
    Vec xhat1, rstd1, h1, qkv, P, y, xhat2, rstd2, h2, f, th, g;  // th: tanh inside GELU
    Vec rk;  // Transformer-XL: (T, d) W_kR R_o, per head slices
  };
  std::vector<Layer> L;
  Vec x, xhatf, rstdf, xf, probs;
  Vec dx, dh, dqkv, dy, df;
  Vec grads;
};

template <typename S>
struct Gpt<S>::Impl {
  using Vec = std::vector<S>;
  int threads = 1;
  // Position data for the current length T.
  int pos_T = -1;
  Vec pos_rows;                  // (T, d) sinusoidal
  Vec rope_c, rope_s;            // (T, dh): y[j] = x[j] c[p][j] + x[partner[j]] s[p][j]
  std::vector<int> rope_partner; // (dh), -1 for an unrotated dimension
  Vec alibi;                     // (H, T, T)
  std::vector<int> bucket;       // (T, T) T5 bucket of (query i, key j), j <= i
  Vec rel;                       // (T, d) Transformer-XL's R_o for distances o = 0 .. T-1
  // The batch split over workers: worker k holds sequences first[k] .. first[k + 1] - 1.
  std::vector<Work> work;
  std::vector<int> first;
};

namespace {

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
  const int64_t V = c.vocab, d = c.dim;
  std::size_t at = 0;
  auto add = [&](std::string name, std::vector<int64_t> shape, bool decay) {
    std::size_t n = 1;
    for (auto s : shape) n *= std::size_t(s);
    slots_.push_back({std::move(name), std::move(shape), at, n, decay});
    at += n;
  };
  add("wte.weight", {V, d}, true);
  if (c.scheme == "learned") add("wpe.weight", {c.context, d}, true);
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = "h." + std::to_string(l) + ".";
    add(p + "ln_1.weight", {d}, false);
    add(p + "ln_1.bias", {d}, false);
    add(p + "attn.c_attn.weight", {d, 3 * d}, true);
    add(p + "attn.c_attn.bias", {3 * d}, false);
    add(p + "attn.c_proj.weight", {d, d}, true);
    add(p + "attn.c_proj.bias", {d}, false);
    if (c.scheme == "transformer-xl") {  // u, v per head and W_kR (stored (in, out)), per layer
      add(p + "attn.r_w_bias", {c.heads, d / c.heads}, false);
      add(p + "attn.r_r_bias", {c.heads, d / c.heads}, false);
      add(p + "attn.r_net.weight", {d, d}, true);
    }
    add(p + "ln_2.weight", {d}, false);
    add(p + "ln_2.bias", {d}, false);
    add(p + "mlp.c_fc.weight", {d, 4 * d}, true);
    add(p + "mlp.c_fc.bias", {4 * d}, false);
    add(p + "mlp.c_proj.weight", {4 * d, d}, true);
    add(p + "mlp.c_proj.bias", {d}, false);
  }
  add("ln_f.weight", {d}, false);
  add("ln_f.bias", {d}, false);
  if (c.scheme == "t5") add("h.0.attn.relative_attention_bias.weight", {c.t5_buckets, c.heads}, false);
  params_.assign(at, S(0));
  grads_.assign(at, S(0));
  init(0);
}

template <typename S>
Gpt<S>::~Gpt() = default;
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
    double sd = 0.02;
    if (n == "wpe.weight") sd = 0.01;
    else if (ends("attn.c_proj.weight") || ends("mlp.c_proj.weight")) sd = resid;
    if (ends("ln_1.weight") || ends("ln_2.weight") || n == "ln_f.weight") {
      std::fill(p, p + s.size, S(1));
    } else if (ends(".bias") && n.find("relative_attention_bias") == std::string::npos) {
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
double Gpt<S>::step(const int* inputs, const int* targets, int B, int T, bool backward) {
  Impl& m = *impl_;
  const int d = cfg_.dim, H = cfg_.heads, dh = d / H, V = cfg_.vocab;
  const int R = B * T;  // rows
  if (B < 1 || T < 1) throw Error("training model: need at least one sequence of one token");
  if (cfg_.scheme == "learned" && T > cfg_.context)
    throw Error("learned positions: the table has " + std::to_string(cfg_.context) + " rows, so sequences of " +
                std::to_string(T) + " tokens cannot be embedded (a learned table does not extrapolate)");
  for (int r = 0; r < R; ++r)
    if (inputs[r] < 0 || inputs[r] >= V || targets[r] >= V)
      throw Error("training model: token id " + std::to_string(inputs[r] < 0 || inputs[r] >= V ? inputs[r] : targets[r]) +
                  " outside the vocabulary of " + std::to_string(V));
  // Position data for this length (from the registry's schemes).
  if (m.pos_T != T) {
    m.pos_T = T;
    if (cfg_.scheme == "sinusoidal" || cfg_.scheme == "rope" || cfg_.scheme == "alibi") {
      SchemeParams sp;
      sp.kind = cfg_.scheme;
      sp.base = cfg_.base;
      sp.layout = SinusoidLayout::Interleaved;
      sp.pairs = RopePairs::HalfSplit;
      sp.head_dim = dh;
      sp.rotary_fraction = 1.0;
      sp.heads = H;
      sp.causal = true;
      const SchemeInfo* info = find_scheme(cfg_.scheme);
      std::unique_ptr<PositionScheme> sch = info->make(sp, SchemeData{});
      if (cfg_.scheme == "sinusoidal") {
        const MatrixRM rows = sch->input_rows(T, d);
        m.pos_rows.assign(std::size_t(T) * d, S(0));
        for (int t = 0; t < T; ++t)
          for (int c = 0; c < d; ++c) m.pos_rows[std::size_t(t) * d + c] = S(rows(t, c));
      } else if (cfg_.scheme == "rope") {
        // Row i of the rotation at position p is e_i rotated there. A rotation of pairs has at
        // most two entries per column: its diagonal and its partner's (found at position 1,
        // where every pair has a non-zero angle).
        m.rope_c.assign(std::size_t(T) * dh, S(1));
        m.rope_s.assign(std::size_t(T) * dh, S(0));
        m.rope_partner.assign(dh, -1);
        MatrixRM e(1, dh);
        auto rotated = [&](int i, int p) {
          e.setZero();
          e(0, i) = 1.0f;
          sch->rotate_qk(e, p);
          return e;
        };
        for (int j = 0; j < dh; ++j) {
          const MatrixRM r1 = rotated(j, 1);
          float best_abs = 0;
          for (int k = 0; k < dh; ++k)
            if (k != j && std::abs(r1(0, k)) > best_abs) best_abs = std::abs(r1(0, k)), m.rope_partner[j] = k;
        }
        for (int p = 0; p < T; ++p)
          for (int j = 0; j < dh; ++j) {
            m.rope_c[std::size_t(p) * dh + j] = S(rotated(j, p)(0, j));
            const int k = m.rope_partner[j];
            if (k >= 0) m.rope_s[std::size_t(p) * dh + j] = S(rotated(k, p)(0, j));
          }
      } else {
        m.alibi.assign(std::size_t(H) * T * T, S(0));
        for (int h = 0; h < H; ++h) {
          const MatrixRM b = sch->attention_bias(T, h);
          for (int i = 0; i < T; ++i)
            for (int j = 0; j <= i; ++j) m.alibi[(std::size_t(h) * T + i) * T + j] = S(b(i, j));
        }
      }
    }
    if (cfg_.scheme == "transformer-xl") {  // R_o, o = 0 .. T-1: sinusoids of the distance ([sin | cos])
      SchemeParams sp;
      sp.kind = cfg_.scheme;
      sp.base = cfg_.base;
      sp.causal = true;
      const MatrixRM rel = find_scheme(sp.kind)->make(sp, SchemeData{})->relative_embeddings(T, d);
      m.rel.assign(std::size_t(T) * d, S(0));
      for (int o = 0; o < T; ++o)
        for (int e = 0; e < d; ++e) m.rel[std::size_t(o) * d + e] = S(rel(o, e));
    }
    if (cfg_.scheme == "t5") {
      m.bucket.assign(std::size_t(T) * T, 0);
      for (int i = 0; i < T; ++i)
        for (int j = 0; j <= i; ++j)
          m.bucket[std::size_t(i) * T + j] = t5_relative_bucket(j - i, false, cfg_.t5_buckets, cfg_.t5_max_distance);
    }
  }

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
  Impl& m = *impl_;
  const int d = cfg_.dim, H = cfg_.heads, dh = d / H, V = cfg_.vocab, NL = cfg_.layers;
  const int R = B * T;  // rows
  auto gemm = [&](bool ta, bool tb, int M, int N, int K, S alpha, const S* A, int lda, const S* Bm, int ldb, S beta,
                  S* C, int ldc) {
    if (backend_ == MatmulBackend::Blas) gemm_blas(ta, tb, M, N, K, alpha, A, lda, Bm, ldb, beta, C, ldc);
    else gemm_naive<S>(ta, tb, M, N, K, alpha, A, lda, Bm, ldb, beta, C, ldc);
  };
  auto P = [&](const std::string& name) { return params_.data() + slot(name).offset; };
  auto G = [&](const std::string& name) { return w.grads.data() + slot(name).offset; };
  // ---- forward ----
  w.B = B;
  w.T = T;
  w.in.assign(inputs, inputs + R);
  w.tgt.assign(targets, targets + R);
  w.L.resize(NL);
  w.x.assign(std::size_t(R) * d, S(0));
  {
    const S* wte = P("wte.weight");
    const S* wpe = cfg_.scheme == "learned" ? P("wpe.weight") : nullptr;
    for (int r = 0; r < R; ++r) {
      const int t = r % T;
      S* xr = w.x.data() + std::size_t(r) * d;
      const S* e = wte + std::size_t(inputs[r]) * d;
      for (int c = 0; c < d; ++c) xr[c] = e[c];
      if (wpe)
        for (int c = 0; c < d; ++c) xr[c] += wpe[std::size_t(t) * d + c];
      if (cfg_.scheme == "sinusoidal")
        for (int c = 0; c < d; ++c) xr[c] += m.pos_rows[std::size_t(t) * d + c];
    }
  }
  const S scale = S(1.0 / std::sqrt(double(dh)));
  const S* t5 = cfg_.scheme == "t5" ? P("h.0.attn.relative_attention_bias.weight") : nullptr;
  const bool txl = cfg_.scheme == "transformer-xl";
  auto rotate = [&](S* v, int p, bool inverse) {  // one head row of width dh at position p
    S tmp[4096];
    for (int j = 0; j < dh; ++j) tmp[j] = v[j];
    for (int j = 0; j < dh; ++j) {
      const int k = m.rope_partner[j];
      const std::size_t at = std::size_t(p) * dh;
      if (!inverse) v[j] = tmp[j] * m.rope_c[at + j] + (k >= 0 ? tmp[k] * m.rope_s[at + j] : S(0));
      else v[j] = tmp[j] * m.rope_c[at + j] + (k >= 0 ? tmp[k] * m.rope_s[at + k] : S(0));
    }
  };
  for (int l = 0; l < NL; ++l) {
    auto& c = w.L[l];
    const std::string pre = "h." + std::to_string(l) + ".";
    c.xhat1.resize(std::size_t(R) * d);
    c.rstd1.resize(R);
    c.h1.resize(std::size_t(R) * d);
    layernorm_fwd(w.x.data(), R, d, P(pre + "ln_1.weight"), P(pre + "ln_1.bias"), cfg_.ln_eps, c.xhat1.data(),
                  c.rstd1.data(), c.h1.data());
    c.qkv.resize(std::size_t(R) * 3 * d);
    const S* ba = P(pre + "attn.c_attn.bias");
    for (int r = 0; r < R; ++r) std::copy(ba, ba + 3 * d, c.qkv.data() + std::size_t(r) * 3 * d);
    gemm(false, false, R, 3 * d, d, S(1), c.h1.data(), d, P(pre + "attn.c_attn.weight"), 3 * d, S(1), c.qkv.data(), 3 * d);
    if (cfg_.scheme == "rope")
      for (int r = 0; r < R; ++r)
        for (int h = 0; h < H; ++h) {
          rotate(c.qkv.data() + std::size_t(r) * 3 * d + h * dh, r % T, false);
          rotate(c.qkv.data() + std::size_t(r) * 3 * d + d + h * dh, r % T, false);
        }
    c.P.assign(std::size_t(B) * H * T * T, S(0));
    c.y.assign(std::size_t(R) * d, S(0));
    const S* u_all = txl ? P(pre + "attn.r_w_bias") : nullptr;
    const S* v_all = txl ? P(pre + "attn.r_r_bias") : nullptr;
    if (txl) {  // rk = R W_kR: the relative keys of every distance
      c.rk.assign(std::size_t(T) * d, S(0));
      gemm(false, false, T, d, d, S(1), m.rel.data(), d, P(pre + "attn.r_net.weight"), d, S(0), c.rk.data(), d);
    }
    std::vector<S> qu(dh), qv(dh);
    for (int task = 0; task < B * H; ++task) {
      const int b = task / H, h = task % H;
      const S* base = c.qkv.data() + std::size_t(b) * T * 3 * d;
      S* Pm = c.P.data() + std::size_t(task) * T * T;
      for (int i = 0; i < T; ++i) {
        const S* q = base + std::size_t(i) * 3 * d + h * dh;
        if (txl)
          for (int e = 0; e < dh; ++e) qu[e] = q[e] + u_all[h * dh + e], qv[e] = q[e] + v_all[h * dh + e];
        S* pr = Pm + std::size_t(i) * T;
        S mx = -std::numeric_limits<S>::infinity();
        for (int j = 0; j <= i; ++j) {
          const S* k = base + std::size_t(j) * 3 * d + d + h * dh;
          S s = 0;
          if (txl) {  // (q + u).k_j + (q + v).W_kR R_{i-j}
            const S* rk = c.rk.data() + std::size_t(i - j) * d + h * dh;
            for (int e = 0; e < dh; ++e) s += qu[e] * k[e] + qv[e] * rk[e];
          } else {
            for (int e = 0; e < dh; ++e) s += q[e] * k[e];
          }
          s *= scale;
          if (cfg_.scheme == "alibi") s += m.alibi[(std::size_t(h) * T + i) * T + j];
          if (t5) s += t5[std::size_t(m.bucket[std::size_t(i) * T + j]) * H + h];
          pr[j] = s;
          mx = std::max(mx, s);
        }
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
    // x += y c_proj.W + c_proj.b
    const S* bp = P(pre + "attn.c_proj.bias");
    for (int r = 0; r < R; ++r)
      for (int e = 0; e < d; ++e) w.x[std::size_t(r) * d + e] += bp[e];
    gemm(false, false, R, d, d, S(1), c.y.data(), d, P(pre + "attn.c_proj.weight"), d, S(1), w.x.data(), d);
    c.xhat2.resize(std::size_t(R) * d);
    c.rstd2.resize(R);
    c.h2.resize(std::size_t(R) * d);
    layernorm_fwd(w.x.data(), R, d, P(pre + "ln_2.weight"), P(pre + "ln_2.bias"), cfg_.ln_eps, c.xhat2.data(),
                  c.rstd2.data(), c.h2.data());
    c.f.resize(std::size_t(R) * 4 * d);
    const S* bf = P(pre + "mlp.c_fc.bias");
    for (int r = 0; r < R; ++r) std::copy(bf, bf + 4 * d, c.f.data() + std::size_t(r) * 4 * d);
    gemm(false, false, R, 4 * d, d, S(1), c.h2.data(), d, P(pre + "mlp.c_fc.weight"), 4 * d, S(1), c.f.data(), 4 * d);
    c.g.resize(c.f.size());
    c.th.resize(c.f.size());
    gelu_forward(c.f.data(), c.th.data(), c.g.data(), c.f.size());
    const S* bm = P(pre + "mlp.c_proj.bias");
    for (int r = 0; r < R; ++r)
      for (int e = 0; e < d; ++e) w.x[std::size_t(r) * d + e] += bm[e];
    gemm(false, false, R, d, 4 * d, S(1), c.g.data(), 4 * d, P(pre + "mlp.c_proj.weight"), d, S(1), w.x.data(), d);
  }
  w.xhatf.resize(std::size_t(R) * d);
  w.rstdf.resize(R);
  w.xf.resize(std::size_t(R) * d);
  layernorm_fwd(w.x.data(), R, d, P("ln_f.weight"), P("ln_f.bias"), cfg_.ln_eps, w.xhatf.data(), w.rstdf.data(),
                w.xf.data());
  w.probs.resize(std::size_t(R) * V);
  gemm(false, true, R, V, d, S(1), w.xf.data(), d, P("wte.weight"), d, S(0), w.probs.data(), V);
  double loss = 0;
  int counted = 0;
  for (int r = 0; r < R; ++r) {
    S* pr = w.probs.data() + std::size_t(r) * V;
    const S mx = *std::max_element(pr, pr + V);
    const double target_logit = targets[r] >= 0 ? double(pr[targets[r]] - mx) : 0.0;
    exp_shifted(pr, V, mx);
    double sum = 0;
    for (int v = 0; v < V; ++v) sum += pr[v];
    if (targets[r] >= 0) {
      loss += std::log(sum) - target_logit;
      ++counted;
    }
    const S inv = S(1.0 / sum);
    for (int v = 0; v < V; ++v) pr[v] *= inv;
  }
  if (!backward) return loss;

  // ---- backward ----
  w.grads.assign(params_.size(), S(0));
  // dlogits = (p - onehot) / total (the whole batch's scored targets), in place in probs.
  const S invn = S(1.0 / double(total));
  for (int r = 0; r < R; ++r) {
    S* pr = w.probs.data() + std::size_t(r) * V;
    if (targets[r] < 0) {
      std::fill(pr, pr + V, S(0));
      continue;
    }
    pr[targets[r]] -= S(1);
    for (int v = 0; v < V; ++v) pr[v] *= invn;
  }
  gemm(true, false, V, d, R, S(1), w.probs.data(), V, w.xf.data(), d, S(1), G("wte.weight"), d);
  w.dh.assign(std::size_t(R) * d, S(0));
  gemm(false, false, R, d, V, S(1), w.probs.data(), V, P("wte.weight"), d, S(0), w.dh.data(), d);
  w.dx.assign(std::size_t(R) * d, S(0));
  layernorm_bwd(w.dh.data(), w.xhatf.data(), w.rstdf.data(), P("ln_f.weight"), R, d, w.dx.data(), G("ln_f.weight"),
                G("ln_f.bias"));
  S* dt5 = t5 ? G("h.0.attn.relative_attention_bias.weight") : nullptr;

  for (int l = NL - 1; l >= 0; --l) {
    auto& c = w.L[l];
    const std::string pre = "h." + std::to_string(l) + ".";
    // MLP: x += g Wm + bm, g = gelu(f), f = h2 Wf + bf.
    {
      S* dbm = G(pre + "mlp.c_proj.bias");
      for (int r = 0; r < R; ++r)
        for (int e = 0; e < d; ++e) dbm[e] += w.dx[std::size_t(r) * d + e];
      gemm(true, false, 4 * d, d, R, S(1), c.g.data(), 4 * d, w.dx.data(), d, S(1), G(pre + "mlp.c_proj.weight"), d);
      w.df.assign(std::size_t(R) * 4 * d, S(0));
      gemm(false, true, R, 4 * d, d, S(1), w.dx.data(), d, P(pre + "mlp.c_proj.weight"), d, S(0), w.df.data(), 4 * d);
      for (std::size_t i = 0; i < w.df.size(); ++i) {
        const S v = c.f[i];
        const S th = c.th[i];
        const S dg = S(0.5) * (S(1) + th) + S(0.5) * v * (S(1) - th * th) * S(kGeluC) * (S(1) + S(3 * 0.044715) * v * v);
        w.df[i] *= dg;
      }
      S* dbf = G(pre + "mlp.c_fc.bias");
      for (int r = 0; r < R; ++r)
        for (int e = 0; e < 4 * d; ++e) dbf[e] += w.df[std::size_t(r) * 4 * d + e];
      gemm(true, false, d, 4 * d, R, S(1), c.h2.data(), d, w.df.data(), 4 * d, S(1), G(pre + "mlp.c_fc.weight"), 4 * d);
      gemm(false, true, R, d, 4 * d, S(1), w.df.data(), 4 * d, P(pre + "mlp.c_fc.weight"), 4 * d, S(0), w.dh.data(), d);
      layernorm_bwd(w.dh.data(), c.xhat2.data(), c.rstd2.data(), P(pre + "ln_2.weight"), R, d, w.dx.data(),
                    G(pre + "ln_2.weight"), G(pre + "ln_2.bias"));
    }
    // Attention: x += y Wp + bp.
    {
      S* dbp = G(pre + "attn.c_proj.bias");
      for (int r = 0; r < R; ++r)
        for (int e = 0; e < d; ++e) dbp[e] += w.dx[std::size_t(r) * d + e];
      gemm(true, false, d, d, R, S(1), c.y.data(), d, w.dx.data(), d, S(1), G(pre + "attn.c_proj.weight"), d);
      w.dy.assign(std::size_t(R) * d, S(0));
      gemm(false, true, R, d, d, S(1), w.dx.data(), d, P(pre + "attn.c_proj.weight"), d, S(0), w.dy.data(), d);
      w.dqkv.assign(std::size_t(R) * 3 * d, S(0));
      const S* u_all = txl ? P(pre + "attn.r_w_bias") : nullptr;
      const S* v_all = txl ? P(pre + "attn.r_r_bias") : nullptr;
      S* du_all = txl ? G(pre + "attn.r_w_bias") : nullptr;
      S* dv_all = txl ? G(pre + "attn.r_r_bias") : nullptr;
      std::vector<S> drk(txl ? std::size_t(T) * d : 0, S(0));
      for (int task = 0; task < B * H; ++task) {
        const int b = task / H, h = task % H;
        const S* base = c.qkv.data() + std::size_t(b) * T * 3 * d;
        S* dbase = w.dqkv.data() + std::size_t(b) * T * 3 * d;
        const S* Pm = c.P.data() + std::size_t(task) * T * T;
        std::vector<S> dlog(T);
        for (int i = 0; i < T; ++i) {
          const S* dyo = w.dy.data() + (std::size_t(b) * T + i) * d + h * dh;
          const S* pr = Pm + std::size_t(i) * T;
          S dot = 0;
          for (int j = 0; j <= i; ++j) {
            const S* v = base + std::size_t(j) * 3 * d + 2 * d + h * dh;
            S* dv = dbase + std::size_t(j) * 3 * d + 2 * d + h * dh;
            S dp = 0;
            for (int e = 0; e < dh; ++e) {
              dp += dyo[e] * v[e];
              dv[e] += pr[j] * dyo[e];
            }
            dlog[j] = dp;
            dot += pr[j] * dp;
          }
          const S* q = base + std::size_t(i) * 3 * d + h * dh;
          S* dq = dbase + std::size_t(i) * 3 * d + h * dh;
          for (int j = 0; j <= i; ++j) {
            const S dl = pr[j] * (dlog[j] - dot);
            if (dt5) dt5[std::size_t(m.bucket[std::size_t(i) * T + j]) * H + h] += dl;
            const S* k = base + std::size_t(j) * 3 * d + d + h * dh;
            S* dk = dbase + std::size_t(j) * 3 * d + d + h * dh;
            const S ds = dl * scale;
            if (txl) {
              const S* rk = c.rk.data() + std::size_t(i - j) * d + h * dh;
              S* drow = drk.data() + std::size_t(i - j) * d + h * dh;
              for (int e = 0; e < dh; ++e) {
                dq[e] += ds * (k[e] + rk[e]);
                dk[e] += ds * (q[e] + u_all[h * dh + e]);
                du_all[h * dh + e] += ds * k[e];
                dv_all[h * dh + e] += ds * rk[e];
                drow[e] += ds * (q[e] + v_all[h * dh + e]);
              }
              continue;
            }
            for (int e = 0; e < dh; ++e) {
              dq[e] += ds * k[e];
              dk[e] += ds * q[e];
            }
          }
        }
      }
      if (txl)  // W_kR's gradient: R^T drk
        gemm(true, false, d, d, T, S(1), m.rel.data(), d, drk.data(), d, S(1), G(pre + "attn.r_net.weight"), d);
      if (cfg_.scheme == "rope")
        for (int r = 0; r < R; ++r)
          for (int h = 0; h < H; ++h) {
            rotate(w.dqkv.data() + std::size_t(r) * 3 * d + h * dh, r % T, true);
            rotate(w.dqkv.data() + std::size_t(r) * 3 * d + d + h * dh, r % T, true);
          }
      S* dba = G(pre + "attn.c_attn.bias");
      for (int r = 0; r < R; ++r)
        for (int e = 0; e < 3 * d; ++e) dba[e] += w.dqkv[std::size_t(r) * 3 * d + e];
      gemm(true, false, d, 3 * d, R, S(1), c.h1.data(), d, w.dqkv.data(), 3 * d, S(1), G(pre + "attn.c_attn.weight"),
           3 * d);
      gemm(false, true, R, d, 3 * d, S(1), w.dqkv.data(), 3 * d, P(pre + "attn.c_attn.weight"), 3 * d, S(0),
           w.dh.data(), d);
      layernorm_bwd(w.dh.data(), c.xhat1.data(), c.rstd1.data(), P(pre + "ln_1.weight"), R, d, w.dx.data(),
                    G(pre + "ln_1.weight"), G(pre + "ln_1.bias"));
    }
  }
  {
    S* dwte = G("wte.weight");
    S* dwpe = cfg_.scheme == "learned" ? G("wpe.weight") : nullptr;
    for (int r = 0; r < R; ++r) {
      const S* g = w.dx.data() + std::size_t(r) * d;
      S* e = dwte + std::size_t(inputs[r]) * d;
      for (int c = 0; c < d; ++c) e[c] += g[c];
      if (dwpe)
        for (int c = 0; c < d; ++c) dwpe[std::size_t(r % T) * d + c] += g[c];
    }
  }
  return loss;
}

template class Gpt<float>;
template class Gpt<double>;

}  // namespace es::train
