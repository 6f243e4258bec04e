// BackgroundTask (core/background.h): the one pattern for work the desktop does not wait for.
#include "background.h"

#include <doctest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

using namespace es;
using namespace std::chrono_literals;

namespace {

template <class T>
std::optional<T> take_within(BackgroundTask<T>& task, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (std::optional<T> v = task.take()) return v;
    std::this_thread::sleep_for(1ms);
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("a task's result is taken once, after the work ends; nothing before or without a start") {
  BackgroundTask<int> task;
  CHECK_FALSE(task.pending());
  CHECK_FALSE(task.take().has_value());
  std::atomic<bool> go{false};
  task.start([&go](const std::atomic<bool>&) {
    while (!go) std::this_thread::sleep_for(1ms);
    return 42;
  });
  CHECK(task.pending());
  CHECK(task.running());
  CHECK_FALSE(task.take().has_value());  // still running: the frame goes on
  go = true;
  CHECK(take_within(task, 10s) == std::optional<int>(42));
  CHECK_FALSE(task.pending());
  CHECK_FALSE(task.take().has_value());  // taken once
}

TEST_CASE("the work's exception comes back from take()") {
  BackgroundTask<int> task;
  task.start([](const std::atomic<bool>&) -> int { throw std::runtime_error("no such model"); });
  while (!task.ready()) std::this_thread::sleep_for(1ms);
  CHECK_THROWS_WITH(task.take(), "no such model");
  CHECK_FALSE(task.pending());
}

TEST_CASE("starting again abandons the work in flight without waiting for it; it is told to stop") {
  BackgroundTask<int> task;
  std::atomic<bool> saw_stop{false};
  std::atomic<bool> release{false};
  task.start([&](const std::atomic<bool>& cancelled) {
    while (!cancelled || !release) std::this_thread::sleep_for(1ms);
    saw_stop = true;
    return 1;
  });
  const auto t0 = std::chrono::steady_clock::now();
  task.start([](const std::atomic<bool>&) { return 2; });  // the first still runs (not released)
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(take_within(task, 10s) == std::optional<int>(2));  // the abandoned result never shows
  release = true;
  for (int i = 0; i < 10000 && !saw_stop; ++i) std::this_thread::sleep_for(1ms);
  CHECK(saw_stop);
  CHECK_FALSE(task.take().has_value());
}

TEST_CASE("request_stop() keeps the work: what it ends with is still taken") {
  BackgroundTask<int> task;
  task.start([](const std::atomic<bool>& cancelled) -> int {
    while (!cancelled) std::this_thread::sleep_for(1ms);
    throw std::runtime_error("cancelled; what arrived is kept");
  });
  task.request_stop();
  for (int i = 0; i < 10000 && !task.ready(); ++i) std::this_thread::sleep_for(1ms);
  CHECK_THROWS_WITH(task.take(), "cancelled; what arrived is kept");
}

TEST_CASE("a task destroyed with work in flight tells it to stop and waits for it") {
  std::atomic<bool> ended{false};
  {
    BackgroundTask<int> task;
    task.start([&ended](const std::atomic<bool>& cancelled) {
      while (!cancelled) std::this_thread::sleep_for(1ms);
      std::this_thread::sleep_for(20ms);
      ended = true;
      return 0;
    });
  }
  CHECK(ended);
}
