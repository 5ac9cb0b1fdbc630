// Lets concurrent calls of one kind share a database round trip. At most `max_parallel` batches
// are in flight at once; calls that arrive meanwhile wait and form the next batch (up to
// max_batch). A lone call runs at once, alone; under load, N concurrent reads cost one statement
// and N concurrent creates one commit.
//
// A batch is in flight until its Slot is let go: the batch function gets the Slot and may keep a
// copy in the continuations of its asynchronous work (asking another service, say). Then the
// calls arriving while it waits form one next batch instead of many small ones, each of which
// would pay for its own calls to other services, worker hand-offs and commits.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "common/db_pool.h"
#include "common/errors.h"
#include "common/rpc.h"

namespace kp {

// Item must have a member `call`: a PendingCall (or, in a test, anything with its method(),
// DeadlinePassed() and Finish(status)).
template <class Item>
class Coalescer {
 public:
  // Keeps the batch's place among the max_parallel in flight while any copy of it lives.
  using Slot = std::shared_ptr<void>;
  // Runs one batch on a database worker and finishes every item (perhaps later, from a
  // continuation holding the Slot). If it throws before finishing any, every item is finished
  // with the mapped error.
  using BatchFn = std::function<void(pqxx::connection&, std::vector<Item>&, Slot)>;

  Coalescer(DbPool& pool, std::size_t max_batch, std::size_t max_parallel, BatchFn run)
      : pool_(pool), max_batch_(max_batch), max_parallel_(max_parallel), run_(std::move(run)) {}

  void Add(Item item) {
    {
      std::lock_guard lock(mutex_);
      waiting_.push_back(std::move(item));
      if (running_ >= max_parallel_) return;  // a queued or running drain will take it
      ++running_;
    }
    QueueDrain();
  }

 private:
  // Queues a drain job (running_ already counts it). If the pool refuses (full, or stopping) and
  // no other drain is left, the waiting calls are answered here.
  void QueueDrain() {
    if (pool_.Submit([this](DbPool::Session& session) { Drain(session); })) return;
    std::deque<Item> refused;
    {
      std::lock_guard lock(mutex_);
      --running_;
      if (running_ == 0) refused.swap(waiting_);
    }
    for (auto& r : refused) r.call.Finish(OverloadedStatus());
  }

  // A batch let go of its slot: the next batch (if calls wait) is queued behind whatever else
  // waits for a worker instead of running here: a steady stream of batched calls must not keep
  // other calls from the workers.
  void Release() {
    {
      std::lock_guard lock(mutex_);
      if (waiting_.empty()) {
        --running_;
        return;
      }
    }
    QueueDrain();
  }

  void Drain(DbPool::Session& session) {
    Slot slot(nullptr, [this](void*) { Release(); });
    std::vector<Item> batch;
    {
      std::lock_guard lock(mutex_);
      while (!waiting_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
      }
    }
    // A caller that gave up while queued gets its answer now, and costs the database nothing.
    std::erase_if(batch, [](const Item& item) {
      if (!item.call.DeadlinePassed()) return false;
      item.call.Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed while queued"));
      return true;
    });
    if (!batch.empty()) {
      const grpc::Status status =
          RunMapped(batch.front().call.method(), [&] { run_(session.conn(), batch, slot); });
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

// Serves a unary call through a coalescer: authenticates, lets `make` turn the request into an
// Item (throwing kp::Error for bad input, answered at once) and queues it.
template <class Item, class Make>
grpc::ServerUnaryReactor* ServeCoalesced(Runtime& runtime, grpc::CallbackServerContext* context,
                                         const char* method, Coalescer<Item>& coalescer, Make make) {
  return BeginCall(runtime, context, method, [&coalescer, make](PendingCall pending) {
    std::optional<Item> item;
    if (!Guarded(pending, [&] { item.emplace(make(pending)); })) return;
    coalescer.Add(std::move(*item));
  });
}

}  // namespace kp
