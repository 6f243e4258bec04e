// The lab's training loop, checkpoints and evaluation (see trainer.h).
#include "trainer.h"

#include "file_text.h"
#include "safetensors.h"
#include "../types.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>

#include <unistd.h>

namespace es::train {

namespace fs = std::filesystem;

void validate(const TrainOptions& o) {
  auto bad = [](const std::string& m) { throw Error(m); };
  if (o.batch < 1 || o.batch > 4096) bad("--batch must be 1 to 4096");
  if (o.steps < 0 || o.steps > 100'000'000) bad("--steps must be 0 to 100000000");
  if (!(o.lr > 0) || o.lr > 10) bad("--lr must be in (0, 10]");
  if (o.optimizer != "adamw" && o.optimizer != "sgd") bad("--optimizer is adamw or sgd (got '" + o.optimizer + "')");
  if (o.schedule != "cosine" && o.schedule != "constant") bad("--schedule is cosine or constant (got '" + o.schedule + "')");
  if (o.batch_order != "shuffled" && o.batch_order != "sequential")
    bad("--batch-order is shuffled or sequential (got '" + o.batch_order + "')");
  if (o.threads < 1 || o.threads > 256) bad("--threads must be 1 to 256");
  if (!(o.beta1 >= 0 && o.beta1 < 1) || !(o.beta2 >= 0 && o.beta2 < 1) || !(o.eps > 0)) bad("AdamW betas in [0, 1), eps > 0");
  if (!(o.weight_decay >= 0) || !(o.clip >= 0) || o.warmup < 0) bad("weight decay, clip and warm-up must be >= 0");
  const long long per_step = static_cast<long long>(o.batch) * o.model.context;
  if (per_step > 4'000'000) bad("batch * context must stay under 4 million tokens per step");
}

namespace {

// Memory a step needs (float): parameters four times (weights, gradient, AdamW's m and v) plus
// the caches of the forward pass. Refused up front rather than left to the allocator.
void check_memory(const TrainOptions& o, int vocab) {
  const double B = o.batch, T = o.model.context, d = o.model.dim, H = o.model.heads, L = o.model.layers, V = vocab;
  const double params = V * d + T * d + L * 12 * d * d;
  const double acts = B * T * (L * (24 * d + H * T) + 2 * V);
  const double bytes = 4 * (4 * params + 2 * acts);
  const double ram = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGE_SIZE));
  if (ram > 0 && bytes > 0.6 * ram)
    throw Error("this model and batch need about " + std::to_string(static_cast<long long>(bytes / 1e9)) +
                " GB of memory, more than this machine can spare (" + std::to_string(static_cast<long long>(ram / 1e9)) +
                " GB); use a smaller --dim, --layers, --context or --batch");
}

}  // namespace

Trainer::Trainer(TrainOptions options, Corpus corpus)
    : opt_(std::move(options)), corpus_(std::move(corpus)), model_([&] {
        GptConfig c = opt_.model;
        c.vocab = corpus_.vocab;
        validate(opt_);
        check_memory(opt_, corpus_.vocab);
        return c;
      }()) {
  opt_.model.vocab = corpus_.vocab;
  validate(opt_);
  if (windows() < 1)
    throw Error("train: the data has " + std::to_string(corpus_.ids.size()) + " tokens, fewer than one window of context + 1 = " +
                std::to_string(opt_.model.context + 1));
  model_.init(opt_.seed);
  model_.set_threads(opt_.threads);
  m_.assign(model_.params().size(), 0.0f);
  v_.assign(model_.params().size(), 0.0f);
  start_ = std::chrono::steady_clock::now();
}

long long Trainer::windows() const {
  const long long n = static_cast<long long>(corpus_.ids.size()), T = opt_.model.context;
  return n >= T + 1 ? (n - 1) / T : 0;
}

std::vector<long long> Trainer::batch_windows(long long k) const {
  const long long W = windows(), B = opt_.batch;
  std::vector<long long> w(B);
  if (opt_.batch_order == "sequential") {
    for (long long i = 0; i < B; ++i) w[i] = (k * B + i) % W;
    return w;
  }
  // Shuffled: a fresh permutation of the windows per epoch (seeded by seed and epoch), read in
  // order; a batch may straddle two epochs.
  for (long long i = 0; i < B; ++i) {
    const long long at = k * B + i, epoch = at / W, pos = at % W;
    std::vector<long long> perm(W);
    std::iota(perm.begin(), perm.end(), 0LL);
    std::mt19937_64 g(opt_.seed * 1'000'003ULL + static_cast<uint64_t>(epoch) + 17);
    std::shuffle(perm.begin(), perm.end(), g);
    w[i] = perm[pos];
  }
  return w;
}

double Trainer::lr_at(long long s) const {
  if (opt_.warmup > 0 && s < opt_.warmup) return opt_.lr * double(s + 1) / double(opt_.warmup);
  if (opt_.schedule == "constant" || opt_.steps <= 1) return opt_.lr;
  const double span = std::max<long long>(1, opt_.steps - 1 - opt_.warmup);
  const double t = std::clamp(double(s - opt_.warmup) / span, 0.0, 1.0);
  return opt_.lr * (0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * t)));
}

StepInfo Trainer::step() {
  const int B = opt_.batch, T = opt_.model.context;
  // The shuffled order is built once per epoch (batch_windows rebuilds it per call, which is
  // fine for inspection but not for every step).
  const long long W = windows();
  std::vector<long long> wins(B);
  if (opt_.batch_order == "sequential") {
    wins = batch_windows(done_);
  } else {
    for (int i = 0; i < B; ++i) {
      const long long at = done_ * B + i, epoch = at / W;
      if (epoch != order_epoch_) {
        order_.resize(W);
        std::iota(order_.begin(), order_.end(), 0LL);
        std::mt19937_64 g(opt_.seed * 1'000'003ULL + static_cast<uint64_t>(epoch) + 17);
        std::shuffle(order_.begin(), order_.end(), g);
        order_epoch_ = epoch;
      }
      wins[i] = order_[at % W];
    }
  }
  std::vector<int> in(std::size_t(B) * T), tgt(std::size_t(B) * T);
  for (int b = 0; b < B; ++b) {
    const int* src = corpus_.ids.data() + wins[b] * T;
    std::copy(src, src + T, in.begin() + std::size_t(b) * T);
    std::copy(src + 1, src + T + 1, tgt.begin() + std::size_t(b) * T);
  }
  StepInfo info;
  info.loss = model_.step(in.data(), tgt.data(), B, T, true);
  const std::vector<float>& g = model_.grads();
  double norm = 0;
  for (float x : g) norm += double(x) * x;
  norm = std::sqrt(norm);
  info.grad_norm = norm;
  const float clip = opt_.clip > 0 && norm > opt_.clip ? float(opt_.clip / norm) : 1.0f;
  const double lr = lr_at(done_);
  info.lr = lr;
  std::vector<float>& p = model_.params();
  if (opt_.optimizer == "sgd") {
    for (std::size_t i = 0; i < p.size(); ++i) p[i] -= float(lr) * clip * g[i];
  } else {
    const long long t = done_ + 1;
    const double bc1 = 1 - std::pow(opt_.beta1, double(t)), bc2 = 1 - std::pow(opt_.beta2, double(t));
    const float b1 = float(opt_.beta1), b2 = float(opt_.beta2);
    for (const auto& slot : model_.tensors()) {
      const float decay = slot.decay ? float(lr * opt_.weight_decay) : 0.0f;
      for (std::size_t i = slot.offset; i < slot.offset + slot.size; ++i) {
        const float gi = g[i] * clip;
        m_[i] = b1 * m_[i] + (1 - b1) * gi;
        v_[i] = b2 * v_[i] + (1 - b2) * gi * gi;
        const double mh = m_[i] / bc1, vh = v_[i] / bc2;
        p[i] -= decay * p[i] + float(lr * mh / (std::sqrt(vh) + opt_.eps));
      }
    }
  }
  ++done_;
  info.step = done_;
  info.tokens = done_ * B * T;
  info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  log_.push_back(info);
  return info;
}

void Trainer::save(const fs::path& dir) const {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create the checkpoint folder " + dir.string() + ": " + ec.message());
  std::vector<SafetensorsWriteTensor> tensors;
  for (const auto& slot : model_.tensors())
    tensors.push_back(make_write_tensor(slot.name, SafetensorsDtype::F32, slot.shape,
                                        std::span<const float>(model_.params().data() + slot.offset, slot.size)));
  const fs::path tmp = dir / "model.safetensors.partial";
  write_safetensors(tmp, tensors, {{"format", "pt"}});
  fs::rename(tmp, dir / "model.safetensors", ec);
  if (ec) throw Error("cannot move the checkpoint into place in " + dir.string() + ": " + ec.message());
  const GptConfig& c = model_.config();
  nlohmann::json j = {
      {"model_type", "gpt2"},
      {"architectures", {"GPT2LMHeadModel"}},
      {"vocab_size", c.vocab},
      {"n_embd", c.dim},
      {"n_head", c.heads},
      {"n_layer", c.layers},
      {"n_positions", c.context},
      {"n_ctx", c.context},
      {"n_inner", 4 * c.dim},
      {"activation_function", "gelu_new"},
      {"layer_norm_epsilon", c.ln_eps},
      {"tie_word_embeddings", true},
      {"resid_pdrop", 0.0},
      {"embd_pdrop", 0.0},
      {"attn_pdrop", 0.0},
      {"embedscope_position_scheme", c.scheme},
      {"embedscope_token_scale", model_.token_scale()},
      {"embedscope_tokenizer", corpus_.tokenizer},
      {"embedscope_training",
       {{"data", corpus_.source},
        {"steps", done_},
        {"batch", opt_.batch},
        {"lr", opt_.lr},
        {"optimizer", opt_.optimizer},
        {"schedule", opt_.schedule},
        {"seed", opt_.seed},
        {"batch_order", opt_.batch_order},
        {"threads", opt_.threads},
        {"final_loss", log_.empty() ? nlohmann::json(nullptr) : nlohmann::json(log_.back().loss)}}},
  };
  SchemeParams sp = c.position;
  sp.kind = c.scheme;
  write_train_config(sp, j);  // the scheme's own keys
  std::ofstream(dir / "config.json") << j.dump(2) << "\n";
  write_tokenizer_files(corpus_, dir);
  std::ofstream lg(dir / "train_log.csv");
  lg << "step,tokens,loss,lr,grad_norm,seconds\n";
  for (const auto& s : log_)
    lg << s.step << ',' << s.tokens << ',' << s.loss << ',' << s.lr << ',' << s.grad_norm << ',' << s.seconds << '\n';
  if (!lg) throw Error("cannot write " + (dir / "train_log.csv").string());
}

double evaluate(Gpt<float>& model, const std::vector<int>& ids, int T, int batch) {
  if (T < 2) throw Error("the context must be at least 2 tokens (one to predict from, one to predict)");
  model.check_length(T);  // a learned table cannot run past its rows
  const long long W = static_cast<long long>(ids.size()) / T;
  if (W < 1)
    throw Error("the data has " + std::to_string(ids.size()) + " tokens, fewer than one window of " +
                std::to_string(T));
  double total = 0;
  long long count = 0;
  for (long long w0 = 0; w0 < W; w0 += batch) {
    const int B = static_cast<int>(std::min<long long>(batch, W - w0));
    std::vector<int> in(std::size_t(B) * T), tgt(std::size_t(B) * T, -1);
    for (int b = 0; b < B; ++b) {
      const int* src = ids.data() + (w0 + b) * T;
      std::copy(src, src + T, in.begin() + std::size_t(b) * T);
      for (int t = 0; t + 1 < T; ++t) tgt[std::size_t(b) * T + t] = src[t + 1];  // the last position predicts nothing
    }
    const long long n = static_cast<long long>(B) * (T - 1);
    total += model.step(in.data(), tgt.data(), B, T, false) * double(n);
    count += n;
  }
  return total / double(count);
}

LoadedModel load_trained(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error("no such folder '" + dir.string() + "'");
  const nlohmann::json j = [&] {
    try {
      return nlohmann::json::parse(read_small_file(dir / "config.json", "config", 1 << 20));
    } catch (const nlohmann::json::exception& e) {
      throw Error((dir / "config.json").string() + " is not valid JSON: " + e.what());
    }
  }();
  if (!j.is_object() || !j.contains("embedscope_position_scheme"))
    throw Error((dir / "config.json").string() + " was not written by `embedscope-cli train` (no embedscope_position_scheme)");
  GptConfig c;
  try {
    c.vocab = j.at("vocab_size").get<int>();
    c.dim = j.at("n_embd").get<int>();
    c.heads = j.at("n_head").get<int>();
    c.layers = j.at("n_layer").get<int>();
    c.context = j.at("n_positions").get<int>();
    c.scheme = j.at("embedscope_position_scheme").get<std::string>();
    c.ln_eps = j.value("layer_norm_epsilon", 1e-5);
    c.token_scale = j.value("embedscope_token_scale", 1.0);  // absent: saved before the recipes, unscaled
    c.position.kind = c.scheme;
    read_train_config(j, c.position);  // the scheme's own keys
  } catch (const nlohmann::json::exception& e) {
    throw Error((dir / "config.json").string() + ": " + e.what());
  }
  LoadedModel out{c, j.value("embedscope_tokenizer", std::string("gpt2")),
                  j.contains("embedscope_training") ? j["embedscope_training"].value("data", std::string()) : std::string(),
                  Gpt<float>(c)};
  const SafetensorsFile f(dir / "model.safetensors");
  for (const auto& slot : out.model.tensors()) {
    const SafetensorsTensor* t = f.find(slot.name);
    if (!t) throw Error((dir / "model.safetensors").string() + " has no tensor " + slot.name);
    if (t->shape != slot.shape) throw Error((dir / "model.safetensors").string() + ": " + slot.name + " has the wrong shape");
    f.read_floats(*t, 0, std::span<float>(out.model.params().data() + slot.offset, slot.size));
  }
  return out;
}

}  // namespace es::train
