// A task repeated on a thread of its own until its owner stops it, e.g. a service's upkeep.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace kp {

// Runs `task` after `first` and then every `every`, on its own thread, until destroyed; the
// destructor waits for a run in progress. The task should hand slow work to a DbPool, as the
// services do, and must not throw.
class Periodic {
 public:
  Periodic(std::chrono::milliseconds first, std::chrono::milliseconds every, std::function<void()> task)
      : thread_([this, first, every, task = std::move(task)] {
          std::unique_lock lock(mutex_);
          for (auto wait = first; !stop_.wait_for(lock, wait, [this] { return stopping_; }); wait = every) {
            lock.unlock();
            task();
            lock.lock();
          }
        }) {}
  ~Periodic() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    stop_.notify_all();
    thread_.join();
  }
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace kp
