// The training loop of the lab: batches of windows from a corpus, AdamW or SGD, a cosine or
// constant learning rate, checkpoints EmbedScope (and GPT-2 tools) open, and evaluation.
#pragma once

#include "data.h"
#include "gpt.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace es::train {

struct TrainOptions {
  GptConfig model;                   // vocab is taken from the corpus
  int batch = 16;
  long long steps = 1000;
  double lr = 1e-3;
  std::string optimizer = "adamw";   // adamw | sgd
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double weight_decay = 0.1;         // AdamW, weight matrices only (TensorSlot::decay)
  double clip = 1.0;                 // global gradient norm; 0: no clipping
  std::string schedule = "cosine";   // cosine (to lr / 10 at the last step) | constant
  long long warmup = 0;              // linear warm-up steps
  uint64_t seed = 1;
  std::string batch_order = "shuffled";  // shuffled | sequential
  int threads = 1;
};
// Throws es::Error naming the option for values that make no sense.
void validate(const TrainOptions& o);

struct StepInfo {
  long long step = 0;       // 1-based, after this step
  long long tokens = 0;     // predicted tokens so far
  double loss = 0;          // of this step's batch, before the update
  double lr = 0;
  double grad_norm = 0;     // before clipping
  double seconds = 0;       // since the trainer was made
};

class Trainer {
 public:
  // Builds the model (vocab from the corpus) and initialises it from options.seed.
  Trainer(TrainOptions options, Corpus corpus);
  // One optimisation step.
  StepInfo step();
  long long steps_done() const { return done_; }
  const TrainOptions& options() const { return opt_; }
  const Corpus& corpus() const { return corpus_; }
  const Gpt<float>& model() const { return model_; }
  Gpt<float>& model() { return model_; }
  const std::vector<StepInfo>& log() const { return log_; }
  // Windows of T + 1 tokens in the corpus (window w = tokens [wT, wT + T]).
  long long windows() const;
  // The windows of batch k (0-based) under the batch order.
  std::vector<long long> batch_windows(long long k) const;
  double lr_at(long long step) const;  // step 0-based
  // model.safetensors (GPT-2's tensor names, F32), config.json (GPT-2's keys plus the scheme),
  // the tokenizer files and train_log.csv into dir (created).
  void save(const std::filesystem::path& dir) const;

 private:
  TrainOptions opt_;
  Corpus corpus_;
  Gpt<float> model_;
  std::vector<float> m_, v_;
  long long done_ = 0;
  std::vector<StepInfo> log_;
  std::vector<long long> order_;  // shuffled window order for the current epoch
  long long order_epoch_ = -1;
  std::chrono::steady_clock::time_point start_;
};

// Mean next-token cross-entropy in nats per predicted token over all non-overlapping windows
// of length T (window w holds tokens [wT, wT + T) and predicts tokens wT + 1 .. wT + T - 1 from
// their prefixes within the window). Throws es::Error when the model cannot run at that length
// (a learned table shorter than T) or the data has no window.
double evaluate(Gpt<float>& model, const std::vector<int>& ids, int T, int batch = 16);

// A checkpoint saved by Trainer::save, opened for evaluation or further use.
struct LoadedModel {
  GptConfig config;
  std::string tokenizer;   // classroom, gpt2, bytes
  std::string data;        // what it was trained on
  Gpt<float> model;
};
LoadedModel load_trained(const std::filesystem::path& dir);

}  // namespace es::train
