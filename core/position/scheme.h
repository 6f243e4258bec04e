// Position schemes: how a model tells position 3 from position 7.
//
// The one extension point for position information. A scheme is one file in core/position/
// plus one line in registry.cpp; the registry tells the desktop's control strip, the Schemes
// view, the CLI, `--help` and the captions everything they show, and the scheme exposes what it
// does to a model as operations with documented shapes:
//
//   input_rows(n, d)            (n, d)  rows added to the token rows at the input
//   rotate_qk(x, pos0, .., key) (n, d_head) queries or keys rotated in place (RoPE, xPos)
//   attention_bias(n, head)     (n, n)  added to the scaled attention logits of one head
//                                       (ALiBi, T5); NaN where the key is masked
//   relative_embeddings(k, d)   (k, d)  embeddings of relative distances 0..k-1 used by extra
//                                       terms inside attention (Transformer-XL, DeBERTa)
//   interaction(n, d)           (n, n)  the position-interaction matrix S, FACTS.md section 4
//
// A training loop runs the first four inside attention, forward and backward; every one is a
// fixed function of positions (its weights, if any, are the scheme's own data), so a backward
// pass needs only the same operation (rotations: the transpose, by -angle).
#pragma once

#include "../types.h"

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace es {

enum class SinusoidLayout { Interleaved, Halves };  // (sin, cos) pairs, or [sin... | cos...]
enum class RopePairs { Interleaved, HalfSplit };    // (2k, 2k+1) Meta/RoFormer; (k, k+d_r/2) HF/NeoX

// Checkpoints that stretch RoPE past its training length (config.json "rope_scaling", FACTS.md
// section 8), applied as Hugging Face transformers' rope utilities do (rope_scaling.cpp):
//   linear    positions / factor (position interpolation)
//   dynamic   NTK-aware: past max_positions, base * ((factor n / max) - (factor - 1))^(d_r/(d_r-2))
//   yarn      per-frequency blend of interpolation and extrapolation (beta_fast, beta_slow) and an
//             attention temperature on cos and sin (0.1 ln(factor) + 1, or mscale / mscale_all_dim)
//   longrope  per-frequency divisors (short_factor up to the original length, long_factor past
//             it) and sqrt(1 + ln(factor) / ln(original)) on cos and sin ("su" is the old name)
//   llama3    long wavelengths slowed by factor, short ones kept, a smooth blend between
struct RopeScaling {
  std::string type;                       // "" (none) or one of the kinds above
  double factor = 1.0;
  double low_freq_factor = 1.0;           // llama3
  double high_freq_factor = 4.0;          // llama3
  double original_max_positions = 8192;   // llama3, yarn, longrope: the pretrained length
  double max_positions = 0;               // the model's max_position_embeddings (dynamic; 0: unknown)
  std::optional<double> attention_factor; // yarn, longrope: given, or computed from factor
  double beta_fast = 32, beta_slow = 1;   // yarn
  std::optional<double> mscale, mscale_all_dim;  // yarn (DeepSeek)
  bool truncate = true;                   // yarn: correction range rounded to whole dims
  std::vector<double> short_factor, long_factor;  // longrope, one per rotary pair
  // A kind EmbedScope applies (an unknown one is read, named, and left out).
  bool applied() const;
};
// The kinds, for messages: "linear, dynamic, yarn, longrope (su), llama3".
std::string rope_scaling_kinds();

// Every parameter a user of real models changes, for every scheme (each scheme reads the
// fields its registry entry lists). Defaults are the published ones.
struct SchemeParams {
  std::string kind = "learned";                    // a registry name
  double base = 10000.0;                           // sinusoidal, rope, transformer-xl
  SinusoidLayout layout = SinusoidLayout::Interleaved;
  double rotary_fraction = 1.0;                    // rope: d_r = fraction of the head width
  RopePairs pairs = RopePairs::Interleaved;
  int head_dim = 0;                                // rope: head width (0: the whole d)
  RopeScaling rope_scaling;                        // rope
  int heads = 8;                                   // alibi, t5, transformer-xl, deberta
  int head = 1;                                    // head shown, 1-based
  int buckets = 32;                                // t5: buckets; deberta: position_buckets
  int max_distance = 128;                          // t5: max_distance; deberta: max_relative_positions
  double scale_base = 512.0;                       // xpos: the decay's length scale
  bool causal = false;                             // the model masks keys after the query
  // none: BERT's position_embedding_type relative_key (1: q_i . r(i - j)) or relative_key_query
  // (2: also k_j . r(i - j)), learned distance embeddings inside attention; 0: truly no positions.
  int distance_terms = 0;
};

// Data a scheme may hold: a learned position table, learned biases per bucket and head, or
// learned relative embeddings.
struct SchemeData {
  std::optional<MatrixRM> learned_table;       // (L_max, d) learned absolute positions
  std::optional<MatrixRM> bucket_bias;         // (buckets, heads) T5 relative-attention bias
  std::optional<MatrixRM> bucket_bias_causal;  // (buckets, heads) T5 decoder's (causal) bias
  std::string source_causal;                   // its tensor name
  std::optional<MatrixRM> relative_embeddings; // (rows, d) DeBERTa rel_embeddings, normalised
  std::string source;                          // tensor names, for captions ("" when generated)
};

// Where position enters the model.
enum class PositionEntry {
  Nowhere,         // no position information at all
  Input,           // rows added to the token rows
  QueryKeyRotation,// q and k rotated by position
  AttentionBias,   // a bias per (query, key) on the attention logits
  AttentionTerms,  // extra terms in the attention score built from relative embeddings
};
std::string_view position_entry_text(PositionEntry e);  // "added at the input", ...

class PositionScheme {
 public:
  virtual ~PositionScheme() = default;
  virtual const SchemeParams& params() const = 0;
  const std::string& name() const { return params().kind; }
  // One line with the parameters, e.g. "RoPE (base 10000, 100% of 64 dims, interleaved pairs)".
  virtual std::string describe() const = 0;
  // An honest caption: where position enters the model, in two or three sentences.
  virtual std::string where_position_enters() const = 0;
  virtual PositionEntry entry() const = 0;
  bool adds_to_input() const { return entry() == PositionEntry::Input; }
  // Largest sequence length the scheme covers (learned: L_max); nullopt: formulas extrapolate.
  virtual std::optional<long long> max_positions() const { return std::nullopt; }
  // Trained weights of the scheme itself for model width d (learned: L_max * d).
  virtual long long trained_weights(long long d) const = 0;

  // [Operations] Each throws es::Error when the scheme does not have it (entry() says which it
  // has), past its range, or for a width it cannot serve.
  // (n, d) rows added at the input.
  virtual MatrixRM input_rows(long long n, long long d) const;
  // x (n, d_head), row r at position pos0 + r: rotated in place. inverse: the transpose
  // (backward). key: x holds keys (xPos scales queries and keys by inverse factors).
  virtual void rotate_qk(Eigen::Ref<MatrixRM> x, long long pos0, bool inverse = false, bool key = false) const;
  // (n, n) bias added to the scaled logits of head `head` (0-based); NaN = masked key.
  virtual MatrixRM attention_bias(long long n, int head) const;
  // (count, d) embeddings of relative distances; row r is the distance the scheme defines.
  virtual MatrixRM relative_embeddings(long long count, long long d) const;

  // The angles per position of a rotating scheme's pairs for a head of width d_head, after its
  // scaling and rotary share (RoPE: theta_k, k = 0 .. d_r/2 - 1, for a sequence of n tokens);
  // empty for a scheme that does not rotate. The lesson states its facts from these.
  virtual std::vector<double> rotation_frequencies(long long d_head, long long n) const {
    (void)d_head, (void)n;
    return {};
  }

  // Position-interaction matrix S (n, n), FACTS.md section 4, for the head params().head.
  // Masked cells (keys after the query in a causal model) are NaN.
  virtual MatrixRM interaction(long long n, long long d) const = 0;
  // What one cell of S is, for captions and axis labels ("cosine of the position rows").
  virtual std::string interaction_meaning() const = 0;
  // What happens to two equal tokens at positions i < j, as one true sentence for a caption.
  virtual std::string repeated_token_story() const = 0;
};

// [Registry] ----------------------------------------------------------------------------------

// One parameter of a scheme: the field it sets in SchemeParams, how the UI and the CLI show it.
enum class ParamField { Base, Layout, RotaryFraction, Pairs, HeadDim, Heads, Head, Buckets, MaxDistance, Causal, ScaleBase };
struct ParamSpec {
  ParamField field;
  const char* cli;        // "base" for --base
  const char* label;      // "base" in the control strip
  const char* help;       // one line for --help and tooltips
  double min = 0, max = 0;// numbers; for choices 0..1
  bool integer = false;
  bool log_scale = false; // sliders: logarithmic (bases)
  const char* choices[2] = {nullptr, nullptr};  // two named values (layout, pairs, causal)
  // The Hugging Face config.json key a lab checkpoint writes it under ("rope_theta"); null:
  // written as "embedscope_position_params" only.
  const char* config_key = nullptr;
};
double get_param(const SchemeParams& p, ParamField f);
// Sets a field from a number (choices: 0 or 1). Throws es::Error when out of the spec's range.
void set_param(SchemeParams& p, const ParamSpec& spec, double value);

// What a checkpoint's config.json says that a scheme may read (model_config.cpp fills it from
// the file; each scheme's `configure` takes the keys it has).
struct SchemeConfig {
  long long dim = 0;                     // model width (from the token table when the file lacks it)
  int heads = 0;                         // 0: unknown
  int head_dim = 0;                      // explicit "head_dim", 0 if absent
  long long max_positions = 0;           // max_position_embeddings
  std::optional<double> rope_theta;      // rope_theta / rotary_emb_base
  std::optional<double> rotary_fraction; // rotary_pct / partial_rotary_factor
  double default_rotary_fraction = 1.0;  // the family's (GPT-NeoX 0.25)
  bool interleaved_pairs = false;        // the family rotates pairs (2k, 2k + 1) (GPT-J)
  RopeScaling rope_scaling;
  int t5_buckets = 32, t5_max_distance = 128;
  int position_buckets = 256;            // DeBERTa
  long long max_relative_positions = -1; // DeBERTa (-1: max_position_embeddings)
};

// How a scheme's trained weights count among a model's input-stage weights (FACTS.md section 1).
enum class WeightsCounted {
  Formula,         // none trained (sinusoidal, RoPE, ALiBi, xPos, none)
  PositionTable,   // a table added at the input: L_max * d (learned)
  FirstBlockBias,  // a bias table of block 0 counted with the input stage (T5)
  InsideAttention, // per-layer weights inside attention, not input-stage (Transformer-XL, DeBERTa, ...)
};

// The trained data a scheme takes from a checkpoint (SchemeData's fields).
enum class SchemeDataKind {
  None,
  BucketBias,          // (buckets, heads) per stack: T5's encoder and decoder tables
  RelativeEmbeddings,  // (rows, d), LayerNorm'd when the config says so: DeBERTa
};

// The training lab's form of a scheme (trainable.h), for both scalar types.
template <typename S>
class TrainablePosition;
struct TrainShape;
struct TrainMakers {
  std::unique_ptr<TrainablePosition<float>> (*f)(const SchemeParams&, const TrainShape&) = nullptr;
  std::unique_ptr<TrainablePosition<double>> (*d)(const SchemeParams&, const TrainShape&) = nullptr;
};

struct SchemeInfo {
  const char* name;        // "rope": --scheme rope, settings, the registry key
  const char* title;       // "RoPE"
  const char* summary;     // one line: what it is and who uses it
  const char* weights;     // trained weights, as a formula ("L_max * d", "0")
  PositionEntry entry;
  std::vector<ParamSpec> params;
  // Builds the scheme; throws es::Error for parameters that make no sense or missing data.
  std::unique_ptr<PositionScheme> (*make)(const SchemeParams&, SchemeData);
  bool needs_data = false; // learned: cannot be built without a model's table
  // Published defaults for the fields this scheme reads, applied when a user switches to it
  // from another scheme (DeBERTa's 256 buckets are not T5's 32). May be null.
  void (*adopt)(SchemeParams&) = nullptr;
  // The training lab's form of the scheme (core/position/trainable.h); null: not trainable.
  TrainMakers train{};
  // Reads the scheme's settings from a checkpoint's config (null: its defaults serve).
  void (*configure)(const SchemeConfig&, SchemeParams&) = nullptr;
  WeightsCounted counted = WeightsCounted::Formula;
  // What a checkpoint loader reads into SchemeData for it (the tensor names are the family's).
  SchemeDataKind data = SchemeDataKind::None;
  // The title's shortest form, for a figure too crowded for its first word ("T-XL"); null: none.
  const char* abbreviation = nullptr;
  // One of the seven schemes the lesson teaches side by side first (learned, sinusoidal, RoPE,
  // ALiBi, T5, Transformer-XL, DeBERTa); the others join that figure while its maps stay readable.
  bool lesson_core = false;
};

// Every scheme, in the order the UI shows them.
const std::vector<const SchemeInfo*>& scheme_registry();
const SchemeInfo* find_scheme(std::string_view name);  // also a few aliases ("sin", "absolute")
const SchemeInfo& scheme_info(std::string_view name);  // throws es::Error listing the names
std::string scheme_names(std::string_view separator = ", ");  // "none, learned, ..."
// A scheme's own published settings on otherwise default SchemeParams (kind set, adopt applied).
SchemeParams scheme_defaults(const SchemeInfo& info);

// The scheme's trained weights that count in the input stage for width d and a table of
// max_len rows, and their name ("T5 relative bias (buckets * heads)"); 0 and "" for none.
struct SchemeWeightCount {
  long long position_table = 0;  // PositionTable
  long long block_bias = 0;      // FirstBlockBias
  std::string label;             // for block_bias
};
SchemeWeightCount scheme_weight_count(const SchemeParams& params, long long d, long long max_len);

// Builds params.kind's scheme. Throws es::Error on parameters that make no sense.
std::unique_ptr<PositionScheme> make_position_scheme(const SchemeParams& params, SchemeData data = {});

// [Shared formulas] ---------------------------------------------------------------------------

// Rotary width for a head of width head_dim: round(fraction * head_dim), made even.
int rope_rotary_dims(int head_dim, double rotary_fraction);
// theta_k = base^(-2k/d_r), k = 0 .. d_r/2 - 1.
std::vector<double> rope_frequencies(int rotary_dims, double base);
// The same after "rope_scaling", for a sequence of seq_len tokens (dynamic and longrope depend on
// it; 0: the model's own length). Throws es::Error for settings that make no sense.
std::vector<double> rope_frequencies(int rotary_dims, double base, const RopeScaling& scaling, long long seq_len = 0);
// The factor on cos and sin (q.k gains its square): yarn and longrope; 1 otherwise.
double rope_attention_factor(const RopeScaling& scaling);
// Rotates x (length >= rotary_dims) in place as RoPE does at position m.
void rope_rotate(std::span<float> x, int rotary_dims, double base, RopePairs pairs, double m);
// ALiBi slopes for H heads, FACTS.md section 3 (any H >= 1, powers of two or not).
std::vector<double> alibi_slopes(int heads);
// HF T5 _relative_position_bucket for rel = key_pos - query_pos (float32 log, as HF does).
int t5_relative_bucket(long long rel, bool bidirectional, int num_buckets, int max_distance);
// HF DeBERTa-v2 make_log_bucket_position for rel = query_pos - key_pos.
long long deberta_log_bucket(long long rel, int bucket_size, int max_position);

// Mean of S along each offset: profile[o] = mean of S[i][i - o] over valid i, o = 0..n-1
// (query after key). For shift-invariant schemes every diagonal is constant.
std::vector<double> interaction_offset_profile(const MatrixRM& s);

}  // namespace es
