// Model sources: where the input-stage tables come from.
//
//   classroom       a small word vocabulary, seeded random tables (default V=8, L_max=6, d=4)
//   gpt2-untrained  GPT-2 small's shapes with GPT-2's initialiser (N(0, 0.02) tokens,
//                   N(0, 0.01) positions), fixed seed; NOT trained, and labelled so
//   checkpoints     safetensors files and folders (checkpoint.h), opened by open_model() (open_model.h)
#pragma once

#include "model_family.h"
#include "position/scheme.h"
#include "tokenizer.h"
#include "table_view.h"
#include "types.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace es {

// LayerNorm: y = gamma * (x - mean) / sqrt(var + eps) + beta, biased (1/d) variance.
// RMSNorm:   y = x / sqrt(mean(x^2) + eps) * gamma (Gemma: * (1 + gamma)); beta unused.
struct LayerNormParams {
  RowVectorF gamma;  // (d)
  RowVectorF beta;   // (d)
  float eps = 1e-5f;
  NormKind kind = NormKind::LayerNorm;
  bool on_input = false;  // part of the input stage (BERT, BLOOM), not inside block 0
  bool learned = true;    // false: no weights (OLMo's LayerNorm); nothing to count
  std::string label;  // where it sits, e.g. "ln_1 of block 0 (inside the block, not on the input)"
};

// How block 0 scores a query against a key, beyond q.k / sqrt(d_head), from config.json.
struct Block0Settings {
  double scale = 0;          // the logit scale; 0: 1 / sqrt(d_head) (Gemma 2 / 3: query_pre_attn_scalar^-1/2)
  double softcap = 0;        // logits -> c tanh(logit / c) (Gemma 2); 0: none
  double clip_qkv = 0;       // q and k clamped to +-clip after the projection (OLMo); 0: none
  long long window = 0;      // keys i - j >= window are masked (layer 0 slides); 0: none
  double norm_eps = 1e-6;    // eps of the q / k normalisations (Qwen3, Gemma 3, OLMo 2, Phi)
  std::string unread;        // non-empty: why block 0's attention is not computed for this model
};

// A tensor as the model card lists it.
struct TensorInfo {
  std::string role;     // "token table", "position table", "token-type table", ...
  std::string name;     // tensor name in the file, or "(generated)"
  std::string dtype;    // "F32", "F16", "BF16"
  std::vector<int64_t> shape;
};

class ModelSource {
 public:
  virtual ~ModelSource() = default;
  virtual std::string name() const = 0;    // "classroom", "gpt2-untrained", "openai-community/gpt2", a path
  virtual std::string family() const = 0;  // "classroom", "gpt2", "bert", "llama", "gpt_neox", "bloom", "t5", ...
  // One line for titles: "GPT-2 small shapes, UNTRAINED (random init, seed 1234)".
  virtual std::string label() const = 0;
  virtual bool trained() const = 0;
  virtual std::optional<uint64_t> seed() const { return std::nullopt; }
  virtual long long vocab_size() const = 0;
  virtual long long dim() const = 0;
  virtual int num_heads() const = 0;
  // (V, d) row-major. Valid while the source lives. F16/BF16 sources convert on first call.
  virtual TableMap token_table() const = 0;
  // The same table in the element type it is stored in (F32, BF16, F16), without converting
  // it: what the whole-table analyses read (PCA, neighbours, analogies). Default: token_table().
  virtual TableView token_table_view() const { return TableView::of(token_table()); }
  // Copies rows ids[i] of the token table into out (n, d). Throws es::Error for a bad id.
  // Touches only those rows (a model too large for memory still serves a sentence).
  virtual void gather_token_rows(std::span<const int> ids, MatrixRM& out) const;
  // (L_max, d) learned absolute positions, for models that have them.
  virtual std::optional<TableMap> position_table() const { return std::nullopt; }
  // LayerNorm the model applies to the combined rows (BERT, BLOOM), or the first one it
  // applies to them (GPT-2: ln_1 of block 0). nullopt: the model has none there.
  virtual std::optional<LayerNormParams> first_layer_norm() const { return std::nullopt; }
  // First row of position_table() in the model's own table (RoBERTa: padding_idx + 1 = 2);
  // position_table() already starts there.
  virtual int position_offset() const { return 0; }
  // The factor the model multiplies the token rows by before anything is added (Gemma:
  // sqrt(d); BART with scale_embedding); token rows in every view are shown multiplied.
  virtual double embedding_scale() const { return 1.0; }
  virtual Block0Settings block0_settings() const { return {}; }
  // ALBERT, ELECTRA: the linear map from the tables' width to the hidden size, part of the input
  // stage: (in, out) and whether it has a bias; nullopt when the model has none.
  struct Projection {
    long long in = 0, out = 0;
    bool bias = false;
    std::string name;
  };
  virtual std::optional<Projection> input_projection() const { return std::nullopt; }
  // (types, d) token-type table whose row 0 is part of the input sum (BERT, RoBERTa).
  virtual std::optional<TableMap> token_type_table() const { return std::nullopt; }
  // What the config holds that the view does not apply, said plainly; "" when nothing.
  virtual std::string config_note() const { return ""; }
  // The position scheme the model uses, with its real parameters.
  virtual SchemeParams default_scheme() const = 0;
  // The position scheme's own trained weights in the checkpoint (T5 bucket biases, DeBERTa
  // relative embeddings), with the tensor names they came from. Empty when there are none.
  virtual SchemeData scheme_data() const { return {}; }
  // The model's tokenizer; may be null when the folder has none.
  virtual std::shared_ptr<const Tokenizer> tokenizer() const = 0;
  // When tokenizer() is null: why, in a few words for the status line ("a BERT WordPiece
  // vocab.txt, which EmbedScope does not read").
  virtual std::string tokenizer_note() const { return "no tokenizer files"; }
  // Key/value heads (grouped-query attention: fewer than num_heads()).
  virtual int num_kv_heads() const { return num_heads(); }
  // Any tensor of the checkpoint by name, as float: vectors as (1, n), matrices as they are.
  // nullopt when there is no such tensor (or the model is generated). Throws for a rank
  // above 2 or an unreadable dtype.
  virtual std::optional<MatrixRM> read_tensor(const std::string&) const { return std::nullopt; }
  virtual bool tied_embeddings() const { return true; }
  virtual std::string dtype() const { return "F32"; }
  virtual std::vector<TensorInfo> tensors() const = 0;
  virtual uint64_t size_bytes() const { return 0; }  // on disk (checkpoints) or in memory
};

// The position scheme a model uses, built with its own data (learned table, T5 biases).
// `override_params` replaces the model's parameters (a learned scheme still uses its table).
std::unique_ptr<PositionScheme> make_model_scheme(const ModelSource& model,
                                                  const std::optional<SchemeParams>& override_params = {});

struct ClassroomOptions {
  int vocab = 8;       // V, including "<unk>"
  int max_len = 6;     // L_max
  int dim = 4;         // d
  uint64_t seed = 42;
};
std::unique_ptr<ModelSource> make_classroom_model(const ClassroomOptions& options = {});

// GPT-2 small shapes (50257 x 768, 1024 positions, 12 heads) with GPT-2's initialiser.
// Uses GPT-2's tokenizer from default_gpt2_tokenizer_dir() (error if missing).
std::unique_ptr<ModelSource> make_gpt2_untrained_model(uint64_t seed = 1234);

// A deterministic normal generator that gives the same numbers on every platform
// (std::normal_distribution does not): xoshiro256** + Box-Muller.
class SeededNormal {
 public:
  explicit SeededNormal(uint64_t seed);
  double next();  // N(0, 1)
  uint64_t next_u64();

 private:
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace es
