// The training session's worker (see session.h).
#include "session.h"

#include "analysis.h"

#include <chrono>
#include <cmath>

namespace es::train {

TrainingSession::~TrainingSession() { stop(); }

void TrainingSession::start(const SessionSettings& s) {
  stop();
  {
    std::lock_guard lk(mu_);
    settings_ = s;
    runs_.clear();
    error_.clear();
    sample_words_.clear();
    for (const auto& sch : s.schemes) {
      auto v = std::make_shared<RunSnapshot>();
      v->scheme = sch;
      v->total = s.steps;
      runs_.push_back(std::move(v));
    }
    paused_ = false;
    quit_ = false;
    want_long_ = false;
    single_steps_ = 0;
    building_ = true;
  }
  worker_ = std::thread([this] { loop(); });
}

void TrainingSession::stop() {
  {
    std::lock_guard lk(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void TrainingSession::reset() {
  stop();
  std::lock_guard tl(train_mu_);
  std::lock_guard lk(mu_);
  trainers_.clear();
  runs_.clear();
  error_.clear();
  sample_words_.clear();
}

void TrainingSession::set_paused(bool p) {
  {
    std::lock_guard lk(mu_);
    paused_ = p;
  }
  cv_.notify_all();
}

void TrainingSession::single_step() {
  {
    std::lock_guard lk(mu_);
    paused_ = true;
    ++single_steps_;
  }
  cv_.notify_all();
}

void TrainingSession::train_short_test_long() {
  {
    std::lock_guard lk(mu_);
    want_long_ = true;
  }
  cv_.notify_all();
}

std::filesystem::path TrainingSession::save(std::size_t i, const std::filesystem::path& root) {
  std::lock_guard lk(train_mu_);
  if (i >= trainers_.size() || !trainers_[i]) throw Error("that run has not started");
  const auto dir = root / (trainers_[i]->options().model.scheme + "-step" + std::to_string(trainers_[i]->steps_done()));
  trainers_[i]->save(dir);
  return dir;
}

std::vector<std::shared_ptr<const RunSnapshot>> TrainingSession::runs() const {
  std::lock_guard lk(mu_);
  return runs_;
}
std::vector<std::string> TrainingSession::sample_words() const {
  std::lock_guard lk(mu_);
  return sample_words_;
}
std::string TrainingSession::error() const {
  std::lock_guard lk(mu_);
  return error_;
}
SessionSettings TrainingSession::settings() const {
  std::lock_guard lk(mu_);
  return settings_;
}
bool TrainingSession::started() const { return worker_.joinable(); }
bool TrainingSession::paused() const {
  std::lock_guard lk(mu_);
  return paused_;
}
bool TrainingSession::busy() const {
  std::lock_guard lk(mu_);
  if (!worker_.joinable() || !error_.empty()) return false;
  if (building_ || want_long_ || single_steps_ > 0) return true;
  if (paused_) return false;
  for (const auto& r : runs_)
    if (r->done < r->total) return true;
  return false;
}

// The corpus, one trainer per scheme, and the sample sentence: the first 12 held-out tokens
// from a sentence start. False (and error_) when it cannot.
bool TrainingSession::build(const SessionSettings& s, std::vector<int>& sample) {
  try {
    const Corpus corpus = load_corpus(s.data, "", s.seed, (s.steps + 1) * s.batch * (s.context + 1));
    eval_ = load_corpus(s.data, "", s.seed + 1000, 8 * s.context * 40).ids;
    used_.assign(static_cast<std::size_t>(corpus.vocab), 0);
    for (int id : corpus.ids) used_[static_cast<std::size_t>(id)] = 1;
    {
      std::lock_guard tl(train_mu_);
      trainers_.clear();
      for (const auto& sch : s.schemes) {
        TrainOptions o;
        o.model.scheme = sch;
        o.model.layers = s.layers;
        o.model.dim = s.dim;
        o.model.heads = s.heads;
        o.model.context = s.context;
        o.batch = s.batch;
        o.steps = s.steps;
        o.lr = s.lr;
        o.seed = s.seed;
        o.threads = 1;
        trainers_.push_back(std::make_unique<Trainer>(o, corpus));
      }
    }
    std::size_t at = 0;
    if (s.data == "toy")
      for (std::size_t i = 0; i + 1 < eval_.size() && i < 200; ++i)
        if (corpus.tok && corpus.tok->token_bytes(eval_[i]) == ".") {
          at = i + 1;
          break;
        }
    sample.assign(eval_.begin() + static_cast<long>(at), eval_.begin() + static_cast<long>(std::min(eval_.size(), at + 12)));
    std::vector<std::string> words;
    for (int id : sample) words.push_back(corpus.tok ? corpus.tok->token_bytes(id) : std::string(1, static_cast<char>(id)));
    std::lock_guard lk(mu_);
    sample_words_ = std::move(words);
    building_ = false;
    return true;
  } catch (const std::exception& e) {
    std::lock_guard lk(mu_);
    error_ = e.what();
    building_ = false;
    return false;
  }
}

void TrainingSession::loop() {
  const SessionSettings s = settings();
  std::vector<int> sample;
  if (!build(s, sample)) return;
  for (std::size_t i = 0; i < trainers_.size(); ++i) publish(i, sample);
  auto last_publish = std::chrono::steady_clock::now();
  for (;;) {
    bool step_one = false, do_long = false;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] {
        bool left = false;
        for (const auto& r : runs_) left = left || r->done < r->total;
        return quit_ || want_long_ || single_steps_ > 0 || (!paused_ && left);
      });
      if (quit_) return;
      if (single_steps_ > 0) {
        --single_steps_;
        step_one = true;
      }
      bool finished = true;
      for (const auto& r : runs_) finished = finished && r->done >= r->total;
      do_long = want_long_ && (paused_ || finished);
    }
    if (do_long) {
      long_evaluation();
      continue;
    }
    bool any = false;
    {
      std::lock_guard tl(train_mu_);
      for (auto& t : trainers_)
        if (t->steps_done() < s.steps || step_one) {
          try {
            t->step();
          } catch (const std::exception& e) {
            std::lock_guard lk(mu_);
            error_ = e.what();
            paused_ = true;
          }
          any = true;
        }
    }
    const auto now = std::chrono::steady_clock::now();
    bool finished = true;
    for (auto& t : trainers_) finished = finished && t->steps_done() >= s.steps;
    if (any && (step_one || finished || now - last_publish > std::chrono::milliseconds(100))) {
      for (std::size_t i = 0; i < trainers_.size(); ++i) publish(i, sample);
      last_publish = now;
    }
  }
}

// A new snapshot of run i, built outside the readers' lock, then swapped in.
void TrainingSession::publish(std::size_t i, const std::vector<int>& sample) {
  auto v = std::make_shared<RunSnapshot>();
  {
    std::lock_guard tl(train_mu_);
    Trainer& t = *trainers_[i];
    Gpt<float>& m = t.model();
    const GptConfig& c = m.config();
    v->scheme = c.scheme;
    v->recipe = m.recipe();
    v->done = t.steps_done();
    v->vocab = c.vocab, v->dim = c.dim, v->ctx = c.context, v->layers = c.layers, v->heads = c.heads;
    for (const auto& s : t.log()) {
      v->step.push_back(static_cast<float>(s.step));
      v->loss.push_back(static_cast<float>(s.loss));
    }
    v->used = used_;
    if (!t.log().empty()) v->tokens_per_s = double(t.log().back().tokens) / std::max(1e-9, t.log().back().seconds);
    const auto& e = m.slot("wte.weight");
    v->wte.assign(m.params().begin() + static_cast<long>(e.offset), m.params().begin() + static_cast<long>(e.offset + e.size));
    if (const TensorSlot* p = m.input_position_table())
      v->wpe.assign(m.params().begin() + static_cast<long>(p->offset), m.params().begin() + static_cast<long>(p->offset + p->size));
    if (sample.size() >= 2) {
      const int n = static_cast<int>(std::min<std::size_t>(sample.size(), static_cast<std::size_t>(c.context)));
      std::vector<int> tgt(n, -1);
      tgt[0] = sample[1];
      m.step(sample.data(), tgt.data(), 1, n, false);
      for (int l = 0; l < c.layers; ++l)
        for (int h = 0; h < c.heads; ++h) {
          const auto a = m.attention(l, 0, h);
          v->attention.insert(v->attention.end(), a.begin(), a.end());
        }
    }
  }
  // PCA of the rows of tokens that occur in the data (the others only drift and would set the
  // axes), here on the worker.
  for (int id = 0; id < v->vocab; ++id)
    if (id < static_cast<int>(v->used.size()) && v->used[static_cast<std::size_t>(id)]) v->pca_ids.push_back(id);
  if (v->pca_ids.size() >= 3) {
    MatrixRM E(static_cast<long>(v->pca_ids.size()), v->dim);
    for (std::size_t k = 0; k < v->pca_ids.size(); ++k)
      for (int c = 0; c < v->dim; ++c)
        E(static_cast<long>(k), c) = v->wte[static_cast<std::size_t>(v->pca_ids[k]) * v->dim + c];
    try {
      const PcaBasis b = fit_pca(E, 2);
      const MatrixRM xy = b.project(E);
      if (xy.cols() >= 2) {
        v->pca_xy.resize(std::size_t(xy.rows()) * 2);
        for (Eigen::Index r = 0; r < xy.rows(); ++r) v->pca_xy[2 * r] = xy(r, 0), v->pca_xy[2 * r + 1] = xy(r, 1);
        v->pca_ratio = b.explained_variance_ratio.size() >= 2 ? b.explained_variance_ratio[0] + b.explained_variance_ratio[1] : 0;
      }
    } catch (const std::exception&) {
      v->pca_xy.clear();
    }
  }
  std::lock_guard lk(mu_);
  const RunSnapshot& old = *runs_[i];
  v->total = old.total;
  v->long_loss = old.long_loss;
  v->long_note = old.long_note;
  v->version = old.version + 1;
  runs_[i] = std::move(v);
}

void TrainingSession::long_evaluation() {
  std::vector<std::vector<float>> results;
  std::vector<std::string> notes;
  {
    std::lock_guard tl(train_mu_);
    for (auto& t : trainers_) {
      std::vector<float> r;
      std::string note;
      for (int f : {1, 2, 4, 8}) {
        const int T = t->options().model.context * f;
        try {
          r.push_back(static_cast<float>(evaluate(t->model(), eval_, T, 8)));
        } catch (const std::exception& e) {
          r.push_back(std::nanf(""));
          if (note.empty()) note = e.what();
        }
      }
      results.push_back(r);
      notes.push_back(note);
    }
  }
  std::lock_guard lk(mu_);
  for (std::size_t i = 0; i < runs_.size() && i < results.size(); ++i) {
    auto v = std::make_shared<RunSnapshot>(*runs_[i]);
    v->long_loss = results[i];
    v->long_note = notes[i];
    ++v->version;
    runs_[i] = std::move(v);
  }
  want_long_ = false;
}

}  // namespace es::train
