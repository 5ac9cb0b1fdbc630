// Lets concurrent calls of one kind share database statements: the worker that takes a batch
// takes up to max_batch calls waiting at that moment and runs them together (one decision for all
// of them, whose facts, consents and log entries are each one statement; one read of all their
// rows), then answers each. At most max_parallel batches run at once, so other calls keep workers;
// calls arriving meanwhile wait and form the next batch. A lone call runs at once, alone.
//
// Measured (bench/ab.sh, the partner's GetCase at concurrency 16 on two cores): PostgreSQL spends
// about 300 µs of CPU on a decided read run on its own (four statements, one commit) and about
// 100 µs per read in batches: the per-statement and per-commit work is what batching saves.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "common/db_pool.h"
#include "common/errors.h"
#include "common/rpc.h"

namespace kp {

// Item must have `PendingCall call` and `grpc::Status status` (what its caller is answered when
// the batch function returns; OK by default).
template <class Item>
class Batcher {
 public:
  // Runs one batch on a database worker: fills each item's response or sets its status. If it
  // throws, every item is answered with the mapped error.
  using BatchFn = std::function<void(pqxx::connection&, std::vector<Item>&)>;

  // At most 32 calls a batch and 2 batches at once, which leaves the other workers (4 by default)
  // for other calls.
  static constexpr std::size_t kMaxBatch = 32;
  static constexpr std::size_t kMaxParallel = 2;

  Batcher(DbPool& pool, BatchFn run, std::size_t max_batch = kMaxBatch, std::size_t max_parallel = kMaxParallel)
      : pool_(pool), max_batch_(max_batch), max_parallel_(max_parallel), run_(std::move(run)) {}

  void Add(Item item) {
    {
      std::lock_guard lock(mutex_);
      waiting_.push_back(std::move(item));
      if (running_ >= max_parallel_) return;  // a running batch takes it next
      ++running_;
    }
    QueueDrain();
  }

 private:
  // Queues a drain (running_ already counts it), behind whatever else waits for a worker: a
  // steady stream of batched calls must not keep other calls from the workers.
  void QueueDrain() {
    if (!pool_.Submit([this](DbPool::Session& session) { Drain(session); })) RefuseWaiting();
  }

  // Runs one batch of the calls waiting now; queues the next drain if more arrived meanwhile.
  void Drain(DbPool::Session& session) {
    std::vector<Item> batch;
    {
      std::lock_guard lock(mutex_);
      while (!waiting_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
      }
    }
    Run(session, batch);
    {
      std::lock_guard lock(mutex_);
      if (waiting_.empty()) {
        --running_;
        return;
      }
    }
    QueueDrain();
  }

  void Run(DbPool::Session& session, std::vector<Item>& batch) {
    // A caller that gave up while queued gets its answer now, and costs the database nothing.
    std::erase_if(batch, [](const Item& item) {
      const auto given_up = item.call.GivenUp();
      if (given_up) item.call.Finish(*given_up);
      return given_up.has_value();
    });
    if (batch.empty()) return;
    const grpc::Status failed = RunMapped(batch.front().call.method(), [&] {
      for (auto& item : batch) item.status = grpc::Status::OK;  // a retried batch starts afresh
      run_(session.conn(), batch);
    });
    for (auto& item : batch) item.call.Finish(failed.ok() ? item.status : failed);
    session.DropIfBroken();
  }

  // The pool refused the job (full, or stopping): nobody else will drain what waits.
  void RefuseWaiting() {
    std::deque<Item> refused;
    {
      std::lock_guard lock(mutex_);
      --running_;
      if (running_ == 0) refused.swap(waiting_);
    }
    for (auto& item : refused) item.call.Finish(OverloadedStatus());
  }

  DbPool& pool_;
  const std::size_t max_batch_;
  const std::size_t max_parallel_;
  BatchFn run_;
  std::mutex mutex_;
  std::deque<Item> waiting_;
  std::size_t running_ = 0;
};

// Serves a unary call through a batcher: authenticates, lets `make` turn the request into an Item
// (throwing kp::Error for bad input, answered at once) and queues it.
template <class Item, class Make>
grpc::ServerUnaryReactor* ServeBatched(Runtime& runtime, grpc::CallbackServerContext* context, const char* method,
                                       Batcher<Item>& batcher, Make make) {
  return BeginCall(runtime, context, method, [&batcher, make](PendingCall pending) {
    std::optional<Item> item;
    try {
      item.emplace(make(pending));
    } catch (const Error& e) {
      return pending.Finish(e.ToStatus());
    }
    batcher.Add(std::move(*item));
  });
}

}  // namespace kp
