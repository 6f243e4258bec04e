// Block 0's attention logits (see attention.h).
#include "attention.h"

#include "model_family.h"
#include "position/trainable.h"
#include "repeats.h"

#include <cmath>
#include <limits>

namespace es {

namespace {

// Weight and optional bias under a name prefix: "<p>.weight", "<p>.bias".
struct Linear {
  MatrixRM w;
  std::optional<MatrixRM> b;  // (1, out)
  std::string name;
};

std::optional<Linear> read_linear(const ModelSource& m, const std::vector<const char*>& prefixes) {
  for (const char* p : prefixes) {
    std::optional<MatrixRM> w = m.read_tensor(std::string(p) + ".weight");
    if (!w) continue;
    return Linear{std::move(*w), m.read_tensor(std::string(p) + ".bias"), p};
  }
  return std::nullopt;
}

std::optional<LayerNormParams> read_norm(const ModelSource& m, const std::vector<const char*>& prefixes, NormKind kind,
                                         double eps) {
  for (const char* p : prefixes) {
    std::optional<MatrixRM> g = m.read_tensor(std::string(p) + ".weight");
    if (!g) continue;
    LayerNormParams ln;
    ln.gamma = g->row(0);
    std::optional<MatrixRM> b = m.read_tensor(std::string(p) + ".bias");
    ln.beta = b ? RowVectorF(b->row(0)) : RowVectorF::Zero(g->cols());
    ln.eps = static_cast<float>(eps);
    ln.kind = kind;
    ln.label = p;
    return ln;
  }
  return std::nullopt;
}

bool fail(std::string* why, const std::string& text) {
  if (why) *why = text;
  return false;
}

// q (n, heads * dh) and k (n, kv_heads * dh), head-major columns, from h (n, d) by the
// family's weight layout; fills out.head_dim and out.kv_heads. False (and why) on a bad shape.
bool project_qk(const ModelSource& model, const FamilyInfo& fam, const Linear& qkv, const MatrixRM& h, int heads,
                Block0Attention& out, MatrixRM& q, MatrixRM& k, std::string* why) {
  const long long d = h.cols();
  out.heads = heads;
  out.kv_heads = heads;
  auto add_bias = [](MatrixRM& x, const std::optional<MatrixRM>& b, long long first_col) {
    if (b) x.rowwise() += RowVectorF(b->row(0).segment(first_col, x.cols()));
  };
  switch (fam.attention.layout) {
    case QkLayout::Gpt2Fused: {  // (d, 3d) as (in, out)
      if (qkv.w.rows() != d || qkv.w.cols() != 3 * d || d % heads != 0)
        return fail(why, qkv.name + ".weight has an unexpected shape for GPT-2's fused q/k/v");
      q.noalias() = h * qkv.w.leftCols(d);
      k.noalias() = h * qkv.w.middleCols(d, d);
      add_bias(q, qkv.b, 0);
      add_bias(k, qkv.b, d);
      out.head_dim = static_cast<int>(d / heads);
      return true;
    }
    case QkLayout::Separate: {  // (out, in)
      const std::optional<Linear> kp = read_linear(model, fam.attention.k);
      if (!kp || qkv.w.cols() != d || kp->w.cols() != d || qkv.w.rows() % heads != 0)
        return fail(why, "block 0's q_proj / k_proj are missing or of an unexpected shape");
      out.head_dim = static_cast<int>(qkv.w.rows() / heads);
      out.kv_heads = static_cast<int>(kp->w.rows() / out.head_dim);
      if (out.kv_heads < 1 || heads % out.kv_heads != 0 || kp->w.rows() % out.head_dim != 0)
        return fail(why, "k_proj's width does not divide into the query heads");
      q.noalias() = h * qkv.w.transpose();
      k.noalias() = h * kp->w.transpose();
      add_bias(q, qkv.b, 0);
      add_bias(k, kp->b, 0);
      return true;
    }
    case QkLayout::PerHeadFused: {  // (3d, d) as (out, in), rows [q_h | k_h | v_h] per head
      if (qkv.w.rows() != 3 * d || qkv.w.cols() != d || d % heads != 0)
        return fail(why, qkv.name + ".weight has an unexpected shape for a fused per-head q/k/v");
      const long long dh = d / heads;
      out.head_dim = static_cast<int>(dh);
      MatrixRM wq(d, d), wk(d, d);  // (out, in), head-major rows
      RowVectorF bq = RowVectorF::Zero(d), bk = RowVectorF::Zero(d);
      for (int hh = 0; hh < heads; ++hh) {
        wq.middleRows(hh * dh, dh) = qkv.w.middleRows(hh * 3 * dh, dh);
        wk.middleRows(hh * dh, dh) = qkv.w.middleRows(hh * 3 * dh + dh, dh);
        if (qkv.b) {
          bq.segment(hh * dh, dh) = qkv.b->row(0).segment(hh * 3 * dh, dh);
          bk.segment(hh * dh, dh) = qkv.b->row(0).segment(hh * 3 * dh + dh, dh);
        }
      }
      q.noalias() = h * wq.transpose();
      k.noalias() = h * wk.transpose();
      q.rowwise() += bq;
      k.rowwise() += bk;
      return true;
    }
    case QkLayout::StackedFused: {  // (H dh + 2 H_kv dh, d) as (out, in): q rows, k rows, v rows
      const int kv = model.num_kv_heads() > 0 ? model.num_kv_heads() : heads;
      const long long rows = qkv.w.rows();
      if (qkv.w.cols() != d || heads % kv != 0 || rows % (heads + 2LL * kv) != 0)
        return fail(why, qkv.name + ".weight has an unexpected shape for stacked q/k/v rows");
      const long long dh = rows / (heads + 2LL * kv);
      out.head_dim = static_cast<int>(dh);
      out.kv_heads = kv;
      q.noalias() = h * qkv.w.topRows(heads * dh).transpose();
      k.noalias() = h * qkv.w.middleRows(heads * dh, kv * dh).transpose();
      add_bias(q, qkv.b, 0);
      add_bias(k, qkv.b, heads * dh);
      return true;
    }
    case QkLayout::Mp4Fused: {  // (3d, d): four chunks of rows, each [q | v | k] of d/4 rows
      constexpr int kChunks = 4;
      if (qkv.w.rows() != 3 * d || qkv.w.cols() != d || d % heads != 0 || heads % kChunks != 0)
        return fail(why, qkv.name + ".weight has an unexpected shape for CodeGen's fused q/v/k (4 chunks)");
      const long long local = d / kChunks;
      MatrixRM wq(d, d), wk(d, d);
      for (int c = 0; c < kChunks; ++c) {
        wq.middleRows(c * local, local) = qkv.w.middleRows(c * 3 * local, local);
        wk.middleRows(c * local, local) = qkv.w.middleRows(c * 3 * local + 2 * local, local);
      }
      out.head_dim = static_cast<int>(d / heads);
      q.noalias() = h * wq.transpose();
      k.noalias() = h * wk.transpose();
      return true;
    }
    case QkLayout::Unread:
    case QkLayout::None: break;
  }
  return fail(why, "no block-0 attention weights read for this model family");
}

// q (n, heads dh) and k (n, kv dh) normalised as the family does after the projection: per head
// (Qwen3, Gemma 3: RMSNorm over each head; Phi with qk_layernorm: LayerNorm over each head) or
// over the whole width (OLMo 2). False (and why) when a required norm is missing.
bool normalise_qk(const ModelSource& model, const FamilyInfo& fam, const Block0Settings& settings, int heads,
                  int kv_heads, int dh, MatrixRM& q, MatrixRM& k, std::string& source, std::string* why) {
  if (fam.attention.q_norm.empty()) return true;
  const NormKind kind = fam.norm_kind;
  const std::optional<LayerNormParams> qn = read_norm(model, fam.attention.q_norm, kind, settings.norm_eps);
  const std::optional<LayerNormParams> kn = read_norm(model, fam.attention.k_norm, kind, settings.norm_eps);
  if (!qn || !kn) {
    if (fam.attention.qk_norm_optional && !qn && !kn) return true;
    return fail(why, "block 0's q_norm / k_norm are missing from the checkpoint");
  }
  auto apply = [&](MatrixRM& x, const LayerNormParams& ln, int count) {
    if (fam.attention.qk_norm_shape == QkNormShape::Whole) {
      if (ln.gamma.size() != x.cols()) return false;
      x = layer_norm_rows(x, ln);
      return true;
    }
    if (ln.gamma.size() != dh) return false;
    for (int hh = 0; hh < count; ++hh) {
      MatrixRM part = x.middleCols(static_cast<Eigen::Index>(hh) * dh, dh);
      x.middleCols(static_cast<Eigen::Index>(hh) * dh, dh) = layer_norm_rows(part, ln);
    }
    return true;
  };
  if (!apply(q, *qn, heads) || !apply(k, *kn, kv_heads))
    return fail(why, "block 0's q_norm / k_norm do not match the head width");
  source += ", q and k normalised by " + qn->label.substr(0, qn->label.rfind('.')) + " and k_norm";
  return true;
}

// The scheme's own forward pass (core/position/trainable.h), fed with the checkpoint's block-0
// tensors of the scheme: the exact scores of a model trained in the lab, whatever its scheme
// (Transformer-XL's u, v and W_kR; DeBERTa's c2p and p2c; KERPLE; FIRE; ...). Only for a
// checkpoint that holds every tensor the scheme trains, under the lab's names.
struct SchemeForward {
  std::unique_ptr<TrainablePosition<double>> pos;
  std::vector<double> weights;
  std::vector<std::vector<std::size_t>> offsets;
};

std::optional<SchemeForward> scheme_forward(const ModelSource& model, const PositionScheme& scheme, int heads, int dh,
                                            long long n) {
  const SchemeInfo* info = find_scheme(scheme.name());
  if (!info || !info->train.d || n > (1 << 20)) return std::nullopt;
  SchemeForward f;
  try {
    f.pos = make_trainable_d(scheme.params(), TrainShape{heads * dh, heads, 1, static_cast<int>(n)});
  } catch (const Error&) {
    return std::nullopt;
  }
  const std::vector<SchemeTensor> tensors = f.pos->tensors();
  if (tensors.empty()) return std::nullopt;  // the scheme's own operations serve (rotations, biases)
  for (const SchemeTensor& t : tensors) {
    const std::string name = (t.place == TensorPlace::PerLayer ? "h.0." : "") + t.name;
    const std::optional<MatrixRM> m = model.read_tensor(name);
    long long size = 1;
    for (int64_t s : t.shape) size *= s;
    if (!m || m->size() != size) return std::nullopt;
    f.offsets.push_back({f.weights.size()});
    for (Eigen::Index r = 0; r < m->rows(); ++r)
      for (Eigen::Index c = 0; c < m->cols(); ++c) f.weights.push_back((*m)(r, c));
  }
  f.pos->prepare(static_cast<int>(n));
  return f;
}

// logits (n, n) of every head by the scheme's forward: scale q.k plus its score terms, q and k
// rotated by it first. qkv_w (d, 3d) and qkv_b (3d): the block's fused projection (GPT-2's
// layout, as the lab writes it) for schemes that project relative embeddings.
std::vector<MatrixRM> forward_logits(const SchemeForward& f, const MatrixRM& q, const MatrixRM& k, int heads, int dh,
                                     const MatrixRMd& qkv_w, const RowVectorD& qkv_b, bool causal) {
  const long long n = q.rows();
  const int d = heads * dh, T = static_cast<int>(n);
  MatrixRMd qd = q.cast<double>(), kd = k.cast<double>();  // (n, d) head-major columns
  if (f.pos->rotates())
    for (int t = 0; t < T; ++t)
      for (int h = 0; h < heads; ++h) {
        f.pos->rotate(qd.row(t).data() + h * dh, t, false, false);
        f.pos->rotate(kd.row(t).data() + h * dh, t, true, false);
      }
  const SchemeWeights<double> w{f.weights.data(), nullptr, &f.offsets};
  std::vector<double> cache;
  const bool fused = qkv_w.rows() == d && qkv_w.cols() == 3 * d && qkv_b.size() == 3 * d;
  const LayerContext<double> lc{0, T, d, heads, w, fused ? qkv_w.data() : nullptr, fused ? qkv_b.data() : nullptr,
                                nullptr, nullptr, &cache};
  if (f.pos->has_scores()) f.pos->layer_forward(lc);
  const double scale = f.pos->logit_scale(dh);
  std::vector<MatrixRM> out;
  std::vector<double> L(std::size_t(T) * T);
  for (int h = 0; h < heads; ++h) {
    std::fill(L.begin(), L.end(), 0.0);
    for (int i = 0; i < T; ++i)
      for (int j = 0; j <= (causal ? i : T - 1); ++j) L[std::size_t(i) * T + j] = scale * qd.row(i).segment(h * dh, dh).dot(kd.row(j).segment(h * dh, dh));
    if (f.pos->has_scores()) {
      const HeadContext<double> hc{0, h, T, dh, d, qd.data() + h * dh, kd.data() + h * dh, d, nullptr, nullptr, w, &cache};
      f.pos->scores_forward(hc, L.data());
    }
    MatrixRM l(n, n);
    for (int i = 0; i < T; ++i)
      for (int j = 0; j < T; ++j)
        l(i, j) = causal && j > i ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(L[std::size_t(i) * T + j]);
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

std::optional<Block0Attention> block0_attention(const ModelSource& model, const PositionScheme& scheme,
                                                const InputEmbedding& e, std::string* why) {
  const FamilyInfo* fam = find_family(model.family());
  if (!fam || fam->attention.layout == QkLayout::None) {
    fail(why, "no block-0 attention weights read for this model family");
    return std::nullopt;
  }
  const Block0Settings settings = model.block0_settings();
  if (!settings.unread.empty()) {
    fail(why, settings.unread);
    return std::nullopt;
  }
  if (scheme.name() != model.default_scheme().kind) {
    fail(why, "the real block-0 attention is shown with the model's own scheme (" + model.default_scheme().kind + ")");
    return std::nullopt;
  }
  const long long n = e.token.rows();
  const int heads = model.num_heads();
  if (heads < 1) {
    fail(why, "the number of heads is unknown (no config.json)");
    return std::nullopt;
  }
  if (static_cast<double>(heads) * static_cast<double>(n) * static_cast<double>(n) > double(1 << 25)) {
    fail(why, "the sequence is too long for the block-0 attention view (heads x n x n over 2^25 values)");
    return std::nullopt;
  }
  const std::optional<LayerNormParams> first = model.first_layer_norm();
  if (!fam->attention_reads_raw_input && (!first || !e.normed)) {
    fail(why, "the checkpoint has no first norm, so block 0's input is unknown");
    return std::nullopt;
  }
  MatrixRM h = fam->attention_reads_raw_input ? e.combined : *e.normed;  // (n, d)
  std::string source;
  const std::string first_name =
      first ? first->label.substr(0, first->label.find(" (")) : std::string("the input rows (no norm before attention)");
  if (!fam->attention.norm.empty()) {
    const std::optional<LayerNormParams> ln = read_norm(model, fam->attention.norm, fam->norm_kind, first->eps);
    if (!ln) {
      fail(why, "block 0's attention norm is missing from the checkpoint");
      return std::nullopt;
    }
    h = layer_norm_rows(h, *ln);
    source = ", after " + ln->label;
  }
  if (!fam->attention.projection.empty())  // ALBERT, ELECTRA: to the hidden size (when the checkpoint has one)
    if (const std::optional<Linear> proj = read_linear(model, fam->attention.projection)) {
      if (proj->w.cols() != h.cols()) {
        fail(why, proj->name + ".weight does not take rows of width " + std::to_string(h.cols()));
        return std::nullopt;
      }
      MatrixRM wide = h * proj->w.transpose();
      if (proj->b) wide.rowwise() += RowVectorF(proj->b->row(0));
      h = std::move(wide);
      source += ", projected by " + proj->name;
    }
  const std::optional<Linear> qkv = read_linear(model, fam->attention.qkv);
  if (!qkv) {
    fail(why, "block 0's attention weights are not in the checkpoint");
    return std::nullopt;
  }
  Block0Attention out;
  MatrixRM q, k;  // (n, heads * dh), (n, kv_heads * dh): head-major columns
  if (!project_qk(model, *fam, *qkv, h, heads, out, q, k, why)) return std::nullopt;
  const int dh = out.head_dim;
  if (settings.clip_qkv > 0) {  // OLMo
    const float c = static_cast<float>(settings.clip_qkv);
    q = q.cwiseMax(-c).cwiseMin(c);
    k = k.cwiseMax(-c).cwiseMin(c);
  }
  if (!normalise_qk(model, *fam, settings, heads, out.kv_heads, dh, q, k, source, why)) return std::nullopt;
  if (out.kv_heads == heads) {
    if (const std::optional<SchemeForward> f = scheme_forward(model, scheme, heads, dh, n)) {
      // A lab checkpoint: its scheme's own forward pass on its own weights.
      const bool fused = fam->attention.layout == QkLayout::Gpt2Fused;
      out.logits = forward_logits(*f, q, k, heads, dh, fused ? MatrixRMd(qkv->w.cast<double>()) : MatrixRMd(),
                                  fused && qkv->b ? RowVectorD(qkv->b->row(0).cast<double>()) : RowVectorD(),
                                  scheme.params().causal);
      out.source = qkv->name + ", after " + first_name + source + ", with the scheme's block-0 tensors";
      return out;
    }
  }
  const bool rotates = scheme.entry() == PositionEntry::QueryKeyRotation;
  const bool biased = scheme.entry() == PositionEntry::AttentionBias;
  if (biased && scheme.params().heads != heads) {
    fail(why, "the scheme's head count differs from the model's");
    return std::nullopt;
  }
  // BERT relative_key(_query): learned distance embeddings r(i - j), row i - j + L - 1.
  std::optional<MatrixRM> distance;
  const int distance_terms = scheme.params().distance_terms;
  if (distance_terms > 0) {
    const std::optional<Linear> r = read_linear(model, fam->attention.distance);
    if (!r || r->w.cols() != dh || r->w.rows() % 2 == 0) {
      fail(why, "block 0's distance_embedding (position_embedding_type relative_key) is missing or of an unexpected shape");
      return std::nullopt;
    }
    if ((r->w.rows() + 1) / 2 < n) {
      fail(why, "the text is longer than the distance embeddings cover (" + std::to_string((r->w.rows() + 1) / 2) + " positions)");
      return std::nullopt;
    }
    distance = r->w;
    source += ", with " + std::string(distance_terms == 2 ? "q.r + k.r" : "q.r") + " distance terms from " + r->name;
  }
  const float scale = settings.scale > 0 ? static_cast<float>(settings.scale) : 1.0f / std::sqrt(static_cast<float>(dh));
  const int group = heads / out.kv_heads;
  for (int hh = 0; hh < heads; ++hh) {
    MatrixRM qh = q.middleCols(static_cast<Eigen::Index>(hh) * dh, dh);                  // (n, dh)
    MatrixRM kh = k.middleCols(static_cast<Eigen::Index>(hh / group) * dh, dh);          // (n, dh)
    if (rotates) {
      scheme.rotate_qk(qh, 0);
      scheme.rotate_qk(kh, 0, false, true);
    }
    MatrixRM l(n, n);
    l.noalias() = qh * kh.transpose();
    if (distance) {
      const long long mid = (distance->rows() - 1) / 2;  // row of distance 0
      for (long long i = 0; i < n; ++i)
        for (long long j = 0; j < n; ++j) {
          const auto r = distance->row(i - j + mid);
          l(i, j) += qh.row(i).dot(r) + (distance_terms == 2 ? kh.row(j).dot(r) : 0.0f);
        }
    }
    l *= scale;
    if (settings.softcap > 0) {  // Gemma 2: c tanh(logit / c), before any mask
      const float c = static_cast<float>(settings.softcap);
      l = (l / c).array().tanh() * c;
    }
    if (biased) l += scheme.attention_bias(n, hh);  // NaN (masked) cells stay NaN
    if (scheme.params().causal)
      for (long long i = 0; i < n; ++i)
        for (long long j = i + 1; j < n; ++j) l(i, j) = std::numeric_limits<float>::quiet_NaN();
    if (settings.window > 0)  // a sliding layer 0: keys window or more back are not seen
      for (long long i = 0; i < n; ++i)
        for (long long j = 0; j <= i - settings.window; ++j) l(i, j) = std::numeric_limits<float>::quiet_NaN();
    out.logits.push_back(std::move(l));
  }
  out.source = qkv->name + (fam->attention.layout == QkLayout::Separate ? " and k_proj" : "") + ", after " +
               first_name + source;
  if (settings.scale > 0) out.source += ", scaled by query_pre_attn_scalar";
  if (settings.softcap > 0) out.source += ", soft-capped at " + std::to_string(int(std::lround(settings.softcap)));
  if (settings.window > 0) out.source += ", sliding window " + std::to_string(settings.window);
  return out;
}

double logit_row_spread(const MatrixRM& l, int i, int j) { return row_shift(l, i, j).spread; }

}  // namespace es
