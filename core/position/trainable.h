// A position scheme inside the training lab's model (core/train/gpt.cpp): the tensors it
// trains, and its forward and backward at each place position can enter a decoder block.
//
// The lab's model calls, for one sequence of length T (d the width, H heads of width dh):
//
//   prepare(T)                       tables that depend on the length only (once per new T)
//   input_forward(x, T, w)   x (T, d)       += rows added at the input (learned, sinusoidal)
//   rotate(row, t, ..)       row (dh)       one head row of q or k at position t, in place
//                                           (RoPE, xPos); backward: transpose = true
//   layer_forward(lc)                       per-layer work shared by the heads (Transformer-XL:
//                                           R W_kR; DeBERTa: the projected relative embeddings)
//   scores_forward(hc, L)    L (T, T)       += the scheme's terms of head h on the scaled logits,
//                                           cells j <= i (the model masks j > i)
//   scores_backward(hc, dL)  dL (T, T)      adds into hc.dq, hc.dk and the scheme's gradients
//   layer_backward(lc)                      the per-layer gradients (W_kR, the projections)
//
// The content score is logit_scale(dh) * q.k; a scheme's score terms are added after that
// scale (they carry their own). Gradients are accumulated (+=), never overwritten. A scheme
// object is shared by the model's worker threads: it keeps only what prepare() writes; each
// worker's per-layer scratch is the `cache` vector handed to it.
#pragma once

#include "scheme.h"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace es {

// The sizes of the lab's model a scheme is built for.
struct TrainShape {
  int dim = 0;       // d
  int heads = 1;     // H
  int layers = 1;
  int context = 0;   // the training length (learned: the rows of its table)
};

// Where the model lays a scheme's tensor out (GPT-2's order): right after wte ("wpe.weight"),
// in every block after attn.c_proj.bias (named "h.<l>." + name), or after ln_f.
enum class TensorPlace { AfterTokens, PerLayer, AtEnd };
enum class TensorInit { Normal, Constant };
struct SchemeTensor {
  std::string name;
  std::vector<int64_t> shape;
  TensorPlace place = TensorPlace::AfterTokens;
  bool decay = false;                  // AdamW's weight decay applies
  TensorInit init = TensorInit::Normal;
  double value = 0.02;                 // Normal: the standard deviation; Constant: the value
  std::vector<double> values;          // Constant: explicit starting values (repeated), if given
};

// The scheme's tensors inside the model's flat parameter and gradient vectors.
template <typename S>
struct SchemeWeights {
  const S* params = nullptr;
  S* grads = nullptr;                              // this worker's gradient (backward only)
  const std::vector<std::vector<std::size_t>>* offsets = nullptr;  // [tensor][layer or 0]
  const S* p(int tensor, int layer = 0) const { return params + at(tensor, layer); }
  S* g(int tensor, int layer = 0) const { return grads + at(tensor, layer); }
  std::size_t at(int tensor, int layer) const {
    const auto& o = (*offsets)[static_cast<std::size_t>(tensor)];
    return o.size() == 1 ? o[0] : o[static_cast<std::size_t>(layer)];
  }
};

// One layer of one worker: the block's fused q/k/v projection (GPT-2's Conv1D, (d, 3d) stored
// (in, out), and its bias (3d)) for schemes that project relative embeddings with it.
template <typename S>
struct LayerContext {
  int layer = 0, T = 0, d = 0, heads = 1;
  SchemeWeights<S> w;
  const S* qkv_weight = nullptr;  // (d, 3d)
  const S* qkv_bias = nullptr;    // (3d)
  S* qkv_weight_grad = nullptr;   // backward
  S* qkv_bias_grad = nullptr;
  std::vector<S>* cache = nullptr;  // this worker's scratch for this layer
};

// One head of one sequence in one layer.
template <typename S>
struct HeadContext {
  int layer = 0, head = 0, T = 0, dh = 0, d = 0;
  const S* q = nullptr;   // (T, dh), rows `ld` apart (after rotate)
  const S* k = nullptr;
  int ld = 0;
  S* dq = nullptr;        // backward: (T, dh), rows `ld` apart
  S* dk = nullptr;
  SchemeWeights<S> w;
  std::vector<S>* cache = nullptr;  // the layer's scratch (LayerContext::cache)
};

template <typename S>
class TrainablePosition {
 public:
  virtual ~TrainablePosition() = default;
  virtual std::vector<SchemeTensor> tensors() const { return {}; }
  // Throws es::Error when the model cannot run sequences of T tokens (learned: past its table).
  virtual void check_length(int T) const { (void)T; }
  virtual void prepare(int T) { (void)T; }

  virtual bool adds_input() const { return false; }
  // How the scheme's paper feeds the token rows in (the lab trains each scheme its own way):
  // x = token_scale(d) * wte[id] + the scheme's rows (Vaswani et al. 2017, section 3.4: the
  // embedding weights times sqrt(d_model) before the sinusoids are added), and the standard
  // deviation the token table starts from (tensor2tensor: d^-1/2 when so scaled; GPT-2's 0.02).
  virtual double token_scale(int d) const { (void)d; return 1.0; }
  virtual double token_init_sd(int d) const { (void)d; return 0.02; }
  // One line for the lab's screen: how this scheme's model is fed ("" for GPT-2's way).
  virtual std::string recipe() const { return ""; }
  virtual void input_forward(S* x, int T, const SchemeWeights<S>& w) const { (void)x, (void)T, (void)w; }
  virtual void input_backward(const S* dx, int T, const SchemeWeights<S>& w) const { (void)dx, (void)T, (void)w; }

  virtual bool rotates() const { return false; }
  virtual void rotate(S* row, int t, bool key, bool transpose) const { (void)row, (void)t, (void)key, (void)transpose; }

  virtual double logit_scale(int dh) const;  // 1 / sqrt(dh)
  virtual bool has_scores() const { return false; }
  virtual void layer_forward(const LayerContext<S>& lc) const { (void)lc; }
  virtual void scores_forward(const HeadContext<S>& hc, S* logits) const { (void)hc, (void)logits; }
  virtual void scores_backward(const HeadContext<S>& hc, const S* dlogits) const { (void)hc, (void)dlogits; }
  virtual void layer_backward(const LayerContext<S>& lc) const { (void)lc; }
};

// Builds params.kind's trainable form for a model of that shape (the lab's model passes causal =
// true; the block-0 view passes a bidirectional model's own params, and score terms then cover
// every key j, not only j <= i);
// throws es::Error naming the trainable schemes when the scheme has none, or for sizes it
// cannot serve (RoPE with an odd head width, ...).
std::unique_ptr<TrainablePosition<float>> make_trainable_f(const SchemeParams& p, const TrainShape& s);
std::unique_ptr<TrainablePosition<double>> make_trainable_d(const SchemeParams& p, const TrainShape& s);
// The lab's defaults: base 10000, rotate-half RoPE pairs over the whole head, interleaved
// sinusoids, T5's 32 buckets and max distance 128, causal. A lab checkpoint's config.json keys
// (read_train_config) are read on top of them.
SchemeParams lab_scheme_defaults();
// The registry names of the schemes the lab trains, in registry order.
std::vector<std::string> trainable_scheme_names();

// The config.json keys of a lab checkpoint's scheme ("rope_theta", ...): written beside GPT-2's
// keys, read back by load_trained.
void write_train_config(const SchemeParams& p, nlohmann::json& j);
void read_train_config(const nlohmann::json& j, SchemeParams& p);

// A registry entry's `train` field: `trainable<RopeTrain>()` makes both factories.
template <template <typename> class Impl>
TrainMakers trainable() {
  return {[](const SchemeParams& p, const TrainShape& s) -> std::unique_ptr<TrainablePosition<float>> {
            return std::make_unique<Impl<float>>(p, s);
          },
          [](const SchemeParams& p, const TrainShape& s) -> std::unique_ptr<TrainablePosition<double>> {
            return std::make_unique<Impl<double>>(p, s);
          }};
}

}  // namespace es
