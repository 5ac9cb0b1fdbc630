// Lets concurrent calls of one kind share a database round trip. At most `max_parallel` batches
// run at once; calls that arrive meanwhile wait and form the next batch (up to max_batch), taken
// by the same worker as soon as its batch is done. A lone call runs at once, alone; under load,
// N concurrent reads cost one statement and N concurrent creates one commit.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "common/db_pool.h"
#include "common/rpc.h"

namespace kp {

// Item must have a member `PendingCall call`.
template <class Item>
class Coalescer {
 public:
  // Runs one batch on a database worker and finishes every item. If it throws before finishing
  // any, every item is finished with the mapped error.
  using BatchFn = std::function<void(pqxx::connection&, std::vector<Item>&)>;

  Coalescer(DbPool& pool, std::size_t max_batch, std::size_t max_parallel, BatchFn run)
      : pool_(pool), max_batch_(max_batch), max_parallel_(max_parallel), run_(std::move(run)) {}

  void Add(Item item) {
    {
      std::lock_guard lock(mutex_);
      waiting_.push_back(std::move(item));
      if (running_ >= max_parallel_) return;  // a running drain will take it
      ++running_;
    }
    if (pool_.Submit([this](DbPool::Session& session) { Drain(session); })) return;
    // The pool refused (full, or stopping): answer what no drain will take.
    std::deque<Item> refused;
    {
      std::lock_guard lock(mutex_);
      --running_;
      if (running_ == 0) refused.swap(waiting_);
    }
    for (auto& r : refused) r.call.Finish(OverloadedStatus());
  }

 private:
  void Drain(DbPool::Session& session) {
    for (;;) {
      std::vector<Item> batch;
      {
        std::lock_guard lock(mutex_);
        if (waiting_.empty()) {
          --running_;
          return;
        }
        while (!waiting_.empty() && batch.size() < max_batch_) {
          batch.push_back(std::move(waiting_.front()));
          waiting_.pop_front();
        }
      }
      const grpc::Status status =
          RunMapped(batch.front().call.method(), [&] { run_(session.conn(), batch); });
      if (!status.ok())
        for (auto& item : batch) item.call.Finish(status);
    }
  }

  DbPool& pool_;
  const std::size_t max_batch_;
  const std::size_t max_parallel_;
  BatchFn run_;
  std::mutex mutex_;
  std::deque<Item> waiting_;
  std::size_t running_ = 0;
};

}  // namespace kp
