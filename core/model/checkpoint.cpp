// Checkpoints as model sources: safetensors weights (one file or shards), config.json and the
// tokenizer beside them. Only the input-stage tensors of each family are looked at; which
// tensors those are, and what they mean, comes from the family table (model_family.h).
//
// Memory: opening maps the files and parses their headers; no tensor byte is read until a
// table is asked for. F32 tables are served in place from the mapping. F16/BF16/F64 tables are
// converted to float on the first token_table() / position_table() call (one pass, 4 bytes per
// value); gather_token_rows() never converts the whole table: it decodes only the rows asked for.
#include "checkpoint.h"
#include "hf_cache.h"

#include "bpe_tokenizer.h"
#include "hf_tokenizer.h"
#include "sentencepiece_tokenizer.h"
#include "word_tokenizer.h"
#include "layer_norm.h"
#include "file_text.h"
#include "json_excerpt.h"
#include "model_config.h"
#include "safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <unordered_map>

namespace es {

namespace fs = std::filesystem;

namespace {

using Json = nlohmann::json;

struct TensorRef {
  const SafetensorsFile* file = nullptr;
  const SafetensorsTensor* tensor = nullptr;
  std::string where() const { return "tensor '" + tensor->name + "' in '" + file->path().string() + "'"; }
};

// The weights of a checkpoint: one file, or the shards of an index, with a name -> tensor map.
struct WeightSet {
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  std::unordered_map<std::string, TensorRef> by_name;
  uint64_t size_bytes = 0;

  void add_file(const fs::path& path) {
    files.push_back(std::make_unique<SafetensorsFile>(path));
    const SafetensorsFile* f = files.back().get();
    size_bytes += f->file_size();
    for (const SafetensorsTensor& t : f->header().tensors) {
      const auto [it, fresh] = by_name.emplace(t.name, TensorRef{f, &t});
      if (!fresh)
        throw Error("tensor '" + t.name + "' appears in two shards: '" + it->second.file->path().string() +
                    "' and '" + path.string() + "'");
    }
  }
  // The first of `names` present (a family's spellings of one tensor, with or without prefix).
  std::optional<TensorRef> find_first(const std::vector<const char*>& names) const {
    for (const char* n : names)
      if (std::optional<TensorRef> r = find(n)) return r;
    return std::nullopt;
  }
  std::optional<TensorRef> find(std::string_view name) const {
    const auto it = by_name.find(std::string(name));
    if (it == by_name.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(by_name.size());
    for (const auto& [n, _] : by_name) out.push_back(n);
    std::sort(out.begin(), out.end());
    return out;
  }
};

// A (rows, cols) float table backed by a tensor: in place for aligned F32, else converted once.
class LazyTable {
 public:
  explicit LazyTable(TensorRef ref) : ref_(ref), rows_(ref.tensor->shape[0]), cols_(ref.tensor->shape[1]) {}
  long long rows() const { return rows_; }
  long long cols() const { return cols_; }
  const TensorRef& ref() const { return ref_; }
  TableMap map() const {
    std::call_once(once_, [this] {
      data_ = ref_.file->f32_in_place(*ref_.tensor);
      if (!data_) {
        converted_ = FloatBuffer(static_cast<std::size_t>(rows_ * cols_));
        ref_.file->read_floats(*ref_.tensor, 0, std::span<float>(converted_.data(), converted_.size()));
        data_ = converted_.data();
      }
    });
    return TableMap(data_, rows_, cols_);
  }
  // The table in its stored type, in place, when it is F32, BF16 or F16 and aligned for it;
  // otherwise (F64, odd offsets) the converted float copy.
  TableView view() const {
    const SafetensorsDtype dt = ref_.tensor->dtype;
    const std::span<const uint8_t> bytes = ref_.file->tensor_bytes(*ref_.tensor);
    const int fd = ref_.file->fd();
    const std::uint64_t offset = ref_.file->tensor_offset(*ref_.tensor);
    if (dt == SafetensorsDtype::F32) {
      if (const float* p = ref_.file->f32_in_place(*ref_.tensor)) return {p, ElementType::F32, rows_, cols_, fd, offset};
    } else if ((dt == SafetensorsDtype::BF16 || dt == SafetensorsDtype::F16) &&
               reinterpret_cast<std::uintptr_t>(bytes.data()) % 2 == 0) {
      return {bytes.data(), dt == SafetensorsDtype::BF16 ? ElementType::BF16 : ElementType::F16, rows_, cols_, fd, offset};
    }
    return TableView::of(map());
  }
  // Row r into out (length cols): from the mapping or the converted copy; never converts all.
  void read_row(long long r, float* out) const {
    const auto n = static_cast<std::size_t>(cols_);
    if (const float* p = ref_.file->f32_in_place(*ref_.tensor)) {
      std::memcpy(out, p + r * cols_, n * sizeof(float));
      return;
    }
    ref_.file->read_floats(*ref_.tensor, static_cast<uint64_t>(r) * n, std::span<float>(out, n));
  }

 private:
  TensorRef ref_;
  long long rows_, cols_;
  mutable std::once_flag once_;
  mutable const float* data_ = nullptr;
  mutable FloatBuffer converted_;  // (rows, cols) row-major, only for non-F32 or misaligned data
};

// "ORG/NAME" for a folder inside a Hugging Face cache (.../models--ORG--NAME/snapshots/<rev>).
std::optional<std::string> cache_name_of(const fs::path& dir) {
  const fs::path snapshots = dir.parent_path();
  if (snapshots.filename() != "snapshots") return std::nullopt;
  const std::string repo = snapshots.parent_path().filename().string();
  if (repo.rfind("models--", 0) != 0) return std::nullopt;
  std::string name;
  for (std::size_t i = 8; i < repo.size(); ++i) {
    if (repo.compare(i, 2, "--") == 0) {
      name.push_back('/');
      ++i;
    } else {
      name.push_back(repo[i]);
    }
  }
  return name;
}


// The shard files listed by a model.safetensors.index.json, checked to stay inside its folder.
std::vector<std::pair<std::string, std::string>> read_shard_index(const fs::path& index_path,
                                                                  std::set<std::string>& shards) {
  const std::string label = "shard index '" + index_path.string() + "'";
  Json root;
  try {
    root = Json::parse(read_small_file(index_path, "shard index", std::uintmax_t{64} << 20));
  } catch (const Json::exception& e) {
    throw Error(label + ": not valid JSON (" + json_parse_error(e) + ")");
  }
  if (!root.is_object() || !root.contains("weight_map") || !root["weight_map"].is_object())
    throw Error(label + ": no \"weight_map\" object (tensor name -> shard file)");
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& [tensor, file] : root["weight_map"].items()) {
    if (!file.is_string()) throw Error(label + ": tensor '" + tensor + "' maps to a non-string");
    const std::string f = file.get<std::string>();
    if (f.empty() || f == "." || f == ".." || f.find('/') != std::string::npos || f.find('\\') != std::string::npos)
      throw Error(label + ": tensor '" + tensor + "' maps to '" + f + "', not a file name in the same folder");
    shards.insert(f);
    entries.emplace_back(tensor, f);
  }
  if (shards.empty()) throw Error(label + ": the weight map is empty");
  return entries;
}

struct WeightLocation {
  fs::path dir;           // where config.json and the tokenizer are looked for
  fs::path single;        // one safetensors file, or
  fs::path index;         // a shard index
};

WeightLocation locate_weights(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error("cannot open model '" + path.string() + "': no such file or folder");
  WeightLocation loc;
  if (!fs::is_directory(path, ec)) {
    loc.dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    const std::string fname = path.filename().string();
    if (fname.size() > 11 && fname.ends_with(".index.json"))
      loc.index = path;
    else
      loc.single = path;
    return loc;
  }
  loc.dir = path;
  if (fs::is_regular_file(path / "model.safetensors", ec)) {
    loc.single = path / "model.safetensors";
    return loc;
  }
  if (fs::is_regular_file(path / "model.safetensors.index.json", ec)) {
    loc.index = path / "model.safetensors.index.json";
    return loc;
  }
  std::vector<fs::path> found;
  bool has_torch_bin = false;
  for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
    const std::string n = e.path().filename().string();
    if (n.ends_with(".safetensors") && e.is_regular_file(ec)) found.push_back(e.path());
    if (n.ends_with(".bin") || n.ends_with(".pt") || n.ends_with(".pth")) has_torch_bin = true;
  }
  if (found.size() == 1) {
    loc.single = found[0];
    return loc;
  }
  if (found.size() > 1)
    throw Error("cannot open model folder '" + path.string() + "': it holds " + std::to_string(found.size()) +
                " .safetensors files but no model.safetensors.index.json saying which tensor is where");
  throw Error("cannot open model folder '" + path.string() + "': no weights found (looked for model.safetensors, "
              "model.safetensors.index.json, or one *.safetensors file)" +
              (has_torch_bin ? "; it has PyTorch .bin/.pt weights, which EmbedScope does not read: save the "
                               "model as safetensors"
                             : ""));
}

class CheckpointModel final : public ModelSource {
 public:
  std::string name_, family_, label_, position_summary_, caveats_;
  fs::path dir_;
  ModelConfig config_;
  WeightSet weights_;
  std::optional<LazyTable> token_;
  std::optional<LazyTable> position_;
  std::optional<LazyTable> token_type_;
  std::optional<LayerNormParams> norm_;
  std::vector<std::string> norm_names_;
  int position_offset_ = 0;
  bool token_type_in_input_ = false;
  SchemeData scheme_data_;                  // the scheme's own trained weights
  std::vector<std::pair<std::string, std::string>> scheme_tensors_;  // (role, tensor name)
  SchemeParams scheme_;
  bool tied_ = true;
  int heads_ = 0;
  double embedding_scale_ = 1.0;
  Block0Settings block0_;
  std::optional<Projection> projection_;
  mutable std::once_flag tokenizer_once_;
  mutable std::shared_ptr<const Tokenizer> tokenizer_;
  mutable std::string json_note_;  // why tokenizer.json was not used, when it was not

  std::string name() const override { return name_; }
  std::string family() const override { return family_; }
  std::string label() const override { return label_; }
  bool trained() const override { return true; }
  long long vocab_size() const override { return token_->rows(); }
  long long dim() const override { return token_->cols(); }
  int num_heads() const override { return heads_; }
  TableMap token_table() const override { return token_->map(); }
  TableView token_table_view() const override { return token_->view(); }
  void gather_token_rows(std::span<const int> ids, MatrixRM& out) const override {
    const long long v = token_->rows();
    for (int id : ids)  // all ids first: a bad one leaves `out` untouched
      if (id < 0 || id >= v)
        throw Error("token id " + std::to_string(id) + " is outside the vocabulary of " + name_ + " (ids 0.." +
                    std::to_string(v - 1) + ")");
    out.resize(static_cast<Eigen::Index>(ids.size()), token_->cols());
    for (std::size_t i = 0; i < ids.size(); ++i) token_->read_row(ids[i], out.row(static_cast<Eigen::Index>(i)).data());
  }
  std::optional<TableMap> position_table() const override {
    if (!position_) return std::nullopt;
    const TableMap full = position_->map();  // rows from the family's offset on (RoBERTa: 2)
    return TableMap(full.data() + position_offset_ * full.cols(), full.rows() - position_offset_, full.cols());
  }
  int position_offset() const override { return position_offset_; }
  int num_kv_heads() const override { return config_.kv_heads > 0 ? config_.kv_heads : heads_; }
  std::optional<MatrixRM> read_tensor(const std::string& name) const override {
    const std::optional<TensorRef> r = weights_.find(name);
    if (!r) return std::nullopt;
    const SafetensorsTensor& t = *r->tensor;
    if (t.shape.size() == 1) {
      MatrixRM v(1, t.shape[0]);
      r->file->read_floats(t, 0, std::span<float>(v.data(), static_cast<std::size_t>(v.size())));
      return v;
    }
    if (t.shape.size() != 2) throw Error(r->where() + " has rank " + std::to_string(t.shape.size()) + ", not 1 or 2");
    return r->file->read_matrix(t);
  }
  std::optional<TableMap> token_type_table() const override {
    if (!token_type_ || !token_type_in_input_) return std::nullopt;
    return token_type_->map();
  }
  std::optional<LayerNormParams> first_layer_norm() const override { return norm_; }
  SchemeParams default_scheme() const override { return scheme_; }
  SchemeData scheme_data() const override { return scheme_data_; }
  std::string config_note() const override { return caveats_; }
  double embedding_scale() const override { return embedding_scale_; }
  std::optional<Projection> input_projection() const override { return projection_; }
  Block0Settings block0_settings() const override { return block0_; }
  bool tied_embeddings() const override { return tied_; }
  std::string dtype() const override { return dtype_name(token_->ref().tensor->dtype); }
  uint64_t size_bytes() const override { return weights_.size_bytes; }

  std::shared_ptr<const Tokenizer> tokenizer() const override {
    // Loaded on first use (tens of milliseconds for GPT-2's 50k merges), not at open.
    std::call_once(tokenizer_once_, [this] {
      // tokenizer.json first: it carries the model's own split pattern and special tokens
      // (Qwen2's vocab.json + merges.txt would be split with GPT-2's pattern). A kind we do not
      // implement falls through to vocab.json + merges.txt, and is named in tokenizer_note().
      std::shared_ptr<const Tokenizer> t;
      std::error_code ec;
      if (fs::is_regular_file(dir_ / "tokenizer.json", ec)) {
        TokenizerJsonResult r = load_tokenizer_json(dir_ / "tokenizer.json");
        t = std::move(r.tokenizer);
        json_note_ = r.unsupported;
      }
      // A SentencePiece model next (LLaMA 2, Mistral, Gemma, T5: exact through the library; T5's
      // tokenizer.json needs a Precompiled map we do not read), then the older file sets.
      for (const char* spm_name : {"tokenizer.model", "spiece.model"})
        if (!t && fs::is_regular_file(dir_ / spm_name, ec)) t = load_sentencepiece(dir_ / spm_name);
      if (!t && has_bpe_tokenizer_files(dir_)) t = load_bpe_tokenizer_dir(dir_);
      if (!t && fs::is_regular_file(dir_ / "vocab.txt", ec)) t = load_wordpiece_vocab(dir_ / "vocab.txt");
      if (!t && fs::is_regular_file(dir_ / "embedscope_words.txt", ec)) t = load_word_list_tokenizer(dir_ / "embedscope_words.txt");
      if (t) {
        if (t->vocab_size() > vocab_size())
          throw Error("the tokenizer in '" + dir_.string() + "' has " + std::to_string(t->vocab_size()) +
                      " tokens but the token table of " + name_ + " has only " + std::to_string(vocab_size()) +
                      " rows: they do not belong together");
        tokenizer_ = std::move(t);
      } else if (family_ == "gpt2") {
        // GPT-2 checkpoints saved without tokenizer files: GPT-2's own tokenizer, when its
        // files are installed and the table covers its ids.
        try {
          std::shared_ptr<const Tokenizer> g = default_gpt2_tokenizer();
          if (g && g->vocab_size() <= vocab_size()) tokenizer_ = std::move(g);
        } catch (const Error&) {
        }
      }
    });
    return tokenizer_;
  }

  std::string tokenizer_note() const override {
    // What lies beside the weights, for a model whose tokenizer() is null.
    try {
      tokenizer();  // fills json_note_
    } catch (const Error& e) {
      return e.what();
    }
    if (!json_note_.empty()) return json_note_;
    std::vector<std::string> found;
    std::error_code ec;
    auto has = [&](const char* f) { return fs::is_regular_file(dir_ / f, ec); };
    if (has("tokenizer.json")) found.push_back("tokenizer.json");
    if (has("vocab.txt")) found.push_back("a WordPiece vocab.txt");
    if (has("tokenizer.model") || has("spiece.model")) found.push_back("a SentencePiece model");
    if (has("vocab.json") && !has("merges.txt")) found.push_back("vocab.json without merges.txt");
    if (found.empty()) return "no tokenizer files beside the weights in " + dir_.string();
    std::string list;
    for (std::size_t i = 0; i < found.size(); ++i)
      list += (i == 0 ? "" : i + 1 == found.size() ? " and " : ", ") + found[i];
    return "found " + list + ", none of which EmbedScope could use";
  }

  std::vector<TensorInfo> tensors() const override {
    std::vector<TensorInfo> out;
    auto add = [&](const std::string& role, const TensorRef& r) {
      out.push_back({role, r.tensor->name, dtype_name(r.tensor->dtype), r.tensor->shape});
    };
    add("token table", token_->ref());
    if (position_) add("position table", position_->ref());
    else
      out.push_back({"position table", "(none: " + position_summary_ + ")", "", {}});
    if (token_type_) add("token-type table", token_type_->ref());
    for (std::size_t i = 0; i < norm_names_.size(); ++i)
      if (const std::optional<TensorRef> r = weights_.find(norm_names_[i]))
        add(std::string(norm_ && norm_->kind != NormKind::LayerNorm ? "first RMSNorm" : "first LayerNorm") +
                (i == 0 ? " weight" : " bias"), *r);
    for (const auto& [role, name] : scheme_tensors_)
      if (const std::optional<TensorRef> r = weights_.find(name)) add(role, *r);
    return out;
  }
};

// A rank-2 float table, checked: rank, dtype, and (when width > 0) its width.
TensorRef checked_table(const TensorRef& r, const std::string& role, long long width, const std::string& width_of) {
  const SafetensorsTensor& t = *r.tensor;
  if (t.shape.size() != 2)
    throw Error("the " + role + ", " + r.where() + ", has rank " + std::to_string(t.shape.size()) + " (shape " +
                shape_text(t.shape) + "); expected a matrix (rows, d)");
  if (!dtype_is_float_readable(t.dtype))
    throw Error("the " + role + ", " + r.where() + ", has dtype " + dtype_name(t.dtype) +
                "; EmbedScope reads F32, F16, BF16 and F64 tables");
  if (t.shape[0] == 0 || t.shape[1] == 0)
    throw Error("the " + role + ", " + r.where() + ", is empty (shape " + shape_text(t.shape) + ")");
  if (width > 0 && t.shape[1] != width)
    throw Error("the " + role + ", " + r.where() + ", has width " + std::to_string(t.shape[1]) + " but " + width_of +
                " has width " + std::to_string(width) + ": the widths must match");
  return r;
}

RowVectorF read_vector(const TensorRef& r, long long d, const std::string& role) {
  const SafetensorsTensor& t = *r.tensor;
  if (t.shape.size() != 1 || t.shape[0] != d || !dtype_is_float_readable(t.dtype))
    throw Error("the " + role + ", " + r.where() + ", has shape " + shape_text(t.shape) + " and dtype " +
                dtype_name(t.dtype) + "; expected a float vector of the model width (" + std::to_string(d) + ",)");
  RowVectorF v(d);
  r.file->read_floats(t, 0, std::span<float>(v.data(), static_cast<std::size_t>(d)));
  return v;
}

std::string join_names(const std::vector<const char*>& names) {
  std::string s;
  for (const char* n : names) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

// The first norm found under one of `prefixes` (.weight/.bias, or .gamma/.beta in old BERT
// checkpoints); its tensor names go to `names`.
std::optional<LayerNormParams> read_norm(const CheckpointModel& m, const std::vector<const char*>& prefixes,
                                         const FamilyInfo&, long long d, double eps, const char* label,
                                         std::vector<std::string>& names) {
  for (const char* prefix : prefixes) {
    const std::string p(prefix);
    std::optional<TensorRef> g = m.weights_.find(p + ".weight"), b = m.weights_.find(p + ".bias");
    if (!g) {
      g = m.weights_.find(p + ".gamma");
      b = m.weights_.find(p + ".beta");
    }
    if (!g) continue;
    LayerNormParams ln;
    ln.gamma = read_vector(*g, d, "norm weight");
    ln.beta = b ? read_vector(*b, d, "norm bias") : RowVectorF::Zero(d);
    ln.eps = static_cast<float>(eps);
    ln.label = label;
    names = {g->tensor->name};
    if (b) names.push_back(b->tensor->name);
    return ln;
  }
  return std::nullopt;
}

// (buckets, heads) T5 bias of one stack, checked against the config.
MatrixRM read_t5_bias(const TensorRef& r, const ModelConfig& cfg, int buckets) {
  const SafetensorsTensor& t = *r.tensor;
  checked_table(r, "T5 relative-position bias", 0, "");
  if (cfg.present && t.shape[0] != buckets)
    throw Error("the T5 relative-position bias, " + r.where() + ", has " + std::to_string(t.shape[0]) +
                " rows but config.json gives " + std::to_string(buckets) + " buckets");
  if (cfg.heads > 0 && t.shape[1] != cfg.heads)
    throw Error("the T5 relative-position bias, " + r.where() + ", has " + std::to_string(t.shape[1]) +
                " columns but config.json gives " + std::to_string(cfg.heads) + " heads");
  if (t.shape[0] < 2 || t.shape[0] > (1 << 20) || t.shape[1] > (1 << 20))
    throw Error("the T5 relative-position bias, " + r.where() + ", has an implausible shape " + shape_text(t.shape));
  return r.file->read_matrix(t);
}

// The scheme's own trained weights: T5's two bias tables (encoder: bidirectional buckets,
// decoder: causal), DeBERTa's rel_embeddings (LayerNorm'd when norm_rel_ebd says so).
void read_scheme_weights(CheckpointModel& m, const FamilyInfo& fam, const ModelConfig& cfg) {
  const long long d = m.token_->cols();
  const SchemeDataKind kind = scheme_info(m.scheme_.kind).data;
  if (kind == SchemeDataKind::BucketBias) {
    if (const std::optional<TensorRef> r = m.weights_.find_first(fam.scheme_weights)) {
      m.scheme_data_.bucket_bias = read_t5_bias(*r, cfg, m.scheme_.buckets);
      m.scheme_data_.source = "the encoder's " + r->tensor->name;
      m.scheme_tensors_.push_back({"T5 encoder relative-position bias (bidirectional)", r->tensor->name});
      m.scheme_.buckets = static_cast<int>(r->tensor->shape[0]);
      m.scheme_.heads = static_cast<int>(r->tensor->shape[1]);
      if (m.heads_ == 0) m.heads_ = m.scheme_.heads;
    }
    if (const std::optional<TensorRef> r = m.weights_.find_first(fam.scheme_weights_causal)) {
      MatrixRM bias = read_t5_bias(*r, cfg, m.scheme_.buckets);
      if (!m.scheme_data_.bucket_bias || (bias.rows() == m.scheme_data_.bucket_bias->rows() &&
                                          bias.cols() == m.scheme_data_.bucket_bias->cols())) {
        m.scheme_data_.bucket_bias_causal = std::move(bias);
        m.scheme_data_.source_causal = "the decoder's " + r->tensor->name;
        m.scheme_tensors_.push_back({"T5 decoder relative-position bias (causal)", r->tensor->name});
      }
    }
  } else if (kind == SchemeDataKind::RelativeEmbeddings) {
    if (const std::optional<TensorRef> r = m.weights_.find_first(fam.scheme_weights)) {
      checked_table(*r, "DeBERTa relative embeddings", d, "the token table");
      MatrixRM rel = r->file->read_matrix(*r->tensor);  // (2 * buckets, d)
      if (rel.rows() < 2LL * m.scheme_.buckets)
        throw Error("the DeBERTa relative embeddings, " + r->where() + ", have " + std::to_string(rel.rows()) +
                    " rows; position_buckets " + std::to_string(m.scheme_.buckets) + " needs " +
                    std::to_string(2 * m.scheme_.buckets));
      m.scheme_tensors_.push_back({"DeBERTa relative embeddings", r->tensor->name});
      std::string source = r->tensor->name;
      if (cfg.norm_rel_ebd.find("layer_norm") != std::string::npos) {
        std::vector<std::string> names;
        if (const std::optional<LayerNormParams> ln = read_norm(m, fam.scheme_weights_norm, fam, d,
                                                                cfg.layer_norm_eps.value_or(fam.default_eps), "", names)) {
          rel = layer_norm_rows(rel, *ln);
          source += " after " + names.front().substr(0, names.front().rfind('.'));
          for (const std::string& n : names) m.scheme_tensors_.push_back({"DeBERTa relative-embedding LayerNorm", n});
        }
      }
      m.scheme_data_.relative_embeddings = std::move(rel);
      m.scheme_data_.source = source;
    }
  }
}

}  // namespace

namespace {

// The weight files: the single file, or every shard of the index, each tensor checked to be in
// the shard the index names.
void load_weights(const WeightLocation& loc, WeightSet& weights) {
  if (!loc.single.empty()) {
    weights.add_file(loc.single);
  } else {
    std::set<std::string> shards;
    const auto entries = read_shard_index(loc.index, shards);
    for (const std::string& s : shards) {
      std::error_code ec;
      if (!fs::is_regular_file(loc.dir / s, ec))
        throw Error("shard '" + s + "' listed in '" + loc.index.string() + "' is missing from '" + loc.dir.string() + "'");
      weights.add_file(loc.dir / s);
    }
    for (const auto& [tensor, shard] : entries) {
      const std::optional<TensorRef> r = weights.find(tensor);
      if (!r || r->file->path().filename() != shard)
        throw Error("shard index '" + loc.index.string() + "' puts tensor '" + tensor + "' in '" + shard +
                    "', but " + (r ? "it is in '" + r->file->path().string() + "'" : std::string("no shard holds it")));
    }
  }
}

}  // namespace

// The family config.json names, else the one the tensor names point to (saying so in `note`);
// es::Error when neither says.
const FamilyInfo& family_of(const ModelConfig& cfg, const std::vector<std::string>& names, const fs::path& path,
                            std::string& note) {
  if (const FamilyInfo* fam = find_family(cfg.family)) return *fam;
  const std::string count = " (" + std::to_string(names.size()) + " tensors in the file)";
  // A model_type we do not know is refused by name: families that share tensor names read
  // them differently (Gemma scales its rows, Phi uses LayerNorm), so no guess can be trusted.
  if (cfg.present && !cfg.model_type.empty())
    throw Error("cannot open '" + path.string() + "': model_type '" + cfg.model_type +
                "' in config.json is not a family EmbedScope reads (" + family_model_types() + ")" + count);
  std::string ambiguous;
  const FamilyInfo* fam = guess_family(names, &ambiguous);
  if (!fam)
    throw Error("cannot open '" + path.string() + "': " +
                (ambiguous.empty()
                     ? std::string("no config.json saying the model type, and no known token table name "
                                   "(wte.weight, model.embed_tokens.weight, gpt_neox.embed_in.weight, "
                                   "word_embeddings.weight, embeddings.word_embeddings.weight, shared.weight)")
                     : "no model_type in a config.json, and " + ambiguous +
                           ": put the model's config.json beside the weights") +
                count);
  note = cfg.present ? " (config.json has no model_type; family read from tensor names that only " +
                           std::string(fam->display) + " writes)"
                     : " (no config.json: family read from tensor names that only " + std::string(fam->display) +
                           " writes; published defaults assumed)";
  return *fam;
}

// The position table (with its first row: RoBERTa's offset) and the token-type table, checked
// against the token table's width.
void read_input_tables(CheckpointModel& model, const FamilyInfo& family, const ModelConfig& cfg, const fs::path& path) {
  CheckpointModel* m = &model;
  const FamilyInfo* fam = &family;
  const long long d = m->token_->cols();
  if (const std::optional<TensorRef> r = m->weights_.find_first(fam->position))
    m->position_.emplace(checked_table(*r, "position table", d, "the token table"));
  if (scheme_info(m->scheme_.kind).needs_data && !m->position_)
    throw Error("cannot open '" + path.string() + "' as a " + fam->display +
                " model: no learned position table (looked for " + join_names(fam->position) + ")");
  // RoBERTa: token i uses row i + padding_idx + 1 (HF create_position_ids_from_input_ids).
  m->position_offset_ = fam->position_offset;
  if (fam->offset_from_pad && cfg.pad_token_id) m->position_offset_ = static_cast<int>(*cfg.pad_token_id) + 1;
  if (m->position_ && m->position_offset_ >= m->position_->rows())
    throw Error("the position table, " + m->position_->ref().where() + ", has " + std::to_string(m->position_->rows()) +
                " rows, but " + fam->display + " starts at row " + std::to_string(m->position_offset_));
  if (const std::optional<TensorRef> r = m->weights_.find_first(fam->token_type))
    m->token_type_.emplace(checked_table(*r, "token-type table", d, "the token table"));
  m->token_type_in_input_ = fam->token_types_in_input && m->token_type_;

}

// Gemma: sqrt(hidden_size) rounded to the table's dtype (HF builds the normaliser as a tensor of
// the rows' dtype); BART / mBART: sqrt(d_model) when scale_embedding is true.
double embedding_scale_of(const FamilyInfo& fam, const ModelConfig& cfg, long long d, SafetensorsDtype dtype) {
  const double width = double(cfg.hidden > 0 ? cfg.hidden : d);
  if (!cfg.lab_scheme.empty()) return cfg.lab_token_scale;  // trained in the lab: its scheme's recipe
  switch (fam.embedding_scale) {
    case EmbeddingScale::One: return 1.0;
    case EmbeddingScale::SqrtWidthIfConfigured: return cfg.scale_embedding.value_or(false) ? std::sqrt(width) : 1.0;
    case EmbeddingScale::SqrtWidth: {
      const float s = static_cast<float>(std::sqrt(width));
      if (dtype == SafetensorsDtype::BF16) return bf16_bits_to_float(float_to_bf16_bits(s));
      if (dtype == SafetensorsDtype::F16) return f16_bits_to_float(float_to_f16_bits(s));
      return s;
    }
  }
  return 1.0;
}

std::string format_scale(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", s);
  return buf;
}

// How block 0 scores, beyond q.k / sqrt(d_head) (FACTS.md section 10).
Block0Settings block0_settings_of(const FamilyInfo& fam, const ModelConfig& cfg) {
  Block0Settings b;
  b.norm_eps = cfg.layer_norm_eps.value_or(fam.default_eps);
  if (cfg.query_pre_attn_scalar) b.scale = 1.0 / std::sqrt(*cfg.query_pre_attn_scalar);
  if (cfg.attn_logit_softcapping && fam.logit_softcap) b.softcap = *cfg.attn_logit_softcapping;
  if (cfg.clip_qkv) b.clip_qkv = *cfg.clip_qkv;
  if (fam.layer0_sliding && cfg.sliding_window > 0) b.window = cfg.sliding_window;
  if (fam.attention.layout == QkLayout::Unread) b.unread = fam.attention.unread_why;
  if (fam.qk_layernorm_unread && cfg.qk_layernorm)
    b.unread = "StableLM's per-head q and k LayerNorms (qk_layernorm) are not computed by EmbedScope";
  if (fam.opt_input_checks && cfg.do_layer_norm_before == false)
    b.unread = "this OPT normalises after attention (do_layer_norm_before false), which EmbedScope does not compute";
  return b;
}

std::unique_ptr<ModelSource> open_checkpoint(const fs::path& path) {
  // A snapshot in the hub cache whose download stopped: say so and how to resume, not that
  // the folder has no weights (or a shard is missing).
  std::error_code dir_ec;
  if (fs::is_directory(path, dir_ec))
    if (const std::optional<std::string> unfinished = hf_download_unfinished(path)) throw Error(*unfinished);
  const WeightLocation loc = locate_weights(path);
  auto m = std::make_unique<CheckpointModel>();
  m->dir_ = loc.dir;
  {
    // The cache name when the folder is a hub snapshot ("dir/" and "dir" alike).
    std::error_code ec;
    fs::path where = fs::absolute(fs::is_directory(path, ec) ? path : loc.dir, ec).lexically_normal();
    if (where.filename().empty()) where = where.parent_path();
    m->name_ = cache_name_of(where).value_or(path.string());
  }

  load_weights(loc, m->weights_);

  std::error_code ec;
  if (fs::is_regular_file(loc.dir / "config.json", ec)) m->config_ = load_model_config(loc.dir / "config.json");
  const ModelConfig& cfg = m->config_;
  const std::vector<std::string> names = m->weights_.names();
  std::string note;  // how the family was found, when config.json does not say
  const FamilyInfo* fam = &family_of(cfg, names, path, note);
  const std::string family = fam->family;
  m->family_ = family;
  ModelConfig effective = cfg;
  effective.family = family;

  const std::optional<TensorRef> token = m->weights_.find_first(fam->token);
  if (!token)
    throw Error("cannot open '" + path.string() + "' as a " + fam->display + " model: no token table (looked for " +
                join_names(fam->token) + ")");
  m->token_.emplace(checked_table(*token, "token table", 0, ""));
  const long long d = m->token_->cols();
  // Factorised input stages (ALBERT, ELECTRA) keep their tables at embedding_size.
  const bool factorised = !fam->attention.projection.empty() && cfg.embedding_size > 0 && cfg.embedding_size != cfg.hidden;
  const long long table_width = factorised ? cfg.embedding_size : cfg.hidden;
  if (table_width > 0 && table_width != d)
    throw Error("config.json in '" + loc.dir.string() + "' gives " + (factorised ? "embedding size " : "hidden size ") +
                std::to_string(table_width) + " but the token table, " + token->where() + ", has width " +
                std::to_string(d));
  if (fam->opt_input_checks && cfg.word_embed_proj_dim > 0 && cfg.hidden > 0 && cfg.word_embed_proj_dim != cfg.hidden)
    throw Error("cannot open '" + path.string() + "' as an OPT model: its token rows are " +
                std::to_string(cfg.word_embed_proj_dim) + " wide and are projected to " + std::to_string(cfg.hidden) +
                " (project_in) before the position rows are added, a step EmbedScope does not compute (OPT-350m "
                "is built this way; the other OPT sizes are not)");

  m->scheme_ = scheme_for_config(effective, d);
  read_input_tables(*m, *fam, cfg, path);
  m->norm_ = read_norm(*m, fam->norm, *fam, d, cfg.layer_norm_eps.value_or(fam->default_eps), fam->norm_label,
                       m->norm_names_);
  if (!fam->norm_has_weights) {  // OLMo: LayerNorm without weights (gamma 1, beta 0)
    m->norm_ = identity_layer_norm(d, static_cast<float>(cfg.layer_norm_eps.value_or(fam->default_eps)));
    m->norm_->label = fam->norm_label;
    m->norm_->learned = false;
  }
  if (m->norm_) {
    m->norm_->kind = fam->norm_kind;
    m->norm_->on_input = fam->norm_on_input;
  }
  m->heads_ = cfg.heads;
  m->embedding_scale_ = embedding_scale_of(*fam, cfg, d, m->token_->ref().tensor->dtype);
  m->block0_ = block0_settings_of(*fam, cfg);
  for (const char* prefix : fam->attention.projection)  // ALBERT, ELECTRA: to the hidden size
    if (const std::optional<TensorRef> w = m->weights_.find(std::string(prefix) + ".weight");
        w && w->tensor->shape.size() == 2 && w->tensor->shape[1] == d) {
      m->projection_ = ModelSource::Projection{d, w->tensor->shape[0],
                                               m->weights_.find(std::string(prefix) + ".bias").has_value(), prefix};
      m->scheme_tensors_.push_back({"projection to the hidden size", w->tensor->name});
      break;
    }
  read_scheme_weights(*m, *fam, cfg);
  if (m->scheme_.head_dim > d) m->scheme_.head_dim = 0;  // a head wider than the model: the whole width

  const bool has_head = m->weights_.find_first(fam->head).has_value();
  m->tied_ = cfg.tie_word_embeddings.value_or(has_head ? false : fam->ties_by_default);

  m->position_summary_ = family_position_summary(family, m->scheme_);
  m->caveats_ = config_caveats(effective);
  m->label_ = std::string(fam->display) + " checkpoint " + m->name_ + ": " + std::to_string(m->token_->rows()) + " x " +
              std::to_string(d) + " token table (" + m->dtype() + ")" +
              (m->embedding_scale_ != 1.0 ? ", rows multiplied by " + format_scale(m->embedding_scale_) + " = sqrt(" +
                                                std::to_string(d) + ") before block 0"
                                          : "") +
              (factorised ? ", projected from " + std::to_string(d) + " to " + std::to_string(cfg.hidden) +
                                " wide after its LayerNorm"
                          : "") +
              "; " + m->position_summary_ + note +
              (m->caveats_.empty() ? "" : "; " + m->caveats_);
  return m;
}

}  // namespace es
