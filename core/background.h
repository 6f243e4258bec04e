// Work the desktop must not wait for: a model opening, a vocabulary index, a table's projection,
// a download. One pattern for all of them: the work runs on a worker thread; the UI polls
// each frame (never blocking it) and takes the result, or the error, once.
//
//   BackgroundTask<std::shared_ptr<const ModelSource>> loading;
//   loading.start([spec](const std::atomic<bool>& cancelled) { return open_model(spec); });
//   ... each frame:
//   if (auto m = loading.take()) use(*m);    // rethrows what the work threw
//
// Starting again while work is in flight abandons that work: it is told to stop (the flag its
// callable receives), its result is dropped, and the frame goes on without waiting for it. A
// task waits for work in flight only when it is destroyed (at exit), after telling it to stop;
// every work holds what it reads by shared_ptr, so nothing it reads is freed under it.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace es {

template <class T>
class BackgroundTask {
 public:
  BackgroundTask() = default;
  BackgroundTask(const BackgroundTask&) = delete;
  BackgroundTask& operator=(const BackgroundTask&) = delete;
  ~BackgroundTask() {
    if (cancel_) cancel_->store(true);
    for (Run& r : abandoned_) r.cancel->store(true);
    // The futures' destructors wait for their work.
  }

  // Runs work(cancelled) on a worker thread; `cancelled` turns true when this task is
  // restarted, abandoned or destroyed (long work checks it and may stop early).
  template <class F>
  void start(F work) {
    abandon();
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    current_ = std::async(std::launch::async, [work = std::move(work), cancel = cancel_]() mutable -> T {
      return work(static_cast<const std::atomic<bool>&>(*cancel));
    });
  }

  // Work in flight, whose result has not been taken yet.
  bool running() const { return current_.valid() && !is_ready(current_); }
  // A result or an error is waiting to be taken.
  bool ready() const { return current_.valid() && is_ready(current_); }
  // Started and not yet taken (running or ready).
  bool pending() const { return current_.valid(); }

  // The result, once, when the work has ended; rethrows the exception it ended with.
  // nullopt while it runs or when nothing was started.
  std::optional<T> take() {
    reap();
    if (!ready()) return std::nullopt;
    cancel_.reset();
    return std::optional<T>(current_.get());
  }

  // Tells work in flight to stop, keeping it: what it ends with (often an error saying it was
  // cancelled) is still taken.
  void request_stop() {
    if (cancel_) cancel_->store(true);
  }

  // Tells work in flight to stop and forgets it (its result, when it comes, is dropped).
  void abandon() {
    reap();
    if (!current_.valid()) return;
    if (cancel_) cancel_->store(true);
    abandoned_.push_back(Run{std::move(current_), std::move(cancel_)});
    current_ = {};
    cancel_.reset();
  }

 private:
  struct Run {
    std::future<T> future;
    std::shared_ptr<std::atomic<bool>> cancel;
  };
  static bool is_ready(const std::future<T>& f) {
    return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }
  // Abandoned work that has ended is let go (its future no longer waits on anything).
  void reap() {
    abandoned_.erase(std::remove_if(abandoned_.begin(), abandoned_.end(),
                                    [](const Run& r) { return is_ready(r.future); }),
                     abandoned_.end());
  }

  std::future<T> current_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::vector<Run> abandoned_;
};

}  // namespace es
