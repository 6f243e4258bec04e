// A small decoder-only transformer with exactly GPT-2's block, forward and backward, for the
// training lab (issue: watch embeddings learn).
//
//   x0      = wte[ids] + (learned: wpe[t]; sinusoidal: the scheme's input rows)      (B*T, d)
//   block   h = LN1(x); qkv = h c_attn.W + c_attn.b  (W stored (in, out) as GPT-2's Conv1D)
//           per head: q, k rotated (RoPE), logits = q k^T / sqrt(d_head) + bias (ALiBi, T5),
//           causal mask, softmax, times v; a = concat c_proj.W + c_proj.b; x += a
//           h2 = LN2(x); x += gelu_tanh(h2 fc.W + fc.b) mlp_proj.W + mlp_proj.b
//   out     logits = LN_f(x) wte^T (the head is tied to the token table); mean cross-entropy
//
// LayerNorm eps 1e-5, biases everywhere, no dropout. The position scheme is the registry's
// (core/position/trainable.h): it names the tensors it trains and runs its own forward and
// backward at the input (learned wpe, sinusoidal rows), on q and k (RoPE, xPos), and on the
// attention scores (ALiBi, T5, Transformer-XL, DeBERTa, Kerple, FIRE); this file never asks a
// scheme its name.
//
// Parameters and gradients are one flat vector each (the optimiser and the finite-difference
// tests see one array); tensors() names the slices with GPT-2's tensor names. The scalar type
// is float for training and double for the gradient checks. Matrix products go through BLAS
// (OpenBLAS); a batch is split by sequences over `threads` workers, each with its own caches and
// gradient, added in worker order, so results are deterministic for a given thread count. With
// more than one worker, step() sets OpenBLAS to one thread (the workers call it at once).
#pragma once

#include "../position/trainable.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace es::train {

struct GptConfig {
  int vocab = 0;
  int layers = 1;
  int heads = 1;
  int dim = 16;
  int context = 32;            // learned: rows of wpe; others: the training length
  std::string scheme = "learned";  // a name from trainable_schemes()
  SchemeParams position = lab_scheme_defaults();  // the scheme's settings (its kind is `scheme`)
  double ln_eps = 1e-5;
  // The token rows' factor at the input; unset: the scheme's recipe (sinusoidal: sqrt(d)). A
  // checkpoint sets it to what it was trained with (1 for one saved before the recipes).
  std::optional<double> token_scale;
};
// Throws es::Error for sizes that make no sense (dim not a multiple of heads, RoPE with an odd
// head width, ...) or a scheme the trainer does not run.
void validate(const GptConfig& c);
// The schemes the trainer runs, in registry order.
std::vector<std::string> trainable_schemes();

struct TensorSlot {
  std::string name;             // GPT-2's: "wte.weight", "h.0.attn.c_attn.weight", ...
  std::vector<int64_t> shape;
  std::size_t offset = 0, size = 0;
  bool decay = false;           // weight matrices (AdamW's weight decay applies)
  int scheme_tensor = -1;       // index into the scheme's tensors(), -1: the block's own
};

enum class MatmulBackend { Blas, Naive };  // Naive: plain loops, the benchmark's baseline

template <typename S>
class Gpt {
 public:
  explicit Gpt(const GptConfig& c);
  ~Gpt();
  Gpt(Gpt&&) noexcept;
  Gpt& operator=(Gpt&&) noexcept;

  const GptConfig& config() const { return cfg_; }
  // What the token rows are multiplied by at the input (the scheme's recipe: sinusoidal's sqrt(d)),
  // and that recipe in words ("" for GPT-2's own).
  double token_scale() const;
  std::string recipe() const;
  const std::vector<TensorSlot>& tensors() const { return slots_; }
  const TensorSlot& slot(const std::string& name) const;  // throws when absent
  // The scheme's trained table added at the input (learned: wpe), or null.
  const TensorSlot* input_position_table() const;
  std::vector<S>& params() { return params_; }
  const std::vector<S>& params() const { return params_; }
  const std::vector<S>& grads() const { return grads_; }

  // GPT-2's initialisation from `seed`: weights N(0, 0.02), the two residual projections
  // N(0, 0.02 / sqrt(2 L)), wpe N(0, 0.01), T5 biases N(0, 0.02), biases 0, LayerNorm gains 1.
  void init(uint64_t seed);

  // Mean next-token cross-entropy (nats) of B sequences of length T: inputs (B*T), targets
  // (B*T), a target < 0 is not scored. With backward, grads() is overwritten with the
  // gradient of that mean. T may exceed the training context except for learned positions
  // (throws es::Error then). Ids must be in [0, vocab).
  double step(const int* inputs, const int* targets, int B, int T, bool backward);

  // Attention probabilities of the last forward pass, layer l, sequence b, head h: (T, T)
  // row-major (the Train view's attention pattern).
  std::vector<S> attention(int layer, int b, int head) const;

  // Throws es::Error when the model cannot run sequences of T tokens (a learned table's rows).
  void check_length(int T) const;
  // New settings for the same scheme, its trained tensors unchanged (a RoPE scaling to test
  // past the training length). Throws es::Error when they would change the tensors.
  void set_position_params(const SchemeParams& p);

  void set_threads(int n);
  void set_backend(MatmulBackend b) { backend_ = b; }

 private:
  struct Work;
  struct Impl;
  // Forward (and backward into w.grads) of B sequences; returns the summed loss of their scored
  // targets; gradients are of (that sum / total).
  double run_chunk(Work& w, const int* inputs, const int* targets, int B, int T, long long total, bool backward);
  void embed_forward(Work& w);
  void embed_backward(Work& w);
  void attention_forward(Work& w, int l);
  void attention_backward(Work& w, int l);
  void mlp_forward(Work& w, int l);
  void mlp_backward(Work& w, int l);
  double head_forward(Work& w);
  void head_backward(Work& w, long long total);
  void prepare_positions(int T);
  SchemeWeights<S> scheme_weights(Work& w) const;
  GptConfig cfg_;
  std::vector<TensorSlot> slots_;
  std::vector<S> params_, grads_;
  std::unique_ptr<Impl> impl_;
  MatmulBackend backend_ = MatmulBackend::Blas;
};

extern template class Gpt<float>;
extern template class Gpt<double>;

}  // namespace es::train
