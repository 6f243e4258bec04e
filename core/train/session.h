// A training session: several runs of the lab's model, one per position scheme, trained side by
// side on a worker thread. Headless (the Train view and tests drive it alike): start, pause,
// single step, reset, "train short, test long", save. The worker publishes each run as an
// immutable snapshot shared by pointer (as Analysis is): the loss curve, the token and position
// tables, the attention of a sample sentence, the PCA of the token rows (computed on the worker,
// never on the UI thread). A reader copies pointers, never tables.
#pragma once

#include "trainer.h"

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace es::train {

struct SessionSettings {
  std::string data = "toy";                                    // load_corpus's source
  std::vector<std::string> schemes = {"learned", "rope", "alibi"};  // one run each
  int layers = 2, dim = 64, heads = 4, context = 32, batch = 16;
  long long steps = 600;
  double lr = 2e-3;
  uint64_t seed = 1;
};

// One run as the worker last published it. Never changed after publication.
struct RunSnapshot {
  std::string scheme;
  std::string recipe;               // how the scheme's paper feeds the token rows ("" for GPT-2's way)
  std::vector<float> step, loss;    // the loss curve, every step
  long long done = 0, total = 0;
  double tokens_per_s = 0;
  int vocab = 0, dim = 0, ctx = 0, layers = 0, heads = 0;
  std::vector<float> wte;           // (V, d)
  std::vector<float> wpe;           // (rows, d): the scheme's trained input table, if it has one
  std::vector<float> attention;     // (layers, heads, n, n) of the sample sentence
  std::vector<char> used;           // (V): the token occurs in the training data
  std::vector<float> long_loss;     // at 1, 2, 4, 8 x ctx; NaN: cannot run there
  std::string long_note;            // why not, when one cannot
  // PCA of the token rows that occur in the data: their ids, PC1 and PC2 (rows, 2) row-major,
  // and the share of variance PC1 + PC2 explain.
  std::vector<int> pca_ids;
  std::vector<float> pca_xy;
  double pca_ratio = 0;
  uint64_t version = 0;             // grows with every publication of this run
};

class TrainingSession {
 public:
  TrainingSession() = default;
  ~TrainingSession();
  TrainingSession(const TrainingSession&) = delete;
  TrainingSession& operator=(const TrainingSession&) = delete;

  // Starts (or restarts) every run from scratch on a new worker.
  void start(const SessionSettings& s);
  void stop();   // ends the worker; the runs stay readable
  void reset();  // back to nothing: no runs, no worker
  void set_paused(bool p);
  void single_step();                // one step of every run (pauses first)
  void train_short_test_long();      // evaluates every run at 1, 2, 4, 8 x its context
  // Saves run i as a checkpoint folder under `root` (named <scheme>-step<N>); returns it.
  std::filesystem::path save(std::size_t i, const std::filesystem::path& root);

  std::vector<std::shared_ptr<const RunSnapshot>> runs() const;
  std::vector<std::string> sample_words() const;
  std::string error() const;
  SessionSettings settings() const;
  bool started() const;
  bool paused() const;
  // Still working on something it was asked for (screenshots and tests wait for it).
  bool busy() const;

 private:
  void loop();
  bool build(const SessionSettings& s, std::vector<int>& sample);
  void publish(std::size_t i, const std::vector<int>& sample);
  void long_evaluation();

  mutable std::mutex mu_;   // everything below but trainers_, eval_, used_
  std::mutex train_mu_;     // trainers_ (worker, save)
  std::condition_variable cv_;
  std::thread worker_;
  SessionSettings settings_;
  std::vector<std::shared_ptr<const RunSnapshot>> runs_;
  std::vector<std::string> sample_words_;
  std::string error_;
  bool paused_ = false, quit_ = false, want_long_ = false, building_ = false;
  int single_steps_ = 0;
  std::vector<std::unique_ptr<Trainer>> trainers_;
  std::vector<int> eval_;
  std::vector<char> used_;
};

}  // namespace es::train
